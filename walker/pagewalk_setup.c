/*
 * Setting up a stage: kvm_pagewalk_init(), the PAE PDPTRs, and the table
 * caches of the fast path (walker/fast_walk_internal.h).
 */
#include <errno.h>
#include <string.h>

#include "walker/fast_walk_internal.h"

/*
 * What the fast path takes for granted of the reserved bits of 8-byte
 * entries up to @root_level, as every format sets them
 * (walker/page_format.c): PS cannot end a walk at the 4K, 512G or 256T
 * level, so the PS-set row is the PS-clear row there, and above 1G PS is
 * reserved.
 */
static bool fast_walk_format_ok(const struct kvm_page_format *fmt,
				int root_level)
{
	static const int levels[] = { PG_LEVEL_4K, PT64_ROOT_4LEVEL,
				      PT64_ROOT_5LEVEL };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(levels); i++) {
		int l = levels[i] - 1;

		if (levels[i] > root_level)
			break;
		if (fmt->rsvd_bits_mask[1][l] != fmt->rsvd_bits_mask[0][l])
			return false;
		if (levels[i] > PG_LEVEL_1G &&
		    !(fmt->rsvd_bits_mask[0][l] & PT_PAGE_SIZE_MASK))
			return false;
	}
	return true;
}

int kvm_pagewalk_init(struct kvm_pagewalk *w, const struct cpu_role *role,
		      u64 root, struct guest_memory *mem,
		      struct kvm_pagewalk *nested)
{
	int r;

	if (!mem || nested == w)
		return -EINVAL;
	memset(w, 0, sizeof(*w));
	/* Until the role is set: the general walk. */
	kvm_pagewalk_bind(w);
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
	w->fast_walk = w->role.level >= PT64_ROOT_4LEVEL &&
		       fast_walk_format_ok(&w->fmt, w->role.level);
	table_cache_reset(w);
	kvm_pagewalk_bind(w);
	return 0;
}

/* Declared, and said what it is, in walker/fast_walk_internal.h. */
const u64 walk_empty_table[PT64_ENT_PER_PAGE];

static void table_cache_clear(struct walk_table_cache *c, const u64 *page)
{
	c->key = WALK_TABLE_NONE;
	c->page = page;
	c->span = GUEST_MEMORY_SPAN_EMPTY;
	c->like_base = 0;
	c->like_pages = 0;
}

/* Forget the path memos, which hold for the root at root_cache's key. */
static void path_memo_clear(struct kvm_pagewalk *w)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(w->path_memo); i++)
		w->path_memo[i].addr = WALK_TABLE_NONE;
}

__attribute__((noinline, cold)) void table_cache_reset(struct kvm_pagewalk *w)
{
	int row, level;

	table_cache_clear(&w->root_cache, NULL);
	path_memo_clear(w);
	for (level = 0; level < WALK_MAX_LEVELS; level++) {
		table_cache_clear(&w->table_cache[level], NULL);
		for (row = 0; row < WALK_TABLE_CACHE_ROWS; row++)
			table_cache_clear(&w->entry_cache[row][level],
					  walk_empty_table);
	}
	for (row = 0; row < WALK_TABLE_CACHE_ROWS; row++)
		w->leaf_cache[row] = WALK_LEAF_NONE;
	w->table_cache_generation = w->mem->generation;
}

static_assert(_Alignof(struct cpu_role) == 1,
	      "a role has one-byte members, no padding: memcmp() compares it");

int kvm_pagewalk_reload(struct kvm_pagewalk *w, const struct cpu_role *role,
			u64 root, struct guest_memory *mem,
			struct kvm_pagewalk *nested)
{
	/*
	 * A walker whose kvm_pagewalk_init() failed has no memory, so one
	 * with @mem was set up for its role.
	 */
	if (!mem || w->mem != mem || w->nested != nested ||
	    memcmp(&w->role, role, sizeof(*role)) ||
	    (nested && !nested->role.tdp))
		return kvm_pagewalk_init(w, role, root, mem, nested);
	/*
	 * Kept: the format, the constants and the walk bound for the role
	 * and nested stage, and the table caches, whose keys are entries
	 * and table addresses, not where the walk started (a nested stage
	 * that changed root or role changes no key of @w's either: its
	 * table pages are keyed by GPA).  What the walks from the old
	 * root left goes: the root's page and the path memos, which hold
	 * for it (a walk would also find them stale by root_cache's key).
	 */
	if (w->root != root) {
		table_cache_clear(&w->root_cache, NULL);
		path_memo_clear(w);
		w->root = root;
	}
	memset(w->pdptrs, 0, sizeof(w->pdptrs));
	w->pdptrs_valid = false;
	w->ept_advanced_exit_info = false;
	return 0;
}

/* @page, the host page of a table that missed @c, is kept under @key. */
static const u64 *table_cache_keep(struct walk_table_cache *c, u64 key,
				   const u64 *page)
{
	if (page) {
		c->key = key;
		c->page = page;
	}
	return page;
}

/*
 * table_cache_fill() past @c's span: the page in guest memory's page
 * cache, which costs less than a search for a span, else from the span
 * around @table, which @c keeps from now on, else looked up.  An
 * entry_cache slot's like_base and like_pages go with its span: they
 * stay with it for a @key like the slot's last, and are emptied for the
 * caller to set again when the span changes.
 */
__attribute__((noinline)) const u64 *
table_cache_fill_past_span(const struct guest_memory *mem,
			   struct walk_table_cache *c, u64 key, u64 table)
{
	const u64 *page = guest_memory_cached_page(mem, table);

	if (page)
		return table_cache_keep(c, key, page);
	c->like_pages = 0;
	if (guest_memory_find_span(mem, table, &c->span))
		page = guest_memory_span_page(&c->span, table);
	if (!page)
		page = guest_memory_page(mem, table);
	return table_cache_keep(c, key, page);
}

/*
 * The root table of @w missed root_cache: its host page, kept in
 * root_cache, or NULL when it is not in memory.  The path memos, whose
 * walks started at the root root_cache had, go.
 */
__attribute__((noinline)) const u64 *root_cache_fill(struct kvm_pagewalk *w,
						     u64 table)
{
	path_memo_clear(w);
	return table_cache_fill(w->mem, &w->root_cache, table, table);
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
