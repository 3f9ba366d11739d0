/* What every cache model makes of a walk (sim/cache_model_walk.h). */
#include <string.h>

#include "sim/cache_model_walk.h"

/* CR4.PGE: global pages survive CR3 writes. */
#define X86_CR4_PGE BIT_ULL(7)

unsigned int cache_walk_level_shift(const struct cpu_role *role, int level)
{
	return __pt_level_shift(level, pt_level_bits(pt_has_4_byte_entries(
					       role->ept, role->level)));
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

unsigned int cache_walk_entry(const struct sim_vcpu *v,
			      const struct walk_record *rec, u32 cls,
			      struct tlb_entry *tmpl)
{
	const struct kvm_pagewalk *w = &v->gva_walk;
	const struct walk_entry *leaf = NULL;
	unsigned int shift = 64, nshift;

	if (rec->guest.nr_entries)
		leaf = &rec->guest.entries[rec->guest.nr_entries - 1];
	if (w->role.level && rec->leaf_level)
		shift = cache_walk_level_shift(&w->role, rec->leaf_level);
	if (w->nested) {
		nshift = cache_walk_level_shift(
			&w->nested->role,
			cache_walk_leaf_level(&rec->final_walk));
		if (nshift < shift)
			shift = nshift;
	}
	if (shift > 30)
		shift = 30;

	memset(tmpl, 0, sizeof(*tmpl));
	if (leaf && !w->role.ept && (v->cr4 & X86_CR4_PGE))
		tmpl->global = leaf->after & PT_GLOBAL_MASK;
	tmpl->pte_access = w->role.level ? rec->pte_access : ACC_ALL;
	if (leaf && w->role.level >= PT32E_ROOT_LEVEL)
		tmpl->pkey = (leaf->after & PT_PKEY_MASK) >> PT_PKEY_SHIFT;
	tmpl->nested_access =
		w->nested ? nested_final_access(w->nested, &rec->final_walk) :
			    ACC_ALL;
	/* PKRU may change under a TLB entry: no class is cached with PKE. */
	if (!w->role.cr4_pke)
		tmpl->allowed = BIT(cls);
	return shift;
}

unsigned int cache_walk_npsc_saved(const struct walk_path *nwalk, int level)
{
	unsigned int saved = 0;
	int i;

	for (i = 0; i < nwalk->nr_entries; i++)
		saved += nwalk->entries[i].level >= level;
	return saved > nwalk->refs ? nwalk->refs : saved;
}

int cache_walk_cost(const struct sim_vcpu *v, const struct walk_record *rec,
		    int psc_level, bool ok, cache_walk_nested_fn nested,
		    void *model, struct translation_caches_walk_cost *cost)
{
	const struct kvm_pagewalk *w = &v->gva_walk;
	int i, err = 0;

	memset(cost, 0, sizeof(*cost));
	for (i = 0; !err && i < rec->guest.nr_entries; i++) {
		const struct walk_entry *e = &rec->guest.entries[i];
		bool read = i < rec->guest.nr_entries - 1 || ok ||
			    guest_memory_is_backed(&v->mem, e->pte_gpa);

		if (cache_walk_is_pdptr_entry(&w->role, e))
			continue;
		if (psc_level > 0 && e->level >= psc_level) {
			cost->skipped_guest += read;
			if (rec->two_dimensional)
				cost->skipped_nested +=
					rec->table_walks[i].refs;
			continue;
		}
		if (rec->two_dimensional)
			cost->skipped_nested += nested(model, w->nested,
						       e->pte_addr, e->pte_gpa,
						       &rec->table_walks[i],
						       read, cost, &err);
	}
	if (!err && rec->two_dimensional && (ok || rec->final_walk.nr_entries))
		cost->skipped_nested += nested(model, w->nested, rec->ngpa,
					       rec->gpa, &rec->final_walk, ok,
					       cost, &err);
	return err;
}
