/* Pre-order iteration over tdp_mmu's SPTE tables, as KVM's tdp_iter. */
#ifndef MMUSIM_TDP_ITER_H
#define MMUSIM_TDP_ITER_H

#include "mmu/tdp_mmu.h"

/*
 * A walk over the paging structure of one tdp_mmu root, visiting every
 * SPTE that maps a GFN in [start, end) down to @min_level, parents before
 * children (pre-order).  The iterator never descends through a leaf or a
 * non-present SPTE, and re-reads an SPTE before stepping down through it,
 * so that a caller replacing *sptep (a zap, a split, a new child table)
 * is followed into the new table, never into the old one.
 *
 * @next_last_level_gfn is where the walk resumes after tdp_iter_restart():
 * the GFN of the next SPTE to visit at the lowest level.  KVM restarts
 * from the root after dropping mmu_lock (@yielded); mmusim has a single
 * vCPU and no mmu_lock, so only a caller sets @yielded.
 */
struct tdp_iter {
	/* The GFN of the next last-level SPTE to visit, and of the last yield. */
	u64 next_last_level_gfn;
	u64 yielded_gfn;
	/* The table at each level of the current path, root first at [root_level - 1]. */
	u64 *pt_path[PT64_ROOT_MAX_LEVEL];
	/* The current SPTE and its value when read. */
	u64 *sptep;
	u64 old_spte;
	/* The lowest GFN mapped by the current SPTE. */
	u64 gfn;
	int root_level;
	int min_level;
	int level;
	struct mmu_context *mmu;
	/* False once the walk left the root's range or the root is bad. */
	bool valid;
	/* Set to restart from the root at next_last_level_gfn. */
	bool yielded;
};

/*
 * Every SPTE of @root on the path to each GFN in [@start, @end), stopping
 * at @min_level, in pre-order.
 */
#define for_each_tdp_pte_min_level(iter, mmu, root, min_level, start, end) \
	for (tdp_iter_start(&(iter), mmu, root, min_level, start);         \
	     (iter).valid && (iter).gfn < (end); tdp_iter_next(&(iter)))

#define for_each_tdp_pte(iter, mmu, root, start, end) \
	for_each_tdp_pte_min_level(iter, mmu, root, PG_LEVEL_4K, start, end)

/* The lowest GFN of the @level entry that maps @gfn. */
static inline u64 gfn_round_for_level(u64 gfn, int level)
{
	return gfn & ~(pages_per_hpage(level) - 1);
}

/*
 * The child table a non-leaf SPTE at @level points to, or NULL for a leaf
 * or a non-present SPTE.
 */
static inline u64 *tdp_iter_child_pt(struct mmu_context *mmu, u64 spte,
				     int level)
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
static inline void tdp_iter_refresh_sptep(struct tdp_iter *iter)
{
	iter->sptep = iter->pt_path[iter->level - 1] +
		      gfn_pt_index(iter->gfn, iter->level);
	iter->old_spte = *iter->sptep;
}

/*
 * Step down into the child table of the current SPTE, unless the walk is
 * at min_level or the SPTE (re-read, since the caller may have replaced
 * it) maps no child table.
 */
static inline bool tdp_iter_try_step_down(struct tdp_iter *iter)
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
 * Go back to the root and walk down again towards next_last_level_gfn:
 * after a yield, the tables on the old path may be gone.
 */
static inline void tdp_iter_restart(struct tdp_iter *iter)
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
static inline void tdp_iter_start(struct tdp_iter *iter,
				  struct mmu_context *mmu,
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

void tdp_iter_next_no_step_down(struct tdp_iter *iter);

/*
 * The next SPTE in pre-order: after a yield, the SPTE at
 * next_last_level_gfn from the root; else the current SPTE's child
 * table, stepped down into inline, as every map from the root does at
 * each level; else the next SPTE sideways, or up.
 */
static inline void tdp_iter_next(struct tdp_iter *iter)
{
	if (likely(!iter->yielded) && tdp_iter_try_step_down(iter))
		return;
	tdp_iter_next_no_step_down(iter);
}

#endif
