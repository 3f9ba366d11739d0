/*
 * Host memory: 4K pages with host physical addresses, allocated in order
 * from arenas of HOST_ARENA_PAGES frames, each mapped when a pointer into
 * it is first handed out.  A destroyed host's arenas go, zeroed, to a
 * small pool that the next hosts take theirs from.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "walker/guest_memory.h"

/* Host physical addresses stay below 2^52, as on any x86 host. */
#define HOST_MEMORY_MAX_PAGES \
	((1ULL << (52 - PAGE_SHIFT)) - HOST_MEMORY_FIRST_PFN)
#define HOST_MEMORY_MAX_LOW_PAGES \
	(HOST_MEMORY_FIRST_PFN - HOST_MEMORY_LOW_FIRST_PFN)

/*
 * An arena is one anonymous mapping of 2 MiB: the kernel backs each of its
 * pages on first touch, with a zeroed page, so a frame costs no RSS until
 * it is written (a read of an untouched one maps the shared zero page) and
 * then 4 KiB.  Transparent huge pages are refused, or one touched frame
 * would cost 2 MiB.
 */
#define HOST_ARENA_BYTES (HOST_ARENA_PAGES << PAGE_SHIFT)
#define BITS_PER_U64 64
static_assert(HOST_ARENA_BYTES == 2ULL << 20, "an arena is 2 MiB");
static_assert(HOST_ARENA_PAGES % BITS_PER_U64 == 0,
	      "an arena's frames fill whole bitmap words");

/*
 * Arenas of destroyed hosts, ready for the next: every frame reads as zero
 * again, and the pages already backed stay backed, so that a program that
 * creates and destroys hosts one after another (a fuzz target, an input
 * each; a sweep of runs) does not fault in and zero each page again
 * through the kernel, which took a fifth of fuzz_mmu's time
 * (docs/fuzzing.md).  Pooled arenas stay mapped and writable (making
 * them PROT_NONE cost more than it saved: mprotect() visits every page),
 * so a pointer kept into a destroyed host's memory no longer faults.  The
 * pool holds at most HOST_ARENA_POOL_MAX arenas (64 MiB of address space, and
 * of RSS at most).  It is the one state that hosts share, and hosts may
 * live on different threads (docs/library.md: different handles are
 * independent), so host_arena_pool_lock guards it; it is taken once per
 * 2 MiB arena, never per page.
 */
#define HOST_ARENA_POOL_MAX 32
static void *host_arena_pool[HOST_ARENA_POOL_MAX];
static unsigned int host_arena_pool_len;
static atomic_flag host_arena_pool_lock = ATOMIC_FLAG_INIT;

static void host_arena_pool_acquire(void)
{
	while (atomic_flag_test_and_set_explicit(&host_arena_pool_lock,
						 memory_order_acquire))
		;
}

static void host_arena_pool_release(void)
{
	atomic_flag_clear_explicit(&host_arena_pool_lock, memory_order_release);
}

/* Put @arena, all zero, in the pool; false when the pool is full. */
static bool host_arena_pool_put(void *arena)
{
	bool put;

	host_arena_pool_acquire();
	put = host_arena_pool_len < HOST_ARENA_POOL_MAX;
	if (put)
		host_arena_pool[host_arena_pool_len++] = arena;
	host_arena_pool_release();
	return put;
}

/* An arena from the pool, all zero, or NULL when the pool is empty. */
static void *host_arena_pool_take(void)
{
	void *arena = NULL;

	host_arena_pool_acquire();
	if (host_arena_pool_len)
		arena = host_arena_pool[--host_arena_pool_len];
	host_arena_pool_release();
	return arena;
}

/*
 * One run of host frames, allocated in order from @first_pfn.  Frame i
 * (pfn @first_pfn + i) lives in arenas[i / HOST_ARENA_PAGES]; bit i of
 * @allocated says it was handed out (frames skipped for an alignment
 * were not); bit i of @touched that host_memory_page() gave a pointer to
 * it, the only way to write a frame, so that the frames with a bit clear
 * still read as zero.  An arena is NULL until a pointer into it is
 * handed out (host_memory_page(), host_memory_map_frames(),
 * host_memory_allocated_frames()): until then none of its frames was
 * read or written, and each reads as zero once mapped.  A 1G allocation
 * that nothing reads (a memslot that only the MMU's tables point into)
 * costs no mmap() and munmap() of 512 arenas.
 */
struct host_frames {
	u8 **arenas;
	u64 *allocated;
	u64 *touched;
	u64 first_pfn;
	u64 max_pages;
	/* Frames handed out or skipped: the next frame is first_pfn + nr_pages. */
	u64 nr_pages;
	/* Frames handed out. */
	u64 nr_allocated;
	u64 nr_arenas;
};

/*
 * @high: frames from 4G up; @low: the frames below 4G (GFP_DMA32).
 * @limit: the most frames @high and @low may hand out together.
 */
struct host_memory {
	struct host_frames high;
	struct host_frames low;
	u64 limit;
};

struct host_memory *host_memory_create(void)
{
	struct host_memory *host = calloc(1, sizeof(*host));

	if (!host)
		return NULL;
	host->high.first_pfn = HOST_MEMORY_FIRST_PFN;
	host->high.max_pages = HOST_MEMORY_MAX_PAGES;
	host->low.first_pfn = HOST_MEMORY_LOW_FIRST_PFN;
	host->low.max_pages = HOST_MEMORY_MAX_LOW_PAGES;
	host->limit = HOST_MEMORY_MAX_PAGES + HOST_MEMORY_MAX_LOW_PAGES;
	return host;
}

/* Zero the frames of arena @i that were touched, then pool or unmap it. */
static void release_arena(struct host_frames *frames, u64 i)
{
	const u64 *touched =
		frames->touched + i * HOST_ARENA_PAGES / BITS_PER_U64;
	u8 *arena = frames->arenas[i];
	u64 word, bits;

	for (word = 0; word < HOST_ARENA_PAGES / BITS_PER_U64; word++) {
		for (bits = touched[word]; bits; bits &= bits - 1) {
			u64 frame = word * BITS_PER_U64 + __builtin_ctzll(bits);

			memset(arena + (frame << PAGE_SHIFT), 0, PAGE_SIZE);
		}
	}
	if (!host_arena_pool_put(arena))
		munmap(arena, HOST_ARENA_BYTES);
}

static void free_frames(struct host_frames *frames)
{
	u64 i;

	for (i = 0; i < frames->nr_arenas; i++)
		if (frames->arenas[i])
			release_arena(frames, i);
	free(frames->arenas);
	free(frames->allocated);
	free(frames->touched);
}

void host_memory_destroy(struct host_memory *host)
{
	if (!host)
		return;
	free_frames(&host->high);
	free_frames(&host->low);
	free(host);
}

void host_memory_set_limit(struct host_memory *host, u64 max_pages)
{
	host->limit = max_pages;
}

u64 host_memory_limit(const struct host_memory *host)
{
	return host->limit;
}

u64 host_memory_pages_left(const struct host_memory *host)
{
	u64 used = host_memory_nr_pages(host);

	return host->limit > used ? host->limit - used : 0;
}

/* Grow @arenas and @allocated to cover @nr_pages frames. */
static int reserve_frames(struct host_frames *frames, u64 nr_pages)
{
	u64 nr_arenas = (nr_pages + HOST_ARENA_PAGES - 1) >> HOST_ARENA_SHIFT;
	u64 capacity = frames->nr_arenas ? frames->nr_arenas : 1;
	u64 words, old_words;
	u8 **arenas;
	u64 *allocated, *touched;

	if (nr_arenas <= frames->nr_arenas)
		return 0;
	while (capacity < nr_arenas)
		capacity *= 2;
	arenas = realloc(frames->arenas, capacity * sizeof(*arenas));
	if (!arenas)
		return -ENOMEM;
	frames->arenas = arenas;
	words = capacity * HOST_ARENA_PAGES / BITS_PER_U64;
	old_words = frames->nr_arenas * HOST_ARENA_PAGES / BITS_PER_U64;
	allocated = realloc(frames->allocated, words * sizeof(*allocated));
	if (!allocated)
		return -ENOMEM;
	frames->allocated = allocated;
	touched = realloc(frames->touched, words * sizeof(*touched));
	if (!touched)
		return -ENOMEM;
	frames->touched = touched;
	memset(arenas + frames->nr_arenas, 0,
	       (capacity - frames->nr_arenas) * sizeof(*arenas));
	memset(allocated + old_words, 0,
	       (words - old_words) * sizeof(*allocated));
	memset(touched + old_words, 0, (words - old_words) * sizeof(*touched));
	frames->nr_arenas = capacity;
	return 0;
}

static int map_arena(struct host_frames *frames, u64 arena)
{
	void *p;

	if (frames->arenas[arena])
		return 0;
	p = host_arena_pool_take();
	if (p) {
		frames->arenas[arena] = p;
		return 0;
	}
	p = mmap(NULL, HOST_ARENA_BYTES, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	madvise(p, HOST_ARENA_BYTES, MADV_NOHUGEPAGE);
	frames->arenas[arena] = p;
	return 0;
}

/*
 * Mark the @nr frames of @frames from frame @first allocated, a bitmap
 * word at a time: a bit at a time cost 2.8 M instructions for 1G.
 */
static void mark_allocated(struct host_frames *frames, u64 first, u64 nr)
{
	u64 end = first + nr;

	while (first < end) {
		unsigned int bit = first % BITS_PER_U64;
		u64 last = end - first < BITS_PER_U64 - bit ?
				   bit + (end - first) - 1 :
				   BITS_PER_U64 - 1;

		frames->allocated[first / BITS_PER_U64] |=
			GENMASK_ULL(last, bit);
		first += last - bit + 1;
	}
}

static int alloc_frames(struct host_memory *host, struct host_frames *frames,
			u64 nr, u64 align, u64 *hpa)
{
	u64 first_pfn, skip;
	int r;

	if (!nr || !align || (align & (align - 1)))
		return -EINVAL;
	if (nr > host_memory_pages_left(host))
		return -EDQUOT;
	first_pfn = frames->first_pfn + frames->nr_pages;
	skip = (align - (first_pfn & (align - 1))) & (align - 1);
	if (nr > frames->max_pages - frames->nr_pages ||
	    skip > frames->max_pages - frames->nr_pages - nr)
		return -ENOMEM;
	r = reserve_frames(frames, frames->nr_pages + skip + nr);
	if (r)
		return r;
	mark_allocated(frames, frames->nr_pages + skip, nr);
	frames->nr_pages += skip + nr;
	frames->nr_allocated += nr;
	*hpa = (first_pfn + skip) << PAGE_SHIFT;
	return 0;
}

int host_memory_alloc(struct host_memory *host, u64 nr, u64 align, u64 *hpa)
{
	return alloc_frames(host, &host->high, nr, align, hpa);
}

u64 host_memory_alloc_page(struct host_memory *host)
{
	u64 hpa;

	return alloc_frames(host, &host->high, 1, 1, &hpa) ? INVALID_HPA : hpa;
}

u64 host_memory_alloc_pages(struct host_memory *host, u64 nr, u64 align)
{
	u64 hpa;

	return alloc_frames(host, &host->high, nr, align, &hpa) ? INVALID_HPA :
								  hpa;
}

u64 host_memory_alloc_page_below_4g(struct host_memory *host)
{
	u64 hpa;

	return alloc_frames(host, &host->low, 1, 1, &hpa) ? INVALID_HPA : hpa;
}

/*
 * Is frame @i of @frames allocated?  @i is a pfn less @frames->first_pfn,
 * which wraps past nr_pages for a pfn below the run.
 */
static bool frame_is_allocated(const struct host_frames *frames, u64 i)
{
	return i < frames->nr_pages && (frames->allocated[i / BITS_PER_U64] &
					BIT_ULL(i % BITS_PER_U64));
}

static void *frames_page(struct host_frames *frames, u64 pfn)
{
	u64 i = pfn - frames->first_pfn;

	if (!frame_is_allocated(frames, i) ||
	    map_arena(frames, i >> HOST_ARENA_SHIFT))
		return NULL;
	frames->touched[i / BITS_PER_U64] |= BIT_ULL(i % BITS_PER_U64);
	return host_arena_frame(frames->arenas, i);
}

static struct host_frames *hpa_frames(struct host_memory *host, u64 hpa)
{
	return hpa >> PAGE_SHIFT < HOST_MEMORY_FIRST_PFN ? &host->low :
							   &host->high;
}

void *host_memory_page(struct host_memory *host, u64 hpa)
{
	u64 pfn = hpa >> PAGE_SHIFT;

	if (pfn < HOST_MEMORY_FIRST_PFN)
		return frames_page(&host->low, pfn);
	return frames_page(&host->high, pfn);
}

bool host_memory_is_allocated(struct host_memory *host, u64 hpa)
{
	struct host_frames *frames = hpa_frames(host, hpa);

	return frame_is_allocated(frames,
				  (hpa >> PAGE_SHIFT) - frames->first_pfn);
}

u64 host_memory_frames(struct host_memory *host, u64 hpa, u8 **const **arenas,
		       u64 *frame)
{
	struct host_frames *frames = hpa_frames(host, hpa);
	u64 i = (hpa >> PAGE_SHIFT) - frames->first_pfn;

	if (!frame_is_allocated(frames, i))
		return 0;
	*arenas = &frames->arenas;
	*frame = i;
	return frames->nr_pages - i;
}

int host_memory_map_frames(struct host_memory *host, u64 hpa, u64 nr)
{
	struct host_frames *frames = hpa_frames(host, hpa);
	u64 i = (hpa >> PAGE_SHIFT) - frames->first_pfn, arena;
	int r;

	MMU_WARN_ON(!nr || i >= frames->nr_pages || nr > frames->nr_pages - i);
	for (arena = i >> HOST_ARENA_SHIFT;
	     arena <= (i + nr - 1) >> HOST_ARENA_SHIFT; arena++) {
		r = map_arena(frames, arena);
		if (r)
			return r;
	}
	return 0;
}

/*
 * The end of the run of allocated frames of @frames from frame @i on,
 * at most @end, which is a multiple of BITS_PER_U64.
 */
static u64 allocated_run_end(const struct host_frames *frames, u64 i, u64 end)
{
	while (i < end) {
		unsigned int bit = i % BITS_PER_U64;
		/* The bits from @i's to the word's end, the rest set. */
		u64 clear = ~(frames->allocated[i / BITS_PER_U64] >> bit);

		if (clear && (u64)__builtin_ctzll(clear) < BITS_PER_U64 - bit)
			return i + __builtin_ctzll(clear);
		i += BITS_PER_U64 - bit;
	}
	return end;
}

/*
 * The start of the run of allocated frames of @frames that ends just
 * before frame @i, at least @start, which is a multiple of BITS_PER_U64.
 */
static u64 allocated_run_start(const struct host_frames *frames, u64 i,
			       u64 start)
{
	while (i > start) {
		unsigned int bits = (i - 1) % BITS_PER_U64 + 1;
		/* The @bits bits below @i's in its word, at the top. */
		u64 clear = ~(frames->allocated[(i - 1) / BITS_PER_U64]
			      << (BITS_PER_U64 - bits));

		if (clear && (u64)__builtin_clzll(clear) < bits)
			return i - __builtin_clzll(clear);
		i -= bits;
	}
	return start;
}

/*
 * Is every frame of the arena from frame @arena on allocated?  Frames are
 * handed out in order and never taken back, so every arena but the last
 * and those an aligned allocation skipped into is: one test of its
 * bitmap words instead of looking for the run's two ends bit by bit.
 */
static bool arena_is_allocated(const struct host_frames *frames, u64 arena)
{
	const u64 *words = &frames->allocated[arena / BITS_PER_U64];
	u64 all = ~0ULL;
	unsigned int k;

	for (k = 0; k < HOST_ARENA_PAGES / BITS_PER_U64; k++)
		all &= words[k];
	return all == ~0ULL;
}

u64 host_memory_allocated_frames(struct host_memory *host, u64 hpa,
				 u8 **const **arenas, u64 *frame, u64 *before)
{
	struct host_frames *frames = hpa_frames(host, hpa);
	u64 i = (hpa >> PAGE_SHIFT) - frames->first_pfn;
	u64 arena = i & ~(HOST_ARENA_PAGES - 1);

	if (!frame_is_allocated(frames, i) ||
	    map_arena(frames, i >> HOST_ARENA_SHIFT))
		return 0;
	*arenas = &frames->arenas;
	*frame = i;
	if (arena_is_allocated(frames, arena)) {
		*before = i - arena;
		return arena + HOST_ARENA_PAGES - i;
	}
	*before = i - allocated_run_start(frames, i, arena);
	return allocated_run_end(frames, i, arena + HOST_ARENA_PAGES) - i;
}

u64 host_memory_nr_pages(const struct host_memory *host)
{
	return host->high.nr_allocated + host->low.nr_allocated;
}
