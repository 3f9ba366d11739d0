/*
 * mmusim run --sweep: the walks of one access, made by the first
 * configuration that walks for it and taken by the others that miss on
 * it, for the sweep's access loop (sim/run_sweep_access.c).
 */
#ifndef MMUSIM_SIM_RUN_SWEEP_WALK_H
#define MMUSIM_SIM_RUN_SWEEP_WALK_H

#include "sim/run.h"

/* A miss walks at most this many times: once, and again after each fix. */
#define RUN_SWEEP_WALK_STEPS 9

/*
 * One walk of a miss: what gva_walk_try_translate_gpa() gave
 * (@translation, *@t), or the outcome, fault and 1D record of a walk
 * with one, made after a failed try when @tried.
 */
struct run_sweep_walk_step {
	bool translation;
	bool tried;
	struct walk_translation t;
	enum sim_outcome outcome;
	struct walk_fault fault;
	struct walk_path guest;
	unsigned int refs;
	u64 ngpa, gpa, hpa;
	unsigned int pte_access;
	int leaf_level;
};

/*
 * The walks that @owner, the first configuration of a sweep to walk for
 * the current access, made for it, in order: the first, and one after
 * each demand fault it fixed; @closed when it made one that cannot be
 * taken (settings pending, a 2D or restarted walk, an error), after
 * which no more are kept.
 *
 * Why another configuration may take them instead of walking: the sweep
 * feeds every configuration the same accesses and switches (access
 * traces: no guest write, no unmap), and without an MMU a walk reads
 * only the registers, the access and guest memory, which the caches
 * never change.  Every configuration's guest memory is the same after
 * each access.  Only walks and demand paging write it; demand faults
 * come at the same accesses in each, since a page no configuration has
 * mapped is in no TLB, and a reclaim flushes every TLB; and a TLB entry
 * that lets an access hit was made by a walk of its own configuration
 * that set the Accessed flags of its path and, for a write, the Dirty
 * flag of its leaf (a clean leaf's entry refuses writes), so that a walk
 * of another configuration for that access writes nothing.  So each
 * configuration that walks for an access walks as the owner did, from
 * the same memory: it takes the owner's translation, or its record and
 * the Accessed and Dirty flags it set, and makes its own PSC lookup,
 * walk accounting, fill, fault accounting and demand fix.
 */
struct run_sweep_walk {
	const struct run_sim *owner;
	unsigned int nr_steps;
	bool closed;
	struct run_sweep_walk_step steps[RUN_SWEEP_WALK_STEPS];
};

/* A new access: no walk kept. */
static inline void run_sweep_walk_start(struct run_sweep_walk *w)
{
	w->owner = NULL;
	w->nr_steps = 0;
	w->closed = false;
}

/*
 * Does @s share walks between its sweep's configurations?  Not with an
 * MMU, which is told of each walk and may change what the next one
 * reads.
 */
static inline bool run_sweep_walk_shares(const struct run_sim *s)
{
	return !s->mmu;
}

/*
 * The owner's walk @tries of the access for configuration @s to take,
 * or NULL for @s to walk itself: @s is not the owner and walks as the
 * owner did (after a try when it may try).
 */
static inline const struct run_sweep_walk_step *
run_sweep_walk_step(const struct run_sweep_walk *w, const struct run_sim *s,
		    int tries)
{
	const struct run_sweep_walk_step *step;

	if (!w->owner || w->owner == s || (unsigned int)tries >= w->nr_steps)
		return NULL;
	/*
	 * Settings pending close the owner's steps, and every configuration
	 * has them pending at the same accesses and steps.
	 */
	MMU_WARN_ON(s->vcpu.pending);
	step = &w->steps[tries];
	if (step->tried != cache_model_takes_translation(&s->caches, &s->vcpu))
		return NULL;
	return step;
}

/*
 * @s made its walk @tries itself: the step to keep it in, @s the owner
 * from now, or NULL when it is not kept (another's access, or closed).
 */
struct run_sweep_walk_step *run_sweep_walk_keep(struct run_sweep_walk *w,
						const struct run_sim *s,
						int tries);

/* Keep @s's record-less walk @t (run_sweep_walk_keep()). */
void run_sweep_walk_keep_translation(struct run_sweep_walk *w,
				     const struct run_sim *s, int tries,
				     const struct walk_translation *t);

/*
 * Keep @s's walk with a record in s->res, which returned @r, made after
 * a try when @tried, with settings pending before it when @pending.
 */
void run_sweep_walk_keep_result(struct run_sweep_walk *w,
				const struct run_sim *s, int tries, bool tried,
				bool pending, int r);

/*
 * Take the owner's walk @step with a record as @s's: the Accessed and
 * Dirty flags it set, set in @s's memory, and its outcome, fault and
 * record in s->res.
 */
void run_sweep_walk_take(struct run_sim *s,
			 const struct run_sweep_walk_step *step);

/*
 * run_guest_access_miss() of a configuration of a sweep, taking the
 * walks of @w (NULL: none) when it can and keeping its own in it.
 */
int run_sweep_guest_access_miss(struct run_sim *s, enum sim_access_kind kind,
				enum sim_privilege priv, u64 addr,
				struct tlb_entry *e, struct run_sweep_walk *w);

#endif
