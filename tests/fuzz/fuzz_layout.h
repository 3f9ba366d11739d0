/*
 * The byte layouts the fuzz targets decode, shared with gen_corpus.c.
 * Every field is a byte or a byte array, so the structs have no padding
 * and no byte order; a short input reads as if padded with zeros, and an
 * all-zero input decodes to a plain, valid setup.
 */
#ifndef MMUSIM_TESTS_FUZZ_LAYOUT_H
#define MMUSIM_TESTS_FUZZ_LAYOUT_H

#include <stddef.h>
#include <string.h>

#include "walker/types.h"

static inline u64 fuzz_le64(const u8 *b)
{
	u64 v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | b[i];
	return v;
}

static inline void fuzz_put_le64(u8 *b, u64 v)
{
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (u8)(v >> (8 * i));
}

static inline u32 fuzz_le32(const u8 *b)
{
	return (u32)b[0] | (u32)b[1] << 8 | (u32)b[2] << 16 | (u32)b[3] << 24;
}

/* Copy up to @size bytes of the input at *@pos into @dst, zero the rest. */
static inline void fuzz_take(void *dst, size_t size, const u8 *data, size_t len,
			     size_t *pos)
{
	size_t n = *pos < len ? len - *pos : 0;

	if (n > size)
		n = size;
	memset(dst, 0, size);
	if (n)
		memcpy(dst, data + *pos, n);
	*pos += n;
}

/* MAXPHYADDR selector: 32..52, or (bit 7 set) any value, to test -EINVAL. */
static inline u8 fuzz_maxphyaddr(u8 sel)
{
	if (sel & 0x80)
		return sel & 0x7f;
	return 32 + sel % 21;
}

/* ---- fuzz_spte ---- */

enum spte_fuzz_kind {
	/* cpu_role_from_regs(): flags = CR0/CR4 bits, flags2 = CR4/EFER/CPUID. */
	SPTE_KIND_GUEST,
	/* cpu_role_for_ept(): walk length, A/D, exec-only, MBEC, 1G/2M. */
	SPTE_KIND_EPT,
	/* cpu_role_for_npt(): the L1 host's CR4/EFER, GMET. */
	SPTE_KIND_NPT,
	/* tdp_mmu_spte_role() on an EPT or an NPT host. */
	SPTE_KIND_TDP_MMU,
	/* shadow_mmu_spte_role(). */
	SPTE_KIND_SHADOW_MMU,
	/* Every struct cpu_role field straight from the bytes. */
	SPTE_KIND_RAW,
	/*
	 * make_spte() and the other SPTE constructors of mmu/spte.c, in the
	 * formats of tdp_mmu and shadow_mmu (SMF_* flags); each entry is a
	 * struct spte_request (spte_fuzz_entry, read as SMB_* bias bits).
	 */
	SPTE_KIND_MAKE_SPTE,
	SPTE_KIND_COUNT,
};

/* Role flag bits of struct spte_fuzz_header. */
#define SF_GUEST_PE BIT(0) /* flags */
#define SF_GUEST_PG BIT(1)
#define SF_GUEST_WP BIT(2)
#define SF_CR4_PSE BIT(3)
#define SF_CR4_PAE BIT(4)
#define SF_CR4_LA57 BIT(5)
#define SF_CR4_SMEP BIT(6)
#define SF_CR4_SMAP BIT(7)
#define SF2_CR4_PKE BIT(0) /* flags2 */
#define SF2_EFER_LME BIT(1)
#define SF2_EFER_LMA BIT(2)
#define SF2_EFER_NX BIT(3)
#define SF2_AMD BIT(4)
#define SF2_GBPAGES BIT(5)
#define SF2_GMET BIT(6)
#define SF_EPT_AD BIT(0) /* flags, EPT and tdp_mmu/shadow_mmu kinds */
#define SF_EPT_EXECONLY BIT(1)
#define SF_EPT_MBEC BIT(2)
#define SF_EPT_RAW_PWL BIT(3)
#define SF_HOST_EPT BIT(4)
#define SF_HOST_GBPAGES BIT(5)
#define SF_SHADOW_SMEP BIT(6)
#define SF_SHADOW_NPT BIT(7)

/*
 * SPTE_KIND_MAKE_SPTE: flags bits 2:0 (% 5) pick the MMU's SPTE format,
 * as mmu/fault.c sets it up; levels bits 2:0 pick a 4- or 5-level root
 * (bit 0), bits 7:4 (% 3 + 1) the host's (or L1's) largest page.
 */
enum spte_make_format {
	SMF_TDP_EPT,
	SMF_TDP_NPT,
	SMF_SHADOW,
	SMF_SHADOW_L1_EPT,
	SMF_SHADOW_L1_NPT,
	SMF_COUNT,
};
#define SMF_FORMAT_MASK 7
#define SMF_AD_ENABLED BIT(3) /* flags: hardware A/D (EPT) */
#define SMF_GBPAGES BIT(4) /* host 1G pages (x86 formats) */
#define SMF_EXECONLY BIT(5) /* L1's EPT allows execute-only */
#define SMF_SMEP BIT(6) /* shadow SMEP, L1's MBEC or GMET */
#define SMF_L1_AD_DISABLED BIT(7) /* L1's EPTP has no A/D */
/*
 * A request in struct spte_fuzz_entry: value is the pfn (masked to the
 * host's MAXPHYADDR and aligned to the level) and, for the MMIO SPTE, the
 * gfn (bits) and generation (bits 63:46); level % 3 + 1 is the level
 * (capped by the format); bias holds the ACC_* bits (3:0) and the flags.
 */
#define SMB_ACCESS_MASK 0xf
#define SMB_HOST_WRITABLE BIT(4)
#define SMB_ALLOW_WRITABLE BIT(5)
#define SMB_PREFETCH BIT(6)
#define SMB_AD_DISABLED BIT(7)

struct spte_fuzz_header {
	u8 kind;
	u8 flags;
	u8 flags2;
	u8 maxphyaddr;
	/* Bits 2:0: level, walk length - 1 or root level; 7:4: huge level. */
	u8 levels;
};

/*
 * Entry transforms of struct spte_fuzz_entry.bias, bits 2:0; bits 7:3 are
 * the transform's argument (for SPTE_BIAS_EPT_MT_XWR: XWR in 2:0, then
 * memory type WB, 2, 3 or 7).
 */
enum spte_fuzz_bias {
	SPTE_BIAS_RAW,
	SPTE_BIAS_BOUNDARY_BIT,
	SPTE_BIAS_EPT_MT_XWR,
	SPTE_BIAS_HIGH_BITS,
	SPTE_BIAS_PS,
	SPTE_BIAS_LOW_32,
	SPTE_BIAS_ADDRESS_ONLY,
	SPTE_BIAS_FLIP_BIT,
};

struct spte_fuzz_entry {
	/* (level % 10) - 2: -2..7, so levels outside 1..5 come up too. */
	u8 level;
	u8 bias;
	u8 value[8];
};

#define SPTE_FUZZ_MAX_ENTRIES 32

/* ---- fuzz_walk ---- */

/* guest_mode bits 2:0 (% 5): the guest's paging mode. */
enum walk_fuzz_guest_mode {
	WF_GUEST_4LEVEL,
	WF_GUEST_5LEVEL,
	WF_GUEST_PAE,
	WF_GUEST_2LEVEL,
	WF_GUEST_OFF,
	WF_GUEST_MODES,
};
#define WF_GUEST_WP BIT(3)
#define WF_GUEST_PSE BIT(4)
#define WF_GUEST_SMEP BIT(5)
#define WF_GUEST_SMAP BIT(6)
#define WF_GUEST_PKE BIT(7)

/* guest_cpu */
#define WF_CPU_NO_NX BIT(0)
#define WF_CPU_AMD BIT(1)
#define WF_CPU_GBPAGES BIT(2)

/* nested_mode bits 1:0: none, EPT, NPT, EPT. */
#define WF_NESTED_KIND_MASK 3
#define WF_NESTED_NONE 0
#define WF_NESTED_EPT 1
#define WF_NESTED_NPT 2
#define WF_NESTED_5LEVEL BIT(2)
#define WF_NESTED_AD_OFF BIT(3)
#define WF_NESTED_EXECONLY BIT(4)
#define WF_NESTED_MBEC_GMET BIT(5)
/* Bits 7:6: EPT largest page 1G, 2M, 4K, 1G. */
#define WF_NESTED_HUGE_SHIFT 6

/* nested_cpu (NPT host): bits 1:0 host mode 4-level, 5-level, PAE, 2-level. */
#define WF_HOST_MODE_MASK 3
#define WF_HOST_AMD BIT(2)
#define WF_HOST_GBPAGES BIT(3)
#define WF_HOST_NO_NX BIT(4)
#define WF_HOST_PSE BIT(5)

/* access */
#define WF_ACCESS_WRITE BIT(0)
#define WF_ACCESS_USER BIT(1)
#define WF_ACCESS_FETCH BIT(2)
#define WF_ACCESS_IMPLICIT BIT(3)
#define WF_ACCESS_AC BIT(4)

/* addr_sel */
#define WF_GVA_MODE_MASK 3 /* canonical, raw, non-canonical, upper half */
#define WF_NGPA_RAW BIT(2)
#define WF_GPA_RAW BIT(3)
#define WF_GPA_IDENTITY BIT(4)
#define WF_POOL_SHIFT 5 /* bits 6:5: pool base */
#define WF_PDPT_OFFSET BIT(7)

/*
 * guest_rights / nested_rights: bits that take rights away from the
 * builder's entries (zero: every right granted).
 *   x86: 0 leaf !W, 1 leaf !U, 2 leaf NX, 3 table !W, 4 table !U,
 *        5 table NX, 6 leaf A and D already set, 7 leaf protection key
 *   EPT: 0 leaf !W, 1 leaf !X, 2 leaf !XU, 3 leaf !R, 4 table !W,
 *        5 table !X, 6 leaf A and D already set, 7 leaf IPAT
 */
#define WF_RIGHT_LEAF_W BIT(0)
#define WF_RIGHT_LEAF_U_X BIT(1)
#define WF_RIGHT_LEAF_NX_XU BIT(2)
#define WF_RIGHT_TABLE_W_LEAF_R BIT(3)
#define WF_RIGHT_TABLE_U_W BIT(4)
#define WF_RIGHT_TABLE_NX_X BIT(5)
#define WF_RIGHT_LEAF_AD BIT(6)
#define WF_RIGHT_LEAF_PKEY_IPAT BIT(7)

struct walk_fuzz_header {
	u8 guest_mode;
	u8 guest_cpu;
	u8 guest_maxphyaddr;
	u8 nested_mode;
	u8 nested_cpu;
	u8 nested_maxphyaddr;
	u8 access;
	u8 pkru[4];
	u8 addr_sel;
	u8 gva[8];
	u8 ngpa[8];
	u8 gpa[8];
	/* Bits 2:0 guest leaf level, 5:3 nested leaf level for tables. */
	u8 leaf_levels;
	/* Bits 2:0 nested leaf level for the final address; 7:4 pkey. */
	u8 final_leaf;
	u8 guest_rights;
	u8 nested_rights;
	/* At most WALK_FUZZ_MAX_MUTATIONS are applied. */
	u8 nr_mutations;
	/*
	 * Another CPU racing with the walk: bits 3:0 pick the N-th A/D
	 * compare-and-exchange (0: none), before which bit race_bit % 32 of
	 * the entry is flipped in memory.  Bits 7:4: a second GVA, mapped
	 * beside the first and walked after it (0: none; WF_NEIGHBOUR_*).
	 */
	u8 race;
	/* Bits 4:0: the bit the race flips.  Bit 7: WF_TABLES_ACCESSED. */
	u8 race_bit;
};

/*
 * race bits 7:4, N > 0: the second GVA is the first with one bit of the
 * table index of level 1 + (N - 1) % L flipped (L the guest's levels, 4
 * without guest paging), the ((N - 1) / L)-th bit of that index, or the
 * top bit of a 32-bit GVA where the index has fewer.
 */
#define WF_RACE_CMPXCHG_MASK 15
#define WF_NEIGHBOUR_SHIFT 4
/* race_bit bit 7: every table entry the builder writes is accessed. */
#define WF_TABLES_ACCESSED BIT(7)

/* Mutation ops (op % WM_COUNT), applied to slot (slot % (entries + 2)):
 * slot 0 is the guest's CR3, slot 1 the nested root. */
enum walk_fuzz_op {
	WM_FLIP_BIT,
	WM_BOUNDARY_BIT,
	WM_CLEAR_PRESENT,
	WM_SET_LOW_BITS,
	WM_MEMTYPE,
	WM_REDIRECT,
	WM_TOGGLE_PS,
	WM_RAW,
	WM_PKEY,
	WM_CLEAR_AD,
	WM_HIGH_ADDRESS,
	WM_SET_AD,
	WM_COUNT,
};

struct walk_fuzz_mutation {
	u8 slot;
	u8 op;
	u8 arg;
	u8 raw[8];
};

#define WALK_FUZZ_MAX_MUTATIONS 16

/* ---- fuzz_mmu ---- */

/*
 * fuzz_mmu reads its input as a stream of decisions, one or two bytes
 * each, in the order the target makes them; past the end of the input
 * they come from a generator seeded with a hash of it.  Only the first
 * bytes have a fixed meaning: this header, then two bytes whose value
 * % 5 picks the guest's paging mode (4-level, 5-level, PAE, 2-level, off).
 */
enum mmu_fuzz_mode {
	MF_TDP_EPT,
	MF_TDP_NPT,
	MF_SHADOW,
	MF_NESTED_EPT,
	MF_NESTED_NPT,
	MF_MODES,
};

/* mode: % MF_MODES, plus */
#define MF_SHADOW_ON_EPT BIT(7) /* shadow paging on an Intel host */
/* host: bits 2:0 MAXPHYADDR (36 39 40 43 46 48 51 52), plus */
#define MF_HOST_GBPAGES BIT(3)
#define MF_HOST_HUGE_SHIFT 4 /* bits 5:4: largest page - 1, % 3 */
#define MF_HOST_RAM_2M BIT(6) /* RAM on 2M host pages */
/* mmu: bits 1:0 the MMU's largest page, that many levels below the host's */
#define MF_MMU_NO_AD BIT(2)
#define MF_MMU_NO_MMIO_CACHING BIT(3)
#define MF_MMU_ROM_2M BIT(4) /* ROM on 2M host pages */
#define MF_MMU_RAM_DIRTY_LOG BIT(5)
#define MF_MMU_ROM_WRITABLE BIT(6)
/* guest: */
#define MF_GUEST_GBPAGES BIT(0)
#define MF_GUEST_MAXPHY_SHIFT \
	1 /* bits 2:1: MAXPHYADDR 4 * n below the host's */

enum mmu_fuzz_guest_mode {
	MF_GUEST_4LEVEL,
	MF_GUEST_5LEVEL,
	MF_GUEST_PAE,
	MF_GUEST_2LEVEL,
	MF_GUEST_OFF,
	MF_GUEST_MODES,
};

struct mmu_fuzz_header {
	u8 mode;
	u8 host;
	u8 mmu;
	u8 guest;
	/* Little-endian, % MF_GUEST_MODES. */
	u8 guest_mode[2];
};

#endif
