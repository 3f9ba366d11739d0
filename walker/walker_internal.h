/* Helpers shared by the walker's own files; not part of its API. */
#ifndef MMUSIM_WALKER_INTERNAL_H
#define MMUSIM_WALKER_INTERNAL_H

#include "walker/gpte.h"

/* PAE CR3 points at a 32-byte aligned PDPT below 4G. */
#define PAE_CR3_PDPT_MASK GENMASK_ULL(31, 5)
/* A PAE NPT stage reads its PDPTEs at nCR3[51:5] on every walk. */
#define NPT_PAE_NCR3_PDPT_MASK GENMASK_ULL(51, 5)

/* Long-mode linear addresses: 48 or 57 bits, sign-extended. */
static inline unsigned int linear_address_bits(int level)
{
	return level == PT64_ROOT_5LEVEL ? 57 : 48;
}

/* is_canonical_address(), inline in the walks. */
static inline bool __is_canonical_address(u64 addr, int level)
{
	unsigned int bits = linear_address_bits(level);

	return (u64)((s64)(addr << (64 - bits)) >> (64 - bits)) == addr;
}

/*
 * State of one pass of a one-dimensional walk, as KVM's struct
 * guest_walker.  The entries read, their addresses in the walk's input
 * space and in GPA space, are those the pass recorded in its walk_path:
 * the entry of level L is path->entries[first + max_level - L].
 */
struct stage_walk {
	int level;
	int max_level;
	unsigned int first;
	unsigned int pte_access;
	/* The stage's output address (before any nested stage), its GFN. */
	u64 ngpa;
	u64 gfn;
	/* stage_walk_fast() only: the leaf entry it read. */
	u64 leaf_pte;
};

/* Where the records of one stage go: its own path and, for gva_walk, the
 * nested walks it makes. */
struct stage_record {
	struct walk_path *path;
	struct walk_path *table_walks;
	struct walk_path *final_walk;
	unsigned int *refs;
	unsigned int *restarts;
};

/* Where a gva_walk's stage walk records into @rec: every path of it. */
static inline struct stage_record gva_walk_stage_record(struct walk_record *rec)
{
	return (struct stage_record){
		.path = &rec->guest,
		.table_walks = rec->table_walks,
		.final_walk = &rec->final_walk,
		.refs = &rec->refs,
		.restarts = &rec->restarts,
	};
}

/*
 * The translation of @addr that a gva_walk's stage walk @sw ended with,
 * into @rec.  The leaf as read and as recorded after A/D differ only in
 * A/D bits, which are not address bits.
 */
static inline void gva_walk_record_translation(struct walk_record *rec,
					       const struct stage_walk *sw,
					       u64 addr)
{
	rec->pte_access = sw->pte_access;
	rec->leaf_level = sw->level;
	rec->gpa = gfn_to_gpa(sw->gfn) | (addr & PAGE_OFFSET_MASK);
	rec->ngpa = sw->ngpa;
}

/* An entry read: the value, and guest_memory_read()'s return. */
struct entry_read {
	u64 val;
	int r;
};

/*
 * The entries of a stage's loop end before path->entries[@end], @read of
 * them read from memory: bring the path's length and the reference
 * counts up to date.
 */
static inline void end_entries(struct walk_path *path, unsigned int *refs,
			       unsigned int end, unsigned int read)
{
	path->nr_entries = end;
	path->refs += read;
	*refs += read;
}

/*
 * The access the nested stage checks for an access of gva_walk.  A guest
 * table access is an implicit access that EPT treats as a write when its
 * A/D flags are on (the CPU may set A/D in the table) and NPT always
 * treats as a user write.  For the final address, EPT with MBEC tells user
 * from supervisor fetches by the guest leaf's U/S bit; NPT treats every
 * access as a user access except supervisor fetches under GMET.
 */
static inline u64 nested_access(const struct kvm_pagewalk *nested, u64 access,
				bool table_access, unsigned int leaf_access)
{
	u64 pfec;

	if (table_access) {
		if (nested->role.ept && !walk_has_ad(nested))
			pfec = 0;
		else
			pfec = PFERR_WRITE_MASK;
		return pfec | PFERR_USER_MASK | PFERR_GUEST_PAGE_MASK;
	}

	pfec = access & (PFERR_WRITE_MASK | PFERR_FETCH_MASK);
	if (nested->role.ept) {
		if (leaf_access & ACC_USER_MASK)
			pfec |= PFERR_USER_MASK;
	} else if (!(nested->role.cr4_smep && (access & PFERR_FETCH_MASK) &&
		     !(access & PFERR_USER_MASK))) {
		pfec |= PFERR_USER_MASK;
	}
	return pfec | PFERR_GUEST_FINAL_MASK;
}

/* Shared by the fast path (walker/pagewalk.c) and walker/stage_walk.c. */
struct entry_read read_entry_slow(const struct guest_memory *mem, u64 gpa,
				  int size);

/* The general walk of one stage (walker/stage_walk.c). */
int stage_walk(struct kvm_pagewalk *w, u64 addr, u64 access,
	       const struct walk_access *acc, struct walk_fault *fault,
	       struct stage_record *rec, struct stage_walk *sw);

/*
 * Fill @fault for stage @w's walk of @addr for @access, which failed at
 * level @level with error code bits @errcode, the rights of the levels
 * walked ANDed in @raw_access (walker/stage_walk_fault.c).
 */
void fill_stage_fault(const struct kvm_pagewalk *w, u64 addr, u64 access,
		      u16 errcode, u64 raw_access, int level,
		      struct walk_fault *fault);

/*
 * Translate the nGPA @ngpa of gva_walk @w through its nested stage
 * (walker/pagewalk.c), and the same in the nested stage's general walk
 * alone (walker/stage_walk_fault.c).
 */
int translate_ngpa(struct kvm_pagewalk *w, u64 ngpa, u64 access, u64 gva,
		   struct walk_fault *fault, struct walk_path *path,
		   unsigned int *refs, unsigned int *restarts, u64 *gpa);
int translate_ngpa_slow(struct kvm_pagewalk *w, u64 ngpa, u64 access, u64 gva,
			struct walk_fault *fault, struct walk_path *path,
			unsigned int *refs, unsigned int *restarts, u64 *gpa);
/*
 * The nested walk of @ngpa for @access recorded its @nr_read entries at
 * path->entries[path->nr_entries] on, the last of them not present: end
 * translate_ngpa() as the general walk ends there
 * (walker/stage_walk_fault.c).
 */
int translate_ngpa_not_present(struct kvm_pagewalk *w, u64 ngpa, u64 access,
			       u64 gva, struct walk_fault *fault,
			       struct walk_path *path, unsigned int *refs,
			       unsigned int nr_read);

/*
 * A record before a walk, but for its table walks: no entries, no
 * translation.  gva_walk_resume() keeps the table walks it takes over;
 * every other walk empties them too (init_record()).
 */
static inline void walk_record_reset(struct walk_record *rec)
{
	rec->guest.nr_entries = 0;
	rec->guest.refs = 0;
	rec->final_walk.nr_entries = 0;
	rec->final_walk.refs = 0;
	rec->refs = 0;
	rec->restarts = 0;
	rec->ngpa = INVALID_GPA;
	rec->gpa = INVALID_GPA;
	rec->hpa = INVALID_HPA;
	rec->pte_access = 0;
	rec->leaf_level = 0;
	rec->two_dimensional = false;
}

#endif
