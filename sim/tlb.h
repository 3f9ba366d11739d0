/* Set-associative translation caches: the TLB, the PSC and the nested TLB. */
#ifndef MMUSIM_SIM_TLB_H
#define MMUSIM_SIM_TLB_H

#include "walker/types.h"

/* Page sizes a cache entry can have: 1 (4K), 2 (2M or 4M), 3 (1G). */
#define TLB_MAX_LEVEL 3
#define TLB_LEVEL_BITS 2
#define TLB_MAX_WAYS 4

/*
 * One cached translation.  @tag is the page number at the entry's size
 * with the size in its low bits, so that a 4K and a 2M entry never match
 * each other; 0 is never a valid tag.  An entry is valid while @gen is the
 * cache's generation: a flush is one increment (see struct tlb).
 *
 * What the TLB keeps of a walk: the page's GPA (and HPA when memory backs
 * it), the guest's ACC_* rights with a clean leaf's write right dropped,
 * the nested stage's rights for the final translation, the protection key,
 * and two masks of access classes (see run_access_class()) found allowed
 * or refused so far, filled lazily on hits.
 */
struct tlb_entry {
	u64 tag;
	u64 gpa;
	u64 hpa;
	u32 gen;
	u32 allowed;
	u32 denied;
	u8 level;
	bool global;
	u8 pte_access;
	u8 nested_access;
	u8 pkey;
};

/*
 * @nr_sets sets of @ways entries; a page goes to set (page number mod
 * @nr_sets).  Flushes are generation increments: a non-global entry is
 * valid while its gen equals @gen, a global one while it equals
 * @global_gen.  A flush of everything bumps both; a CR3 write bumps @gen.
 * @shift[level] is the page shift of each size in the current paging
 * mode (22 for a 4M page of 32-bit paging).  Lookups probe the larger
 * sizes only while @has_large says such an entry may be valid.
 * With @nr_sets 0 the cache is disabled: lookups miss, fills do nothing.
 */
struct tlb {
	struct tlb_entry *entries;
	u32 nr_sets;
	u32 ways;
	u32 gen;
	u32 global_gen;
	u32 victim;
	u8 shift[TLB_MAX_LEVEL + 1];
	bool has_large;
};

/*
 * A cache of @nr_entries entries (0 disables it; else a power of two),
 * min(@nr_entries, @ways) ways.  -EINVAL, -ENOMEM.
 */
int tlb_init(struct tlb *t, u32 nr_entries, u32 ways);
void tlb_destroy(struct tlb *t);

/* Page shifts of levels 1..3 for 10-bit (32-bit paging) or 9-bit tables. */
void tlb_set_shifts(struct tlb *t, bool pt32);

/* Everything (@global) or every non-global entry. */
void tlb_flush(struct tlb *t, bool global);
/* Every entry, of any size, that translates @addr, global ones too. */
void tlb_flush_addr(struct tlb *t, u64 addr);

static inline bool tlb_entry_valid(const struct tlb *t,
				   const struct tlb_entry *e)
{
	return e->gen == (e->global ? t->global_gen : t->gen);
}

static inline u64 tlb_tag(const struct tlb *t, u64 addr, int level)
{
	return ((addr >> t->shift[level]) << TLB_LEVEL_BITS) | level;
}

static inline struct tlb_entry *tlb_set(const struct tlb *t, u64 addr,
					int level)
{
	return &t->entries[((addr >> t->shift[level]) & (t->nr_sets - 1)) *
			   t->ways];
}

/* The valid entry of size @level for @addr, or NULL. */
static inline struct tlb_entry *tlb_probe(const struct tlb *t, u64 addr,
					  int level)
{
	struct tlb_entry *set = tlb_set(t, addr, level);
	u64 tag = tlb_tag(t, addr, level);
	u32 i;

	for (i = 0; i < t->ways; i++)
		if (set[i].tag == tag && tlb_entry_valid(t, &set[i]))
			return &set[i];
	return NULL;
}

/* The valid entry of any size for @addr, or NULL. */
static inline struct tlb_entry *tlb_lookup(const struct tlb *t, u64 addr)
{
	struct tlb_entry *e;

	if (unlikely(!t->nr_sets))
		return NULL;
	e = tlb_probe(t, addr, 1);
	if (likely(e) || !t->has_large)
		return e;
	e = tlb_probe(t, addr, 2);
	return e ? e : tlb_probe(t, addr, 3);
}

/*
 * The entry to fill for @addr at size @level: the one with the same tag if
 * there is one, else a free way, else a victim.  Tag, size, generation and
 * global flag are set and the class masks cleared; the caller fills the
 * rest.  NULL when the cache is disabled.
 */
struct tlb_entry *tlb_fill(struct tlb *t, u64 addr, int level, bool global);

#endif
