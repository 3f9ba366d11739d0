/*
 * The "hierarchy" cache model: the configured L1 TLBs, STLB, PSC, nested
 * TLB and nested PSC of sim/caches.c (the tlb.*, psc.*, ntlb and npsc.*
 * keys).  Its state is struct cache_model's @hierarchy, and the access
 * path calls it directly (cache_model.h): these are its table entries.
 */
#include "sim/cache_model.h"

static struct translation_caches *hierarchy(struct cache_model *m)
{
	return &m->hierarchy;
}

static int hierarchy_init(struct cache_model *m,
			  const struct translation_caches_config *cfg)
{
	return translation_caches_init(hierarchy(m), cfg);
}

static void hierarchy_destroy(struct cache_model *m)
{
	translation_caches_destroy(hierarchy(m));
}

static struct tlb_entry *hierarchy_lookup(struct cache_model *m, u64 addr,
					  bool fetch)
{
	return translation_caches_lookup(hierarchy(m), addr, fetch);
}

static bool hierarchy_split_l1(const struct cache_model *m)
{
	return m->hierarchy.split_l1;
}

static bool hierarchy_has_stlb(const struct cache_model *m)
{
	return translation_caches_has_stlb(&m->hierarchy);
}

static struct tlb_entry *hierarchy_stlb_refill(struct cache_model *m, u64 addr,
					       bool fetch)
{
	return translation_caches_stlb_refill(hierarchy(m), addr, fetch);
}

static void hierarchy_update_shifts(struct cache_model *m,
				    const struct sim_vcpu *v)
{
	translation_caches_update_shifts(hierarchy(m), v);
}

static int hierarchy_psc_lookup(struct cache_model *m, const struct sim_vcpu *v,
				u64 addr)
{
	return translation_caches_psc_lookup(hierarchy(m), v, addr);
}

/* Its arrays are allocated at init: a walk and a fill cannot fail. */
static int hierarchy_walk(struct cache_model *m, const struct sim_vcpu *v,
			  const struct walk_record *rec, int psc_level, bool ok,
			  struct translation_caches_walk_cost *cost)
{
	translation_caches_walk(hierarchy(m), v, rec, psc_level, ok, cost);
	return 0;
}

static int hierarchy_fill(struct cache_model *m, const struct sim_vcpu *v,
			  const struct walk_record *rec, u64 addr, u32 cls,
			  bool fetch)
{
	translation_caches_fill(hierarchy(m), v, rec, addr, cls, fetch);
	return 0;
}

static void hierarchy_flush(struct cache_model *m, bool global)
{
	translation_caches_flush(hierarchy(m), global);
}

static void hierarchy_set_pcid(struct cache_model *m, u16 pcid, bool pcide)
{
	translation_caches_set_pcid(hierarchy(m), pcid, pcide);
}

static void hierarchy_flush_pcid(struct cache_model *m, u16 pcid)
{
	translation_caches_flush_pcid(hierarchy(m), pcid);
}

static void hierarchy_invpcid_addr(struct cache_model *m, u64 addr, u16 pcid)
{
	translation_caches_invpcid_addr(hierarchy(m), addr, pcid);
}

static void hierarchy_invlpg(struct cache_model *m, u64 addr)
{
	translation_caches_invlpg(hierarchy(m), addr);
}

static void hierarchy_flush_addr(struct cache_model *m, u64 addr)
{
	translation_caches_flush_addr(hierarchy(m), addr);
}

static void hierarchy_flush_nested(struct cache_model *m)
{
	translation_caches_flush_nested(hierarchy(m));
}

const struct cache_model_ops cache_model_hierarchy = {
	.name = "hierarchy",
	.description =
		"the configured L1 TLBs, STLB, PSC, nested TLB and nested PSC",
	.init = hierarchy_init,
	.destroy = hierarchy_destroy,
	.lookup = hierarchy_lookup,
	.split_l1 = hierarchy_split_l1,
	.has_stlb = hierarchy_has_stlb,
	.stlb_refill = hierarchy_stlb_refill,
	.update_shifts = hierarchy_update_shifts,
	.psc_lookup = hierarchy_psc_lookup,
	.walk = hierarchy_walk,
	.fill = hierarchy_fill,
	.flush = hierarchy_flush,
	.set_pcid = hierarchy_set_pcid,
	.flush_pcid = hierarchy_flush_pcid,
	.invpcid_addr = hierarchy_invpcid_addr,
	.invlpg = hierarchy_invlpg,
	.flush_addr = hierarchy_flush_addr,
	.flush_nested = hierarchy_flush_nested,
};
