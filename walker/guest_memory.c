/* Guest physical memory: gfn -> host page, with a small lookup cache. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "walker/guest_memory.h"

#define GPA_BITS_MAX 52
#define GFN_SLOTS_MIN 1024
/*
 * The ranges table grows to GFN_RANGES_MAX entries; a lookup is a binary
 * search, an insertion a move of the ranges above it.  Past that, pages
 * that join no range go to the hash table.
 */
#define GFN_RANGES_MIN 16
#define GFN_RANGES_MAX 1024

struct gfn_slot {
	u64 gfn;
	u64 hpa;
};

/* @nr_pages pages from @gfn, backed by the host pages from @hpa on. */
struct gfn_range {
	u64 gfn;
	u64 nr_pages;
	u64 hpa;
};

static inline u64 gfn_hash(u64 gfn, u64 nr_slots)
{
	/* nr_slots is a power of two. */
	return hash_64(gfn, __builtin_ctzll(nr_slots));
}

static void clear_slots(struct gfn_slot *slots, u64 nr)
{
	u64 i;

	for (i = 0; i < nr; i++)
		slots[i].hpa = INVALID_HPA;
}

static void clear_cache(struct gfn_cache_entry *cache)
{
	int i;

	/* No gfn is GFN_CACHE_EMPTY: an empty entry never hits. */
	for (i = 0; i < GFN_CACHE_SIZE; i++) {
		cache[i].gfn = GFN_CACHE_EMPTY;
		cache[i].page = NULL;
	}
}

/*
 * The last guest_memory.generation handed out; atomic, because guest
 * memories on different threads must not get the same one.
 */
static _Atomic u64 last_generation;

int guest_memory_init(struct guest_memory *mem, struct host_memory *host)
{
	memset(mem, 0, sizeof(*mem));
	mem->host = host;
	mem->generation = atomic_fetch_add(&last_generation, 1) + 1;
	/*
	 * The hash table comes with its first page (grow_slots()): most
	 * memories keep every page in @ranges, and 16 KB of free slots
	 * allocated and filled were most of the cost of a vCPU's or an
	 * MMU's set-up under ASan.
	 */
	mem->cache = malloc(GFN_CACHE_SIZE * sizeof(*mem->cache));
	if (!mem->cache)
		return -ENOMEM;
	clear_cache(mem->cache);
	return 0;
}

int guest_memory_init_host_view(struct guest_memory *mem,
				struct host_memory *host)
{
	int r = guest_memory_init(mem, host);

	if (!r)
		mem->host_view = true;
	return r;
}

void guest_memory_destroy(struct guest_memory *mem)
{
	free(mem->ranges);
	free(mem->slots);
	free(mem->cache);
	mem->ranges = NULL;
	mem->slots = NULL;
	mem->cache = NULL;
}

static struct gfn_slot *find_slot(const struct guest_memory *mem, u64 gfn)
{
	u64 mask = mem->nr_slots - 1;
	u64 i = gfn_hash(gfn, mem->nr_slots);

	for (;; i = (i + 1) & mask) {
		struct gfn_slot *slot = &mem->slots[i];

		if (slot->hpa == INVALID_HPA || slot->gfn == gfn)
			return slot;
	}
}

static int grow_slots(struct guest_memory *mem)
{
	struct gfn_slot *old = mem->slots;
	u64 old_nr = mem->nr_slots, i;

	mem->nr_slots = old_nr ? 2 * old_nr : GFN_SLOTS_MIN;
	mem->slots = malloc(mem->nr_slots * sizeof(*mem->slots));
	if (!mem->slots) {
		mem->slots = old;
		mem->nr_slots = old_nr;
		return -ENOMEM;
	}
	clear_slots(mem->slots, mem->nr_slots);
	for (i = 0; i < old_nr; i++)
		if (old[i].hpa != INVALID_HPA)
			*find_slot(mem, old[i].gfn) = old[i];
	free(old);
	return 0;
}

/* Put @gfn, not backed yet, in the hash table, at the host page @hpa. */
static int hash_gfn(struct guest_memory *mem, u64 gfn, u64 hpa)
{
	struct gfn_slot *slot;

	/* Keep the table at most half full so probes stay short. */
	if ((mem->nr_hashed + 1) * 2 > mem->nr_slots && grow_slots(mem))
		return -ENOMEM;
	slot = find_slot(mem, gfn);
	MMU_WARN_ON(slot->hpa != INVALID_HPA);
	slot->gfn = gfn;
	slot->hpa = hpa;
	mem->nr_hashed++;
	return 0;
}

/* The index of the first range that starts above @gfn (nr_ranges: none). */
static __attribute__((noinline)) u64 range_above(const struct guest_memory *mem,
						 u64 gfn)
{
	u64 lo = 0, hi = mem->nr_ranges;

	while (lo < hi) {
		u64 mid = lo + (hi - lo) / 2;

		if (mem->ranges[mid].gfn <= gfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static __attribute__((always_inline)) inline const struct gfn_range *
find_range(const struct guest_memory *mem, u64 gfn)
{
	const struct gfn_range *range;
	u64 i;

	/* Below or above every range: no search. */
	if (!mem->nr_ranges || gfn < mem->ranges[0].gfn)
		return NULL;
	range = &mem->ranges[mem->nr_ranges - 1];
	if (gfn >= range->gfn) {
		return gfn - range->gfn < range->nr_pages ? range : NULL;
	}
	i = range_above(mem, gfn);
	range = &mem->ranges[i - 1];
	return gfn - range->gfn < range->nr_pages ? range : NULL;
}

/* The HPA of the page backing @gfn, or INVALID_HPA. */
static __attribute__((always_inline)) inline u64
gfn_to_hpa(const struct guest_memory *mem, u64 gfn)
{
	const struct gfn_range *range = find_range(mem, gfn);

	if (range)
		return range->hpa + ((gfn - range->gfn) << PAGE_SHIFT);
	if (!mem->nr_hashed)
		return INVALID_HPA;
	return find_slot(mem, gfn)->hpa;
}

static bool gfn_is_backed(const struct guest_memory *mem, u64 gfn)
{
	return gfn_to_hpa(mem, gfn) != INVALID_HPA;
}

static int add_range(struct guest_memory *mem, u64 i, u64 gfn, u64 nr, u64 hpa)
{
	struct gfn_range *ranges;

	if (mem->nr_ranges == mem->ranges_capacity) {
		u64 capacity = mem->ranges_capacity ? mem->ranges_capacity * 2 :
						      GFN_RANGES_MIN;

		ranges = realloc(mem->ranges, capacity * sizeof(*ranges));
		if (!ranges)
			return -ENOMEM;
		mem->ranges = ranges;
		mem->ranges_capacity = capacity;
	}
	memmove(&mem->ranges[i + 1], &mem->ranges[i],
		(mem->nr_ranges - i) * sizeof(*mem->ranges));
	mem->ranges[i] = (struct gfn_range){ gfn, nr, hpa };
	mem->nr_ranges++;
	return 0;
}

/*
 * Map the @nr pages from @gfn, none of them backed, to the host pages
 * from @hpa on.  A run that continues a range in both GFN and HPA joins
 * it; a run that does not starts a range while there is room, and goes
 * to the hash table page by page when there is none.
 */
static int insert_run(struct guest_memory *mem, u64 gfn, u64 nr, u64 hpa)
{
	u64 i = range_above(mem, gfn), j;
	struct gfn_range *prev = i ? &mem->ranges[i - 1] : NULL;
	struct gfn_range *next = i < mem->nr_ranges ? &mem->ranges[i] : NULL;
	bool join_prev = prev && prev->gfn + prev->nr_pages == gfn &&
			 prev->hpa + (prev->nr_pages << PAGE_SHIFT) == hpa;
	bool join_next = next && gfn + nr == next->gfn &&
			 hpa + (nr << PAGE_SHIFT) == next->hpa;
	int r = 0;

	if (join_prev && join_next) {
		prev->nr_pages += nr + next->nr_pages;
		memmove(next, next + 1,
			(mem->nr_ranges - i - 1) * sizeof(*next));
		mem->nr_ranges--;
	} else if (join_prev) {
		prev->nr_pages += nr;
	} else if (join_next) {
		next->gfn = gfn;
		next->hpa = hpa;
		next->nr_pages += nr;
	} else if (mem->nr_ranges < GFN_RANGES_MAX) {
		r = add_range(mem, i, gfn, nr, hpa);
	} else {
		for (j = 0; j < nr; j++) {
			r = hash_gfn(mem, gfn + j, hpa + (j << PAGE_SHIFT));
			if (r)
				break;
		}
		mem->nr_backed += j;
		return r;
	}
	if (!r)
		mem->nr_backed += nr;
	return r;
}

/*
 * The last GFN, at most @last, of the unbacked stretch from @gfn (not
 * backed): up to the next range when no page is hashed.
 */
static u64 unbacked_until(const struct guest_memory *mem, u64 gfn, u64 last)
{
	u64 i;

	if (mem->nr_hashed) {
		while (gfn < last && !gfn_is_backed(mem, gfn + 1))
			gfn++;
		return gfn;
	}
	i = range_above(mem, gfn);
	if (i < mem->nr_ranges && mem->ranges[i].gfn <= last)
		return mem->ranges[i].gfn - 1;
	return last;
}

int guest_memory_map_page(struct guest_memory *mem, u64 gpa, u64 hpa)
{
	if (gpa >> GPA_BITS_MAX)
		return -ERANGE;
	if (!host_memory_is_allocated(mem->host, hpa) || mem->host_view)
		return -EINVAL;
	if (gfn_is_backed(mem, gpa_to_gfn(gpa)))
		return -EEXIST;
	return insert_run(mem, gpa_to_gfn(gpa), 1, hpa & ~PAGE_OFFSET_MASK);
}

int guest_memory_back_contiguous(struct guest_memory *mem, u64 gpa, u64 size,
				 u64 align)
{
	u64 nr = size >> PAGE_SHIFT, first = gpa_to_gfn(gpa), hpa;
	int r;

	if (mem->host_view || (gpa | size) & PAGE_OFFSET_MASK || !size ||
	    align < PAGE_SIZE || (align & (align - 1)) || align > (1ULL << 30))
		return -EINVAL;
	if (gpa >> GPA_BITS_MAX || size > (1ULL << GPA_BITS_MAX) - gpa)
		return -ERANGE;
	/*
	 * No page of the range backed: its first is not, and the unbacked
	 * stretch from it (up to the next range; page by page once pages
	 * are hashed) takes in its last.  A lookup of each page cost 470 M
	 * instructions for 100 ranges of 1G.
	 */
	if (gfn_is_backed(mem, first) ||
	    unbacked_until(mem, first, first + nr - 1) != first + nr - 1)
		return -EEXIST;
	r = host_memory_alloc(mem->host, nr, align >> PAGE_SHIFT, &hpa);
	if (r)
		return r;
	return insert_run(mem, first, nr, hpa);
}

int guest_memory_back(struct guest_memory *mem, u64 gpa, u64 size)
{
	u64 first, last, gfn, end, left, hpa;
	int r;

	if (!size)
		return 0;
	if (mem->host_view)
		return -EINVAL;
	if (gpa >> GPA_BITS_MAX || size > (1ULL << GPA_BITS_MAX) - gpa)
		return -ERANGE;
	first = gpa_to_gfn(gpa);
	last = gpa_to_gfn(gpa + size - 1);
	/*
	 * Fail before backing any page when the range's unbacked pages do
	 * not fit under the host's limit.  At most nr_backed of them are
	 * backed already, so a range past that fails at once, and the loops
	 * below run at most limit + nr_backed times.
	 */
	left = host_memory_pages_left(mem->host);
	if (last - first + 1 > left + mem->nr_backed)
		return -EDQUOT;
	if (last - first + 1 > left) {
		for (gfn = first; gfn <= last; gfn++)
			if (!gfn_is_backed(mem, gfn) && !left--)
				return -EDQUOT;
	}
	/*
	 * Each stretch of unbacked pages takes the next host frames in
	 * order, as backing them one by one would, in one allocation.
	 */
	for (gfn = first; gfn <= last; gfn = end + 1) {
		const struct gfn_range *range = find_range(mem, gfn);

		if (range) {
			end = range->gfn + range->nr_pages - 1;
			continue;
		}
		if (gfn_is_backed(mem, gfn)) {
			end = gfn;
			continue;
		}
		end = unbacked_until(mem, gfn, last);
		r = host_memory_alloc(mem->host, end - gfn + 1, 1, &hpa);
		if (!r)
			r = insert_run(mem, gfn, end - gfn + 1, hpa);
		if (r)
			return r;
	}
	return 0;
}

u64 guest_memory_gpa_to_hpa(const struct guest_memory *mem, u64 gpa)
{
	u64 hpa;

	if (gpa >> GPA_BITS_MAX)
		return INVALID_HPA;
	if (mem->host_view)
		return host_memory_is_allocated(mem->host, gpa) ? gpa :
								  INVALID_HPA;
	hpa = gfn_to_hpa(mem, gpa_to_gfn(gpa));
	if (hpa == INVALID_HPA)
		return INVALID_HPA;
	return hpa | (gpa & PAGE_OFFSET_MASK);
}

bool guest_memory_is_backed(const struct guest_memory *mem, u64 gpa)
{
	return guest_memory_gpa_to_hpa(mem, gpa) != INVALID_HPA;
}

bool guest_memory_find_span(const struct guest_memory *mem, u64 gpa,
			    struct guest_memory_span *span)
{
	u64 gfn = gpa_to_gfn(gpa), hpa, before, after, frame;
	const struct gfn_range *range;

	*span = GUEST_MEMORY_SPAN_EMPTY;
	if (gpa >> GPA_BITS_MAX)
		return false;
	if (mem->host_view) {
		after = host_memory_allocated_frames(
			mem->host, gpa, &span->arenas, &frame, &before);
		if (!after)
			return false;
		span->gfn = gfn - before;
		span->frame = frame - before;
		span->nr_pages = before + after;
		return true;
	}
	range = find_range(mem, gfn);
	if (!range)
		return false;
	/*
	 * The range's HPAs are contiguous, but its frames may lie in two
	 * runs (below and above 4G): the span is the part in @gpa's run.
	 */
	hpa = range->hpa + ((gfn - range->gfn) << PAGE_SHIFT);
	after = host_memory_frames(mem->host, hpa, &span->arenas, &frame);
	MMU_WARN_ON(!after);
	if (after > range->nr_pages - (gfn - range->gfn))
		after = range->nr_pages - (gfn - range->gfn);
	before = gfn - range->gfn < frame ? gfn - range->gfn : frame;
	/* The walker reads the span's frames straight from their arenas. */
	if (host_memory_map_frames(mem->host, hpa - (before << PAGE_SHIFT),
				   before + after))
		return false;
	span->gfn = gfn - before;
	span->frame = frame - before;
	span->nr_pages = before + after;
	return true;
}

/* The simulator's pointer to the byte at @gpa, or NULL when unbacked. */
static void *gpa_to_ptr(const struct guest_memory *mem, u64 gpa)
{
	u64 gfn = gpa_to_gfn(gpa);
	struct gfn_cache_entry *c = &mem->cache[gfn % GFN_CACHE_SIZE];
	void *page;
	u64 hpa;

	if (likely(c->page && c->gfn == gfn))
		return (u8 *)c->page + (gpa & PAGE_OFFSET_MASK);

	/*
	 * The host page straight from the lookup: guest_memory_gpa_to_hpa()
	 * of the host view would ask host_memory_page() once to see the page
	 * is there and once more for it.
	 */
	if (gpa >> GPA_BITS_MAX)
		return NULL;
	if (mem->host_view) {
		page = host_memory_page(mem->host, gpa);
		if (!page)
			return NULL;
	} else {
		hpa = gfn_to_hpa(mem, gfn);
		if (hpa == INVALID_HPA)
			return NULL;
		page = host_memory_page(mem->host, hpa);
		MMU_WARN_ON(!page);
	}
	c->gfn = gfn;
	c->page = page;
	return (u8 *)page + (gpa & PAGE_OFFSET_MASK);
}

void *guest_memory_page(const struct guest_memory *mem, u64 gpa)
{
	return gpa_to_ptr(mem, gpa & ~PAGE_OFFSET_MASK);
}

static int check_access(u64 gpa, int size)
{
	if (size != 4 && size != 8)
		return -EINVAL;
	if (gpa & (size - 1))
		return -EINVAL;
	return 0;
}

int guest_memory_read(const struct guest_memory *mem, u64 gpa, int size,
		      u64 *val)
{
	void *p;
	int r = check_access(gpa, size);

	if (r)
		return r;
	p = gpa_to_ptr(mem, gpa);
	if (!p)
		return -EFAULT;
	if (size == 8)
		*val = *(u64 *)p;
	else
		*val = *(u32 *)p;
	return 0;
}

int guest_memory_write(struct guest_memory *mem, u64 gpa, int size, u64 val)
{
	void *p;
	int r = check_access(gpa, size);

	if (r)
		return r;
	if (size == 4 && val >> 32)
		return -EINVAL;
	p = gpa_to_ptr(mem, gpa);
	if (!p) {
		r = guest_memory_back(mem, gpa, size);
		if (r)
			return r;
		p = gpa_to_ptr(mem, gpa);
	}
	if (size == 8)
		*(u64 *)p = val;
	else
		*(u32 *)p = (u32)val;
	return 0;
}

int guest_memory_cmpxchg(struct guest_memory *mem, u64 gpa, int size, u64 *old,
			 u64 new_val)
{
	u64 cur;
	void *p;
	int r = check_access(gpa, size);

	if (r)
		return r;
	if (mem->cmpxchg_hook)
		mem->cmpxchg_hook(mem, gpa, mem->cmpxchg_hook_opaque);
	p = gpa_to_ptr(mem, gpa);
	if (!p)
		return -EFAULT;
	cur = size == 8 ? *(u64 *)p : *(u32 *)p;
	if (cur != *old) {
		*old = cur;
		return 1;
	}
	if (size == 8)
		*(u64 *)p = new_val;
	else
		*(u32 *)p = (u32)new_val;
	return 0;
}
