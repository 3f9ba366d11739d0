/*
 * What a fill leaves in the PSC levels above the level the lookup before
 * its walk hit: the fill skips their probe while the last fill left them
 * holding the address's entries (struct translation_caches,
 * @psc_upper_key), and must not once another fill has dropped one.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "run_setup.h"
#include "sim/run.h"
#include "sim/input/input.h"

/* Run lackey @text with the caches @sets, keeping the counts in @st. */
static void run_text(const char *const *sets, const char *text,
		     struct run_stats *st)
{
	struct run_sim sim;
	struct run_config cfg;

	run_config_init(&cfg);
	cfg.input = &run_lackey_input;
	init_run_sim_with_sets(&sim, &cfg, sets);
	replay_text(&sim, text);
	*st = sim.st;
	run_sim_destroy(&sim);
}

/*
 * No L1, so that every access walks; a one-entry PDPTE cache.  1000 is
 * walked twice: the second walk's lookup hits the PDE cache and its fill
 * probes the PDPTE and PML4E caches, which hold 1000's entries.
 * 40001000, in the next 1G region, hits only the PML4E cache: its fill
 * puts its PDPTE in the one entry, dropping 1000's.  1000's next fill,
 * after a PDE-cache hit again, must put 1000's PDPTE back: then each
 * walk of 201000 (1000's 1G region, a new 2M one) hits the PDPTE cache.
 */
static const char trace[] = " L 1000,8\n L 1000,8\n L 40001000,8\n"
			    " L 1000,8\n L 201000,8\n";

Test(caches_fill, a_pdpte_another_fill_dropped_is_filled_again)
{
	static const char *const sets[] = { "tlb.l1d.entries=0",
					    "psc.pdpte.entries=1", NULL };
	struct run_stats st, walks_before;

	/* The walks before 201000's: their own run. */
	run_text(sets, " L 1000,8\n L 1000,8\n L 40001000,8\n L 1000,8\n",
		 &walks_before);
	run_text(sets, trace, &st);
	cr_assert_gt(st.walks, walks_before.walks);
	cr_assert_eq(st.psc_hits[3] - walks_before.psc_hits[3],
		     st.walks - walks_before.walks,
		     "201000's walks: %llu, of them PDPTE-cache hits %llu",
		     (unsigned long long)(st.walks - walks_before.walks),
		     (unsigned long long)(st.psc_hits[3] -
					  walks_before.psc_hits[3]));
}

/*
 * A one-entry array replaces alike under LRU and round robin, but a hit
 * changes LRU's state: the fill then probes every level above the
 * lookup's hit.  Every count is the same as when it skips them.
 */
Test(caches_fill, skipping_the_upper_probes_counts_what_probing_them_does)
{
	static const char *const skip[] = { "tlb.l1d.entries=0",
					    "psc.pdpte.entries=1", NULL };
	static const char *const probe[] = { "tlb.l1d.entries=0",
					     "psc.pdpte.entries=1",
					     "psc.pdpte.policy=lru", NULL };
	struct run_stats a, b;

	run_text(skip, trace, &a);
	run_text(probe, trace, &b);
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0);
}
