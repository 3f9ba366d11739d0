/*
 * guest_memory_page() against host_memory_page(): on a miss and on a hit
 * in the page cache, in the host view and in a guest's view, for pages
 * that are there and pages that are not; and that a frame only asked
 * about is never backed by the kernel.
 */
#include <criterion/criterion.h>
#include <sys/mman.h>
#include <unistd.h>

#include "walker/guest_memory.h"

/* Pages allocated in each view's tests. */
#define NR_PAGES 8
/* Beyond the widest GPA guest memory takes. */
#define GPA_TOO_WIDE (1ULL << 52)

/*
 * guest_memory_page() of @gpa, asked twice (a miss, then a hit), and of
 * a GPA in the same page, is @want each time.
 */
static void assert_page(const struct guest_memory *mem, u64 gpa, void *want)
{
	cr_assert_eq(guest_memory_page(mem, gpa), want, "gpa %#llx",
		     (unsigned long long)gpa);
	cr_assert_eq(guest_memory_page(mem, gpa), want, "gpa %#llx again",
		     (unsigned long long)gpa);
	cr_assert_eq(guest_memory_page(mem, gpa | PAGE_OFFSET_MASK), want,
		     "gpa %#llx, last byte", (unsigned long long)gpa);
}

Test(guest_memory_page, host_view_gives_each_allocated_page_and_null_elsewhere)
{
	struct host_memory *host = host_memory_create();
	struct guest_memory view;
	u64 hpa[NR_PAGES], low, i;

	cr_assert_not_null(host);
	cr_assert_eq(guest_memory_init_host_view(&view, host), 0);
	for (i = 0; i < NR_PAGES; i++) {
		hpa[i] = host_memory_alloc_page(host);
		cr_assert_neq(hpa[i], INVALID_HPA);
	}
	low = host_memory_alloc_page_below_4g(host);
	cr_assert_neq(low, INVALID_HPA);

	for (i = 0; i < NR_PAGES; i++)
		assert_page(&view, hpa[i], host_memory_page(host, hpa[i]));
	assert_page(&view, low, host_memory_page(host, low));
	/* Not allocated: misses that fill nothing. */
	assert_page(&view, hpa[NR_PAGES - 1] + PAGE_SIZE, NULL);
	assert_page(&view, low + PAGE_SIZE, NULL);
	assert_page(&view, 0, NULL);
	assert_page(&view, GPA_TOO_WIDE + hpa[0], NULL);
	/* A page that shares a cache entry with one kept there. */
	assert_page(&view, hpa[0] + GFN_CACHE_SIZE * PAGE_SIZE, NULL);
	assert_page(&view, hpa[0], host_memory_page(host, hpa[0]));
	guest_memory_destroy(&view);
	host_memory_destroy(host);
}

Test(guest_memory_page, guest_view_gives_the_page_backing_each_gfn)
{
	struct host_memory *host = host_memory_create();
	struct guest_memory mem;
	u64 gpa, hpa, i;

	cr_assert_not_null(host);
	cr_assert_eq(guest_memory_init(&mem, host), 0);
	/* Two runs apart, so the lookup has more than one range. */
	cr_assert_eq(guest_memory_back(&mem, 0, NR_PAGES * PAGE_SIZE), 0);
	cr_assert_eq(guest_memory_back(&mem, 1ULL << 40, PAGE_SIZE), 0);

	for (i = 0; i < NR_PAGES; i++) {
		gpa = i * PAGE_SIZE;
		hpa = guest_memory_gpa_to_hpa(&mem, gpa);
		cr_assert_neq(hpa, INVALID_HPA);
		assert_page(&mem, gpa, host_memory_page(host, hpa));
	}
	hpa = guest_memory_gpa_to_hpa(&mem, 1ULL << 40);
	cr_assert_neq(hpa, INVALID_HPA);
	assert_page(&mem, 1ULL << 40, host_memory_page(host, hpa));
	/* Backed in the host, not in the guest: no page. */
	assert_page(&mem, hpa, NULL);
	assert_page(&mem, NR_PAGES * PAGE_SIZE, NULL);
	assert_page(&mem, GPA_TOO_WIDE, NULL);
	assert_page(&mem, GPA_TOO_WIDE + (1ULL << 40), NULL);
	guest_memory_destroy(&mem);
	host_memory_destroy(host);
}

/* Does the kernel back the simulator's page @page (mincore())? */
static bool page_is_resident(const void *page)
{
	unsigned char vec = 0;

	cr_assert_eq(mincore((void *)page, PAGE_SIZE, &vec), 0);
	return vec & 1;
}

/*
 * Asking whether a frame is allocated, or which HPA backs a GPA, is no
 * write: the host's teardown does not zero such a frame, and the kernel
 * never backs it.  A frame written through host_memory_page() is zeroed
 * (it is then resident), so the check can tell the two apart.
 */
Test(guest_memory_page, frame_only_asked_about_is_never_backed)
{
	struct host_memory *host = host_memory_create();
	struct guest_memory view, mem;
	u8 **const *arenas;
	const u8 *asked, *written;
	u64 hpa, frame;

	cr_assert_not_null(host);
	cr_assert_eq(guest_memory_init_host_view(&view, host), 0);
	cr_assert_eq(guest_memory_init(&mem, host), 0);
	hpa = host_memory_alloc_pages(host, 2, 1);
	cr_assert_neq(hpa, INVALID_HPA);
	cr_assert(host_memory_frames(host, hpa, &arenas, &frame));
	cr_assert_eq(host_memory_map_frames(host, hpa, 2), 0);
	asked = host_arena_frame(*arenas, frame);
	written = host_arena_frame(*arenas, frame + 1);

	cr_assert(host_memory_is_allocated(host, hpa));
	cr_assert_eq(guest_memory_gpa_to_hpa(&view, hpa), hpa);
	cr_assert(guest_memory_is_backed(&view, hpa + PAGE_OFFSET_MASK));
	cr_assert_eq(guest_memory_map_page(&mem, 0, hpa), 0);
	cr_assert_eq(guest_memory_gpa_to_hpa(&mem, 0), hpa);
	*(u8 *)host_memory_page(host, hpa + PAGE_SIZE) = 1;
	cr_assert_not(page_is_resident(asked));
	cr_assert(page_is_resident(written));

	/* Destroyed, the arena stays mapped in the pool, zeroed. */
	guest_memory_destroy(&mem);
	guest_memory_destroy(&view);
	host_memory_destroy(host);
	cr_assert_not(page_is_resident(asked));
	cr_assert_eq(*written, 0);
}
