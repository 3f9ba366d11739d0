/*
 * The cache levels caches_test.c leaves out, on hand-worked lackey
 * sequences: the PML4E and PML5E caches, the L1 1G array and a 1G page
 * splintered into a 2M array, the STLB's 2M entries, a 1G page smashed
 * into one of them and the STLB's replacement, and the nested PDPTE and
 * PML4E caches.
 */
#include <criterion/criterion.h>

#include "run_setup.h"
#include "sim/run.h"
#include "sim/input/input.h"

static struct run_sim sim;

static void run_lines(const char *const *sets, const char *text,
		      enum sim_nested_kind nested, enum run_page_size pages)
{
	init_lackey_run_sim(&sim, sets, nested, pages);
	replay_text(&sim, text);
}

/* As run_lines(), for a guest of 5-level paging. */
static void run_lines_5level(const char *const *sets, const char *text)
{
	struct run_config cfg;

	run_config_init(&cfg);
	cfg.input = &run_lackey_input;
	cfg.mode_level = PT64_ROOT_5LEVEL;
	init_run_sim_with_sets(&sim, &cfg, sets);
	replay_text(&sim, text);
}

static void done(void)
{
	run_sim_destroy(&sim);
}

Test(caches_levels, a_pml4e_cache_hit_leaves_the_pdpte_pde_and_pte)
{
	static const char *const sets[] = { "tlb.l1d.entries=0",
					    "psc.pde.entries=0",
					    "psc.pdpte.entries=0", NULL };
	const struct run_stats *st = &sim.st;

	/*
	 * 1000: a #PF at the empty PML4E (1 reference), then all 4 levels;
	 * that walk caches its PML4E.  0x40001000 is in the next 1G region
	 * of the same 512G one: both of its walks start at the PDPTE, the
	 * faulting one reading the empty PDPTE only (1), the one after the
	 * fix the PDPTE, PDE and PTE (3).
	 */
	run_lines(sets, " L 1000,8\n L 40001000,8\n", SIM_NESTED_NONE,
		  RUN_PAGE_4K);
	cr_assert_eq(st->walks, 4);
	cr_assert_eq(st->psc_lookups, 4);
	cr_assert_eq(st->psc_hits[0], 2);
	cr_assert_eq(st->psc_hits[4], 2);
	cr_assert_eq(st->psc_hits[3], 0);
	cr_assert_eq(st->psc_hits[2], 0);
	cr_assert_eq(st->hist_walks[1], 2);
	cr_assert_eq(st->hist_walks[4], 1);
	cr_assert_eq(st->hist_walks[3], 1);
	cr_assert_eq(st->guest_refs, 1 + 4 + 1 + 3);
	done();
}

Test(caches_levels, a_pml5e_cache_hit_leaves_the_four_levels_below)
{
	static const char *const sets[] = { "tlb.l1d.entries=0",
					    "psc.pde.entries=0",
					    "psc.pdpte.entries=0",
					    "psc.pml4e.entries=0", NULL };
	const struct run_stats *st = &sim.st;

	/*
	 * 1000: a #PF at the empty PML5E (1), then all 5 levels.
	 * 0x8000001000 is in the next 512G region of the same 256T one:
	 * its walks start at the PML4E, the faulting one reading the empty
	 * PML4E only (1), the one after the fix 4 entries.
	 */
	run_lines_5level(sets, " L 1000,8\n L 8000001000,8\n");
	cr_assert_eq(st->walks, 4);
	cr_assert_eq(st->psc_hits[0], 2);
	cr_assert_eq(st->psc_hits[5], 2);
	cr_assert_eq(st->psc_hits[4], 0);
	cr_assert_eq(st->hist_walks[1], 2);
	cr_assert_eq(st->hist_walks[5], 1);
	cr_assert_eq(st->hist_walks[4], 1);
	cr_assert_eq(st->guest_refs, 1 + 5 + 1 + 4);
	done();
}

Test(caches_levels, a_1g_page_goes_to_the_1g_array)
{
	static const char *const sets[] = { "tlb.l1d.sizes=4k",
					    "tlb.l1d.1g.entries=4", NULL };
	const struct run_stats *st = &sim.st;

	/* Three addresses of one 1G page, 2M apart and more: one entry. */
	run_lines(sets, " L 40000000,8\n L 40200000,8\n L 7ffff000,8\n",
		  SIM_NESTED_NONE, RUN_PAGE_1G);
	cr_assert_eq(st->tlb_misses, 1);
	cr_assert_eq(st->tlb_hits, 2);
	cr_assert_eq(st->walks, 2);
	done();
}

Test(caches_levels, a_1g_page_is_splintered_into_the_2m_array)
{
	static const char *const sets[] = { "tlb.l1d.sizes=4k",
					    "tlb.l1d.2m.entries=4", NULL };
	const struct run_stats *st = &sim.st;

	/*
	 * No array holds 1G: the page is cached as the 2M page of the
	 * access.  0x40001000 hits the 2M entry of 0x40000000; 0x40200000,
	 * in the same 1G page, misses and walks.
	 */
	run_lines(sets, " L 40000000,8\n L 40001000,8\n L 40200000,8\n",
		  SIM_NESTED_NONE, RUN_PAGE_1G);
	cr_assert_eq(st->tlb_misses, 2);
	cr_assert_eq(st->tlb_hits, 1);
	cr_assert_eq(st->walks, 3);
	done();
}

Test(caches_levels, the_stlb_holds_a_2m_page_in_one_entry)
{
	static const char *const sets[] = { "tlb.l1d.entries=1",
					    "tlb.l2.entries=16", NULL };
	const struct run_stats *st = &sim.st;

	/*
	 * Two 2M pages, a miss, a #PF and a walk after the fix each; the
	 * one L1 entry keeps the second.  0x201000, another 4K page of the
	 * first, misses the L1 and hits the STLB's 2M entry: no walk.
	 */
	run_lines(sets, " L 200000,8\n L 400000,8\n L 201000,8\n",
		  SIM_NESTED_NONE, RUN_PAGE_2M);
	cr_assert_eq(st->tlb_misses, 3);
	cr_assert_eq(st->stlb_lookups, 3);
	cr_assert_eq(st->stlb_hits, 1);
	cr_assert_eq(st->walks, 4);
	done();
}

Test(caches_levels, the_stlb_smashes_a_1g_page_into_a_2m_entry)
{
	static const char *const sets[] = { "tlb.l1d.entries=1",
					    "tlb.l2.entries=16", NULL };
	const struct run_stats *st = &sim.st;

	/*
	 * The STLB holds 4K and 2M (its default sizes): a 1G page is
	 * cached there as the 2M page of the access, in the L1 whole.
	 * 0x40000000 and 0x80000000: a miss, a #PF and a walk after the
	 * fix each; the L1 keeps the second.  0x40001000 hits the STLB's
	 * 2M entry, which goes to the L1; 0x40200000, in the same 1G page
	 * but another 2M one, misses both levels and walks.
	 */
	run_lines(sets,
		  " L 40000000,8\n L 80000000,8\n L 40001000,8\n"
		  " L 40200000,8\n",
		  SIM_NESTED_NONE, RUN_PAGE_1G);
	cr_assert_eq(st->tlb_misses, 4);
	cr_assert_eq(st->stlb_lookups, 4);
	cr_assert_eq(st->stlb_hits, 1);
	cr_assert_eq(st->walks, 5);
	cr_assert_eq(st->faults, 2);
	done();
}

/*
 * A one-entry L1 over a one-set STLB of two ways: 1000 and 2000 fill it,
 * a miss, a #PF and a walk after the fix each; 1000 hits the STLB again;
 * 3000 (a #PF and a walk) takes a way; then 2000 comes back.
 */
static void stlb_victim(const char *policy)
{
	const char *const sets[] = { "tlb.l1d.entries=1", "tlb.l2.entries=2",
				     "tlb.l2.ways=2", policy, NULL };

	run_lines(sets,
		  " L 1000,8\n L 2000,8\n L 1000,8\n L 3000,8\n L 2000,8\n",
		  SIM_NESTED_NONE, RUN_PAGE_4K);
	cr_assert_eq(sim.st.tlb_misses, 5);
	cr_assert_eq(sim.st.stlb_lookups, 5);
}

Test(caches_levels, an_lru_stlb_evicts_the_way_not_hit_since)
{
	/* 1000 was used after 2000: 3000 takes 2000's way, which walks. */
	stlb_victim("tlb.l2.policy=lru");
	cr_assert_eq(sim.st.stlb_hits, 1);
	cr_assert_eq(sim.st.walks, 7);
	done();
}

Test(caches_levels, a_roundrobin_stlb_evicts_its_first_way_whatever_the_use)
{
	/* 3000 takes way 0, 1000's: 2000 hits the STLB. */
	stlb_victim("tlb.l2.policy=roundrobin");
	cr_assert_eq(sim.st.stlb_hits, 2);
	cr_assert_eq(sim.st.walks, 6);
	done();
}

/* Every guest-side cache off: the nested walks alone are cached. */
#define NO_GUEST_CACHES                                                  \
	"tlb.l1d.entries=0", "psc.pde.entries=0", "psc.pdpte.entries=0", \
		"psc.pml4e.entries=0", "psc.pml5e.entries=0", "ntlb.entries=0"

/*
 * The guest and nested references of the walk of a second load of 1000
 * under EPT with @sets: the counts of that load's run less those of a
 * run of the first load alone (a #PF, an EPT violation, then the walk
 * that translates).  The second load translates the five nGPAs (four
 * tables and the data page) that the first one's last walk translated.
 */
static void second_walk_refs(const char *const *sets, u64 *guest, u64 *nested)
{
	struct run_stats first;
	unsigned int refs, found = 0;

	run_lines(sets, " L 1000,8\n", SIM_NESTED_EPT, RUN_PAGE_4K);
	first = sim.st;
	done();
	run_lines(sets, " L 1000,8\n L 1000,8\n", SIM_NESTED_EPT, RUN_PAGE_4K);
	cr_assert_eq(first.walks, 3);
	cr_assert_eq(sim.st.walks, 4);
	for (refs = 0; refs < ARRAY_SIZE(first.hist_walks); refs++) {
		if (sim.st.hist_walks[refs] == first.hist_walks[refs])
			continue;
		cr_assert_eq(sim.st.hist_walks[refs] - first.hist_walks[refs],
			     1);
		found++;
		*guest = sim.st.hist_guest[refs] - first.hist_guest[refs];
		*nested = sim.st.hist_nested[refs] - first.hist_nested[refs];
		cr_assert_eq(*guest + *nested, refs);
	}
	cr_assert_eq(found, 1);
	done();
}

Test(caches_levels, a_nested_pdpte_cache_leaves_two_references_per_nested_walk)
{
	static const char *const sets[] = { NO_GUEST_CACHES,
					    "npsc.pdpte.entries=16", NULL };
	u64 guest, nested;

	/* Each of the five nested walks reads its PDE and PTE. */
	second_walk_refs(sets, &guest, &nested);
	cr_assert_eq(guest, 4);
	cr_assert_eq(nested, 5 * 2);
}

Test(caches_levels,
     a_nested_pml4e_cache_leaves_three_references_per_nested_walk)
{
	static const char *const sets[] = { NO_GUEST_CACHES,
					    "npsc.pml4e.entries=16", NULL };
	u64 guest, nested;

	/* Each of the five nested walks reads its PDPTE, PDE and PTE. */
	second_walk_refs(sets, &guest, &nested);
	cr_assert_eq(guest, 4);
	cr_assert_eq(nested, 5 * 3);
}

Test(caches_levels, without_a_nested_cache_each_nested_walk_reads_four)
{
	static const char *const sets[] = { NO_GUEST_CACHES, NULL };
	u64 guest, nested;

	second_walk_refs(sets, &guest, &nested);
	cr_assert_eq(guest, 4);
	cr_assert_eq(nested, 5 * 4);
}
