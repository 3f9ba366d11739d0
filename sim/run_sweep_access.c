/* mmusim run --sweep: one access through every configuration. */
#include <stdio.h>

#include "sim/run_sweep_access.h"

/* @t's error @r becomes the sweep's (@s's) when it is the first. */
static int sweep_error(struct run_sim *s, struct run_sim *t, int r, int ret)
{
	if (likely(r >= 0) || ret)
		return ret;
	if (t != s)
		snprintf(s->error, sizeof(s->error), "%s", t->error);
	return r;
}

void run_sweep_sync(struct run_sim *s, struct run_sweep_memo *m)
{
	struct run_sim *t;
	unsigned int k;

	for (t = s->sweep_next; t; t = t->sweep_next) {
		for (k = 0; k < ARRAY_SIZE(m->by_kind); k++) {
			t->st.accesses += m->by_kind[k];
			t->st.by_kind[k] += m->by_kind[k];
		}
		t->st.instructions += m->instructions;
		t->st.translations += m->hits;
		t->st.tlb_hits += m->hits;
	}
	for (k = 0; k < ARRAY_SIZE(m->by_kind); k++)
		m->by_kind[k] = 0;
	m->instructions = 0;
	m->hits = 0;
}

/*
 * What does not depend on the caches is worked out once: whether the
 * access stays in one page, and its access class, which the registers
 * decide, and every configuration has the same registers, being fed the
 * same records.  The access is counted once for all (run_sweep_sync()).
 * Past run_sweep_memo_hit(), each configuration looks up its first
 * level and counts a hit, or takes run_sweep_guest_access_miss(), which
 * walks once for all the configurations that miss (m->walk).
 */
int run_sweep_guest_access_all(struct run_sim *s, struct run_sweep_memo *m,
			       enum sim_access_kind kind,
			       enum sim_privilege priv, u64 addr, u32 size,
			       bool instruction)
{
	const struct sim_access a = {
		.kind = kind,
		.priv = priv,
		.addr = addr,
	};
	bool fetch = kind == SIM_ACCESS_FETCH;
	u64 page = addr >> PAGE_SHIFT;
	bool all_hint = true, keep_other = true, missed = false;
	struct run_sim *t = s;
	u64 other_page;
	int ret = 0;
	u32 cls;

	if (unlikely(s->recorder) ||
	    unlikely(((addr + size - 1) >> PAGE_SHIFT) != page)) {
		run_sweep_forget(m);
		do {
			t->st.instructions += instruction;
			ret = sweep_error(s, t,
					  run_guest_access(t, kind, priv, addr,
							   size),
					  ret);
			t = t->sweep_next;
		} while (t);
		return ret;
	}
	cls = BIT(run_access_class(&s->vcpu, &a));
	run_sweep_count(s, m, kind, instruction);
	/*
	 * The other side's hint can only be dropped by an access not of its
	 * side: it is kept if every configuration still has it after this.
	 */
	other_page = m->page[!fetch];
	do {
		struct translation_caches *c = &t->caches.hierarchy;
		/* A lookup of the hint's page takes the hint, changing nothing. */
		bool hinted = c->hint_page[fetch] == page;
		struct tlb_entry *e = NULL;

		MMU_WARN_ON(BIT(run_access_class(&t->vcpu, &a)) != cls);
		if (likely(!t->vcpu.pending))
			e = cache_model_lookup(&t->caches, addr, fetch);
		if (likely(e && (e->allowed & cls))) {
			t->st.translations++;
			t->st.tlb_hits++;
			/*
			 * A probe's hit is the hint now (another model's has
			 * none), and may have dropped the other side's.
			 */
			if (!hinted) {
				all_hint &= c->hint_page[fetch] == page;
				keep_other &= c->hint_page[!fetch] ==
					      other_page;
			}
		} else {
			all_hint = false;
			missed = true;
			ret = sweep_error(s, t,
					  run_sweep_guest_access_miss(
						  t, kind, priv, addr, e,
						  run_sweep_walk_shares(t) ?
							  &m->walk :
							  NULL),
					  ret);
			keep_other &= c->hint_page[!fetch] == other_page &&
				      !t->vcpu.pending;
		}
		t = t->sweep_next;
	} while (t);
	if (missed)
		run_sweep_walk_start(&m->walk);
	if (!keep_other)
		m->page[!fetch] = RUN_SWEEP_NO_PAGE;
	if (all_hint) {
		if (m->page[fetch] != page)
			m->classes[fetch] = 0;
		m->page[fetch] = page;
		m->classes[fetch] |= cls;
	} else {
		m->page[fetch] = RUN_SWEEP_NO_PAGE;
	}
	return ret;
}
