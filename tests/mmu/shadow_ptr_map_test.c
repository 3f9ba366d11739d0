/*
 * shadow_mmu's pointer maps (the rmap and the pages by gfn): whatever
 * the buckets' number when a list is filed, removed or looked up, a key
 * finds exactly the pointers filed under it and not removed, against a
 * plain array of what was filed.
 */
#include <criterion/criterion.h>
#include <inttypes.h>

#include "mmu/shadow_mmu.h"

/*
 * Keys spread over more than 2^32 (the hash's upper bits) and close
 * together (its lower ones); enough of them to double the first buckets
 * six times.
 */
#define NR_KEYS 5000
#define MAX_PTRS 3

static u64 test_key(unsigned int i)
{
	return i % 2 ? (u64)i << 35 : i;
}

/* A pointer that names its key and slot, never dereferenced. */
static void *test_ptr(unsigned int i, unsigned int j)
{
	return (void *)(uintptr_t)((i + 1) * 4 + j);
}

struct filed {
	unsigned int nr;
	void *ptrs[MAX_PTRS];
};

static void check_key(const struct shadow_ptr_map *map, unsigned int i,
		      const struct filed *f)
{
	const struct shadow_ptr_list *list =
		shadow_ptr_map_find(map, test_key(i));
	unsigned int j, k;

	if (!f->nr) {
		cr_assert_null(list, "key %u: a list with nothing filed", i);
		return;
	}
	cr_assert_not_null(list, "key %u: no list", i);
	cr_assert_eq(list->key, test_key(i));
	cr_assert_eq(list->nr, f->nr, "key %u: %u pointers, %u filed", i,
		     list->nr, f->nr);
	/* Removal reorders a list: each filed pointer is in it once. */
	for (j = 0; j < f->nr; j++) {
		unsigned int found = 0;

		for (k = 0; k < list->nr; k++)
			found += list->ptrs[k] == f->ptrs[j];
		cr_assert_eq(found, 1, "key %u: pointer %u found %u times", i,
			     j, found);
	}
}

static void check_all(const struct shadow_ptr_map *map,
		      const struct filed *filed)
{
	unsigned int i;
	u64 lists = 0;

	for (i = 0; i < NR_KEYS; i++) {
		check_key(map, i, &filed[i]);
		lists += filed[i].nr != 0;
	}
	cr_assert_eq(map->nr_lists, lists);
	cr_assert_leq(map->nr_lists, 1ULL << map->shift,
		      "%" PRIu64 " lists in %u buckets", map->nr_lists,
		      1U << map->shift);
}

static void file(struct shadow_ptr_map *map, struct filed *filed,
		 unsigned int i)
{
	struct filed *f = &filed[i];

	cr_assert_eq(shadow_ptr_map_add(map, test_key(i), test_ptr(i, f->nr)),
		     0);
	f->ptrs[f->nr] = test_ptr(i, f->nr);
	f->nr++;
}

static void unfile(struct shadow_ptr_map *map, struct filed *filed,
		   unsigned int i, unsigned int j)
{
	struct filed *f = &filed[i];

	shadow_ptr_map_remove(map, test_key(i), f->ptrs[j]);
	f->ptrs[j] = f->ptrs[--f->nr];
}

Test(shadow_ptr_map, zeroed_map_is_empty)
{
	struct shadow_ptr_map map = { 0 };

	cr_assert_null(shadow_ptr_map_find(&map, 0));
	cr_assert_null(shadow_ptr_map_find(&map, ~0ULL));
	shadow_ptr_map_destroy(&map);
}

Test(shadow_ptr_map, keys_find_their_pointers_as_the_buckets_double)
{
	static struct filed filed[NR_KEYS];
	struct shadow_ptr_map map = { 0 };
	unsigned int i, j, shift = 0;

	for (i = 0; i < NR_KEYS; i++) {
		for (j = 0; j <= i % MAX_PTRS; j++)
			file(&map, filed, i);
		/* Check around each doubling. */
		if (map.shift != shift) {
			shift = map.shift;
			check_all(&map, filed);
		}
	}
	cr_assert_geq(map.shift, SHADOW_PTR_MAP_MIN_SHIFT + 6);
	check_all(&map, filed);

	/* Empty two keys in three, take one pointer of the others. */
	for (i = 0; i < NR_KEYS; i++) {
		if (i % 3)
			while (filed[i].nr)
				unfile(&map, filed, i, 0);
		else if (filed[i].nr > 1)
			unfile(&map, filed, i, i % filed[i].nr);
	}
	check_all(&map, filed);

	/* Filed again, the emptied keys take free lists. */
	for (i = 0; i < NR_KEYS; i += 2)
		file(&map, filed, i);
	check_all(&map, filed);
	shadow_ptr_map_destroy(&map);
	cr_assert_null(map.buckets);
	cr_assert_null(shadow_ptr_map_find(&map, test_key(0)));
}
