/*
 * What every cache model makes of a walk, whatever its arrays: the page
 * size and rights a translation is cached with, and which references a
 * PSC or nested-TLB hit leaves unread.  The rules are sim/caches.c's
 * (docs/mmusim-run.md, "Configuring the caches"); a model supplies its
 * lookups.
 */
#ifndef MMUSIM_SIM_CACHE_MODEL_WALK_H
#define MMUSIM_SIM_CACHE_MODEL_WALK_H

#include "sim/caches.h"

/* Page shift of a leaf at @level of a walk with @role. */
unsigned int cache_walk_level_shift(const struct cpu_role *role, int level);

/* A PAE PDPTR, which no PSC caches. */
static inline bool cache_walk_is_pdptr_entry(const struct cpu_role *role,
					     const struct walk_entry *e)
{
	return role->level == PT32E_ROOT_LEVEL && e->level == PT32E_ROOT_LEVEL;
}

static inline int cache_walk_leaf_level(const struct walk_path *path)
{
	return path->nr_entries ? path->entries[path->nr_entries - 1].level :
				  PG_LEVEL_4K;
}

/*
 * The first-level entry of the successful walk @rec of an access of
 * class @cls by @v: its global flag, guest and nested rights, protection
 * key and allowed classes in *@tmpl (every other field zero), and the
 * page shift it maps (the guest leaf's, or the nested leaf's when
 * smaller, at most 1G's).
 */
unsigned int cache_walk_entry(const struct sim_vcpu *v,
			      const struct walk_record *rec, u32 cls,
			      struct tlb_entry *tmpl);

/*
 * The nested translation of a 2D walk's nGPA @ngpa (GPA @gpa) by the
 * nested walk @nwalk: look it up in the model's nested caches, fill them
 * when @ok, count in @cost, and return the references of @nwalk saved.
 * 0 or -errno in *@err.
 */
typedef unsigned int (*cache_walk_nested_fn)(
	void *model, const struct kvm_pagewalk *nested, u64 ngpa, u64 gpa,
	const struct walk_path *nwalk, bool ok,
	struct translation_caches_walk_cost *cost, int *err);

/*
 * The references of the walk @rec that a PSC hit at @psc_level and the
 * nested translations (@nested of @model) leave unread, in @cost.
 * Returns 0 or the first nested translation's error.
 */
int cache_walk_cost(const struct sim_vcpu *v, const struct walk_record *rec,
		    int psc_level, bool ok, cache_walk_nested_fn nested,
		    void *model, struct translation_caches_walk_cost *cost);

/*
 * The references of @nwalk that a nested-PSC hit at @level leaves
 * unread: its entries of levels @level and above.
 */
unsigned int cache_walk_npsc_saved(const struct walk_path *nwalk, int level);

#endif
