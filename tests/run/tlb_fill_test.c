/*
 * tlb_fill() of a full array looks for no free way: what frees a way of
 * a full set (a flush, an entry dropped by address or by PCID) must make
 * the next fill of the set take it before a victim.  tlb_fill_absent(),
 * for a tag the set does not hold, takes the same way.
 */
#include <criterion/criterion.h>

#include "sim/tlb.h"

#define PAGE(n) ((u64)(n) << PAGE_SHIFT)

/* One round-robin set of four ways, full: pages 0..3 in way order. */
static void full_set(struct tlb *t)
{
	int i;

	cr_assert_eq(tlb_init_policy(t, 4, 4, TLB_POLICY_ROUNDROBIN,
				     TLB_SIZE_4K, 0),
		     0);
	for (i = 0; i < 4; i++)
		cr_assert_eq(tlb_fill(t, PAGE(i), 1, false), &t->entries[i]);
}

Test(tlb_fill, a_full_set_gives_its_victim)
{
	struct tlb t;

	full_set(&t);
	cr_assert_eq(tlb_fill(&t, PAGE(4), 1, false), &t.entries[0]);
	cr_assert_eq(tlb_fill(&t, PAGE(5), 1, false), &t.entries[1]);
	/* A page the set holds keeps its way. */
	cr_assert_eq(tlb_fill(&t, PAGE(3), 1, false), &t.entries[3]);
	cr_assert_eq(t.victim, 2);
	tlb_destroy(&t);
}

Test(tlb_fill, a_way_dropped_by_address_is_taken_before_a_victim)
{
	struct tlb t;

	full_set(&t);
	tlb_flush_addr(&t, PAGE(2));
	cr_assert_eq(tlb_fill(&t, PAGE(4), 1, false), &t.entries[2]);
	cr_assert_eq(t.victim, 0);
	/* Full again: the next page takes the victim. */
	cr_assert_eq(tlb_fill(&t, PAGE(5), 1, false), &t.entries[0]);
	tlb_destroy(&t);
}

Test(tlb_fill, a_dropped_way_counts_once)
{
	struct tlb t;

	full_set(&t);
	/* The second drop of page 1 finds nothing valid to take back. */
	tlb_flush_addr(&t, PAGE(1));
	tlb_flush_addr(&t, PAGE(1));
	cr_assert_eq(tlb_fill(&t, PAGE(4), 1, false), &t.entries[1]);
	cr_assert_eq(tlb_fill(&t, PAGE(5), 1, false), &t.entries[0]);
	tlb_destroy(&t);
}

Test(tlb_fill, ways_dropped_by_pcid_are_taken_before_a_victim)
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
	cr_assert_eq(tlb_fill(&t, PAGE(4), 1, false), &t.entries[0]);
	cr_assert_eq(tlb_fill(&t, PAGE(5), 1, false), &t.entries[1]);
	cr_assert_eq(t.victim, 0);
	tlb_destroy(&t);
}

Test(tlb_fill, a_flush_keeping_global_entries_frees_the_others)
{
	struct tlb t;

	full_set(&t);
	cr_assert_eq(tlb_fill(&t, PAGE(0), 1, true), &t.entries[0]);
	tlb_flush(&t, false);
	cr_assert_not_null(tlb_probe(&t, PAGE(0), 1));
	cr_assert_eq(tlb_fill(&t, PAGE(4), 1, false), &t.entries[1]);
	cr_assert_eq(tlb_fill(&t, PAGE(5), 1, false), &t.entries[2]);
	cr_assert_eq(tlb_fill(&t, PAGE(6), 1, false), &t.entries[3]);
	/* Full with the global entry, which was never counted: a victim. */
	cr_assert_eq(tlb_fill(&t, PAGE(7), 1, false), &t.entries[0]);
	tlb_destroy(&t);
}

Test(tlb_fill, absent_from_a_full_set_takes_the_victim)
{
	struct tlb t;

	full_set(&t);
	cr_assert_eq(tlb_fill_absent(&t, PAGE(4), 1, false), &t.entries[0]);
	cr_assert_eq(tlb_fill_absent(&t, PAGE(5), 1, false), &t.entries[1]);
	cr_assert_eq(t.victim, 2);
	cr_assert_eq(tlb_probe(&t, PAGE(5), 1), &t.entries[1]);
	cr_assert_null(tlb_probe(&t, PAGE(1), 1));
	tlb_destroy(&t);
}

Test(tlb_fill, absent_takes_a_way_dropped_before_a_victim)
{
	struct tlb t;

	full_set(&t);
	tlb_flush_addr(&t, PAGE(2));
	cr_assert_eq(tlb_fill_absent(&t, PAGE(4), 1, false), &t.entries[2]);
	cr_assert_eq(t.victim, 0);
	cr_assert_eq(tlb_fill_absent(&t, PAGE(5), 1, false), &t.entries[0]);
	tlb_destroy(&t);
}
