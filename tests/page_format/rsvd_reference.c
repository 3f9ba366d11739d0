/*
 * Reference model of rsvd_bits_mask[][] and bad_mt_xwr, one bit at a time,
 * from the layouts of 32-bit, PAE, 4/5-level and EPT paging-structure
 * entries.
 */
#include "rsvd_reference.h"

/* Bit positions named by the entry layouts below. */
#define REF_BIT_RW 1
#define REF_BIT_US 2
#define REF_BIT_A 5
#define REF_BIT_PS 7
#define REF_BIT_G 8
#define REF_BIT_XD 63
#define REF_EPT_BIT_MT_LO 3
#define REF_EPT_BIT_IPAT 6
/* The top bit an entry can hold an address in: 4/5-level and EPT, PAE. */
#define REF_ADDR_TOP_BIT 51
#define REF_PAE_ADDR_TOP_BIT 62
/* The low end of the address field of a large leaf: x86 keeps PAT in 12. */
#define REF_X86_LARGE_ADDR_LO 13
#define REF_EPT_LARGE_ADDR_LO 12
/* The last address bit below a 2M and a 1G alignment. */
#define REF_2M_ALIGN_TOP 20
#define REF_1G_ALIGN_TOP 29
/* A 32-bit PSE-36 4M PDE: bits 16:13 hold address bits 35:32, 21:17 are free. */
#define REF_PSE36_RSVD_LO 17
#define REF_PSE36_RSVD_HI 21

/* EPT permission bits, as in the XWR index of bad_mt_xwr. */
#define REF_EPT_R BIT(0)
#define REF_EPT_W BIT(1)
#define REF_EPT_X BIT(2)

static bool in_range(int bit, int lo, int hi)
{
	return bit >= lo && bit <= hi;
}

/* Address bits the CPU cannot generate, up to the end of the field. */
static bool above_maxphyaddr(const struct cpu_role *role, int bit, int top)
{
	return in_range(bit, role->maxphyaddr, top);
}

/*
 * 32-bit paging: entries are 32 bits wide with no XD bit and no
 * address bit above MAXPHYADDR to check, except in a 4M PDE.  KVM always
 * takes PSE-36 (36-bit 4M pages), whatever MAXPHYADDR says.
 */
static bool ref_32bit_reserved(const struct cpu_role *role, int level, bool ps,
			       int bit)
{
	if (level == PG_LEVEL_2M && ps && role->cr4_pse)
		return in_range(bit, REF_PSE36_RSVD_LO, REF_PSE36_RSVD_HI);
	return false;
}

/*
 * PAE paging: addresses run up to bit 62 and bit 63 is XD.  A PDPTE has
 * no XD, no R/W, U/S, A, D, PS or G (bits 1, 2, 5..8).
 */
static bool ref_pae_reserved(const struct cpu_role *role, int level, bool ps,
			     int bit)
{
	/*
	 * The walker never checks PDPTEs against this table: the PDPTRs are
	 * checked with a mask of their own when they are loaded, and KVM
	 * leaves the PS=1 row (an entry that would be reserved anyway)
	 * empty.
	 */
	if (level == PG_LEVEL_1G && ps)
		return false;

	if (above_maxphyaddr(role, bit, REF_PAE_ADDR_TOP_BIT))
		return true;

	if (level == PG_LEVEL_1G)
		return bit == REF_BIT_XD || bit == REF_BIT_RW ||
		       bit == REF_BIT_US || in_range(bit, REF_BIT_A, REF_BIT_G);

	if (bit == REF_BIT_XD && !role->efer_nx)
		return true;
	if (level == PG_LEVEL_2M && ps)
		return in_range(bit, REF_X86_LARGE_ADDR_LO, REF_2M_ALIGN_TOP);
	return false;
}

/*
 * 4- and 5-level paging: addresses up to bit 51 (62:52 are ignored or the
 * protection key), XD in bit 63.  PML4Es and PML5Es never map a page, and
 * AMD also reserves their G bit; a PDPTE maps 1G only with GBPAGES.
 */
static bool ref_long_mode_reserved(const struct cpu_role *role, int level,
				   bool ps, int bit)
{
	if (above_maxphyaddr(role, bit, REF_ADDR_TOP_BIT))
		return true;
	if (bit == REF_BIT_XD && !role->efer_nx)
		return true;

	switch (level) {
	case PT64_ROOT_5LEVEL:
	case PT64_ROOT_4LEVEL:
		if (bit == REF_BIT_PS)
			return true;
		return bit == REF_BIT_G && role->amd;
	case PG_LEVEL_1G:
		if (bit == REF_BIT_PS && !role->gbpages)
			return true;
		return ps &&
		       in_range(bit, REF_X86_LARGE_ADDR_LO, REF_1G_ALIGN_TOP);
	case PG_LEVEL_2M:
		return ps &&
		       in_range(bit, REF_X86_LARGE_ADDR_LO, REF_2M_ALIGN_TOP);
	default:
		return false;
	}
}

/*
 * EPT: addresses up to bit 51, bits 63:52 ignored or suppress-#VE.  Memory
 * type and IPAT mean something only in a leaf, so they are reserved where
 * no leaf can be; PS is reserved above the largest page the CPU maps.
 */
static bool ref_ept_reserved(const struct cpu_role *role, int level, bool ps,
			     int bit)
{
	bool no_leaf_here;

	if (above_maxphyaddr(role, bit, REF_ADDR_TOP_BIT))
		return true;

	switch (level) {
	case PT64_ROOT_5LEVEL:
	case PT64_ROOT_4LEVEL:
		return in_range(bit, REF_EPT_BIT_MT_LO, REF_BIT_PS);
	case PG_LEVEL_1G:
	case PG_LEVEL_2M:
		no_leaf_here = role->ept_huge_page_level < level;
		if (bit == REF_BIT_PS && no_leaf_here)
			return true;
		if (!ps)
			return in_range(bit, REF_EPT_BIT_MT_LO,
					REF_EPT_BIT_IPAT);
		return in_range(bit, REF_EPT_LARGE_ADDR_LO,
				level == PG_LEVEL_1G ? REF_1G_ALIGN_TOP :
						       REF_2M_ALIGN_TOP);
	default:
		return false;
	}
}

bool reference_bit_reserved(const struct cpu_role *role, int level, bool ps,
			    int bit)
{
	if (level < PG_LEVEL_4K || level > role->level)
		return false;

	if (role->ept)
		return ref_ept_reserved(role, level, ps, bit);

	switch (role->level) {
	case PT32_ROOT_LEVEL:
		return ref_32bit_reserved(role, level, ps, bit);
	case PT32E_ROOT_LEVEL:
		return ref_pae_reserved(role, level, ps, bit);
	default:
		return ref_long_mode_reserved(role, level, ps, bit);
	}
}

/* The memory types an EPT leaf may name; the other encodings are reserved. */
enum ref_ept_memtype {
	REF_MT_UC = 0,
	REF_MT_WC = 1,
	REF_MT_WT = 4,
	REF_MT_WP = 5,
	REF_MT_WB = 6,
};

static bool ref_memtype_reserved(unsigned int memtype)
{
	switch (memtype) {
	case REF_MT_UC:
	case REF_MT_WC:
	case REF_MT_WT:
	case REF_MT_WP:
	case REF_MT_WB:
		return false;
	default:
		return true;
	}
}

bool reference_bad_mt_xwr(bool execonly, unsigned int memtype, unsigned int xwr)
{
	bool r = xwr & REF_EPT_R, w = xwr & REF_EPT_W, x = xwr & REF_EPT_X;

	/*
	 * The memory type is judged even for XWR=000: KVM only asks about
	 * present entries, so a non-present one never reaches the check.
	 */
	if (ref_memtype_reserved(memtype))
		return true;
	/* Writable implies readable. */
	if (w && !r)
		return true;
	/* Execute-only needs the capability. */
	if (x && !r && !execonly)
		return true;
	return false;
}
