/*
 * --sweep: the errors of a sweep's specification, and each configuration
 * of a sweep against the same configuration run on its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "run_setup.h"
#include "sim/caches_config.h"
#include "sim/run.h"
#include "sim/run_mmu.h"
#include "sim/run_sweep.h"
#include "sim/run_sweep_walk.h"
#include "sim/input/input.h"

#define PAGE(n) ((u64)(n) << PAGE_SHIFT)

/* Found by fuzz_results: the spec went into the message raw. */
Test(run_sweep, unprintable_bytes_in_a_spec_are_given_in_hex)
{
	struct translation_caches_config base;
	static struct run_sweep sw;
	char why[512];

	translation_caches_config_init(&base);
	cr_assert_eq(run_sweep_add(&sw, "tlb.l2\x1b.ways=4,8", &base, why,
				   sizeof(why)),
		     -EINVAL);
	cr_assert_str_eq(why, "--sweep=tlb.l2\\x1b.ways=4,8: tlb.l2\\x1b.ways: "
			      "unknown key (docs/mmusim-run.md lists them)");
	cr_assert_eq(run_sweep_add(&sw, "tlb.l2.ways=4,\xff", &base, why,
				   sizeof(why)),
		     -EINVAL);
	cr_assert_str_eq(why, "--sweep=tlb.l2.ways=4,\\xff: tlb.l2.ways=\\xff: "
			      "not a number from 1 to 64");
}

/*
 * A sweep's configurations against the same configurations run alone:
 * a sweep feeds each the records of one read of the input, and every
 * count must be what its own run gives.  The trace: a few thousand
 * accesses of every kind over a few hundred pages, some crossing a page,
 * from a fixed LCG; with @runs, most accesses of the page of the side's
 * access before, which a sweep counts once for every configuration
 * while each has the page as its last hit (sim/run_sweep_access.h);
 * with @hot, most data accesses of a few pages, some of one set of the
 * small arrays of the tests, among others that miss.
 */
#define SWEEP_TEST_ACCESSES 6000
#define SWEEP_TEST_CONFIGS 4

static char *sweep_test_trace(bool runs, bool wide, bool hot)
{
	static const char *const ops[] = { "I ", " L", " S", " M" };
	static const u64 hot_pages[] = { 24, 25, 28, 26, 88, 152 };
	size_t cap = SWEEP_TEST_ACCESSES * 32, used = 0;
	char *text = malloc(cap);
	u64 x = 12345, code = 0, data = 64;
	int i;

	cr_assert_not_null(text);
	for (i = 0; i < SWEEP_TEST_ACCESSES; i++) {
		u64 page, offset;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		/* Mostly a few hot pages, now and then one of 512 in 2M apart. */
		page = (x >> 60) < 12 ? (x >> 33) % 24 : (x >> 33) % 512;
		/*
		 * @runs: fetches stay in a page of code a while, data
		 * accesses in a page of data a shorter while.
		 */
		if (runs && (x >> 16) % 4 == 0)
			page = (x >> 59) ? code : (code = (x >> 33) % 24);
		else if (hot)
			page = (x >> 61) ? hot_pages[(x >> 33) %
						     ARRAY_SIZE(hot_pages)] :
					   24 + (x >> 33) % 488;
		else if (runs)
			page = (x >> 58) > 4 ? data :
					       (data = 24 + (x >> 33) % 488);
		/* @wide: the groups of 64 pages 1G apart rather than 2M. */
		page = (page & 63) | (page >> 6) << (wide ? 18 : 9);
		offset = (x >> 20) % 4096;
		used += snprintf(
			text + used, cap - used, "%s %llx,%u\n",
			ops[(x >> 16) % 4],
			(unsigned long long)(0x400000 + PAGE(page) + offset),
			(unsigned int)(1 + (x >> 8) % 8));
	}
	return text;
}

/*
 * The guest of a sweep test beyond the nested stage and page size: the
 * paging mode's root level (0: 4-level), the MMU (NULL: none), the table
 * pages demand paging may take before a reclaim (0: the default),
 * whether the trace's pages spread over many tables (@wide), and
 * whether its data accesses are mostly of a few pages (@hot).
 */
struct sweep_guest {
	u8 level;
	const char *mmu;
	u64 max_table_pages;
	bool wide;
	bool hot;
};

static void init_sweep_run_sim(struct run_sim *s, const char *const *sets,
			       enum sim_nested_kind nested,
			       enum run_page_size pages,
			       const struct sweep_guest *g)
{
	struct run_config cfg;
	char why[128];

	run_config_init(&cfg);
	cfg.input = &run_lackey_input;
	cfg.nested = nested;
	cfg.page_size = pages;
	cfg.nested_page_size = pages;
	cfg.mode_level = g->level;
	if (g->mmu) {
		cfg.mmu = run_mmu_find(g->mmu, why, sizeof(why));
		cr_assert_not_null(cfg.mmu, "%s", why);
	}
	if (g->max_table_pages)
		cfg.max_table_pages = g->max_table_pages;
	init_run_sim_with_sets(s, &cfg, sets);
}

/* Each configuration's counts after a sweep, against its own run's. */
static void sweep_guest_equals_separate_runs(const char *const (*sets)[5],
					     enum sim_nested_kind nested,
					     enum run_page_size pages,
					     bool runs,
					     const struct sweep_guest *g,
					     struct run_stats *first)
{
	static struct run_sim swept[SWEEP_TEST_CONFIGS], alone;
	char *text = sweep_test_trace(runs, g->wide, g->hot);
	int i;

	for (i = 0; i < SWEEP_TEST_CONFIGS; i++) {
		init_sweep_run_sim(&swept[i], sets[i], nested, pages, g);
		if (i)
			swept[i - 1].sweep_next = &swept[i];
	}
	replay_text(&swept[0], text);
	for (i = 0; i < SWEEP_TEST_CONFIGS; i++) {
		init_sweep_run_sim(&alone, sets[i], nested, pages, g);
		replay_text(&alone, text);
		cr_assert_gt(alone.st.walks, 10);
		cr_assert_gt(alone.st.tlb_hits, 100);
		/* The reader counts lines once; mmusim run copies them. */
		swept[i].st.lines = swept[0].st.lines;
		alone.st.seconds = swept[i].st.seconds = 0;
		cr_assert_eq(memcmp(&alone.st, &swept[i].st, sizeof(alone.st)),
			     0, "configuration %d differs from its own run", i);
		run_sim_destroy(&alone);
	}
	if (first)
		*first = swept[0].st;
	for (i = 0; i < SWEEP_TEST_CONFIGS; i++)
		run_sim_destroy(&swept[i]);
	free(text);
}

static void sweep_equals_separate_runs(const char *const (*sets)[5],
				       enum sim_nested_kind nested,
				       enum run_page_size pages, bool runs)
{
	static const struct sweep_guest g;

	sweep_guest_equals_separate_runs(sets, nested, pages, runs, &g, NULL);
}

Test(run_sweep, each_configuration_counts_what_its_own_run_does)
{
	static const char *const sets[SWEEP_TEST_CONFIGS][5] = {
		{ "tlb.l1d.entries=16", "tlb.l1d.policy=roundrobin", NULL },
		{ "tlb.l1d.entries=16", "tlb.l1d.policy=lru",
		  "tlb.l2.entries=64", NULL },
		{ "tlb.l1d.entries=8", "tlb.l1d.policy=plru",
		  "tlb.l1i.entries=8", "psc.pde.entries=2", NULL },
		{ "tlb.l1d.entries=32", "tlb.l1d.policy=random",
		  "tlb.l1d.ways=32", "tlb.l1d.2m.entries=4", NULL },
	};

	int runs;

	for (runs = 0; runs <= 1; runs++) {
		sweep_equals_separate_runs(sets, SIM_NESTED_NONE, RUN_PAGE_4K,
					   runs);
		sweep_equals_separate_runs(sets, SIM_NESTED_EPT, RUN_PAGE_4K,
					   runs);
		sweep_equals_separate_runs(sets, SIM_NESTED_EPT, RUN_PAGE_MIXED,
					   runs);
		sweep_equals_separate_runs(sets, SIM_NESTED_NPT, RUN_PAGE_2M,
					   runs);
	}
}

/*
 * The pages a sweep counts once for every configuration, several a side
 * (struct run_sweep_memo): kept past a miss or an LRU or PLRU hit in
 * another set, forgotten in the set of one, with first levels of a few
 * sets each, split or not, with 2M arrays or 2M pages, across faults and
 * reclaims.  Each configuration still counts what its own run does.
 */
Test(run_sweep, pages_counted_once_are_those_every_configuration_hits)
{
	static const char *const sets[SWEEP_TEST_CONFIGS][5] = {
		{ "tlb.l1d.entries=16", "tlb.l1d.policy=lru", NULL },
		{ "tlb.l1d.entries=8", "tlb.l1d.policy=plru",
		  "tlb.l1i.entries=8", "tlb.l1i.policy=lru", NULL },
		{ "tlb.l1d.entries=16", "tlb.l2.entries=64", NULL },
		{ "tlb.l1d.entries=32", "tlb.l1d.policy=random",
		  "tlb.l1d.2m.entries=4", NULL },
	};
	const struct sweep_guest hot = { .hot = true };
	const struct sweep_guest reclaims = { .hot = true,
					      .max_table_pages = 16,
					      .wide = true };
	struct run_stats st;
	int runs;

	for (runs = 0; runs <= 1; runs++) {
		sweep_guest_equals_separate_runs(sets, SIM_NESTED_NONE,
						 RUN_PAGE_4K, runs, &hot, &st);
		cr_assert_gt(st.fixed, 100);
		sweep_guest_equals_separate_runs(sets, SIM_NESTED_NONE,
						 RUN_PAGE_MIXED, runs, &hot,
						 NULL);
		sweep_guest_equals_separate_runs(sets, SIM_NESTED_EPT,
						 RUN_PAGE_4K, runs, &hot, NULL);
	}
	sweep_guest_equals_separate_runs(sets, SIM_NESTED_NONE, RUN_PAGE_4K,
					 false, &reclaims, &st);
	cr_assert_gt(st.reclaims, 2);
}

/*
 * Configurations that miss on the same access take the walks of the
 * first that walked for it (sim/run_sweep_walk.h): in each paging mode,
 * whose Accessed and Dirty flags they set in their own memory; after
 * demand faults and reclaims; beside a cache model that walks with a
 * record; and with an MMU, which shares none.  Each configuration still
 * counts what its own run does.
 */
static const char *const sweep_walk_sets[SWEEP_TEST_CONFIGS][5] = {
	{ "tlb.l1d.entries=16", "tlb.l1i.entries=8", "psc.pde.entries=2",
	  NULL },
	{ "tlb.l1d.entries=8", "tlb.l1d.policy=lru", "tlb.l2.entries=0", NULL },
	{ "tlb.l1d.entries=64", "tlb.l1d.policy=plru", "psc.pdpte.entries=1",
	  NULL },
	{ "tlb.l1d.entries=4", "tlb.l1d.ways=4", "tlb.l2.entries=32", NULL },
};

Test(run_sweep, configurations_take_the_walks_of_an_access_in_every_mode)
{
	static const u8 levels[] = { PT32_ROOT_LEVEL, PT32E_ROOT_LEVEL,
				     PT64_ROOT_4LEVEL, PT64_ROOT_5LEVEL };
	struct run_stats st;
	unsigned int i;
	int runs;

	for (i = 0; i < ARRAY_SIZE(levels); i++) {
		for (runs = 0; runs <= 1; runs++) {
			const struct sweep_guest g = { .level = levels[i] };

			sweep_guest_equals_separate_runs(sweep_walk_sets,
							 SIM_NESTED_NONE,
							 RUN_PAGE_4K, runs, &g,
							 &st);
			cr_assert_gt(st.fixed, 100);
		}
	}
	/* Large pages: a leaf above the 4K level. */
	for (i = 0; i < ARRAY_SIZE(levels); i++) {
		const struct sweep_guest g = { .level = levels[i] };

		sweep_guest_equals_separate_runs(sweep_walk_sets,
						 SIM_NESTED_NONE,
						 RUN_PAGE_MIXED, true, &g, &st);
	}
}

Test(run_sweep, configurations_take_the_walks_of_an_access_across_reclaims)
{
	const struct sweep_guest g = { .max_table_pages = 16, .wide = true };
	struct run_stats st;

	sweep_guest_equals_separate_runs(sweep_walk_sets, SIM_NESTED_NONE,
					 RUN_PAGE_4K, false, &g, &st);
	cr_assert_gt(st.reclaims, 2);
}

Test(run_sweep, a_model_that_walks_with_a_record_takes_only_such_walks)
{
	static const char *const sets[SWEEP_TEST_CONFIGS][5] = {
		{ "caches.model=ideal", NULL },
		{ "tlb.l1d.entries=16", NULL },
		{ "caches.model=ideal", "tlb.l1d.entries=8", NULL },
		{ "tlb.l1d.entries=8", "tlb.l1d.policy=lru", NULL },
	};
	static const struct sweep_guest g;
	int runs;

	for (runs = 0; runs <= 1; runs++)
		sweep_guest_equals_separate_runs(sets, SIM_NESTED_NONE,
						 RUN_PAGE_4K, runs, &g, NULL);
}

Test(run_sweep, a_sweep_with_an_mmu_counts_what_each_run_does)
{
	static const char *const mmus[] = { "tdp", "shadow" };
	static const struct sweep_guest mmu_tdp = { .mmu = "tdp" };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mmus); i++) {
		const struct sweep_guest g = { .mmu = mmus[i] };

		sweep_guest_equals_separate_runs(sweep_walk_sets,
						 SIM_NESTED_NONE, RUN_PAGE_4K,
						 true, &g, NULL);
	}
	/* shadow_mmu shadows no nested stage. */
	sweep_guest_equals_separate_runs(sweep_walk_sets, SIM_NESTED_EPT,
					 RUN_PAGE_4K, true, &mmu_tdp, NULL);
}

/*
 * The rules of a sweep's shared walks (sim/run_sweep_walk.h): the first
 * configuration to keep a walk of the access owns its walks, which the
 * others take and it does not; a walk that cannot be taken ends them.
 */
Test(run_sweep_walk, the_owner_keeps_the_walks_that_the_others_take)
{
	static const char *const sets[] = { NULL };
	static struct run_sim a, b;
	static struct run_sweep_walk w;
	const struct walk_translation t = {
		.gpa = 0x1234000,
		.pte_access = ACC_ALL,
		.leaf_level = PG_LEVEL_4K,
	};
	const struct run_sweep_walk_step *step;

	init_lackey_run_sim(&a, sets, SIM_NESTED_NONE, RUN_PAGE_4K);
	init_lackey_run_sim(&b, sets, SIM_NESTED_NONE, RUN_PAGE_4K);
	/* The settings loaded at a first access. */
	replay_text(&a, "I 400000,4\n");
	replay_text(&b, "I 400000,4\n");
	run_sweep_walk_start(&w);
	cr_assert_null(run_sweep_walk_step(&w, &b, 0));
	run_sweep_walk_keep_translation(&w, &a, 0, &t);
	cr_assert_eq(w.owner, &a);
	cr_assert_null(run_sweep_walk_step(&w, &a, 0));
	step = run_sweep_walk_step(&w, &b, 0);
	cr_assert_not_null(step);
	cr_assert(step->translation);
	cr_assert_eq(step->t.gpa, t.gpa);
	cr_assert_null(run_sweep_walk_step(&w, &b, 1));
	/* @b keeps nothing of an access @a owns. */
	cr_assert_null(run_sweep_walk_keep(&w, &b, 1));
	cr_assert_eq(w.nr_steps, 1);
	/* A walk with settings pending before it ends what @a keeps. */
	run_sweep_walk_keep_result(&w, &a, 1, true, true, 0);
	cr_assert(w.closed);
	cr_assert_null(run_sweep_walk_keep(&w, &a, 1));
	cr_assert_eq(w.nr_steps, 1);
	run_sweep_walk_start(&w);
	cr_assert_null(w.owner);
	cr_assert_eq(w.nr_steps, 0);
	cr_assert_not(w.closed);
	run_sim_destroy(&a);
	run_sim_destroy(&b);
}

/*
 * A walk taken from its owner sets the Accessed and Dirty flags the
 * owner's set, in the taker's memory, and gives its outcome and record.
 */
Test(run_sweep_walk, a_taken_walk_sets_the_flags_the_owners_walk_set)
{
	static const char *const sets[] = { NULL };
	static struct run_sim a, b;
	static struct run_sweep_walk w;
	const struct sim_access write = {
		.kind = SIM_ACCESS_WRITE,
		.priv = SIM_PRIV_USER,
		.addr = 0x400000,
	};
	const struct run_sweep_walk_step *step;
	const struct walk_entry *leaf;
	u64 pte_a, pte_b;
	int n;

	init_lackey_run_sim(&a, sets, SIM_NESTED_NONE, RUN_PAGE_4K);
	init_lackey_run_sim(&b, sets, SIM_NESTED_NONE, RUN_PAGE_4K);
	/* The page mapped and its path accessed, its leaf clean. */
	replay_text(&a, "I 400000,4\n");
	replay_text(&b, "I 400000,4\n");
	cr_assert_eq(sim_vcpu_access(&a.vcpu, &write, &a.res), 0);
	cr_assert_eq(a.res.outcome, SIM_OK);
	n = a.res.rec.guest.nr_entries;
	cr_assert_eq(n, PT64_ROOT_4LEVEL);
	leaf = &a.res.rec.guest.entries[n - 1];
	cr_assert(!(leaf->before & PT_DIRTY_MASK));
	cr_assert(leaf->after & PT_DIRTY_MASK);
	run_sweep_walk_start(&w);
	/* Kept as made after a try, which would have given up on the D flag. */
	run_sweep_walk_keep_result(&w, &a, 0, true, false, 0);
	cr_assert_eq(w.nr_steps, 1);
	step = run_sweep_walk_step(&w, &b, 0);
	cr_assert_not_null(step);
	cr_assert_eq(guest_memory_read(&b.vcpu.mem, leaf->pte_gpa, 8, &pte_b),
		     0);
	cr_assert_eq(pte_b, leaf->before);
	run_sweep_walk_take(&b, step);
	cr_assert_eq(guest_memory_read(&a.vcpu.mem, leaf->pte_gpa, 8, &pte_a),
		     0);
	cr_assert_eq(guest_memory_read(&b.vcpu.mem, leaf->pte_gpa, 8, &pte_b),
		     0);
	cr_assert_eq(pte_b, pte_a);
	cr_assert_eq(b.res.outcome, SIM_OK);
	cr_assert_eq(b.res.rec.gpa, a.res.rec.gpa);
	cr_assert_eq(b.res.rec.refs, a.res.rec.refs);
	cr_assert_eq(b.res.rec.guest.nr_entries, n);
	cr_assert_eq(memcmp(b.res.rec.guest.entries, a.res.rec.guest.entries,
			    n * sizeof(*leaf)),
		     0);
	run_sim_destroy(&a);
	run_sim_destroy(&b);
}
