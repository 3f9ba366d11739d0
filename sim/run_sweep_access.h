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
 * Per side (data, fetch): up to RUN_SWEEP_MEMO_PAGES 4K page numbers
 * (RUN_SWEEP_NO_PAGE for none), the last added first, each with a mask
 * of access classes (BIT(class)), such that an access of the page and
 * side, of one of its classes, is a hit in every configuration that
 * changes nothing but its counters.  A page is added after an access
 * that hit in every configuration's first level (not another model's)
 * without settings pending: each has the page's entry, which allows the
 * class, as the most recently used of its set.  A lookup of the page
 * finds that entry again, and using it again changes nothing (a hit
 * changes no round-robin or random state, and using a set's most
 * recently used way again leaves LRU's order and PLRU's bits as they
 * are), while no configuration fills or drops an entry of the set,
 * flushes or changes its settings, and no LRU or PLRU array uses
 * another entry of the set.  So after an access that a configuration
 * missed on, or that one with an LRU or PLRU first level probed for,
 * run_sweep_guest_access_all() forgets the pages whose entries can be
 * in the set of the access's page, where its fill, its drop after a
 * fault or its hit was, and every page after a flush or a change of
 * PCID or page shifts (translation_caches.flushes), or when large pages
 * leave the set unknown; a control record forgets them all
 * (run_sweep_forget()).  A configuration's hint (struct
 * translation_caches) stays exact: its entry too was the most recently
 * used of its set.
 *
 * The counts of the accesses that every configuration counts alike are
 * kept in the first configuration and here, and run_sweep_sync() adds
 * them to every other one: the accesses by kind and the instructions of
 * each access, and the translations and TLB hits of the accesses above.
 *
 * @walk holds the walks of the access that run_sweep_guest_access_all()
 * hands to every configuration, empty between two accesses.
 */
#define RUN_SWEEP_MEMO_PAGES 8

struct run_sweep_memo {
	u64 page[2][RUN_SWEEP_MEMO_PAGES];
	u32 classes[2][RUN_SWEEP_MEMO_PAGES];
	u64 by_kind[SIM_ACCESS_FETCH + 1];
	u64 instructions;
	u64 hits;
	struct run_sweep_walk walk;
};

/* Every page forgotten: the caches may have changed. */
static inline void run_sweep_forget(struct run_sweep_memo *m)
{
	int side, i;

	for (side = 0; side < 2; side++)
		for (i = 0; i < RUN_SWEEP_MEMO_PAGES; i++)
			m->page[side][i] = RUN_SWEEP_NO_PAGE;
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
 * An access of a page of @m's (struct run_sweep_memo): true, counted, a
 * hit in every configuration of @s's sweep.
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
	int i = 0;

	while (m->page[fetch][i] != page)
		if (++i == RUN_SWEEP_MEMO_PAGES)
			return false;
	if (((addr + size - 1) >> PAGE_SHIFT) != page ||
	    !(m->classes[fetch][i] & BIT(run_access_class(&s->vcpu, &a))))
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
