/* Set-associative translation caches: the TLB, the PSC and the nested TLB. */
#ifndef MMUSIM_SIM_TLB_H
#define MMUSIM_SIM_TLB_H

#include <string.h>

#include "walker/paging.h"
#include "walker/types.h"

/* Page sizes a cache entry can have: 1 (4K), 2 (2M or 4M), 3 (1G). */
#define TLB_MAX_LEVEL 3
#define TLB_LEVEL_BITS 2
/* Ways of a set: up to a fully associative 64-entry array. */
#define TLB_MAX_WAYS 64
/* The sizes an array holds, a mask of BIT(level). */
#define TLB_SIZE_4K BIT(1)
#define TLB_SIZE_2M BIT(2)
#define TLB_SIZE_1G BIT(3)
#define TLB_SIZES_ALL (TLB_SIZE_4K | TLB_SIZE_2M | TLB_SIZE_1G)

/*
 * Replacement policies (tlb_policies[] in tlb.c holds their names):
 * ROUNDROBIN is one victim counter for the whole array, advanced at every
 * replacement (the model's original policy and its default); LRU evicts
 * the least recently used way of the set; PLRU is the tree pseudo-LRU of
 * power-of-two-way sets; RANDOM draws a way from a seeded xorshift64*.
 */
enum tlb_policy {
	TLB_POLICY_ROUNDROBIN,
	TLB_POLICY_LRU,
	TLB_POLICY_PLRU,
	TLB_POLICY_RANDOM,
	TLB_NR_POLICIES,
};

/* The name of @p ("roundrobin", "lru", "plru", "random"). */
const char *tlb_policy_name(enum tlb_policy p);
/* The policy named @name, or -1. */
int tlb_policy_find(const char *name);

/*
 * Process-context identifiers (CR4.PCIDE, Intel SDM vol. 3 4.10.1): an
 * entry's tag holds the PCID it was cached under, so that a lookup finds
 * only the current PCID's entries.  With PCIDs on, a global entry is
 * cached under TLB_PCID_ANY and found under every PCID.  Tags keep bits
 * 56:0 of the address: a linear address (57 bits at most), a GPA (52).
 */
#define TLB_PCID_BITS 13
#define TLB_PCID_MASK GENMASK_ULL(11, 0)
#define TLB_PCID_ANY BIT(12)
#define TLB_ADDR_MASK GENMASK_ULL(56, 0)
static_assert(56 + 1 - PAGE_SHIFT + TLB_PCID_BITS + TLB_LEVEL_BITS <= 64,
	      "a page number, PCID and size fit a tag");
/*
 * One cached translation.  @tag is the page number at the entry's size,
 * the PCID and the size in its low bits, so that a 4K and a 2M entry, or
 * two PCIDs' entries, never match each other; 0 is never a valid tag.  An entry is valid while @gen is the
 * cache's generation: a flush is one increment (see struct tlb).
 *
 * What the TLB keeps of a walk: the page's GPA, the guest's ACC_* rights
 * with a clean leaf's write right dropped, the nested stage's rights for
 * the final translation, the protection key, and two masks of access
 * classes (see run_access_class()) found allowed or refused so far,
 * filled lazily on hits.
 */
struct tlb_entry {
	u64 tag;
	u64 gpa;
	/* LRU: the array's clock at the last use. */
	u64 used;
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
 * sizes only while @has_large says such an entry may be valid.  Lookups
 * and fills are for the current PCID (tlb_set_pcid(); 0 at first).
 * With @nr_sets 0 the cache is disabled: lookups miss, fills do nothing.
 * @sizes is the mask of the sizes (TLB_SIZE_*) the array holds: lookups
 * probe those only.  @policy picks the victim of a full set; @clock
 * (LRU), @plru (a tree of ways - 1 bits per set) and @rng (RANDOM) are
 * its state.
 */
struct tlb {
	struct tlb_entry *entries;
	u64 *plru;
	u64 clock;
	u64 rng;
	u32 nr_sets;
	u32 ways;
	u32 gen;
	u32 global_gen;
	u32 victim;
	u8 policy;
	u8 sizes;
	u8 shift[TLB_MAX_LEVEL + 1];
	bool has_large;
	/* The current PCID in tag position, and that of global entries. */
	u64 pcid_tag;
	u64 global_tag;
	/* A global entry may be cached under TLB_PCID_ANY. */
	bool global_any;
	/*
	 * At most the number of valid entries: a fill of a free way adds
	 * one, a drop of a valid entry takes one back, a flush starts over
	 * at 0.  At @nr_entries every entry is valid, and a fill looks for
	 * no free way.
	 */
	u32 nr_valid_min;
	u32 nr_entries;
};

/*
 * A cache of @nr_entries entries in sets of min(@nr_entries, @ways) ways
 * (0 entries disables it); the number of sets must be a power of two,
 * PLRU needs power-of-two ways.  @seed seeds RANDOM.  -EINVAL, -ENOMEM.
 */
int tlb_init_policy(struct tlb *t, u32 nr_entries, u32 ways,
		    enum tlb_policy policy, u8 sizes, u64 seed);
/* The original array: a power of two of entries, all sizes, ROUNDROBIN. */
int tlb_init(struct tlb *t, u32 nr_entries, u32 ways);
void tlb_destroy(struct tlb *t);

/* Page shifts of levels 1..3 for 10-bit (32-bit paging) or 9-bit tables. */
void tlb_set_shifts(struct tlb *t, bool pt32);

/*
 * Look up and fill for PCID @pcid from now on; @pcide: CR4.PCIDE, under
 * which global entries are found under every PCID.
 */
void tlb_set_pcid(struct tlb *t, u16 pcid, bool pcide);

/* Everything (@global) or every non-global entry, of every PCID. */
void tlb_flush(struct tlb *t, bool global);
/*
 * Every entry, of any size, that translates @addr for the current PCID,
 * and the global ones.
 */
void tlb_flush_addr(struct tlb *t, u64 addr);
/* Every non-global entry of PCID @pcid. */
void tlb_flush_pcid(struct tlb *t, u16 pcid);
/* Every non-global entry of PCID @pcid that translates @addr. */
void tlb_flush_pcid_addr(struct tlb *t, u64 addr, u16 pcid);

static inline bool tlb_entry_valid(const struct tlb *t,
				   const struct tlb_entry *e)
{
	return e->gen == (e->global ? t->global_gen : t->gen);
}

/* The tag of @addr at size @level, whose page shift is @shift. */
static inline u64 tlb_tag_at_shift(u64 addr, unsigned int shift, int level,
				   u64 pcid_tag)
{
	return (((addr & TLB_ADDR_MASK) >> shift)
		<< (TLB_PCID_BITS + TLB_LEVEL_BITS)) |
	       pcid_tag | level;
}

static inline u64 tlb_tag_for(const struct tlb *t, u64 addr, int level,
			      u64 pcid_tag)
{
	return tlb_tag_at_shift(addr, t->shift[level], level, pcid_tag);
}

static inline u64 tlb_tag(const struct tlb *t, u64 addr, int level)
{
	return tlb_tag_for(t, addr, level, t->pcid_tag);
}

/* The set of the page of number @nr (an address >> its page shift). */
static inline struct tlb_entry *tlb_set_of(const struct tlb *t, u64 nr)
{
	return &t->entries[(nr & (t->nr_sets - 1)) * t->ways];
}

static inline struct tlb_entry *tlb_set(const struct tlb *t, u64 addr,
					int level)
{
	return tlb_set_of(t, addr >> t->shift[level]);
}

/* PLRU: @e is now the most recently used of its set. */
void tlb_plru_touch(struct tlb *t, struct tlb_entry *e);

/*
 * A use of @e, which only LRU and PLRU remember.  LRU's is inline: a hit
 * of mmusim run's TLB makes no call for it.  Round robin and random
 * leave at the first test, one compare of a range.
 */
static inline void tlb_use(struct tlb *t, struct tlb_entry *e)
{
	if (t->policy != TLB_POLICY_LRU && t->policy != TLB_POLICY_PLRU)
		return;
	if (t->policy == TLB_POLICY_LRU)
		e->used = ++t->clock;
	else
		tlb_plru_touch(t, e);
}

/* The valid entry of @set, of an enabled array, with @tag; a hit is a use. */
static inline struct tlb_entry *tlb_probe_set(struct tlb *t,
					      struct tlb_entry *set, u64 tag)
{
	struct tlb_entry *e = set, *end = set + t->ways;

	do {
		if (e->tag == tag && tlb_entry_valid(t, e)) {
			tlb_use(t, e);
			return e;
		}
	} while (++e != end);
	return NULL;
}

static inline struct tlb_entry *tlb_probe_tag(struct tlb *t, u64 addr,
					      int level, u64 pcid_tag)
{
	/* A disabled array has no entries: not even a set to point at. */
	if (unlikely(!t->ways))
		return NULL;
	return tlb_probe_set(t, tlb_set(t, addr, level),
			     tlb_tag_for(t, addr, level, pcid_tag));
}

/* The valid entry of size @level for @addr and the current PCID, or NULL. */
static inline struct tlb_entry *tlb_probe(struct tlb *t, u64 addr, int level)
{
	return tlb_probe_tag(t, addr, level, t->pcid_tag);
}

/*
 * Of the sizes the enabled TLB @t holds.  A TLB's 4K page shift is
 * PAGE_SHIFT in every paging mode (tlb_set_shifts()), only a PSC level's
 * differs: the 4K probe takes the constant, so that a loop over the
 * configurations of a sweep works out its part of the tag once.
 */
static inline struct tlb_entry *tlb_lookup_tag(struct tlb *t, u64 addr,
					       u64 pcid_tag)
{
	struct tlb_entry *e = NULL;

	if (likely(t->sizes & TLB_SIZE_4K)) {
		MMU_WARN_ON(t->shift[1] != PAGE_SHIFT);
		e = tlb_probe_set(t, tlb_set_of(t, addr >> PAGE_SHIFT),
				  tlb_tag_at_shift(addr, PAGE_SHIFT, 1,
						   pcid_tag));
		if (likely(e) || !t->has_large)
			return e;
	}
	if (t->sizes & TLB_SIZE_2M)
		e = tlb_probe_tag(t, addr, 2, pcid_tag);
	if (!e && (t->sizes & TLB_SIZE_1G))
		e = tlb_probe_tag(t, addr, 3, pcid_tag);
	return e;
}

/*
 * The valid entry of any size the TLB (the first level, the STLB or the
 * nested TLB, not a PSC level) holds for @addr, or NULL.
 */
static inline struct tlb_entry *tlb_lookup(struct tlb *t, u64 addr)
{
	struct tlb_entry *e;

	if (unlikely(!t->nr_sets))
		return NULL;
	e = tlb_lookup_tag(t, addr, t->pcid_tag);
	if (likely(e) || likely(!t->global_any))
		return e;
	return tlb_lookup_tag(t, addr, t->global_tag);
}

/* The victim of the full @set under LRU, PLRU or RANDOM. */
struct tlb_entry *tlb_victim_tracked(struct tlb *t, struct tlb_entry *set);

/* The victim of the full @set: round robin's without a call. */
static inline struct tlb_entry *tlb_victim(struct tlb *t, struct tlb_entry *set)
{
	/*
	 * One counter for the whole array, not one a set; any number of
	 * ways (12 entries in 3 ways, say).
	 */
	if (t->policy == TLB_POLICY_ROUNDROBIN)
		return &set[t->victim++ % t->ways];
	return tlb_victim_tracked(t, set);
}

/*
 * Take @e for @tag at size @level: tag, size, generation and global flag
 * set, every other field cleared, used.
 */
static inline struct tlb_entry *tlb_fill_entry(struct tlb *t,
					       struct tlb_entry *e, u64 tag,
					       int level, bool global)
{
	memset(e, 0, sizeof(*e));
	e->tag = tag;
	e->level = level;
	e->global = global;
	e->gen = global ? t->global_gen : t->gen;
	tlb_use(t, e);
	if (level > 1)
		t->has_large = true;
	if (global && t->global_tag != t->pcid_tag)
		t->global_any = true;
	return e;
}

/* The tag a fill of @addr at size @level gives its entry. */
static inline u64 tlb_fill_tag(const struct tlb *t, u64 addr, int level,
			       bool global)
{
	return tlb_tag_for(t, addr, level,
			   global ? t->global_tag : t->pcid_tag);
}

/*
 * The entry to fill for @addr at size @level, for the current PCID (any
 * PCID for a global entry under CR4.PCIDE): the one with the same tag if
 * there is one, valid or not, else the first free way, else a victim.
 * Tag, size, generation and global flag are set and every other field
 * cleared; the caller fills the rest.  NULL when the cache is disabled.
 */
struct tlb_entry *tlb_fill(struct tlb *t, u64 addr, int level, bool global);

/* Does a valid entry of @set have @tag? */
bool tlb_set_holds(const struct tlb *t, const struct tlb_entry *set, u64 tag);

/*
 * tlb_fill() for a caller that knows that no valid entry of the set has
 * the tag the fill gives the entry (a probe for it just missed, and no
 * entry was filled or dropped since): once every entry is valid, no
 * entry has it, and the fill takes the victim without looking in the
 * set.  The same entry as tlb_fill() would take.  Inline: a TLB miss
 * of mmusim run fills its entry without a call.
 */
static inline struct tlb_entry *tlb_fill_absent(struct tlb *t, u64 addr,
						int level, bool global)
{
	struct tlb_entry *set, *e;
	u64 tag;

	if (t->nr_valid_min != t->nr_entries || !t->nr_sets)
		return tlb_fill(t, addr, level, global);
	set = tlb_set(t, addr, level);
	tag = tlb_fill_tag(t, addr, level, global);
	MMU_WARN_ON(tlb_set_holds(t, set, tag));
	e = tlb_victim(t, set);
	MMU_WARN_ON(!tlb_entry_valid(t, e));
	return tlb_fill_entry(t, e, tag, level, global);
}

#endif
