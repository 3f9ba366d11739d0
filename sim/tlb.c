/* Set-associative translation caches with flushes by generation. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/tlb.h"
#include "walker/guest_memory.h"

static const char *const tlb_policies[TLB_NR_POLICIES] = {
	[TLB_POLICY_ROUNDROBIN] = "roundrobin",
	[TLB_POLICY_LRU] = "lru",
	[TLB_POLICY_PLRU] = "plru",
	[TLB_POLICY_RANDOM] = "random",
};

const char *tlb_policy_name(enum tlb_policy p)
{
	return p < TLB_NR_POLICIES ? tlb_policies[p] : "?";
}

int tlb_policy_find(const char *name)
{
	int i;

	for (i = 0; i < TLB_NR_POLICIES; i++)
		if (!strcmp(name, tlb_policies[i]))
			return i;
	return -1;
}

static bool is_power_of_2(u64 v)
{
	return v && !(v & (v - 1));
}

int tlb_init_policy(struct tlb *t, u32 nr_entries, u32 ways,
		    enum tlb_policy policy, u8 sizes, u64 seed)
{
	memset(t, 0, sizeof(*t));
	tlb_set_shifts(t, false);
	t->sizes = sizes;
	t->policy = policy;
	/* xorshift64* must not start at 0. */
	t->rng = seed ? seed : 1;
	if (!nr_entries)
		return 0;
	if (!ways || ways > TLB_MAX_WAYS || policy >= TLB_NR_POLICIES ||
	    !(sizes & TLB_SIZES_ALL) || (sizes & ~TLB_SIZES_ALL))
		return -EINVAL;
	if (ways > nr_entries)
		ways = nr_entries;
	if (nr_entries % ways || !is_power_of_2(nr_entries / ways) ||
	    (policy == TLB_POLICY_PLRU && !is_power_of_2(ways)))
		return -EINVAL;
	t->entries = calloc(nr_entries, sizeof(*t->entries));
	if (!t->entries)
		return -ENOMEM;
	t->ways = ways;
	t->nr_sets = nr_entries / ways;
	t->nr_entries = nr_entries;
	if (policy == TLB_POLICY_PLRU) {
		t->plru = calloc(t->nr_sets, sizeof(*t->plru));
		if (!t->plru) {
			tlb_destroy(t);
			return -ENOMEM;
		}
	}
	/* Entries start with gen 0 and tag 0: never valid. */
	t->gen = 1;
	t->global_gen = 1;
	return 0;
}

int tlb_init(struct tlb *t, u32 nr_entries, u32 ways)
{
	if (nr_entries & (nr_entries - 1) || (ways & (ways - 1)))
		return -EINVAL;
	return tlb_init_policy(t, nr_entries, ways, TLB_POLICY_ROUNDROBIN,
			       TLB_SIZES_ALL, 0);
}

void tlb_destroy(struct tlb *t)
{
	free(t->entries);
	free(t->plru);
	t->entries = NULL;
	t->plru = NULL;
	t->nr_sets = 0;
}

static unsigned int log2_ways(const struct tlb *t)
{
	return __builtin_ctz(t->ways);
}

/*
 * Tree PLRU: node n (from 1, children 2n and 2n + 1) points at the half
 * of its subtree to evict next, its bit set for the upper half.  A use
 * turns every node on the way's path away from it.
 */
static void plru_touch(struct tlb *t, u32 set, u32 way)
{
	u64 *bits = &t->plru[set];
	unsigned int depth = log2_ways(t), node = 1;
	int i;

	for (i = depth - 1; i >= 0; i--) {
		u32 upper = (way >> i) & 1;

		if (upper)
			*bits &= ~BIT_ULL(node);
		else
			*bits |= BIT_ULL(node);
		node = node * 2 + upper;
	}
}

static u32 plru_victim(const struct tlb *t, u32 set)
{
	unsigned int depth = log2_ways(t), node = 1, i;
	u32 way = 0;

	for (i = 0; i < depth; i++) {
		u32 upper = (t->plru[set] >> node) & 1;

		way = way * 2 + upper;
		node = node * 2 + upper;
	}
	return way;
}

void tlb_plru_touch(struct tlb *t, struct tlb_entry *e)
{
	u32 index = e - t->entries;

	plru_touch(t, index / t->ways, index % t->ways);
}

/* xorshift64* (Vigna): enough for a victim, and the same for a seed. */
static u64 tlb_random(struct tlb *t)
{
	t->rng ^= t->rng >> 12;
	t->rng ^= t->rng << 25;
	t->rng ^= t->rng >> 27;
	return t->rng * 0x2545f4914f6cdd1dULL;
}

/* The victim of the full @set under LRU, PLRU or RANDOM. */
struct tlb_entry *tlb_victim_tracked(struct tlb *t, struct tlb_entry *set)
{
	u32 i, way = 0;

	switch (t->policy) {
	case TLB_POLICY_LRU:
		for (i = 1; i < t->ways; i++)
			if (set[i].used < set[way].used)
				way = i;
		return &set[way];
	case TLB_POLICY_PLRU:
		return &set[plru_victim(t, (set - t->entries) / t->ways)];
	default:
		MMU_WARN_ON(t->policy != TLB_POLICY_RANDOM);
		return &set[(tlb_random(t) >> 32) % t->ways];
	}
}

void tlb_set_shifts(struct tlb *t, bool pt32)
{
	t->shift[0] = PAGE_SHIFT;
	t->shift[1] = PAGE_SHIFT;
	t->shift[2] = pt32 ? 22 : 21;
	t->shift[3] = 30;
}

/* Start over when a generation wraps, so that no stale entry comes back. */
static void tlb_clear(struct tlb *t)
{
	memset(t->entries, 0,
	       (size_t)t->nr_sets * t->ways * sizeof(*t->entries));
	t->gen = 1;
	t->global_gen = 1;
	t->has_large = false;
	t->global_any = false;
	t->nr_valid_min = 0;
}

void tlb_flush(struct tlb *t, bool global)
{
	if (!t->nr_sets)
		return;
	/* How many global entries stay valid is not known. */
	t->nr_valid_min = 0;
	if (++t->gen == 0 || (global && ++t->global_gen == 0)) {
		tlb_clear(t);
		return;
	}
	if (global) {
		t->has_large = false;
		t->global_any = false;
	}
}

void tlb_set_pcid(struct tlb *t, u16 pcid, bool pcide)
{
	MMU_WARN_ON(pcid & ~TLB_PCID_MASK);
	t->pcid_tag = (u64)pcid << TLB_LEVEL_BITS;
	t->global_tag = pcide ? (u64)TLB_PCID_ANY << TLB_LEVEL_BITS :
				t->pcid_tag;
}

/*
 * Drop @e: no tag matches 0, and generation 0 is never current (a flush
 * that wraps a generation starts over at 1), so tlb_fill() takes the
 * way as free, as it takes a way after a flush of everything.
 */
static void tlb_drop(struct tlb *t, struct tlb_entry *e)
{
	if (tlb_entry_valid(t, e) && t->nr_valid_min)
		t->nr_valid_min--;
	e->tag = 0;
	e->gen = 0;
}

/* Drop the entries of @addr under @pcid_tag; global ones too if @global. */
static void flush_addr_tag(struct tlb *t, u64 addr, u64 pcid_tag, bool global)
{
	int level;

	for (level = 1; level <= TLB_MAX_LEVEL; level++) {
		struct tlb_entry *set = tlb_set(t, addr, level);
		u64 tag = tlb_tag_for(t, addr, level, pcid_tag);
		u32 i;

		for (i = 0; i < t->ways; i++)
			if (set[i].tag == tag && (global || !set[i].global))
				tlb_drop(t, &set[i]);
	}
}

void tlb_flush_addr(struct tlb *t, u64 addr)
{
	if (!t->nr_sets)
		return;
	flush_addr_tag(t, addr, t->pcid_tag, true);
	if (t->global_tag != t->pcid_tag)
		flush_addr_tag(t, addr, t->global_tag, true);
}

void tlb_flush_pcid_addr(struct tlb *t, u64 addr, u16 pcid)
{
	if (t->nr_sets)
		flush_addr_tag(t, addr, (u64)pcid << TLB_LEVEL_BITS, false);
}

void tlb_flush_pcid(struct tlb *t, u16 pcid)
{
	u64 mask =
		GENMASK_ULL(TLB_PCID_BITS + TLB_LEVEL_BITS - 1, TLB_LEVEL_BITS);
	u64 pcid_tag = (u64)pcid << TLB_LEVEL_BITS;
	size_t i, n = (size_t)t->nr_sets * t->ways;

	for (i = 0; i < n; i++) {
		struct tlb_entry *e = &t->entries[i];

		if ((e->tag & mask) == pcid_tag && !e->global)
			tlb_drop(t, e);
	}
}

struct tlb_entry *tlb_fill(struct tlb *t, u64 addr, int level, bool global)
{
	struct tlb_entry *set, *e = NULL, *first_free = NULL;
	u64 tag;
	u32 i;

	if (!t->nr_sets)
		return NULL;
	MMU_WARN_ON(level < 1 || level > TLB_MAX_LEVEL);
	set = tlb_set(t, addr, level);
	tag = tlb_fill_tag(t, addr, level, global);
	/*
	 * One pass: the way with the same tag wins over every free way (a
	 * set holds a tag at most once), else the first free way in way
	 * order, else the policy's victim.  When every entry is valid,
	 * there is no free way to look for.
	 */
	if (t->nr_valid_min == t->nr_entries) {
		for (i = 0; i < t->ways; i++) {
			if (set[i].tag == tag) {
				e = &set[i];
				break;
			}
		}
		if (!e)
			e = tlb_victim(t, set);
		MMU_WARN_ON(!tlb_entry_valid(t, e));
	} else {
		for (i = 0; i < t->ways; i++) {
			if (set[i].tag == tag) {
				e = &set[i];
				break;
			}
			if (!first_free && !tlb_entry_valid(t, &set[i]))
				first_free = &set[i];
		}
		if (!e)
			e = first_free ? first_free : tlb_victim(t, set);
		if (!tlb_entry_valid(t, e))
			t->nr_valid_min++;
	}
	return tlb_fill_entry(t, e, tag, level, global);
}

bool tlb_set_holds(const struct tlb *t, const struct tlb_entry *set, u64 tag)
{
	u32 i;

	for (i = 0; i < t->ways; i++)
		if (set[i].tag == tag && tlb_entry_valid(t, &set[i]))
			return true;
	return false;
}
