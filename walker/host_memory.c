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

u64 host_memory_alloc_page(struct host_memory *host)
{
	void *page;

	if (host->nr_pages == HOST_MEMORY_MAX_PAGES)
		return INVALID_HPA;
	if (host->nr_pages == host->capacity) {
		u64 capacity = host->capacity ? host->capacity * 2 : 64;
		void **pages = realloc(host->pages, capacity * sizeof(*pages));

		if (!pages)
			return INVALID_HPA;
		host->pages = pages;
		host->capacity = capacity;
	}
	page = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!page)
		return INVALID_HPA;
	memset(page, 0, PAGE_SIZE);
	host->pages[host->nr_pages] = page;
	return (HOST_MEMORY_FIRST_PFN + host->nr_pages++) << PAGE_SHIFT;
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
