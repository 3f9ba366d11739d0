/*
 * mmusim run --sweep: one access of the input through every
 * configuration, for the trace readers' loops.
 */
#ifndef MMUSIM_SIM_RUN_SWEEP_ACCESS_H
#define MMUSIM_SIM_RUN_SWEEP_ACCESS_H

#include "sim/run.h"
#include "sim/run_sweep_walk.h"

/* No address has this page number: addr >> PAGE_SHIFT has high zeros. */
#define RUN_SWEEP_NO_PAGE (~0ULL)

/*
 * What a sweep's reader keeps between the accesses it hands to
 * run_sweep_guest_access(), from run_sweep_memo_init() to
 * run_sweep_sync().
 *
 * Per side (data, fetch): a 4K page number (RUN_SWEEP_NO_PAGE for none)
 * that every configuration's first level has as the side's hint, each
 * hint an entry that allows the access classes of @classes (a mask of
 * BIT(class)), and no configuration with settings pending.  An access of
 * that page and side, of one of those classes, is a hit in every
 * configuration that changes nothing but its counters: a lookup takes
 * the hint without a probe (translation_caches_lookup()), and a hit on
 * the hint's rights writes nothing.  It holds while no configuration
 * looks up, fills or flushes anything, that is until the next access
 * that is not such a hit, after which run_sweep_guest_access_all() keeps
 * a side only if every configuration still has its hint, or a control
 * record (run_sweep_forget()).
 *
 * The counts of the accesses that every configuration counts alike are
 * kept in the first configuration and here, and run_sweep_sync() adds
 * them to every other one: the accesses by kind and the instructions of
 * each access, and the translations and TLB hits of the accesses above.
 *
 * @walk holds the walks of the access that run_sweep_guest_access_all()
 * hands to every configuration, empty between two accesses.
 */
struct run_sweep_memo {
	u64 page[2];
	u32 classes[2];
	u64 by_kind[SIM_ACCESS_FETCH + 1];
	u64 instructions;
	u64 hits;
	struct run_sweep_walk walk;
};

/* A side's page and classes forgotten: the caches may have changed. */
static inline void run_sweep_forget(struct run_sweep_memo *m)
{
	m->page[0] = RUN_SWEEP_NO_PAGE;
	m->page[1] = RUN_SWEEP_NO_PAGE;
}

static inline void run_sweep_memo_init(struct run_sweep_memo *m)
{
	*m = (struct run_sweep_memo){ 0 };
	run_sweep_forget(m);
	run_sweep_walk_start(&m->walk);
}

/*
 * Add the counts @m kept for every configuration after @s to each of
 * them, and start them over: before anything reads a configuration's
 * counters (a switch of process or vCPU, the report).
 */
void run_sweep_sync(struct run_sim *s, struct run_sweep_memo *m);

/*
 * Count an access of @kind of a sweep: in @s, and in @m for every other
 * configuration.
 */
static inline void run_sweep_count(struct run_sim *s, struct run_sweep_memo *m,
				   enum sim_access_kind kind, bool instruction)
{
	s->st.instructions += instruction;
	run_count_guest_access(s, kind);
	m->instructions += instruction;
	m->by_kind[kind]++;
}

/*
 * An access that every configuration of @s's sweep takes from its hint
 * (struct run_sweep_memo): true, counted, a hit in every configuration.
 * Inline in the readers' loops: such an access makes no call.
 */
static inline bool run_sweep_memo_hit(struct run_sim *s,
				      struct run_sweep_memo *m,
				      enum sim_access_kind kind,
				      enum sim_privilege priv, u64 addr,
				      u32 size, bool instruction)
{
	const struct sim_access a = {
		.kind = kind,
		.priv = priv,
		.addr = addr,
	};
	bool fetch = kind == SIM_ACCESS_FETCH;
	u64 page = addr >> PAGE_SHIFT;

	if (m->page[fetch] != page ||
	    ((addr + size - 1) >> PAGE_SHIFT) != page ||
	    !(m->classes[fetch] & BIT(run_access_class(&s->vcpu, &a))))
		return false;
	run_sweep_count(s, m, kind, instruction);
	s->st.translations++;
	s->st.tlb_hits++;
	m->hits++;
	return true;
}

/*
 * run_sweep_guest_access() of a sweep past run_sweep_memo_hit(), out of
 * line so that the readers' loops keep run_guest_access() inline
 * without one.
 */
int run_sweep_guest_access_all(struct run_sim *s, struct run_sweep_memo *m,
			       enum sim_access_kind kind,
			       enum sim_privilege priv, u64 addr, u32 size,
			       bool instruction);

/*
 * run_guest_access() of one access (@instruction: an instruction of the
 * trace, as lackey's I) through @s and every configuration of its sweep,
 * @m the reader's (unused without a sweep).  Returns 0 or the error of
 * run_guest_access(), which is the same for every configuration (an
 * address the mode cannot take), @s's.
 */
static inline int run_sweep_guest_access(struct run_sim *s,
					 struct run_sweep_memo *m,
					 enum sim_access_kind kind,
					 enum sim_privilege priv, u64 addr,
					 u32 size, bool instruction)
{
	int r;

	if (unlikely(s->sweep_next)) {
		if (likely(run_sweep_memo_hit(s, m, kind, priv, addr, size,
					      instruction)))
			return 0;
		return run_sweep_guest_access_all(s, m, kind, priv, addr, size,
						  instruction);
	}
	s->st.instructions += instruction;
	r = run_guest_access(s, kind, priv, addr, size);
	return r < 0 ? r : 0;
}

#endif
