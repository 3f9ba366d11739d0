/* Host memory: 4K pages with host physical addresses, allocated in order. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "walker/guest_memory.h"

/* Host physical addresses stay below 2^52, as on any x86 host. */
#define HOST_MEMORY_MAX_PAGES \
	((1ULL << (52 - PAGE_SHIFT)) - HOST_MEMORY_FIRST_PFN)

struct host_memory {
	void **pages;
	u64 nr_pages;
	u64 capacity;
};

struct host_memory *host_memory_create(void)
{
	return calloc(1, sizeof(struct host_memory));
}

void host_memory_destroy(struct host_memory *host)
{
	u64 i;

	if (!host)
		return;
	for (i = 0; i < host->nr_pages; i++)
		free(host->pages[i]);
	free(host->pages);
	free(host);
}

static int reserve_frames(struct host_memory *host, u64 nr)
{
	u64 capacity = host->capacity ? host->capacity : 64;
	void **pages;

	if (nr > HOST_MEMORY_MAX_PAGES - host->nr_pages)
		return -ENOMEM;
	while (capacity < host->nr_pages + nr)
		capacity *= 2;
	if (capacity == host->capacity)
		return 0;
	pages = realloc(host->pages, capacity * sizeof(*pages));
	if (!pages)
		return -ENOMEM;
	memset(pages + host->capacity, 0,
	       (capacity - host->capacity) * sizeof(*pages));
	host->pages = pages;
	host->capacity = capacity;
	return 0;
}

u64 host_memory_alloc_page(struct host_memory *host)
{
	return host_memory_alloc_pages(host, 1, 1);
}

u64 host_memory_alloc_pages(struct host_memory *host, u64 nr, u64 align)
{
	u64 first_pfn, skip, i;

	if (!nr || !align || (align & (align - 1)))
		return INVALID_HPA;
	first_pfn = HOST_MEMORY_FIRST_PFN + host->nr_pages;
	skip = (align - (first_pfn & (align - 1))) & (align - 1);
	if (reserve_frames(host, skip + nr))
		return INVALID_HPA;

	for (i = 0; i < nr; i++) {
		void *page = aligned_alloc(PAGE_SIZE, PAGE_SIZE);

		if (!page) {
			while (i--) {
				free(host->pages[host->nr_pages + skip + i]);
				host->pages[host->nr_pages + skip + i] = NULL;
			}
			return INVALID_HPA;
		}
		memset(page, 0, PAGE_SIZE);
		host->pages[host->nr_pages + skip + i] = page;
	}
	host->nr_pages += skip + nr;
	return (first_pfn + skip) << PAGE_SHIFT;
}

void *host_memory_page(struct host_memory *host, u64 hpa)
{
	u64 pfn = hpa >> PAGE_SHIFT;

	if (pfn < HOST_MEMORY_FIRST_PFN ||
	    pfn - HOST_MEMORY_FIRST_PFN >= host->nr_pages)
		return NULL;
	return host->pages[pfn - HOST_MEMORY_FIRST_PFN];
}

u64 host_memory_nr_pages(const struct host_memory *host)
{
	return host->nr_pages;
}
