/* One field-by-field comparison of two walks, for the tests that need it. */
#include <criterion/criterion.h>
#include <inttypes.h>

#include "walk_compare.h"

static void assert_same_path(const char *ctx, const struct walk_path *a,
			     const struct walk_path *b, const char *what,
			     int index)
{
	int i;

	cr_assert_eq(a->nr_entries, b->nr_entries, "%s: %s[%d] nr_entries", ctx,
		     what, index);
	cr_assert_eq(a->refs, b->refs, "%s: %s[%d] refs", ctx, what, index);
	for (i = 0; i < a->nr_entries; i++) {
		const struct walk_entry *x = &a->entries[i],
					*y = &b->entries[i];

		cr_assert(x->level == y->level && x->pte_addr == y->pte_addr &&
				  x->pte_gpa == y->pte_gpa &&
				  x->before == y->before &&
				  x->after == y->after,
			  "%s: %s[%d] entry %d: L%d %#" PRIx64 "/%#" PRIx64
			  " %#" PRIx64 "->%#" PRIx64 ", from the root L%d "
			  "%#" PRIx64 "/%#" PRIx64 " %#" PRIx64 "->%#" PRIx64,
			  ctx, what, index, i, x->level, x->pte_addr,
			  x->pte_gpa, x->before, x->after, y->level,
			  y->pte_addr, y->pte_gpa, y->before, y->after);
	}
}

void assert_same_walk(const char *ctx, int ra, const struct walk_fault *fa,
		      const struct walk_record *a, int rb,
		      const struct walk_fault *fb, const struct walk_record *b)
{
	int i;

	cr_assert_eq(ra, rb, "%s: returns %d, from the root %d", ctx, ra, rb);
	cr_assert(fa->kind == fb->kind && fa->nested == fb->nested &&
			  fa->vector == fb->vector &&
			  fa->error_code == fb->error_code &&
			  fa->exit_qualification == fb->exit_qualification &&
			  fa->address == fb->address && fa->gva == fb->gva &&
			  fa->level == fb->level,
		  "%s: fault %s %#" PRIx64 "/%#" PRIx64 " at %#" PRIx64
		  " L%d, from the root %s %#" PRIx64 "/%#" PRIx64
		  " at %#" PRIx64 " L%d",
		  ctx, walk_fault_name(fa->kind), fa->error_code,
		  fa->exit_qualification, fa->address, fa->level,
		  walk_fault_name(fb->kind), fb->error_code,
		  fb->exit_qualification, fb->address, fb->level);
	/* A fault that reached no walk leaves the record as it was. */
	assert_same_path(ctx, &a->guest, &b->guest, "guest", 0);
	for (i = 0; i < WALK_MAX_LEVELS; i++)
		assert_same_path(ctx, &a->table_walks[i], &b->table_walks[i],
				 "table_walks", i);
	assert_same_path(ctx, &a->final_walk, &b->final_walk, "final_walk", 0);
	cr_assert(a->two_dimensional == b->two_dimensional &&
			  a->refs == b->refs && a->restarts == b->restarts &&
			  a->ngpa == b->ngpa && a->gpa == b->gpa &&
			  a->hpa == b->hpa && a->pte_access == b->pte_access &&
			  a->leaf_level == b->leaf_level,
		  "%s: record outputs: refs %u/%u restarts %u/%u ngpa %#" PRIx64
		  "/%#" PRIx64 " gpa %#" PRIx64 "/%#" PRIx64 " hpa %#" PRIx64
		  "/%#" PRIx64 " access %u/%u level %d/%d",
		  ctx, a->refs, b->refs, a->restarts, b->restarts, a->ngpa,
		  b->ngpa, a->gpa, b->gpa, a->hpa, b->hpa, a->pte_access,
		  b->pte_access, a->leaf_level, b->leaf_level);
}
