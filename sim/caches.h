/* The translation caches of one vCPU: TLB, PSC and nested TLB policy. */
#ifndef MMUSIM_SIM_CACHES_H
#define MMUSIM_SIM_CACHES_H

#include "sim/tlb.h"
#include "sim/vcpu.h"

/* The arrays of a first-level TLB: the main one, and 2M and 1G ones. */
enum caches_l1_array {
	CACHES_L1_MAIN,
	CACHES_L1_2M,
	CACHES_L1_1G,
	CACHES_L1_ARRAYS,
};

/*
 * The shape of one array: @entries (0 disables it) in sets of @ways,
 * replaced by @policy (enum tlb_policy), holding the page sizes @sizes
 * (TLB_SIZE_*).  Checked by tlb_init_policy().
 */
struct cache_geometry {
	u32 entries;
	u32 ways;
	u8 policy;
	u8 sizes;
};

/*
 * What every translation cache of a vCPU looks like: the keys of
 * docs/mmusim-run.md ("tlb.l1d.entries", ...) name these fields.  An L1
 * ITLB without entries means fetches use the L1 DTLB (one unified L1).
 * @psc and @npsc are indexed by the level of the entries they hold, 2..5.
 */
struct translation_caches_config {
	struct cache_geometry l1d[CACHES_L1_ARRAYS];
	struct cache_geometry l1i[CACHES_L1_ARRAYS];
	struct cache_geometry stlb;
	struct cache_geometry psc[PT64_ROOT_MAX_LEVEL + 1];
	struct cache_geometry ntlb;
	struct cache_geometry npsc[PT64_ROOT_MAX_LEVEL + 1];
	/* Seed of every RANDOM array. */
	u64 seed;
	/*
	 * The cache model (cache_model_at() in sim/cache_model.h): 0 is
	 * these arrays (the "hierarchy"), another ignores them.
	 */
	u8 model;
	/*
	 * The latency model, in cycles (0: not modelled): a first-level hit,
	 * an STLB hit, and each walk reference: @walk_ref fixed, plus
	 * @ref_cache on a data-cache hit (@ref_cache_hit_percent of them)
	 * or @ref_memory on a miss.
	 */
	struct {
		u32 l1_hit;
		u32 stlb_hit;
		u32 walk_ref;
		u32 ref_cache_hit_percent;
		u32 ref_cache;
		u32 ref_memory;
	} latency;
};

/* The defaults of the original model (docs/mmusim-run.md). */
#define CACHES_DEFAULT_TLB_ENTRIES 2048
#define CACHES_DEFAULT_PSC_ENTRIES 32
#define CACHES_DEFAULT_NTLB_ENTRIES 64
#define CACHES_DEFAULT_WAYS 4
#define CACHES_DEFAULT_SEED 1

/*
 * The defaults: one 2048-entry 4-way L1 TLB for every access and page
 * size, 32 entries 4-way per PSC level, a 64-entry 4-way nested TLB, no
 * STLB and no nested PSC, every array ROUNDROBIN.
 */
void translation_caches_config_init(struct translation_caches_config *cfg);

/* Entries of every PSC level (what --psc sets). */
static inline void
translation_caches_config_psc(struct translation_caches_config *cfg,
			      u32 entries)
{
	int level;

	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		cfg->psc[level].entries = entries;
}

/*
 * Every translation cache of one vCPU.  @l1d (and @l1i when it has
 * entries) cache whole translations (linear page to GPA/HPA page, with
 * rights), each in up to three arrays by page size; @stlb is the second
 * level behind both, refilling them.  @psc[L] (L = 2..5) caches the
 * non-leaf entries of level L of the guest's walks, keyed by the address
 * bits above the region an entry maps; @ntlb caches the nested stage's
 * translations (nGPA page to GPA page) that 2D walks use, and @npsc[L]
 * the nested walks' non-leaf entries, keyed by nGPA.  The walker always
 * walks from the root: the PSC, the nested TLB and the nested PSC only
 * decide which of its references the CPU would have made.
 */
struct translation_caches {
	struct tlb l1d[CACHES_L1_ARRAYS];
	struct tlb l1i[CACHES_L1_ARRAYS];
	struct tlb stlb;
	struct tlb psc[PT64_ROOT_MAX_LEVEL + 1];
	struct tlb ntlb;
	struct tlb npsc[PT64_ROOT_MAX_LEVEL + 1];
	/* Fetches look in @l1i. */
	bool split_l1;
	/* The 2M or 1G arrays of an L1 have entries. */
	bool l1_size_arrays;
	/*
	 * The two sides' hints can be entries of one LRU or PLRU set (a
	 * unified L1 with such an array): only then does a hit of one
	 * side's set drop the other's hint (caches_hint()).  Round robin
	 * and random change nothing on a hit, and a split L1's sides never
	 * share a set.
	 */
	bool hints_share_lru_sets;
	/*
	 * A first-level array is LRU or PLRU: a hit of an entry that is
	 * not the most recently used of its set changes the set's order.
	 */
	bool l1_lru;
	bool has_psc;
	bool has_npsc;
	/*
	 * Per side (data, fetch): the first-level entry the side's last
	 * lookup hit, its 4K page number (CACHES_NO_HINT for none) and its
	 * set.  A lookup of that page takes it without probing, which is
	 * exact while the entry is unchanged and the most recently used of
	 * its set: a hit changes no round-robin or random state, and using
	 * a set's most recently used way again leaves LRU's order and
	 * PLRU's bits as they are.  So a hit of another entry of the same
	 * set drops the other side's hint, and a fill, a flush or a change
	 * of PCID or page shifts drops both (caches_drop_hints()).
	 */
	u64 hint_page[2];
	struct tlb_entry *hint[2];
	const struct tlb_entry *hint_set[2];
	/*
	 * The 4K page number (CACHES_NO_HINT for none) whose probe of the
	 * main first-level array @missed last missed: no valid entry of
	 * its set has the page's 4K tag of the current PCID, while no entry
	 * is filled or dropped, which drops the hints, and this with them.
	 */
	u64 missed_page;
	const struct tlb *missed;
	/*
	 * How many times a flush, a change of PCID or a change of the
	 * first level's page shifts may have dropped or hidden entries:
	 * what a fill and a fault's drop of the entries of its address
	 * (translation_caches_flush_addr()) leave out, which change only
	 * the set of the address's 4K page while no entry is larger.  A
	 * sweep's memo of hits (sim/run_sweep_access.h) tells from this.
	 */
	u32 flushes;
	/* The key of the roles the page shifts were last set for. */
	u32 shifts_key;
	/*
	 * Per PSC level: the entry its last probe hit or its last fill
	 * took.  A probe takes it when it is valid and has the tag: a set
	 * holds a tag at most once, so it is the entry the probe would find.
	 */
	struct tlb_entry *psc_hint[PT64_ROOT_MAX_LEVEL + 1];
	/*
	 * What the last translation_caches_psc_lookup() found, for the fill
	 * after the walk it went before: while @psc_looked, it looked up
	 * @psc_looked_addr, missed at every level below @psc_found (every
	 * level for 0) and used the entry of @psc_found.  A change of the
	 * PSC, its PCID or its page shifts clears @psc_looked.
	 */
	bool psc_looked;
	int psc_found;
	u64 psc_looked_addr;
	/*
	 * A hit of no PSC level changes its replacement state (no level is
	 * LRU or PLRU): a probe that hits changes nothing.
	 */
	bool psc_hits_change_nothing;
	/*
	 * While @psc_upper_key is not 0, the PSC levels above the one a
	 * lookup hit, from the level above the hit (or above the walk's
	 * leaf, when higher) to the root's, hold the entries of the
	 * addresses whose bits from @psc_upper_shift up are
	 * @psc_upper_region: the last fill probed or filled them, and only a
	 * fill or a change of the PSC, its PCID or its page shifts (which
	 * clears the key) can drop one.  The key is
	 * psc_upper_key(hit level, leaf level) of that fill's walk.  With
	 * @psc_hits_change_nothing, a fill's probe of those levels for such
	 * an address would hit and change nothing: it is left out.
	 */
	u32 psc_upper_key;
	unsigned int psc_upper_shift;
	u64 psc_upper_region;
};

#define CACHES_NO_HINT (~0ULL)

static inline void caches_drop_hints(struct translation_caches *c)
{
	c->hint_page[0] = CACHES_NO_HINT;
	c->hint_page[1] = CACHES_NO_HINT;
	c->missed_page = CACHES_NO_HINT;
}

/*
 * What the caches saved of one walk: references not made, and the
 * nested-TLB and nested-PSC lookups and hits made on the way.
 */
struct translation_caches_walk_cost {
	unsigned int skipped_guest;
	unsigned int skipped_nested;
	unsigned int ntlb_lookups;
	unsigned int ntlb_hits;
	unsigned int npsc_lookups;
	unsigned int npsc_hits;
};

/* -EINVAL for a geometry tlb_init_policy() refuses, -ENOMEM. */
int translation_caches_init(struct translation_caches *c,
			    const struct translation_caches_config *cfg);
void translation_caches_destroy(struct translation_caches *c);

/*
 * What the page shifts depend on: the level and format of the guest's
 * tables and of the nested stage's, with a bit that the key of new
 * caches (0) does not have.
 */
#define CACHES_SHIFTS_KEY_SET BIT(31)
#define CACHES_SHIFTS_KEY_EPT BIT(3)
#define CACHES_SHIFTS_KEY_NESTED BIT(4)
#define CACHES_SHIFTS_KEY_NESTED_SHIFT 5

static inline u32 caches_role_shifts_key(const struct cpu_role *role)
{
	static_assert(PT64_ROOT_MAX_LEVEL < CACHES_SHIFTS_KEY_EPT,
		      "a level fits below the EPT bit");
	return role->level | (role->ept ? CACHES_SHIFTS_KEY_EPT : 0);
}

static inline u32 caches_shifts_key(const struct kvm_pagewalk *w)
{
	u32 key = CACHES_SHIFTS_KEY_SET | caches_role_shifts_key(&w->role);

	if (w->nested)
		key |= CACHES_SHIFTS_KEY_NESTED |
		       (caches_role_shifts_key(&w->nested->role)
			<< CACHES_SHIFTS_KEY_NESTED_SHIFT);
	return key;
}

/* Set the page shifts of @c for @v's paging modes, whose key is @key. */
void translation_caches_set_shifts(struct translation_caches *c,
				   const struct sim_vcpu *v, u32 key);

/* Keep the caches' page shifts in step with @v's paging modes. */
static inline void
translation_caches_update_shifts(struct translation_caches *c,
				 const struct sim_vcpu *v)
{
	u32 key = caches_shifts_key(&v->gva_walk);

	if (unlikely(key != c->shifts_key))
		translation_caches_set_shifts(c, v, key);
}

/* The entry @e of @t, for @addr, is now side @fetch's hint. */
static inline struct tlb_entry *caches_hint(struct translation_caches *c,
					    struct tlb *t, struct tlb_entry *e,
					    u64 addr, bool fetch)
{
	const struct tlb_entry *set;

	c->hint_page[fetch] = addr >> PAGE_SHIFT;
	c->hint[fetch] = e;
	if (likely(!c->hints_share_lru_sets))
		return e;
	set = tlb_set(t, addr, e->level);
	if (c->hint_set[!fetch] == set && c->hint[!fetch] != e)
		c->hint_page[!fetch] = CACHES_NO_HINT;
	c->hint_set[fetch] = set;
	return e;
}

/*
 * A first-level entry may be larger than 4K: the set of a page's entry
 * may not be the set of its 4K page number.
 */
static inline bool
translation_caches_l1_large(const struct translation_caches *c)
{
	return c->l1_size_arrays || c->l1d[CACHES_L1_MAIN].has_large ||
	       c->l1i[CACHES_L1_MAIN].has_large;
}

/* The first level that side @fetch (data, fetch) looks up. */
static inline struct tlb *caches_l1(struct translation_caches *c, bool fetch)
{
	return fetch && c->split_l1 ? c->l1i : c->l1d;
}

/* translation_caches_lookup() past the hint: the probe of each array. */
static inline struct tlb_entry *
translation_caches_probe(struct translation_caches *c, u64 addr, bool fetch)
{
	struct tlb *l1 = caches_l1(c, fetch);
	struct tlb_entry *e = tlb_lookup(&l1[CACHES_L1_MAIN], addr);
	int i;

	if (likely(e))
		return caches_hint(c, &l1[CACHES_L1_MAIN], e, addr, fetch);
	c->missed_page = addr >> PAGE_SHIFT;
	c->missed = &l1[CACHES_L1_MAIN];
	if (likely(!c->l1_size_arrays))
		return NULL;
	for (i = CACHES_L1_2M; i <= CACHES_L1_1G; i++) {
		e = tlb_lookup(&l1[i], addr);
		if (e)
			return caches_hint(c, &l1[i], e, addr, fetch);
	}
	return NULL;
}

/* The first-level TLB entry of any size for @addr (a @fetch?), or NULL. */
static inline struct tlb_entry *
translation_caches_lookup(struct translation_caches *c, u64 addr, bool fetch)
{
	if (likely(c->hint_page[fetch] == addr >> PAGE_SHIFT))
		return c->hint[fetch];
	return translation_caches_probe(c, addr, fetch);
}

static inline bool
translation_caches_has_stlb(const struct translation_caches *c)
{
	return c->stlb.nr_sets;
}

/*
 * After a first-level miss: the STLB's entry for @addr copied into the
 * first level (and returned from there, or from the STLB when the first
 * level has no entries), or NULL.
 */
struct tlb_entry *translation_caches_stlb_refill(struct translation_caches *c,
						 u64 addr, bool fetch);

/*
 * tlb_probe() of PSC level @level for @addr, its hit the level's hint:
 * for the lookup before a walk, whose lowest levels change more often
 * than their hints would hit.
 */
static inline struct tlb_entry *
caches_psc_probe_set(struct translation_caches *c, int level, u64 addr)
{
	struct tlb_entry *e = tlb_probe(&c->psc[level], addr, 1);

	if (e)
		c->psc_hint[level] = e;
	return e;
}

/*
 * The lowest level whose PSC holds @addr's entry, 0 for none, -1 when
 * there is no PSC to look in.  Inline: a TLB miss makes no call for it.
 */
static inline int translation_caches_psc_lookup(struct translation_caches *c,
						const struct sim_vcpu *v,
						u64 addr)
{
	const struct cpu_role *role = &v->gva_walk.role;
	int level, top, found = 0;

	if (role->level < PT32_ROOT_LEVEL || !c->has_psc) {
		c->psc_looked = false;
		return -1;
	}
	/* No PSC caches PAE's PDPTRs, of its root level. */
	top = role->level == PT32E_ROOT_LEVEL ? PT32E_ROOT_LEVEL - 1 :
						role->level;
	for (level = 2; level <= top; level++) {
		if (c->psc[level].nr_sets &&
		    caches_psc_probe_set(c, level, addr)) {
			found = level;
			break;
		}
	}
	c->psc_looked = true;
	c->psc_found = found;
	c->psc_looked_addr = addr;
	return found;
}

/*
 * Look up (and fill) the nested TLB and nested PSC with the nested
 * translations of the walk @rec, and count what the PSC hit at
 * @psc_level (see translation_caches_psc_lookup()), the nested TLB and
 * the nested PSC saved of it.
 */
void translation_caches_walk(struct translation_caches *c,
			     const struct sim_vcpu *v,
			     const struct walk_record *rec, int psc_level,
			     bool ok,
			     struct translation_caches_walk_cost *cost);

/*
 * Cache the successful walk @rec of @addr, access class @cls, in the PSC,
 * the first level (the L1 ITLB for a @fetch when there is one) and the
 * STLB.
 */
void translation_caches_fill(struct translation_caches *c,
			     const struct sim_vcpu *v,
			     const struct walk_record *rec, u64 addr, u32 cls,
			     bool fetch);

/*
 * translation_caches_fill() of a successful 1D walk of a 4- or 5-level
 * guest that gva_walk_try_translate_gpa() made, @t: the same fill,
 * without a record.
 */
void translation_caches_fill_translation(struct translation_caches *c,
					 const struct sim_vcpu *v,
					 const struct walk_translation *t,
					 u64 addr, u32 cls, bool fetch);

/* A CR3 write (@global false) or a flush of everything: TLBs and PSC. */
void translation_caches_flush(struct translation_caches *c, bool global);
/*
 * The current PCID (CR3[11:0] under CR4.PCIDE, else 0): lookups and fills
 * of the TLB and the PSC are for it.  The nested TLB has no PCIDs.
 */
void translation_caches_set_pcid(struct translation_caches *c, u16 pcid,
				 bool pcide);
/* The non-global TLB entries and the PSC entries of PCID @pcid. */
void translation_caches_flush_pcid(struct translation_caches *c, u16 pcid);
/* INVPCID type 0: those of them that translate @addr, and the PSC's. */
void translation_caches_invpcid_addr(struct translation_caches *c, u64 addr,
				     u16 pcid);
/*
 * INVLPG: the TLB entries of @addr (the current PCID's and global ones),
 * and the current PCID's PSC entries.
 */
void translation_caches_invlpg(struct translation_caches *c, u64 addr);
/* A fault: the TLB entries of @addr. */
void translation_caches_flush_addr(struct translation_caches *c, u64 addr);
/* The nested TLB and nested PSC (INVEPT, a new nested stage). */
void translation_caches_flush_nested(struct translation_caches *c);

#endif
