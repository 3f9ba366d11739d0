/* Host memory: 4K pages with host physical addresses, allocated in order. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "walker/guest_memory.h"

/* Host physical addresses stay below 2^52, as on any x86 host. */
#define HOST_MEMORY_MAX_PAGES \
	((1ULL << (52 - PAGE_SHIFT)) - HOST_MEMORY_FIRST_PFN)
#define HOST_MEMORY_MAX_LOW_PAGES \
	(HOST_MEMORY_FIRST_PFN - HOST_MEMORY_LOW_FIRST_PFN)

/* One run of host frames, allocated in order from @first_pfn. */
struct host_frames {
	void **pages;
	u64 first_pfn;
	u64 max_pages;
	u64 nr_pages;
	u64 capacity;
};

/* @high: frames from 4G up; @low: the frames below 4G (GFP_DMA32). */
struct host_memory {
	struct host_frames high;
	struct host_frames low;
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
	return host;
}

static void free_frames(struct host_frames *frames)
{
	u64 i;

	for (i = 0; i < frames->nr_pages; i++)
		free(frames->pages[i]);
	free(frames->pages);
}

void host_memory_destroy(struct host_memory *host)
{
	if (!host)
		return;
	free_frames(&host->high);
	free_frames(&host->low);
	free(host);
}

static int reserve_frames(struct host_frames *frames, u64 nr)
{
	u64 capacity = frames->capacity ? frames->capacity : 64;
	void **pages;

	if (nr > frames->max_pages - frames->nr_pages)
		return -ENOMEM;
	while (capacity < frames->nr_pages + nr)
		capacity *= 2;
	if (capacity == frames->capacity)
		return 0;
	pages = realloc(frames->pages, capacity * sizeof(*pages));
	if (!pages)
		return -ENOMEM;
	memset(pages + frames->capacity, 0,
	       (capacity - frames->capacity) * sizeof(*pages));
	frames->pages = pages;
	frames->capacity = capacity;
	return 0;
}

static u64 alloc_frames(struct host_frames *frames, u64 nr, u64 align)
{
	u64 first_pfn, skip, i;

	if (!nr || !align || (align & (align - 1)))
		return INVALID_HPA;
	first_pfn = frames->first_pfn + frames->nr_pages;
	skip = (align - (first_pfn & (align - 1))) & (align - 1);
	if (reserve_frames(frames, skip + nr))
		return INVALID_HPA;

	for (i = 0; i < nr; i++) {
		void *page = aligned_alloc(PAGE_SIZE, PAGE_SIZE);

		if (!page) {
			while (i--) {
				free(frames->pages[frames->nr_pages + skip + i]);
				frames->pages[frames->nr_pages + skip + i] =
					NULL;
			}
			return INVALID_HPA;
		}
		memset(page, 0, PAGE_SIZE);
		frames->pages[frames->nr_pages + skip + i] = page;
	}
	frames->nr_pages += skip + nr;
	return (first_pfn + skip) << PAGE_SHIFT;
}

u64 host_memory_alloc_page(struct host_memory *host)
{
	return alloc_frames(&host->high, 1, 1);
}

u64 host_memory_alloc_pages(struct host_memory *host, u64 nr, u64 align)
{
	return alloc_frames(&host->high, nr, align);
}

u64 host_memory_alloc_page_below_4g(struct host_memory *host)
{
	return alloc_frames(&host->low, 1, 1);
}

static void *frames_page(const struct host_frames *frames, u64 pfn)
{
	if (pfn < frames->first_pfn ||
	    pfn - frames->first_pfn >= frames->nr_pages)
		return NULL;
	return frames->pages[pfn - frames->first_pfn];
}

void *host_memory_page(struct host_memory *host, u64 hpa)
{
	u64 pfn = hpa >> PAGE_SHIFT;

	if (pfn < HOST_MEMORY_FIRST_PFN)
		return frames_page(&host->low, pfn);
	return frames_page(&host->high, pfn);
}

u64 host_memory_nr_pages(const struct host_memory *host)
{
	return host->high.nr_pages + host->low.nr_pages;
}
