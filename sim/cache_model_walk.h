/*
 * What every cache model makes of a walk, whatever its arrays: the page
 * size and rights a translation is cached with, and which references a
 * PSC or nested-TLB hit leaves unread: the one copy of these rules
 * (docs/mmusim-run.md, "Configuring the caches"), which sim/caches.c's
 * hierarchy and every other model call; a model supplies its lookups.
 */
#ifndef MMUSIM_SIM_CACHE_MODEL_WALK_H
#define MMUSIM_SIM_CACHE_MODEL_WALK_H

#include <string.h>

#include "sim/caches.h"

/* Page shift of a leaf at @level of a walk with @role. */
static inline unsigned int cache_walk_level_shift(const struct cpu_role *role,
						  int level)
{
	return __pt_level_shift(level, pt_level_bits(pt_has_4_byte_entries(
					       role->ept, role->level)));
}

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
 * The nested rights of the final translation @final of a 2D walk by
 * @nested: its entries' ACC_* rights ANDed, a clean leaf not writable.
 */
unsigned int cache_walk_nested_access(const struct kvm_pagewalk *nested,
				      const struct walk_path *final);

/*
 * The page shift that the translation of a successful walk by @v maps,
 * whose guest leaf is at @leaf_level (0 with paging off) and whose
 * nested walk of the final address is @final (NULL without a nested
 * stage): the guest leaf's, or the nested leaf's when smaller, at most
 * 1G's.
 */
static inline unsigned int cache_walk_leaf_shift(const struct sim_vcpu *v,
						 int leaf_level,
						 const struct walk_path *final)
{
	const struct kvm_pagewalk *w = &v->gva_walk;
	unsigned int shift = 64, nshift;

	MMU_WARN_ON(!w->nested != !final);
	if (w->role.level && leaf_level)
		shift = cache_walk_level_shift(&w->role, leaf_level);
	if (w->nested) {
		nshift = cache_walk_level_shift(&w->nested->role,
						cache_walk_leaf_level(final));
		if (nshift < shift)
			shift = nshift;
	}
	return shift > 30 ? 30 : shift;
}

/*
 * The first-level entry of a successful walk of an access of class @cls
 * by @v, whose guest leaf is @leaf_pte (0 with paging off) with the
 * guest rights @pte_access, and whose nested walk of the final address
 * is @final (NULL without a nested stage): its global flag, guest and
 * nested rights, protection key, allowed classes and no denied ones in
 * *@tmpl (only these fields, which a fill copies into the entry it
 * takes).
 */
static inline void cache_walk_leaf_rights(const struct sim_vcpu *v,
					  u64 leaf_pte, unsigned int pte_access,
					  const struct walk_path *final,
					  u32 cls, struct tlb_entry *tmpl)
{
	const struct kvm_pagewalk *w = &v->gva_walk;

	MMU_WARN_ON(!w->nested != !final);
	tmpl->global = !w->role.ept && (v->cr4 & X86_CR4_PGE) &&
		       (leaf_pte & PT_GLOBAL_MASK);
	tmpl->pte_access = w->role.level ? pte_access : ACC_ALL;
	tmpl->pkey = w->role.level >= PT32E_ROOT_LEVEL ?
			     (leaf_pte & PT_PKEY_MASK) >> PT_PKEY_SHIFT :
			     0;
	tmpl->nested_access =
		w->nested ? cache_walk_nested_access(w->nested, final) :
			    ACC_ALL;
	/* PKRU may change under a TLB entry: no class is cached with PKE. */
	tmpl->allowed = w->role.cr4_pke ? 0 : BIT(cls);
	tmpl->denied = 0;
}

/*
 * cache_walk_leaf_rights() of a successful walk whose guest leaf is at
 * @leaf_level, and the page shift it maps (cache_walk_leaf_shift()).
 */
static inline unsigned int
cache_walk_leaf_entry(const struct sim_vcpu *v, u64 leaf_pte,
		      unsigned int pte_access, int leaf_level,
		      const struct walk_path *final, u32 cls,
		      struct tlb_entry *tmpl)
{
	cache_walk_leaf_rights(v, leaf_pte, pte_access, final, cls, tmpl);
	return cache_walk_leaf_shift(v, leaf_level, final);
}

/* cache_walk_leaf_entry() of the successful walk @rec. */
static inline unsigned int cache_walk_entry(const struct sim_vcpu *v,
					    const struct walk_record *rec,
					    u32 cls, struct tlb_entry *tmpl)
{
	int n = rec->guest.nr_entries;

	return cache_walk_leaf_entry(
		v, n ? rec->guest.entries[n - 1].after : 0, rec->pte_access,
		rec->leaf_level, v->gva_walk.nested ? &rec->final_walk : NULL,
		cls, tmpl);
}

/*
 * The entries of a successful walk that read one entry a level, from
 * the root's, of level @top, down to the leaf's, of level @leaf: as
 * gva_walk_try_translate_gpa()'s walks do, and every 1D walk but PAE's
 * (whose PDPTR is not read at the walk).
 */
static inline int cache_walk_levels_read(int top, int leaf)
{
	return top - leaf + 1;
}

/*
 * Of @n entries read one a level from the root's, of level @top, down,
 * those a PSC hit at @psc_level saved: the first ones, of @psc_level and
 * above.
 */
static inline unsigned int cache_walk_skipped_levels(int top, int n,
						     int psc_level)
{
	if (psc_level <= 0 || psc_level > top)
		return 0;
	return top - psc_level + 1 > n ? n : top - psc_level + 1;
}

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
 * The guest references a PSC hit at @psc_level saved the 1D walk @rec:
 * the entries of that level and above that the walk read (a failed
 * walk's last entry only when memory backs it), PDPTRs aside.
 */
static inline unsigned int cache_walk_skipped_1d(const struct sim_vcpu *v,
						 const struct walk_record *rec,
						 int psc_level, bool ok)
{
	int i, n = rec->guest.nr_entries, top;
	unsigned int skipped = 0;

	if (psc_level <= 0 || !n)
		return 0;
	/*
	 * A successful walk read one entry a level, from the root's at
	 * entries[0] down: those of @psc_level and above are the first
	 * ones.  PAE's PDPTR, which no PSC caches, takes the loop.
	 */
	top = rec->guest.entries[0].level;
	if (likely(ok && v->gva_walk.role.level != PT32E_ROOT_LEVEL)) {
		MMU_WARN_ON(cache_walk_levels_read(
				    top, rec->guest.entries[n - 1].level) != n);
		return cache_walk_skipped_levels(top, n, psc_level);
	}
	for (i = 0; i < n; i++) {
		const struct walk_entry *e = &rec->guest.entries[i];

		if (e->level < psc_level ||
		    cache_walk_is_pdptr_entry(&v->gva_walk.role, e))
			continue;
		skipped += i < n - 1 || ok ||
			   guest_memory_is_backed(&v->mem, e->pte_gpa);
	}
	return skipped;
}

/*
 * The references of the walk @rec that a PSC hit at @psc_level and the
 * nested translations (@nested of @model) leave unread, in @cost.
 * Returns 0 or the first nested translation's error.  Inline so that a
 * model's miss path calls its @nested directly.
 */
static inline int cache_walk_cost(const struct sim_vcpu *v,
				  const struct walk_record *rec, int psc_level,
				  bool ok, cache_walk_nested_fn nested,
				  void *model,
				  struct translation_caches_walk_cost *cost)
{
	const struct kvm_pagewalk *w = &v->gva_walk;
	int i, err = 0;

	memset(cost, 0, sizeof(*cost));
	/* A 1D walk asks none of the 2D walk's questions per entry. */
	if (!rec->two_dimensional) {
		cost->skipped_guest =
			cache_walk_skipped_1d(v, rec, psc_level, ok);
		return 0;
	}
	for (i = 0; !err && i < rec->guest.nr_entries; i++) {
		const struct walk_entry *e = &rec->guest.entries[i];
		bool read = i < rec->guest.nr_entries - 1 || ok ||
			    guest_memory_is_backed(&v->mem, e->pte_gpa);

		if (cache_walk_is_pdptr_entry(&w->role, e))
			continue;
		if (psc_level > 0 && e->level >= psc_level) {
			cost->skipped_guest += read;
			cost->skipped_nested += rec->table_walks[i].refs;
			continue;
		}
		cost->skipped_nested += nested(model, w->nested, e->pte_addr,
					       e->pte_gpa, &rec->table_walks[i],
					       read, cost, &err);
	}
	if (!err && (ok || rec->final_walk.nr_entries))
		cost->skipped_nested += nested(model, w->nested, rec->ngpa,
					       rec->gpa, &rec->final_walk, ok,
					       cost, &err);
	return err;
}

/*
 * The references of @nwalk that a nested-PSC hit at @level leaves
 * unread: its entries of levels @level and above.
 */
static inline unsigned int cache_walk_npsc_saved(const struct walk_path *nwalk,
						 int level)
{
	unsigned int saved = 0;
	int i;

	for (i = 0; i < nwalk->nr_entries; i++)
		saved += nwalk->entries[i].level >= level;
	return saved > nwalk->refs ? nwalk->refs : saved;
}

#endif
