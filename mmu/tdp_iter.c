/* Pre-order iteration over tdp_mmu's SPTE tables, as KVM's tdp_iter.c. */
#include "mmu/tdp_iter.h"

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
 * tdp_iter_next() once the step down is ruled out: restart from the root
 * if the walk yielded, else step sideways, going up one level each time
 * the current table is exhausted; past the last SPTE of the root the walk
 * is over (valid = false).
 */
void tdp_iter_next_no_step_down(struct tdp_iter *iter)
{
	if (iter->yielded) {
		tdp_iter_restart(iter);
		return;
	}

	do {
		if (try_step_side(iter))
			return;
	} while (try_step_up(iter));
	iter->valid = false;
}
