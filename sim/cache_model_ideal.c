/*
 * The "ideal" cache model: an unbounded, fully associative first-level
 * TLB for every access and page size, and unbounded PSC, nested TLB and
 * nested PSC.  Nothing is ever evicted: an entry goes only when the
 * hierarchy's flush rules drop it (a CR3 write, INVLPG, INVPCID, a flush,
 * INVEPT), so its misses are the compulsory ones and those that follow
 * invalidations, a bound for a configured hierarchy.
 *
 * Each array is a hash table of struct tlb_entry by the tag tlb.h makes
 * (page number, PCID, size), open addressing with linear probing; a
 * flush is a generation increment as in struct tlb, and an entry dropped
 * by address or PCID keeps its slot with generation 0, so a table holds
 * at most one slot per tag it was ever filled with: its memory is bounded
 * by the distinct pages (and PCIDs) of the trace, and by --max-memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cache_model.h"
#include "sim/cache_model_walk.h"
#include "sim/memory_limit.h"

/* Slots of a new table; a table grows (doubles) past half full. */
#define IDEAL_INITIAL_SLOTS 256

/*
 * One unbounded array.  @shape has no entries (nr_sets 0): it keeps the
 * page shifts, the PCID tags and the generations of struct tlb, so that
 * tags and validity are tlb.h's.
 */
struct ideal_array {
	struct tlb shape;
	struct tlb_entry *slots;
	u32 mask;
	u32 used;
};

struct ideal_caches {
	struct ideal_array tlb;
	struct ideal_array psc[PT64_ROOT_MAX_LEVEL + 1];
	struct ideal_array ntlb;
	struct ideal_array npsc[PT64_ROOT_MAX_LEVEL + 1];
	/* Bytes of every table, at most sim_max_memory(). */
	u64 bytes;
};

static struct ideal_caches *ideal(const struct cache_model *m)
{
	return m->priv;
}

/* The slot that holds @tag, or the empty one where it would go. */
static struct tlb_entry *slot_of(const struct ideal_array *a, u64 tag)
{
	u32 i = hash_64(tag, __builtin_ctzll((u64)a->mask + 1));

	while (a->slots[i].tag && a->slots[i].tag != tag)
		i = (i + 1) & a->mask;
	return &a->slots[i];
}

static int array_alloc(struct ideal_caches *c, struct ideal_array *a,
		       u32 nr_slots)
{
	u64 bytes = (u64)nr_slots * sizeof(*a->slots);

	if (c->bytes + bytes > sim_max_memory())
		return -EDQUOT;
	a->slots = calloc(nr_slots, sizeof(*a->slots));
	if (!a->slots)
		return -ENOMEM;
	c->bytes += bytes;
	a->mask = nr_slots - 1;
	a->used = 0;
	return 0;
}

static int array_init(struct ideal_caches *c, struct ideal_array *a)
{
	/* No entries: the shifts and PCID tags only. */
	tlb_init_policy(&a->shape, 0, 1, TLB_POLICY_ROUNDROBIN, TLB_SIZES_ALL,
			0);
	a->shape.gen = 1;
	a->shape.global_gen = 1;
	return array_alloc(c, a, IDEAL_INITIAL_SLOTS);
}

static void array_destroy(struct ideal_array *a)
{
	free(a->slots);
	a->slots = NULL;
}

/* Twice the slots, every tag moved over (entries move: no pointer kept). */
static int array_grow(struct ideal_caches *c, struct ideal_array *a)
{
	struct ideal_array old = *a;
	u32 i;
	int r;

	if (old.mask >= (UINT32_MAX >> 1))
		return -ENOMEM;
	r = array_alloc(c, a, (old.mask + 1) * 2);
	if (r) {
		*a = old;
		return r;
	}
	for (i = 0; i <= old.mask; i++) {
		if (!old.slots[i].tag)
			continue;
		*slot_of(a, old.slots[i].tag) = old.slots[i];
		a->used++;
	}
	free(old.slots);
	c->bytes -= (u64)(old.mask + 1) * sizeof(*old.slots);
	return 0;
}

static struct tlb_entry *probe_tag(struct ideal_array *a, u64 addr, int level,
				   u64 pcid_tag)
{
	u64 tag = tlb_tag_for(&a->shape, addr, level, pcid_tag);
	struct tlb_entry *e = slot_of(a, tag);

	return e->tag == tag && tlb_entry_valid(&a->shape, e) ? e : NULL;
}

/* As tlb_lookup(): every size under the current PCID, then global ones. */
static struct tlb_entry *array_lookup(struct ideal_array *a, u64 addr)
{
	struct tlb_entry *e;
	int level;

	for (level = 1; level <= TLB_MAX_LEVEL; level++) {
		e = probe_tag(a, addr, level, a->shape.pcid_tag);
		if (e)
			return e;
	}
	if (a->shape.global_tag == a->shape.pcid_tag)
		return NULL;
	for (level = 1; level <= TLB_MAX_LEVEL; level++) {
		e = probe_tag(a, addr, level, a->shape.global_tag);
		if (e)
			return e;
	}
	return NULL;
}

/*
 * As tlb_fill(): the entry of @addr at size @level, cleared but for tag,
 * size, generation and global flag; NULL with *@err set when the table
 * cannot grow.
 */
static struct tlb_entry *array_fill(struct ideal_caches *c,
				    struct ideal_array *a, u64 addr, int level,
				    bool global, int *err)
{
	u64 tag = tlb_tag_for(&a->shape, addr, level,
			      global ? a->shape.global_tag : a->shape.pcid_tag);
	struct tlb_entry *e = slot_of(a, tag);

	if (!e->tag && 2 * (a->used + 1) > a->mask + 1) {
		*err = array_grow(c, a);
		if (*err)
			return NULL;
		e = slot_of(a, tag);
	}
	if (!e->tag)
		a->used++;
	memset(e, 0, sizeof(*e));
	e->tag = tag;
	e->level = level;
	e->global = global;
	e->gen = global ? a->shape.global_gen : a->shape.gen;
	return e;
}

/* A PSC entry: its tag is all it holds (size 1 at the level's shift). */
static int psc_fill(struct ideal_caches *c, struct ideal_array *a, u64 addr)
{
	int err = 0;

	array_fill(c, a, addr, 1, false, &err);
	return err;
}

/* As tlb_flush(): a generation increment; a wrap starts over. */
static void array_flush(struct ideal_array *a, bool global)
{
	if (++a->shape.gen == 0 || (global && ++a->shape.global_gen == 0)) {
		memset(a->slots, 0, ((size_t)a->mask + 1) * sizeof(*a->slots));
		a->used = 0;
		a->shape.gen = 1;
		a->shape.global_gen = 1;
	}
}

/* Generation 0 is never valid: the slot stays for its tag. */
static void drop_addr_tag(struct ideal_array *a, u64 addr, u64 pcid_tag,
			  bool global)
{
	int level;

	for (level = 1; level <= TLB_MAX_LEVEL; level++) {
		u64 tag = tlb_tag_for(&a->shape, addr, level, pcid_tag);
		struct tlb_entry *e = slot_of(a, tag);

		if (e->tag == tag && (global || !e->global))
			e->gen = 0;
	}
}

/* As tlb_flush_pcid(): every non-global entry of PCID @pcid. */
static void array_flush_pcid(struct ideal_array *a, u16 pcid)
{
	u64 mask =
		GENMASK_ULL(TLB_PCID_BITS + TLB_LEVEL_BITS - 1, TLB_LEVEL_BITS);
	u64 pcid_tag = (u64)pcid << TLB_LEVEL_BITS;
	u32 i;

	for (i = 0; i <= a->mask; i++) {
		struct tlb_entry *e = &a->slots[i];

		if (e->tag && (e->tag & mask) == pcid_tag && !e->global)
			e->gen = 0;
	}
}

static void psc_flush_pcid(struct ideal_caches *c, u16 pcid)
{
	int level;

	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		array_flush_pcid(&c->psc[level], pcid);
}

static void ideal_destroy(struct cache_model *m)
{
	struct ideal_caches *c = ideal(m);
	int level;

	if (!c)
		return;
	array_destroy(&c->tlb);
	array_destroy(&c->ntlb);
	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++) {
		array_destroy(&c->psc[level]);
		array_destroy(&c->npsc[level]);
	}
	free(c);
	m->priv = NULL;
}

static int ideal_init(struct cache_model *m,
		      const struct translation_caches_config *cfg)
{
	struct ideal_caches *c = calloc(1, sizeof(*c));
	int level, r;

	(void)cfg;
	if (!c)
		return -ENOMEM;
	m->priv = c;
	r = array_init(c, &c->tlb) ?: array_init(c, &c->ntlb);
	for (level = 2; !r && level <= PT64_ROOT_MAX_LEVEL; level++)
		r = array_init(c, &c->psc[level]) ?:
			    array_init(c, &c->npsc[level]);
	if (r)
		ideal_destroy(m);
	return r;
}

static struct tlb_entry *ideal_lookup(struct cache_model *m, u64 addr,
				      bool fetch)
{
	(void)fetch;
	return array_lookup(&ideal(m)->tlb, addr);
}

static bool ideal_split_l1(const struct cache_model *m)
{
	(void)m;
	return false;
}

static bool ideal_has_stlb(const struct cache_model *m)
{
	(void)m;
	return false;
}

static struct tlb_entry *ideal_stlb_refill(struct cache_model *m, u64 addr,
					   bool fetch)
{
	(void)m;
	(void)addr;
	(void)fetch;
	return NULL;
}

static void ideal_update_shifts(struct cache_model *m, const struct sim_vcpu *v)
{
	struct ideal_caches *c = ideal(m);
	const struct kvm_pagewalk *w = &v->gva_walk;
	int level;

	tlb_set_shifts(&c->tlb.shape, w->role.level == PT32_ROOT_LEVEL);
	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		c->psc[level].shape.shift[1] =
			cache_walk_level_shift(&w->role, level);
	if (!w->nested)
		return;
	tlb_set_shifts(&c->ntlb.shape,
		       !w->nested->role.ept &&
			       w->nested->role.level == PT32_ROOT_LEVEL);
	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		c->npsc[level].shape.shift[1] =
			cache_walk_level_shift(&w->nested->role, level);
}

static int ideal_psc_lookup(struct cache_model *m, const struct sim_vcpu *v,
			    u64 addr)
{
	struct ideal_caches *c = ideal(m);
	const struct cpu_role *role = &v->gva_walk.role;
	int level;

	if (role->level < PT32_ROOT_LEVEL)
		return -1;
	for (level = 2; level <= role->level; level++) {
		if (level == PT32E_ROOT_LEVEL &&
		    role->level == PT32E_ROOT_LEVEL)
			break;
		if (probe_tag(&c->psc[level], addr, 1,
			      c->psc[level].shape.pcid_tag))
			return level;
	}
	return 0;
}

/* A nested translation (cache_walk_nested_fn) in the unbounded arrays. */
static unsigned int
nested_translation(void *model, const struct kvm_pagewalk *nested, u64 ngpa,
		   u64 gpa, const struct walk_path *nwalk, bool ok,
		   struct translation_caches_walk_cost *cost, int *err)
{
	struct ideal_caches *c = model;
	unsigned int saved = 0;
	struct tlb_entry *e;
	int i, level;

	cost->ntlb_lookups++;
	if (array_lookup(&c->ntlb, ngpa)) {
		cost->ntlb_hits++;
		return nwalk->refs;
	}
	cost->npsc_lookups++;
	for (level = 2; level <= nested->role.level; level++)
		if (probe_tag(&c->npsc[level], ngpa, 1,
			      c->npsc[level].shape.pcid_tag))
			break;
	if (level <= nested->role.level) {
		cost->npsc_hits++;
		saved = cache_walk_npsc_saved(nwalk, level);
	}
	if (!ok)
		return saved;
	for (i = 0; !*err && i < nwalk->nr_entries - 1; i++)
		if (nwalk->entries[i].level >= 2)
			*err = psc_fill(c, &c->npsc[nwalk->entries[i].level],
					ngpa);
	level = cache_walk_leaf_level(nwalk);
	if (level > TLB_MAX_LEVEL)
		level = TLB_MAX_LEVEL;
	e = *err ? NULL : array_fill(c, &c->ntlb, ngpa, level, false, err);
	if (e) {
		e->gpa = gpa & ~((1ULL << c->ntlb.shape.shift[level]) - 1);
	}
	return saved;
}

static int ideal_walk(struct cache_model *m, const struct sim_vcpu *v,
		      const struct walk_record *rec, int psc_level, bool ok,
		      struct translation_caches_walk_cost *cost)
{
	return cache_walk_cost(v, rec, psc_level, ok, nested_translation,
			       ideal(m), cost);
}

/* The size of the page of 2^@shift bytes: the largest that fits in it. */
static int level_for_shift(const struct tlb *t, unsigned int shift)
{
	int level;

	for (level = TLB_MAX_LEVEL; level > 1; level--)
		if (t->shift[level] <= shift)
			return level;
	return 1;
}

static int ideal_fill(struct cache_model *m, const struct sim_vcpu *v,
		      const struct walk_record *rec, u64 addr, u32 cls,
		      bool fetch)
{
	struct ideal_caches *c = ideal(m);
	const struct kvm_pagewalk *w = &v->gva_walk;
	struct tlb_entry tmpl, *e;
	int i, level, err = 0;

	(void)fetch;
	for (i = 0; !err && i < rec->guest.nr_entries - 1; i++) {
		const struct walk_entry *g = &rec->guest.entries[i];

		if (g->level >= 2 && !cache_walk_is_pdptr_entry(&w->role, g))
			err = psc_fill(c, &c->psc[g->level], addr);
	}
	if (err)
		return err;
	level = level_for_shift(&c->tlb.shape,
				cache_walk_entry(v, rec, cls, &tmpl));
	e = array_fill(c, &c->tlb, addr, level, tmpl.global, &err);
	if (!e)
		return err;
	e->gpa = rec->gpa & ~((1ULL << c->tlb.shape.shift[level]) - 1);
	e->pte_access = tmpl.pte_access;
	e->nested_access = tmpl.nested_access;
	e->pkey = tmpl.pkey;
	e->allowed = tmpl.allowed;
	e->denied = tmpl.denied;
	return 0;
}

static void ideal_flush(struct cache_model *m, bool global)
{
	struct ideal_caches *c = ideal(m);
	int level;

	array_flush(&c->tlb, global);
	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		array_flush(&c->psc[level], true);
}

static void ideal_set_pcid(struct cache_model *m, u16 pcid, bool pcide)
{
	struct ideal_caches *c = ideal(m);
	int level;

	tlb_set_pcid(&c->tlb.shape, pcid, pcide);
	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		tlb_set_pcid(&c->psc[level].shape, pcid, pcide);
}

static void ideal_flush_pcid(struct cache_model *m, u16 pcid)
{
	array_flush_pcid(&ideal(m)->tlb, pcid);
	psc_flush_pcid(ideal(m), pcid);
}

static void ideal_invpcid_addr(struct cache_model *m, u64 addr, u16 pcid)
{
	drop_addr_tag(&ideal(m)->tlb, addr, (u64)pcid << TLB_LEVEL_BITS, false);
	psc_flush_pcid(ideal(m), pcid);
}

static void ideal_flush_addr(struct cache_model *m, u64 addr)
{
	struct ideal_array *a = &ideal(m)->tlb;

	drop_addr_tag(a, addr, a->shape.pcid_tag, true);
	if (a->shape.global_tag != a->shape.pcid_tag)
		drop_addr_tag(a, addr, a->shape.global_tag, true);
}

static void ideal_invlpg(struct cache_model *m, u64 addr)
{
	ideal_flush_addr(m, addr);
	/* INVLPG drops every paging-structure-cache entry of the PCID. */
	psc_flush_pcid(ideal(m),
		       (ideal(m)->tlb.shape.pcid_tag >> TLB_LEVEL_BITS) &
			       TLB_PCID_MASK);
}

static void ideal_flush_nested(struct cache_model *m)
{
	struct ideal_caches *c = ideal(m);
	int level;

	array_flush(&c->ntlb, true);
	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		array_flush(&c->npsc[level], true);
}

const struct cache_model_ops cache_model_ideal = {
	.name = "ideal",
	.description = "unbounded, fully associative TLB, PSC and nested "
		       "caches: only flushes drop entries (a bound)",
	.init = ideal_init,
	.destroy = ideal_destroy,
	.lookup = ideal_lookup,
	.split_l1 = ideal_split_l1,
	.has_stlb = ideal_has_stlb,
	.stlb_refill = ideal_stlb_refill,
	.update_shifts = ideal_update_shifts,
	.psc_lookup = ideal_psc_lookup,
	.walk = ideal_walk,
	.fill = ideal_fill,
	.flush = ideal_flush,
	.set_pcid = ideal_set_pcid,
	.flush_pcid = ideal_flush_pcid,
	.invpcid_addr = ideal_invpcid_addr,
	.invlpg = ideal_invlpg,
	.flush_addr = ideal_flush_addr,
	.flush_nested = ideal_flush_nested,
};
