/* SPTE encodings of tdp_mmu and shadow_mmu, and their constructors. */
#ifndef MMUSIM_SPTE_H
#define MMUSIM_SPTE_H

#include "walker/guest_memory.h"
#include "walker/page_format.h"

/*
 * Software bits of every SPTE (the CPU ignores them in both formats):
 *   11     MMU-present: the SPTE maps memory or a child table
 *   60:61  A/D type: 0 A/D enabled, 1 A/D disabled (access tracking),
 *          2 write-protect only
 * x86 (shadow paging, NPT): 9 host-writable, 10 MMU-writable.
 * EPT: 53 host-writable, 55 MMU-writable; access tracking saves R, X and
 * XU in 52, 54 and 62.
 */
#define SPTE_MMU_PRESENT_MASK BIT_ULL(11)
#define SPTE_TDP_AD_SHIFT 60
#define SPTE_TDP_AD_MASK GENMASK_ULL(61, 60)
#define SPTE_TDP_AD_ENABLED 0ULL
#define SPTE_TDP_AD_DISABLED (1ULL << SPTE_TDP_AD_SHIFT)
#define SPTE_TDP_AD_WRPROT_ONLY (2ULL << SPTE_TDP_AD_SHIFT)
#define SPTE_BASE_ADDR_MASK GENMASK_ULL(51, 12)

#define X86_SPTE_HOST_WRITABLE BIT_ULL(9)
#define X86_SPTE_MMU_WRITABLE BIT_ULL(10)
#define EPT_SPTE_HOST_WRITABLE BIT_ULL(53)
#define EPT_SPTE_MMU_WRITABLE BIT_ULL(55)
#define EPT_SPTE_SAVED_R BIT_ULL(52)
#define EPT_SPTE_SAVED_X BIT_ULL(54)
#define EPT_SPTE_SAVED_XU BIT_ULL(62)

/*
 * A non-present SPTE holds SHADOW_NONPRESENT_VALUE (bit 63: NX for x86,
 * suppress-#VE for EPT); FROZEN_SPTE marks an SPTE being replaced by
 * tdp_mmu and is never a final value.
 */
#define SHADOW_NONPRESENT_VALUE BIT_ULL(63)
#define FROZEN_SPTE (SHADOW_NONPRESENT_VALUE | 0x1a0ULL)

/*
 * MMIO SPTEs carry 18 bits of the memslot generation: generation bits 6:0
 * in SPTE bits 9:3 and bits 17:7 in SPTE bits 62:52.
 */
#define MMIO_SPTE_GEN_LOW_SHIFT 3
#define MMIO_SPTE_GEN_LOW_MASK GENMASK_ULL(9, 3)
#define MMIO_SPTE_GEN_HIGH_SHIFT 52
#define MMIO_SPTE_GEN_HIGH_MASK GENMASK_ULL(62, 52)
#define MMIO_SPTE_GEN_LOW_BITS 7
#define MMIO_SPTE_GEN_BITS 18
#define MMIO_SPTE_GEN_MASK GENMASK_ULL(MMIO_SPTE_GEN_BITS - 1, 0)

static_assert((SPTE_MMU_PRESENT_MASK &
	       (X86_SPTE_HOST_WRITABLE | X86_SPTE_MMU_WRITABLE)) == 0,
	      "x86 software bits are distinct");
static_assert((SPTE_TDP_AD_MASK &
	       (EPT_SPTE_HOST_WRITABLE | EPT_SPTE_MMU_WRITABLE |
		EPT_SPTE_SAVED_R | EPT_SPTE_SAVED_X | EPT_SPTE_SAVED_XU)) == 0,
	      "EPT software bits are distinct");
static_assert((FROZEN_SPTE &
	       (SPTE_MMU_PRESENT_MASK | EPT_RWX_MASK |
		EPT_USER_EXECUTABLE_MASK | SPTE_BASE_ADDR_MASK)) == 0,
	      "a frozen SPTE is not present and maps nothing");
static_assert(MMIO_SPTE_GEN_LOW_MASK >> MMIO_SPTE_GEN_LOW_SHIFT ==
		      GENMASK_ULL(MMIO_SPTE_GEN_LOW_BITS - 1, 0),
	      "7 low generation bits");
static_assert(
	(MMIO_SPTE_GEN_HIGH_MASK >> MMIO_SPTE_GEN_HIGH_SHIFT) ==
		GENMASK_ULL(MMIO_SPTE_GEN_BITS - MMIO_SPTE_GEN_LOW_BITS - 1, 0),
	"11 high generation bits");

/*
 * The bits an SPTE format uses, as KVM's shadow_*_mask variables:
 * kvm_mmu_reset_all_pte_masks() for x86 and kvm_mmu_set_ept_masks() for
 * EPT.  A/D disabled (EPT without A/D) makes accessed_mask and dirty_mask
 * zero: leaves are then access-tracked.
 */
struct spte_masks {
	bool ept;
	bool ad_enabled;
	u64 present_mask;
	u64 user_mask;
	u64 accessed_mask;
	u64 dirty_mask;
	u64 nx_mask;
	u64 xs_mask;
	u64 xu_mask;
	u64 host_writable_mask;
	u64 mmu_writable_mask;
	u64 acc_track_mask;
	/* Leaf memory type bits (EPT: WB and IPAT). */
	u64 memtype_mask;
	/* An SPTE is MMIO when (spte & mmio_mask) == mmio_value. */
	u64 mmio_value;
	u64 mmio_mask;
	u64 mmio_access_mask;
};

void spte_masks_init(struct spte_masks *m, bool ept, bool ad_enabled,
		     u8 host_maxphyaddr);

static inline bool is_shadow_present_pte(u64 spte)
{
	return spte & SPTE_MMU_PRESENT_MASK;
}

static inline bool is_mmio_spte(const struct spte_masks *m, u64 spte)
{
	return m->mmio_value && (spte & m->mmio_mask) == m->mmio_value;
}

static inline bool is_frozen_spte(u64 spte)
{
	return spte == FROZEN_SPTE;
}

static inline bool is_large_pte(u64 spte)
{
	return spte & PT_PAGE_SIZE_MASK;
}

static inline bool is_last_spte(u64 spte, int level)
{
	return level == PG_LEVEL_4K || is_large_pte(spte);
}

static inline bool is_writable_pte(u64 spte)
{
	return spte & PT_WRITABLE_MASK;
}

static inline bool is_mmu_writable_spte(const struct spte_masks *m, u64 spte)
{
	return spte & m->mmu_writable_mask;
}

static inline bool spte_ad_enabled(u64 spte)
{
	return (spte & SPTE_TDP_AD_MASK) != SPTE_TDP_AD_DISABLED;
}

static inline bool is_access_track_spte(const struct spte_masks *m, u64 spte)
{
	return !spte_ad_enabled(spte) && !(spte & m->acc_track_mask);
}

static inline u64 spte_to_pfn(u64 spte)
{
	return (spte & SPTE_BASE_ADDR_MASK) >> PAGE_SHIFT;
}

/*
 * Writable states (host-writable, MMU-writable, W): (1,1,1) writable;
 * (1,1,0) write-protected for dirty logging or access tracking, fixable by
 * the fast path; (1,0,0) write-protected because a guest page table lives
 * there; (0,0,0) read-only memory.  MMU-writable needs host-writable, and
 * W needs MMU-writable.
 */
static inline bool spte_writable_invariants_hold(const struct spte_masks *m,
						 u64 spte)
{
	if ((spte & m->mmu_writable_mask) && !(spte & m->host_writable_mask))
		return false;
	if (!(spte & m->mmu_writable_mask) && is_writable_pte(spte))
		return false;
	return true;
}

/* The ACC_* rights an SPTE grants, for its kvm_page_format's permissions. */
unsigned int spte_access(const struct spte_masks *m, u64 spte);

/*
 * What make_spte() needs besides the rights: the frame, the level, whether
 * the host maps the page writable, and whether the gfn may be mapped
 * writable now (false while a guest page table lives there and it cannot
 * be unsynced: the SPTE is then built write-protected).
 */
struct spte_request {
	u64 pfn;
	int level;
	unsigned int access;
	bool host_writable;
	bool allow_writable;
	bool prefetch;
	bool ad_disabled;
};

/*
 * A leaf SPTE, as KVM's make_spte(); *@wrprot tells whether write access
 * was asked for but refused.  The result is checked against @fmt:
 * a reserved bit set here is a simulator bug (MMU_WARN_ON).
 */
u64 make_spte(const struct spte_masks *m, const struct kvm_page_format *fmt,
	      const struct spte_request *req, bool *wrprot);
/* A non-leaf SPTE pointing at the table at @child_hpa: all rights. */
u64 make_nonleaf_spte(const struct spte_masks *m, u64 child_hpa,
		      bool ad_disabled);
/* An MMIO SPTE for @gfn with @access and the memslot @generation. */
u64 make_mmio_spte(const struct spte_masks *m, u64 gfn, unsigned int access,
		   u64 generation);
u64 get_mmio_spte_gfn(const struct spte_masks *m, u64 spte);
unsigned int get_mmio_spte_access(const struct spte_masks *m, u64 spte);
u64 get_mmio_spte_generation(u64 spte);

/* The @index-th piece (one level down) of the huge SPTE @huge at @level. */
u64 make_small_spte(u64 huge, int level, unsigned int index);
/* A huge SPTE at @level from the first small leaf below it. */
u64 make_huge_spte(u64 small, int level);

/* Clear A (A/D enabled) or save and clear R/X/XU (access tracking). */
u64 mark_spte_for_access_track(const struct spte_masks *m, u64 spte);
u64 restore_acc_track_spte(const struct spte_masks *m, u64 spte);

#endif
