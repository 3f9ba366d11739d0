/*
 * The fast path of a walk (walker/pagewalk.c, walker/pagewalk_kept.c):
 * the helpers of one stage's fast walk, inline, for the walker's own
 * files.
 */
#ifndef MMUSIM_FAST_WALK_INTERNAL_H
#define MMUSIM_FAST_WALK_INTERNAL_H

#include <string.h>

#include "walker/walker_internal.h"

/*
 * The fast path of a walk: the common case, in which every entry is in
 * memory, present and without reserved bits, the access is allowed and no
 * A/D flag needs setting.  Such a walk only reads memory (and records
 * what it read when asked), so when anything else happens the fast path
 * gives up (returns 0 or false) and the walk starts again in
 * __stage_walk(), which records over what the fast path recorded.  It
 * handles 8-byte x86 and EPT entries read from a 4- or 5-level root
 * (fast_walk); the format, the levels and whether to record are
 * constants in every instance, so that each level's shifts, masks and
 * cache slots are constants too, and a walk without a record stores
 * nothing but its result.
 *
 * Tables are found through host pointers the fast path keeps
 * (kvm_pagewalk.root_cache, .entry_cache, .table_cache), each a key and
 * the host page of a table.  A backed GFN keeps its host page while
 * guest_memory's generation stays (walker/guest_memory.h), which a walk
 * checks once a stage.  An entry_cache key is an entry that a walk found
 * present, without reserved bits and pointing to a table: the same value
 * read again at that level needs none of those checks and leads to the
 * same page, so a walk that meets the entries it met before only loads
 * and compares them.  Every entry is still read from memory at every
 * walk, so a rewritten table is seen at once.  A nested stage also keeps
 * the last walk of each row of guest tables whole (kvm_pagewalk.path_memo:
 * where each entry is, and its value): a walk of the same table that
 * finds every entry as it was gives the same result, so the 2D walk
 * checks them all with one load and compare each, and a root that
 * changes (root_cache_fill()) forgets them.
 *
 * A walk that reaches a 4K leaf has met, at every level above it, the
 * entry its entry_cache row holds there (or put it there), so those
 * entries are the row's keys; a row's kept leaf (leaf_cache), which goes
 * whenever the rights of one of the row's entries change
 * (entry_cache_forget_leaf()), was accepted after entries with the same rights.
 * The AND of a walk's entries is only needed where the leaf is not the
 * kept one, and comes from the keys then (fast_walk_access()).
 */

/*
 * The page of an empty entry_cache slot: its key (WALK_TABLE_NONE) is no
 * table entry, but an entry of that value would match it and lead here,
 * where every entry is 0, not present in either format: the next level
 * gives up.
 */
extern const u64 walk_empty_table[PT64_ENT_PER_PAGE];

/* Out of line, in walker/pagewalk_setup.c: see there. */
void table_cache_reset(struct kvm_pagewalk *w);
const u64 *table_cache_fill_past_span(const struct guest_memory *mem,
				      struct walk_table_cache *c, u64 key,
				      u64 table);
const u64 *root_cache_fill(struct kvm_pagewalk *w, u64 table);
/* In walker/pagewalk_kept.c. */
void kvm_pagewalk_bind(struct kvm_pagewalk *w);
/*
 * The record-less walks of walker/pagewalk.c, which kvm_pagewalk_bind()
 * binds and the kept walks start over in: see there.
 */
int gva_walk_translate_gpa_slow(struct kvm_pagewalk *w, u64 addr,
				const struct walk_access *access,
				struct walk_fault *fault,
				struct walk_translation *out);
int gva_walk_gpa_1d4_from_root(struct kvm_pagewalk *w, u64 addr,
			       const struct walk_access *access,
			       struct walk_fault *fault,
			       struct walk_translation *out);
int gva_walk_gpa_1d5_from_root(struct kvm_pagewalk *w, u64 addr,
			       const struct walk_access *access,
			       struct walk_fault *fault,
			       struct walk_translation *out);
int gva_walk_gpa_2d4(struct kvm_pagewalk *w, u64 addr,
		     const struct walk_access *access, struct walk_fault *fault,
		     struct walk_translation *out);
int gva_walk_gpa_2d5(struct kvm_pagewalk *w, u64 addr,
		     const struct walk_access *access, struct walk_fault *fault,
		     struct walk_translation *out);

/* An empty leaf_cache slot: no 4K leaf's key (fast_leaf_key()) is ~0. */
#define WALK_LEAF_NONE                  \
	((struct walk_leaf_cache){      \
		.pte = WALK_TABLE_NONE, \
	})

/*
 * The bits of an entry that fast_leaf_rights() reads, through the AND of
 * a walk's entries: the rights and A.
 */
static __attribute__((always_inline)) inline u64
fast_rights_bits(const bool ept)
{
	return ept ? EPT_RWX_MASK | EPT_USER_EXECUTABLE_MASK |
			       EPT_ACCESSED_MASK :
		     PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK |
			       PT_ACCESSED_MASK | PT64_NX_MASK;
}

/*
 * @key is to replace the entry that @w's entry_cache @row keeps at
 * @level.  The row's kept leaf was accepted after entries with the
 * rights of the row's entries: it goes when @key's rights differ from
 * those of the entry it replaces.
 */
static __attribute__((always_inline)) inline void
entry_cache_forget_leaf(struct kvm_pagewalk *w, int row, int level, u64 key,
			const bool ept)
{
	if ((w->entry_cache[row][level - 1].key ^ key) & fast_rights_bits(ept))
		w->leaf_cache[row].pte = WALK_LEAF_NONE.pte;
}

/*
 * A table that missed its cache slot @c: its host page, kept in @c under
 * @key, or NULL (and @c's key and page unchanged) when @table is not in
 * memory.  The page comes inline, without a lookup, from the span of
 * memory around the last table @c kept when that holds @table
 * (guest_memory_find_span(): a memslot-like range in a guest's view,
 * the allocated frames of an arena in the host view), as the tables
 * that a walk meets at one level in turn tend to lie together; anything
 * else goes out of line (table_cache_fill_past_span()).
 */
static __attribute__((always_inline)) inline const u64 *
table_cache_fill(const struct guest_memory *mem, struct walk_table_cache *c,
		 u64 key, u64 table)
{
	const u64 *page = guest_memory_span_page(&c->span, table);

	if (likely(page)) {
		c->key = key;
		c->page = page;
		return page;
	}
	return table_cache_fill_past_span(mem, c, key, table);
}

/*
 * The bits in which an entry of @level that points to a table may differ
 * from another such entry and still pass every check the other passed
 * (fast_entry_ok(), fast_is_leaf()) with the same rights
 * (fast_rights_bits()): its address bits that are not reserved.
 */
static __attribute__((always_inline)) inline u64
fast_table_address_bits(const struct kvm_pagewalk *w, int level)
{
	return PT_BASE_ADDR_MASK & ~w->fmt.rsvd_bits_mask[0][level - 1];
}

/*
 * Is @pte, read at @level, the entry @key that a walk checked and found
 * to point to a table, but for the table's address?  Then @pte is
 * present, without reserved bits and a table too, with @key's rights.
 */
static __attribute__((always_inline)) inline bool
fast_entry_like_key(const struct kvm_pagewalk *w, u64 pte, u64 key, int level)
{
	return !((pte ^ key) & ~fast_table_address_bits(w, level));
}

/*
 * The entry_cache slot @c of @level of @w has a new key or span: the
 * like_base and like_pages that go with them (struct walk_table_cache).
 * The address bits of a table entry (fast_table_address_bits()) are
 * bits 12 up in every format; were they not, like_pages would be 0.
 */
static __attribute__((always_inline)) inline void
entry_cache_like_update(const struct kvm_pagewalk *w,
			struct walk_table_cache *c, int level)
{
	u64 address_bits = fast_table_address_bits(w, level);
	/* The first GFN whose GPA is no address. */
	u64 gfn_limit = (address_bits >> PAGE_SHIFT) + 1;
	u64 gfn = c->span.gfn;

	c->like_base = (c->key & ~address_bits) | gfn_to_gpa(gfn);
	if (unlikely(gfn_limit & (gfn_limit - 1)) || gfn >= gfn_limit)
		c->like_pages = 0;
	else
		c->like_pages = c->span.nr_pages < gfn_limit - gfn ?
					c->span.nr_pages :
					gfn_limit - gfn;
}

/*
 * The entry @pte of @level of a stage of format @ept, present, without
 * reserved bits and pointing to a table, missed its slot of @w's
 * entry_cache @row: the table's host page, kept in the slot under @pte,
 * or NULL (and the slot unchanged) when the table is not in memory.
 */
static __attribute__((always_inline)) inline const u64 *
entry_cache_fill(struct kvm_pagewalk *w, int row, int level, u64 pte,
		 const bool ept)
{
	struct walk_table_cache *c = &w->entry_cache[row][level - 1];
	const u64 *page;

	entry_cache_forget_leaf(w, row, level, pte, ept);
	page = table_cache_fill(w->mem, c, pte, pte & PT_BASE_ADDR_MASK);
	if (likely(page))
		entry_cache_like_update(w, c, level);
	return page;
}

/*
 * For the entry @pte that missed the entry_cache slot @c: its table's
 * index in @c's span when @pte is @c's key but for its table's address
 * (fast_entry_like_key()) and the table lies in the span's first
 * c->like_pages, else an index of c->like_pages or more.  One
 * subtraction tells both: the bits of @pte but its address's are
 * like_base's, and its address is like_base's plus whole pages, which
 * the rotation turns into the index, and any other difference into
 * high bits.
 */
static __attribute__((always_inline)) inline u64
entry_cache_like_index(const struct walk_table_cache *c, u64 pte)
{
	u64 diff = pte - c->like_base;

	return (diff >> PAGE_SHIFT) | (diff << (64 - PAGE_SHIFT));
}

/*
 * The entry @pte missed its slot @c of an entry_cache row, and its
 * table is the @i-th page of @c's span, below c->like_pages
 * (entry_cache_like_index()): the table's host page, kept in @c under
 * @pte.  The row's kept leaf holds, since the rights of the row's
 * entries are the same.
 */
static __attribute__((always_inline)) inline const u64 *
entry_cache_span_take(struct walk_table_cache *c, u64 pte, u64 i)
{
	const u64 *page = guest_memory_span_nth_page(&c->span, i);

	MMU_WARN_ON(i >= c->like_pages);
	c->key = pte;
	c->page = page;
	return page;
}

/*
 * The entry @pte missed its slot @c of an entry_cache row, whose key it
 * is but for the table's address (fast_entry_like_key()), and its
 * table is in the span of the key's (entry_cache_like_index()): the
 * table's host page, kept in @c under @pte
 * (entry_cache_span_take()).  Else NULL, and @c unchanged.  An empty
 * slot has like_pages 0.
 */
static __attribute__((always_inline)) inline const u64 *
entry_cache_span_page(struct walk_table_cache *c, u64 pte)
{
	u64 i = entry_cache_like_index(c, pte);

	if (i >= c->like_pages)
		return NULL;
	return entry_cache_span_take(c, pte, i);
}

/*
 * The entry @pte of @level missed its slot @c of an entry_cache row and
 * the span of the slot's table (entry_cache_span_page()): when it is
 * the slot's key but for the table's address (fast_entry_like_key()),
 * the table's host page, looked up (table_cache_fill_past_span()) and
 * kept in @c under @pte; the row's kept leaf holds, since the rights of
 * the row's entries are the same.  Else (an entry unlike the key, or a
 * table not in memory) NULL, and @c unchanged.
 */
static __attribute__((always_inline)) inline const u64 *
entry_cache_like_page(const struct kvm_pagewalk *w, struct walk_table_cache *c,
		      int level, u64 pte)
{
	const u64 *page;

	if (!fast_entry_like_key(w, pte, c->key, level))
		return NULL;
	page = table_cache_fill_past_span(w->mem, c, pte,
					  pte & PT_BASE_ADDR_MASK);
	/*
	 * Kept with the span for @pte, like the key they were set for; an
	 * empty span has none.
	 */
	if (likely(page) && !c->like_pages && c->span.nr_pages)
		entry_cache_like_update(w, c, level);
	return page;
}

/* Before a fast walk of @w: forget the table pages if they may be stale. */
static __attribute__((always_inline)) inline void
table_cache_check(struct kvm_pagewalk *w)
{
	if (unlikely(w->table_cache_generation != w->mem->generation))
		table_cache_reset(w);
}

/*
 * The host page of @w's root table, NULL when it is not in memory.  The
 * caller checked the stage's table cache (table_cache_check()).
 */
static __attribute__((always_inline)) inline const u64 *
stage_root_page(struct kvm_pagewalk *w)
{
	u64 table = w->root & PT_BASE_ADDR_MASK;

	if (likely(w->root_cache.key == table))
		return w->root_cache.page;
	return root_cache_fill(w, table);
}

/* The host page of the table at the page-aligned GPA @table, via @c. */
static __attribute__((always_inline)) inline const u64 *
table_cache_page(const struct guest_memory *mem, struct walk_table_cache *c,
		 u64 table)
{
	if (likely(c->key == table))
		return c->page;
	return table_cache_fill(mem, c, table, table);
}

/* The index of @addr's entry in a table of @level (8-byte entries). */
static __attribute__((always_inline)) inline unsigned int fast_index(u64 addr,
								     int level)
{
	return (addr >> pt_level_shift(level)) & (PT64_ENT_PER_PAGE - 1);
}

/* Record the entry @pte of @level read at @pte_gpa (@pte_addr). */
static __attribute__((always_inline)) inline void
fast_record(struct walk_entry *e, int level, u64 pte_addr, u64 pte_gpa, u64 pte)
{
	e->level = level;
	e->pte_addr = pte_addr;
	e->pte_gpa = pte_gpa;
	e->before = pte;
	e->after = pte;
}

/*
 * Can an entry of @level map a page (PS)?  At 2M and 1G; a 4K entry is a
 * leaf anyway, and PS is reserved above 1G (fast_walk_format_ok()).
 */
static __attribute__((always_inline)) inline bool fast_level_has_ps(int level)
{
	return level == PG_LEVEL_2M || level == PG_LEVEL_1G;
}

/* Does @pte, which fast_entry_ok() accepted at @level, map a page? */
static __attribute__((always_inline)) inline bool fast_is_leaf(u64 pte,
							       int level)
{
	return level == PG_LEVEL_4K ||
	       (fast_level_has_ps(level) && (pte & PT_PAGE_SIZE_MASK));
}

/* The address @addr maps to through the leaf @pte at @level. */
static __attribute__((always_inline)) inline u64
fast_leaf_address(u64 pte, u64 addr, int level)
{
	u64 mask = BIT_ULL(pt_level_shift(level)) - 1;

	return (pte & PT_BASE_ADDR_MASK & ~mask) | (addr & mask);
}

/*
 * Is @pte, read at @level, present and without reserved bits (and, for
 * EPT, of a valid memory type and XWR)?  False: the fast path gives up.
 */
static __attribute__((always_inline)) inline bool
fast_entry_ok(const struct kvm_pagewalk *w, u64 pte, int level, const bool ept)
{
	const u64 present_mask = ept ? w->pte_present_mask : PT_PRESENT_MASK;
	/* get_rsvd_bits(): the rows of the table are PS clear and set. */
	const u64 *rsvd = &w->fmt.rsvd_bits_mask[0][level - 1];
	/* fast_walk_format_ok(): where PS cannot end a walk, they agree. */
	unsigned int row =
		fast_level_has_ps(level) ? (pte >> PT_PAGE_SIZE_SHIFT) & 1 : 0;

	MMU_WARN_ON(level < 1 || level > PT64_ROOT_MAX_LEVEL);
	return likely(pte & present_mask) &&
	       likely(!(pte & rsvd[row * PT64_ROOT_MAX_LEVEL])) &&
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

static_assert(!((EPT_RWX_MASK | EPT_USER_EXECUTABLE_MASK | EPT_ACCESSED_MASK |
		 EPT_DIRTY_MASK | EPT_MT_XWR_MASK | PT_PRESENT_MASK |
		 PT_WRITABLE_MASK | PT_USER_MASK | PT_ACCESSED_MASK |
		 PT_DIRTY_MASK | PT64_NX_MASK | PT_PKEY_MASK) &
		PT_BASE_ADDR_MASK),
	      "what a 4K leaf's checks read lies outside its address bits");

/*
 * The bits of a 4K leaf @pte that fast_entry_ok() and fast_leaf_rights()
 * read: all but the address bits that are not reserved, which only
 * fast_leaf_address() reads.  Bit 12 is an address bit of every format
 * (MAXPHYADDR is above 12), so no key is WALK_LEAF_NONE's.
 */
static __attribute__((always_inline)) inline u64
fast_leaf_key(const struct kvm_pagewalk *w, u64 pte)
{
	return pte &
	       (~PT_BASE_ADDR_MASK | w->fmt.rsvd_bits_mask[0][PG_LEVEL_4K - 1]);
}

/*
 * The AND (NX inverted) of the entries of a walk of @w from a @levels
 * root down to @pte at @level, whose entries above @level are the keys
 * of @w's entry_cache @row, as every walk of the fast path leaves them.
 */
static __attribute__((always_inline)) inline u64
fast_walk_access(const struct kvm_pagewalk *w, int row, u64 pte, int level,
		 const bool ept, const int levels)
{
	const u64 nx_mask = ept ? 0 : PT64_NX_MASK;
	u64 pte_access = pte ^ nx_mask;
	int l;

	for (l = levels; l > level; l--)
		pte_access &= w->entry_cache[row][l - 1].key ^ nx_mask;
	return pte_access;
}

/*
 * Is the 4K leaf @pte, read at @level by a walk that met its row's
 * entries above it, for @access and @acc, one like its row's kept @leaf,
 * which fast_entry_ok() and fast_leaf_rights() accepted after entries
 * with the same rights: the same in every bit those read?  Then it gives @leaf's
 * rights.  A row's walks tend to meet leaves alike (a table's leaves
 * differ in their address).  An empty @leaf matches no walk.
 */
static __attribute__((always_inline)) inline bool
fast_leaf_is_cached(const struct kvm_pagewalk *w, int level,
		    const struct walk_leaf_cache *leaf, u64 pte, u64 access,
		    const struct walk_access *acc)
{
	return level == PG_LEVEL_4K && fast_leaf_key(w, pte) == leaf->pte &&
	       access == leaf->access &&
	       (acc ? acc->rflags_ac : false) == leaf->rflags_ac &&
	       (acc ? acc->pkru : 0) == leaf->pkru;
}

/*
 * The 4K leaf fast_leaf_rights() accepted after the entries of its row:
 * what @leaf holds from now on.
 */
static __attribute__((always_inline)) inline void
fast_leaf_keep(const struct kvm_pagewalk *w, struct walk_leaf_cache *leaf,
	       u64 pte, u64 access, const struct walk_access *acc, int rights)
{
	MMU_WARN_ON(fast_leaf_key(w, pte) == WALK_TABLE_NONE);
	*leaf = (struct walk_leaf_cache){
		.pte = fast_leaf_key(w, pte),
		.access = access,
		.rights = rights,
		.rflags_ac = acc ? acc->rflags_ac : false,
		.pkru = acc ? acc->pkru : 0,
	};
}

/*
 * Set in the nested access of a 2D walk's table walks without a record
 * (path_memo_access()), which keep only their entries' values in their
 * path memo (struct walk_path_memo): the walks with a record, which copy
 * a memo's entries whole (path_memo_record()), take no such memo, as
 * their access differs.  No check of an access reads it.
 */
#define WALK_PATH_MEMO_UNRECORDED BIT_ULL(63)
static_assert(!(WALK_PATH_MEMO_UNRECORDED &
		(PFERR_PRESENT_MASK | PFERR_WRITE_MASK | PFERR_USER_MASK |
		 PFERR_RSVD_MASK | PFERR_FETCH_MASK | PFERR_PK_MASK |
		 PFERR_GUEST_FINAL_MASK | PFERR_GUEST_PAGE_MASK |
		 PFERR_IMPLICIT_ACCESS)),
	      "the unrecorded tag is no access bit");

/*
 * The nested access @access of a 2D walk's table walks, with a record
 * when @record, as those walks pass it to stage_walk_fast(): what their
 * path memos and kept leaves are keyed by.
 */
static __attribute__((always_inline)) inline u64
path_memo_access(u64 access, const bool record)
{
	return record ? access : access | WALK_PATH_MEMO_UNRECORDED;
}

/*
 * Does the path memo @m hold the walk of @addr for @access by a stage of
 * @levels levels, whose root is still the one @m's walk started at: is
 * every entry @m read still in its place?
 */
static __attribute__((always_inline)) inline bool
path_memo_holds(const struct walk_path_memo *m, u64 addr, u64 access,
		const int levels)
{
	u64 diff = 0;
	int i;

	/* An empty memo's pointers are not to be read. */
	if (m->addr != addr || m->access != access)
		return false;
#pragma GCC unroll 5
	for (i = 0; i < levels; i++)
		diff |= *m->ptep[i] ^ m->entry[i].before;
	return !diff;
}

/*
 * Record the entries of the walk that the path memo @m of a stage of
 * @levels levels holds at @entries, as stage_walk_fast() does.
 */
static __attribute__((always_inline)) inline void
path_memo_record(const struct walk_path_memo *m, struct walk_entry *entries,
		 const int levels)
{
	MMU_WARN_ON(m->access & WALK_PATH_MEMO_UNRECORDED);
	/* The common case, a walk to a 4K leaf, has a constant size. */
	if (likely(m->nr_entries == (unsigned int)levels))
		memcpy(entries, m->entry, levels * sizeof(*entries));
	else
		memcpy(entries, m->entry, m->nr_entries * sizeof(*entries));
}

/*
 * The walk of @addr for @access, which read the first @nr_entries of
 * @m's entries and gave @ngpa, @level and @rights, is complete: @m holds
 * it from now on.
 */
static __attribute__((always_inline)) inline void
path_memo_fill(struct walk_path_memo *m, u64 addr, u64 access,
	       unsigned int nr_entries, u64 ngpa, int level, int rights,
	       const int levels)
{
	int i;

	for (i = nr_entries; i < levels; i++) {
		m->ptep[i] = walk_empty_table;
		m->entry[i].before = 0;
	}
	m->access = access;
	m->ngpa = ngpa;
	m->nr_entries = nr_entries;
	m->level = level;
	m->rights = rights;
	m->addr = addr;
}

/*
 * The fast path of one stage without a nested stage (a 1D walk, or a
 * nested stage) of @levels levels, through its entry_cache and
 * leaf_cache @row: the number of entries read, recorded from @entries on
 * unless @entries is NULL, with sw->level, ->pte_access and ->ngpa as
 * __stage_walk() sets them and sw->leaf_pte the leaf; the caller counts the entries and
 * references.  0 to give up, with sw->level the level of the entry
 * fast_entry_ok() refused (not present, or with reserved bits), the last
 * one recorded, every entry above it checked but for one equal to
 * WALK_TABLE_NONE just above it (an empty slot's key, which led to
 * walk_empty_table; no checked entry equals it, as it has reserved bits
 * in every format); or 0 when it gave up for another reason.  @acc is NULL
 * for a nested stage.  The caller checked the stage's table cache
 * (table_cache_check()).  @root_page is the host page of @w's root table
 * (stage_root_page()).  Rows 1 and up also fill their path memo (whole
 * with a record, else only the entries' values).
 */
static __attribute__((always_inline)) inline unsigned int
stage_walk_fast(struct kvm_pagewalk *w, const u64 *root_page, const int row,
		u64 addr, u64 access, const struct walk_access *acc,
		struct walk_entry *entries, struct stage_walk *sw,
		const bool ept, const int levels)
{
	struct walk_table_cache *memo = w->entry_cache[row];
	struct walk_leaf_cache *leaf = &w->leaf_cache[row];
	struct walk_path_memo *path = row ? &w->path_memo[row - 1] : NULL;
	u64 table = w->root & PT_BASE_ADDR_MASK;
	u64 pte = 0, ngpa = 0;
	const u64 *page = root_page;
	int level, rights;

	MMU_WARN_ON(!w->fast_walk || w->role.ept != ept || w->pte_size != 8 ||
		    w->pte_large_mask != PT_PAGE_SIZE_MASK ||
		    w->role.level != levels);
	MMU_WARN_ON(w->table_cache_generation != w->mem->generation);
	MMU_WARN_ON(w->root_cache.key != table || page != w->root_cache.page);

	if (path)
		path->addr = WALK_TABLE_NONE;
#pragma GCC unroll 5
	for (level = levels; level >= PG_LEVEL_4K; level--) {
		struct walk_table_cache *c = &memo[level - 1];
		unsigned int index = fast_index(addr, level);

		pte = page[index];
		if (path) {
			path->ptep[levels - level] = &page[index];
			/*
			 * Without a record, only what path_memo_holds() reads:
			 * such a walk's access is path_memo_access()'s.
			 */
			if (entries)
				fast_record(&path->entry[levels - level], level,
					    table | (index * sizeof(u64)),
					    table | (index * sizeof(u64)), pte);
			else
				path->entry[levels - level].before = pte;
		}
		if (entries) {
			fast_record(&entries[levels - level], level,
				    table | (index * sizeof(u64)),
				    table | (index * sizeof(u64)), pte);
		}
		if (fast_leaf_is_cached(w, level, leaf, pte, access, acc)) {
			rights = leaf->rights;
			ngpa = fast_leaf_address(pte, addr, level);
			goto translated;
		}
		if (level > PG_LEVEL_4K && likely(pte == c->key)) {
			/* Checked when it was cached: a table, at c->page. */
			page = c->page;
			table = pte & PT_BASE_ADDR_MASK;
			continue;
		}
		if (!entries && level > PG_LEVEL_4K) {
			/* Like the key, in its span: a table, at its page. */
			const u64 *span_page = entry_cache_span_page(c, pte);

			if (likely(span_page)) {
				page = span_page;
				table = pte & PT_BASE_ADDR_MASK;
				continue;
			}
		}
		if (unlikely(level == PG_LEVEL_4K ||
			     c->key == WALK_TABLE_NONE ||
			     !fast_entry_like_key(w, pte, c->key, level))) {
			if (unlikely(!fast_entry_ok(w, pte, level, ept))) {
				sw->level = level;
				return 0;
			}
			if (fast_is_leaf(pte, level)) {
				ngpa = fast_leaf_address(pte, addr, level);
				break;
			}
			entry_cache_forget_leaf(w, row, level, pte, ept);
			/*
			 * A key unlike the last: the walks with a record leave
			 * the slot's like_base to those without, whose
			 * shortcut it is.
			 */
			if (entries)
				c->like_pages = 0;
		}
		/*
		 * A table, checked now or like the slot's key (with the key's
		 * rights, which keep the row's kept leaf).  One path for both
		 * in the walks with a record: with the like entries on a path
		 * of their own, gcc's register allocation of the larger bodies
		 * cost them more than the shortcut saved.
		 */
		table = pte & PT_BASE_ADDR_MASK;
		page = table_cache_fill(w->mem, c, pte, table);
		if (unlikely(!page)) {
			sw->level = 0;
			return 0;
		}
		if (!entries)
			entry_cache_like_update(w, c, level);
	}

	rights = fast_leaf_rights(
		w, fast_walk_access(w, row, pte, level, ept, levels), pte,
		access, acc, ept);
	if (rights < 0) {
		sw->level = 0;
		return 0;
	}
	if (level == PG_LEVEL_4K)
		fast_leaf_keep(w, leaf, pte, access, acc, rights);
translated:
	if (path)
		path_memo_fill(path, addr, access, levels - level + 1, ngpa,
			       level, rights, levels);
	sw->level = level;
	sw->pte_access = rights;
	sw->ngpa = ngpa;
	sw->leaf_pte = pte;
	/* One entry a level, from the root down to the leaf. */
	return levels - level + 1;
}

/*
 * stage_walk_fast() for nested stage @nested, whatever its format and
 * levels, through its entry_cache row @row; 0 when it cannot take it.
 */
static __attribute__((always_inline)) inline unsigned int
nested_walk_fast(struct kvm_pagewalk *nested, int row, u64 ngpa, u64 access,
		 struct walk_entry *entries, struct stage_walk *sw)
{
	const u64 *root;

	if (unlikely(!nested->fast_walk))
		return 0;
	table_cache_check(nested);
	root = stage_root_page(nested);
	if (unlikely(!root))
		return 0;
	if (nested->role.ept)
		return nested->role.level == PT64_ROOT_5LEVEL ?
			       stage_walk_fast(nested, root, row, ngpa, access,
					       NULL, entries, sw, true,
					       PT64_ROOT_5LEVEL) :
			       stage_walk_fast(nested, root, row, ngpa, access,
					       NULL, entries, sw, true,
					       PT64_ROOT_4LEVEL);
	return nested->role.level == PT64_ROOT_5LEVEL ?
		       stage_walk_fast(nested, root, row, ngpa, access, NULL,
				       entries, sw, false, PT64_ROOT_5LEVEL) :
		       stage_walk_fast(nested, root, row, ngpa, access, NULL,
				       entries, sw, false, PT64_ROOT_4LEVEL);
}

#endif
