/* The general page walk of one stage, as KVM's walk_addr_generic(). */
#include <errno.h>
#include <string.h>

#include "walker/fast_walk_internal.h"
#include "walker/walk_resume_internal.h"

static void record_entry(struct walk_path *path, int level, u64 pte_addr,
			 u64 pte_gpa, u64 pte)
{
	struct walk_entry *e;

	MMU_WARN_ON(path->nr_entries >= WALK_MAX_LEVELS);
	e = &path->entries[path->nr_entries++];
	e->level = level;
	e->pte_addr = pte_addr;
	e->pte_gpa = pte_gpa;
	e->before = pte;
	e->after = pte;
}

/*
 * A read that missed guest_memory's page cache, returned in registers so
 * that the walk's entry value never has its address taken.
 */
__attribute__((noinline)) struct entry_read
read_entry_slow(const struct guest_memory *mem, u64 gpa, int size)
{
	struct entry_read er = { 0 };

	er.r = guest_memory_read(mem, gpa, size, &er.val);
	return er;
}

static void record_ad_update(struct walk_path *path, u64 pte_gpa, u64 pte)
{
	int i;

	for (i = 0; i < path->nr_entries; i++)
		if (path->entries[i].pte_gpa == pte_gpa)
			path->entries[i].after = pte;
}

/*
 * Guest table reads were checked as reads by an EPT stage without A/D;
 * writing an A or D bit into the table is a write the EPT stage must
 * allow.  NPT, and EPT with A/D, checked every table access as a write.
 */
static bool ad_needs_nested_write(const struct kvm_pagewalk *w)
{
	return w->nested && w->nested->role.ept && !walk_has_ad(w->nested);
}

/*
 * Whether the nested stage lets gva_walk write the entry at @pte_ngpa;
 * *@fault is set when it does not.
 */
static bool nested_write_allowed(struct kvm_pagewalk *w, u64 pte_ngpa, u64 gva,
				 struct walk_fault *fault)
{
	struct walk_path path = { 0 };
	unsigned int refs = 0;
	unsigned int restarts = 0;
	u64 gpa;

	return !translate_ngpa(w, pte_ngpa,
			       PFERR_WRITE_MASK | PFERR_GUEST_PAGE_MASK, gva,
			       fault, &path, &refs, &restarts, &gpa);
}

/* What update_accessed_dirty_bits() did. */
enum ad_update_outcome {
	/* Every A and D flag the walk needs is set. */
	AD_UPDATE_DONE,
	/* An entry changed under the walk: restart it. */
	AD_UPDATE_RACED,
	/* The nested stage refused the write: *fault is set. */
	AD_UPDATE_NESTED_FAULT,
	/* A table is no longer in memory. */
	AD_UPDATE_NO_MEMORY,
};

/*
 * Set A on every level used and D on the leaf of a write, with
 * compare-and-exchange.
 */
static enum ad_update_outcome
update_accessed_dirty_bits(struct kvm_pagewalk *w, struct stage_walk *sw,
			   bool write_fault, u64 gva, struct walk_fault *fault,
			   struct walk_path *path)
{
	/* The entry of sw->max_level; lower levels follow it. */
	struct walk_entry *top = &path->entries[sw->first];
	u64 a_mask = w->pte_accessed_mask;
	u64 d_mask = w->pte_dirty_mask;
	int size = w->pte_size;
	int level;

	/* Refuse before writing anything, so a faulting walk sets nothing. */
	for (level = sw->max_level;
	     ad_needs_nested_write(w) && level >= sw->level; level--) {
		const struct walk_entry *e = &top[sw->max_level - level];
		u64 pte = e->before;
		bool dirty = level == sw->level && write_fault;

		if ((pte & a_mask) && (!dirty || (pte & d_mask)))
			continue;
		if (!nested_write_allowed(w, e->pte_addr, gva, fault))
			return AD_UPDATE_NESTED_FAULT;
	}

	for (level = sw->max_level; level >= sw->level; level--) {
		const struct walk_entry *e = &top[sw->max_level - level];
		u64 pte_gpa = e->pte_gpa;
		u64 orig = e->before;
		u64 pte = orig | a_mask;
		int r;

		if (level == sw->level && write_fault)
			pte |= d_mask;
		if (pte == orig)
			continue;
		r = guest_memory_cmpxchg(w->mem, pte_gpa, size, &orig, pte);
		if (r)
			return r < 0 ? AD_UPDATE_NO_MEMORY : AD_UPDATE_RACED;
		record_ad_update(path, pte_gpa, pte);
	}
	return AD_UPDATE_DONE;
}

/*
 * gva_walk_resume(): the table walk @tw of the pass being resumed
 * translated the table this pass reaches (same nGPA, same access), and
 * the caller promises that every entry it read still holds its after
 * value.  A walk from the root would read those values again: with the
 * A/D flags it needs set already, it writes none, restarts on none, and
 * records each entry with before == after.
 */
static void reuse_table_walk(struct walk_path *tw, unsigned int *refs)
{
	struct walk_entry *e = tw->entries;

	/* Unrolled: a resumed walk takes over up to 25 entries. */
	static_assert(WALK_MAX_LEVELS == 5, "one case a level");
	switch (tw->nr_entries) {
	case 5:
		e[4].before = e[4].after;
		__attribute__((fallthrough));
	case 4:
		e[3].before = e[3].after;
		__attribute__((fallthrough));
	case 3:
		e[2].before = e[2].after;
		__attribute__((fallthrough));
	case 2:
		e[1].before = e[1].after;
		__attribute__((fallthrough));
	case 1:
		e[0].before = e[0].after;
		__attribute__((fallthrough));
	case 0:
		break;
	default:
		MMU_WARN_ON(true);
	}
	*refs += tw->refs;
}

/*
 * gva_walk_resume()'s first pass ended having taken the table walks below
 * @end: those of the pass it resumed above them are not part of a walk
 * from the root, whose record starts with none (init_record()).
 */
static void forget_table_walks(struct walk_path *table_walks, unsigned int end)
{
	unsigned int i;

	for (i = end; i < WALK_MAX_LEVELS; i++) {
		table_walks[i].nr_entries = 0;
		table_walks[i].refs = 0;
	}
}

/*
 * The entry formats a stage reads, for which __stage_walk() is compiled
 * separately so that their constants are constants: 8-byte x86 entries
 * (PAE, 4- and 5-level paging, NPT), EPT entries, and 32-bit paging's
 * 4-byte entries.
 */
enum walk_format {
	WALK_FORMAT_X86_64,
	WALK_FORMAT_EPT,
	WALK_FORMAT_X86_32,
};

/* The constants of format @f that the leaf's checks use. */
static __attribute__((always_inline)) inline u64
format_nx_mask(const enum walk_format f)
{
	return f == WALK_FORMAT_X86_64 ? PT64_NX_MASK : 0;
}

static __attribute__((always_inline)) inline u64
format_base_mask(const enum walk_format f)
{
	return f == WALK_FORMAT_X86_32 ? PT32_BASE_ADDR_MASK :
					 PT_BASE_ADDR_MASK;
}

static __attribute__((always_inline)) inline u64
format_accessed_mask(const enum walk_format f)
{
	return f == WALK_FORMAT_EPT ? EPT_ACCESSED_MASK : PT_ACCESSED_MASK;
}

static __attribute__((always_inline)) inline u64
format_dirty_mask(const enum walk_format f)
{
	return f == WALK_FORMAT_EPT ? EPT_DIRTY_MASK : PT_DIRTY_MASK;
}

static __attribute__((always_inline)) inline bool
format_has_ad(const struct kvm_pagewalk *w, const enum walk_format f)
{
	return f == WALK_FORMAT_EPT ? w->has_ad : true;
}

/* How stage_walk_leaf() ended. */
enum stage_leaf_outcome {
	/* Translated: sw->level, ->pte_access, ->ngpa and ->gfn set. */
	STAGE_LEAF_DONE,
	/* The nested stage faulted: *fault is set. */
	STAGE_LEAF_NESTED_FAULT,
	/* The stage faults with *@errcode (0 when no table is in memory). */
	STAGE_LEAF_FAULT,
	/* An A/D exchange lost a race: the walk starts again. */
	STAGE_LEAF_RACED,
};

/*
 * The walk of one stage from its leaf on, once every entry down to the
 * leaf @pte of @level passed its checks and the rights ANDed over them
 * (NX inverted) are @pte_access: the permission check, the output
 * address and its translation by the nested stage, and the A/D flags.
 * The entries are path->entries[sw->first] on (sw->max_level set).
 */
static __attribute__((always_inline)) inline enum stage_leaf_outcome
stage_walk_leaf(struct kvm_pagewalk *w, u64 addr, u64 access,
		const struct walk_access *acc, struct walk_fault *fault,
		struct stage_record *rec, struct stage_walk *sw, u64 pte,
		u64 pte_access, int level, u16 *errcode,
		const enum walk_format f, const bool nest)
{
	const bool ept = f == WALK_FORMAT_EPT;
	const unsigned int level_bits = pt_level_bits(f == WALK_FORMAT_X86_32);
	const u64 base_mask = format_base_mask(f);
	const u64 nx_mask = format_nx_mask(f);
	const u64 a_mask = format_accessed_mask(f);
	const u64 d_mask = format_dirty_mask(f);
	const bool has_ad = format_has_ad(w, f);
	bool write_fault = access & PFERR_WRITE_MASK;
	bool nested_final = nest && rec->final_walk;
	u64 accessed_dirty, ngpa, gpa;
	unsigned int shift;
	int r;

	sw->level = level;
	accessed_dirty = has_ad ? (pte_access & a_mask) : 0;
	sw->pte_access = gpte_access(ept, pte_access ^ nx_mask);

	*errcode = permission_fault_inline(
		&w->fmt, sw->pte_access,
		nx_mask ? (pte & PT_PKEY_MASK) >> PT_PKEY_SHIFT : 0,
		access & (PFERR_WRITE_MASK | PFERR_USER_MASK |
			  PFERR_FETCH_MASK | PFERR_IMPLICIT_ACCESS),
		acc->rflags_ac, acc->pkru);
	if (unlikely(*errcode))
		return STAGE_LEAF_FAULT;

	shift = PAGE_SHIFT + (level - 1) * level_bits;
	ngpa = (pte & base_mask & ~(BIT_ULL(shift) - 1)) |
	       (addr & (BIT_ULL(shift) - 1));
	if (f == WALK_FORMAT_X86_32 && level > PG_LEVEL_4K)
		ngpa |= (pte & PT32_DIR_PSE36_MASK)
			<< (32 - PT32_DIR_PSE36_SHIFT);
	sw->ngpa = ngpa;
	/* Without a nested stage, final_walk stays as init_record() left it. */
	if (nested_final) {
		u64 final_gpa;

		rec->final_walk->nr_entries = 0;
		rec->final_walk->refs = 0;
		r = translate_ngpa(w, ngpa,
				   nested_access(w->nested, access, false,
						 sw->pte_access),
				   addr, fault, rec->final_walk, rec->refs,
				   rec->restarts, &final_gpa);
		if (r)
			return STAGE_LEAF_NESTED_FAULT;
		gpa = final_gpa;
	} else {
		gpa = ngpa;
	}
	sw->gfn = gpa_to_gfn(gpa);

	if (!write_fault) {
		/* protect_clean_gpte(): a clean leaf is not writable yet. */
		if (has_ad && !(pte & d_mask))
			sw->pte_access &= ~ACC_WRITE_MASK;
	} else {
		accessed_dirty &= pte >>
				  (ept ? EPT_DIRTY_SHIFT - EPT_ACCESSED_SHIFT :
					 PT_DIRTY_SHIFT - PT_ACCESSED_SHIFT);
	}

	if (likely(accessed_dirty || !has_ad))
		return STAGE_LEAF_DONE;
	switch (update_accessed_dirty_bits(w, sw, write_fault, addr, fault,
					   rec->path)) {
	case AD_UPDATE_DONE:
		break;
	case AD_UPDATE_RACED:
		return STAGE_LEAF_RACED;
	case AD_UPDATE_NESTED_FAULT:
		return STAGE_LEAF_NESTED_FAULT;
	case AD_UPDATE_NO_MEMORY:
		*errcode = 0;
		return STAGE_LEAF_FAULT;
	}
	return STAGE_LEAF_DONE;
}

/*
 * One stage, as KVM's walk_addr_generic(): present, then reserved bits at
 * every level top-down; the permission check once, on the rights ANDed
 * over all levels; the final address through the nested stage; A/D last.
 * Returns 0 on success (sw->gfn set), 1 with *@fault filled.
 *
 * @f is a constant in every caller; the constants of the walk are locals:
 * the records are stored through pointers the compiler cannot tell from
 * @w.
 */
static __attribute__((always_inline)) inline int
__stage_walk(struct kvm_pagewalk *w, u64 addr, u64 access,
	     const struct walk_access *acc, struct walk_fault *fault,
	     struct stage_record *rec, struct stage_walk *sw,
	     const enum walk_format f, const bool nest, const bool resume,
	     unsigned int nr_saved)
{
	static const struct walk_access nested_stage_access = { 0 };
	const bool ept = f == WALK_FORMAT_EPT;
	const unsigned int level_bits = pt_level_bits(f == WALK_FORMAT_X86_32);
	const unsigned int index_mask = (1U << level_bits) - 1;
	const unsigned int size_shift = f == WALK_FORMAT_X86_32 ? 2 : 3;
	const int size = 1 << size_shift;
	const u64 base_mask = format_base_mask(f);
	const u64 nx_mask = format_nx_mask(f);
	const u64 present_mask = ept ? w->pte_present_mask : PT_PRESENT_MASK;
	const u64 large_mask = f == WALK_FORMAT_X86_32 ? w->pte_large_mask :
							 PT_PAGE_SIZE_MASK;
	const u64 a_mask = format_accessed_mask(f);
	const u64 d_mask = format_dirty_mask(f);
	const bool has_ad = format_has_ad(w, f);
	const struct guest_memory *mem = w->mem;
	struct walk_path *path = rec->path;
	unsigned int *refs = rec->refs;
	/* Only gva_walk with a nested stage translates its table addresses. */
	bool nested_tables = nest && rec->table_walks;
	unsigned int path_start = path->nr_entries;
	unsigned int refs_start = *refs;
	unsigned int path_refs_start = path->refs;
	u64 table_access = 0;
	/*
	 * gva_walk_resume(): the first pass may take the table walk of guest
	 * entry i from the pass it resumes, below @nr_reusable; the slots it
	 * leaves from @steps_end on are forgotten when it ends.
	 */
	unsigned int nr_reusable = resume ? nr_saved : 0;
	unsigned int steps_end = 0;
	bool first_pass = resume;
	u64 pte, pte_access;
	unsigned int start, nr;
	u16 errcode;
	int level, r;

	MMU_WARN_ON(w->role.ept != ept ||
		    walk_has_4_byte_gpte(w) != (f == WALK_FORMAT_X86_32));
	MMU_WARN_ON(nest !=
		    (w->nested && (rec->table_walks || rec->final_walk)));
	MMU_WARN_ON(resume && (!nest || !rec->table_walks || path_start));
	MMU_WARN_ON(w->pte_size != size || walk_level_bits(w) != level_bits ||
		    walk_base_addr_mask(w) != base_mask ||
		    w->pte_present_mask != present_mask ||
		    w->pte_large_mask != large_mask ||
		    w->pte_accessed_mask != a_mask ||
		    w->pte_dirty_mask != d_mask || w->has_ad != has_ad);

	if (!acc)
		acc = &nested_stage_access;
	if (nested_tables)
		table_access = nested_access(w->nested, access, true, 0);

retry_walk:
	errcode = 0;
	level = w->role.level;
	pte = w->root;
	pte_access = ~0ULL;

	if (!ept && level == PT32E_ROOT_LEVEL) {
		u64 index = pae_pdpte_index(addr);

		if (w->role.tdp) {
			/*
			 * A PAE NPT stage has no PDPTR registers: each walk
			 * reads the PDPTE at nCR3, as nested_svm_get_tdp_pdptr().
			 */
			u64 pdpte_gpa =
				(w->root & NPT_PAE_NCR3_PDPT_MASK) + index * 8;
			struct entry_read er =
				read_entry_slow(mem, pdpte_gpa, 8);

			if (er.r) {
				record_entry(path, PT32E_ROOT_LEVEL, pdpte_gpa,
					     pdpte_gpa, 0);
				level = PT32E_ROOT_LEVEL;
				goto error;
			}
			pte = er.val;
			(*refs)++;
			path->refs++;
			record_entry(path, PT32E_ROOT_LEVEL, pdpte_gpa,
				     pdpte_gpa, pte);
		} else {
			MMU_WARN_ON(!w->pdptrs_valid);
			pte = w->pdptrs[index];
			record_entry(path, PT32E_ROOT_LEVEL,
				     (w->root & PAE_CR3_PDPT_MASK) + index * 8,
				     INVALID_GPA, pte);
		}
		if (!(pte & PT_PRESENT_MASK)) {
			level = PT32E_ROOT_LEVEL;
			goto error;
		}
		level--;
	}
	sw->max_level = level;
	start = path->nr_entries;
	sw->first = start;
	nr = start;

	/*
	 * Entries are recorded at nr; path->nr_entries and the reference
	 * counts are brought up to date where the loop ends (end_entries()).
	 */
	for (;;) {
		struct walk_entry *e;
		u64 pte_ngpa, table_gpa;
		unsigned int index;

		index = (addr >> (PAGE_SHIFT + (level - 1) * level_bits)) &
			index_mask;
		pte_ngpa = (pte & base_mask) + ((u64)index << size_shift);

		if (nested_tables) {
			struct walk_path *tw = &rec->table_walks[nr];
			u64 tw_gpa;

			steps_end = nr + 1;
			/* Read before this step records over entry nr. */
			if (resume && nr < nr_reusable &&
			    path->entries[nr].pte_addr == pte_ngpa) {
				tw_gpa = path->entries[nr].pte_gpa;
				reuse_table_walk(tw, refs);
			} else {
				tw->nr_entries = 0;
				tw->refs = 0;
				r = translate_ngpa(w, pte_ngpa, table_access,
						   addr, fault, tw, refs,
						   rec->restarts, &tw_gpa);
				if (r) {
					end_entries(path, refs, nr, nr - start);
					if (first_pass)
						forget_table_walks(
							rec->table_walks,
							steps_end);
					return r;
				}
			}
			table_gpa = tw_gpa;
		} else {
			table_gpa = pte_ngpa;
		}

		MMU_WARN_ON(nr >= WALK_MAX_LEVELS);
		e = &path->entries[nr];
		e->level = level;
		e->pte_addr = pte_ngpa;
		e->pte_gpa = table_gpa;
		/* Entry addresses are aligned: their tables are pages. */
		MMU_WARN_ON(table_gpa & (size - 1));
		if (unlikely(!guest_memory_cache_read(mem, table_gpa, size,
						      &pte))) {
			struct entry_read er =
				read_entry_slow(mem, table_gpa, size);

			if (er.r) {
				e->before = 0;
				e->after = 0;
				/* Recorded, not read. */
				end_entries(path, refs, nr + 1, nr - start);
				goto error;
			}
			pte = er.val;
		}
		e->before = pte;
		e->after = pte;
		nr++;

		pte_access &= pte ^ nx_mask;
		if (unlikely(!(pte & present_mask))) {
			end_entries(path, refs, nr, nr - start);
			goto error;
		}
		if (unlikely(__is_rsvd_bits_set(&w->fmt, pte, level) ||
			     (ept && __is_bad_mt_xwr(&w->fmt, pte)))) {
			end_entries(path, refs, nr, nr - start);
			errcode = PFERR_RSVD_MASK | PFERR_PRESENT_MASK;
			goto error;
		}
		if (level == PG_LEVEL_4K || (pte & large_mask))
			break;
		level--;
	}
	end_entries(path, refs, nr, nr - start);
	if (first_pass) {
		forget_table_walks(rec->table_walks, steps_end);
		first_pass = false;
	}

	switch (stage_walk_leaf(w, addr, access, acc, fault, rec, sw, pte,
				pte_access, level, &errcode, f, nest)) {
	case STAGE_LEAF_DONE:
		return 0;
	case STAGE_LEAF_NESTED_FAULT:
		return 1;
	case STAGE_LEAF_FAULT:
		goto error;
	case STAGE_LEAF_RACED:
		(*rec->restarts)++;
		/* Forget the pass that lost an A/D race. */
		path->nr_entries = path_start;
		path->refs = path_refs_start;
		*refs = refs_start;
		/*
		 * Memory changed under the walk: a walk from the root
		 * translates every table again, as this pass does.
		 */
		nr_reusable = 0;
		goto retry_walk;
	}
	return 0;

error:
	if (first_pass)
		forget_table_walks(rec->table_walks, steps_end);
	fill_stage_fault(w, addr, access, errcode, pte_access, level, fault);
	return 1;
}

int stage_walk(struct kvm_pagewalk *w, u64 addr, u64 access,
	       const struct walk_access *acc, struct walk_fault *fault,
	       struct stage_record *rec, struct stage_walk *sw)
{
	/*
	 * Table and final addresses go through the nested stage only for
	 * gva_walk with one; the stage_record of a nested walk has neither.
	 */
	bool nest = w->nested && (rec->table_walks || rec->final_walk);

#define STAGE_WALK(f)                                                        \
	(nest ? __stage_walk(w, addr, access, acc, fault, rec, sw, f, true,  \
			     false, 0) :                                     \
		__stage_walk(w, addr, access, acc, fault, rec, sw, f, false, \
			     false, 0))
	if (w->role.ept)
		return STAGE_WALK(WALK_FORMAT_EPT);
	if (unlikely(walk_has_4_byte_gpte(w)))
		return STAGE_WALK(WALK_FORMAT_X86_32);
	return STAGE_WALK(WALK_FORMAT_X86_64);
#undef STAGE_WALK
}

/* @w is a gva_walk, so its entries are x86's. */
__attribute__((noinline)) int
stage_walk_resumed(struct kvm_pagewalk *w, u64 addr,
		   const struct walk_access *acc, struct walk_fault *fault,
		   struct stage_record *rec, struct stage_walk *sw,
		   unsigned int nr_saved)
{
	MMU_WARN_ON(w->role.ept);
	if (unlikely(walk_has_4_byte_gpte(w)))
		return __stage_walk(w, addr, acc->pfec, acc, fault, rec, sw,
				    WALK_FORMAT_X86_32, true, true, nr_saved);
	return __stage_walk(w, addr, acc->pfec, acc, fault, rec, sw,
			    WALK_FORMAT_X86_64, true, true, nr_saved);
}

/*
 * A 4- or 5-level guest: 8-byte entries, the first of them at the root's
 * level (no PDPTR).
 */
__attribute__((noinline)) int resume_from_leaf(struct kvm_pagewalk *w, u64 addr,
					       const struct walk_access *acc,
					       struct walk_fault *fault,
					       struct walk_record *rec,
					       struct stage_walk *sw)
{
	const struct guest_memory *mem = w->mem;
	struct walk_path *path = &rec->guest;
	unsigned int n = path->nr_entries, refs = n, i;
	struct stage_record srec = {
		.path = path,
		.table_walks = rec->table_walks,
		.final_walk = &rec->final_walk,
		.refs = &rec->refs,
		.restarts = &rec->restarts,
	};
	u64 pte = 0, pte_access = ~0ULL;
	u16 errcode;
	int level;

	MMU_WARN_ON(w->pte_size != 8 || w->role.ept ||
		    w->role.level < PT64_ROOT_4LEVEL || !n ||
		    path->entries[0].level != w->role.level);
	/*
	 * An entry that changed stops the loop: the table walks taken over
	 * so far are what stage_walk_resumed() takes over too, and the guest
	 * entries' addresses, all it reads of them, are as they were.
	 */
	for (i = 0; i < n; i++) {
		struct walk_entry *e = &path->entries[i];

		if (unlikely(!guest_memory_cache_read(mem, e->pte_gpa, 8,
						      &pte))) {
			struct entry_read er =
				read_entry_slow(mem, e->pte_gpa, 8);

			if (er.r)
				return -EAGAIN;
			pte = er.val;
		}
		if (pte != e->after)
			return -EAGAIN;
		e->before = pte;
		pte_access &= pte ^ PT64_NX_MASK;
		reuse_table_walk(&rec->table_walks[i], &refs);
	}
	forget_table_walks(rec->table_walks, n);
	path->refs = n;
	rec->refs = refs;
	level = path->entries[n - 1].level;
	sw->max_level = w->role.level;
	sw->first = 0;
	switch (stage_walk_leaf(w, addr, acc->pfec, acc, fault, &srec, sw, pte,
				pte_access, level, &errcode, WALK_FORMAT_X86_64,
				true)) {
	case STAGE_LEAF_DONE:
		return 0;
	case STAGE_LEAF_NESTED_FAULT:
		return 1;
	case STAGE_LEAF_FAULT:
		fill_stage_fault(w, addr, acc->pfec, errcode, pte_access, level,
				 fault);
		return 1;
	case STAGE_LEAF_RACED:
		break;
	}
	/* As __stage_walk() after a lost race: the walk again, in full. */
	rec->restarts++;
	path->nr_entries = 0;
	path->refs = 0;
	rec->refs = 0;
	return stage_walk(w, addr, acc->pfec, acc, fault, &srec, sw);
}
