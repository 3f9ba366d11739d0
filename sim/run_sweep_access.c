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

/*
 * What does not depend on the caches is worked out once: whether the
 * access stays in one page, and its access class, which the registers
 * decide, and every configuration has the same registers, being fed the
 * same records.  Each configuration then only counts the access, looks
 * up its first level, and counts a hit or takes run_guest_access_miss().
 */
int run_sweep_guest_access_all(struct run_sim *s, enum sim_access_kind kind,
			       enum sim_privilege priv, u64 addr, u32 size,
			       bool instruction)
{
	const struct sim_access a = {
		.kind = kind,
		.priv = priv,
		.addr = addr,
	};
	bool fetch = kind == SIM_ACCESS_FETCH;
	struct run_sim *t = s;
	int ret = 0;
	u32 cls;

	if (unlikely(s->recorder) ||
	    unlikely(((addr + size - 1) >> PAGE_SHIFT) !=
		     (addr >> PAGE_SHIFT))) {
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
	do {
		struct tlb_entry *e = NULL;

		MMU_WARN_ON(BIT(run_access_class(&t->vcpu, &a)) != cls);
		t->st.instructions += instruction;
		run_count_guest_access(t, kind);
		if (likely(!t->vcpu.pending))
			e = cache_model_lookup(&t->caches, addr, fetch);
		if (likely(e && (e->allowed & cls))) {
			t->st.translations++;
			t->st.tlb_hits++;
		} else {
			ret = sweep_error(s, t,
					  run_guest_access_miss(t, kind, priv,
								addr, e),
					  ret);
		}
		t = t->sweep_next;
	} while (t);
	return ret;
}
