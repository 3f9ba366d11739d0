/* TLB, PSC and nested-TLB policy: what is cached of a walk, and when. */
#include <string.h>

#include "sim/caches.h"

/* CR4.PGE: global pages survive CR3 writes. */
#define X86_CR4_PGE BIT_ULL(7)

static unsigned int table_bits(const struct cpu_role *role)
{
	return pt_level_bits(pt_has_4_byte_entries(role->ept, role->level));
}

/* Page shift of a leaf at @level of a walk with @role. */
static unsigned int level_shift(const struct cpu_role *role, int level)
{
	return __pt_level_shift(level, table_bits(role));
}

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

int translation_caches_init(struct translation_caches *c,
			    const struct translation_caches_config *cfg)
{
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
	for (i = 0; !c->split_l1 && i < CACHES_L1_ARRAYS; i++)
		c->hints_share_lru_sets |=
			c->l1d[i].nr_sets &&
			(c->l1d[i].policy == TLB_POLICY_LRU ||
			 c->l1d[i].policy == TLB_POLICY_PLRU);
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

static void psc_flush(struct translation_caches *c)
{
	int level;

	c->psc_looked = false;
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
	c->psc_looked = false;
	tlb_arrays(c, tlbs);
	for (i = 0; i < CACHES_NR_TLBS; i++)
		tlb_set_pcid(tlbs[i], pcid, pcide);
	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		tlb_set_pcid(&c->psc[level], pcid, pcide);
}

static void psc_flush_pcid(struct translation_caches *c, u16 pcid)
{
	int level;

	c->psc_looked = false;
	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		tlb_flush_pcid(&c->psc[level], pcid);
}

void translation_caches_flush_pcid(struct translation_caches *c, u16 pcid)
{
	struct tlb *tlbs[CACHES_NR_TLBS];
	int i;

	caches_drop_hints(c);
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

/* The ACC_* rights of entries of @w's format, ANDed, NX ORed. */
static unsigned int path_access(const struct kvm_pagewalk *w,
				const struct walk_path *path)
{
	bool ept = w->role.ept;
	bool nx = !ept && w->role.level != PT32_ROOT_LEVEL;
	unsigned int access = ACC_ALL;
	int i;

	for (i = 0; i < path->nr_entries; i++) {
		u64 pte = path->entries[i].after;
		unsigned int a = 0;

		if (ept) {
			a |= (pte & EPT_READABLE_MASK) ? ACC_READ_MASK : 0;
			a |= (pte & EPT_WRITABLE_MASK) ? ACC_WRITE_MASK : 0;
			a |= (pte & EPT_EXECUTABLE_MASK) ? ACC_EXEC_MASK : 0;
			a |= (pte & EPT_USER_EXECUTABLE_MASK) ?
				     ACC_USER_EXEC_MASK :
				     0;
		} else {
			a = pte &
			    (PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK);
			if (!nx || !(pte & PT64_NX_MASK))
				a |= ACC_EXEC_MASK;
		}
		access &= a;
	}
	return access;
}

/* The nested rights of the final translation, a clean leaf not writable. */
static unsigned int nested_final_access(const struct kvm_pagewalk *nested,
					const struct walk_path *final)
{
	unsigned int access = path_access(nested, final);
	bool has_ad = !(nested->role.ept && nested->role.ept_ad_disabled);
	u64 dirty = nested->role.ept ? EPT_DIRTY_MASK : PT_DIRTY_MASK;

	if (final->nr_entries && has_ad &&
	    !(final->entries[final->nr_entries - 1].after & dirty))
		access &= ~ACC_WRITE_MASK;
	return access;
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
	c->psc_looked = false;
	if (c->l1d[CACHES_L1_MAIN].shift[2] != (pt32 ? 22 : 21)) {
		caches_drop_hints(c);
		for (i = 0; i < CACHES_L1_ARRAYS; i++) {
			tlb_set_shifts(&c->l1d[i], pt32);
			tlb_set_shifts(&c->l1i[i], pt32);
		}
		tlb_set_shifts(&c->stlb, pt32);
	}
	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		c->psc[level].shift[1] = level_shift(&w->role, level);
	if (w->nested) {
		tlb_set_shifts(&c->ntlb,
			       !w->nested->role.ept && w->nested->role.level ==
							       PT32_ROOT_LEVEL);
		for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
			c->npsc[level].shift[1] =
				level_shift(&w->nested->role, level);
	}
}

/* tlb_probe() of PSC level @level for @addr, through its hint. */
static struct tlb_entry *psc_probe(struct translation_caches *c, int level,
				   u64 addr)
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
 * tlb_probe() of PSC level @level for @addr, its hit the level's hint:
 * for the lookup before a walk, whose lowest levels change more often
 * than their hints would hit.
 */
static struct tlb_entry *psc_probe_set(struct translation_caches *c, int level,
				       u64 addr)
{
	struct tlb_entry *e = tlb_probe(&c->psc[level], addr, 1);

	if (e)
		c->psc_hint[level] = e;
	return e;
}

int translation_caches_psc_lookup(struct translation_caches *c,
				  const struct sim_vcpu *v, u64 addr)
{
	const struct cpu_role *role = &v->gva_walk.role;
	int level, found = 0;

	c->psc_looked = false;
	if (role->level < PT32_ROOT_LEVEL || !c->has_psc)
		return -1;
	for (level = 2; level <= role->level; level++) {
		if (level == PT32E_ROOT_LEVEL &&
		    role->level == PT32E_ROOT_LEVEL)
			break;
		if (c->psc[level].nr_sets && psc_probe_set(c, level, addr)) {
			found = level;
			break;
		}
	}
	c->psc_looked = true;
	c->psc_found = found;
	c->psc_looked_addr = addr;
	return found;
}

static bool is_pdptr_entry(const struct cpu_role *role,
			   const struct walk_entry *e)
{
	return role->level == PT32E_ROOT_LEVEL && e->level == PT32E_ROOT_LEVEL;
}

static int path_leaf_level(const struct walk_path *path)
{
	return path->nr_entries ? path->entries[path->nr_entries - 1].level :
				  PG_LEVEL_4K;
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
static void psc_fill_level(struct translation_caches *c, int level, u64 addr,
			   bool known_miss)
{
	struct tlb *t = &c->psc[level];

	if (!t->nr_sets || (!known_miss && psc_probe(c, level, addr)))
		return;
	c->psc_hint[level] = tlb_fill(t, addr, 1, false);
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
 * A nested translation of the walk: a nested-TLB hit saves its refs, a
 * nested-PSC hit at level L those of the entries of levels L and above;
 * a successful translation fills both.  Returns the refs saved.
 */
static unsigned int
nested_translation(struct translation_caches *c,
		   const struct kvm_pagewalk *nested, u64 ngpa, u64 gpa,
		   const struct walk_path *nwalk, bool ok,
		   struct translation_caches_walk_cost *cost)
{
	unsigned int saved = 0;
	struct tlb_entry *e;
	int i, level;

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
			for (i = 0; i < nwalk->nr_entries; i++)
				saved += nwalk->entries[i].level >= level;
			if (saved > nwalk->refs)
				saved = nwalk->refs;
		}
	}
	if (!ok)
		return saved;
	for (i = 0; c->has_npsc && i < nwalk->nr_entries - 1; i++)
		if (nwalk->entries[i].level >= 2)
			psc_fill(&c->npsc[nwalk->entries[i].level], ngpa);
	if (!c->ntlb.nr_sets)
		return saved;
	level = path_leaf_level(nwalk);
	if (level > TLB_MAX_LEVEL)
		level = TLB_MAX_LEVEL;
	e = tlb_fill(&c->ntlb, ngpa, level, false);
	e->gpa = gpa & ~((1ULL << c->ntlb.shift[level]) - 1);
	e->hpa = INVALID_HPA;
	return saved;
}

/*
 * The guest references a PSC hit at @psc_level saved a 1D walk: the
 * entries of that level and above that the walk read (a failed walk's
 * last entry only when memory backs it), PDPTRs aside.
 */
static unsigned int psc_skipped_1d(const struct sim_vcpu *v,
				   const struct walk_record *rec, int psc_level,
				   bool ok)
{
	bool pae = v->gva_walk.role.level == PT32E_ROOT_LEVEL;
	int i, n = rec->guest.nr_entries;
	unsigned int skipped = 0;

	if (psc_level <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		const struct walk_entry *e = &rec->guest.entries[i];

		if (e->level < psc_level ||
		    (pae && e->level == PT32E_ROOT_LEVEL))
			continue;
		skipped += i < n - 1 || ok ||
			   guest_memory_is_backed(&v->mem, e->pte_gpa);
	}
	return skipped;
}

void translation_caches_walk(struct translation_caches *c,
			     const struct sim_vcpu *v,
			     const struct walk_record *rec, int psc_level,
			     bool ok, struct translation_caches_walk_cost *cost)
{
	const struct kvm_pagewalk *w = &v->gva_walk;
	int i;

	memset(cost, 0, sizeof(*cost));
	if (!rec->two_dimensional) {
		cost->skipped_guest = psc_skipped_1d(v, rec, psc_level, ok);
		return;
	}
	for (i = 0; i < rec->guest.nr_entries; i++) {
		const struct walk_entry *e = &rec->guest.entries[i];
		bool read = i < rec->guest.nr_entries - 1 || ok ||
			    guest_memory_is_backed(&v->mem, e->pte_gpa);

		if (is_pdptr_entry(&w->role, e))
			continue;
		if (psc_level > 0 && e->level >= psc_level) {
			cost->skipped_guest += read;
			if (rec->two_dimensional)
				cost->skipped_nested +=
					rec->table_walks[i].refs;
			continue;
		}
		if (rec->two_dimensional)
			cost->skipped_nested += nested_translation(
				c, w->nested, e->pte_addr, e->pte_gpa,
				&rec->table_walks[i], read, cost);
	}
	if (rec->two_dimensional && (ok || rec->final_walk.nr_entries))
		cost->skipped_nested +=
			nested_translation(c, w->nested, rec->ngpa, rec->gpa,
					   &rec->final_walk, ok, cost);
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
 * page of @addr of size @level whose GPA is @gpa (and HPA @hpa, for a 4K
 * page, else INVALID_HPA).  Returns the entry, NULL if @l has none.
 */
static struct tlb_entry *fill_level(struct tlb_level l, u64 addr, int level,
				    const struct tlb_entry *tmpl, u64 gpa,
				    u64 hpa)
{
	struct tlb *t = pick_array(l, &level);
	struct tlb_entry *e;

	if (!t)
		return NULL;
	e = tlb_fill(t, addr, level, tmpl->global);
	e->gpa = gpa & ~((1ULL << t->shift[level]) - 1);
	e->hpa = level == 1 && hpa != INVALID_HPA ? hpa & ~PAGE_OFFSET_MASK :
						    INVALID_HPA;
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
			e->gpa | offset, e->level == 1 ? e->hpa : INVALID_HPA);
	/* Without a first level, the STLB's own entry is the translation. */
	return l1 ? l1 : e;
}

void translation_caches_fill(struct translation_caches *c,
			     const struct sim_vcpu *v,
			     const struct walk_record *rec, u64 addr, u32 cls,
			     bool fetch)
{
	const struct kvm_pagewalk *w = &v->gva_walk;
	unsigned int shift = 64, nshift;
	const struct walk_entry *leaf = NULL;
	struct tlb_level stlb = { &c->stlb, 1 };
	struct tlb_entry tmpl;
	int i, level, found;

	caches_drop_hints(c);
	/*
	 * The PSC lookup before the walk missed below the level it found
	 * and used the entry there: those levels need no probe.
	 */
	found = c->psc_looked && c->psc_looked_addr == addr ? c->psc_found : -1;
	c->psc_looked = false;
	for (i = 0; i < rec->guest.nr_entries; i++) {
		const struct walk_entry *g = &rec->guest.entries[i];

		if (i == rec->guest.nr_entries - 1) {
			leaf = g;
			break;
		}
		if (g->level >= 2 && g->level != found &&
		    !is_pdptr_entry(&w->role, g))
			psc_fill_level(c, g->level, addr,
				       found == 0 || g->level < found);
	}

	if (w->role.level && rec->leaf_level)
		shift = level_shift(&w->role, rec->leaf_level);
	if (w->nested) {
		nshift = level_shift(&w->nested->role,
				     path_leaf_level(&rec->final_walk));
		if (nshift < shift)
			shift = nshift;
	}
	if (shift > 30)
		shift = 30;
	level = tlb_level_for_shift(&c->l1d[CACHES_L1_MAIN], shift);

	memset(&tmpl, 0, sizeof(tmpl));
	if (leaf && !w->role.ept && (v->cr4 & X86_CR4_PGE))
		tmpl.global = leaf->after & PT_GLOBAL_MASK;
	tmpl.pte_access = w->role.level ? rec->pte_access : ACC_ALL;
	if (leaf && w->role.level >= PT32E_ROOT_LEVEL)
		tmpl.pkey = (leaf->after & PT_PKEY_MASK) >> PT_PKEY_SHIFT;
	tmpl.nested_access =
		w->nested ? nested_final_access(w->nested, &rec->final_walk) :
			    ACC_ALL;
	/* PKRU may change under a TLB entry: no class is cached with PKE. */
	if (!w->role.cr4_pke)
		tmpl.allowed = BIT(cls);

	fill_level(stlb, addr, level, &tmpl, rec->gpa, rec->hpa);
	fill_level(first_level(c, fetch), addr, level, &tmpl, rec->gpa,
		   rec->hpa);
}
