/* The page walk of one stage, and the two-dimensional composition. */
#include <errno.h>
#include <string.h>

#include "walker/walker_internal.h"

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

/*
 * Translate the nGPA @ngpa of gva_walk @w through its nested stage with
 * the nested stage's @access: kvm_translate_gpa().  Without a nested stage
 * the nGPA is the GPA.
 */
__attribute__((noinline)) int
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
