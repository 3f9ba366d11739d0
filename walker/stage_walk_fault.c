/*
 * How a stage walk that faults ends: the fault it reports, and the
 * nested walk of a translation the nested stage's fast path gave up on,
 * which most often ends at an entry not present yet.
 */
#include <string.h>

#include "walker/fast_walk_internal.h"

static bool has_pferr_fetch(const struct kvm_pagewalk *w)
{
	return !w->role.ept && (w->role.efer_nx || w->role.cr4_smep);
}

/*
 * The common way a nested walk that its fast path gave up on ends: at an
 * entry that is not present (the EPT violation or NPF of a page not
 * mapped yet).  Walk the nested stage @w (no nested stage of its own) of
 * format @ept and @levels levels from the root through its table caches,
 * as stage_walk_fast() does, recording the entries it reads from
 * path->entries[path->nr_entries] on: the number of them when the last
 * is not present, for translate_ngpa_not_present(), else 0.  Anything
 * else (a reserved bit, a leaf, a table not in memory) is left to the
 * general walk, which records over what this one recorded.  The entries
 * it continues through are present, without reserved bits and tables,
 * which __stage_walk() continues through too.
 */
static __attribute__((always_inline)) inline unsigned int
__nested_walk_not_present(struct kvm_pagewalk *w, u64 ngpa,
			  struct walk_path *path, const bool ept,
			  const int levels)
{
	const u64 present_mask = ept ? w->pte_present_mask : PT_PRESENT_MASK;
	struct walk_entry *entries = &path->entries[path->nr_entries];
	u64 table = w->root & PT_BASE_ADDR_MASK;
	const u64 *page;
	int level;

	MMU_WARN_ON(path->nr_entries + levels > WALK_MAX_LEVELS);
	table_cache_check(w);
	page = stage_root_page(w);
	if (unlikely(!page))
		return 0;
#pragma GCC unroll 5
	for (level = levels; level >= PG_LEVEL_4K; level--) {
		struct walk_table_cache *c = &w->entry_cache[0][level - 1];
		unsigned int index = fast_index(ngpa, level);
		u64 pte = page[index];

		fast_record(&entries[levels - level], level,
			    table | (index * sizeof(u64)),
			    table | (index * sizeof(u64)), pte);
		if (!(pte & present_mask))
			return levels - level + 1;
		/*
		 * Checked when it was cached: a table, at c->page; not the
		 * empty table, whose key is no checked entry.
		 */
		if (level > PG_LEVEL_4K && pte == c->key &&
		    likely(c->page != walk_empty_table)) {
			page = c->page;
			table = pte & PT_BASE_ADDR_MASK;
			continue;
		}
		if (!fast_entry_ok(w, pte, level, ept) ||
		    fast_is_leaf(pte, level))
			return 0;
		table = pte & PT_BASE_ADDR_MASK;
		page = entry_cache_fill(w, 0, level, pte, ept);
		if (unlikely(!page))
			return 0;
	}
	/* The 4K level is a leaf or not present. */
	return 0;
}

/* __nested_walk_not_present() for nested stage @w, when it can take it. */
static unsigned int nested_walk_not_present(struct kvm_pagewalk *w, u64 ngpa,
					    struct walk_path *path)
{
	bool five = w->role.level == PT64_ROOT_5LEVEL;

	/*
	 * As nested_walk_fast(): fast_walk holds the formats it takes.  A
	 * stage with a nested stage of its own may keep nGPA tables in its
	 * entry_cache.
	 */
	if (!w->fast_walk || w->nested)
		return 0;
	MMU_WARN_ON(w->pte_size != 8 || w->role.level < PT64_ROOT_4LEVEL);
	if (w->role.ept)
		return five ? __nested_walk_not_present(w, ngpa, path, true,
							PT64_ROOT_5LEVEL) :
			      __nested_walk_not_present(w, ngpa, path, true,
							PT64_ROOT_4LEVEL);
	return five ? __nested_walk_not_present(w, ngpa, path, false,
						PT64_ROOT_5LEVEL) :
		      __nested_walk_not_present(w, ngpa, path, false,
						PT64_ROOT_4LEVEL);
}

/*
 * translate_ngpa() in the general walk of the nested stage, for a
 * translation the nested stage's fast path gave up on; a not-present
 * nested entry, the common case, without it.
 */
__attribute__((noinline)) int
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
	unsigned int nr_read;
	int r;

	nr_read = nested_walk_not_present(w->nested, ngpa, path);
	if (nr_read)
		return translate_ngpa_not_present(w, ngpa, access, gva, fault,
						  path, refs, nr_read);
	r = stage_walk(w->nested, ngpa, access, NULL, fault, &nested_rec, &sw);
	if (r) {
		fault->gva = gva;
		return r;
	}
	*gpa = gfn_to_gpa(sw.gfn) | (ngpa & PAGE_OFFSET_MASK);
	return 0;
}

void fill_stage_fault(const struct kvm_pagewalk *w, u64 addr, u64 access,
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

int translate_ngpa_not_present(struct kvm_pagewalk *w, u64 ngpa, u64 access,
			       u64 gva, struct walk_fault *fault,
			       struct walk_path *path, unsigned int *refs,
			       unsigned int nr_read)
{
	const struct kvm_pagewalk *nested = w->nested;
	const struct walk_entry *entries = &path->entries[path->nr_entries];
	u64 nx_mask = nested->role.ept || walk_has_4_byte_gpte(nested) ?
			      0 :
			      PT64_NX_MASK;
	u64 pte_access = ~0ULL;

	MMU_WARN_ON(!nr_read || path->nr_entries + nr_read > WALK_MAX_LEVELS);
	MMU_WARN_ON(entries[nr_read - 1].before & nested->pte_present_mask);
	/* As __stage_walk(): the rights ANDed over every entry read. */
	static_assert(WALK_MAX_LEVELS == 5, "one case a level");
	switch (nr_read) {
	case 5:
		pte_access &= entries[4].before ^ nx_mask;
		__attribute__((fallthrough));
	case 4:
		pte_access &= entries[3].before ^ nx_mask;
		__attribute__((fallthrough));
	case 3:
		pte_access &= entries[2].before ^ nx_mask;
		__attribute__((fallthrough));
	case 2:
		pte_access &= entries[1].before ^ nx_mask;
		__attribute__((fallthrough));
	default:
		pte_access &= entries[0].before ^ nx_mask;
	}
	end_entries(path, refs, path->nr_entries + nr_read, nr_read);
	fill_stage_fault(nested, ngpa, access, 0, pte_access,
			 entries[nr_read - 1].level, fault);
	fault->gva = gva;
	return 1;
}
