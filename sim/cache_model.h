/*
 * Translation-cache models: what a vCPU caches of its walks (TLBs, PSC,
 * nested TLB) and when it drops it, behind one interface.  A model is one
 * file with its struct cache_model_ops and one row of cache_models[] in
 * cache_model.c; docs/mmusim-run.md ("Cache models") lists them.
 */
#ifndef MMUSIM_SIM_CACHE_MODEL_H
#define MMUSIM_SIM_CACHE_MODEL_H

#include "sim/cache_model_walk.h"
#include "sim/caches.h"

struct cache_model;

/*
 * One model.  Every operation is what the translation_caches_* function
 * of the same name in sim/caches.h does, for the model's caches: the
 * access path calls them in the same order for every model.
 */
struct cache_model_ops {
	/* What cache.model takes, and one line for the help. */
	const char *name;
	const char *description;
	/* -EINVAL for a configuration the model refuses, -ENOMEM. */
	int (*init)(struct cache_model *m,
		    const struct translation_caches_config *cfg);
	void (*destroy)(struct cache_model *m);
	/* The first-level entry for @addr (a @fetch?), or NULL. */
	struct tlb_entry *(*lookup)(struct cache_model *m, u64 addr,
				    bool fetch);
	/* Fetches have a first level of their own (l1i_misses counts). */
	bool (*split_l1)(const struct cache_model *m);
	/* A first-level miss looks in stlb_refill(). */
	bool (*has_stlb)(const struct cache_model *m);
	struct tlb_entry *(*stlb_refill)(struct cache_model *m, u64 addr,
					 bool fetch);
	void (*update_shifts)(struct cache_model *m, const struct sim_vcpu *v);
	int (*psc_lookup)(struct cache_model *m, const struct sim_vcpu *v,
			  u64 addr);
	/*
	 * walk() and fill() return 0, or -ENOMEM or -EDQUOT (over
	 * --max-memory) for a model whose caches grow.
	 */
	int (*walk)(struct cache_model *m, const struct sim_vcpu *v,
		    const struct walk_record *rec, int psc_level, bool ok,
		    struct translation_caches_walk_cost *cost);
	int (*fill)(struct cache_model *m, const struct sim_vcpu *v,
		    const struct walk_record *rec, u64 addr, u32 cls,
		    bool fetch);
	void (*flush)(struct cache_model *m, bool global);
	void (*set_pcid)(struct cache_model *m, u16 pcid, bool pcide);
	void (*flush_pcid)(struct cache_model *m, u16 pcid);
	void (*invpcid_addr)(struct cache_model *m, u64 addr, u16 pcid);
	void (*invlpg)(struct cache_model *m, u64 addr);
	void (*flush_addr)(struct cache_model *m, u64 addr);
	void (*flush_nested)(struct cache_model *m);
};

/*
 * The caches of one vCPU, of model @ops.  The configurable hierarchy
 * (cache_model_hierarchy, sim/caches.c) keeps its state in @hierarchy,
 * in place, so that the access path calls its inline hit path directly
 * (cache_model_lookup()); any other model keeps its own in @priv.  The
 * struct is copied as a whole when vCPUs switch (run_vcpu_switch()).
 */
struct cache_model {
	const struct cache_model_ops *ops;
	struct translation_caches hierarchy;
	void *priv;
};

/* The rows of the table: sim/caches.c's configured hierarchy first. */
extern const struct cache_model_ops cache_model_hierarchy;
extern const struct cache_model_ops cache_model_ideal;

/* The index of the model named @name, or -1. */
int cache_model_find(const char *name);
/* The models, in table order: model @i, NULL past the last. */
const struct cache_model_ops *cache_model_at(unsigned int i);

/* Caches of @cfg's model (@cfg->model) with @cfg: 0, -EINVAL, -ENOMEM. */
int cache_model_init(struct cache_model *m,
		     const struct translation_caches_config *cfg);
void cache_model_destroy(struct cache_model *m);

static inline bool cache_model_is_hierarchy(const struct cache_model *m)
{
	return likely(m->ops == &cache_model_hierarchy);
}

/*
 * The operations of the access path.  The hierarchy's are called
 * directly, its lookup inline, so that a miss makes no indirect call.
 * The lookup runs the hierarchy's own (hint, then probe) for every
 * model, and asks the model only when that finds nothing: another model
 * leaves @hierarchy without arrays or hints (cache_model_init()), where
 * it finds nothing.  So a hierarchy hit costs what
 * translation_caches_lookup() costs, and only a miss tests the model.
 */
static inline struct tlb_entry *cache_model_lookup(struct cache_model *m,
						   u64 addr, bool fetch)
{
	struct tlb_entry *e =
		translation_caches_lookup(&m->hierarchy, addr, fetch);

	if (likely(e) || cache_model_is_hierarchy(m))
		return e;
	return m->ops->lookup(m, addr, fetch);
}

static inline bool cache_model_split_l1(const struct cache_model *m)
{
	if (cache_model_is_hierarchy(m))
		return m->hierarchy.split_l1;
	return m->ops->split_l1(m);
}

static inline bool cache_model_has_stlb(const struct cache_model *m)
{
	if (cache_model_is_hierarchy(m))
		return translation_caches_has_stlb(&m->hierarchy);
	return m->ops->has_stlb(m);
}

static inline struct tlb_entry *cache_model_stlb_refill(struct cache_model *m,
							u64 addr, bool fetch)
{
	if (cache_model_is_hierarchy(m))
		return translation_caches_stlb_refill(&m->hierarchy, addr,
						      fetch);
	return m->ops->stlb_refill(m, addr, fetch);
}

static inline void cache_model_update_shifts(struct cache_model *m,
					     const struct sim_vcpu *v)
{
	if (cache_model_is_hierarchy(m))
		translation_caches_update_shifts(&m->hierarchy, v);
	else
		m->ops->update_shifts(m, v);
}

static inline int cache_model_psc_lookup(struct cache_model *m,
					 const struct sim_vcpu *v, u64 addr)
{
	if (cache_model_is_hierarchy(m))
		return translation_caches_psc_lookup(&m->hierarchy, v, addr);
	return m->ops->psc_lookup(m, v, addr);
}

static inline int cache_model_walk(struct cache_model *m,
				   const struct sim_vcpu *v,
				   const struct walk_record *rec, int psc_level,
				   bool ok,
				   struct translation_caches_walk_cost *cost)
{
	if (!cache_model_is_hierarchy(m))
		return m->ops->walk(m, v, rec, psc_level, ok, cost);
	/* A 1D walk makes no nested translation: all of it inline. */
	if (likely(!rec->two_dimensional))
		return cache_walk_cost(v, rec, psc_level, ok, NULL, NULL, cost);
	translation_caches_walk(&m->hierarchy, v, rec, psc_level, ok, cost);
	return 0;
}

static inline int cache_model_fill(struct cache_model *m,
				   const struct sim_vcpu *v,
				   const struct walk_record *rec, u64 addr,
				   u32 cls, bool fetch)
{
	if (!cache_model_is_hierarchy(m))
		return m->ops->fill(m, v, rec, addr, cls, fetch);
	translation_caches_fill(&m->hierarchy, v, rec, addr, cls, fetch);
	return 0;
}

/*
 * The hierarchy counts and caches a successful 1D walk of a 4- or
 * 5-level guest from what gva_walk_try_translate_gpa() gives, without a
 * record (cache_model_walk_translation(), cache_model_fill_translation());
 * another model takes the record.
 */
static inline bool cache_model_takes_translation(const struct cache_model *m,
						 const struct sim_vcpu *v)
{
	return cache_model_is_hierarchy(m) && !v->gva_walk.nested;
}

/*
 * cache_model_walk() of @t, which gva_walk_try_translate_gpa() gave:
 * the guest references it read, and in *@skipped those the PSC hit at
 * @psc_level saved of them.
 */
static inline unsigned int
cache_model_walk_translation(const struct sim_vcpu *v,
			     const struct walk_translation *t, int psc_level,
			     unsigned int *skipped)
{
	int top = v->gva_walk.role.level;
	int n = cache_walk_levels_read(top, t->leaf_level);

	*skipped = cache_walk_skipped_levels(top, n, psc_level);
	return n;
}

static inline void
cache_model_fill_translation(struct cache_model *m, const struct sim_vcpu *v,
			     const struct walk_translation *t, u64 addr,
			     u32 cls, bool fetch)
{
	MMU_WARN_ON(!cache_model_takes_translation(m, v));
	translation_caches_fill_translation(&m->hierarchy, v, t, addr, cls,
					    fetch);
}

/* The invalidations, through the table for every model. */
static inline void cache_model_flush(struct cache_model *m, bool global)
{
	m->ops->flush(m, global);
}

static inline void cache_model_set_pcid(struct cache_model *m, u16 pcid,
					bool pcide)
{
	m->ops->set_pcid(m, pcid, pcide);
}

static inline void cache_model_flush_pcid(struct cache_model *m, u16 pcid)
{
	m->ops->flush_pcid(m, pcid);
}

static inline void cache_model_invpcid_addr(struct cache_model *m, u64 addr,
					    u16 pcid)
{
	m->ops->invpcid_addr(m, addr, pcid);
}

static inline void cache_model_invlpg(struct cache_model *m, u64 addr)
{
	m->ops->invlpg(m, addr);
}

static inline void cache_model_flush_addr(struct cache_model *m, u64 addr)
{
	m->ops->flush_addr(m, addr);
}

static inline void cache_model_flush_nested(struct cache_model *m)
{
	m->ops->flush_nested(m);
}

#endif
