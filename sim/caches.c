/* TLB, PSC and nested-TLB policy: what is cached of a walk, and when. */
#include "sim/caches.h"

/* CR4.PGE: global pages survive CR3 writes. */
#define X86_CR4_PGE BIT_ULL(7)

/* Ways of every cache: the original model's 4. */
#define CACHES_WAYS 4

static unsigned int table_bits(const struct cpu_role *role)
{
	return pt_level_bits(pt_has_4_byte_entries(role->ept, role->level));
}

/* Page shift of a leaf at @level of a walk with @role. */
static unsigned int level_shift(const struct cpu_role *role, int level)
{
	return __pt_level_shift(level, table_bits(role));
}

int translation_caches_init(struct translation_caches *c, u32 tlb_entries,
			    u32 psc_entries, u32 ntlb_entries)
{
	int level, r;

	r = tlb_init(&c->tlb, tlb_entries, CACHES_WAYS);
	for (level = 2; !r && level <= PT64_ROOT_MAX_LEVEL; level++)
		r = tlb_init(&c->psc[level], psc_entries, CACHES_WAYS);
	if (!r)
		r = tlb_init(&c->ntlb, ntlb_entries, CACHES_WAYS);
	return r;
}

void translation_caches_destroy(struct translation_caches *c)
{
	int level;

	tlb_destroy(&c->tlb);
	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		tlb_destroy(&c->psc[level]);
	tlb_destroy(&c->ntlb);
}

static void psc_flush(struct translation_caches *c)
{
	int level;

	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		tlb_flush(&c->psc[level], true);
}

void translation_caches_flush(struct translation_caches *c, bool global)
{
	tlb_flush(&c->tlb, global);
	psc_flush(c);
}

void translation_caches_set_pcid(struct translation_caches *c, u16 pcid,
				 bool pcide)
{
	int level;

	tlb_set_pcid(&c->tlb, pcid, pcide);
	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		tlb_set_pcid(&c->psc[level], pcid, pcide);
}

static void psc_flush_pcid(struct translation_caches *c, u16 pcid)
{
	int level;

	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		tlb_flush_pcid(&c->psc[level], pcid);
}

void translation_caches_flush_pcid(struct translation_caches *c, u16 pcid)
{
	tlb_flush_pcid(&c->tlb, pcid);
	psc_flush_pcid(c, pcid);
}

void translation_caches_invpcid_addr(struct translation_caches *c, u64 addr,
				     u16 pcid)
{
	tlb_flush_pcid_addr(&c->tlb, addr, pcid);
	psc_flush_pcid(c, pcid);
}

void translation_caches_invlpg(struct translation_caches *c, u64 addr)
{
	tlb_flush_addr(&c->tlb, addr);
	/* INVLPG drops every paging-structure-cache entry of the PCID. */
	psc_flush_pcid(c, (c->tlb.pcid_tag >> TLB_LEVEL_BITS) & TLB_PCID_MASK);
}

void translation_caches_flush_addr(struct translation_caches *c, u64 addr)
{
	tlb_flush_addr(&c->tlb, addr);
}

void translation_caches_flush_nested(struct translation_caches *c)
{
	tlb_flush(&c->ntlb, true);
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

void translation_caches_update_shifts(struct translation_caches *c,
				      const struct sim_vcpu *v)
{
	const struct kvm_pagewalk *w = &v->gva_walk;
	bool pt32 = w->role.level == PT32_ROOT_LEVEL;
	int level;

	if (c->tlb.shift[2] != (pt32 ? 22 : 21))
		tlb_set_shifts(&c->tlb, pt32);
	for (level = 2; level <= PT64_ROOT_MAX_LEVEL; level++)
		c->psc[level].shift[1] = level_shift(&w->role, level);
	if (w->nested)
		tlb_set_shifts(&c->ntlb,
			       !w->nested->role.ept && w->nested->role.level ==
							       PT32_ROOT_LEVEL);
}

int translation_caches_psc_lookup(struct translation_caches *c,
				  const struct sim_vcpu *v, u64 addr)
{
	const struct cpu_role *role = &v->gva_walk.role;
	int level;

	if (role->level < PT32_ROOT_LEVEL || !c->psc[2].nr_sets)
		return -1;
	for (level = 2; level <= role->level; level++) {
		if (level == PT32E_ROOT_LEVEL &&
		    role->level == PT32E_ROOT_LEVEL)
			break;
		if (tlb_probe(&c->psc[level], addr, 1))
			return level;
	}
	return 0;
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
 * A nested translation of the walk: a nested-TLB hit saves its refs, a
 * miss fills the nested TLB when the translation succeeded.  Returns the
 * refs saved.
 */
static unsigned int ntlb_translation(struct translation_caches *c, u64 ngpa,
				     u64 gpa, const struct walk_path *nwalk,
				     bool ok,
				     struct translation_caches_walk_cost *cost)
{
	struct tlb_entry *e;
	int level;

	if (!c->ntlb.nr_sets)
		return 0;
	cost->ntlb_lookups++;
	if (tlb_lookup(&c->ntlb, ngpa)) {
		cost->ntlb_hits++;
		return nwalk->refs;
	}
	if (!ok)
		return 0;
	level = path_leaf_level(nwalk);
	if (level > TLB_MAX_LEVEL)
		level = TLB_MAX_LEVEL;
	e = tlb_fill(&c->ntlb, ngpa, level, false);
	e->gpa = gpa & ~((1ULL << c->ntlb.shift[level]) - 1);
	e->hpa = INVALID_HPA;
	return 0;
}

void translation_caches_walk(struct translation_caches *c,
			     const struct sim_vcpu *v,
			     const struct walk_record *rec, int psc_level,
			     bool ok, struct translation_caches_walk_cost *cost)
{
	const struct kvm_pagewalk *w = &v->gva_walk;
	int i;

	cost->skipped_guest = 0;
	cost->skipped_nested = 0;
	cost->ntlb_lookups = 0;
	cost->ntlb_hits = 0;
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
			cost->skipped_nested += ntlb_translation(
				c, e->pte_addr, e->pte_gpa,
				&rec->table_walks[i], read, cost);
	}
	if (rec->two_dimensional && (ok || rec->final_walk.nr_entries))
		cost->skipped_nested += ntlb_translation(
			c, rec->ngpa, rec->gpa, &rec->final_walk, ok, cost);
}

void translation_caches_fill(struct translation_caches *c,
			     const struct sim_vcpu *v,
			     const struct walk_record *rec, u64 addr, u32 cls)
{
	const struct kvm_pagewalk *w = &v->gva_walk;
	unsigned int shift = 64, nshift;
	const struct walk_entry *leaf = NULL;
	struct tlb_entry *e;
	bool global = false;
	int i, level;

	for (i = 0; i < rec->guest.nr_entries; i++) {
		const struct walk_entry *g = &rec->guest.entries[i];

		if (i == rec->guest.nr_entries - 1) {
			leaf = g;
			break;
		}
		if (g->level >= 2 && !is_pdptr_entry(&w->role, g))
			tlb_fill(&c->psc[g->level], addr, 1, false);
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
	level = tlb_level_for_shift(&c->tlb, shift);
	if (leaf && !w->role.ept && (v->cr4 & X86_CR4_PGE))
		global = leaf->after & PT_GLOBAL_MASK;

	e = tlb_fill(&c->tlb, addr, level, global);
	if (!e)
		return;
	e->gpa = rec->gpa & ~((1ULL << c->tlb.shift[level]) - 1);
	e->hpa = level == 1 && rec->hpa != INVALID_HPA ?
			 rec->hpa & ~PAGE_OFFSET_MASK :
			 INVALID_HPA;
	e->pte_access = w->role.level ? rec->pte_access : ACC_ALL;
	if (leaf && w->role.level >= PT32E_ROOT_LEVEL)
		e->pkey = (leaf->after & PT_PKEY_MASK) >> PT_PKEY_SHIFT;
	e->nested_access =
		w->nested ? nested_final_access(w->nested, &rec->final_walk) :
			    ACC_ALL;
	/* PKRU may change under a TLB entry: no class is cached with PKE. */
	if (!w->role.cr4_pke)
		e->allowed = BIT(cls);
}
