/* Pre-order iteration over tdp_mmu's SPTE tables, as KVM's tdp_iter.c. */
#include "mmu/tdp_iter.h"

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
