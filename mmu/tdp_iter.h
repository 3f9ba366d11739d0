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
u64 *tdp_iter_child_pt(struct mmu_context *mmu, u64 spte, int level);

void tdp_iter_start(struct tdp_iter *iter, struct mmu_context *mmu,
		    struct kvm_mmu_page *root, int min_level,
		    u64 next_last_level_gfn);
void tdp_iter_next(struct tdp_iter *iter);
void tdp_iter_restart(struct tdp_iter *iter);

#endif
