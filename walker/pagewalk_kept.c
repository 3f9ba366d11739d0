/*
 * gva_walk_translate_gpa(): the record-less walk bound to a stage's mode,
 * and for a 4- or 5-level guest without a nested stage the kept walk of
 * its common case, in straight-line code.
 */
#include "walker/fast_walk_internal.h"

/*
 * gva_walk_gpa_kept() on from the entry @pte of @level, which missed its
 * slot, through the slots' spans: one function for each @level of each
 * walk, so that the walk that calls it keeps its registers and its
 * levels stay constants.
 */
#define DECLARE_GVA_WALK_GPA_SPANS(name)                                    \
	static __attribute__((noinline)) int name(                          \
		struct kvm_pagewalk *w, u64 addr,                           \
		const struct walk_access *access, struct walk_fault *fault, \
		struct walk_translation *out, u64 pte)
#define DECLARE_GVA_WALK_GPA_SPANS_OF(walk)   \
	DECLARE_GVA_WALK_GPA_SPANS(walk##_4); \
	DECLARE_GVA_WALK_GPA_SPANS(walk##_3); \
	DECLARE_GVA_WALK_GPA_SPANS(walk##_2)
DECLARE_GVA_WALK_GPA_SPANS_OF(gva_walk_gpa_1d4_spans);
DECLARE_GVA_WALK_GPA_SPANS_OF(gva_walk_gpa_1d4_pkeys_spans);
DECLARE_GVA_WALK_GPA_SPANS_OF(gva_walk_gpa_1d5_spans);
DECLARE_GVA_WALK_GPA_SPANS_OF(gva_walk_gpa_1d5_pkeys_spans);
DECLARE_GVA_WALK_GPA_SPANS(gva_walk_gpa_1d5_spans_5);
DECLARE_GVA_WALK_GPA_SPANS(gva_walk_gpa_1d5_pkeys_spans_5);
/*
 * The same walks on from the entry @pte of @level, which missed its
 * slot and the slot's span: its table looked up.
 */
#define DECLARE_GVA_WALK_GPA_LOOKUP(name)                                   \
	static __attribute__((noinline)) int name(                          \
		struct kvm_pagewalk *w, u64 addr,                           \
		const struct walk_access *access, struct walk_fault *fault, \
		struct walk_translation *out, u64 pte)
#define DECLARE_GVA_WALK_GPA_LOOKUP_OF(walk)   \
	DECLARE_GVA_WALK_GPA_LOOKUP(walk##_4); \
	DECLARE_GVA_WALK_GPA_LOOKUP(walk##_3); \
	DECLARE_GVA_WALK_GPA_LOOKUP(walk##_2)
DECLARE_GVA_WALK_GPA_LOOKUP_OF(gva_walk_gpa_1d4_lookup);
DECLARE_GVA_WALK_GPA_LOOKUP_OF(gva_walk_gpa_1d4_pkeys_lookup);
DECLARE_GVA_WALK_GPA_LOOKUP_OF(gva_walk_gpa_1d5_lookup);
DECLARE_GVA_WALK_GPA_LOOKUP_OF(gva_walk_gpa_1d5_pkeys_lookup);
DECLARE_GVA_WALK_GPA_LOOKUP(gva_walk_gpa_1d5_lookup_5);
DECLARE_GVA_WALK_GPA_LOOKUP(gva_walk_gpa_1d5_pkeys_lookup_5);

/*
 * The function of gva_walk_gpa_kept() on from @level through the spans
 * (@kind spans) or a lookup (@kind lookup), of a walk of @levels levels,
 * with or without @pkeys.
 */
#define GVA_WALK_GPA_SPANS4(walk, level)          \
	((level) == PT64_ROOT_4LEVEL ? walk##_4 : \
	 (level) == PG_LEVEL_1G	     ? walk##_3 : \
				       walk##_2)
#define GVA_WALK_GPA_SPANS5(walk, level)          \
	((level) == PT64_ROOT_5LEVEL ? walk##_5 : \
				       GVA_WALK_GPA_SPANS4(walk, level))
#define GVA_WALK_GPA_ON(kind, levels, pkeys, level)                            \
	((levels) == PT64_ROOT_5LEVEL ?                                        \
		 ((pkeys) ? GVA_WALK_GPA_SPANS5(gva_walk_gpa_1d5_pkeys_##kind, \
						level) :                       \
			    GVA_WALK_GPA_SPANS5(gva_walk_gpa_1d5_##kind,       \
						level)) :                      \
		 ((pkeys) ? GVA_WALK_GPA_SPANS4(gva_walk_gpa_1d4_pkeys_##kind, \
						level) :                       \
			    GVA_WALK_GPA_SPANS4(gva_walk_gpa_1d4_##kind,       \
						level)))

/*
 * The common case of a one-dimensional walk of a @levels-level guest, in
 * straight-line code: every upper entry the one its slot of entry_cache
 * row 0 keeps, and a 4K leaf like the row's kept leaf, whose rights it
 * takes (fast_walk_internal.h).  An entry that misses its slot but is
 * its key but for the address of its table leads there as well: through
 * the slot's span (entry_cache_like_index()), else through a lookup of
 * the table in a function of its own (entry_cache_like_page()); the
 * walk from the root (@spans false, @from @levels, @page the root's)
 * hands the entry that missed its slot to a function of its own, which
 * goes on through the spans.  Without
 * protection keys (@pkeys false: pkru_mask 0) the rights do not read
 * PKRU, and neither does the kept leaf's match.  It only reads, so anything else starts over in
 * gva_walk_gpa_fast() through @from_root.
 */
static __attribute__((always_inline)) inline int
gva_walk_gpa_kept(struct kvm_pagewalk *w, u64 addr,
		  const struct walk_access *access, struct walk_fault *fault,
		  struct walk_translation *out, const u64 *page, const int from,
		  const int levels, const bool pkeys, const bool spans,
		  int (*from_root)(struct kvm_pagewalk *w, u64 addr,
				   const struct walk_access *access,
				   struct walk_fault *fault,
				   struct walk_translation *out))
{
	const struct walk_leaf_cache *leaf = &w->leaf_cache[0];
	int level;
	u64 pte, index;

	MMU_WARN_ON(!w->fast_walk || w->role.tdp || w->nested ||
		    w->role.level != levels || !w->fmt.pkru_mask != !pkeys);
#pragma GCC unroll 5
	for (level = from; level > PG_LEVEL_4K; level--) {
		struct walk_table_cache *c = &w->entry_cache[0][level - 1];

		pte = page[fast_index(addr, level)];
		if (likely(pte == c->key)) {
			page = c->page;
			continue;
		}
		if (!spans && levels == PT64_ROOT_5LEVEL)
			return (pkeys ? GVA_WALK_GPA_SPANS5(
						gva_walk_gpa_1d5_pkeys_spans,
						level) :
					GVA_WALK_GPA_SPANS5(
						gva_walk_gpa_1d5_spans, level))(
				w, addr, access, fault, out, pte);
		if (!spans)
			return (pkeys ? GVA_WALK_GPA_SPANS4(
						gva_walk_gpa_1d4_pkeys_spans,
						level) :
					GVA_WALK_GPA_SPANS4(
						gva_walk_gpa_1d4_spans, level))(
				w, addr, access, fault, out, pte);
		index = entry_cache_like_index(c, pte);
		if (unlikely(index >= c->like_pages))
			return GVA_WALK_GPA_ON(lookup, levels, pkeys, level)(
				w, addr, access, fault, out, pte);
		page = entry_cache_span_take(c, pte, index);
	}
	pte = page[fast_index(addr, PG_LEVEL_4K)];
	if (unlikely(fast_leaf_key(w, pte) != leaf->pte ||
		     access->pfec != leaf->access ||
		     access->rflags_ac != leaf->rflags_ac ||
		     (pkeys && access->pkru != leaf->pkru)))
		return from_root(w, addr, access, fault, out);
	/*
	 * The leaf's bits outside its key (fast_leaf_key()) are its
	 * address bits that are not reserved, those of
	 * fast_leaf_address().
	 */
	out->gpa = (pte ^ leaf->pte) | (addr & PAGE_OFFSET_MASK);
	out->pte_access = leaf->rights;
	out->leaf_level = PG_LEVEL_4K;
	out->leaf_pte = pte;
	return 0;
}

/* gva_walk_gpa_kept() from the root, or to start over in @from_root. */
static __attribute__((always_inline)) inline int gva_walk_gpa_kept_from_root(
	struct kvm_pagewalk *w, u64 addr, const struct walk_access *access,
	struct walk_fault *fault, struct walk_translation *out,
	const int levels, const bool pkeys,
	int (*from_root)(struct kvm_pagewalk *w, u64 addr,
			 const struct walk_access *access,
			 struct walk_fault *fault,
			 struct walk_translation *out))
{
	if (unlikely(!__is_canonical_address(addr, levels)) ||
	    unlikely(w->table_cache_generation != w->mem->generation) ||
	    unlikely(w->root_cache.key != (w->root & PT_BASE_ADDR_MASK)))
		return from_root(w, addr, access, fault, out);
	return gva_walk_gpa_kept(w, addr, access, fault, out,
				 w->root_cache.page, levels, levels, pkeys,
				 false, from_root);
}

#define DEFINE_GVA_WALK_GPA_KEPT(name, levels, pkeys, from_root)           \
	static int name(struct kvm_pagewalk *w, u64 addr,                  \
			const struct walk_access *access,                  \
			struct walk_fault *fault,                          \
			struct walk_translation *out)                      \
	{                                                                  \
		return gva_walk_gpa_kept_from_root(w, addr, access, fault, \
						   out, levels, pkeys,     \
						   from_root);             \
	}
#define DEFINE_GVA_WALK_GPA_SPANS(name, level, levels, pkeys, from_root)       \
	DECLARE_GVA_WALK_GPA_SPANS(name)                                       \
	{                                                                      \
		struct walk_table_cache *c = &w->entry_cache[0][level - 1];    \
		u64 index = entry_cache_like_index(c, pte);                    \
                                                                               \
		if (unlikely(index >= c->like_pages))                          \
			return GVA_WALK_GPA_ON(lookup, levels, pkeys, level)(  \
				w, addr, access, fault, out, pte);             \
		return gva_walk_gpa_kept(w, addr, access, fault, out,          \
					 entry_cache_span_take(c, pte, index), \
					 level - 1, levels, pkeys, true,       \
					 from_root);                           \
	}
#define DEFINE_GVA_WALK_GPA_SPANS_OF(walk, levels, pkeys, from_root)         \
	DEFINE_GVA_WALK_GPA_SPANS(walk##_4, PT64_ROOT_4LEVEL, levels, pkeys, \
				  from_root)                                 \
	DEFINE_GVA_WALK_GPA_SPANS(walk##_3, PG_LEVEL_1G, levels, pkeys,      \
				  from_root)                                 \
	DEFINE_GVA_WALK_GPA_SPANS(walk##_2, PG_LEVEL_2M, levels, pkeys,      \
				  from_root)
#define DEFINE_GVA_WALK_GPA_LOOKUP(name, level, levels, pkeys, from_root)   \
	DECLARE_GVA_WALK_GPA_LOOKUP(name)                                   \
	{                                                                   \
		const u64 *page = entry_cache_like_page(                    \
			w, &w->entry_cache[0][level - 1], level, pte);      \
                                                                            \
		if (unlikely(!page))                                        \
			return from_root(w, addr, access, fault, out);      \
		return gva_walk_gpa_kept(w, addr, access, fault, out, page, \
					 level - 1, levels, pkeys, true,    \
					 from_root);                        \
	}
#define DEFINE_GVA_WALK_GPA_LOOKUP_OF(walk, levels, pkeys, from_root)         \
	DEFINE_GVA_WALK_GPA_LOOKUP(walk##_4, PT64_ROOT_4LEVEL, levels, pkeys, \
				   from_root)                                 \
	DEFINE_GVA_WALK_GPA_LOOKUP(walk##_3, PG_LEVEL_1G, levels, pkeys,      \
				   from_root)                                 \
	DEFINE_GVA_WALK_GPA_LOOKUP(walk##_2, PG_LEVEL_2M, levels, pkeys,      \
				   from_root)
DEFINE_GVA_WALK_GPA_KEPT(gva_walk_gpa_1d4, PT64_ROOT_4LEVEL, false,
			 gva_walk_gpa_1d4_from_root)
DEFINE_GVA_WALK_GPA_KEPT(gva_walk_gpa_1d4_pkeys, PT64_ROOT_4LEVEL, true,
			 gva_walk_gpa_1d4_from_root)
DEFINE_GVA_WALK_GPA_KEPT(gva_walk_gpa_1d5, PT64_ROOT_5LEVEL, false,
			 gva_walk_gpa_1d5_from_root)
DEFINE_GVA_WALK_GPA_KEPT(gva_walk_gpa_1d5_pkeys, PT64_ROOT_5LEVEL, true,
			 gva_walk_gpa_1d5_from_root)
DEFINE_GVA_WALK_GPA_SPANS_OF(gva_walk_gpa_1d4_spans, PT64_ROOT_4LEVEL, false,
			     gva_walk_gpa_1d4_from_root)
DEFINE_GVA_WALK_GPA_SPANS_OF(gva_walk_gpa_1d4_pkeys_spans, PT64_ROOT_4LEVEL,
			     true, gva_walk_gpa_1d4_from_root)
DEFINE_GVA_WALK_GPA_SPANS_OF(gva_walk_gpa_1d5_spans, PT64_ROOT_5LEVEL, false,
			     gva_walk_gpa_1d5_from_root)
DEFINE_GVA_WALK_GPA_SPANS_OF(gva_walk_gpa_1d5_pkeys_spans, PT64_ROOT_5LEVEL,
			     true, gva_walk_gpa_1d5_from_root)
DEFINE_GVA_WALK_GPA_SPANS(gva_walk_gpa_1d5_spans_5, PT64_ROOT_5LEVEL,
			  PT64_ROOT_5LEVEL, false, gva_walk_gpa_1d5_from_root)
DEFINE_GVA_WALK_GPA_SPANS(gva_walk_gpa_1d5_pkeys_spans_5, PT64_ROOT_5LEVEL,
			  PT64_ROOT_5LEVEL, true, gva_walk_gpa_1d5_from_root)
DEFINE_GVA_WALK_GPA_LOOKUP_OF(gva_walk_gpa_1d4_lookup, PT64_ROOT_4LEVEL, false,
			      gva_walk_gpa_1d4_from_root)
DEFINE_GVA_WALK_GPA_LOOKUP_OF(gva_walk_gpa_1d4_pkeys_lookup, PT64_ROOT_4LEVEL,
			      true, gva_walk_gpa_1d4_from_root)
DEFINE_GVA_WALK_GPA_LOOKUP_OF(gva_walk_gpa_1d5_lookup, PT64_ROOT_5LEVEL, false,
			      gva_walk_gpa_1d5_from_root)
DEFINE_GVA_WALK_GPA_LOOKUP_OF(gva_walk_gpa_1d5_pkeys_lookup, PT64_ROOT_5LEVEL,
			      true, gva_walk_gpa_1d5_from_root)
DEFINE_GVA_WALK_GPA_LOOKUP(gva_walk_gpa_1d5_lookup_5, PT64_ROOT_5LEVEL,
			   PT64_ROOT_5LEVEL, false, gva_walk_gpa_1d5_from_root)
DEFINE_GVA_WALK_GPA_LOOKUP(gva_walk_gpa_1d5_pkeys_lookup_5, PT64_ROOT_5LEVEL,
			   PT64_ROOT_5LEVEL, true, gva_walk_gpa_1d5_from_root)
#undef DEFINE_GVA_WALK_GPA_LOOKUP_OF
#undef DEFINE_GVA_WALK_GPA_LOOKUP
#undef DEFINE_GVA_WALK_GPA_SPANS_OF
#undef DEFINE_GVA_WALK_GPA_SPANS
#undef DEFINE_GVA_WALK_GPA_KEPT

/*
 * Bind gva_walk_translate_gpa() of @w to the walk of its role, format and
 * nested stage, as kvm_pagewalk_init() set them: a stage the fast path
 * does not take walks the general walk; a 1D walk of 4 or 5 levels has a
 * function of its own, with or without protection keys.
 */
void kvm_pagewalk_bind(struct kvm_pagewalk *w)
{
	bool five = w->role.level == PT64_ROOT_5LEVEL;

	if (!w->fast_walk || w->role.tdp)
		w->translate_gpa = gva_walk_translate_gpa_slow;
	else if (w->nested)
		w->translate_gpa = five ? gva_walk_gpa_2d5 : gva_walk_gpa_2d4;
	else if (w->fmt.pkru_mask)
		w->translate_gpa = five ? gva_walk_gpa_1d5_pkeys :
					  gva_walk_gpa_1d4_pkeys;
	else
		w->translate_gpa = five ? gva_walk_gpa_1d5 : gva_walk_gpa_1d4;
}

int gva_walk_translate_gpa(struct kvm_pagewalk *w, u64 addr,
			   const struct walk_access *access,
			   struct walk_fault *fault,
			   struct walk_translation *out)
{
	return w->translate_gpa(w, addr, access, fault, out);
}

int gva_walk_try_translate_gpa(struct kvm_pagewalk *w, u64 addr,
			       const struct walk_access *access,
			       struct walk_translation *out)
{
	/* The bound walks read only, up to where they would go slow. */
	return w->translate_gpa(w, addr, access, NULL, out);
}
