/*
 * The path memos of a 2D walk's nested walks of guest tables
 * (walker/fast_walk_internal.h): a walk without a record keeps only its
 * entries' values there, which a walk with a record, which copies a
 * memo's entries whole into its table walks, must not take.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "nest_case.h"
#include "walk_compare.h"

/*
 * A 2D walk of @glevels guest levels over @kind, A/D flags preset so that
 * every walk stays on the fast path and writes nothing: with a record
 * after one without, on the same walkers, it records what a walk with a
 * record records on fresh walkers.
 */
static void record_after_walk_without_one(enum ref_nested_kind kind,
					  int glevels)
{
	struct walk_translation out;
	struct walk_record rec;
	struct walk_fault f;
	struct nest_walk o;
	struct nest_case c;
	char ctx[64];
	int r;

	nest_fixed(&c, kind, PT64_ROOT_4LEVEL, glevels);
	c.guest.flags |= AC(LEAF_ACCESSED) | AC(LEAF_DIRTY) |
			 AC(PARENT_ACCESSED) | AC(UPPER_ACCESSED);
	c.nflags |= NF(LEAF_A) | NF(LEAF_D) | NF(PARENT_A) | NF(OTHERS_AD);
	/* On fresh walkers, with a record: what the walk must record. */
	nest_walk(&o, &c, false);
	cr_assert_eq(o.ret, 0);
	cr_assert_eq(o.rec.guest.nr_entries, glevels);

	cr_assert_eq(env_setup_walkers(&o.e, &o.cfg, &o.gw, &o.nw), 0);
	r = gva_walk_translate_gpa(&o.gw, c.gva, &o.acc, &f, &out);
	cr_assert_eq(r, 0);
	cr_assert_eq(out.gpa, o.rec.gpa);
	memset(&rec, 0, sizeof(rec));
	r = gva_walk_translate(&o.gw, c.gva, &o.acc, &f, &rec);
	snprintf(ctx, sizeof(ctx), "%s, %d guest levels",
		 kind == REF_NESTED_EPT ? "EPT" : "NPT", glevels);
	assert_same_walk(ctx, r, &f, &rec, o.ret, &o.f, &o.rec);
	env_destroy(&o.e);
}

Test(gva_walk_2d, record_after_walk_without_one_records_table_walks_whole)
{
	record_after_walk_without_one(REF_NESTED_EPT, PT64_ROOT_4LEVEL);
	record_after_walk_without_one(REF_NESTED_NPT, PT64_ROOT_4LEVEL);
	record_after_walk_without_one(REF_NESTED_EPT, PT64_ROOT_5LEVEL);
	record_after_walk_without_one(REF_NESTED_NPT, PT64_ROOT_5LEVEL);
}
