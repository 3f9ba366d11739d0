/* Pre-order iteration over tdp_mmu's SPTE tables, as KVM's tdp_iter.c. */
#include "mmu/tdp_iter.h"

u64 *tdp_iter_child_pt(struct mmu_context *mmu, u64 spte, int level)
{
	struct kvm_mmu_page *child;

	if (!is_shadow_present_pte(spte) || is_last_spte(spte, level))
		return NULL;
	child = spte_to_child_sp(mmu, spte);
	/* A present non-leaf SPTE always points at a live tdp_mmu page. */
	MMU_WARN_ON(!child || child->role.level != level - 1);
	return child ? child->spt : NULL;
}

/* Point sptep at the SPTE for the current gfn and level, and read it. */
static void tdp_iter_refresh_sptep(struct tdp_iter *iter)
{
	iter->sptep = iter->pt_path[iter->level - 1] +
		      gfn_pt_index(iter->gfn, iter->level);
	iter->old_spte = *iter->sptep;
}

/*
 * Go back to the root and walk down again towards next_last_level_gfn:
 * after a yield, the tables on the old path may be gone.
 */
void tdp_iter_restart(struct tdp_iter *iter)
{
	iter->yielded = false;
	iter->yielded_gfn = iter->next_last_level_gfn;
	iter->level = iter->root_level;
	iter->gfn = gfn_round_for_level(iter->next_last_level_gfn, iter->level);
	tdp_iter_refresh_sptep(iter);
	iter->valid = true;
}

/*
 * Start at the root SPTE that maps @next_last_level_gfn.  A missing root,
 * or levels no table has, is a simulator bug; release builds then leave
 * the iterator invalid, so that the loop visits nothing.
 */
void tdp_iter_start(struct tdp_iter *iter, struct mmu_context *mmu,
		    struct kvm_mmu_page *root, int min_level,
		    u64 next_last_level_gfn)
{
	bool bad = !root || root->role.level < PG_LEVEL_4K ||
		   root->role.level > PT64_ROOT_MAX_LEVEL ||
		   min_level < PG_LEVEL_4K || min_level > (int)root->role.level;

	MMU_WARN_ON(bad);
	if (bad) {
		iter->valid = false;
		return;
	}

	iter->mmu = mmu;
	iter->next_last_level_gfn = next_last_level_gfn;
	iter->root_level = root->role.level;
	iter->min_level = min_level;
	iter->pt_path[iter->root_level - 1] = root->spt;
	tdp_iter_restart(iter);
}

/*
 * Step down into the child table of the current SPTE, unless the walk is
 * at min_level or the SPTE (re-read, since the caller may have replaced
 * it) maps no child table.
 */
static bool try_step_down(struct tdp_iter *iter)
{
	u64 *child_pt;

	if (iter->level == iter->min_level)
		return false;

	iter->old_spte = *iter->sptep;
	child_pt = tdp_iter_child_pt(iter->mmu, iter->old_spte, iter->level);
	if (!child_pt)
		return false;

	iter->level--;
	iter->pt_path[iter->level - 1] = child_pt;
	iter->gfn = gfn_round_for_level(iter->next_last_level_gfn, iter->level);
	tdp_iter_refresh_sptep(iter);
	return true;
}

/*
 * Step to the next SPTE in the same table, unless the current one is the
 * last.  Moving sideways makes the new SPTE's GFN the next one to visit
 * at the last level.
 */
static bool try_step_side(struct tdp_iter *iter)
{
	if (gfn_pt_index(iter->gfn, iter->level) == SPTE_ENT_PER_PAGE - 1)
		return false;

	iter->gfn += pages_per_hpage(iter->level);
	iter->next_last_level_gfn = iter->gfn;
	iter->sptep++;
	iter->old_spte = *iter->sptep;
	return true;
}

/* Step up to the SPTE that points at the current table, unless at the root. */
static bool try_step_up(struct tdp_iter *iter)
{
	if (iter->level == iter->root_level)
		return false;

	iter->level++;
	iter->gfn = gfn_round_for_level(iter->gfn, iter->level);
	tdp_iter_refresh_sptep(iter);
	return true;
}

/*
 * The next SPTE in pre-order:
 *  1. restart from the root if the walk yielded;
 *  2. else step down into the current SPTE's child table;
 *  3. else step sideways, going up one level each time the current table
 *     is exhausted;
 *  4. past the last SPTE of the root the walk is over (valid = false).
 */
void tdp_iter_next(struct tdp_iter *iter)
{
	if (iter->yielded) {
		tdp_iter_restart(iter);
		return;
	}

	if (try_step_down(iter))
		return;

	do {
		if (try_step_side(iter))
			return;
	} while (try_step_up(iter));
	iter->valid = false;
}
