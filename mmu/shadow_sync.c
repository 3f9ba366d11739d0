/* shadow_mmu's unsync pages: made writable on a write, synced on a flush. */
#include <errno.h>
#include <stdlib.h>

#include "mmu/shadow_mmu.h"

/*
 * An unsync page is a shadowed 4K guest table the guest may write without
 * a fault: its gfn is mapped writable and its SPTEs may be stale until the
 * guest flushes its TLB (INVLPG, a CR3 load), which KVM takes as the
 * moment to re-read the guest PTEs.  Every SPTE that links an unsync page,
 * or a page with unsync pages below it, has its bit set in its page's
 * unsync_child_bitmap, and unsync_children counts those bits; the bits
 * are cleared lazily, by the next walk that finds nothing unsync below.
 */

static void mark_parents_unsync(struct mmu_context *mmu,
				struct kvm_mmu_page *sp)
{
	unsigned int i;

	for (i = 0; i < sp->nr_parent_ptes; i++)
		shadow_mmu_mark_unsync(mmu, sp->parent_ptes[i]);
}

void shadow_mmu_mark_unsync(struct mmu_context *mmu, u64 *sptep)
{
	struct kvm_mmu_page *sp = sptep_to_sp(mmu, sptep);
	unsigned int index = shadow_spte_index(sp, sptep);
	u64 bit = BIT_ULL(index % 64);

	if (sp->unsync_child_bitmap[index / 64] & bit)
		return;
	sp->unsync_child_bitmap[index / 64] |= bit;
	/* Only the first unsync child needs the parents told. */
	if (sp->unsync_children++)
		return;
	mark_parents_unsync(mmu, sp);
}

static void clear_unsync_child_bit(struct kvm_mmu_page *sp, unsigned int index)
{
	MMU_WARN_ON(!sp->unsync_children);
	sp->unsync_children--;
	sp->unsync_child_bitmap[index / 64] &= ~BIT_ULL(index % 64);
}

static void kvm_unsync_page(struct mmu_context *mmu, struct kvm_mmu_page *sp)
{
	mmu->stats.mmu_unsync++;
	sp->unsync = true;
	mark_parents_unsync(mmu, sp);
}

bool shadow_mmu_gfn_has_sync_table(struct mmu_context *mmu, u64 gfn)
{
	struct shadow_ptr_list *list = shadow_gfn_pages(mmu, gfn);
	unsigned int i;

	for (i = 0; list && i < list->nr; i++) {
		struct kvm_mmu_page *sp = list->ptrs[i];

		if (!shadow_sp_is_obsolete(mmu, sp) && !sp->unsync)
			return true;
	}
	return false;
}

int mmu_try_to_unsync_pages(struct mmu_context *mmu, u64 gfn,
			    bool synchronizing, bool prefetch)
{
	struct shadow_ptr_list *list;
	unsigned int i;

	/* Upper-level tables (and other trackers) never go unsync. */
	if (mmu_gfn_is_write_tracked(mmu, gfn))
		return -EPERM;

	list = shadow_gfn_pages(mmu, gfn);
	for (i = 0; list && i < list->nr; i++) {
		struct kvm_mmu_page *sp = list->ptrs[i];

		if (shadow_sp_is_obsolete(mmu, sp))
			continue;
		/* A sync builds SPTEs from the guest PTEs: it never unsyncs. */
		if (synchronizing)
			return -EPERM;
		if (sp->unsync)
			continue;
		/* A prefetch is no write: leave the table write-protected. */
		if (prefetch)
			return -EEXIST;
		MMU_WARN_ON(sp->role.level != PG_LEVEL_4K);
		kvm_unsync_page(mmu, sp);
	}
	return 0;
}

/* The unsync pages below a page, without duplicates. */
struct unsync_pages {
	struct kvm_mmu_page **sps;
	unsigned int nr;
	unsigned int capacity;
};

static int unsync_pages_add(struct unsync_pages *pages, struct kvm_mmu_page *sp)
{
	unsigned int i;

	for (i = 0; i < pages->nr; i++)
		if (pages->sps[i] == sp)
			return 0;
	if (pages->nr == pages->capacity) {
		unsigned int capacity = pages->capacity ? pages->capacity * 2 :
							  16;
		struct kvm_mmu_page **sps =
			realloc(pages->sps, capacity * sizeof(*sps));

		if (!sps)
			return -ENOMEM;
		pages->sps = sps;
		pages->capacity = capacity;
	}
	pages->sps[pages->nr++] = sp;
	return 0;
}

/*
 * Collect the unsync pages below @sp and clear the bits that lead to
 * none: __mmu_unsync_walk().  The number collected, or -ENOMEM.
 */
static int __unsync_walk(struct mmu_context *mmu, struct kvm_mmu_page *sp,
			 struct unsync_pages *pages)
{
	int nr_unsync_leaf = 0;
	unsigned int i;
	int r;

	for (i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		struct kvm_mmu_page *child;
		u64 spte = sp->spt[i];

		if (!(sp->unsync_child_bitmap[i / 64] & BIT_ULL(i % 64)))
			continue;
		if (!is_shadow_present_pte(spte) ||
		    is_last_spte(spte, sp->role.level)) {
			clear_unsync_child_bit(sp, i);
			continue;
		}
		child = spte_to_child_sp(mmu, spte);
		if (child->unsync_children) {
			r = __unsync_walk(mmu, child, pages);
			if (r < 0)
				return r;
			if (!r)
				clear_unsync_child_bit(sp, i);
			nr_unsync_leaf += r;
		} else if (child->unsync) {
			if (unsync_pages_add(pages, child))
				return -ENOMEM;
			nr_unsync_leaf++;
		} else {
			clear_unsync_child_bit(sp, i);
		}
	}
	return nr_unsync_leaf;
}

static int unsync_walk(struct mmu_context *mmu, struct kvm_mmu_page *sp,
		       struct unsync_pages *pages)
{
	pages->nr = 0;
	if (!sp->unsync_children)
		return 0;
	return __unsync_walk(mmu, sp, pages);
}

/*
 * Sync the unsync pages below @parent: write-protect each page's gfn
 * again, then re-read its guest PTEs (mmu_sync_children()).  A page
 * that cannot be synced is zapped.
 */
void shadow_mmu_sync_children(struct mmu_context *mmu,
			      struct kvm_mmu_page *parent)
{
	struct unsync_pages pages = { 0 };
	bool flush = false;
	unsigned int i;

	while (unsync_walk(mmu, parent, &pages) > 0) {
		bool protected = false;

		for (i = 0; i < pages.nr; i++)
		protected |= shadow_mmu_write_protect_gfn(
			mmu, pages.sps[i]->gfn, PG_LEVEL_4K);
		if (protected) {
			mmu_flush_tlb(mmu);
			flush = false;
		}
		for (i = 0; i < pages.nr; i++) {
			struct kvm_mmu_page *sp = pages.sps[i];

			/* kvm_unlink_unsync_page(): synced from here on. */
			MMU_WARN_ON(!sp->unsync);
			sp->unsync = false;
			flush |= shadow_mmu_sync_page(mmu, sp) > 0;
		}
	}
	free(pages.sps);
	if (mmu->shadow->invalid_list)
		shadow_mmu_commit_zap(mmu);
	else if (flush)
		mmu_flush_tlb(mmu);
}

bool shadow_mmu_zap_unsync_children(struct mmu_context *mmu,
				    struct kvm_mmu_page *parent)
{
	struct unsync_pages pages = { 0 };
	bool zapped = false;
	unsigned int i;

	if (parent->role.level == PG_LEVEL_4K)
		return false;
	while (unsync_walk(mmu, parent, &pages) > 0) {
		for (i = 0; i < pages.nr; i++)
			shadow_mmu_prepare_zap_page(mmu, pages.sps[i]);
		zapped = true;
	}
	free(pages.sps);
	return zapped;
}

/*
 * Bring the SPTE at @i of the unsync page @sp in line with its guest PTE:
 * FNAME(sync_spte).  0 when nothing changed, 1 when it changed (flush),
 * negative when the guest PTE cannot be read.
 */
static int sync_spte(struct mmu_context *mmu, struct kvm_mmu_page *sp,
		     unsigned int i)
{
	const struct kvm_pagewalk *w = mmu->w;
	u64 *sptep = &sp->spt[i];
	unsigned int pte_access;
	bool host_writable, wrprot;
	u64 gpte, gfn, spte;

	if (*sptep == SHADOW_NONPRESENT_VALUE)
		return 0;
	MMU_WARN_ON(!sp->shadowed_translation);
	if (!sp->shadowed_translation)
		return 0;
	if (guest_memory_read(w->mem, shadow_gpte_gpa(sp, i),
			      shadow_gpte_size(sp), &gpte))
		return -EFAULT;
	if (shadow_prefetch_invalid_gpte(mmu, sptep, gpte))
		return 1;

	gfn = gpte_to_gfn(gpte);
	pte_access = sp->role.access & gpte_access(w->role.ept, gpte);
	walk_protect_clean_gpte(w, &pte_access, gpte);

	/* sync_mmio_spte(): an MMIO SPTE follows the PTE or goes. */
	if (is_mmio_spte(&mmu->shadow->masks, *sptep)) {
		if (gfn != get_mmio_spte_gfn(&mmu->shadow->masks, *sptep))
			mmu_write_spte(mmu, sptep, SHADOW_NONPRESENT_VALUE);
		else
			shadow_mark_mmio_spte(mmu, sptep, gfn, pte_access);
		return 0;
	}

	/*
	 * Drop the SPTE when the rights leave nothing present (EPT only:
	 * an x86 SPTE is always readable) or the PTE maps another gfn.
	 */
	if ((mmu->shadow->masks.ept && !pte_access) ||
	    gfn != shadow_sp_get_gfn(sp, i)) {
		shadow_mmu_drop_spte(mmu, sptep);
		return 1;
	}
	/* Same rights: the SPTE is right, and A/D are set in the PTE. */
	if (shadow_sp_get_access(sp, i) == pte_access)
		return 0;

	shadow_sp_set_translation(sp, i, gfn, pte_access);
	spte = *sptep;
	host_writable = spte & mmu->shadow->masks.host_writable_mask;
	spte = shadow_make_spte(mmu, sp, pte_access, gfn, spte_to_pfn(spte),
				spte, true, true, host_writable, &wrprot);
	return shadow_mmu_spte_update(mmu, sptep, spte);
}

/*
 * KVM's kvm_sync_page_check(): only a page made for this MMU's paging
 * bits may be synced with it; level, rights, quadrant and passthrough
 * differ between pages of one MMU.
 */
static bool sync_page_check(const struct mmu_context *mmu,
			    const struct kvm_mmu_page *sp)
{
	const union kvm_mmu_page_role ignored = {
		.level = 0xf,
		.access = ACC_ALL,
		.quadrant = 0x3,
		.passthrough = 0x1,
	};

	return !sp->role.direct && mmu->w &&
	       !((sp->role.word ^ mmu->root_role.word) & ~ignored.word);
}

int shadow_mmu_sync_page(struct mmu_context *mmu, struct kvm_mmu_page *sp)
{
	int flush = 0;
	unsigned int i;
	int r;

	if (!sync_page_check(mmu, sp))
		goto out_zap;
	for (i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		r = sync_spte(mmu, sp, i);
		if (r < 0)
			goto out_zap;
		flush |= r;
	}
	mmu->stats.mmu_synced++;
	return flush;

out_zap:
	shadow_mmu_prepare_zap_page(mmu, sp);
	return -1;
}

/*
 * CR3 load: kvm_mmu_sync_roots(), for a root page or for each page a PAE
 * root points at.
 */
void shadow_mmu_sync_roots(struct mmu_context *mmu)
{
	struct kvm_mmu_page *root = mmu->root.sp;
	unsigned int i;

	if (!mmu->shadow || !mmu->root.hpa || mmu->root_role.direct ||
	    (root && root->tdp_mmu_page))
		return;
	if (!root) {
		for (i = 0; i < PAE_ROOT_NR_ENTRIES; i++) {
			root = shadow_pae_root_page(mmu, i);
			if (root)
				shadow_mmu_sync_children(mmu, root);
		}
		return;
	}
	if (!root->unsync && !root->unsync_children)
		return;
	shadow_mmu_sync_children(mmu, root);
}

/*
 * __kvm_mmu_invalidate_addr() on one root: sync the SPTEs for @addr in
 * the unsync pages on its path, zapping those that cannot be synced;
 * stop where nothing unsync lies below.
 */
static void invalidate_addr_root(struct mmu_context *mmu,
				 const struct kvm_mmu_root *root, u64 addr)
{
	struct kvm_mmu_page *sp = shadow_root_page(mmu, root, addr);
	int level;

	for (level = sp ? sp->role.level : 0; sp && level >= PG_LEVEL_4K;
	     level--) {
		unsigned int index = pt_index(addr, level);
		u64 *sptep = &sp->spt[index];

		if (sp->unsync) {
			int r = sync_spte(mmu, sp, index);

			if (r < 0)
				shadow_mmu_zap_pte(mmu, sp, sptep);
			if (r)
				mmu_flush_tlb(mmu);
		}
		if (!sp->unsync_children)
			break;
		if (!is_shadow_present_pte(*sptep) ||
		    is_last_spte(*sptep, level))
			break;
		sp = spte_to_child_sp(mmu, *sptep);
	}
}

/* A linear address the guest's mode has: 32 bits, or canonical. */
static bool is_guest_linear_address(const struct kvm_pagewalk *w, u64 addr)
{
	if (w->role.level < PT64_ROOT_4LEVEL)
		return !(addr >> 32);
	return is_canonical_address(addr, w->role.level);
}

/*
 * INVLPG: kvm_mmu_invalidate_addr() over the current and the previous
 * roots.  An address outside the guest's linear address space (not
 * canonical, or above 4G without 64-bit paging) invalidates nothing.
 */
void shadow_mmu_invalidate_addr(struct mmu_context *mmu, u64 addr)
{
	const struct kvm_pagewalk *w = mmu->w;
	int i;

	if (!mmu->shadow || !w || mmu->root_role.direct)
		return;
	if (!w->role.tdp && !is_guest_linear_address(w, addr))
		return;
	if (mmu->root.hpa && !(mmu->root.sp && mmu->root.sp->tdp_mmu_page))
		invalidate_addr_root(mmu, &mmu->root, addr);
	for (i = 0; i < KVM_MMU_NUM_PREV_ROOTS; i++)
		if (mmu->prev_roots[i].sp)
			invalidate_addr_root(mmu, &mmu->prev_roots[i], addr);
	shadow_mmu_commit_zap(mmu);
}
