/* Guest physical memory: a sparse GPA space backed by host pages. */
#ifndef MMUSIM_GUEST_MEMORY_H
#define MMUSIM_GUEST_MEMORY_H

#include "walker/paging.h"

#define PAGE_OFFSET_MASK (PAGE_SIZE - 1)
#define INVALID_GPA (~0ULL)
#define INVALID_HPA (~0ULL)

static inline u64 gpa_to_gfn(u64 gpa)
{
	return gpa >> PAGE_SHIFT;
}

static inline u64 gfn_to_gpa(u64 gfn)
{
	return gfn << PAGE_SHIFT;
}

/*
 * Host memory hands out 4K pages with host physical addresses, in
 * allocation order from HOST_MEMORY_FIRST_PFN (4G); the page contents live
 * in the simulator's own heap.  The few pages that must have a 32-bit HPA
 * (KVM's GFP_DMA32 allocations, such as the PAE root that a 32-bit CR3
 * points at) come, also in order, from HOST_MEMORY_LOW_FIRST_PFN (2G) up
 * to 4G.  No page has HPA 0.
 */
#define HOST_MEMORY_FIRST_PFN 0x100000ULL
#define HOST_MEMORY_LOW_FIRST_PFN 0x80000ULL
static_assert(HOST_MEMORY_LOW_FIRST_PFN > 0, "no host page has HPA 0");
static_assert(HOST_MEMORY_LOW_FIRST_PFN < HOST_MEMORY_FIRST_PFN,
	      "the low frames lie below the first frame above 4G");
static_assert(HOST_MEMORY_FIRST_PFN << PAGE_SHIFT == 1ULL << 32,
	      "the frames below 4G end where the others start");

struct host_memory;

/*
 * Frames come from 2 MiB anonymous mappings that the host kernel backs on
 * first touch, so a frame handed out costs its 4 KiB of RSS only once it
 * is written.  A limit bounds the frames handed out (none by default): an
 * allocation that would pass it fails with -EDQUOT and allocates nothing.
 */
struct host_memory *host_memory_create(void);
void host_memory_destroy(struct host_memory *host);
/* The most pages @host hands out from now on, those already out included. */
void host_memory_set_limit(struct host_memory *host, u64 max_pages);
u64 host_memory_limit(const struct host_memory *host);
/* How many more pages @host may hand out under its limit. */
u64 host_memory_pages_left(const struct host_memory *host);
/*
 * @nr zeroed pages with contiguous HPAs, the first aligned to @align pages
 * (a power of two), the first HPA in *@hpa: 0, -EDQUOT past the limit,
 * -ENOMEM when the host or the HPA space is exhausted, -EINVAL.
 */
int host_memory_alloc(struct host_memory *host, u64 nr, u64 align, u64 *hpa);
/* A zeroed page: its HPA, or INVALID_HPA when memory is exhausted. */
u64 host_memory_alloc_page(struct host_memory *host);
/*
 * @nr zeroed pages with contiguous HPAs, the first aligned to @align pages
 * (a power of two), as a host's huge page: the first HPA, or INVALID_HPA.
 * Host frames skipped for the alignment stay unallocated.
 */
u64 host_memory_alloc_pages(struct host_memory *host, u64 nr, u64 align);
/*
 * A zeroed page with an HPA below 4G, as a GFP_DMA32 allocation: its HPA,
 * or INVALID_HPA when the 2G of frames below 4G are used up.
 */
u64 host_memory_alloc_page_below_4g(struct host_memory *host);
/*
 * The simulator's pointer to the page holding @hpa, NULL if unallocated
 * (or, out of address space, when its arena cannot be mapped).
 */
void *host_memory_page(struct host_memory *host, u64 hpa);
/*
 * Is the page holding @hpa allocated?  Unlike host_memory_page(), it does
 * not count the frame as written, so a frame only asked about is not
 * zeroed when @host is destroyed (which would fault in a page for it).
 */
bool host_memory_is_allocated(struct host_memory *host, u64 hpa);

/*
 * Host frames are mapped HOST_ARENA_PAGES at a time: frame i of a run of
 * frames (those from 4G, those below) lives in the run's arena
 * i >> HOST_ARENA_SHIFT, i % HOST_ARENA_PAGES pages from its start.
 */
#define HOST_ARENA_SHIFT 9
#define HOST_ARENA_PAGES (1ULL << HOST_ARENA_SHIFT)

/* Frame @i of the run whose arenas are @arenas: its first byte. */
static __attribute__((always_inline)) inline u8 *
host_arena_frame(u8 *const *arenas, u64 i)
{
	return arenas[i >> HOST_ARENA_SHIFT] +
	       ((i & (HOST_ARENA_PAGES - 1)) << PAGE_SHIFT);
}

/*
 * The run of frames that holds the allocated page at @hpa: *@arenas is
 * where the run keeps its table of arenas (that place stays while @host
 * lives; the table may move when the run grows), *@frame @hpa's frame in
 * the run.  Returns the number of frames of the run from @hpa's on,
 * allocated or not, or 0 (and nothing set) when @hpa is not allocated.
 * Unlike host_memory_page(), it does not count the frame as written: a
 * pointer from host_arena_frame() is for reading only, and only to the
 * frames host_memory_map_frames() mapped (an arena is mapped when a
 * pointer into it is first handed out).
 */
u64 host_memory_frames(struct host_memory *host, u64 hpa, u8 **const **arenas,
		       u64 *frame);
/*
 * Map the arenas of the @nr frames from the allocated page at @hpa, all
 * in its run, so that host_arena_frame() reads them (each reads as zero
 * until written through host_memory_page()); they stay mapped, at the
 * same address, while @host lives.  0, or -ENOMEM out of address space.
 */
int host_memory_map_frames(struct host_memory *host, u64 hpa, u64 nr);
/*
 * The allocated frames around the allocated page at @hpa in its arena,
 * as host_memory_frames() gives a run: *@arenas and *@frame as there,
 * *@before the allocated frames just before @hpa's in the arena; returns
 * the allocated frames from @hpa's on in the arena, or 0 (and nothing
 * set) when @hpa is not allocated (or its arena cannot be mapped).  For
 * reading only, as host_memory_frames(); the arena is mapped.  Frames
 * stay allocated while @host lives.
 */
u64 host_memory_allocated_frames(struct host_memory *host, u64 hpa,
				 u8 **const **arenas, u64 *frame, u64 *before);
/* Pages allocated, below and above 4G (not the frames skipped). */
u64 host_memory_nr_pages(const struct host_memory *host);

/*
 * One entry of guest_memory's direct-mapped cache of host pages, indexed by
 * gfn % GFN_CACHE_SIZE.  An empty entry has gfn GFN_CACHE_EMPTY, which no
 * GPA has, and page NULL.
 */
#define GFN_CACHE_SIZE 256
#define GFN_CACHE_EMPTY (~0ULL)

struct gfn_cache_entry {
	u64 gfn;
	void *page;
};

/*
 * Guest physical memory (in a nested setup, L1's memory; L2's nGPAs reach
 * it only through ngpa_walk).  Each backed GFN maps to one host page.
 * An unbacked GFN reads as "no memory": a paging-structure access there
 * fails the walk, as a GFN without a memslot does in KVM.
 *
 * Entries are read and written as 4- or 8-byte naturally aligned values.
 * A/D updates go through guest_memory_cmpxchg(), which fails when the
 * value changed since it was read; cmpxchg_hook lets a test change memory
 * between a walk's read and its exchange to exercise that path.
 */
struct guest_memory {
	struct host_memory *host;
	/*
	 * Backed GFNs, each in exactly one of: @ranges, runs of pages whose
	 * HPAs are contiguous (as KVM's memslots: base plus offset), sorted
	 * by GFN and apart; and, for pages that join no range once the
	 * ranges table is full, an open-addressed hash table gfn -> hpa
	 * (slots with hpa == INVALID_HPA are free; none, @slots NULL,
	 * until the first such page).
	 */
	struct gfn_range *ranges;
	u64 nr_ranges;
	u64 ranges_capacity;
	struct gfn_slot *slots;
	u64 nr_slots;
	u64 nr_hashed;
	/* Pages backed, in ranges and hashed. */
	u64 nr_backed;
	/* Direct-mapped cache of the last host pages used, indexed by gfn. */
	struct gfn_cache_entry *cache;
	void (*cmpxchg_hook)(struct guest_memory *mem, u64 gpa, void *opaque);
	void *cmpxchg_hook_opaque;
	/* Host-physical view: every allocated host page at its own HPA. */
	bool host_view;
	/*
	 * Changes whenever a GFN may stop being backed by the host page it
	 * had: by guest_memory_init() (from a counter of all guest_memory,
	 * so memory destroyed and set up again at the same address has a
	 * new one).  Backing more GFNs keeps it: a GFN, once backed, keeps
	 * its host page, and host pages are never freed before their
	 * host_memory.  Whoever keeps a pointer from guest_memory_page()
	 * checks it.
	 */
	u64 generation;
};

int guest_memory_init(struct guest_memory *mem, struct host_memory *host);
/*
 * Host physical memory as the CPU sees it: address N is host page N's
 * byte, for every page @host has allocated, including those allocated
 * later.  It cannot be backed or mapped page by page.
 */
int guest_memory_init_host_view(struct guest_memory *mem,
				struct host_memory *host);
void guest_memory_destroy(struct guest_memory *mem);

/*
 * Back [gpa, gpa + size) with host pages (rounded out to pages); pages
 * already backed keep their contents.  -ENOMEM, -EDQUOT past the host
 * memory's limit (before backing any page when the range cannot fit), or
 * -ERANGE past 2^52.
 */
int guest_memory_back(struct guest_memory *mem, u64 gpa, u64 size);
bool guest_memory_is_backed(const struct guest_memory *mem, u64 gpa);
/*
 * Back the page at @gpa with the existing host page at @hpa: how the MMU
 * shows its own page tables, which live in host pages, to a walker.
 * -EEXIST when @gpa is already backed, -EINVAL for an unallocated @hpa.
 */
int guest_memory_map_page(struct guest_memory *mem, u64 gpa, u64 hpa);
/*
 * Back [@gpa, @gpa + @size) with host pages whose HPAs are contiguous and
 * aligned to @align bytes (a power of two, at most 1G), as a memslot on a
 * host huge page.  @gpa and @size must be page-aligned and no page of the
 * range backed yet (-EEXIST).
 */
int guest_memory_back_contiguous(struct guest_memory *mem, u64 gpa, u64 size,
				 u64 align);
/* The HPA backing @gpa (with its page offset), or INVALID_HPA. */
u64 guest_memory_gpa_to_hpa(const struct guest_memory *mem, u64 gpa);

/*
 * The simulator's pointer to the page that backs @gpa (its first byte),
 * NULL when @gpa is not backed.  The pointer stays valid while
 * mem->generation keeps its value.
 */
void *guest_memory_page(const struct guest_memory *mem, u64 gpa);

/*
 * A span of guest memory: @nr_pages GFNs from @gfn, backed by the host
 * frames from @frame on of the run whose table of arenas is at @arenas
 * (host_memory_frames()), so that a GFN's page is found by arithmetic.
 * An empty span has @nr_pages 0.  A span stays true while
 * mem->generation keeps its value, as guest_memory_page()'s pointers do.
 */
struct guest_memory_span {
	u64 gfn;
	u64 nr_pages;
	u64 frame;
	u8 **const *arenas;
};

#define GUEST_MEMORY_SPAN_EMPTY ((struct guest_memory_span){ .nr_pages = 0 })

/*
 * The span of the GFNs around @gpa that one memslot-like range of @mem
 * backs with host frames of one run, in *@span: true, or false (and
 * *@span empty) when @gpa is not backed or is backed page by page (past
 * the ranges' table).  In the host view, which has no ranges, the span
 * of the allocated frames around @gpa's in its arena
 * (host_memory_allocated_frames()).
 */
bool guest_memory_find_span(const struct guest_memory *mem, u64 gpa,
			    struct guest_memory_span *span);

/*
 * The page that backs the @i-th GFN of @span, which holds it (@i below
 * its @nr_pages), for reading only as guest_memory_span_page()'s below.
 */
static __attribute__((always_inline)) inline const void *
guest_memory_span_nth_page(const struct guest_memory_span *span, u64 i)
{
	MMU_WARN_ON(i >= span->nr_pages);
	return host_arena_frame(*span->arenas, span->frame + i);
}

/*
 * The page that backs @gpa when @span holds it (its first byte, for
 * reading only: writes go through guest_memory_page() and the accessors
 * below), else NULL.  Same page as guest_memory_page().
 */
static __attribute__((always_inline)) inline const void *
guest_memory_span_page(const struct guest_memory_span *span, u64 gpa)
{
	u64 i = gpa_to_gfn(gpa) - span->gfn;

	if (i >= span->nr_pages)
		return NULL;
	return guest_memory_span_nth_page(span, i);
}

/*
 * The page that backs @gpa when guest_memory_page() has it in the cache
 * of @mem (for reading only, as guest_memory_span_page()'s), else NULL
 * (the page may still be backed).
 */
static __attribute__((always_inline)) inline const void *
guest_memory_cached_page(const struct guest_memory *mem, u64 gpa)
{
	u64 gfn = gpa_to_gfn(gpa);
	const struct gfn_cache_entry *c = &mem->cache[gfn % GFN_CACHE_SIZE];

	return likely(c->gfn == gfn) ? c->page : NULL;
}

/*
 * Accesses of @size 4 or 8 at a naturally aligned @gpa.  -EFAULT for an
 * unbacked GPA, -EINVAL for a bad size or alignment.  Writes back the page
 * first when it is not backed yet.
 */
int guest_memory_read(const struct guest_memory *mem, u64 gpa, int size,
		      u64 *val);
int guest_memory_write(struct guest_memory *mem, u64 gpa, int size, u64 val);

/*
 * Read the @size (4 or 8) bytes at the naturally aligned @gpa into *@val
 * when its page is in the cache of @mem: true on a hit, false on a miss
 * (the page may still be backed: ask guest_memory_read()).  Inline, for
 * the walker's entry reads.
 */
static inline bool guest_memory_cache_read(const struct guest_memory *mem,
					   u64 gpa, int size, u64 *val)
{
	u64 gfn = gpa_to_gfn(gpa);
	const struct gfn_cache_entry *c = &mem->cache[gfn % GFN_CACHE_SIZE];
	const u8 *p;

	MMU_WARN_ON((size != 4 && size != 8) || (gpa & (size - 1)));
	if (unlikely(c->gfn != gfn))
		return false;
	p = (const u8 *)c->page + (gpa & PAGE_OFFSET_MASK);
	*val = size == 8 ? *(const u64 *)p : *(const u32 *)p;
	return true;
}

/*
 * guest_memory_read() for callers that guarantee a @size of 4 or 8 and a
 * naturally aligned @gpa, as the walker's entry addresses are: a hit in the
 * page cache is read inline, anything else goes through
 * guest_memory_read().  Same results.
 */
static inline int guest_memory_read_aligned(const struct guest_memory *mem,
					    u64 gpa, int size, u64 *val)
{
	if (likely(guest_memory_cache_read(mem, gpa, size, val)))
		return 0;
	return guest_memory_read(mem, gpa, size, val);
}

/*
 * Store @new_val if the value is still @old: 0 when stored, 1 when the value
 * changed (and *@old is updated to it), -EFAULT/-EINVAL as above.
 */
int guest_memory_cmpxchg(struct guest_memory *mem, u64 gpa, int size, u64 *old,
			 u64 new_val);

#endif
