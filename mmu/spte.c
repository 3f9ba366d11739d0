/* SPTE masks and constructors, as KVM's spte.c. */
#include "mmu/spte.h"

#define EPT_XWR_WX (EPT_WRITABLE_MASK | EPT_EXECUTABLE_MASK)

void spte_masks_init(struct spte_masks *m, bool ept, bool ad_enabled,
		     u8 host_maxphyaddr)
{
	*m = (struct spte_masks){ .ept = ept, .ad_enabled = ad_enabled };

	if (ept) {
		m->present_mask = EPT_SUPPRESS_VE_MASK;
		m->accessed_mask = ad_enabled ? EPT_ACCESSED_MASK : 0;
		m->dirty_mask = ad_enabled ? EPT_DIRTY_MASK : 0;
		m->xs_mask = EPT_EXECUTABLE_MASK;
		m->xu_mask = EPT_USER_EXECUTABLE_MASK;
		m->host_writable_mask = EPT_SPTE_HOST_WRITABLE;
		m->mmu_writable_mask = EPT_SPTE_MMU_WRITABLE;
		m->acc_track_mask = EPT_RWX_MASK | EPT_USER_EXECUTABLE_MASK;
		/* EPT leaves map RAM write-back, ignoring the guest PAT. */
		m->memtype_mask = (MTRR_TYPE_WRBACK << EPT_MT_SHIFT) |
				  EPT_IPAT_MASK;
		/* W+X without R: an EPT misconfiguration on every access. */
		m->mmio_value = EPT_XWR_WX;
		m->mmio_mask = EPT_RWX_MASK | EPT_SUPPRESS_VE_MASK;
		m->mmio_access_mask = 0;
		return;
	}

	m->present_mask = PT_PRESENT_MASK;
	m->user_mask = PT_USER_MASK;
	m->accessed_mask = PT_ACCESSED_MASK;
	m->dirty_mask = PT_DIRTY_MASK;
	m->nx_mask = PT64_NX_MASK;
	m->host_writable_mask = X86_SPTE_HOST_WRITABLE;
	m->mmu_writable_mask = X86_SPTE_MMU_WRITABLE;
	/* Bit 51 is reserved below 52 physical-address bits: a RSVD fault. */
	if (host_maxphyaddr < PHYS_ADDR_BITS_MAX) {
		m->mmio_value = BIT_ULL(51) | PT_PRESENT_MASK;
		m->mmio_mask = m->mmio_value;
	}
	m->mmio_access_mask = ACC_WRITE_MASK | ACC_USER_MASK;
}

unsigned int spte_access(const struct spte_masks *m, u64 spte)
{
	unsigned int access = 0;

	if (spte & PT_PRESENT_MASK)
		access |= ACC_READ_MASK;
	if (spte & PT_WRITABLE_MASK)
		access |= ACC_WRITE_MASK;
	if (m->nx_mask) {
		if (!(spte & m->nx_mask))
			access |= ACC_EXEC_MASK;
		if (spte & m->user_mask)
			access |= ACC_USER_MASK;
	} else {
		if (spte & m->xs_mask)
			access |= ACC_EXEC_MASK;
		if (spte & m->xu_mask)
			access |= ACC_USER_EXEC_MASK;
	}
	return access;
}

u64 mark_spte_for_access_track(const struct spte_masks *m, u64 spte)
{
	if (spte_ad_enabled(spte))
		return spte & ~m->accessed_mask;
	if (is_access_track_spte(m, spte))
		return spte;

	if (m->ept) {
		spte |= (spte & EPT_READABLE_MASK) ? EPT_SPTE_SAVED_R : 0;
		spte |= (spte & EPT_EXECUTABLE_MASK) ? EPT_SPTE_SAVED_X : 0;
		spte |= (spte & EPT_USER_EXECUTABLE_MASK) ? EPT_SPTE_SAVED_XU :
							    0;
	}
	return spte & ~(m->acc_track_mask | m->accessed_mask);
}

u64 restore_acc_track_spte(const struct spte_masks *m, u64 spte)
{
	if (!m->ept || !is_access_track_spte(m, spte))
		return spte;
	spte |= (spte & EPT_SPTE_SAVED_R) ? EPT_READABLE_MASK : 0;
	spte |= (spte & EPT_SPTE_SAVED_X) ? EPT_EXECUTABLE_MASK : 0;
	spte |= (spte & EPT_SPTE_SAVED_XU) ? EPT_USER_EXECUTABLE_MASK : 0;
	return spte &
	       ~(EPT_SPTE_SAVED_R | EPT_SPTE_SAVED_X | EPT_SPTE_SAVED_XU);
}

u64 make_spte(const struct spte_masks *m, const struct kvm_page_format *fmt,
	      const struct spte_request *req, bool *wrprot)
{
	unsigned int access = req->access;
	u64 spte = SPTE_MMU_PRESENT_MASK;

	*wrprot = false;
	MMU_WARN_ON(req->level < PG_LEVEL_4K || req->level > PG_LEVEL_1G);
	MMU_WARN_ON(req->pfn & (pages_per_hpage(req->level) - 1));

	if (req->ad_disabled)
		spte |= SPTE_TDP_AD_DISABLED;
	spte |= m->present_mask;
	if (!req->prefetch)
		spte |= m->accessed_mask;
	if (access & ACC_READ_MASK)
		spte |= PT_PRESENT_MASK;
	if (m->nx_mask) {
		if (!(access & ACC_EXEC_MASK))
			spte |= m->nx_mask;
		if (access & ACC_USER_MASK)
			spte |= m->user_mask;
	} else {
		if (access & ACC_EXEC_MASK)
			spte |= m->xs_mask;
		if (access & ACC_USER_EXEC_MASK)
			spte |= m->xu_mask;
	}
	if (req->level > PG_LEVEL_4K)
		spte |= PT_PAGE_SIZE_MASK;
	spte |= m->memtype_mask;
	if (req->host_writable)
		spte |= m->host_writable_mask;
	else
		access &= ~ACC_WRITE_MASK;
	spte |= req->pfn << PAGE_SHIFT;

	if (access & ACC_WRITE_MASK) {
		if (!req->allow_writable)
			*wrprot = true;
		else
			spte |= PT_WRITABLE_MASK | m->mmu_writable_mask |
				m->dirty_mask;
	}

	if (req->prefetch)
		spte = mark_spte_for_access_track(m, spte);

	MMU_WARN_ON(is_rsvd_spte(fmt, spte, req->level));
	MMU_WARN_ON(!spte_writable_invariants_hold(m, spte));
	return spte;
}

u64 make_nonleaf_spte(const struct spte_masks *m, u64 child_hpa,
		      bool ad_disabled)
{
	MMU_WARN_ON(child_hpa & PAGE_OFFSET_MASK);
	return SPTE_MMU_PRESENT_MASK | child_hpa | m->present_mask |
	       PT_WRITABLE_MASK | PT_PRESENT_MASK | m->user_mask | m->xs_mask |
	       m->xu_mask |
	       (ad_disabled ? SPTE_TDP_AD_DISABLED : m->accessed_mask);
}

static u64 generation_to_spte(u64 generation)
{
	u64 low = generation & GENMASK_ULL(MMIO_SPTE_GEN_LOW_BITS - 1, 0);
	u64 high = generation >> MMIO_SPTE_GEN_LOW_BITS;

	return (low << MMIO_SPTE_GEN_LOW_SHIFT) |
	       (high << MMIO_SPTE_GEN_HIGH_SHIFT);
}

u64 make_mmio_spte(const struct spte_masks *m, u64 gfn, unsigned int access,
		   u64 generation)
{
	u64 spte = generation_to_spte(generation & MMIO_SPTE_GEN_MASK);

	MMU_WARN_ON(!m->mmio_value);
	spte |= m->mmio_value | (access & m->mmio_access_mask);
	spte |= gfn_to_gpa(gfn) & SPTE_BASE_ADDR_MASK;
	MMU_WARN_ON(!is_mmio_spte(m, spte));
	return spte;
}

u64 get_mmio_spte_gfn(const struct spte_masks *m, u64 spte)
{
	u64 gfn_mask = SPTE_BASE_ADDR_MASK & ~m->mmio_mask;

	return (spte & gfn_mask) >> PAGE_SHIFT;
}

unsigned int get_mmio_spte_access(const struct spte_masks *m, u64 spte)
{
	return spte & m->mmio_access_mask;
}

u64 get_mmio_spte_generation(u64 spte)
{
	return ((spte & MMIO_SPTE_GEN_LOW_MASK) >> MMIO_SPTE_GEN_LOW_SHIFT) |
	       ((spte & MMIO_SPTE_GEN_HIGH_MASK) >>
		(MMIO_SPTE_GEN_HIGH_SHIFT - MMIO_SPTE_GEN_LOW_BITS));
}

u64 make_small_spte(u64 huge, int level, unsigned int index)
{
	int child_level = level - 1;
	u64 child;

	MMU_WARN_ON(!is_large_pte(huge) || level <= PG_LEVEL_4K);
	child = huge | ((u64)index * pages_per_hpage(child_level))
			       << PAGE_SHIFT;
	if (child_level == PG_LEVEL_4K)
		child &= ~PT_PAGE_SIZE_MASK;
	return child;
}

u64 make_huge_spte(u64 small, int level)
{
	u64 hpage_mask = ~((pages_per_hpage(level) << PAGE_SHIFT) - 1);

	return (small | PT_PAGE_SIZE_MASK) & (hpage_mask | PAGE_OFFSET_MASK);
}
