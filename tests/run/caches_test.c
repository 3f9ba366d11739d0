/*
 * The translation caches on hand-worked sequences: each replacement
 * policy on one set, and arrays by page size.
 */
#include <errno.h>

#include <criterion/criterion.h>

#include "sim/tlb.h"
#include "walker/guest_memory.h"

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
