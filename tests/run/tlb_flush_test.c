/*
 * Flushes of single TLB entries on hand-worked sequences: a way that
 * tlb_flush_addr(), tlb_flush_pcid_addr() or tlb_flush_pcid() dropped is
 * free for the next fill, as after a flush of everything.
 */
#include <criterion/criterion.h>

#include "sim/tlb.h"

#define PAGE(n) ((u64)(n) << PAGE_SHIFT)

/* One set of four ways under @policy: pages 0..3 fill it in way order. */
static void one_set(struct tlb *t, enum tlb_policy policy)
{
	int i;

	cr_assert_eq(tlb_init_policy(t, 4, 4, policy, TLB_SIZE_4K, 0), 0);
	cr_assert_eq(t->nr_sets, 1);
	for (i = 0; i < 4; i++)
		cr_assert_eq(tlb_fill(t, PAGE(i), 1, false), &t->entries[i]);
}

Test(tlb_flush, an_invlpg_frees_the_way_before_round_robin_draws)
{
	struct tlb t;

	one_set(&t, TLB_POLICY_ROUNDROBIN);
	tlb_flush_addr(&t, PAGE(2));
	cr_assert_null(tlb_probe(&t, PAGE(2), 1));
	/* Way 2 is free: round robin's counter (way 0) is not used. */
	cr_assert_eq(tlb_fill(&t, PAGE(4), 1, false), &t.entries[2]);
	cr_assert_eq(t.victim, 0);
	cr_assert_not_null(tlb_probe(&t, PAGE(0), 1));
	/* The set is full again: now the counter's way goes. */
	cr_assert_eq(tlb_fill(&t, PAGE(5), 1, false), &t.entries[0]);
	cr_assert_eq(t.victim, 1);
	tlb_destroy(&t);
}

Test(tlb_flush, an_invlpg_of_the_most_recent_way_frees_it_before_lru)
{
	struct tlb t;

	one_set(&t, TLB_POLICY_LRU);
	/* Page 3 is the most recently used, page 0 the least. */
	tlb_flush_addr(&t, PAGE(3));
	cr_assert_eq(tlb_fill(&t, PAGE(4), 1, false), &t.entries[3]);
	cr_assert_not_null(tlb_probe(&t, PAGE(0), 1));
	tlb_destroy(&t);
}

Test(tlb_flush, a_pcid_flush_frees_that_pcids_ways_only)
{
	struct tlb t;

	cr_assert_eq(tlb_init_policy(&t, 4, 4, TLB_POLICY_ROUNDROBIN,
				     TLB_SIZE_4K, 0),
		     0);
	tlb_set_pcid(&t, 1, true);
	cr_assert_eq(tlb_fill(&t, PAGE(0), 1, false), &t.entries[0]);
	cr_assert_eq(tlb_fill(&t, PAGE(1), 1, false), &t.entries[1]);
	tlb_set_pcid(&t, 2, true);
	cr_assert_eq(tlb_fill(&t, PAGE(2), 1, false), &t.entries[2]);
	cr_assert_eq(tlb_fill(&t, PAGE(3), 1, false), &t.entries[3]);
	tlb_flush_pcid(&t, 1);
	/* Ways 0 and 1 are free, in way order; PCID 2's stay. */
	cr_assert_eq(tlb_fill(&t, PAGE(4), 1, false), &t.entries[0]);
	cr_assert_eq(tlb_fill(&t, PAGE(5), 1, false), &t.entries[1]);
	cr_assert_eq(t.victim, 0);
	cr_assert_not_null(tlb_probe(&t, PAGE(2), 1));
	cr_assert_not_null(tlb_probe(&t, PAGE(3), 1));
	tlb_destroy(&t);
}

Test(tlb_flush, an_invpcid_of_one_address_frees_its_way)
{
	struct tlb t;

	cr_assert_eq(tlb_init_policy(&t, 4, 4, TLB_POLICY_ROUNDROBIN,
				     TLB_SIZE_4K, 0),
		     0);
	tlb_set_pcid(&t, 1, true);
	cr_assert_eq(tlb_fill(&t, PAGE(0), 1, false), &t.entries[0]);
	cr_assert_eq(tlb_fill(&t, PAGE(1), 1, false), &t.entries[1]);
	cr_assert_eq(tlb_fill(&t, PAGE(2), 1, false), &t.entries[2]);
	cr_assert_eq(tlb_fill(&t, PAGE(3), 1, false), &t.entries[3]);
	tlb_flush_pcid_addr(&t, PAGE(1), 1);
	cr_assert_null(tlb_probe(&t, PAGE(1), 1));
	cr_assert_eq(tlb_fill(&t, PAGE(4), 1, false), &t.entries[1]);
	cr_assert_eq(t.victim, 0);
	tlb_destroy(&t);
}
