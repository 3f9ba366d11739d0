/* shadow_mmu's faults: the shadow walk, fetch, prefetch and MMIO SPTEs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/shadow_mmu.h"

/*
 * The shadow walk over one root for @addr, as KVM's struct
 * kvm_shadow_walk_iterator: @sptep is the entry at @level in @sp.
 */
struct shadow_walk_iter {
	u64 addr;
	struct kvm_mmu_page *sp;
	u64 *sptep;
	unsigned int index;
	int level;
};

/*
 * Start at the page of @root that covers @addr, as KVM's
 * shadow_walk_init_using_root(): under a PAE root, the page its PDPTE for
 * @addr points at (no walk when that is not present).
 */
static void shadow_walk_init(struct mmu_context *mmu,
			     struct shadow_walk_iter *it,
			     const struct kvm_mmu_root *root, u64 addr)
{
	it->addr = addr;
	it->sp = shadow_root_page(mmu, root, addr);
	it->level = it->sp ? it->sp->role.level : 0;
}

static bool shadow_walk_okay(struct shadow_walk_iter *it)
{
	if (it->level < PG_LEVEL_4K || !it->sp)
		return false;
	it->index = pt_index(it->addr, it->level);
	it->sptep = &it->sp->spt[it->index];
	return true;
}

static void shadow_walk_next(struct mmu_context *mmu,
			     struct shadow_walk_iter *it)
{
	u64 spte = *it->sptep;

	if (!is_shadow_present_pte(spte) || is_last_spte(spte, it->level)) {
		it->level = 0;
		return;
	}
	it->sp = spte_to_child_sp(mmu, spte);
	it->level--;
}

#define for_each_shadow_entry(mmu, root, _addr, it)     \
	for (shadow_walk_init(mmu, &(it), root, _addr); \
	     shadow_walk_okay(&(it)); shadow_walk_next(mmu, &(it)))

static void clear_sp_write_flooding_count(struct kvm_mmu_page *sp)
{
	sp->write_flooding_count = 0;
}

/*
 * The guest keeps using the tables on the path to @addr: they are not
 * being recycled.  KVM's shadow_page_table_clear_flood().
 */
static void shadow_page_table_clear_flood(struct mmu_context *mmu, u64 addr)
{
	struct shadow_walk_iter it;

	for_each_shadow_entry(mmu, &mmu->root, addr, it)
		clear_sp_write_flooding_count(it.sp);
}

void shadow_mark_mmio_spte(struct mmu_context *mmu, u64 *sptep, u64 gfn,
			   unsigned int access)
{
	u64 spte = make_mmio_spte(&mmu->shadow->masks, gfn, access,
				  mmu->memslots.generation);

	mmu_write_spte(mmu, sptep, spte);
}

/*
 * Map @gfn (frame @pfn) at @sptep, an SPTE of @sp, with @pte_access: KVM's
 * mmu_set_spte().  The callers know @sp from their walk; sptep_to_sp() is
 * a hash lookup here, not KVM's page-struct read.  @fault is NULL for a
 * prefetch.  A present SPTE of another frame, or a link to a page table
 * where a huge leaf goes, is dropped first.
 */
static int shadow_set_spte(struct mmu_context *mmu, struct kvm_mmu_page *sp,
			   u64 *sptep, unsigned int pte_access, u64 gfn,
			   u64 pfn, struct kvm_page_fault *fault)
{
	bool host_writable = !fault || fault->map_writable;
	bool prefetch = !fault || fault->prefetch;
	bool write_fault = fault && fault->write;
	unsigned int index = shadow_spte_index(sp, sptep);
	int level = sp->role.level;
	bool was_rmapped = false;
	int ret = RET_PF_FIXED;
	bool flush = false;
	bool wrprot;
	u64 spte;

	MMU_WARN_ON(sp != sptep_to_sp(mmu, sptep));
	if (fault && !fault->slot) {
		shadow_mark_mmio_spte(mmu, sptep, gfn, pte_access);
		mmu->stats.pf_mmio_spte_created++;
		return RET_PF_EMULATE;
	}

	if (is_shadow_present_pte(*sptep)) {
		if (prefetch && is_last_spte(*sptep, level) &&
		    pfn == spte_to_pfn(*sptep))
			return RET_PF_SPURIOUS;
		if (level > PG_LEVEL_4K && !is_large_pte(*sptep)) {
			drop_parent_pte(mmu, spte_to_child_sp(mmu, *sptep),
					sptep);
			flush = true;
		} else if (pfn != spte_to_pfn(*sptep)) {
			shadow_mmu_drop_spte(mmu, sptep);
			flush = true;
		} else {
			was_rmapped = true;
		}
	}

	if (!was_rmapped && shadow_rmap_add(mmu, sptep, gfn, level))
		return -ENOMEM;

	spte = shadow_make_spte(mmu, sp, pte_access, gfn, pfn, *sptep, prefetch,
				false, host_writable, &wrprot);
	if (*sptep == spte) {
		MMU_WARN_ON(!was_rmapped);
		ret = RET_PF_SPURIOUS;
	} else {
		flush |= shadow_mmu_spte_update(mmu, sptep, spte);
	}
	if (wrprot && write_fault)
		ret = RET_PF_WRITE_PROTECTED;
	if (flush)
		mmu_flush_tlb(mmu);
	shadow_sp_set_translation(sp, index, gfn, pte_access);
	return ret;
}

/*
 * Map @nr frames from @gfn at @sptep onwards, SPTEs of @sp, without a
 * fault: kvm_mmu_prefetch_sptes().  Only RAM in one writable slot
 * qualifies, and a dirty-logged slot only for read-only mappings.
 */
static bool prefetch_sptes(struct mmu_context *mmu, struct kvm_mmu_page *sp,
			   u64 gfn, u64 *sptep, unsigned int nr,
			   unsigned int access)
{
	struct kvm_memory_slot *slot = gfn_to_memslot(mmu, gfn);
	unsigned int i;

	if (!slot || (slot->flags & MEMSLOT_READONLY) ||
	    ((access & ACC_WRITE_MASK) && (slot->flags & MEMSLOT_DIRTY_LOG)) ||
	    gfn + nr > slot->base_gfn + slot->npages)
		return false;
	for (i = 0; i < nr; i++) {
		u64 hpa =
			guest_memory_gpa_to_hpa(mmu->mem, gfn_to_gpa(gfn + i));

		/*
		 * A prefetch maps only what the host has already: a frame of
		 * a 4K-host-page slot is faulted in by a real fault.
		 */
		if (hpa == INVALID_HPA)
			return false;
		if (shadow_set_spte(mmu, sp, sptep + i, access, gfn + i,
				    hpa >> PAGE_SHIFT, NULL) < 0)
			return false;
	}
	return true;
}

bool shadow_prefetch_invalid_gpte(struct mmu_context *mmu, u64 *sptep, u64 gpte)
{
	const struct kvm_pagewalk *w = mmu->w;

	if (walk_is_present(w, gpte) &&
	    (!walk_has_ad(w) || walk_gpte_is_accessed(w, gpte)) &&
	    !walk_gpte_is_rsvd(w, gpte, PG_LEVEL_4K))
		return false;
	shadow_mmu_drop_spte(mmu, sptep);
	return true;
}

static bool prefetch_gpte(struct mmu_context *mmu, struct kvm_mmu_page *sp,
			  u64 *sptep, u64 gpte)
{
	unsigned int access;

	if (shadow_prefetch_invalid_gpte(mmu, sptep, gpte))
		return false;
	access = sp->role.access & gpte_access(mmu->w->role.ept, gpte);
	walk_protect_clean_gpte(mmu->w, &access, gpte);
	return prefetch_sptes(mmu, sp, gpte_to_gfn(gpte), sptep, 1, access);
}

/*
 * Prefetch the runs of non-present SPTEs in the group of a direct 4K page:
 * KVM's __direct_pte_prefetch().
 */
static void direct_pte_prefetch(struct mmu_context *mmu,
				struct kvm_mmu_page *sp, u64 *sptep)
{
	unsigned int first = shadow_spte_index(sp, sptep) &
			     ~(PTE_PREFETCH_NUM - 1);
	u64 *spte = &sp->spt[first];
	u64 *start = NULL;
	unsigned int i;

	for (i = 0; i < PTE_PREFETCH_NUM; i++, spte++) {
		if (is_shadow_present_pte(*spte) || spte == sptep) {
			if (!start)
				continue;
			if (!prefetch_sptes(
				    mmu, sp,
				    shadow_sp_get_gfn(
					    sp, shadow_spte_index(sp, start)),
				    start, spte - start, sp->role.access))
				return;
			start = NULL;
		} else if (!start) {
			start = spte;
		}
	}
	if (start)
		prefetch_sptes(mmu, sp,
			       shadow_sp_get_gfn(sp,
						 shadow_spte_index(sp, start)),
			       start, spte - start, sp->role.access);
}

/*
 * FNAME(pte_prefetch): map the guest PTEs of the aligned group of
 * PTE_PREFETCH_NUM around a 4K fault, stopping at the first one that
 * cannot be prefetched.  Prefetched SPTEs are access-tracked and never
 * unsync a page: a write to a shadowed table still faults first.
 */
static void shadow_pte_prefetch(struct mmu_context *mmu,
				struct kvm_mmu_page *sp, u64 *sptep)
{
	unsigned int first, i;

	MMU_WARN_ON(sp != sptep_to_sp(mmu, sptep));
	if (sp->role.level > PG_LEVEL_4K)
		return;
	if (sp->role.direct) {
		direct_pte_prefetch(mmu, sp, sptep);
		return;
	}
	first = shadow_spte_index(sp, sptep) & ~(PTE_PREFETCH_NUM - 1);
	for (i = first; i < first + PTE_PREFETCH_NUM; i++) {
		u64 *spte = &sp->spt[i];
		u64 gpte;

		if (spte == sptep || is_shadow_present_pte(*spte))
			continue;
		if (guest_memory_read(mmu->w->mem, shadow_gpte_gpa(sp, i),
				      shadow_gpte_size(sp), &gpte) ||
		    !prefetch_gpte(mmu, sp, spte, gpte))
			break;
	}
}

/*
 * A direct page whose rights are not the guest leaf's any more (the leaf
 * became dirty, so writable) is unlinked for a new one:
 * validate_direct_spte().
 */
static void validate_direct_spte(struct mmu_context *mmu, u64 *sptep,
				 unsigned int direct_access)
{
	struct kvm_mmu_page *child;

	if (!is_shadow_present_pte(*sptep) || is_large_pte(*sptep))
		return;
	child = spte_to_child_sp(mmu, *sptep);
	if (child->role.access == direct_access)
		return;
	drop_parent_pte(mmu, child, sptep);
	mmu_flush_tlb(mmu);
}

/*
 * Below the level where the guest's walk ended, build direct pages down to
 * fault->goal_level and map the frame there: the direct part of
 * FNAME(fetch), and all of direct_map() for a paging-off guest.
 */
static int shadow_fetch_direct(struct mmu_context *mmu,
			       struct kvm_page_fault *fault,
			       struct shadow_walk_iter *it,
			       unsigned int pte_access, bool validate)
{
	struct kvm_mmu_page *sp;
	u64 base_gfn = fault->gfn;
	int r;

	mmu_hugepage_adjust(mmu, fault);
	for (; shadow_walk_okay(it); shadow_walk_next(mmu, it)) {
		base_gfn = fault->gfn & ~(pages_per_hpage(it->level) - 1);
		if (it->level == fault->goal_level)
			break;
		if (validate)
			validate_direct_spte(mmu, it->sptep, pte_access);
		r = shadow_get_child_sp(mmu, it->sptep, base_gfn, true,
					pte_access, &sp);
		if (r == -EEXIST)
			continue;
		if (!r)
			r = link_shadow_page(mmu, it->sptep, sp);
		if (r)
			return r;
	}
	MMU_WARN_ON(it->level != fault->goal_level);
	if (it->level != fault->goal_level)
		return -EFAULT;

	r = shadow_set_spte(mmu, it->sp, it->sptep, pte_access, base_gfn,
			    fault->pfn, fault);
	if (r == RET_PF_SPURIOUS || r < 0)
		return r;
	if (validate || !it->sp->role.ad_disabled)
		shadow_pte_prefetch(mmu, it->sp, it->sptep);
	return r;
}

/*
 * FNAME(fetch): mirror each guest table of the walk in @rec with the page
 * for (table gfn, rights above it), then map the leaf.  The rights of the
 * page at level L are those ANDed over the guest entries above L; the
 * leaf's rights are @pte_access (the walk's, adjusted for CR0.WP=0).
 */
static int shadow_fetch(struct mmu_context *mmu, struct kvm_page_fault *fault,
			const struct walk_record *rec, unsigned int pte_access)
{
	const struct kvm_pagewalk *w = mmu->w;
	u64 table_gfn[PT64_ROOT_MAX_LEVEL];
	unsigned int pt_access[PT64_ROOT_MAX_LEVEL];
	unsigned int access = ACC_ALL;
	struct shadow_walk_iter it;
	struct kvm_mmu_page *sp;
	int i, r;

	if (rec->guest.nr_entries != w->role.level - rec->leaf_level + 1)
		return -EINVAL;
	for (i = 0; i < rec->guest.nr_entries; i++) {
		const struct walk_entry *e = &rec->guest.entries[i];

		/*
		 * A PAE PDPTR is a register, not a table entry: the PAE root
		 * shadows it, and it has no rights to pass down.
		 */
		if (walk_is_pdptr(w, e->level))
			continue;
		table_gfn[e->level - 1] = gpa_to_gfn(e->pte_gpa);
		pt_access[e->level - 1] = access;
		access &= gpte_access(w->role.ept, e->after);
	}

	shadow_walk_init(mmu, &it, &mmu->root, fault->addr);
	/* The root must shadow the table this walk started from. */
	if (!it.sp || it.sp->gfn != table_gfn[it.level - 1])
		return -EINVAL;
	for (; shadow_walk_okay(&it); shadow_walk_next(mmu, &it)) {
		u64 gfn;

		clear_sp_write_flooding_count(it.sp);
		if (it.level == rec->leaf_level)
			break;

		gfn = table_gfn[it.level - 2];
		r = shadow_get_child_sp(mmu, it.sptep, gfn, false,
					pt_access[it.level - 2], &sp);
		if (r && r != -EEXIST)
			return r;
		if (!r) {
			/*
			 * A guest PTE may go from non-present to present
			 * without a TLB flush: sync the page's unsync
			 * children before the guest can reach them.
			 */
			if (sp->unsync_children)
				shadow_mmu_sync_children(mmu, sp);
			r = link_shadow_page(mmu, it.sptep, sp);
			if (r)
				return r;
		}
		if (fault->write && gfn == fault->gfn)
			fault->write_fault_to_shadow_pgtable = true;
	}
	return shadow_fetch_direct(mmu, fault, &it, pte_access, true);
}

/*
 * A fault of a paging-off guest: nonpaging_page_fault() and
 * direct_page_fault() on the direct root.  No fast path.
 */
static int shadow_direct_page_fault(struct mmu_context *mmu,
				    struct kvm_page_fault *fault)
{
	struct shadow_walk_iter it;
	int r;

	fault->gfn = gpa_to_gfn(fault->addr);
	/* KVM maps a paging-off guest with PAE tables: 2M pages at most. */
	if (fault->max_level > PG_LEVEL_2M)
		fault->max_level = PG_LEVEL_2M;
	fault->slot = gfn_to_memslot(mmu, fault->gfn);
	if (page_fault_handle_page_track(mmu, fault))
		return RET_PF_WRITE_PROTECTED;
	r = mmu_faultin_pfn(mmu, fault, ACC_ALL);
	if (r != RET_PF_CONTINUE)
		return r;
	shadow_walk_init(mmu, &it, &mmu->root, fault->addr);
	return shadow_fetch_direct(mmu, fault, &it, ACC_ALL, false);
}

static int __shadow_mmu_page_fault(struct mmu_context *mmu,
				   struct kvm_page_fault *fault)
{
	struct kvm_pagewalk *w = mmu->w;
	struct walk_access access = {
		/* RSVD came from an MMIO SPTE, never from the guest. */
		/*
		 * GUEST_PAGE: the CPU faulted on one of L2's tables, which
		 * ngpa_walk must check as a paging-structure access.
		 */
		.pfec = fault->error_code &
			(PFERR_WRITE_MASK | PFERR_USER_MASK | PFERR_FETCH_MASK |
			 PFERR_IMPLICIT_ACCESS | PFERR_GUEST_PAGE_MASK),
		.rflags_ac = fault->rflags_ac,
		.pkru = fault->pkru,
	};
	unsigned int pte_access;
	struct walk_record rec;
	struct walk_fault wf;
	int r;

	if (mmu->root_role.direct)
		return shadow_direct_page_fault(mmu, fault);

	if (w->role.tdp)
		r = ngpa_walk_translate(w, fault->addr, &access, &wf, &rec);
	else
		r = gva_walk_translate(w, fault->addr, &access, &wf, &rec);
	if (r < 0)
		return r;
	if (r) {
		/* The dispatcher injects it (and counts it). */
		if (!fault->prefetch) {
			fault->guest_fault = true;
			fault->injected = wf;
		}
		return RET_PF_RETRY;
	}

	fault->gfn = gpa_to_gfn(rec.gpa);
	/* The host never maps a page larger than the guest does. */
	fault->max_level = rec.leaf_level;
	fault->slot = gfn_to_memslot(mmu, fault->gfn);
	if (page_fault_handle_page_track(mmu, fault)) {
		shadow_page_table_clear_flood(mmu, fault->addr);
		return RET_PF_WRITE_PROTECTED;
	}

	r = mmu_faultin_pfn(mmu, fault, rec.pte_access);
	if (r != RET_PF_CONTINUE)
		return r;

	pte_access = rec.pte_access;
	/*
	 * CR0.WP=0: a supervisor write to a read-only page succeeds.  Map it
	 * writable but supervisor-only (and, with SMEP, not executable, since
	 * it may have been a user page), so that user accesses still fault.
	 * An MMIO SPTE keeps the guest's rights.
	 */
	if (!w->role.ept && fault->write && !(pte_access & ACC_WRITE_MASK) &&
	    !w->role.cr0_wp && !fault->user && fault->slot) {
		pte_access |= ACC_WRITE_MASK;
		pte_access &= ~ACC_USER_MASK;
		if (w->role.cr4_smep)
			pte_access &= ~ACC_EXEC_MASK;
	}
	return shadow_fetch(mmu, fault, &rec, pte_access);
}

/*
 * FNAME(page_fault): walk the guest's tables (mmu->w) for fault->addr,
 * setting A/D in guest memory as KVM's walker does; a guest fault is
 * handed back for injection with RET_PF_RETRY; else map the gfn the walk
 * produced, never larger than the guest's page.
 */
int shadow_mmu_page_fault(struct mmu_context *mmu, struct kvm_page_fault *fault)
{
	int r;

	if (!mmu->shadow || !mmu->w || !mmu->root.hpa ||
	    (mmu->root.sp && mmu->root.sp->tdp_mmu_page))
		return -EINVAL;
	fault->exec = fault->error_code & PFERR_FETCH_MASK;
	fault->write = fault->error_code & PFERR_WRITE_MASK;
	fault->present = fault->error_code & PFERR_PRESENT_MASK;
	fault->rsvd = fault->error_code & PFERR_RSVD_MASK;
	fault->user = fault->error_code & PFERR_USER_MASK;

	/* is_page_fault_stale(): a zapped root is replaced first. */
	if (shadow_root_is_obsolete(mmu, &mmu->root)) {
		shadow_mmu_free_obsolete_roots(mmu);
		return mmu->root.hpa ? RET_PF_RETRY : -ENOMEM;
	}

	r = __shadow_mmu_page_fault(mmu, fault);
	shadow_mmu_commit_zap(mmu);
	return r;
}
