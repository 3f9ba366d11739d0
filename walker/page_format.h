/* struct kvm_page_format: how to interpret one kind of page-table entry. */
#ifndef MMUSIM_PAGE_FORMAT_H
#define MMUSIM_PAGE_FORMAT_H

#include "walker/paging.h"

/*
 * Page-fault error code bits (PFEC).  Bits 32 and 33 are the NPF
 * exit_info_1 bits for a fault on the final GPA or on a paging-structure
 * access; bit 48 is KVM-synthetic and marks an implicit supervisor access,
 * which the SMAP override (RFLAGS.AC) does not apply to.
 */
#define PFERR_PRESENT_MASK BIT_ULL(0)
#define PFERR_WRITE_MASK BIT_ULL(1)
#define PFERR_USER_MASK BIT_ULL(2)
#define PFERR_RSVD_MASK BIT_ULL(3)
#define PFERR_FETCH_MASK BIT_ULL(4)
#define PFERR_PK_MASK BIT_ULL(5)
#define PFERR_GUEST_FINAL_MASK BIT_ULL(32)
#define PFERR_GUEST_PAGE_MASK BIT_ULL(33)
#define PFERR_IMPLICIT_ACCESS BIT_ULL(48)

/* permissions[] is indexed by PFEC bits 4:1: W, U, RSVD (SMAP overridden), F. */
#define PFERR_PERM_INDEX_SHIFT 1
#define PERM_INDEX_WRITE BIT(0)
#define PERM_INDEX_USER BIT(1)
#define PERM_INDEX_SMAP_OVERRIDE BIT(2)
#define PERM_INDEX_FETCH BIT(3)
#define PERM_INDEX_COUNT 16
static_assert(PERM_INDEX_WRITE == PFERR_WRITE_MASK >> PFERR_PERM_INDEX_SHIFT,
	      "permission index W");
static_assert(PERM_INDEX_USER == PFERR_USER_MASK >> PFERR_PERM_INDEX_SHIFT,
	      "permission index U");
static_assert(PERM_INDEX_SMAP_OVERRIDE ==
		      PFERR_RSVD_MASK >> PFERR_PERM_INDEX_SHIFT,
	      "permission index RSVD");
static_assert(PERM_INDEX_FETCH == PFERR_FETCH_MASK >> PFERR_PERM_INDEX_SHIFT,
	      "permission index F");

/*
 * Access rights in KVM's format after MBEC: the AND of the rights of every
 * level of a walk.  ACC_READ is the present bit of a non-EPT entry and the R
 * bit of an EPT entry; ACC_USER doubles as EPT's user-execute (XU) right.
 */
#define ACC_READ_MASK BIT(0)
#define ACC_WRITE_MASK BIT(1)
#define ACC_USER_MASK BIT(2)
#define ACC_USER_EXEC_MASK ACC_USER_MASK
#define ACC_EXEC_MASK BIT(3)
#define ACC_ALL (ACC_READ_MASK | ACC_WRITE_MASK | ACC_USER_MASK | ACC_EXEC_MASK)
#define ACC_COMBINATIONS 16

/*
 * The pre-MBEC (Linux <= 7.0) encoding, for comparison: 8-bit permission
 * entries, ACC_EXEC aliases the present bit, and EPT's "readable" lives in
 * ACC_USER (EPT reads are signalled with PFERR_USER_MASK).
 */
#define LEGACY_ACC_EXEC_MASK BIT(0)
#define LEGACY_ACC_WRITE_MASK BIT(1)
#define LEGACY_ACC_USER_MASK BIT(2)
#define LEGACY_ACC_ALL \
	(LEGACY_ACC_EXEC_MASK | LEGACY_ACC_WRITE_MASK | LEGACY_ACC_USER_MASK)
#define LEGACY_ACC_COMBINATIONS 8

/*
 * x86 (non-EPT) paging-structure entry:
 *   0 P  1 R/W  2 U/S  3 PWT  4 PCD  5 A  6 D (leaf)  7 PS (non-4K) or PAT (4K)
 *   8 G  12 PAT (large leaf)  51:12 address  62:59 protection key (leaf)  63 XD
 */
#define PT_PRESENT_MASK BIT_ULL(0)
#define PT_WRITABLE_MASK BIT_ULL(1)
#define PT_USER_MASK BIT_ULL(2)
#define PT_PWT_MASK BIT_ULL(3)
#define PT_PCD_MASK BIT_ULL(4)
#define PT_ACCESSED_SHIFT 5
#define PT_ACCESSED_MASK BIT_ULL(PT_ACCESSED_SHIFT)
#define PT_DIRTY_SHIFT 6
#define PT_DIRTY_MASK BIT_ULL(PT_DIRTY_SHIFT)
#define PT_PAGE_SIZE_SHIFT 7
#define PT_PAGE_SIZE_MASK BIT_ULL(PT_PAGE_SIZE_SHIFT)
#define PT_GLOBAL_MASK BIT_ULL(8)
#define PT_PKEY_SHIFT 59
#define PT_PKEY_MASK GENMASK_ULL(62, 59)
#define PT64_NX_SHIFT 63
#define PT64_NX_MASK BIT_ULL(PT64_NX_SHIFT)
#define PT_BASE_ADDR_MASK GENMASK_ULL(51, 12)
/* PSE-36: bits 16:13 of a 4M PDE are physical-address bits 35:32. */
#define PT32_DIR_PSE36_MASK GENMASK_ULL(16, 13)
#define PT32_DIR_PSE36_SHIFT 13
/* AMD reserves bit 8 (G) in non-leaf PML4Es and PML5Es. */
#define PT_AMD_NONLEAF_RSVD_MASK BIT_ULL(8)

static_assert(ACC_READ_MASK == PT_PRESENT_MASK, "ACC_READ is the P bit");
static_assert(ACC_WRITE_MASK == PT_WRITABLE_MASK, "ACC_WRITE is the R/W bit");
static_assert(ACC_USER_MASK == PT_USER_MASK, "ACC_USER is the U/S bit");

/*
 * EPT paging-structure entry:
 *   0 R  1 W  2 X (supervisor X with MBEC)  5:3 memory type (leaf)  6 IPAT
 *   7 PS  8 A  9 D (leaf)  10 XU (user execute, MBEC)  51:12 address
 *   63 suppress #VE
 */
#define EPT_READABLE_MASK BIT_ULL(0)
#define EPT_WRITABLE_MASK BIT_ULL(1)
#define EPT_EXECUTABLE_MASK BIT_ULL(2)
#define EPT_RWX_MASK GENMASK_ULL(2, 0)
#define EPT_MT_SHIFT 3
#define EPT_MT_MASK GENMASK_ULL(5, 3)
#define EPT_IPAT_MASK BIT_ULL(6)
#define EPT_ACCESSED_SHIFT 8
#define EPT_ACCESSED_MASK BIT_ULL(EPT_ACCESSED_SHIFT)
#define EPT_DIRTY_SHIFT 9
#define EPT_DIRTY_MASK BIT_ULL(EPT_DIRTY_SHIFT)
#define EPT_USER_EXECUTABLE_MASK BIT_ULL(10)
#define EPT_SUPPRESS_VE_MASK BIT_ULL(63)
/* bad_mt_xwr is indexed by entry bits 5:0: memory type * 8 + XWR. */
#define EPT_MT_XWR_MASK GENMASK_ULL(5, 0)
/* EPTP: memory type 2:0, page-walk length - 1 in 5:3, A/D enable 6. */
#define EPTP_MT_MASK GENMASK_ULL(2, 0)
#define EPTP_PWL_SHIFT 3
#define EPTP_PWL_MASK GENMASK_ULL(5, 3)
#define EPTP_AD_ENABLE_MASK BIT_ULL(6)

static_assert(EPT_MT_XWR_MASK == (EPT_MT_MASK | EPT_RWX_MASK),
	      "bad_mt_xwr index covers memory type and XWR");
static_assert(PT_PAGE_SIZE_MASK == BIT_ULL(7), "PS is bit 7 in both formats");

#define PHYS_ADDR_BITS_MIN 32
#define PHYS_ADDR_BITS_MAX 52

/*
 * The inputs a kvm_page_format is built from: the parts of a CPU role (in
 * KVM, union kvm_cpu_role or the root role of an MMU) and of the CPUID that
 * change how an entry is read.  One struct describes every format:
 *
 *  - a guest's CR3 tables (gva_walk): level from CR0.PG/CR4.PAE/EFER.LMA/
 *    CR4.LA57, and the CR0/CR4/EFER bits as the guest set them;
 *  - a nested stage (ngpa_walk) with tdp set: EPT (ept set), or NPT, which
 *    walks in L1's host paging mode;
 *  - the SPTE formats of tdp_mmu and shadow_mmu (built in mmu/).
 *
 * As in KVM, cr4_smep carries MBEC for EPT and GMET for NPT: in both cases
 * it is what makes "supervisor" fetches from user pages (or XU=0 pages)
 * fault.
 */
struct cpu_role {
	/* 0: paging off; 2: 32-bit; 3: PAE; 4, 5: 4- and 5-level; EPT: 4, 5. */
	u8 level;
	/* Physical-address width of the addresses held in the entries. */
	u8 maxphyaddr;
	bool ept;
	bool tdp;
	bool amd;
	bool gbpages;
	bool cr0_wp;
	bool cr4_pse;
	bool cr4_smep;
	bool cr4_smap;
	/* CR4.PKE && EFER.LMA: protection keys are checked. */
	bool cr4_pke;
	bool efer_nx;
	/* EPT: execute-only entries (XWR = 100) are allowed. */
	bool ept_execonly;
	/* EPT: A/D bits disabled in the EPTP. */
	bool ept_ad_disabled;
	/* EPT: largest leaf level allowed (PG_LEVEL_4K..PG_LEVEL_1G). */
	u8 ept_huge_page_level;
};

/*
 * How to interpret one kind of page-table entry, for one CPU role.
 *
 * rsvd_bits_mask[bit 7 of the entry][level - 1]: the bits that must be
 * zero; bad_mt_xwr (EPT only): bit (entry & 0x3f) set means an illegal
 * memory type or XWR combination.  permissions[PFEC >> 1]: bit N set means
 * an access with that PFEC to an entry whose accumulated ACC_* rights are N
 * faults.  pkru_mask: two bits per PFEC value (with PFEC.RSVD standing for
 * the leaf's U bit) selecting which of PKRU's AD/WD bits apply.
 *
 * A kvm_pagewalk holds one for the guest entries it reads; an MMU holds one
 * for the SPTEs it writes, so that every SPTE can be checked like a gPTE.
 */
struct kvm_page_format {
	u64 rsvd_bits_mask[2][PT64_ROOT_MAX_LEVEL];
	u64 bad_mt_xwr;
	u32 pkru_mask;
	u16 permissions[PERM_INDEX_COUNT];
};

/* The pre-MBEC permission table: 8-bit entries over LEGACY_ACC_* values. */
struct legacy_permissions {
	u8 permissions[PERM_INDEX_COUNT];
};

/* Bits s..e inclusive, 0 when e < s: KVM's rsvd_bits(). */
static inline u64 rsvd_bits(int s, int e)
{
	if (e < s)
		return 0;
	return GENMASK_ULL(e & 63, s);
}

/* Set every table of @fmt for @role; -EINVAL for a role no CPU can have. */
int kvm_page_format_init(struct kvm_page_format *fmt,
			 const struct cpu_role *role);
/* -EINVAL when @role names an unknown mode or an impossible combination. */
int cpu_role_validate(const struct cpu_role *role);

void reset_rsvds_bits_mask(struct kvm_page_format *fmt,
			   const struct cpu_role *role);
/* KVM's algorithm: 16 iterations over the PFEC indexes. */
void update_permission_bitmask(struct kvm_page_format *fmt,
			       const struct cpu_role *role);
/* mmusim's fast path: one copy from a table keyed by the role bits. */
void update_permission_bitmask_fast(struct kvm_page_format *fmt,
				    const struct cpu_role *role);
/* KVM's pre-MBEC algorithm, 8-bit entries. */
void update_legacy_permission_bitmask(struct legacy_permissions *perm,
				      const struct cpu_role *role);
void update_pkru_bitmask(struct kvm_page_format *fmt,
			 const struct cpu_role *role);

static inline u64 get_rsvd_bits(const struct kvm_page_format *fmt, u64 pte,
				int level)
{
	return fmt->rsvd_bits_mask[(pte >> PT_PAGE_SIZE_SHIFT) & 1][level - 1];
}

static inline bool __is_rsvd_bits_set(const struct kvm_page_format *fmt,
				      u64 pte, int level)
{
	MMU_WARN_ON(level < 1 || level > PT64_ROOT_MAX_LEVEL);
	return pte & get_rsvd_bits(fmt, pte, level);
}

/*
 * Always inline: a few instructions, which the walks' entry checks
 * (fast_entry_ok()) take at every EPT entry that misses its slot; the
 * compiler left it out of line in the larger walks, where the call cost
 * more than the check.
 */
static __attribute__((always_inline)) inline bool
__is_bad_mt_xwr(const struct kvm_page_format *fmt, u64 pte)
{
	/* With MBEC, XU counts as X: XU without R is as bad as X without R. */
	if (pte & EPT_USER_EXECUTABLE_MASK)
		pte |= EPT_EXECUTABLE_MASK;
	return fmt->bad_mt_xwr & BIT_ULL(pte & EPT_MT_XWR_MASK);
}

static inline bool is_rsvd_spte(const struct kvm_page_format *fmt, u64 spte,
				int level)
{
	return __is_bad_mt_xwr(fmt, spte) ||
	       __is_rsvd_bits_set(fmt, spte, level);
}

/*
 * Checked form of is_rsvd_spte() for outside input: 0 with *@rsvd set when
 * @pte has a reserved bit or a bad memory type/XWR combination at @level,
 * or -EINVAL for a level outside 1..5.
 */
int page_format_check_entry(const struct kvm_page_format *fmt, u64 pte,
			    int level, bool *rsvd);

/*
 * The permission check of a walk: 0 when the access is allowed, else the
 * page-fault error code (P, plus PK when a protection key denied it).
 * @pte_access: ACC_* rights ANDed over the levels; @pte_pkey: the leaf's
 * protection key; @access: PFEC-style W/U/F plus PFERR_IMPLICIT_ACCESS;
 * @rflags_ac: RFLAGS.AC; @pkru: the PKRU register.
 */
u16 permission_fault(const struct kvm_page_format *fmt, unsigned int pte_access,
		     unsigned int pte_pkey, u64 access, bool rflags_ac,
		     u32 pkru);

/*
 * permission_fault() with its common case inline: without protection keys
 * (pkru_mask 0) the check is one lookup in permissions[].  Same result.
 */
static inline u16 permission_fault_inline(const struct kvm_page_format *fmt,
					  unsigned int pte_access,
					  unsigned int pte_pkey, u64 access,
					  bool rflags_ac, u32 pkru)
{
	u32 pfec = (u32)access;
	bool smap_overridden = rflags_ac && !(access & PFERR_IMPLICIT_ACCESS);
	unsigned int index;

	if (unlikely(fmt->pkru_mask))
		return permission_fault(fmt, pte_access, pte_pkey, access,
					rflags_ac, pkru);
	MMU_WARN_ON(pfec & (PFERR_PK_MASK | PFERR_RSVD_MASK));
	MMU_WARN_ON(pte_access > ACC_ALL);
	index = ((pfec | (smap_overridden ? PFERR_RSVD_MASK : 0)) >>
		 PFERR_PERM_INDEX_SHIFT) &
		(PERM_INDEX_COUNT - 1);
	return ((fmt->permissions[index] >> pte_access) & 1) ?
		       PFERR_PRESENT_MASK :
		       0;
}

#endif
