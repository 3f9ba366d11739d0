/* shadow_mmu's rmap: leaf SPTEs by the gfn they map, and write protection. */
#include <errno.h>
#include <stdlib.h>

#include "mmu/shadow_mmu.h"
#include "mmu/tdp_mmu.h"

static u64 shadow_ptr_map_bucket(const struct shadow_ptr_map *map, u64 key)
{
	return hash_64(key, map->shift);
}

struct shadow_ptr_list *shadow_ptr_map_find(const struct shadow_ptr_map *map,
					    u64 key)
{
	struct shadow_ptr_list *list;

	if (!map->buckets)
		return NULL;
	for (list = map->buckets[shadow_ptr_map_bucket(map, key)]; list;
	     list = list->next)
		if (list->key == key)
			return list;
	return NULL;
}

/*
 * Room for one more list: the first buckets, or twice as many with the
 * lists moved over, when there would be more lists than buckets.
 */
static int shadow_ptr_map_reserve(struct shadow_ptr_map *map)
{
	struct shadow_ptr_list **old = map->buckets, *list;
	unsigned int old_shift = map->shift, shift;
	u64 i, bucket;

	if (old && map->nr_lists < (1ULL << old_shift))
		return 0;
	shift = old ? old_shift + 1 : SHADOW_PTR_MAP_MIN_SHIFT;
	map->buckets = calloc(1ULL << shift, sizeof(*map->buckets));
	if (!map->buckets) {
		map->buckets = old;
		return -ENOMEM;
	}
	map->shift = shift;
	for (i = 0; old && i < (1ULL << old_shift); i++) {
		while ((list = old[i])) {
			old[i] = list->next;
			bucket = shadow_ptr_map_bucket(map, list->key);
			list->next = map->buckets[bucket];
			map->buckets[bucket] = list;
		}
	}
	free(old);
	return 0;
}

/* A zeroed list from @map's free list, which takes a new chunk if empty. */
static struct shadow_ptr_list *shadow_ptr_list_alloc(struct shadow_ptr_map *map)
{
	struct shadow_ptr_list *list;

	if (!map->free_lists) {
		struct shadow_ptr_chunk *chunk = malloc(sizeof(*chunk));
		int i;

		if (!chunk)
			return NULL;
		chunk->next = map->chunks;
		map->chunks = chunk;
		for (i = 0; i < SHADOW_PTR_LISTS_PER_CHUNK; i++) {
			chunk->lists[i].ptrs = NULL;
			chunk->lists[i].next = map->free_lists;
			map->free_lists = &chunk->lists[i];
		}
	}
	list = map->free_lists;
	map->free_lists = list->next;
	*list = (struct shadow_ptr_list){ 0 };
	return list;
}

static void shadow_ptr_list_free(struct shadow_ptr_map *map,
				 struct shadow_ptr_list *list)
{
	if (list->ptrs != &list->first)
		free(list->ptrs);
	list->ptrs = NULL;
	list->next = map->free_lists;
	map->free_lists = list;
}

int shadow_ptr_map_add(struct shadow_ptr_map *map, u64 key, void *ptr)
{
	struct shadow_ptr_list *list = shadow_ptr_map_find(map, key);

	if (!list) {
		u64 bucket;

		if (shadow_ptr_map_reserve(map))
			return -ENOMEM;
		list = shadow_ptr_list_alloc(map);
		if (!list)
			return -ENOMEM;
		bucket = shadow_ptr_map_bucket(map, key);
		list->key = key;
		list->ptrs = &list->first;
		list->capacity = 1;
		list->next = map->buckets[bucket];
		map->buckets[bucket] = list;
		map->nr_lists++;
	}
	if (list->nr == list->capacity) {
		bool inline_ptrs = list->ptrs == &list->first;
		unsigned int capacity = inline_ptrs ? 4 : list->capacity * 2;
		void **ptrs = realloc(inline_ptrs ? NULL : list->ptrs,
				      capacity * sizeof(*ptrs));

		if (!ptrs)
			return -ENOMEM;
		if (inline_ptrs)
			ptrs[0] = list->first;
		list->ptrs = ptrs;
		list->capacity = capacity;
	}
	list->ptrs[list->nr++] = ptr;
	return 0;
}

/* Removing a pointer that is not filed under @key is a simulator bug. */
void shadow_ptr_map_remove(struct shadow_ptr_map *map, u64 key, void *ptr)
{
	struct shadow_ptr_list **link, *list;
	unsigned int i;

	MMU_WARN_ON(!map->buckets);
	if (!map->buckets)
		return;
	link = &map->buckets[shadow_ptr_map_bucket(map, key)];
	while (*link && (*link)->key != key)
		link = &(*link)->next;
	list = *link;
	MMU_WARN_ON(!list);
	if (!list)
		return;
	for (i = 0; i < list->nr; i++)
		if (list->ptrs[i] == ptr)
			break;
	MMU_WARN_ON(i == list->nr);
	if (i == list->nr)
		return;
	list->ptrs[i] = list->ptrs[--list->nr];
	if (list->nr)
		return;
	*link = list->next;
	map->nr_lists--;
	shadow_ptr_list_free(map, list);
}

/*
 * Every list is in a chunk, in use or free (ptrs NULL): the chunks give
 * each grown array to free, and the buckets go at once rather than
 * walked one by one (the walk was most of a small VM's shadow_mmu
 * teardown under ASan).
 */
void shadow_ptr_map_destroy(struct shadow_ptr_map *map)
{
	struct shadow_ptr_chunk *chunk;
	struct shadow_ptr_list *list;
	unsigned int i;

	while ((chunk = map->chunks)) {
		for (i = 0; i < SHADOW_PTR_LISTS_PER_CHUNK; i++) {
			list = &chunk->lists[i];
			if (list->ptrs && list->ptrs != &list->first)
				free(list->ptrs);
		}
		map->chunks = chunk->next;
		free(chunk);
	}
	free(map->buckets);
	*map = (struct shadow_ptr_map){ 0 };
}

/*
 * A leaf at @level is filed under the first gfn of the frame it maps, as
 * KVM's per-level rmap arrays index a slot by gfn_to_index(gfn, level).
 */
static u64 shadow_rmap_key(u64 gfn, int level)
{
	MMU_WARN_ON(level < PG_LEVEL_4K || level > PG_LEVEL_1G);
	return ((gfn & ~(pages_per_hpage(level) - 1)) << 2) | level;
}

int shadow_rmap_add(struct mmu_context *mmu, u64 *sptep, u64 gfn, int level)
{
	return shadow_ptr_map_add(&mmu->shadow->rmap,
				  shadow_rmap_key(gfn, level), sptep);
}

void shadow_rmap_remove(struct mmu_context *mmu, u64 *sptep, u64 gfn, int level)
{
	shadow_ptr_map_remove(&mmu->shadow->rmap, shadow_rmap_key(gfn, level),
			      sptep);
}

/*
 * KVM's spte_write_protect() with pt_protect: a guest page table now lives
 * in the frame, so MMU-writable goes too and only an unsync may bring W
 * back.
 */
static bool spte_write_protect(struct mmu_context *mmu, u64 *sptep)
{
	const struct spte_masks *m = &mmu->shadow->masks;
	u64 spte = *sptep;

	if (!is_writable_pte(spte) && !is_mmu_writable_spte(m, spte))
		return false;
	spte &= ~(PT_WRITABLE_MASK | m->mmu_writable_mask);
	return shadow_mmu_spte_update(mmu, sptep, spte);
}

bool shadow_mmu_write_protect_gfn(struct mmu_context *mmu, u64 gfn,
				  int min_level)
{
	bool flush = false;
	int level;

	if (mmu->shadow) {
		for (level = min_level; level <= PG_LEVEL_1G; level++) {
			struct shadow_ptr_list *list = shadow_ptr_map_find(
				&mmu->shadow->rmap,
				shadow_rmap_key(gfn, level));
			unsigned int i;

			for (i = 0; list && i < list->nr; i++)
				flush |= spte_write_protect(mmu, list->ptrs[i]);
		}
	}
	/* L1's own mappings of the gfn, when L2 runs on a shadow of its TDP. */
	if (mmu->nr_tdp_roots)
		flush |= tdp_mmu_write_protect_gfn(mmu, gfn, min_level);
	return flush;
}
