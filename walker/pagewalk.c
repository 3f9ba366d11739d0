/* The page walk of one stage, and the two-dimensional composition. */
#include <errno.h>
#include <string.h>

#include "walker/walker_internal.h"

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

bool is_canonical_address(u64 addr, int level)
{
	unsigned int bits = linear_address_bits(level);

	return (u64)((s64)(addr << (64 - bits)) >> (64 - bits)) == addr;
}

const char *walk_fault_name(enum walk_fault_kind kind)
{
	switch (kind) {
	case WALK_FAULT_NONE:
		return "none";
	case WALK_FAULT_PF:
		return "#PF";
	case WALK_FAULT_GP:
		return "#GP";
	case WALK_FAULT_EPT_VIOLATION:
		return "EPT violation";
	case WALK_FAULT_EPT_MISCONFIG:
		return "EPT misconfiguration";
	case WALK_FAULT_NPF:
		return "NPF";
	}
	return "?";
}

int kvm_pagewalk_init(struct kvm_pagewalk *w, const struct cpu_role *role,
		      u64 root, struct guest_memory *mem,
		      struct kvm_pagewalk *nested)
{
	int r;

	if (!mem || nested == w)
		return -EINVAL;
	memset(w, 0, sizeof(*w));
	r = kvm_page_format_init(&w->fmt, role);
	if (r)
		return r;
	if (nested && !nested->role.tdp)
		return -EINVAL;
	w->role = *role;
	w->root = root;
	w->mem = mem;
	w->nested = nested;

	w->pte_present_mask = walk_present_mask(w);
	w->pte_large_mask = walk_large_mask(w);
	w->has_ad = walk_has_ad(w);
	w->pte_accessed_mask = BIT_ULL(walk_accessed_shift(w));
	w->pte_dirty_mask = BIT_ULL(walk_dirty_shift(w));
	w->pte_size = walk_has_4_byte_gpte(w) ? 4 : 8;
	w->fast_walk = w->role.level >= PT64_ROOT_4LEVEL;
	return 0;
}

static bool has_pferr_fetch(const struct kvm_pagewalk *w)
{
	return !w->role.ept && (w->role.efer_nx || w->role.cr4_smep);
}

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

/* An entry read: the value, and guest_memory_read()'s return. */
struct entry_read {
	u64 val;
	int r;
};

/*
 * A read that missed guest_memory's page cache, returned in registers so
 * that the walk's entry value never has its address taken.
 */
static __attribute__((noinline)) struct entry_read
read_entry_slow(const struct guest_memory *mem, u64 gpa, int size)
{
	struct entry_read er = { 0 };

	er.r = guest_memory_read(mem, gpa, size, &er.val);
	return er;
}

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
 * The fast path of a walk: the common case, in which every entry is in
 * memory, present and without reserved bits, the access is allowed and no
 * A/D flag needs setting.  Such a walk only reads memory and records what
 * it read, so when anything else happens the fast path gives up (returns
 * 0 or false) and the walk starts again in __stage_walk(), which records
 * over what the fast path recorded.  It handles 8-byte x86 and EPT
 * entries read from the root (fast_walk), with @ept a constant in every
 * caller.
 */

/* The address of the entry for @addr in the table that @pte points to. */
static inline u64 fast_entry_addr(u64 pte, u64 addr, unsigned int shift)
{
	return (pte & PT_BASE_ADDR_MASK) |
	       (((addr >> shift) & ((1U << PT64_LEVEL_BITS) - 1)) << 3);
}

/*
 * Read the entry of @level at @pte_gpa (@pte_addr in the walk's input
 * space) into *@ptep, record it at @e and check it: false when the fast
 * path must give up.  A hit in guest_memory's page cache is read inline.
 */
static __attribute__((always_inline)) inline bool
fast_read_entry(const struct kvm_pagewalk *w, u64 pte_addr, u64 pte_gpa,
		int level, struct walk_entry *e, u64 *ptep, const bool ept)
{
	const u64 present_mask = ept ? w->pte_present_mask : PT_PRESENT_MASK;
	/* get_rsvd_bits(): the rows of the table are PS clear and set. */
	const u64 *rsvd = &w->fmt.rsvd_bits_mask[0][level - 1];
	u64 pte;

	if (unlikely(!guest_memory_cache_read(w->mem, pte_gpa, 8, &pte))) {
		struct entry_read er = read_entry_slow(w->mem, pte_gpa, 8);

		if (er.r)
			return false;
		pte = er.val;
	}
	e->level = level;
	e->pte_addr = pte_addr;
	e->pte_gpa = pte_gpa;
	e->before = pte;
	e->after = pte;
	*ptep = pte;
	MMU_WARN_ON(level < 1 || level > PT64_ROOT_MAX_LEVEL);
	return likely(pte & present_mask) &&
	       likely(!(pte & rsvd[((pte >> PT_PAGE_SIZE_SHIFT) & 1) *
				   PT64_ROOT_MAX_LEVEL])) &&
	       likely(!(ept && __is_bad_mt_xwr(&w->fmt, pte)));
}

/*
 * The ACC_* rights of a walk whose entries ANDed (NX inverted) give
 * @pte_access and whose leaf is @pte, after protect_clean_gpte(): -1 when
 * the access faults or an A/D flag must be set.
 */
static __attribute__((always_inline)) inline int
fast_leaf_rights(const struct kvm_pagewalk *w, u64 pte_access, u64 pte,
		 u64 access, const struct walk_access *acc, const bool ept)
{
	const u64 nx_mask = ept ? 0 : PT64_NX_MASK;
	const u64 a_mask = ept ? EPT_ACCESSED_MASK : PT_ACCESSED_MASK;
	const u64 d_mask = ept ? EPT_DIRTY_MASK : PT_DIRTY_MASK;
	const bool has_ad = ept ? w->has_ad : true;
	unsigned int rights = gpte_access(ept, pte_access ^ nx_mask);
	u64 accessed_dirty;

	MMU_WARN_ON(w->pte_accessed_mask != a_mask ||
		    w->pte_dirty_mask != d_mask || w->has_ad != has_ad);
	if (unlikely(permission_fault_inline(
		    &w->fmt, rights,
		    ept ? 0 : (pte & PT_PKEY_MASK) >> PT_PKEY_SHIFT,
		    access & (PFERR_WRITE_MASK | PFERR_USER_MASK |
			      PFERR_FETCH_MASK | PFERR_IMPLICIT_ACCESS),
		    acc ? acc->rflags_ac : false, acc ? acc->pkru : 0)))
		return -1;
	if (!has_ad)
		return rights;

	/* A on every level, and D on the leaf of a write. */
	accessed_dirty = pte_access & a_mask;
	if (!(access & PFERR_WRITE_MASK)) {
		/* protect_clean_gpte(): a clean leaf is not writable yet. */
		if (!(pte & d_mask))
			rights &= ~ACC_WRITE_MASK;
	} else {
		accessed_dirty &= pte >>
				  (ept ? EPT_DIRTY_SHIFT - EPT_ACCESSED_SHIFT :
					 PT_DIRTY_SHIFT - PT_ACCESSED_SHIFT);
	}
	return likely(accessed_dirty) ? (int)rights : -1;
}

/*
 * The fast path of one stage without a nested stage (a 1D walk, or a
 * nested stage): the number of entries read, recorded from @entries on,
 * with sw->level, ->pte_access, ->ngpa and ->gfn as __stage_walk() sets
 * them; the caller counts the entries and references.  0 to give up.
 * @acc is NULL for a nested stage.
 */
static __attribute__((always_inline)) inline unsigned int
stage_walk_fast(const struct kvm_pagewalk *w, u64 addr, u64 access,
		const struct walk_access *acc, struct walk_entry *entries,
		struct stage_walk *sw, const bool ept)
{
	const u64 nx_mask = ept ? 0 : PT64_NX_MASK;
	struct walk_entry *e = entries;
	int level = w->role.level;
	unsigned int shift = PAGE_SHIFT + (level - 1) * PT64_LEVEL_BITS;
	u64 pte = w->root, pte_access = ~0ULL, mask;
	int rights;

	MMU_WARN_ON(!w->fast_walk || w->role.ept != ept || w->pte_size != 8 ||
		    w->pte_large_mask != PT_PAGE_SIZE_MASK);

	for (;;) {
		u64 pte_gpa = fast_entry_addr(pte, addr, shift);

		if (!fast_read_entry(w, pte_gpa, pte_gpa, level, e++, &pte,
				     ept))
			return 0;
		pte_access &= pte ^ nx_mask;
		if (level == PG_LEVEL_4K || (pte & PT_PAGE_SIZE_MASK))
			break;
		level--;
		shift -= PT64_LEVEL_BITS;
	}

	rights = fast_leaf_rights(w, pte_access, pte, access, acc, ept);
	if (rights < 0)
		return 0;
	mask = BIT_ULL(shift) - 1;
	sw->level = level;
	sw->pte_access = rights;
	sw->ngpa = (pte & PT_BASE_ADDR_MASK & ~mask) | (addr & mask);
	sw->gfn = gpa_to_gfn(sw->ngpa);
	/* One entry a level, from the root down to the leaf. */
	return w->role.level - level + 1;
}

static void record_ad_update(struct walk_path *path, u64 pte_gpa, u64 pte)
{
	int i;

	for (i = 0; i < path->nr_entries; i++)
		if (path->entries[i].pte_gpa == pte_gpa)
			path->entries[i].after = pte;
}

static int stage_walk(struct kvm_pagewalk *w, u64 addr, u64 access,
		      const struct walk_access *acc, struct walk_fault *fault,
		      struct stage_record *rec, struct stage_walk *sw);

/*
 * translate_ngpa() in the general walk of the nested stage, for a
 * translation the nested stage's fast path gave up on.
 */
static __attribute__((noinline)) int
translate_ngpa_slow(struct kvm_pagewalk *w, u64 ngpa, u64 access, u64 gva,
		    struct walk_fault *fault, struct walk_path *path,
		    unsigned int *refs, unsigned int *restarts, u64 *gpa)
{
	struct stage_record nested_rec = {
		.path = path,
		.refs = refs,
		.restarts = restarts,
	};
	struct stage_walk sw;
	int r;

	r = stage_walk(w->nested, ngpa, access, NULL, fault, &nested_rec, &sw);
	if (r) {
		fault->gva = gva;
		return r;
	}
	*gpa = gfn_to_gpa(sw.gfn) | (ngpa & PAGE_OFFSET_MASK);
	return 0;
}

/*
 * Translate the nGPA @ngpa of gva_walk @w through its nested stage with
 * the nested stage's @access: kvm_translate_gpa().  Without a nested stage
 * the nGPA is the GPA.
 */
static __attribute__((noinline)) int
translate_ngpa(struct kvm_pagewalk *w, u64 ngpa, u64 access, u64 gva,
	       struct walk_fault *fault, struct walk_path *path,
	       unsigned int *refs, unsigned int *restarts, u64 *gpa)
{
	struct stage_walk sw;

	if (!w->nested) {
		*gpa = ngpa;
		return 0;
	}
	if (likely(w->nested->fast_walk)) {
		struct kvm_pagewalk *nested = w->nested;
		struct walk_entry *entries = &path->entries[path->nr_entries];
		unsigned int n;

		if (nested->role.ept)
			n = stage_walk_fast(nested, ngpa, access, NULL, entries,
					    &sw, true);
		else
			n = stage_walk_fast(nested, ngpa, access, NULL, entries,
					    &sw, false);
		if (likely(n)) {
			end_entries(path, refs, path->nr_entries + n, n);
			*gpa = gfn_to_gpa(sw.gfn) | (ngpa & PAGE_OFFSET_MASK);
			return 0;
		}
	}
	return translate_ngpa_slow(w, ngpa, access, gva, fault, path, refs,
				   restarts, gpa);
}

/*
 * The access the nested stage checks for an access of gva_walk.  A guest
 * table access is an implicit access that EPT treats as a write when its
 * A/D flags are on (the CPU may set A/D in the table) and NPT always
 * treats as a user write.  For the final address, EPT with MBEC tells user
 * from supervisor fetches by the guest leaf's U/S bit; NPT treats every
 * access as a user access except supervisor fetches under GMET.
 */
static u64 nested_access(const struct kvm_pagewalk *nested, u64 access,
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

static void fill_stage_fault(const struct kvm_pagewalk *w, u64 addr, u64 access,
			     u16 errcode, u64 raw_access, int level,
			     struct walk_fault *fault)
{
	memset(fault, 0, sizeof(*fault));
	errcode |= access & (PFERR_WRITE_MASK | PFERR_USER_MASK);
	if ((access & PFERR_FETCH_MASK) && has_pferr_fetch(w))
		errcode |= PFERR_FETCH_MASK;

	fault->error_code = errcode;
	fault->address = addr;
	fault->gva = addr;
	fault->level = level;
	fault->nested = w->role.tdp;

	if (!w->role.tdp) {
		fault->kind = WALK_FAULT_PF;
		fault->vector = PF_VECTOR;
		return;
	}
	if (!w->role.ept) {
		fault->kind = WALK_FAULT_NPF;
		fault->error_code |= access & (PFERR_GUEST_FINAL_MASK |
					       PFERR_GUEST_PAGE_MASK);
		return;
	}
	if (errcode & PFERR_RSVD_MASK) {
		/*
		 * The exit reports no access; @error_code keeps the stage's
		 * (RSVD, W, U, F, final or paging-structure) for the MMU,
		 * which knows what the CPU was doing when the SPTE it made
		 * turns out to be an MMIO SPTE of an old generation.
		 */
		fault->kind = WALK_FAULT_EPT_MISCONFIG;
		fault->error_code |=
			access & (PFERR_FETCH_MASK | PFERR_GUEST_FINAL_MASK |
				  PFERR_GUEST_PAGE_MASK);
		return;
	}

	fault->kind = WALK_FAULT_EPT_VIOLATION;
	if (access & PFERR_WRITE_MASK)
		fault->exit_qualification = EPT_VIOLATION_ACC_WRITE;
	else if (access & PFERR_FETCH_MASK)
		fault->exit_qualification = EPT_VIOLATION_ACC_INSTR;
	else
		fault->exit_qualification = EPT_VIOLATION_ACC_READ;
	fault->exit_qualification |= EPT_VIOLATION_GVA_IS_VALID;
	if (access & PFERR_GUEST_PAGE_MASK)
		fault->exit_qualification |= EPT_VIOLATION_ACC_READ;
	else
		fault->exit_qualification |= EPT_VIOLATION_GVA_TRANSLATED;
	/* The R/W/X (and XU) rights ANDed over the levels walked so far. */
	fault->exit_qualification |= (raw_access & EPT_RWX_MASK)
				     << EPT_VIOLATION_RWX_SHIFT;
	if (w->role.cr4_smep && (raw_access & EPT_USER_EXECUTABLE_MASK))
		fault->exit_qualification |= EPT_VIOLATION_PROT_USER_EXEC;
	/*
	 * For a final translation, nested_access() put the linear address's
	 * user-mode bit (the guest's U/S ANDed over the levels) in
	 * PFERR_USER_MASK; the SDM leaves bit 9 undefined otherwise.
	 */
	if (w->ept_advanced_exit_info && !(access & PFERR_GUEST_PAGE_MASK) &&
	    (access & PFERR_USER_MASK))
		fault->exit_qualification |= EPT_VIOLATION_GVA_USER;
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
	     const enum walk_format f, const bool nest)
{
	static const struct walk_access nested_stage_access = { 0 };
	const bool ept = f == WALK_FORMAT_EPT;
	const unsigned int level_bits = pt_level_bits(f == WALK_FORMAT_X86_32);
	const unsigned int index_mask = (1U << level_bits) - 1;
	const unsigned int size_shift = f == WALK_FORMAT_X86_32 ? 2 : 3;
	const int size = 1 << size_shift;
	const u64 base_mask = f == WALK_FORMAT_X86_32 ? PT32_BASE_ADDR_MASK :
							PT_BASE_ADDR_MASK;
	const u64 nx_mask = f == WALK_FORMAT_X86_64 ? PT64_NX_MASK : 0;
	const u64 present_mask = ept ? w->pte_present_mask : PT_PRESENT_MASK;
	const u64 large_mask = f == WALK_FORMAT_X86_32 ? w->pte_large_mask :
							 PT_PAGE_SIZE_MASK;
	const u64 a_mask = ept ? EPT_ACCESSED_MASK : PT_ACCESSED_MASK;
	const u64 d_mask = ept ? EPT_DIRTY_MASK : PT_DIRTY_MASK;
	const bool has_ad = ept ? w->has_ad : true;
	const struct guest_memory *mem = w->mem;
	struct walk_path *path = rec->path;
	unsigned int *refs = rec->refs;
	bool write_fault = access & PFERR_WRITE_MASK;
	/* Only gva_walk with a nested stage translates its table addresses. */
	bool nested_tables = nest && rec->table_walks;
	bool nested_final = nest && rec->final_walk;
	unsigned int path_start = path->nr_entries;
	unsigned int refs_start = *refs;
	unsigned int path_refs_start = path->refs;
	u64 table_access = 0;
	u64 pte, pte_access, accessed_dirty, ngpa, gpa;
	unsigned int start, nr, shift;
	u16 errcode;
	int level, r;

	MMU_WARN_ON(w->role.ept != ept ||
		    walk_has_4_byte_gpte(w) != (f == WALK_FORMAT_X86_32));
	MMU_WARN_ON(nest !=
		    (w->nested && (rec->table_walks || rec->final_walk)));
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

			tw->nr_entries = 0;
			tw->refs = 0;
			r = translate_ngpa(w, pte_ngpa, table_access, addr,
					   fault, tw, refs, rec->restarts,
					   &tw_gpa);
			if (r) {
				end_entries(path, refs, nr, nr - start);
				return r;
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

	sw->level = level;
	accessed_dirty = has_ad ? (pte_access & a_mask) : 0;
	sw->pte_access = gpte_access(ept, pte_access ^ nx_mask);

	errcode = permission_fault_inline(
		&w->fmt, sw->pte_access,
		nx_mask ? (pte & PT_PKEY_MASK) >> PT_PKEY_SHIFT : 0,
		access & (PFERR_WRITE_MASK | PFERR_USER_MASK |
			  PFERR_FETCH_MASK | PFERR_IMPLICIT_ACCESS),
		acc->rflags_ac, acc->pkru);
	if (unlikely(errcode))
		goto error;

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
				   addr, fault, rec->final_walk, refs,
				   rec->restarts, &final_gpa);
		if (r)
			return r;
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

	if (unlikely(!accessed_dirty && has_ad)) {
		switch (update_accessed_dirty_bits(w, sw, write_fault, addr,
						   fault, path)) {
		case AD_UPDATE_DONE:
			break;
		case AD_UPDATE_RACED:
			(*rec->restarts)++;
			/* Forget the pass that lost an A/D race. */
			path->nr_entries = path_start;
			path->refs = path_refs_start;
			*refs = refs_start;
			goto retry_walk;
		case AD_UPDATE_NESTED_FAULT:
			return 1;
		case AD_UPDATE_NO_MEMORY:
			goto error;
		}
	}
	return 0;

error:
	fill_stage_fault(w, addr, access, errcode, pte_access, level, fault);
	return 1;
}

static int stage_walk(struct kvm_pagewalk *w, u64 addr, u64 access,
		      const struct walk_access *acc, struct walk_fault *fault,
		      struct stage_record *rec, struct stage_walk *sw)
{
	/*
	 * Table and final addresses go through the nested stage only for
	 * gva_walk with one; the stage_record of a nested walk has neither.
	 */
	bool nest = w->nested && (rec->table_walks || rec->final_walk);

#define STAGE_WALK(f)                                                         \
	(nest ? __stage_walk(w, addr, access, acc, fault, rec, sw, f, true) : \
		__stage_walk(w, addr, access, acc, fault, rec, sw, f, false))
	if (w->role.ept)
		return STAGE_WALK(WALK_FORMAT_EPT);
	if (unlikely(walk_has_4_byte_gpte(w)))
		return STAGE_WALK(WALK_FORMAT_X86_32);
	return STAGE_WALK(WALK_FORMAT_X86_64);
#undef STAGE_WALK
}

int kvm_pagewalk_load_pdptrs(struct kvm_pagewalk *w, struct walk_fault *fault)
{
	u64 pdpt_ngpa = w->root & PAE_CR3_PDPT_MASK;
	u64 pdpt_gpa = pdpt_ngpa;
	int i, r;

	w->pdptrs_valid = false;
	if (w->role.ept || w->role.level != PT32E_ROOT_LEVEL)
		return -EINVAL;

	if (w->nested) {
		struct walk_path path = { 0 };
		unsigned int refs = 0;
		unsigned int restarts = 0;

		/*
		 * The CPU reads the PDPTEs on MOV to CR3 as plain reads: they
		 * set no dirty flag in the nested stage.
		 */
		u64 access = PFERR_GUEST_PAGE_MASK |
			     (w->nested->role.ept ? 0 : PFERR_USER_MASK);

		r = translate_ngpa(w, pdpt_ngpa, access, pdpt_ngpa, fault,
				   &path, &refs, &restarts, &pdpt_gpa);
		if (r) {
			/* A PDPTE load is not the translation of a linear address. */
			fault->exit_qualification &=
				~(EPT_VIOLATION_GVA_IS_VALID |
				  EPT_VIOLATION_GVA_TRANSLATED);
			fault->gva = 0;
			return r;
		}
	}

	for (i = 0; i < PAE_NR_PDPTES; i++) {
		u64 pdpte;

		if (guest_memory_read(w->mem, pdpt_gpa + i * 8, 8, &pdpte))
			return -EFAULT;
		if ((pdpte & PT_PRESENT_MASK) &&
		    (pdpte & w->fmt.rsvd_bits_mask[0][PT32E_ROOT_LEVEL - 1]))
			return -EINVAL;
		w->pdptrs[i] = pdpte;
	}
	w->pdptrs_valid = true;
	return 0;
}

static void init_record(struct walk_record *rec)
{
	int i;

	rec->guest.nr_entries = 0;
	rec->guest.refs = 0;
	rec->final_walk.nr_entries = 0;
	rec->final_walk.refs = 0;
	for (i = 0; i < WALK_MAX_LEVELS; i++) {
		rec->table_walks[i].nr_entries = 0;
		rec->table_walks[i].refs = 0;
	}
	rec->refs = 0;
	rec->restarts = 0;
	rec->ngpa = INVALID_GPA;
	rec->gpa = INVALID_GPA;
	rec->hpa = INVALID_HPA;
	rec->pte_access = 0;
	rec->leaf_level = 0;
	rec->two_dimensional = false;
}

static int check_linear_address(const struct kvm_pagewalk *w, u64 addr,
				struct walk_fault *fault)
{
	if (w->role.level < PT64_ROOT_4LEVEL) {
		if (addr >> 32)
			return -ERANGE;
		return 0;
	}
	if (is_canonical_address(addr, w->role.level))
		return 0;
	memset(fault, 0, sizeof(*fault));
	fault->kind = WALK_FAULT_GP;
	fault->vector = GP_VECTOR;
	fault->address = addr;
	fault->gva = addr;
	return 1;
}

/* How gva_walk_fast() ended. */
enum fast_walk_outcome {
	/* Gave up: *rec is undefined, the general walk starts over. */
	FAST_WALK_GIVE_UP,
	/* Translated: *rec but rec->hpa as gva_walk_translate() leaves it. */
	FAST_WALK_TRANSLATED,
	/*
	 * Ended as the general walk would, without translating: a fault
	 * in *fault (or an error), *rec as gva_walk_translate() leaves it.
	 */
	FAST_WALK_FAULTED,
};

/*
 * The guest stage of a two-dimensional walk stayed on the fast path and
 * only the final address left it (a nested fault such as the EPT
 * violation of a page not mapped yet, or an A/D flag to set): finish as
 * __stage_walk() does from its translate_ngpa() of the final address on,
 * whose state the fast path has reached, there from the general walk of
 * the nested stage, whose fast path just gave up on the same address.
 * The guest leaf's A/D flags are set, so __stage_walk() would update none
 * after it.  *@ret: what gva_walk_translate() returns.
 */
static __attribute__((noinline)) enum fast_walk_outcome
finish_final_translation(struct kvm_pagewalk *w, u64 addr, u64 ngpa,
			 u64 final_access, struct walk_fault *fault,
			 struct walk_record *rec, int *ret)
{
	u64 gpa;

	rec->final_walk.nr_entries = 0;
	rec->final_walk.refs = 0;
	/* The nested stage's fast path gave up on it already. */
	*ret = translate_ngpa_slow(w, ngpa, final_access, addr, fault,
				   &rec->final_walk, &rec->refs, &rec->restarts,
				   &gpa);
	if (*ret) {
		/* gva_walk_translate() sets no output of a failed walk. */
		rec->ngpa = INVALID_GPA;
		rec->gpa = INVALID_GPA;
		rec->hpa = INVALID_HPA;
		rec->pte_access = 0;
		rec->leaf_level = 0;
		return FAST_WALK_FAULTED;
	}
	rec->gpa = gpa;
	return FAST_WALK_TRANSLATED;
}

/*
 * The fast path of gva_walk @w (a 4- or 5-level guest), one-dimensional
 * or, with @nested_ept telling the nested stage's format, through its
 * nested stage.  *@fault is clear; *@ret is set for FAST_WALK_FAULTED.
 */
static __attribute__((always_inline)) inline enum fast_walk_outcome
gva_walk_fast(struct kvm_pagewalk *w, u64 addr, const struct walk_access *acc,
	      struct walk_fault *fault, struct walk_record *rec, int *ret,
	      const bool nest, const bool nested_ept)
{
	const struct kvm_pagewalk *nested = w->nested;
	u64 access = acc->pfec;
	u64 table_access = nest ? nested_access(nested, access, true, 0) : 0;
	struct walk_entry *e = rec->guest.entries;
	struct walk_path *tw = rec->table_walks;
	int level = w->role.level;
	unsigned int shift = PAGE_SHIFT + (level - 1) * PT64_LEVEL_BITS;
	u64 pte = w->root, pte_access = ~0ULL, mask, ngpa;
	unsigned int refs = 0, n;
	struct stage_walk sw;
	int rights;

	MMU_WARN_ON(!w->fast_walk || w->role.ept || w->pte_size != 8 ||
		    w->pte_large_mask != PT_PAGE_SIZE_MASK);
	MMU_WARN_ON(nest != !!nested);

	for (;;) {
		u64 pte_ngpa = fast_entry_addr(pte, addr, shift);
		u64 pte_gpa = pte_ngpa;

		if (nest) {
			n = stage_walk_fast(nested, pte_ngpa, table_access,
					    NULL, tw->entries, &sw, nested_ept);
			if (!n)
				return FAST_WALK_GIVE_UP;
			tw->nr_entries = n;
			tw->refs = n;
			refs += n;
			tw++;
			pte_gpa = gfn_to_gpa(sw.gfn) |
				  (pte_ngpa & PAGE_OFFSET_MASK);
		}
		if (!fast_read_entry(w, pte_ngpa, pte_gpa, level, e++, &pte,
				     false))
			return FAST_WALK_GIVE_UP;
		pte_access &= pte ^ PT64_NX_MASK;
		if (level == PG_LEVEL_4K || (pte & PT_PAGE_SIZE_MASK))
			break;
		level--;
		shift -= PT64_LEVEL_BITS;
	}

	rights = fast_leaf_rights(w, pte_access, pte, access, acc, false);
	if (rights < 0)
		return FAST_WALK_GIVE_UP;
	mask = BIT_ULL(shift) - 1;
	ngpa = (pte & PT_BASE_ADDR_MASK & ~mask) | (addr & mask);
	/* The table walks the guest's levels did not need. */
	for (; tw < &rec->table_walks[WALK_MAX_LEVELS]; tw++) {
		tw->nr_entries = 0;
		tw->refs = 0;
	}
	n = w->role.level - level + 1;
	rec->guest.nr_entries = n;
	rec->guest.refs = n;
	rec->restarts = 0;
	rec->two_dimensional = nest;
	rec->ngpa = ngpa;
	rec->pte_access = rights;
	rec->leaf_level = level;
	rec->gpa = ngpa;
	rec->final_walk.nr_entries = 0;
	rec->final_walk.refs = 0;
	refs += n;
	if (nest) {
		/*
		 * protect_clean_gpte() may have taken W from @rights;
		 * nested_access() reads only U.
		 */
		u64 final_access = nested_access(nested, access, false, rights);

		n = stage_walk_fast(nested, ngpa, final_access, NULL,
				    rec->final_walk.entries, &sw, nested_ept);
		if (unlikely(!n)) {
			rec->refs = refs;
			return finish_final_translation(
				w, addr, ngpa, final_access, fault, rec, ret);
		}
		rec->final_walk.nr_entries = n;
		rec->final_walk.refs = n;
		refs += n;
		rec->gpa = gfn_to_gpa(sw.gfn) | (ngpa & PAGE_OFFSET_MASK);
	}
	rec->refs = refs;
	return FAST_WALK_TRANSLATED;
}

/*
 * gva_walk_fast() for @w, when it can take it: the variant for its nested
 * stage.
 */
static enum fast_walk_outcome
gva_walk_try_fast(struct kvm_pagewalk *w, u64 addr,
		  const struct walk_access *acc, struct walk_fault *fault,
		  struct walk_record *rec, int *ret)
{
	if (!w->fast_walk || w->role.tdp ||
	    !is_canonical_address(addr, w->role.level))
		return FAST_WALK_GIVE_UP;
	if (!w->nested)
		return gva_walk_fast(w, addr, acc, fault, rec, ret, false,
				     false);
	if (!w->nested->fast_walk)
		return FAST_WALK_GIVE_UP;
	if (w->nested->role.ept)
		return gva_walk_fast(w, addr, acc, fault, rec, ret, true, true);
	return gva_walk_fast(w, addr, acc, fault, rec, ret, true, false);
}

int gva_walk_translate(struct kvm_pagewalk *w, u64 addr,
		       const struct walk_access *access,
		       struct walk_fault *fault, struct walk_record *rec)
{
	struct walk_record scratch;
	struct stage_record srec;
	enum fast_walk_outcome fast;
	struct stage_walk sw;
	int r;

	if (!rec)
		rec = &scratch;
	memset(fault, 0, sizeof(*fault));
	fast = gva_walk_try_fast(w, addr, access, fault, rec, &r);
	if (likely(fast == FAST_WALK_TRANSLATED))
		goto out;
	if (fast == FAST_WALK_FAULTED)
		return r;

	init_record(rec);
	if (w->role.tdp)
		return -EINVAL;
	if (w->role.level == PT32E_ROOT_LEVEL && !w->pdptrs_valid)
		return -EINVAL;
	r = check_linear_address(w, addr, fault);
	if (r)
		return r;

	rec->two_dimensional = w->nested != NULL;

	if (!w->role.level) {
		/* Paging off: the GVA is the nGPA; all pages count as user. */
		rec->pte_access = ACC_ALL;
		rec->ngpa = addr;
		r = translate_ngpa(w, addr,
				   w->nested ? nested_access(w->nested,
							     access->pfec,
							     false, ACC_ALL) :
					       0,
				   addr, fault, &rec->final_walk, &rec->refs,
				   &rec->restarts, &rec->gpa);
		if (r)
			return r;
		goto out;
	}

	srec = (struct stage_record){
		.path = &rec->guest,
		.table_walks = rec->table_walks,
		.final_walk = &rec->final_walk,
		.refs = &rec->refs,
		.restarts = &rec->restarts,
	};
	r = stage_walk(w, addr, access->pfec, access, fault, &srec, &sw);
	if (r)
		return r;
	rec->pte_access = sw.pte_access;
	rec->leaf_level = sw.level;
	rec->gpa = gfn_to_gpa(sw.gfn) | (addr & PAGE_OFFSET_MASK);
	/*
	 * The leaf as read and as recorded after A/D differ only in A/D
	 * bits, which are not address bits.
	 */
	rec->ngpa = sw.ngpa;
out:
	rec->hpa = guest_memory_gpa_to_hpa(w->mem, rec->gpa);
	return 0;
}

int ngpa_walk_translate(struct kvm_pagewalk *w, u64 ngpa,
			const struct walk_access *access,
			struct walk_fault *fault, struct walk_record *rec)
{
	struct walk_record scratch;
	u64 stage_access;
	struct stage_record srec;
	struct stage_walk sw;
	unsigned int n;
	int r;

	if (!rec)
		rec = &scratch;
	init_record(rec);
	memset(fault, 0, sizeof(*fault));
	if (!w->role.tdp)
		return -EINVAL;

	srec = (struct stage_record){
		.path = &rec->guest,
		.refs = &rec->refs,
		.restarts = &rec->restarts,
	};
	/* A paging-structure access of the guest, or the final address. */
	stage_access = access->pfec &
		       (PFERR_WRITE_MASK | PFERR_USER_MASK | PFERR_FETCH_MASK);
	if (access->pfec & PFERR_GUEST_PAGE_MASK)
		stage_access |= PFERR_GUEST_PAGE_MASK;
	else
		stage_access |= PFERR_GUEST_FINAL_MASK;
	n = 0;
	if (likely(w->fast_walk))
		n = w->role.ept ?
			    stage_walk_fast(w, ngpa, stage_access, NULL,
					    rec->guest.entries, &sw, true) :
			    stage_walk_fast(w, ngpa, stage_access, NULL,
					    rec->guest.entries, &sw, false);
	if (likely(n)) {
		end_entries(&rec->guest, &rec->refs, n, n);
	} else {
		r = stage_walk(w, ngpa, stage_access, NULL, fault, &srec, &sw);
		if (r)
			return r;
	}
	rec->ngpa = ngpa;
	rec->gpa = gfn_to_gpa(sw.gfn) | (ngpa & PAGE_OFFSET_MASK);
	rec->hpa = guest_memory_gpa_to_hpa(w->mem, rec->gpa);
	rec->pte_access = sw.pte_access;
	rec->leaf_level = sw.level;
	return 0;
}
