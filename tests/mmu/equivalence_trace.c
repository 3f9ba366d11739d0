/*
 * The results of one run of an equivalence scenario, kept to compare it
 * with another run of the same seed (mmu_walk_resume in
 * equivalence_test.c): the MMU resuming its walks after a fault against
 * the MMU walking from the root.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <string.h>

#include "equivalence.h"

void eq_trace_access(struct scenario *s, u64 gva, const struct walk_access *a,
		     int r, const struct walk_fault *f,
		     const struct walk_record *rec)
{
	struct eq_access_result *res;

	if (!s->trace)
		return;
	cr_assert_lt(s->trace->nr_results, EQ_TRACE_MAX_RESULTS);
	res = &s->trace->results[s->trace->nr_results++];
	res->gva = gva;
	res->pfec = a->pfec;
	res->r = r;
	res->fault = *f;
	res->rec = *rec;
}

/* FNV-1a over the 8-byte words of [@gpa, @end) of @mem. */
static u64 hash_range(const struct guest_memory *mem, u64 gpa, u64 end, u64 h)
{
	for (; gpa < end; gpa += 8) {
		u64 val = 0;

		/* A page not backed hashes as zeroes. */
		guest_memory_read(mem, gpa, 8, &val);
		h = (h ^ val) * 0x100000001b3ULL;
	}
	return h;
}

void eq_trace_end(struct scenario *s)
{
	if (!s->trace)
		return;
	s->trace->stats = *mmu_get_stats(s->mmu);
	s->trace->tables_hash =
		hash_range(&s->mem, NESTED_TABLES_GPA, s->next_nested_table,
			   hash_range(&s->mem, GUEST_TABLES_GPA, s->next_table,
				      0xcbf29ce484222325ULL));
}

static void compare_path(const struct walk_path *a, const struct walk_path *b,
			 const char *ctx, const char *what, int index)
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

static void compare_result(const struct eq_access_result *a,
			   const struct eq_access_result *b, const char *ctx)
{
	const struct walk_fault *fa = &a->fault, *fb = &b->fault;
	const struct walk_record *ra = &a->rec, *rb = &b->rec;
	int i;

	cr_assert(a->gva == b->gva && a->pfec == b->pfec,
		  "%s: the runs made different accesses", ctx);
	cr_assert_eq(a->r, b->r, "%s: returns %d, from the root %d", ctx, a->r,
		     b->r);
	cr_assert(fa->kind == fb->kind && fa->nested == fb->nested &&
			  fa->vector == fb->vector &&
			  fa->error_code == fb->error_code &&
			  fa->exit_qualification == fb->exit_qualification &&
			  fa->address == fb->address && fa->gva == fb->gva &&
			  fa->level == fb->level,
		  "%s: fault %s %#" PRIx64 "/%#" PRIx64 " at %#" PRIx64
		  ", from the root %s %#" PRIx64 "/%#" PRIx64 " at %#" PRIx64,
		  ctx, walk_fault_name(fa->kind), fa->error_code,
		  fa->exit_qualification, fa->address,
		  walk_fault_name(fb->kind), fb->error_code,
		  fb->exit_qualification, fb->address);
	/* A fault that reached no walk leaves the record as it was. */
	compare_path(&ra->guest, &rb->guest, ctx, "guest", 0);
	for (i = 0; i < WALK_MAX_LEVELS; i++)
		compare_path(&ra->table_walks[i], &rb->table_walks[i], ctx,
			     "table_walks", i);
	compare_path(&ra->final_walk, &rb->final_walk, ctx, "final_walk", 0);
	cr_assert(ra->two_dimensional == rb->two_dimensional &&
			  ra->refs == rb->refs &&
			  ra->restarts == rb->restarts &&
			  ra->ngpa == rb->ngpa && ra->gpa == rb->gpa &&
			  ra->hpa == rb->hpa &&
			  ra->pte_access == rb->pte_access &&
			  ra->leaf_level == rb->leaf_level,
		  "%s: record outputs: refs %u/%u restarts %u/%u gpa %#" PRIx64
		  "/%#" PRIx64 " hpa %#" PRIx64 "/%#" PRIx64,
		  ctx, ra->refs, rb->refs, ra->restarts, rb->restarts, ra->gpa,
		  rb->gpa, ra->hpa, rb->hpa);
}

void eq_trace_compare(const struct eq_trace *resumed,
		      const struct eq_trace *from_root, enum eq_mode mode,
		      u64 seed)
{
	struct mmu_stats stats = resumed->stats;
	unsigned int i;
	char ctx[96];

	cr_assert_eq(resumed->nr_results, from_root->nr_results,
		     "mode %d seed %#" PRIx64 ": accesses", mode, seed);
	for (i = 0; i < resumed->nr_results; i++) {
		snprintf(ctx, sizeof(ctx),
			 "mode %d seed %#" PRIx64 " access %u gva %#" PRIx64,
			 mode, seed, i, resumed->results[i].gva);
		compare_result(&resumed->results[i], &from_root->results[i],
			       ctx);
	}
	cr_assert_eq(from_root->stats.walks_resumed, 0);
	stats.walks_resumed = 0;
	cr_assert(!memcmp(&stats, &from_root->stats, sizeof(stats)),
		  "mode %d seed %#" PRIx64 ": the MMU's counters differ", mode,
		  seed);
	cr_assert_eq(resumed->tables_hash, from_root->tables_hash,
		     "mode %d seed %#" PRIx64 ": the tables differ", mode,
		     seed);
}
