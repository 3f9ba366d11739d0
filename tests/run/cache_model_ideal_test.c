/*
 * The "ideal" cache model on hand-worked sequences (misses, flush rules,
 * growth of its tables), and against the hierarchy on random sequences:
 * an unbounded cache never misses more than a bounded one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "run_setup.h"
#include "sim/cache_model.h"
#include "sim/memory_limit.h"
#include "sim/run.h"
#include "sim/input/input.h"

#define PAGE(n) ((u64)(n) << PAGE_SHIFT)
/* Lackey's pages, as demand paging maps them: user, writable. */
#define BASE 0x10000000ULL

static struct run_sim sims[2];

/*
 * @s replays the lackey lines @text with the caches of @sets (NULL ends
 * it), then keeps its demand-paged process for run_guest_access().
 */
static void start(struct run_sim *s, const char *const *sets, const char *text,
		  enum sim_nested_kind nested, enum run_page_size pages)
{
	init_lackey_run_sim(s, sets, nested, pages);
	replay_text(s, text);
}

static const char *const ideal[] = { "caches.model=ideal", NULL };

static void load(struct run_sim *s, u64 addr)
{
	cr_assert_geq(run_guest_access(s, SIM_ACCESS_READ, SIM_PRIV_USER, addr,
				       8),
		      0, "%s", s->error);
}

static void done(void)
{
	run_sim_destroy(&sims[0]);
	run_sim_destroy(&sims[1]);
	memset(sims, 0, sizeof(sims));
}

Test(cache_model_ideal, misses_each_page_once_where_a_small_tlb_misses_twice)
{
	static const char *const tiny[] = { "tlb.l1d.entries=4", NULL };
	struct run_sim *s;
	int i, pass, m;

	/*
	 * 64 pages, twice.  The first pass misses each page (a #PF, fixed,
	 * and a walk after it: two walks a page); the second hits each in
	 * the ideal TLB, and misses each in a 4-entry one, which holds the
	 * last four of the first pass only (4-way round robin: one set).
	 */
	start(&sims[0], ideal, "", SIM_NESTED_NONE, RUN_PAGE_4K);
	start(&sims[1], tiny, "", SIM_NESTED_NONE, RUN_PAGE_4K);
	for (m = 0; m < 2; m++)
		for (pass = 0; pass < 2; pass++)
			for (i = 0; i < 64; i++)
				load(&sims[m], BASE + PAGE(i));
	s = &sims[0];
	cr_assert_eq(s->st.tlb_misses, 64);
	cr_assert_eq(s->st.tlb_hits, 64);
	cr_assert_eq(s->st.faults, 64);
	cr_assert_eq(s->st.walks, 128);
	s = &sims[1];
	cr_assert_eq(s->st.tlb_misses, 128);
	cr_assert_eq(s->st.tlb_hits, 0);
	cr_assert_eq(s->st.walks, 192);
	done();
}

Test(cache_model_ideal, keeps_thousands_of_pages_while_its_table_grows)
{
	struct run_sim *s = &sims[0];
	int i, pass;

	/* 5,000 pages: the first table of 256 slots doubles five times. */
	start(s, ideal, "", SIM_NESTED_NONE, RUN_PAGE_4K);
	for (pass = 0; pass < 3; pass++)
		for (i = 0; i < 5000; i++)
			load(s, BASE + PAGE(i));
	cr_assert_eq(s->st.tlb_misses, 5000);
	cr_assert_eq(s->st.tlb_hits, 10000);
	done();
}

Test(cache_model_ideal, a_2m_page_is_one_entry)
{
	struct run_sim *s = &sims[0];
	int i;

	/* 512 4K pages of one 2M page: one miss (a #PF, two walks). */
	start(s, ideal, "", SIM_NESTED_NONE, RUN_PAGE_2M);
	for (i = 0; i < 512; i++)
		load(s, BASE + PAGE(i));
	cr_assert_eq(s->st.tlb_misses, 1);
	cr_assert_eq(s->st.tlb_hits, 511);
	cr_assert_eq(s->st.walks, 2);
	done();
}

Test(cache_model_ideal, invlpg_drops_its_page_and_the_psc_only)
{
	struct run_sim *s = &sims[0];

	/*
	 * A and B, two pages under one PDE.  A misses, walks with no PSC
	 * entry, faults; after the fix it walks again, still without one
	 * (a fault caches nothing), and its walk fills the PSC.  B misses
	 * and both its walks (before and after its fix) hit the PDE cache.
	 */
	start(s, ideal, "", SIM_NESTED_NONE, RUN_PAGE_4K);
	load(s, BASE);
	load(s, BASE + PAGE(1));
	cr_assert_eq(s->st.tlb_misses, 2);
	cr_assert_eq(s->st.psc_lookups, 4);
	cr_assert_eq(s->st.psc_hits[0], 2);
	cr_assert_eq(s->st.psc_hits[2], 2);
	/*
	 * INVLPG of A drops A's entry and every PSC entry of PCID 0: B
	 * still hits, A misses and walks without a PSC hit.
	 */
	cr_assert_eq(run_invlpg(s, BASE), 0);
	load(s, BASE + PAGE(1));
	load(s, BASE);
	cr_assert_eq(s->st.tlb_misses, 3);
	cr_assert_eq(s->st.tlb_hits, 1);
	cr_assert_eq(s->st.psc_lookups, 5);
	cr_assert_eq(s->st.psc_hits[0], 3);
	/* That walk filled the PSC again: C's two walks hit it. */
	load(s, BASE + PAGE(2));
	cr_assert_eq(s->st.psc_hits[2], 4);
	done();
}

Test(cache_model_ideal, a_cr3_write_drops_every_non_global_entry)
{
	struct run_sim *s = &sims[0];
	int i;

	start(s, ideal, "", SIM_NESTED_NONE, RUN_PAGE_4K);
	for (i = 0; i < 8; i++)
		load(s, BASE + PAGE(i));
	cr_assert_eq(run_cr3_written(s), 0);
	for (i = 0; i < 8; i++)
		load(s, BASE + PAGE(i));
	/* Eight misses before, eight after, no hit; no PSC hit after it. */
	cr_assert_eq(s->st.tlb_misses, 16);
	cr_assert_eq(s->st.tlb_hits, 0);
	cr_assert_eq(s->st.tlb_flushes, 1);
	for (i = 0; i < 8; i++)
		load(s, BASE + PAGE(i));
	cr_assert_eq(s->st.tlb_hits, 8);
	done();
}

Test(cache_model_ideal, invpcid_of_one_address_drops_that_page_only)
{
	struct run_sim *s = &sims[0];

	start(s, ideal, "", SIM_NESTED_NONE, RUN_PAGE_4K);
	load(s, BASE);
	load(s, BASE + PAGE(1));
	cr_assert_eq(run_invpcid(s, RUN_INVPCID_ADDR, 0, BASE + PAGE(1)), 0);
	load(s, BASE);
	load(s, BASE + PAGE(1));
	cr_assert_eq(s->st.tlb_misses, 3);
	cr_assert_eq(s->st.tlb_hits, 1);
	/* Type 2, every PCID and global: both go. */
	cr_assert_eq(run_invpcid(s, RUN_INVPCID_ALL, 0, 0), 0);
	load(s, BASE);
	load(s, BASE + PAGE(1));
	cr_assert_eq(s->st.tlb_misses, 5);
	done();
}

Test(cache_model_ideal, invept_drops_the_nested_tlb_not_the_tlb)
{
	struct run_sim *s = &sims[0];
	u64 ntlb_hits;

	/*
	 * Under EPT: after INVEPT (which also flushes the TLB, as
	 * run_invept() does) the walk of A looks up the nested TLB and
	 * finds nothing it had before.
	 */
	start(s, ideal, "", SIM_NESTED_EPT, RUN_PAGE_4K);
	load(s, BASE);
	load(s, BASE + PAGE(1));
	ntlb_hits = s->st.ntlb_hits;
	cr_assert_gt(ntlb_hits, 0, "B's walks reuse A's nested entries");
	run_invept(s);
	load(s, BASE);
	cr_assert_eq(s->st.tlb_misses, 3);
	cr_assert_eq(s->st.ntlb_hits, ntlb_hits,
		     "the first walk after INVEPT hits nothing");
	load(s, BASE + PAGE(1));
	cr_assert_gt(s->st.ntlb_hits, ntlb_hits);
	done();
}

/* xorshift64*: the random sequences, the same for both models. */
static u64 next_random(u64 *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dULL;
}

/*
 * One random step on both sims: mostly accesses (read, write, fetch)
 * to 96 pages in three regions 1G apart, with INVLPGs, CR3 writes,
 * INVPCIDs and flushes of everything between them.
 */
static void random_step(u64 *x)
{
	u64 r = next_random(x), page = (r >> 8) % 96,
	    addr = BASE + (page / 32) * (1ULL << 30) + PAGE(page % 32);
	unsigned int what = r % 100;
	int m;

	for (m = 0; m < 2; m++) {
		struct run_sim *s = &sims[m];

		if (what < 5)
			cr_assert_eq(run_invlpg(s, addr), 0);
		else if (what < 7)
			cr_assert_eq(run_cr3_written(s), 0);
		else if (what < 8)
			cr_assert_eq(run_invpcid(s, RUN_INVPCID_ADDR, 0, addr),
				     0);
		else if (what < 9)
			run_flush_all(s);
		else
			cr_assert_geq(run_guest_access(s, what % 3,
						       SIM_PRIV_USER, addr, 8),
				      0, "%s", s->error);
	}
}

/*
 * Differential: on the same random sequence, the ideal model misses at
 * most as often as the hierarchy of @sets, and walks at most as often.
 * Its TLB holds every translation the hierarchy's arrays hold (by
 * induction: both fill what they miss, and a flush drops the same
 * translations of both), so whatever the hierarchy hits, it hits.  That
 * needs the hierarchy to cache each page at its own size: a splintered
 * entry (a 1G page in a 2M array) may outlive an INVLPG of another part
 * of its page, so these configurations splinter nothing.
 */
static void never_misses_more(const char *const *sets,
			      enum sim_nested_kind nested,
			      enum run_page_size pages)
{
	u64 x;
	int seed, i;

	for (seed = 1; seed <= 8; seed++) {
		start(&sims[0], ideal, "", nested, pages);
		start(&sims[1], sets, "", nested, pages);
		x = seed * 0x9e3779b97f4a7c15ULL;
		for (i = 0; i < 4000; i++)
			random_step(&x);
		cr_assert_leq(sims[0].st.tlb_misses, sims[1].st.tlb_misses,
			      "seed %d", seed);
		cr_assert_leq(sims[0].st.walks, sims[1].st.walks, "seed %d",
			      seed);
		cr_assert_eq(sims[0].st.accesses, sims[1].st.accesses);
		cr_assert_eq(sims[0].st.faults, sims[1].st.faults,
			     "seed %d: the same pages fault", seed);
		done();
	}
}

Test(cache_model_ideal, never_misses_more_than_the_default_caches)
{
	static const char *const sets[] = { NULL };

	never_misses_more(sets, SIM_NESTED_NONE, RUN_PAGE_4K);
}

Test(cache_model_ideal, never_misses_more_than_small_lru_caches_with_an_stlb)
{
	static const char *const sets[] = { "tlb.l1d.entries=8",
					    "tlb.l1d.policy=lru",
					    "tlb.l1i.entries=4",
					    "tlb.l2.entries=32",
					    "tlb.l2.policy=lru",
					    "psc.pde.entries=2",
					    NULL };

	never_misses_more(sets, SIM_NESTED_NONE, RUN_PAGE_4K);
}

Test(cache_model_ideal, never_misses_more_than_small_caches_of_a_2d_walk)
{
	static const char *const sets[] = { "tlb.l1d.entries=16",
					    "ntlb.entries=4",
					    "npsc.pde.entries=4", NULL };

	never_misses_more(sets, SIM_NESTED_EPT, RUN_PAGE_MIXED);
}

Test(cache_model_ideal, its_tables_stay_under_max_memory)
{
	struct run_sim *s = &sims[0];
	u64 limit = sim_max_memory();
	int i, r = 0;

	/*
	 * At the least --max-memory takes (1 MiB).  Reads back no guest
	 * page: the guest's memory is its tables, 33 pages of 4K for 16K
	 * pages.  The ideal TLB's table, 56 bytes a slot, doubles at half
	 * full: 16K pages need 32K slots, 1.75 MiB, over the limit.
	 */
	sim_set_max_memory(SIM_MAX_MEMORY_MIN);
	start(s, ideal, "", SIM_NESTED_NONE, RUN_PAGE_4K);
	for (i = 0; i < 16384 && !r; i++)
		r = run_guest_access(s, SIM_ACCESS_READ, SIM_PRIV_USER,
				     BASE + PAGE(i), 8);
	sim_set_max_memory(limit);
	cr_assert_eq(r, -EDQUOT, "%d after %d accesses", r, i);
	cr_assert_not_null(strstr(s->error, "cache model ideal: over the host "
					    "memory limit"),
			   "%s", s->error);
	done();
}
