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
 * A configuration with an LRU or PLRU first level probed for @page, or
 * one missed on it: the pages of @m that can have their entry in the set
 * of @page's, the page number's bits in @set_mask being the set's, may
 * no longer be there or the most recently used of it; with @large, the
 * set is unknown (large pages) or the change not only of that set.
 */
static void sweep_memo_forget_set(struct run_sweep_memo *m, u64 page,
				  u64 set_mask, bool large)
{
	int side, i;

	if (large) {
		run_sweep_forget(m);
		return;
	}
	for (side = 0; side < 2; side++)
		for (i = 0; i < RUN_SWEEP_MEMO_PAGES; i++)
			if (!((m->page[side][i] ^ page) & set_mask))
				m->page[side][i] = RUN_SWEEP_NO_PAGE;
}

/* @page of side @fetch hit in every configuration, in class bit @cls. */
static void sweep_memo_add(struct run_sweep_memo *m, bool fetch, u64 page,
			   u32 cls)
{
	u64 *pages = m->page[fetch];
	u32 *classes = m->classes[fetch];
	int i;

	for (i = 0; i < RUN_SWEEP_MEMO_PAGES - 1; i++)
		if (pages[i] == page)
			break;
	if (pages[i] == page)
		cls |= classes[i];
	/* The last added first: the others move down over this one's slot. */
	for (; i > 0; i--) {
		pages[i] = pages[i - 1];
		classes[i] = classes[i - 1];
	}
	pages[0] = page;
	classes[0] = cls;
}

/*
 * What does not depend on the caches is worked out once: whether the
 * access stays in one page, and its access class, which the registers
 * decide, and every configuration has the same registers, being fed the
 * same records.  The access is counted once for all (run_sweep_sync()).
 * Past run_sweep_memo_hit(), each configuration looks up its first
 * level and counts a hit, or takes run_sweep_guest_access_miss(), which
 * walks once for all the configurations that miss (m->walk).  What is
 * left of the memo's pages after it: struct run_sweep_memo.
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
	bool all_hit = true, missed = false, lru_probed = false;
	bool large = false;
	u64 set_mask = ~0ULL;
	struct run_sim *t = s;
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
			 * A probe's hit is the hint now, of the first level
			 * (another model's has none), the most recently used
			 * of its set.
			 */
			if (!hinted) {
				all_hit &= c->hint_page[fetch] == page;
				if (unlikely(c->l1_lru)) {
					lru_probed = true;
					set_mask &=
						caches_l1(c, fetch)->nr_sets -
						1;
					large |= translation_caches_l1_large(c);
				}
			}
		} else {
			u32 flushes = c->flushes;

			all_hit = false;
			missed = true;
			ret = sweep_error(s, t,
					  run_sweep_guest_access_miss(
						  t, kind, priv, addr, e,
						  run_sweep_walk_shares(t) ?
							  &m->walk :
							  NULL),
					  ret);
			/*
			 * Past a flush, anything; else the fills of the
			 * access's page, in its set, and the drop of its
			 * entries after a fault, which are of that set too.
			 */
			set_mask &= caches_l1(c, fetch)->nr_sets - 1;
			large |= c->flushes != flushes ||
				 translation_caches_l1_large(c);
		}
		t = t->sweep_next;
	} while (t);
	if (unlikely(missed))
		run_sweep_walk_start(&m->walk);
	if (missed || lru_probed)
		sweep_memo_forget_set(m, page, set_mask, large);
	if (all_hit)
		sweep_memo_add(m, fetch, page, cls);
	return ret;
}
