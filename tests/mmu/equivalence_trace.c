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
#include "walk_compare.h"

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

static void compare_result(const struct eq_access_result *a,
			   const struct eq_access_result *b, const char *ctx)
{
	cr_assert(a->gva == b->gva && a->pfec == b->pfec,
		  "%s: the runs made different accesses", ctx);
	assert_same_walk(ctx, a->r, &a->fault, &a->rec, b->r, &b->fault,
			 &b->rec);
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
