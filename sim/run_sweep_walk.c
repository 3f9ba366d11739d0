/* mmusim run --sweep: one access's walks, shared between configurations. */
#include "sim/run_sweep_walk.h"

struct run_sweep_walk_step *run_sweep_walk_keep(struct run_sweep_walk *w,
						const struct run_sim *s,
						int tries)
{
	if (w->closed || (w->owner && w->owner != s))
		return NULL;
	w->owner = s;
	/* The owner keeps its walks in order, from its first. */
	MMU_WARN_ON((unsigned int)tries != w->nr_steps);
	if ((unsigned int)tries != w->nr_steps ||
	    w->nr_steps == RUN_SWEEP_WALK_STEPS) {
		w->closed = true;
		return NULL;
	}
	return &w->steps[w->nr_steps++];
}

void run_sweep_walk_keep_translation(struct run_sweep_walk *w,
				     const struct run_sim *s, int tries,
				     const struct walk_translation *t)
{
	struct run_sweep_walk_step *step = run_sweep_walk_keep(w, s, tries);

	if (!step)
		return;
	step->translation = true;
	step->tried = true;
	step->t = *t;
}

void run_sweep_walk_keep_result(struct run_sweep_walk *w,
				const struct run_sim *s, int tries, bool tried,
				bool pending, int r)
{
	const struct sim_result *res = &s->res;
	const struct walk_record *rec = &res->rec;
	struct run_sweep_walk_step *step;
	int i;

	if (r < 0 || pending ||
	    (res->outcome != SIM_OK && res->outcome != SIM_FAULT) ||
	    rec->two_dimensional || rec->restarts) {
		if (!w->owner || w->owner == s)
			w->closed = true;
		return;
	}
	step = run_sweep_walk_keep(w, s, tries);
	if (!step)
		return;
	step->translation = false;
	step->tried = tried;
	step->outcome = res->outcome;
	step->fault = res->fault;
	step->guest.nr_entries = rec->guest.nr_entries;
	step->guest.refs = rec->guest.refs;
	for (i = 0; i < rec->guest.nr_entries; i++)
		step->guest.entries[i] = rec->guest.entries[i];
	step->refs = rec->refs;
	step->ngpa = rec->ngpa;
	step->gpa = rec->gpa;
	step->hpa = rec->hpa;
	step->pte_access = rec->pte_access;
	step->leaf_level = rec->leaf_level;
}

void run_sweep_walk_take(struct run_sim *s,
			 const struct run_sweep_walk_step *step)
{
	const struct kvm_pagewalk *w = &s->vcpu.gva_walk;
	struct sim_result *res = &s->res;
	struct walk_record *rec = &res->rec;
	int i, r;

	/* The flags the owner's walk set, as its walk sets them. */
	for (i = 0; i < step->guest.nr_entries; i++) {
		const struct walk_entry *e = &step->guest.entries[i];
		u64 old = e->before;

		if (e->after == e->before)
			continue;
		r = guest_memory_cmpxchg(w->mem, e->pte_gpa, w->pte_size, &old,
					 e->after);
		/* Another entry of the walk at the same place set it. */
		MMU_WARN_ON(r && !(r == 1 && old == e->after));
	}
	res->outcome = step->outcome;
	res->cr3_load_error = 0;
	res->fault = step->fault;
	rec->guest.nr_entries = step->guest.nr_entries;
	rec->guest.refs = step->guest.refs;
	for (i = 0; i < step->guest.nr_entries; i++)
		rec->guest.entries[i] = step->guest.entries[i];
	rec->two_dimensional = false;
	rec->refs = step->refs;
	rec->restarts = 0;
	rec->ngpa = step->ngpa;
	rec->gpa = step->gpa;
	rec->hpa = step->hpa;
	rec->pte_access = step->pte_access;
	rec->leaf_level = step->leaf_level;
}
