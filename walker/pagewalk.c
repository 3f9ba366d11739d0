/* The page walk of one stage, and the two-dimensional composition. */
#include <errno.h>
#include <string.h>

#include "walker/fast_walk_internal.h"

bool is_canonical_address(u64 addr, int level)
{
	return __is_canonical_address(addr, level);
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
	unsigned int n;

	if (!w->nested) {
		*gpa = ngpa;
		return 0;
	}
	n = nested_walk_fast(w->nested, 0, ngpa, access,
			     &path->entries[path->nr_entries], &sw);
	if (likely(n)) {
		end_entries(path, refs, path->nr_entries + n, n);
		*gpa = sw.ngpa;
		return 0;
	}
	return translate_ngpa_slow(w, ngpa, access, gva, fault, path, refs,
				   restarts, gpa);
}

static void init_record(struct walk_record *rec)
{
	int i;

	walk_record_reset(rec);
	for (i = 0; i < WALK_MAX_LEVELS; i++) {
		rec->table_walks[i].nr_entries = 0;
		rec->table_walks[i].refs = 0;
	}
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
 * whose state the fast path has reached.  The nested stage's fast path
 * gave up on the address at @stop_level (stage_walk_fast()), its entries
 * down to there recorded in rec->final_walk: at an entry not present
 * below checked entries, the nested walk ends there, else in the general
 * walk of the nested stage.
 * The guest leaf's A/D flags are set, so __stage_walk() would update none
 * after it.  *@ret: what gva_walk_translate() returns.
 */
static __attribute__((noinline)) enum fast_walk_outcome
finish_final_translation(struct kvm_pagewalk *w, u64 addr, u64 ngpa,
			 u64 final_access, int stop_level,
			 struct walk_fault *fault, struct walk_record *rec,
			 int *ret)
{
	const struct kvm_pagewalk *nested = w->nested;
	unsigned int nr_read = nested->role.level - stop_level + 1;
	u64 gpa;

	rec->final_walk.nr_entries = 0;
	rec->final_walk.refs = 0;
	/*
	 * An entry WALK_TABLE_NONE just above the one not present was never
	 * checked, but taken for an empty slot's key (stage_walk_fast()).
	 */
	if (stop_level &&
	    !(rec->final_walk.entries[nr_read - 1].before &
	      nested->pte_present_mask) &&
	    !(nr_read > 1 &&
	      rec->final_walk.entries[nr_read - 2].before == WALK_TABLE_NONE))
		*ret = translate_ngpa_not_present(w, ngpa, final_access, addr,
						  fault, &rec->final_walk,
						  &rec->refs, nr_read);
	else
		*ret = translate_ngpa_slow(w, ngpa, final_access, addr, fault,
					   &rec->final_walk, &rec->refs,
					   &rec->restarts, &gpa);
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
 * One level of gva_walk_fast()'s guest stage through its nested stage:
 * translate the table at *@ptep through the nested stage (the entries it
 * reads recorded at **@tw when @tw is not NULL), read and check the entry
 * of @level (recorded at **@e likewise) into *@ptep.  1 when it is the
 * leaf (*@ngpa set), 0 to go on, -1 to give up.
 */
static __attribute__((always_inline)) inline int
gva_walk_fast_2d_level(struct kvm_pagewalk *w, const u64 *nested_root, u64 addr,
		       u64 access, const struct walk_access *acc,
		       u64 table_access, struct walk_path **tw,
		       struct walk_entry **e, u64 *ptep, u64 *ngpa, int *rights,
		       unsigned int *refs, const int level, const int levels,
		       const bool nested_ept, const int nested_levels)
{
	struct kvm_pagewalk *nested = w->nested;
	/* The nested stage's row for guest tables of @level. */
	const struct walk_path_memo *memo = &nested->path_memo[level - 1];
	/* The guest's last entry of @level found to point to a table. */
	struct walk_table_cache *c = &w->entry_cache[0][level - 1];
	u64 table_ngpa = *ptep & PT_BASE_ADDR_MASK;
	unsigned int index = fast_index(addr, level);
	struct stage_walk sw;
	const u64 *page;
	unsigned int n;
	u64 pte;

	MMU_WARN_ON(level > levels);
	/* The table's page: its offset in the page is 0. */
	if (likely(path_memo_holds(memo, table_ngpa, table_access,
				   nested_levels))) {
		n = memo->nr_entries;
		sw.ngpa = memo->ngpa;
		if (tw)
			path_memo_record(memo, (*tw)->entries, nested_levels);
	} else {
		n = stage_walk_fast(nested, nested_root, level, table_ngpa,
				    table_access, NULL,
				    tw ? (*tw)->entries : NULL, &sw, nested_ept,
				    nested_levels);
		if (!n)
			return -1;
	}
	if (tw) {
		(*tw)->nr_entries = n;
		(*tw)->refs = n;
		(*tw)++;
	}
	*refs += n;
	page = table_cache_page(w->mem, &w->table_cache[level - 1], sw.ngpa);
	if (unlikely(!page))
		return -1;
	pte = page[index];
	*ptep = pte;
	if (e)
		fast_record((*e)++, level, table_ngpa | (index * sizeof(u64)),
			    sw.ngpa | (index * sizeof(u64)), pte);
	/*
	 * A table checked before at this level; not an empty slot's key,
	 * which is no checked entry and has no page here to give up on.
	 */
	if (level > PG_LEVEL_4K && likely(pte == c->key) &&
	    likely(pte != WALK_TABLE_NONE))
		return 0;
	if (level > PG_LEVEL_4K && c->key != WALK_TABLE_NONE &&
	    fast_entry_like_key(w, pte, c->key, level)) {
		/* A checked entry's like: a table, with the key's rights. */
		c->key = pte;
		return 0;
	}
	if (fast_leaf_is_cached(w, level, &w->leaf_cache[0], pte, access,
				acc)) {
		*rights = w->leaf_cache[0].rights;
		*ngpa = fast_leaf_address(pte, addr, level);
		return 1;
	}
	if (unlikely(!fast_entry_ok(w, pte, level, false)))
		return -1;
	if (!fast_is_leaf(pte, level)) {
		/*
		 * Checked, and a table: kept in entry_cache row 0 as a 1D
		 * walk keeps it, but with the empty table's page (the
		 * table's address is an nGPA), on which a 1D walk that
		 * meets it gives up.
		 */
		entry_cache_forget_leaf(w, 0, level, pte, false);
		c->key = pte;
		c->page = walk_empty_table;
		c->span = GUEST_MEMORY_SPAN_EMPTY;
		c->like_pages = 0;
		return 0;
	}
	*ngpa = fast_leaf_address(pte, addr, level);
	return 1;
}

/*
 * The fast path of gva_walk @w (a @levels-level guest), one-dimensional
 * or, with @nest, through its nested stage of format @nested_ept and
 * @nested_levels levels.  With @record it fills *@rec (but rec->hpa),
 * else only *@out.  *@fault is clear; *@ret is set for FAST_WALK_FAULTED,
 * which only @record returns.
 */
static __attribute__((always_inline)) inline enum fast_walk_outcome
gva_walk_fast(struct kvm_pagewalk *w, u64 addr, const struct walk_access *acc,
	      struct walk_fault *fault, struct walk_record *rec,
	      struct walk_translation *out, int *ret, const bool record,
	      const int levels, const bool nest, const bool nested_ept,
	      const int nested_levels)
{
	struct kvm_pagewalk *nested = w->nested;
	u64 access = acc->pfec;
	u64 table_access =
		nest ? path_memo_access(nested_access(nested, access, true, 0),
					record) :
		       0;
	struct walk_entry *e = record ? rec->guest.entries : NULL;
	struct walk_path *tw = record ? rec->table_walks : NULL;
	u64 pte = w->root, ngpa = 0, gpa;
	const u64 *nested_root = NULL;
	unsigned int refs = 0, n;
	struct stage_walk sw;
	/* Not known yet: -1. */
	int level, rights = -1;

	MMU_WARN_ON(!w->fast_walk || w->role.ept || w->pte_size != 8 ||
		    w->pte_large_mask != PT_PAGE_SIZE_MASK ||
		    w->role.level != levels);
	MMU_WARN_ON(nest != !!nested);
	MMU_WARN_ON(nest &&
		    (!nested->fast_walk || nested->role.ept != nested_ept ||
		     nested->role.level != nested_levels));

	table_cache_check(w);
	if (!nest) {
		const u64 *root = stage_root_page(w);

		if (unlikely(!root))
			return FAST_WALK_GIVE_UP;
		n = stage_walk_fast(w, root, 0, addr, access, acc, e, &sw,
				    false, levels);
		if (!n)
			return FAST_WALK_GIVE_UP;
		level = sw.level;
		rights = sw.pte_access;
		ngpa = sw.ngpa;
		pte = sw.leaf_pte;
		goto translated;
	}

	table_cache_check(nested);
	nested_root = stage_root_page(nested);
	if (unlikely(!nested_root))
		return FAST_WALK_GIVE_UP;
		/*
	 * One guest level at a time, each with its level a constant (a
	 * loop around the inlined nested walks is not unrolled).
	 */
#define GUEST_LEVEL_2D(l)                                                      \
	do {                                                                   \
		int r2d = gva_walk_fast_2d_level(                              \
			w, nested_root, addr, access, acc, table_access,       \
			record ? &tw : NULL, record ? &e : NULL, &pte, &ngpa,  \
			&rights, &refs, l, levels, nested_ept, nested_levels); \
		if (r2d < 0)                                                   \
			return FAST_WALK_GIVE_UP;                              \
		if (r2d) {                                                     \
			level = l;                                             \
			goto leaf;                                             \
		}                                                              \
	} while (0)
	if (levels == PT64_ROOT_5LEVEL)
		GUEST_LEVEL_2D(PT64_ROOT_5LEVEL);
	GUEST_LEVEL_2D(PT64_ROOT_4LEVEL);
	GUEST_LEVEL_2D(PG_LEVEL_1G);
	GUEST_LEVEL_2D(PG_LEVEL_2M);
	GUEST_LEVEL_2D(PG_LEVEL_4K);
#undef GUEST_LEVEL_2D
	/* The 4K level always ends the walk. */
	return FAST_WALK_GIVE_UP;

leaf:
	if (rights < 0) {
		rights = fast_leaf_rights(
			w, fast_walk_access(w, 0, pte, level, false, levels),
			pte, access, acc, false);
		if (rights < 0)
			return FAST_WALK_GIVE_UP;
		if (level == PG_LEVEL_4K)
			fast_leaf_keep(w, &w->leaf_cache[0], pte, access, acc,
				       rights);
	}

translated:
	n = levels - level + 1;
	refs += n;
	gpa = ngpa;
	if (record) {
		/* The table walks the guest's levels did not need. */
		for (; tw < &rec->table_walks[WALK_MAX_LEVELS]; tw++) {
			tw->nr_entries = 0;
			tw->refs = 0;
		}
		n = levels - level + 1;
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
	}
	if (nest) {
		/*
		 * protect_clean_gpte() may have taken W from @rights;
		 * nested_access() reads only U.
		 */
		u64 final_access = nested_access(nested, access, false, rights);

		n = stage_walk_fast(nested, nested_root, 0, ngpa, final_access,
				    NULL,
				    record ? rec->final_walk.entries : NULL,
				    &sw, nested_ept, nested_levels);
		if (unlikely(!n)) {
			if (!record)
				return FAST_WALK_GIVE_UP;
			rec->refs = refs;
			return finish_final_translation(w, addr, ngpa,
							final_access, sw.level,
							fault, rec, ret);
		}
		refs += n;
		gpa = sw.ngpa;
		if (record) {
			rec->final_walk.nr_entries = n;
			rec->final_walk.refs = n;
			rec->gpa = gpa;
		}
	}
	if (record) {
		rec->refs = refs;
	} else {
		out->gpa = gpa;
		out->pte_access = rights;
		out->leaf_level = level;
		out->leaf_pte = pte;
	}
	return FAST_WALK_TRANSLATED;
}

/*
 * gva_walk_fast() for a @levels-level guest @w with a nested stage, in
 * the nested stage's mode now, when the fast path can take it.
 */
static __attribute__((always_inline)) inline enum fast_walk_outcome
gva_walk_fast_2d(struct kvm_pagewalk *w, u64 addr,
		 const struct walk_access *acc, struct walk_fault *fault,
		 struct walk_record *rec, struct walk_translation *out,
		 int *ret, const bool record, const int levels)
{
	const struct kvm_pagewalk *nested = w->nested;
	bool nested_five = nested->role.level == PT64_ROOT_5LEVEL;

#define GVA_WALK_FAST_2D(nested_ept, nested_levels)                       \
	gva_walk_fast(w, addr, acc, fault, rec, out, ret, record, levels, \
		      true, nested_ept, nested_levels)
	if (!nested->fast_walk)
		return FAST_WALK_GIVE_UP;
	if (nested->role.ept)
		return nested_five ? GVA_WALK_FAST_2D(true, 5) :
				     GVA_WALK_FAST_2D(true, 4);
	return nested_five ? GVA_WALK_FAST_2D(false, 5) :
			     GVA_WALK_FAST_2D(false, 4);
#undef GVA_WALK_FAST_2D
}

/* gva_walk_fast() for @w, when it can take it: its variant for @w. */
static __attribute__((always_inline)) inline enum fast_walk_outcome
gva_walk_try_fast(struct kvm_pagewalk *w, u64 addr,
		  const struct walk_access *acc, struct walk_fault *fault,
		  struct walk_record *rec, struct walk_translation *out,
		  int *ret, const bool record)
{
	const struct kvm_pagewalk *nested = w->nested;
	bool five = w->role.level == PT64_ROOT_5LEVEL;

	if (!w->fast_walk || w->role.tdp ||
	    !is_canonical_address(addr, w->role.level))
		return FAST_WALK_GIVE_UP;

#define GVA_WALK_FAST(levels, nest, nested_ept, nested_levels)            \
	gva_walk_fast(w, addr, acc, fault, rec, out, ret, record, levels, \
		      nest, nested_ept, nested_levels)
#define GVA_WALK_FAST_NESTED(nested_ept)                          \
	(nested->role.level == PT64_ROOT_5LEVEL ?                 \
		 (five ? GVA_WALK_FAST(5, true, nested_ept, 5) :  \
			 GVA_WALK_FAST(4, true, nested_ept, 5)) : \
		 (five ? GVA_WALK_FAST(5, true, nested_ept, 4) :  \
			 GVA_WALK_FAST(4, true, nested_ept, 4)))
	if (!nested)
		return five ? GVA_WALK_FAST(5, false, false, 0) :
			      GVA_WALK_FAST(4, false, false, 0);
	if (!nested->fast_walk)
		return FAST_WALK_GIVE_UP;
	if (nested->role.ept)
		return GVA_WALK_FAST_NESTED(true);
	return GVA_WALK_FAST_NESTED(false);
#undef GVA_WALK_FAST_NESTED
#undef GVA_WALK_FAST
}

/*
 * The general walk of gva_walk_translate(), for what the fast path does
 * not take: a fault, an A/D flag to set, a 2- or 3-level guest.
 */
static __attribute__((noinline)) int
gva_walk_general(struct kvm_pagewalk *w, u64 addr,
		 const struct walk_access *access, struct walk_fault *fault,
		 struct walk_record *rec)
{
	struct stage_record srec;
	struct stage_walk sw;
	int r;

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
		return translate_ngpa(
			w, addr,
			w->nested ? nested_access(w->nested, access->pfec,
						  false, ACC_ALL) :
				    0,
			addr, fault, &rec->final_walk, &rec->refs,
			&rec->restarts, &rec->gpa);
	}

	srec = gva_walk_stage_record(rec);
	r = stage_walk(w, addr, access->pfec, access, fault, &srec, &sw);
	if (r)
		return r;
	gva_walk_record_translation(rec, &sw, addr);
	return 0;
}

int gva_walk_translate(struct kvm_pagewalk *w, u64 addr,
		       const struct walk_access *access,
		       struct walk_fault *fault, struct walk_record *rec)
{
	struct walk_record scratch;
	enum fast_walk_outcome fast;
	int r;

	if (!rec)
		rec = &scratch;
	memset(fault, 0, sizeof(*fault));
	fast = gva_walk_try_fast(w, addr, access, fault, rec, NULL, &r, true);
	if (unlikely(fast != FAST_WALK_TRANSLATED)) {
		if (fast == FAST_WALK_FAULTED)
			return r;
		r = gva_walk_general(w, addr, access, fault, rec);
		if (r)
			return r;
	}
	rec->hpa = guest_memory_gpa_to_hpa(w->mem, rec->gpa);
	return 0;
}

/*
 * gva_walk_translate_gpa() when the fast path gave up, or of a stage it
 * does not take: the general walk, into a record of its own; for
 * gva_walk_try_translate_gpa() (@fault NULL), -EAGAIN.
 */
__attribute__((noinline)) int gva_walk_translate_gpa_slow(
	struct kvm_pagewalk *w, u64 addr, const struct walk_access *access,
	struct walk_fault *fault, struct walk_translation *out)
{
	struct walk_record rec;
	int r;

	if (!fault)
		return -EAGAIN;
	memset(fault, 0, sizeof(*fault));
	r = gva_walk_general(w, addr, access, fault, &rec);
	if (r)
		return r;
	out->gpa = rec.gpa;
	out->pte_access = rec.pte_access;
	out->leaf_level = rec.leaf_level;
	out->leaf_pte =
		rec.guest.nr_entries ?
			rec.guest.entries[rec.guest.nr_entries - 1].after :
			0;
	return 0;
}

/*
 * gva_walk_translate_gpa() through the fast path of a @levels-level
 * guest, one-dimensional or, with @nest, through its nested stage in the
 * nested stage's mode now; where it gives up, the general walk.
 */
static __attribute__((always_inline)) inline int
gva_walk_gpa_fast(struct kvm_pagewalk *w, u64 addr,
		  const struct walk_access *access, struct walk_fault *fault,
		  struct walk_translation *out, const int levels,
		  const bool nest)
{
	enum fast_walk_outcome fast;
	int r;

	if (likely(is_canonical_address(addr, levels))) {
		fast = nest ? gva_walk_fast_2d(w, addr, access, fault, NULL,
					       out, &r, false, levels) :
			      gva_walk_fast(w, addr, access, fault, NULL, out,
					    &r, false, levels, false, false, 0);
		if (likely(fast == FAST_WALK_TRANSLATED))
			return 0;
	}
	return gva_walk_translate_gpa_slow(w, addr, access, fault, out);
}

/*
 * The walks kvm_pagewalk_bind() binds gva_walk_translate_gpa() to, and
 * where walker/pagewalk_kept.c's walks start over.
 */
__attribute__((noinline)) int gva_walk_gpa_1d4_from_root(
	struct kvm_pagewalk *w, u64 addr, const struct walk_access *access,
	struct walk_fault *fault, struct walk_translation *out)
{
	return gva_walk_gpa_fast(w, addr, access, fault, out, PT64_ROOT_4LEVEL,
				 false);
}

__attribute__((noinline)) int gva_walk_gpa_1d5_from_root(
	struct kvm_pagewalk *w, u64 addr, const struct walk_access *access,
	struct walk_fault *fault, struct walk_translation *out)
{
	return gva_walk_gpa_fast(w, addr, access, fault, out, PT64_ROOT_5LEVEL,
				 false);
}

int gva_walk_gpa_2d4(struct kvm_pagewalk *w, u64 addr,
		     const struct walk_access *access, struct walk_fault *fault,
		     struct walk_translation *out)
{
	return gva_walk_gpa_fast(w, addr, access, fault, out, PT64_ROOT_4LEVEL,
				 true);
}

int gva_walk_gpa_2d5(struct kvm_pagewalk *w, u64 addr,
		     const struct walk_access *access, struct walk_fault *fault,
		     struct walk_translation *out)
{
	return gva_walk_gpa_fast(w, addr, access, fault, out, PT64_ROOT_5LEVEL,
				 true);
}

int gva_walk_translate_after_try(struct kvm_pagewalk *w, u64 addr,
				 const struct walk_access *access,
				 struct walk_fault *fault,
				 struct walk_record *rec)
{
	int r;

	/*
	 * A 1D walk's fast path, with a record or without, stops at the
	 * same entry; a 2D one with a record finishes a faulting final
	 * translation itself, where the try gives up.
	 */
	if (w->nested)
		return gva_walk_translate(w, addr, access, fault, rec);
	memset(fault, 0, sizeof(*fault));
	r = gva_walk_general(w, addr, access, fault, rec);
	if (r)
		return r;
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
	n = nested_walk_fast(w, 0, ngpa, stage_access, rec->guest.entries, &sw);
	if (likely(n)) {
		end_entries(&rec->guest, &rec->refs, n, n);
	} else {
		r = stage_walk(w, ngpa, stage_access, NULL, fault, &srec, &sw);
		if (r)
			return r;
	}
	rec->ngpa = ngpa;
	/* Without a nested stage, the stage's output is the GPA. */
	rec->gpa = sw.ngpa;
	rec->hpa = guest_memory_gpa_to_hpa(w->mem, rec->gpa);
	rec->pte_access = sw.pte_access;
	rec->leaf_level = sw.level;
	return 0;
}
