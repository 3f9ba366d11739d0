/*
 * The translation caches on hand-worked sequences: each replacement
 * policy on one set, arrays by page size, and the hierarchy (split L1,
 * STLB, PSC levels, nested PSC) through mmusim run's lackey input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "run_setup.h"
#include "sim/caches_config.h"
#include "sim/run.h"
#include "sim/input/input.h"

#define PAGE(n) ((u64)(n) << PAGE_SHIFT)

/* One set of four ways: pages 0..3 fill it in way order. */
static void one_set(struct tlb *t, enum tlb_policy policy, u64 seed)
{
	int i;

	cr_assert_eq(tlb_init_policy(t, 4, 4, policy, TLB_SIZE_4K, seed), 0);
	cr_assert_eq(t->nr_sets, 1);
	for (i = 0; i < 4; i++)
		cr_assert_eq(tlb_fill(t, PAGE(i), 1, false), &t->entries[i]);
}

/* Which of pages 0..3 are still cached, one bit each. */
static unsigned int cached(struct tlb *t)
{
	unsigned int mask = 0;
	int i;

	for (i = 0; i < 4; i++) {
		struct tlb_entry *set = t->entries;
		u32 w;

		for (w = 0; w < t->ways; w++)
			if (set[w].tag == tlb_tag(t, PAGE(i), 1))
				mask |= BIT(i);
	}
	return mask;
}

Test(tlb_policy, lru_evicts_the_least_recently_used_way)
{
	struct tlb t;

	one_set(&t, TLB_POLICY_LRU, 0);
	/* Uses: 0 1 2 3, then 0: page 1 is the oldest. */
	cr_assert_not_null(tlb_probe(&t, PAGE(0), 1));
	tlb_fill(&t, PAGE(4), 1, false);
	cr_assert_eq(cached(&t), 0xd);
	/* Then 2 is: 0 and 4 are newer, 3 was used before 0. */
	cr_assert_not_null(tlb_probe(&t, PAGE(3), 1));
	tlb_fill(&t, PAGE(5), 1, false);
	cr_assert_eq(cached(&t), 0x9);
	tlb_destroy(&t);
}

Test(tlb_policy, plru_follows_the_tree_not_the_age)
{
	struct tlb t;

	one_set(&t, TLB_POLICY_PLRU, 0);
	/*
	 * After fills of ways 0..3 every node points at the lower half:
	 * using way 0 turns the root to the upper half and node 3 still
	 * points at way 2, so page 2 goes (LRU would evict page 1).
	 */
	cr_assert_not_null(tlb_probe(&t, PAGE(0), 1));
	tlb_fill(&t, PAGE(4), 1, false);
	cr_assert_eq(cached(&t), 0xb);
	/* Way 2 (page 4) used: the root points low, node 2 at way 1. */
	tlb_fill(&t, PAGE(5), 1, false);
	cr_assert_eq(cached(&t), 0x9);
	tlb_destroy(&t);
}

Test(tlb_policy, roundrobin_takes_ways_in_turn_whatever_the_use)
{
	struct tlb t;

	one_set(&t, TLB_POLICY_ROUNDROBIN, 0);
	cr_assert_not_null(tlb_probe(&t, PAGE(0), 1));
	tlb_fill(&t, PAGE(4), 1, false);
	cr_assert_eq(cached(&t), 0xe);
	tlb_fill(&t, PAGE(5), 1, false);
	cr_assert_eq(cached(&t), 0xc);
	tlb_destroy(&t);
}

Test(tlb_policy, random_draws_the_seeded_xorshift_sequence)
{
	struct tlb t;

	/*
	 * xorshift64* from state 1: the high halves of its first outputs
	 * are 3, 0, 3, 0 modulo 4 (worked out by hand and with Python).
	 */
	one_set(&t, TLB_POLICY_RANDOM, 1);
	tlb_fill(&t, PAGE(4), 1, false);
	cr_assert_eq(t.entries[3].tag, tlb_tag(&t, PAGE(4), 1));
	tlb_fill(&t, PAGE(5), 1, false);
	cr_assert_eq(t.entries[0].tag, tlb_tag(&t, PAGE(5), 1));
	tlb_fill(&t, PAGE(6), 1, false);
	cr_assert_eq(t.entries[3].tag, tlb_tag(&t, PAGE(6), 1));
	tlb_destroy(&t);
}

Test(tlb_policy, a_free_way_is_taken_before_a_victim)
{
	struct tlb t;
	int i;

	cr_assert_eq(tlb_init_policy(&t, 4, 4, TLB_POLICY_LRU, TLB_SIZE_4K, 0),
		     0);
	for (i = 0; i < 3; i++)
		tlb_fill(&t, PAGE(i), 1, false);
	/* Page 0 is the least recently used, but way 3 is free. */
	tlb_fill(&t, PAGE(4), 1, false);
	cr_assert_eq(t.entries[3].tag, tlb_tag(&t, PAGE(4), 1));
	cr_assert_eq(cached(&t), 0x7);
	tlb_destroy(&t);
}

Test(tlb_policy, the_way_with_the_tag_is_refilled_before_an_earlier_free_way)
{
	struct tlb t;

	cr_assert_eq(tlb_init_policy(&t, 4, 4, TLB_POLICY_ROUNDROBIN,
				     TLB_SIZE_4K, 0),
		     0);
	cr_assert_eq(tlb_fill(&t, PAGE(0), 1, false), &t.entries[0]);
	cr_assert_eq(tlb_fill(&t, PAGE(1), 1, true), &t.entries[1]);
	/* Way 0 is stale, way 1 (global) still valid with page 1's tag. */
	tlb_flush(&t, false);
	cr_assert_null(tlb_probe(&t, PAGE(0), 1));
	cr_assert_eq(tlb_fill(&t, PAGE(1), 1, true), &t.entries[1]);
	/* Way 0 is still the first free way: no victim is drawn. */
	cr_assert_eq(tlb_fill(&t, PAGE(5), 1, false), &t.entries[0]);
	cr_assert_eq(t.victim, 0);
	tlb_destroy(&t);
}

Test(tlb_policy, a_stale_way_with_the_tag_is_refilled_before_other_free_ways)
{
	struct tlb t;

	one_set(&t, TLB_POLICY_ROUNDROBIN, 0);
	/* Every way invalid, each keeping its tag. */
	tlb_flush(&t, false);
	cr_assert_null(tlb_probe(&t, PAGE(3), 1));
	cr_assert_eq(tlb_fill(&t, PAGE(3), 1, false), &t.entries[3]);
	cr_assert_not_null(tlb_probe(&t, PAGE(3), 1));
	/* A new page takes the first free way in way order. */
	cr_assert_eq(tlb_fill(&t, PAGE(6), 1, false), &t.entries[0]);
	cr_assert_eq(tlb_fill(&t, PAGE(7), 1, false), &t.entries[1]);
	tlb_destroy(&t);
}

Test(tlb_policy, a_refilled_entry_keeps_nothing_of_the_old_one)
{
	struct tlb t;
	struct tlb_entry *e;

	cr_assert_eq(tlb_init_policy(&t, 4, 4, TLB_POLICY_ROUNDROBIN,
				     TLB_SIZES_ALL, 0),
		     0);
	e = tlb_fill(&t, PAGE(0), 1, false);
	e->gpa = PAGE(7);
	e->used = 5;
	e->allowed = 3;
	e->denied = 4;
	e->pte_access = ACC_ALL;
	e->nested_access = ACC_ALL;
	e->pkey = 2;
	cr_assert_eq(tlb_fill(&t, PAGE(0), 1, true), e);
	cr_assert_eq(e->tag, tlb_tag(&t, PAGE(0), 1));
	cr_assert_eq(e->gen, t.global_gen);
	cr_assert_eq(e->level, 1);
	cr_assert(e->global);
	cr_assert_eq(e->gpa, 0);
	cr_assert_eq(e->used, 0);
	cr_assert_eq(e->allowed, 0);
	cr_assert_eq(e->denied, 0);
	cr_assert_eq(e->pte_access, 0);
	cr_assert_eq(e->nested_access, 0);
	cr_assert_eq(e->pkey, 0);
	tlb_destroy(&t);
}

Test(tlb_geometry, sets_must_be_a_power_of_two_and_plru_ways_too)
{
	struct tlb t;

	cr_assert_eq(tlb_init_policy(&t, 1536, 12, TLB_POLICY_LRU, TLB_SIZE_4K,
				     0),
		     0);
	cr_assert_eq(t.nr_sets, 128);
	tlb_destroy(&t);
	cr_assert_eq(tlb_init_policy(&t, 1000, 4, TLB_POLICY_LRU, TLB_SIZE_4K,
				     0),
		     -EINVAL);
	cr_assert_eq(tlb_init_policy(&t, 1536, 12, TLB_POLICY_PLRU, TLB_SIZE_4K,
				     0),
		     -EINVAL);
}

Test(tlb_geometry, a_2m_array_finds_any_address_of_the_page)
{
	struct tlb t;

	cr_assert_eq(tlb_init_policy(&t, 8, 4, TLB_POLICY_LRU, TLB_SIZE_2M, 0),
		     0);
	tlb_fill(&t, 0x200000, 2, false);
	cr_assert_not_null(tlb_lookup(&t, 0x3ff000));
	cr_assert_null(tlb_lookup(&t, 0x400000));
	tlb_destroy(&t);
}

/* The hierarchy, through mmusim run on lackey lines. */
static struct run_sim sim;

static void run_lines(const char *const *sets, const char *text,
		      enum sim_nested_kind nested, enum run_page_size pages)
{
	init_lackey_run_sim(&sim, sets, nested, pages);
	replay_text(&sim, text);
}

static void done(void)
{
	run_sim_destroy(&sim);
}

Test(caches, the_stlb_refills_the_l1_without_a_walk)
{
	static const char *const sets[] = { "tlb.l1d.entries=1",
					    "tlb.l2.entries=16", NULL };
	const struct run_stats *st = &sim.st;

	/* A and B each: a miss, a #PF and a walk after the fix; A: STLB. */
	run_lines(sets, " L 1000,8\n L 2000,8\n L 1000,8\n", SIM_NESTED_NONE,
		  RUN_PAGE_4K);
	cr_assert_eq(st->tlb_misses, 3);
	cr_assert_eq(st->stlb_lookups, 3);
	cr_assert_eq(st->stlb_hits, 1);
	cr_assert_eq(st->walks, 4);
	done();
}

Test(caches, an_stlb_hit_whose_rights_refuse_a_write_walks_to_set_dirty)
{
	static const char *const sets[] = { "tlb.l1d.entries=1",
					    "tlb.l2.entries=16", NULL };
	const struct run_stats *st = &sim.st;

	/*
	 * 1000 and 2000 are read first: each a miss, a #PF and a walk after
	 * the fix, cached clean (no write right) in both levels; the L1
	 * keeps 2000 only.  The store to 1000 hits the STLB, whose rights
	 * refuse it: one more walk, which sets D and caches a writable
	 * entry, not a fault.  Then the load of 2000 and the second store
	 * to 1000 hit the STLB with rights that allow them: no walk.
	 */
	run_lines(sets,
		  " L 1000,8\n L 2000,8\n S 1000,8\n L 2000,8\n S 1000,8\n",
		  SIM_NESTED_NONE, RUN_PAGE_4K);
	cr_assert_eq(st->tlb_misses, 5);
	cr_assert_eq(st->stlb_lookups, 5);
	cr_assert_eq(st->stlb_hits, 3);
	cr_assert_eq(st->tlb_rights_misses, 0);
	cr_assert_eq(st->faults, 2);
	cr_assert_eq(st->walks, 5);
	done();
}

Test(caches, a_hit_in_the_set_of_the_other_sides_last_hit_keeps_lru_exact)
{
	static const char *const sets[] = { "tlb.l1d.entries=2",
					    "tlb.l1d.ways=2",
					    "tlb.l1d.policy=lru", NULL };
	const struct run_stats *st = &sim.st;

	/*
	 * One set of two ways, fetches and loads in it.  The fetch of 1000,
	 * the load of 2000 and the fetch of 1000 again hit, in that order:
	 * 1000 is the most recently used, so 3000 evicts 2000, which then
	 * misses.  Had the last fetch been taken from the fetch side's
	 * earlier hit without a use, 3000 would evict 1000 and 2000 hit.
	 */
	run_lines(sets,
		  "I  1000,4\n L 2000,8\nI  1000,4\n L 2000,8\nI  1000,4\n"
		  " L 3000,8\n L 2000,8\n",
		  SIM_NESTED_NONE, RUN_PAGE_4K);
	cr_assert_eq(st->tlb_hits, 3);
	cr_assert_eq(st->tlb_misses, 4);
	done();
}

Test(caches, without_an_stlb_the_third_access_walks)
{
	static const char *const sets[] = { "tlb.l1d.entries=1", NULL };
	const struct run_stats *st = &sim.st;

	run_lines(sets, " L 1000,8\n L 2000,8\n L 1000,8\n", SIM_NESTED_NONE,
		  RUN_PAGE_4K);
	cr_assert_eq(st->tlb_misses, 3);
	cr_assert_eq(st->stlb_lookups, 0);
	cr_assert_eq(st->walks, 5);
	done();
}

Test(caches, a_split_l1_misses_once_per_side)
{
	static const char *const sets[] = { "tlb.l1i.entries=16", NULL };
	const struct run_stats *st = &sim.st;

	/* The fetch faults and walks twice; the load misses the L1 DTLB. */
	run_lines(sets, " I 1000,4\n L 1000,8\n L 1008,8\n", SIM_NESTED_NONE,
		  RUN_PAGE_4K);
	cr_assert_eq(st->tlb_misses, 2);
	cr_assert_eq(st->l1i_misses, 1);
	cr_assert_eq(st->tlb_hits, 1);
	cr_assert_eq(st->walks, 3);
	done();
}

Test(caches, a_unified_l1_serves_the_load_after_the_fetch)
{
	static const char *const sets[] = { NULL };
	const struct run_stats *st = &sim.st;

	run_lines(sets, " I 1000,4\n L 1000,8\n L 1008,8\n", SIM_NESTED_NONE,
		  RUN_PAGE_4K);
	cr_assert_eq(st->tlb_misses, 1);
	cr_assert_eq(st->l1i_misses, 0);
	cr_assert_eq(st->tlb_hits, 2);
	cr_assert_eq(st->walks, 2);
	done();
}

Test(caches, a_2m_page_goes_to_the_2m_array)
{
	static const char *const sets[] = { "tlb.l1d.sizes=4k",
					    "tlb.l1d.2m.entries=4", NULL };
	const struct run_stats *st = &sim.st;

	/* Two 4K pages of one 2M page: one entry covers both. */
	run_lines(sets, " L 200000,8\n L 201000,8\n", SIM_NESTED_NONE,
		  RUN_PAGE_2M);
	cr_assert_eq(st->tlb_misses, 1);
	cr_assert_eq(st->tlb_hits, 1);
	done();
}

Test(caches, a_2m_page_is_splintered_in_a_4k_only_l1)
{
	static const char *const sets[] = { "tlb.l1d.sizes=4k", NULL };
	const struct run_stats *st = &sim.st;

	run_lines(sets, " L 200000,8\n L 201000,8\n", SIM_NESTED_NONE,
		  RUN_PAGE_2M);
	cr_assert_eq(st->tlb_misses, 2);
	cr_assert_eq(st->tlb_hits, 0);
	done();
}

Test(caches, a_pdpte_cache_hit_leaves_the_pde_and_pte)
{
	static const char *const sets[] = { "tlb.l1d.entries=0",
					    "psc.pde.entries=0", NULL };
	const struct run_stats *st = &sim.st;

	/*
	 * 1000: a #PF at the empty PML4E (1 reference), then all 4 levels.
	 * 2000 (same page table, PTE not present): the faulting walk and
	 * the one after the fix start below the PDPTE: PDE and PTE, 2
	 * references each.
	 */
	run_lines(sets, " L 1000,8\n L 2000,8\n", SIM_NESTED_NONE, RUN_PAGE_4K);
	cr_assert_eq(st->walks, 4);
	cr_assert_eq(st->psc_hits[3], 2);
	cr_assert_eq(st->psc_hits[2], 0);
	cr_assert_eq(st->hist_walks[1], 1);
	cr_assert_eq(st->hist_walks[4], 1);
	cr_assert_eq(st->hist_walks[2], 2);
	done();
}

Test(caches, a_nested_pde_cache_leaves_one_reference_per_nested_walk)
{
	static const char *const sets[] = {
		"tlb.l1d.entries=0",   "psc.pde.entries=0",
		"psc.pdpte.entries=0", "psc.pml4e.entries=0",
		"psc.pml5e.entries=0", "ntlb.entries=0",
		"npsc.pde.entries=16", NULL
	};
	const struct run_stats *st = &sim.st;

	/*
	 * The last walk translates five nGPAs (four tables and the data
	 * page) that earlier walks translated: each nested walk reads its
	 * leaf only.  4 guest + 5 nested references.
	 */
	run_lines(sets, " L 1000,8\n L 1000,8\n", SIM_NESTED_EPT, RUN_PAGE_4K);
	cr_assert_eq(st->walks, 4);
	cr_assert_eq(st->hist_walks[9], 1);
	cr_assert_eq(st->hist_guest[9], 4);
	cr_assert_eq(st->hist_nested[9], 5);
	cr_assert_gt(st->npsc_hits, 4);
	done();
}

Test(caches_config, a_preset_sets_its_documented_sizes)
{
	struct translation_caches_config cfg;
	char why[256];

	translation_caches_config_init(&cfg);
	cr_assert_eq(caches_config_preset(&cfg, "skylake", why, sizeof(why)),
		     0);
	cr_assert_eq(cfg.stlb.entries, 1536);
	cr_assert_eq(cfg.stlb.ways, 12);
	cr_assert_eq(cfg.l1d[CACHES_L1_MAIN].entries, 64);
	cr_assert_eq(cfg.l1d[CACHES_L1_2M].entries, 32);
	cr_assert_eq(cfg.l1i[CACHES_L1_MAIN].entries, 128);
	cr_assert_eq(caches_config_check(&cfg, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(caches_config_preset(&cfg, "zen", why, sizeof(why)), 0);
	cr_assert_eq(cfg.l1d[CACHES_L1_MAIN].ways, 64);
	cr_assert_eq(caches_config_check(&cfg, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(caches_config_preset(&cfg, "k6", why, sizeof(why)),
		     -EINVAL);
}

Test(caches_config, every_key_reads_back_what_was_set)
{
	struct translation_caches_config cfg, again;
	char value[CACHES_VALUE_MAX], set[128], why[256];
	const char *key;
	unsigned int i;

	translation_caches_config_init(&cfg);
	cr_assert_eq(caches_config_preset(&cfg, "skylake", why, sizeof(why)),
		     0);
	translation_caches_config_init(&again);
	for (i = 0; (key = caches_config_key(i)); i++) {
		caches_config_value(&cfg, i, value, sizeof(value));
		snprintf(set, sizeof(set), "%s=%s", key, value);
		cr_assert_eq(caches_config_assign(&again, set, why,
						  sizeof(why)),
			     0, "%s", why);
	}
	cr_assert_eq(i, 59);
	cr_assert_eq(memcmp(&cfg, &again, sizeof(cfg)), 0);
}

Test(caches_config, bad_values_name_the_key)
{
	struct translation_caches_config cfg;
	char why[256];

	translation_caches_config_init(&cfg);
	cr_assert_eq(caches_config_assign(&cfg, "tlb.l2.policy=mru", why,
					  sizeof(why)),
		     -EINVAL);
	cr_assert_str_eq(
		why, "tlb.l2.policy=mru: not roundrobin, lru, plru or random");
	cr_assert_eq(caches_config_assign(&cfg, "tlb.l2.sizes=4k,,2m", why,
					  sizeof(why)),
		     -EINVAL);
	cr_assert_eq(caches_config_assign(&cfg, "tlb.l1d.ways=0", why,
					  sizeof(why)),
		     -EINVAL);
	cr_assert_eq(caches_config_assign(&cfg, "tlb.l9.entries=4", why,
					  sizeof(why)),
		     -EINVAL);
	cr_assert_eq(caches_config_assign(&cfg, "tlb.l2.entries", why,
					  sizeof(why)),
		     -EINVAL);
}

Test(caches_config, a_file_error_names_file_and_line)
{
	struct translation_caches_config cfg;
	char path[] = "/tmp/mmusim-caches-XXXXXX", why[256];
	static const char text[] = "# Skylake-like STLB\n"
				   "tlb.l2.entries = 1536   # 128 sets\n"
				   "\n"
				   "tlb.l2.ways=12\n"
				   "tlb.l2.ways=twelve\n";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, sizeof(text) - 1), sizeof(text) - 1);
	close(fd);
	translation_caches_config_init(&cfg);
	cr_assert_eq(caches_config_read(&cfg, path, NULL, why, sizeof(why)),
		     -EINVAL);
	unlink(path);
	cr_assert_not_null(strstr(why, ":5: tlb.l2.ways=twelve: not a number"),
			   "%s", why);
	cr_assert_eq(cfg.stlb.entries, 1536);
	cr_assert_eq(cfg.stlb.ways, 12);
}

Test(caches_latency, a_walk_reference_costs_its_fixed_and_cache_latency)
{
	static const char *const sets[] = { "latency.l1_hit=1",
					    "latency.walk_ref=10",
					    "latency.ref_cache_hit_percent=50",
					    "latency.ref_cache=4",
					    "latency.ref_memory=200",
					    NULL };
	const struct run_stats *st = &sim.st;
	struct caches_cycles c;

	/*
	 * A #PF walk reads the empty PML4E (1 reference), the walk after
	 * the fix all 4 levels; the second access hits.  A reference costs
	 * 10 + 50% x 4 + 50% x 200 = 112 cycles: 5 x 112 = 560 for the
	 * walks, and 1 for the hit.
	 */
	run_lines(sets, " L 1000,8\n L 1000,8\n", SIM_NESTED_NONE, RUN_PAGE_4K);
	cr_assert_eq(st->guest_refs + st->nested_refs, 5);
	cr_assert_eq(st->tlb_hits, 1);
	caches_latency_cycles(&sim.cfg.caches, st->tlb_hits, st->stlb_hits,
			      st->guest_refs + st->nested_refs, &c);
	cr_assert_eq(c.walks, 560);
	cr_assert_eq(c.translations, 561);
	done();
}

Test(caches_latency, cycles_round_to_the_nearest)
{
	struct translation_caches_config cfg;
	struct caches_cycles c;

	translation_caches_config_init(&cfg);
	cr_assert(!caches_latency_modelled(&cfg));
	/* 10 + 33% x 1 = 10.33 cycles a reference: 3 make 30.99, 31. */
	cfg.latency.walk_ref = 10;
	cfg.latency.ref_cache_hit_percent = 33;
	cfg.latency.ref_cache = 1;
	caches_latency_cycles(&cfg, 7, 2, 3, &c);
	cr_assert_eq(c.walks, 31);
	cr_assert_eq(c.translations, 31);
	cfg.latency.stlb_hit = 9;
	caches_latency_cycles(&cfg, 7, 2, 3, &c);
	cr_assert_eq(c.translations, 31 + 18);
	cr_assert(caches_latency_modelled(&cfg));
}

static int read_config_text(struct translation_caches_config *cfg,
			    const char *text, size_t len, char *why,
			    size_t why_size)
{
	FILE *f = fmemopen((void *)text, len, "r");
	int ret;

	cr_assert_not_null(f);
	translation_caches_config_init(cfg);
	ret = caches_config_read_stream(cfg, f, "cfg", NULL, why, why_size);
	fclose(f);
	return ret;
}

/* Found by fuzz_results: what followed a NUL on the last line was lost. */
Test(caches_config, a_nul_byte_is_an_error_at_its_line)
{
	static const char last[] = "tlb.l2.ways=4\ntlb.l2.entries=8\0junk";
	static const char inner[] = "tlb.l2.ways=4\0x\ntlb.l2.entries=8\n";
	struct translation_caches_config cfg;
	char why[256];

	cr_assert_eq(read_config_text(&cfg, last, sizeof(last) - 1, why,
				      sizeof(why)),
		     -EINVAL);
	cr_assert_str_eq(why, "cfg:2: a NUL byte: not a text");
	cr_assert_eq(read_config_text(&cfg, inner, sizeof(inner) - 1, why,
				      sizeof(why)),
		     -EINVAL);
	cr_assert_str_eq(why, "cfg:1: a NUL byte: not a text");
}

Test(caches_config, a_line_is_at_most_254_bytes)
{
	struct translation_caches_config cfg;
	char text[300], why[256];

	memset(text, ' ', sizeof(text));
	memcpy(text, "tlb.l2.ways=4", 13);
	text[CACHES_CONFIG_LINE_MAX] = '\n';
	cr_assert_eq(read_config_text(&cfg, text, CACHES_CONFIG_LINE_MAX + 1,
				      why, sizeof(why)),
		     0, "%s", why);
	cr_assert_eq(cfg.stlb.ways, 4);
	/* Without its newline, at the end of the file, too. */
	cr_assert_eq(read_config_text(&cfg, text, CACHES_CONFIG_LINE_MAX, why,
				      sizeof(why)),
		     0, "%s", why);
	text[CACHES_CONFIG_LINE_MAX] = ' ';
	text[CACHES_CONFIG_LINE_MAX + 1] = '\n';
	cr_assert_eq(read_config_text(&cfg, text, CACHES_CONFIG_LINE_MAX + 2,
				      why, sizeof(why)),
		     -EINVAL);
	cr_assert_str_eq(why, "cfg:1: line too long");
}

/* Found by fuzz_results: the bytes went into the message raw. */
Test(caches_config, unprintable_bytes_in_a_message_are_given_in_hex)
{
	static const char text[] = "tlb.l2.entries=8\n"
				   "tlb.l2.ways=\x01\xe9\n";
	struct translation_caches_config cfg;
	char why[256];

	cr_assert_eq(read_config_text(&cfg, text, sizeof(text) - 1, why,
				      sizeof(why)),
		     -EINVAL);
	cr_assert_str_eq(why, "cfg:2: tlb.l2.ways=\\x01\\xe9: not a number "
			      "from 1 to 64");
	cr_assert_eq(caches_config_assign(&cfg, "tlb\x7f.l2=4", why,
					  sizeof(why)),
		     -EINVAL);
	cr_assert_str_eq(why, "tlb\\x7f.l2: unknown key (docs/mmusim-run.md "
			      "lists them)");
	cr_assert_eq(caches_config_assign(&cfg, "\x1b[31m", why, sizeof(why)),
		     -EINVAL);
	cr_assert_str_eq(why, "\\x1b[31m: not KEY=VALUE");
}

/* Found by fuzz_results: strtoull() skipped "\f" and "\v" before digits. */
Test(caches_config, a_number_starts_with_a_digit)
{
	static const char *const bad[] = { "\f5", "\v5", "\n5", "\r5", "\t5",
					   " 5",  "+5",	 "-5",	"",    "x5" };
	struct translation_caches_config cfg;
	char why[256];
	unsigned int i;

	translation_caches_config_init(&cfg);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		cr_assert_eq(caches_config_set(&cfg, "tlb.l2.entries", bad[i],
					       why, sizeof(why)),
			     -EINVAL, "value %u", i);
		cr_assert_eq(caches_config_set(&cfg, "caches.seed", bad[i], why,
					       sizeof(why)),
			     -EINVAL, "value %u", i);
	}
	cr_assert_eq(caches_config_set(&cfg, "tlb.l2.entries", "0x10", why,
				       sizeof(why)),
		     0, "%s", why);
	cr_assert_eq(cfg.stlb.entries, 16);
}

Test(tlb_policy, a_probe_looks_at_every_way_of_its_set_and_no_other)
{
	struct tlb t;
	int i;

	/* Two sets of four ways: pages 0, 2, 4 and 6 fill set 0 in order. */
	cr_assert_eq(tlb_init_policy(&t, 8, 4, TLB_POLICY_ROUNDROBIN,
				     TLB_SIZE_4K, 0),
		     0);
	for (i = 0; i < 4; i++)
		cr_assert_eq(tlb_fill(&t, PAGE(2 * i), 1, false),
			     &t.entries[i]);
	for (i = 0; i < 4; i++)
		cr_assert_eq(tlb_probe(&t, PAGE(2 * i), 1), &t.entries[i]);
	/* Page 8 is of set 0 but in no way of it; page 1 is of set 1. */
	cr_assert_null(tlb_probe(&t, PAGE(8), 1));
	cr_assert_null(tlb_probe(&t, PAGE(1), 1));
	tlb_destroy(&t);
	/* An array of no entries has no set: a probe misses. */
	cr_assert_eq(tlb_init_policy(&t, 0, 4, TLB_POLICY_ROUNDROBIN,
				     TLB_SIZE_4K, 0),
		     0);
	cr_assert_null(tlb_probe(&t, PAGE(0), 1));
	tlb_destroy(&t);
}
