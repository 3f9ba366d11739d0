/* TLB, PSC and nested-TLB policy: what is cached of a walk, and when. */
#include <string.h>

#include "sim/caches.h"
#include "sim/cache_model_walk.h"

static void geometry(struct cache_geometry *g, u32 entries, u8 sizes)
{
	g->entries = entries;
	g->ways = CACHES_DEFAULT_WAYS;
	g->policy = TLB_POLICY_ROUNDROBIN;
	g->sizes = sizes;
}

void translation_caches_config_init(struct translation_caches_config *cfg)
{
	int level;

	memset(cfg, 0, sizeof(*cfg));
	geometry(&cfg->l1d[CACHES_L1_MAIN], CACHES_DEFAULT_TLB_ENTRIES,
		 TLB_SIZES_ALL);
	geometry(&cfg->l1i[CACHES_L1_MAIN], 0, TLB_SIZES_ALL);
	geometry(&cfg->l1d[CACHES_L1_2M], 0, TLB_SIZE_2M);
	geometry(&cfg->l1i[CACHES_L1_2M], 0, TLB_SIZE_2M);
	geometry(&cfg->l1d[CACHES_L1_1G], 0, TLB_SIZE_1G);
	geometry(&cfg->l1i[CACHES_L1_1G], 0, TLB_SIZE_1G);
	geometry(&cfg->stlb, 0, TLB_SIZE_4K | TLB_SIZE_2M);
	/* A PSC entry has one size: the region of its level (shift[1]). */
	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++) {
		geometry(&cfg->psc[level], CACHES_DEFAULT_PSC_ENTRIES,
			 TLB_SIZE_4K);
		geometry(&cfg->npsc[level], 0, TLB_SIZE_4K);
	}
	geometry(&cfg->ntlb, CACHES_DEFAULT_NTLB_ENTRIES, TLB_SIZES_ALL);
	cfg->seed = CACHES_DEFAULT_SEED;
}

static int init_array(struct tlb *t, const struct cache_geometry *g, u64 seed)
{
	return tlb_init_policy(t, g->entries, g->ways, g->policy, g->sizes,
			       seed);
}

/* Every array of @c, for the loops that treat them alike. */
#define CACHES_NR_ARRAYS \
	(2 * CACHES_L1_ARRAYS + 2 + 2 * (PT64_ROOT_MAX_LEVEL + 1))

static unsigned int all_arrays(struct translation_caches *c,
			       struct tlb **arrays)
{
	unsigned int n = 0;
	int i;

	for (i = 0; i < CACHES_L1_ARRAYS; i++) {
		arrays[n++] = &c->l1d[i];
		arrays[n++] = &c->l1i[i];
	}
	arrays[n++] = &c->stlb;
	arrays[n++] = &c->ntlb;
	for (i = 2; i <= PT64_ROOT_MAX_LEVEL; i++) {
		arrays[n++] = &c->psc[i];
		arrays[n++] = &c->npsc[i];
	}
	return n;
}

/* A hit of @t may change its replacement state. */
static bool is_lru_array(const struct tlb *t)
{
	return t->nr_sets &&
	       (t->policy == TLB_POLICY_LRU || t->policy == TLB_POLICY_PLRU);
}

int translation_caches_init(struct translation_caches *c,
			    const struct translation_caches_config *cfg)
{
	bool psc_lru = false;
	int i, r = 0;

	memset(c, 0, sizeof(*c));
	for (i = 0; !r && i < CACHES_L1_ARRAYS; i++) {
		r = init_array(&c->l1d[i], &cfg->l1d[i], cfg->seed);
		if (!r)
			r = init_array(&c->l1i[i], &cfg->l1i[i], cfg->seed);
	}
	if (!r)
		r = init_array(&c->stlb, &cfg->stlb, cfg->seed);
	if (!r)
		r = init_array(&c->ntlb, &cfg->ntlb, cfg->seed);
	for (i = 2; !r && i <= PT64_ROOT_MAX_LEVEL; i++) {
		r = init_array(&c->psc[i], &cfg->psc[i], cfg->seed);
		if (!r)
			r = init_array(&c->npsc[i], &cfg->npsc[i], cfg->seed);
		c->has_psc |= c->psc[i].nr_sets != 0;
		psc_lru |= is_lru_array(&c->psc[i]);
		c->has_npsc |= c->npsc[i].nr_sets != 0;
	}
	if (r) {
		translation_caches_destroy(c);
		return r;
	}
	for (i = 0; i < CACHES_L1_ARRAYS; i++)
		c->split_l1 |= c->l1i[i].nr_sets != 0;
	for (i = CACHES_L1_2M; i < CACHES_L1_ARRAYS; i++)
		c->l1_size_arrays |= c->l1d[i].nr_sets || c->l1i[i].nr_sets;
	for (i = 0; i < CACHES_L1_ARRAYS; i++)
		c->l1_lru |= is_lru_array(&c->l1d[i]) ||
			     is_lru_array(&c->l1i[i]);
	for (i = 0; !c->split_l1 && i < CACHES_L1_ARRAYS; i++)
		c->hints_share_lru_sets |= is_lru_array(&c->l1d[i]);
	c->psc_hits_change_nothing = !psc_lru;
	caches_drop_hints(c);
	return 0;
}

void translation_caches_destroy(struct translation_caches *c)
{
	struct tlb *arrays[CACHES_NR_ARRAYS];
	unsigned int i, n = all_arrays(c, arrays);

	for (i = 0; i < n; i++)
		tlb_destroy(arrays[i]);
}

/*
 * The PSC, its PCID or its page shifts changed: what the lookup found
 * and what the last fill left held no longer hold.
 */
static void psc_changed(struct translation_caches *c)
{
	c->psc_looked = false;
	c->psc_upper_key = 0;
}

static void psc_flush(struct translation_caches *c)
{
	int level;

	psc_changed(c);
	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		tlb_flush(&c->psc[level], true);
}

/* The arrays that cache whole translations: both L1s and the STLB. */
#define CACHES_NR_TLBS (2 * CACHES_L1_ARRAYS + 1)

static void tlb_arrays(struct translation_caches *c, struct tlb **arrays)
{
	int i;

	for (i = 0; i < CACHES_L1_ARRAYS; i++) {
		arrays[2 * i] = &c->l1d[i];
		arrays[2 * i + 1] = &c->l1i[i];
	}
	arrays[2 * CACHES_L1_ARRAYS] = &c->stlb;
}

void translation_caches_flush(struct translation_caches *c, bool global)
{
	struct tlb *tlbs[CACHES_NR_TLBS];
	int i;

	caches_drop_hints(c);
	c->flushes++;
	tlb_arrays(c, tlbs);
	for (i = 0; i < CACHES_NR_TLBS; i++)
		tlb_flush(tlbs[i], global);
	psc_flush(c);
}

void translation_caches_set_pcid(struct translation_caches *c, u16 pcid,
				 bool pcide)
{
	struct tlb *tlbs[CACHES_NR_TLBS];
	int i, level;

	caches_drop_hints(c);
	c->flushes++;
	psc_changed(c);
	tlb_arrays(c, tlbs);
	for (i = 0; i < CACHES_NR_TLBS; i++)
		tlb_set_pcid(tlbs[i], pcid, pcide);
	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		tlb_set_pcid(&c->psc[level], pcid, pcide);
}

static void psc_flush_pcid(struct translation_caches *c, u16 pcid)
{
	int level;

	psc_changed(c);
	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		tlb_flush_pcid(&c->psc[level], pcid);
}

void translation_caches_flush_pcid(struct translation_caches *c, u16 pcid)
{
	struct tlb *tlbs[CACHES_NR_TLBS];
	int i;

	caches_drop_hints(c);
	c->flushes++;
	tlb_arrays(c, tlbs);
	for (i = 0; i < CACHES_NR_TLBS; i++)
		tlb_flush_pcid(tlbs[i], pcid);
	psc_flush_pcid(c, pcid);
}

void translation_caches_invpcid_addr(struct translation_caches *c, u64 addr,
				     u16 pcid)
{
	struct tlb *tlbs[CACHES_NR_TLBS];
	int i;

	caches_drop_hints(c);
	c->flushes++;
	tlb_arrays(c, tlbs);
	for (i = 0; i < CACHES_NR_TLBS; i++)
		tlb_flush_pcid_addr(tlbs[i], addr, pcid);
	psc_flush_pcid(c, pcid);
}

void translation_caches_flush_addr(struct translation_caches *c, u64 addr)
{
	struct tlb *tlbs[CACHES_NR_TLBS];
	int i;

	caches_drop_hints(c);
	tlb_arrays(c, tlbs);
	for (i = 0; i < CACHES_NR_TLBS; i++)
		tlb_flush_addr(tlbs[i], addr);
}

void translation_caches_invlpg(struct translation_caches *c, u64 addr)
{
	c->flushes++;
	translation_caches_flush_addr(c, addr);
	/* INVLPG drops every paging-structure-cache entry of the PCID. */
	psc_flush_pcid(c, (c->l1d[CACHES_L1_MAIN].pcid_tag >> TLB_LEVEL_BITS) &
				  TLB_PCID_MASK);
}

void translation_caches_flush_nested(struct translation_caches *c)
{
	int level;

	tlb_flush(&c->ntlb, true);
	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		tlb_flush(&c->npsc[level], true);
}

/* The TLB size of a page of 2^@shift bytes: the largest that fits in it. */
static int tlb_level_for_shift(const struct tlb *t, unsigned int shift)
{
	int level;

	for (level = TLB_MAX_LEVEL; level > 1; level--)
		if (t->shift[level] <= shift)
			return level;
	return 1;
}

/*
 * The TLB size of the leaf at @leaf_level of a successful walk of a 4- or
 * 5-level guest without a nested stage: tlb_level_for_shift() of the
 * page shift it maps, which is the leaf's level, as the levels of its
 * tables and the TLB's sizes both step by 9 bits from 4K.
 */
static inline int tlb_level_of_1d_leaf(const struct translation_caches *c,
				       const struct sim_vcpu *v, int leaf_level)
{
	MMU_WARN_ON(v->gva_walk.nested ||
		    v->gva_walk.role.level < PT64_ROOT_4LEVEL ||
		    tlb_level_for_shift(&c->l1d[CACHES_L1_MAIN],
					cache_walk_leaf_shift(v, leaf_level,
							      NULL)) !=
			    leaf_level);
	return leaf_level;
}

/* The TLB arrays of one level: the three of an L1, or the STLB. */
struct tlb_level {
	struct tlb *arrays;
	int nr;
};

static struct tlb_level first_level(struct translation_caches *c, bool fetch)
{
	struct tlb_level l = { fetch && c->split_l1 ? c->l1i : c->l1d,
			       CACHES_L1_ARRAYS };

	return l;
}

void translation_caches_set_shifts(struct translation_caches *c,
				   const struct sim_vcpu *v, u32 key)
{
	const struct kvm_pagewalk *w = &v->gva_walk;
	bool pt32 = w->role.level == PT32_ROOT_LEVEL;
	int i, level;

	c->shifts_key = key;
	psc_changed(c);
	if (c->l1d[CACHES_L1_MAIN].shift[2] != (pt32 ? 22 : 21)) {
		caches_drop_hints(c);
		c->flushes++;
		for (i = 0; i < CACHES_L1_ARRAYS; i++) {
			tlb_set_shifts(&c->l1d[i], pt32);
			tlb_set_shifts(&c->l1i[i], pt32);
		}
		tlb_set_shifts(&c->stlb, pt32);
	}
	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		c->psc[level].shift[1] =
			cache_walk_level_shift(&w->role, level);
	if (w->nested) {
		tlb_set_shifts(&c->ntlb,
			       !w->nested->role.ept && w->nested->role.level ==
							       PT32_ROOT_LEVEL);
		for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
			c->npsc[level].shift[1] =
				cache_walk_level_shift(&w->nested->role, level);
	}
}

/* tlb_probe() of PSC level @level for @addr, through its hint. */
static __attribute__((always_inline)) inline struct tlb_entry *
psc_probe(struct translation_caches *c, int level, u64 addr)
{
	struct tlb *t = &c->psc[level];
	struct tlb_entry *e = c->psc_hint[level];

	if (e && e->tag == tlb_tag(t, addr, 1) && tlb_entry_valid(t, e)) {
		tlb_use(t, e);
		return e;
	}
	e = tlb_probe(t, addr, 1);
	if (e)
		c->psc_hint[level] = e;
	return e;
}

/*
 * Cache the paging-structure entry of @addr in @t, a PSC array: its tag
 * is all it holds.  tlb_fill() takes the way that has the tag before any
 * other, so a set holds a tag at most once, and filling a valid entry
 * rewrites it as it is and uses it: only the use is left to make.
 */
static void psc_fill(struct tlb *t, u64 addr)
{
	if (t->nr_sets && !tlb_probe(t, addr, 1))
		tlb_fill(t, addr, 1, false);
}

/*
 * Cache the entry of level @level of @addr's walk in the PSC, probing
 * first unless the probe is @known_miss; as psc_fill(), with the hint.
 */
static __attribute__((always_inline)) inline void
psc_fill_level(struct translation_caches *c, int level, u64 addr,
	       bool known_miss)
{
	struct tlb *t = &c->psc[level];

	if (!t->nr_sets || (!known_miss && psc_probe(c, level, addr)))
		return;
	c->psc_hint[level] = tlb_fill(t, addr, 1, false);
}

/*
 * The key of what a fill leaves the PSC levels above a lookup's hit at
 * @found holding, for a walk whose leaf is at @leaf, no lower than
 * @found - 1 (not 0: @found is a PSC level, 2 or more).
 */
static inline u32 psc_upper_key(int found, int leaf)
{
	static_assert(PT64_ROOT_MAX_LEVEL < BIT(8), "a level fits a byte");
	return (u32)found | (u32)leaf << 8;
}

/*
 * Would the fill of the successful walk of @addr, leaf at @leaf, after
 * a lookup that found @found (as psc_fill_walk() takes it) probe only
 * PSC levels the last fill left holding @addr's entries, and change
 * nothing?  A successful walk, PAE's aside, reads one entry a level from
 * the root down, and the root's level is the mode's, whose change clears
 * the key: so @found and @leaf say which levels the fill probes (PAE
 * never sets the key).  @found -1 or 0 matches no key.
 */
static inline bool psc_upper_held(const struct translation_caches *c, int found,
				  int leaf, u64 addr)
{
	return c->psc_upper_key == psc_upper_key(found, leaf) &&
	       addr >> c->psc_upper_shift == c->psc_upper_region;
}

/*
 * Cache in the PSC the paging-structure entries of levels @leaf + 1 to
 * @top of @addr's successful walk, which read one entry a level from
 * the root's, of level @top, down to the leaf's, of level @leaf, given
 * what the lookup before the walk found (@found, as
 * translation_caches_psc_lookup() returns, or -1 when it looked up no
 * PSC for @addr): it used the entry of level @found and missed below
 * it, so those levels need no probe.
 */
static __attribute__((always_inline)) inline void
psc_fill_levels(struct translation_caches *c, int top, int leaf, u64 addr,
		int found)
{
	int level, from;

	MMU_WARN_ON(leaf >= top);
	/* These fills may drop an entry the last fill left held. */
	if (found <= 0 || found > leaf + 1)
		c->psc_upper_key = 0;
	if (found <= 0) {
		for (level = leaf + 1; level <= top; level++)
			psc_fill_level(c, level, addr, found == 0);
		return;
	}
	for (level = leaf + 1; level < found; level++)
		psc_fill_level(c, level, addr, true);
	from = (found < leaf ? leaf : found) + 1;
	if (from > top)
		return;
	for (level = from; level <= top; level++)
		psc_fill_level(c, level, addr, false);
	/* A key says the fill has no level below @found to fill. */
	if (c->psc_hits_change_nothing && found <= leaf + 1) {
		c->psc_upper_key = psc_upper_key(found, leaf);
		c->psc_upper_shift = c->psc[from].shift[1];
		c->psc_upper_region = addr >> c->psc_upper_shift;
	}
}

/*
 * Cache in the PSC the paging-structure entries of the successful walk
 * @path of @addr, all but its leaf, given what the lookup before the
 * walk found (@found, as psc_fill_levels() takes it).
 */
static void psc_fill_walk(struct translation_caches *c,
			  const struct cpu_role *role,
			  const struct walk_path *path, u64 addr, int found)
{
	int i, n = path->nr_entries, leaf, top;

	if (n < 2)
		return;
	top = path->entries[0].level;
	leaf = path->entries[n - 1].level;
	/*
	 * A successful walk read one entry a level from the root down:
	 * its paging-structure entries are those of levels leaf + 1 to
	 * the root's, no level asked twice.  PAE's PDPTR, which no PSC
	 * caches, takes the loop over the entries.
	 */
	if (likely(role->level != PT32E_ROOT_LEVEL &&
		   cache_walk_levels_read(top, leaf) == n)) {
		MMU_WARN_ON(top != role->level);
		psc_fill_levels(c, top, leaf, addr, found);
		return;
	}
	c->psc_upper_key = 0;
	for (i = 0; i < n - 1; i++) {
		const struct walk_entry *g = &path->entries[i];

		if (g->level >= 2 && g->level != found &&
		    !cache_walk_is_pdptr_entry(role, g))
			psc_fill_level(c, g->level, addr,
				       found == 0 || g->level < found);
	}
}

/* The lowest level whose nested PSC holds @ngpa's entry, 0 for none. */
static int npsc_lookup(struct translation_caches *c,
		       const struct kvm_pagewalk *nested, u64 ngpa)
{
	int level;

	for (level = 2; level <= nested->role.level; level++)
		if (c->npsc[level].nr_sets &&
		    tlb_probe(&c->npsc[level], ngpa, 1))
			return level;
	return 0;
}

/*
 * A nested translation of the walk (cache_walk_nested_fn, which never
 * fails): a nested-TLB hit saves its refs, a nested-PSC hit at level L
 * those of the entries of levels L and above; a successful translation
 * fills both.  Returns the refs saved.
 */
static unsigned int
nested_translation(void *model, const struct kvm_pagewalk *nested, u64 ngpa,
		   u64 gpa, const struct walk_path *nwalk, bool ok,
		   struct translation_caches_walk_cost *cost, int *err)
{
	struct translation_caches *c = model;
	unsigned int saved = 0;
	struct tlb_entry *e;
	int i, level;

	(void)err;

	if (c->ntlb.nr_sets) {
		cost->ntlb_lookups++;
		if (tlb_lookup(&c->ntlb, ngpa)) {
			cost->ntlb_hits++;
			return nwalk->refs;
		}
	}
	if (c->has_npsc) {
		cost->npsc_lookups++;
		level = npsc_lookup(c, nested, ngpa);
		if (level) {
			cost->npsc_hits++;
			saved = cache_walk_npsc_saved(nwalk, level);
		}
	}
	if (!ok)
		return saved;
	for (i = 0; c->has_npsc && i < nwalk->nr_entries - 1; i++)
		if (nwalk->entries[i].level >= 2)
			psc_fill(&c->npsc[nwalk->entries[i].level], ngpa);
	if (!c->ntlb.nr_sets)
		return saved;
	level = cache_walk_leaf_level(nwalk);
	if (level > TLB_MAX_LEVEL)
		level = TLB_MAX_LEVEL;
	e = tlb_fill(&c->ntlb, ngpa, level, false);
	e->gpa = gpa & ~((1ULL << c->ntlb.shift[level]) - 1);
	return saved;
}

void translation_caches_walk(struct translation_caches *c,
			     const struct sim_vcpu *v,
			     const struct walk_record *rec, int psc_level,
			     bool ok, struct translation_caches_walk_cost *cost)
{
	cache_walk_cost(v, rec, psc_level, ok, nested_translation, c, cost);
}

/*
 * The array of @l that takes a page of size *@level: the first that
 * holds that size, else (splintering it) the first that holds the next
 * smaller one, *@level set to the size it takes.  NULL when no array of
 * @l has entries.
 */
static struct tlb *pick_array(struct tlb_level l, int *level)
{
	int size, i;

	for (size = *level; size >= 1; size--) {
		for (i = 0; i < l.nr; i++) {
			if (l.arrays[i].nr_sets &&
			    (l.arrays[i].sizes & BIT(size))) {
				*level = size;
				return &l.arrays[i];
			}
		}
	}
	return NULL;
}

/*
 * Cache in @l the translation @tmpl (rights, keys, class masks) of the
 * page of @addr of size @level whose GPA is @gpa.  @missed is the array, if any, whose probe for
 * @addr's 4K page missed since the last change of an entry (struct
 * translation_caches).  Returns the entry, NULL if @l has none.
 */
static __attribute__((always_inline)) inline struct tlb_entry *
fill_level(struct tlb_level l, u64 addr, int level,
	   const struct tlb_entry *tmpl, u64 gpa, const struct tlb *missed)
{
	struct tlb *t = pick_array(l, &level);
	struct tlb_entry *e;

	if (!t)
		return NULL;
	/* A global entry's tag under CR4.PCIDE is not the one probed. */
	if (t == missed && level == 1 &&
	    (!tmpl->global || t->global_tag == t->pcid_tag))
		e = tlb_fill_absent(t, addr, level, tmpl->global);
	else
		e = tlb_fill(t, addr, level, tmpl->global);
	e->gpa = gpa & ~((1ULL << t->shift[level]) - 1);
	e->pte_access = tmpl->pte_access;
	e->nested_access = tmpl->nested_access;
	e->pkey = tmpl->pkey;
	e->allowed = tmpl->allowed;
	e->denied = tmpl->denied;
	return e;
}

struct tlb_entry *translation_caches_stlb_refill(struct translation_caches *c,
						 u64 addr, bool fetch)
{
	struct tlb_entry *e = tlb_lookup(&c->stlb, addr), *l1;
	u64 offset;

	if (!e)
		return NULL;
	caches_drop_hints(c);
	offset = addr & ((1ULL << c->stlb.shift[e->level]) - 1);
	l1 = fill_level(first_level(c, fetch), addr, e->level, e,
			e->gpa | offset, NULL);
	/* Without a first level, the STLB's own entry is the translation. */
	return l1 ? l1 : e;
}

/*
 * The start of a fill of @addr: the array whose probe for @addr's page
 * missed, if any (struct translation_caches), into *@missed, and the
 * hints dropped.  Returns what the PSC lookup before the walk found,
 * as psc_fill_levels() takes it.
 */
static __attribute__((always_inline)) inline int
fill_start(struct translation_caches *c, u64 addr, const struct tlb **missed)
{
	int found;

	*missed = c->missed_page == addr >> PAGE_SHIFT ? c->missed : NULL;
	caches_drop_hints(c);
	/*
	 * The PSC lookup before the walk missed below the level it found
	 * and used the entry there: those levels need no probe.
	 */
	found = c->psc_looked && c->psc_looked_addr == addr ? c->psc_found : -1;
	c->psc_looked = false;
	return found;
}

/*
 * The end of a fill of @addr: the translation @tmpl of its page of TLB
 * size @level (tlb_level_for_shift() of its shift), whose GPA is @gpa,
 * in the STLB and the first level (@missed as fill_start() gave it).
 */
static __attribute__((always_inline)) inline void
fill_tlbs(struct translation_caches *c, u64 addr, int level,
	  const struct tlb_entry *tmpl, u64 gpa, bool fetch,
	  const struct tlb *missed)
{
	struct tlb_level stlb = { &c->stlb, 1 }, l1;

	if (translation_caches_has_stlb(c))
		fill_level(stlb, addr, level, tmpl, gpa, NULL);
	l1 = first_level(c, fetch);
	/* Without 2M or 1G arrays, pick_array() has one array to look at. */
	if (likely(!c->l1_size_arrays))
		l1.nr = 1;
	fill_level(l1, addr, level, tmpl, gpa, missed);
}

void translation_caches_fill(struct translation_caches *c,
			     const struct sim_vcpu *v,
			     const struct walk_record *rec, u64 addr, u32 cls,
			     bool fetch)
{
	const struct tlb *missed;
	struct tlb_entry tmpl;
	int found = fill_start(c, addr, &missed), level;

	if (c->has_psc && !psc_upper_held(c, found, rec->leaf_level, addr))
		psc_fill_walk(c, &v->gva_walk.role, &rec->guest, addr, found);
	level = tlb_level_for_shift(&c->l1d[CACHES_L1_MAIN],
				    cache_walk_entry(v, rec, cls, &tmpl));
	fill_tlbs(c, addr, level, &tmpl, rec->gpa, fetch, missed);
}

void translation_caches_fill_translation(struct translation_caches *c,
					 const struct sim_vcpu *v,
					 const struct walk_translation *t,
					 u64 addr, u32 cls, bool fetch)
{
	const struct kvm_pagewalk *w = &v->gva_walk;
	const struct tlb *missed;
	struct tlb_entry tmpl;
	int found = fill_start(c, addr, &missed);

	MMU_WARN_ON(w->nested || w->role.level < PT64_ROOT_4LEVEL);
	if (c->has_psc && !psc_upper_held(c, found, t->leaf_level, addr))
		psc_fill_levels(c, w->role.level, t->leaf_level, addr, found);
	cache_walk_leaf_rights(v, t->leaf_pte, t->pte_access, NULL, cls, &tmpl);
	fill_tlbs(c, addr, tlb_level_of_1d_leaf(c, v, t->leaf_level), &tmpl,
		  t->gpa, fetch, missed);
}
