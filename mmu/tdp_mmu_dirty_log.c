/*
 * tdp_mmu's dirty logging: write-protecting and clearing the dirty state
 * of a memslot, eager splitting of huge pages, and their recovery once
 * logging stops (KVM keeps these in tdp_mmu.c).
 */
#include <errno.h>

#include "mmu/tdp_iter.h"
#include "mmu/tdp_mmu.h"

/*
 * Clear W in the present leaves of [@start, @end) at @min_level and above,
 * keeping MMU-writable: the next write takes the fast path, which sets W
 * again (and logs the page).
 */
static bool wrprot_gfn_range(struct mmu_context *mmu, struct kvm_mmu_page *root,
			     u64 start, u64 end, int min_level)
{
	struct tdp_iter iter;
	bool spte_set = false;

	for_each_tdp_pte_min_level(iter, mmu, root, min_level, start, end) {
		if (!is_shadow_present_pte(iter.old_spte) ||
		    !is_last_spte(iter.old_spte, iter.level) ||
		    !is_writable_pte(iter.old_spte))
			continue;

		tdp_mmu_iter_set_spte(mmu, &iter,
				      iter.old_spte & ~PT_WRITABLE_MASK);
		spte_set = true;
	}
	return spte_set;
}

/*
 * Write-protect @slot for dirty logging.  Returns whether an SPTE
 * changed: the caller flushes, since writable translations may be cached.
 */
bool tdp_mmu_wrprot_slot(struct mmu_context *mmu,
			 const struct kvm_memory_slot *slot, int min_level)
{
	struct kvm_mmu_page *root;
	bool spte_set = false;
	int i;

	MMU_WARN_ON(min_level < PG_LEVEL_4K || min_level > PG_LEVEL_1G);
	for_each_tdp_mmu_root(mmu, root, i)
		spte_set |= wrprot_gfn_range(mmu, root, slot->base_gfn,
					     slot->base_gfn + slot->npages,
					     min_level);
	return spte_set;
}

/*
 * Clear the dirty state of the present leaves of [@start, @end): the D
 * bit, or W where dirty state is tracked by write protection (A/D
 * disabled).
 */
static bool clear_dirty_gfn_range(struct mmu_context *mmu,
				  struct kvm_mmu_page *root, u64 start, u64 end)
{
	const struct spte_masks *m = &mmu->tdp_masks;
	bool need_write_protect = root->role.ad_disabled ||
				  !tdp_mmu_ad_enabled(mmu);
	const u64 dbit = need_write_protect ? PT_WRITABLE_MASK : m->dirty_mask;
	struct tdp_iter iter;
	bool spte_set = false;

	for_each_tdp_pte(iter, mmu, root, start, end) {
		if (!is_shadow_present_pte(iter.old_spte) ||
		    !is_last_spte(iter.old_spte, iter.level))
			continue;

		/* Only SPTEs with A/D bits have a D bit to clear. */
		MMU_WARN_ON(dbit == m->dirty_mask &&
			    !spte_ad_enabled(iter.old_spte));
		if (!(iter.old_spte & dbit))
			continue;

		tdp_mmu_iter_set_spte(mmu, &iter, iter.old_spte & ~dbit);
		spte_set = true;
	}
	return spte_set;
}

/* Returns whether an SPTE changed; the caller flushes. */
bool tdp_mmu_clear_dirty_slot(struct mmu_context *mmu,
			      const struct kvm_memory_slot *slot)
{
	struct kvm_mmu_page *root;
	bool spte_set = false;
	int i;

	for_each_tdp_mmu_root(mmu, root, i)
		spte_set |=
			clear_dirty_gfn_range(mmu, root, slot->base_gfn,
					      slot->base_gfn + slot->npages);
	return spte_set;
}

/*
 * Split every huge leaf of [@start, @end) in @root above @target_level.
 * The iteration is pre-order, so the 2M pieces of a split 1G page are
 * visited, and split, right after it.
 */
static int tdp_mmu_split_huge_pages_root(struct mmu_context *mmu,
					 struct kvm_mmu_page *root, u64 start,
					 u64 end, int target_level)
{
	struct kvm_mmu_page *sp;
	struct tdp_iter iter;

	for_each_tdp_pte_min_level(iter, mmu, root, target_level + 1, start,
				   end) {
		if (!is_shadow_present_pte(iter.old_spte) ||
		    !is_large_pte(iter.old_spte))
			continue;

		sp = tdp_mmu_alloc_child_sp(mmu, &iter);
		if (!sp)
			return -ENOMEM;
		tdp_mmu_split_huge_page(mmu, &iter, sp);
	}
	return 0;
}

/*
 * Eager page splitting: map [@start, @end) with pages of at most
 * @target_level in every root.  No flush: the translations stay the same.
 */
int tdp_mmu_split_huge_pages(struct mmu_context *mmu, u64 start, u64 end,
			     int target_level)
{
	struct kvm_mmu_page *root;
	int i, r;

	if (target_level < PG_LEVEL_4K || target_level > PG_LEVEL_1G ||
	    start > end)
		return -EINVAL;
	for_each_tdp_mmu_root(mmu, root, i) {
		r = tdp_mmu_split_huge_pages_root(mmu, root, start, end,
						  target_level);
		if (r)
			return r;
	}
	return 0;
}

/*
 * The huge SPTE for what the table under @parent maps, made from the
 * first leaf below it (KVM's tdp_mmu_make_huge_spte()); -ENOENT when the
 * table maps nothing.  mmu_max_mapping_level() allowed the huge page, so
 * the frames are contiguous and every leaf has the same rights but for
 * dirty-logging write protection, which the huge SPTE may keep.
 */
static int tdp_mmu_make_huge_spte(struct mmu_context *mmu,
				  const struct tdp_iter *parent, u64 *huge_spte)
{
	struct kvm_mmu_page *child = spte_to_child_sp(mmu, parent->old_spte);
	u64 start = parent->gfn;
	u64 end = start + pages_per_hpage(parent->level);
	struct tdp_iter iter;

	for_each_tdp_pte(iter, mmu, child, start, end) {
		if (!is_shadow_present_pte(iter.old_spte) ||
		    !is_last_spte(iter.old_spte, iter.level))
			continue;
		*huge_spte = make_huge_spte(iter.old_spte, parent->level);
		return 0;
	}
	return -ENOENT;
}

static bool recover_huge_pages_root(struct mmu_context *mmu,
				    struct kvm_mmu_page *root,
				    struct kvm_memory_slot *slot)
{
	u64 start = slot->base_gfn, end = start + slot->npages, huge_spte;
	struct tdp_iter iter;
	bool flush = false;

	for_each_tdp_pte_min_level(iter, mmu, root, PG_LEVEL_2M, start, end) {
		if (iter.level > PG_LEVEL_1G ||
		    !is_shadow_present_pte(iter.old_spte) ||
		    is_last_spte(iter.old_spte, iter.level))
			continue;
		/* A frame that sticks out of the slot cannot be huge. */
		if (iter.gfn < start ||
		    iter.gfn + pages_per_hpage(iter.level) > end)
			continue;
		if (mmu_max_mapping_level(mmu, slot, iter.gfn, iter.level) <
		    iter.level)
			continue;
		if (tdp_mmu_make_huge_spte(mmu, &iter, &huge_spte))
			continue;
		tdp_mmu_iter_set_spte(mmu, &iter, huge_spte);
		flush = true;
	}
	return flush;
}

/*
 * Dirty logging is off: map @slot with huge leaves again where allowed,
 * in place (KVM's kvm_tdp_mmu_recover_huge_pages()).  Pre-order: a 1G
 * frame is recovered before its 2M tables are visited.
 */
bool tdp_mmu_recover_huge_pages(struct mmu_context *mmu,
				struct kvm_memory_slot *slot)
{
	struct kvm_mmu_page *root;
	bool flush = false;
	int i;

	MMU_WARN_ON(slot->flags & MEMSLOT_DIRTY_LOG);
	for_each_tdp_mmu_root(mmu, root, i)
		flush |= recover_huge_pages_root(mmu, root, slot);
	return flush;
}
