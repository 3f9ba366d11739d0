/*
 * guest_memory_find_span() and guest_memory_span_page() against
 * guest_memory_page(): a span gives the page of each of its GFNs and
 * nothing past its ends, keeps giving them while more memory is backed,
 * and is empty where guest memory is not a memslot-like range; in the
 * host view it holds the allocated frames around in an arena.
 */
#include <criterion/criterion.h>

#include "walker/guest_memory.h"

#define SPAN_RANGE_GPA 0x100000ULL
#define SPAN_RANGE_PAGES 64
#define SPAN_FAR_GPA (1ULL << 40)
#define SPAN_FAR_PAGES 8
/* Backed by a frame below 4G, apart from every range. */
#define SPAN_LOW_GPA 0x7000000ULL
/* Enough pages to grow the host's table of arenas several times. */
#define SPAN_GROW_PAGES (64 * 512)
#define SPAN_GROW_GPA (1ULL << 36)
/* Single pages apart: more than the ranges table holds (1024). */
#define SPAN_NR_APART 1100
#define SPAN_APART_GPA (1ULL << 44)
/* Beyond the widest GPA guest memory takes. */
#define GPA_TOO_WIDE (1ULL << 52)

struct span_env {
	struct host_memory *host;
	struct guest_memory mem;
};

static void span_env_init(struct span_env *s)
{
	s->host = host_memory_create();
	cr_assert_not_null(s->host);
	cr_assert_eq(guest_memory_init(&s->mem, s->host), 0);
	cr_assert_eq(guest_memory_back(&s->mem, SPAN_RANGE_GPA,
				       SPAN_RANGE_PAGES * PAGE_SIZE),
		     0);
	cr_assert_eq(guest_memory_back(&s->mem, SPAN_FAR_GPA,
				       SPAN_FAR_PAGES * PAGE_SIZE),
		     0);
}

static void span_env_destroy(struct span_env *s)
{
	guest_memory_destroy(&s->mem);
	host_memory_destroy(s->host);
}

/*
 * The span of @gpa holds @gpa and gives guest_memory_page() of each of
 * its GFNs, and NULL for the GFNs just past its ends.
 */
static void assert_span(const struct guest_memory *mem, u64 gpa,
			struct guest_memory_span *span)
{
	u64 gfn;

	cr_assert(guest_memory_find_span(mem, gpa, span), "gpa %#llx",
		  (unsigned long long)gpa);
	cr_assert_geq(gpa_to_gfn(gpa), span->gfn);
	cr_assert_lt(gpa_to_gfn(gpa) - span->gfn, span->nr_pages);
	for (gfn = span->gfn; gfn < span->gfn + span->nr_pages; gfn++) {
		const void *page = guest_memory_page(mem, gfn << PAGE_SHIFT);

		cr_assert_not_null(page, "gfn %#llx", (unsigned long long)gfn);
		cr_assert_eq(guest_memory_span_page(span, gfn << PAGE_SHIFT),
			     page, "gfn %#llx", (unsigned long long)gfn);
		cr_assert_eq(
			guest_memory_span_page(span, (gfn << PAGE_SHIFT) |
							     PAGE_OFFSET_MASK),
			page, "gfn %#llx, last byte", (unsigned long long)gfn);
	}
	cr_assert_null(
		guest_memory_span_page(span, (span->gfn - 1) << PAGE_SHIFT));
	cr_assert_null(guest_memory_span_page(span, (span->gfn + span->nr_pages)
							    << PAGE_SHIFT));
}

/* Not in a range: no span, and an empty one gives no page. */
static void assert_no_span(const struct guest_memory *mem, u64 gpa)
{
	struct guest_memory_span span;

	cr_assert_not(guest_memory_find_span(mem, gpa, &span), "gpa %#llx",
		      (unsigned long long)gpa);
	cr_assert_eq(span.nr_pages, 0);
	cr_assert_null(guest_memory_span_page(&span, gpa));
	cr_assert_null(guest_memory_span_page(&span, 0));
}

Test(guest_memory_span, gives_the_page_of_each_gfn_of_its_range)
{
	struct guest_memory_span span;
	struct span_env s;
	u64 i;

	span_env_init(&s);
	for (i = 0; i < SPAN_RANGE_PAGES; i++) {
		assert_span(&s.mem, SPAN_RANGE_GPA + i * PAGE_SIZE + i, &span);
		/* The range's frames are in one run: the span is all of it. */
		cr_assert_eq(span.gfn, gpa_to_gfn(SPAN_RANGE_GPA));
		cr_assert_eq(span.nr_pages, SPAN_RANGE_PAGES);
	}
	assert_span(&s.mem, SPAN_FAR_GPA + PAGE_SIZE, &span);
	cr_assert_eq(span.gfn, gpa_to_gfn(SPAN_FAR_GPA));
	cr_assert_eq(span.nr_pages, SPAN_FAR_PAGES);
	span_env_destroy(&s);
}

Test(guest_memory_span, gives_a_page_backed_below_4g)
{
	struct guest_memory_span span;
	struct span_env s;
	u64 hpa;

	span_env_init(&s);
	hpa = host_memory_alloc_page_below_4g(s.host);
	cr_assert_neq(hpa, INVALID_HPA);
	cr_assert_eq(guest_memory_map_page(&s.mem, SPAN_LOW_GPA, hpa), 0);
	assert_span(&s.mem, SPAN_LOW_GPA, &span);
	cr_assert_eq(guest_memory_span_page(&span, SPAN_LOW_GPA),
		     host_memory_page(s.host, hpa));
	span_env_destroy(&s);
}

Test(guest_memory_span, holds_while_more_memory_is_backed)
{
	struct guest_memory_span span;
	struct span_env s;
	u64 generation;

	span_env_init(&s);
	generation = s.mem.generation;
	assert_span(&s.mem, SPAN_RANGE_GPA, &span);
	cr_assert_eq(guest_memory_back(&s.mem, SPAN_GROW_GPA,
				       SPAN_GROW_PAGES * PAGE_SIZE),
		     0);
	cr_assert_eq(s.mem.generation, generation);
	assert_span(&s.mem, SPAN_RANGE_GPA, &span);
	assert_span(&s.mem, SPAN_GROW_GPA + SPAN_GROW_PAGES / 2 * PAGE_SIZE,
		    &span);
	span_env_destroy(&s);
}

Test(guest_memory_span, is_empty_where_no_range_backs_the_gpa)
{
	struct span_env s;
	u64 i;

	span_env_init(&s);
	assert_no_span(&s.mem, SPAN_RANGE_GPA - PAGE_SIZE);
	assert_no_span(&s.mem, SPAN_RANGE_GPA + SPAN_RANGE_PAGES * PAGE_SIZE);
	assert_no_span(&s.mem, 0);
	assert_no_span(&s.mem, GPA_TOO_WIDE + SPAN_RANGE_GPA);

	/* Past the ranges table, pages are backed one by one. */
	for (i = 0; i < SPAN_NR_APART; i++)
		cr_assert_eq(guest_memory_back(
				     &s.mem, SPAN_APART_GPA + 2 * i * PAGE_SIZE,
				     PAGE_SIZE),
			     0);
	cr_assert_not_null(guest_memory_page(
		&s.mem, SPAN_APART_GPA + 2 * (SPAN_NR_APART - 1) * PAGE_SIZE));
	assert_no_span(&s.mem,
		       SPAN_APART_GPA + 2 * (SPAN_NR_APART - 1) * PAGE_SIZE);
	span_env_destroy(&s);
}

/*
 * The span of @hpa in the host view @view: the allocated frames from
 * @first_hpa, @nr_pages of them, in @hpa's arena.
 */
static void assert_host_view_span(const struct guest_memory *view, u64 hpa,
				  u64 first_hpa, u64 nr_pages)
{
	struct guest_memory_span span;

	assert_span(view, hpa, &span);
	cr_assert_eq(span.gfn, gpa_to_gfn(first_hpa), "hpa %#llx",
		     (unsigned long long)hpa);
	cr_assert_eq(span.nr_pages, nr_pages, "hpa %#llx",
		     (unsigned long long)hpa);
}

Test(guest_memory_span, in_the_host_view_holds_the_allocated_frames_around)
{
	struct guest_memory view;
	struct span_env s;
	u64 first_hpa, far_hpa, skip_hpa, next_hpa;

	span_env_init(&s);
	cr_assert_eq(guest_memory_init_host_view(&view, s.host), 0);
	/* Both ranges' frames, in order from the first arena's start. */
	first_hpa = guest_memory_gpa_to_hpa(&s.mem, SPAN_RANGE_GPA);
	far_hpa = guest_memory_gpa_to_hpa(&s.mem, SPAN_FAR_GPA);
	cr_assert_eq(gpa_to_gfn(first_hpa) % HOST_ARENA_PAGES, 0);
	cr_assert_eq(far_hpa, first_hpa + SPAN_RANGE_PAGES * PAGE_SIZE);
	assert_host_view_span(&view, first_hpa, first_hpa,
			      SPAN_RANGE_PAGES + SPAN_FAR_PAGES);
	assert_host_view_span(&view, far_hpa + SPAN_FAR_PAGES * PAGE_SIZE - 1,
			      first_hpa, SPAN_RANGE_PAGES + SPAN_FAR_PAGES);
	/* Frames skipped for an alignment end a span; later ones join it. */
	skip_hpa = host_memory_alloc_pages(s.host, 1, HOST_ARENA_PAGES / 2);
	cr_assert_eq(skip_hpa, first_hpa + HOST_ARENA_PAGES / 2 * PAGE_SIZE);
	assert_no_span(&view, skip_hpa - PAGE_SIZE);
	assert_host_view_span(&view, far_hpa, first_hpa,
			      SPAN_RANGE_PAGES + SPAN_FAR_PAGES);
	assert_host_view_span(&view, skip_hpa, skip_hpa, 1);
	next_hpa = host_memory_alloc_page(s.host);
	cr_assert_eq(next_hpa, skip_hpa + PAGE_SIZE);
	assert_host_view_span(&view, skip_hpa, skip_hpa, 2);
	/* A span ends with its arena. */
	next_hpa = host_memory_alloc_pages(s.host, HOST_ARENA_PAGES, 1);
	cr_assert_eq(next_hpa, skip_hpa + 2 * PAGE_SIZE);
	assert_host_view_span(&view, next_hpa, skip_hpa, HOST_ARENA_PAGES / 2);
	assert_host_view_span(&view,
			      first_hpa + (HOST_ARENA_PAGES + 1) * PAGE_SIZE,
			      first_hpa + HOST_ARENA_PAGES * PAGE_SIZE,
			      HOST_ARENA_PAGES / 2 + 2);
	/* An arena allocated to its last frame is one span. */
	next_hpa = host_memory_alloc_pages(s.host, HOST_ARENA_PAGES / 2 - 2, 1);
	cr_assert_eq(next_hpa,
		     first_hpa + (HOST_ARENA_PAGES * 3 / 2 + 2) * PAGE_SIZE);
	assert_host_view_span(&view, next_hpa,
			      first_hpa + HOST_ARENA_PAGES * PAGE_SIZE,
			      HOST_ARENA_PAGES);
	assert_host_view_span(
		&view, first_hpa + (HOST_ARENA_PAGES * 2 - 1) * PAGE_SIZE,
		first_hpa + HOST_ARENA_PAGES * PAGE_SIZE, HOST_ARENA_PAGES);
	assert_host_view_span(&view, skip_hpa, skip_hpa, HOST_ARENA_PAGES / 2);
	/* A frame below 4G is in a run of its own. */
	next_hpa = host_memory_alloc_page_below_4g(s.host);
	cr_assert_neq(next_hpa, INVALID_HPA);
	assert_host_view_span(&view, next_hpa, next_hpa, 1);
	assert_no_span(&view, next_hpa + PAGE_SIZE);
	guest_memory_destroy(&view);
	span_env_destroy(&s);
}

/* Arenas of the lazy-mapping tests: a 2M-aligned range of them. */
#define SPAN_LAZY_ARENAS 4
#define SPAN_LAZY_GPA (1ULL << 38)

/* Is the arena that holds @hpa mapped yet (its table's entry set)? */
static bool arena_is_mapped(struct host_memory *host, u64 hpa)
{
	u8 **const *arenas;
	u64 frame;

	cr_assert(host_memory_frames(host, hpa, &arenas, &frame));
	return (*arenas)[frame >> HOST_ARENA_SHIFT];
}

/* Does each word of the @nr pages of @span from its @first-th read 0? */
static bool span_pages_read_zero(const struct guest_memory_span *span,
				 u64 first, u64 nr)
{
	u64 bits = 0, i, w;

	for (i = first; i < first + nr; i++) {
		const u64 *page = guest_memory_span_nth_page(span, i);

		for (w = 0; w < PAGE_SIZE / sizeof(u64); w++)
			bits |= page[w];
	}
	return !bits;
}

/*
 * Host frames are mapped only when a pointer into their arena is handed
 * out, and read as zero then; a span taken before a write into it (as
 * the walker keeps one) reads the write, in a guest's view and in the
 * host view.
 */
Test(guest_memory_span, maps_an_arena_when_handed_out_and_reads_it_after_writes)
{
	const u64 nr = SPAN_LAZY_ARENAS * HOST_ARENA_PAGES;
	const u64 last = SPAN_LAZY_GPA + (nr - 1) * PAGE_SIZE;
	struct guest_memory_span span, host_span;
	struct guest_memory view;
	struct span_env s;
	u64 hpa, i, val;

	span_env_init(&s);
	cr_assert_eq(guest_memory_init_host_view(&view, s.host), 0);
	cr_assert_eq(guest_memory_back_contiguous(&s.mem, SPAN_LAZY_GPA,
						  nr * PAGE_SIZE,
						  HOST_ARENA_PAGES * PAGE_SIZE),
		     0);
	hpa = guest_memory_gpa_to_hpa(&s.mem, SPAN_LAZY_GPA);
	for (i = 0; i < SPAN_LAZY_ARENAS; i++)
		cr_assert_not(arena_is_mapped(
			s.host, hpa + i * HOST_ARENA_PAGES * PAGE_SIZE));

	/* The host view's span of a frame: its arena, mapped, all zero. */
	cr_assert(guest_memory_find_span(&view, hpa, &host_span));
	cr_assert_eq(host_span.nr_pages, HOST_ARENA_PAGES);
	cr_assert(arena_is_mapped(s.host, hpa));
	cr_assert_not(
		arena_is_mapped(s.host, hpa + HOST_ARENA_PAGES * PAGE_SIZE));
	cr_assert(span_pages_read_zero(&host_span, 0, HOST_ARENA_PAGES));

	/* A guest's span of the last page: the range, every arena mapped. */
	cr_assert(guest_memory_find_span(&s.mem, last, &span));
	cr_assert_eq(span.gfn, gpa_to_gfn(SPAN_LAZY_GPA));
	cr_assert_eq(span.nr_pages, nr);
	for (i = 0; i < SPAN_LAZY_ARENAS; i++)
		cr_assert(arena_is_mapped(s.host, hpa + i * HOST_ARENA_PAGES *
								  PAGE_SIZE));
	cr_assert(span_pages_read_zero(&span, 0, nr));

	/* Writes after the spans were taken: both spans read them. */
	cr_assert_eq(guest_memory_write(&s.mem, last, 8, 0x1234), 0);
	cr_assert_eq(((const u64 *)guest_memory_span_page(&span, last))[0],
		     0x1234);
	*(u64 *)host_memory_page(s.host, hpa + PAGE_SIZE) = 0x5678;
	cr_assert_eq(
		((const u64 *)guest_memory_span_nth_page(&host_span, 1))[0],
		0x5678);
	cr_assert_eq(((const u64 *)guest_memory_span_nth_page(&span, 1))[0],
		     0x5678);
	cr_assert_eq(guest_memory_read(&s.mem, SPAN_LAZY_GPA + PAGE_SIZE, 8,
				       &val),
		     0);
	cr_assert_eq(val, 0x5678);
	cr_assert(span_pages_read_zero(&span, 2, nr - 3));
	guest_memory_destroy(&view);
	span_env_destroy(&s);
}

/*
 * A frame written through host_memory_page() maps its arena alone: the
 * frames of the other arenas of a 1G allocation map none.
 */
Test(guest_memory_span, page_handed_out_maps_its_arena_alone)
{
	const u64 nr = 1ULL << (30 - PAGE_SHIFT);
	struct host_memory *host = host_memory_create();
	u64 hpa, i;

	cr_assert_not_null(host);
	hpa = host_memory_alloc_pages(host, nr, nr);
	cr_assert_neq(hpa, INVALID_HPA);
	*(u64 *)host_memory_page(host, hpa + nr / 2 * PAGE_SIZE) = 1;
	for (i = 0; i < nr; i += HOST_ARENA_PAGES)
		cr_assert_eq(arena_is_mapped(host, hpa + i * PAGE_SIZE),
			     i == nr / 2, "frame %llu", (unsigned long long)i);
	host_memory_destroy(host);
}
