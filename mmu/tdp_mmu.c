/* tdp_mmu: L1's GPA -> HPA tables (EPT or NPT), as KVM's tdp_mmu.c. */
#include <errno.h>
#include <stdlib.h>

#include "mmu/tdp_iter.h"

/*
 * What mmusim's tdp_mmu leaves out of KVM's, and why:
 *
 *  - Concurrency.  One vCPU, no mmu_lock and no RCU: SPTEs are written
 *    plainly, so tdp_mmu_set_spte_atomic() cannot fail, a FROZEN_SPTE
 *    never outlives the function that would write it, walks never yield
 *    (tdp_mmu_iter_cond_resched()) and pages are freed at once instead of
 *    after a grace period.  The frozen-SPTE check of tdp_mmu_map() is
 *    kept: a frozen SPTE found there still means RET_PF_RETRY.
 *  - The NX huge page mitigation (iTLB multihit): make_spte() never
 *    takes exec away from a huge SPTE, tdp_mmu_map() has no
 *    disallowed_hugepage_adjust(), and there is no list of possible NX
 *    huge pages nor a recovery worker.  Executable huge pages are mapped
 *    as on a host without the erratum.
 *  - Mirror roots (TDX), gfn_bits, address spaces (SMM), page-level
 *    statistics, aging and clear_dirty_pt_masked().
 *
 * tdp_mmu's masks and SPTE format are mmu->tdp_masks and mmu->tdp_fmt:
 * equal to mmu->masks and mmu->fmt while a tdp_mmu root is loaded, and
 * still right when an L2 runs on a shadow_mmu root but a memslot
 * operation reaches tdp_mmu's tables.
 */

/*
 * KVM's kvm_ad_enabled: only EPT can lack hardware A/D bits; NPT and
 * shadow paging always have them.  Without them, leaves are access-tracked
 * and dirty logging write-protects.
 */
bool tdp_mmu_ad_enabled(const struct mmu_context *mmu)
{
	return !mmu->cfg.host.ept || mmu->cfg.ad_enabled;
}

/* One past the largest GFN the host's MAXPHYADDR can address. */
static u64 tdp_mmu_max_gfn_exclusive(const struct mmu_context *mmu)
{
	return 1ULL << (mmu->cfg.host.maxphyaddr - PAGE_SHIFT);
}

/*
 * Would @fault's access fault on a translation whose leaf is @spte?
 * Non-leaf SPTEs grant every right, so the leaf's rights are the walk's:
 * its ACC_* bits checked against the SPTE format's permissions[], as the
 * chainsaw series' spte_permission_fault().
 */
static bool spte_permission_fault(const struct mmu_context *mmu,
				  const struct kvm_page_fault *fault, u64 spte)
{
	u64 pfec = fault->error_code &
		   (PFERR_WRITE_MASK | PFERR_USER_MASK | PFERR_FETCH_MASK);
	unsigned int acc = spte_access(&mmu->tdp_masks, spte);

	return mmu->tdp_fmt.permissions[pfec >> PFERR_PERM_INDEX_SHIFT] &
	       BIT(acc);
}

/* Taking away MMU-writable needs a flush; taking away W or A/D alone not. */
static bool leaf_spte_change_needs_tlb_flush(const struct spte_masks *m,
					     u64 old_spte, u64 new_spte)
{
	return is_mmu_writable_spte(m, old_spte) &&
	       !is_mmu_writable_spte(m, new_spte);
}

static void handle_changed_spte(struct mmu_context *mmu, u64 gfn, u64 old_spte,
				u64 new_spte, int level);

/*
 * A table was unlinked from the paging structure (zapped, or replaced by
 * a huge leaf): zap its present SPTEs, recursing into child tables, and
 * free it.  KVM freezes each SPTE (FROZEN_SPTE) so that concurrent
 * walkers back off; with one vCPU nothing else can see the table, so the
 * SPTEs are set non-present directly (mmu_write_spte() refuses a frozen
 * value as a final one).
 */
static void handle_removed_pt(struct mmu_context *mmu, struct kvm_mmu_page *sp)
{
	int level = sp->role.level;
	int i;

	MMU_WARN_ON(!sp->tdp_mmu_page || sp->root_count);
	for (i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		u64 *sptep = &sp->spt[i];
		u64 gfn = sp->gfn + i * pages_per_hpage(level);
		u64 old_spte = *sptep;

		if (!is_shadow_present_pte(old_spte))
			continue;
		mmu_write_spte(mmu, sptep, SHADOW_NONPRESENT_VALUE);
		handle_changed_spte(mmu, gfn, old_spte, SHADOW_NONPRESENT_VALUE,
				    level);
	}
	mmu_free_page(mmu, sp);
}

/*
 * The bookkeeping after the SPTE mapping @gfn at @level changed from
 * @old_spte to @new_spte, as KVM's handle_changed_spte():
 *  - a present leaf never changes frame without going through
 *    non-present (KVM BUG()s: a missed MMU notifier);
 *  - every present SPTE written is valid in the SPTE format, and every
 *    leaf keeps the writable invariants;
 *  - non-present to non-present changes only install, replace or remove
 *    MMIO SPTEs;
 *  - a non-leaf SPTE that stops pointing at its table (zapped, or made a
 *    huge leaf) frees the table and everything below it.
 */
static void handle_changed_spte(struct mmu_context *mmu, u64 gfn, u64 old_spte,
				u64 new_spte, int level)
{
	const struct spte_masks *m = &mmu->tdp_masks;
	bool was_present = is_shadow_present_pte(old_spte);
	bool is_present = is_shadow_present_pte(new_spte);
	bool was_leaf = was_present && is_last_spte(old_spte, level);
	bool is_leaf = is_present && is_last_spte(new_spte, level);
	bool pfn_changed = spte_to_pfn(old_spte) != spte_to_pfn(new_spte);

	MMU_WARN_ON(level < PG_LEVEL_4K || level > PT64_ROOT_MAX_LEVEL);
	MMU_WARN_ON(gfn & (pages_per_hpage(level) - 1));
	MMU_WARN_ON(was_leaf && is_leaf && pfn_changed);

	if (old_spte == new_spte)
		return;

	if (is_present)
		MMU_WARN_ON(is_rsvd_spte(&mmu->tdp_fmt, new_spte, level));
	if (is_leaf)
		MMU_WARN_ON(!spte_writable_invariants_hold(m, new_spte));

	if (!was_present && !is_present) {
		MMU_WARN_ON(!is_mmio_spte(m, old_spte) &&
			    !is_mmio_spte(m, new_spte) &&
			    !is_frozen_spte(new_spte));
		return;
	}

	/* A table's frame never changes while it stays linked. */
	MMU_WARN_ON(was_present && !was_leaf && is_present && !is_leaf &&
		    pfn_changed);
	if (was_present && !was_leaf && (is_leaf || !is_present || pfn_changed))
		handle_removed_pt(mmu, spte_to_child_sp(mmu, old_spte));
}

/*
 * Every write of a tdp_mmu SPTE: @old_spte is what the caller read at
 * @sptep, which maps @gfn at @level.  KVM's tdp_mmu_set_spte() and
 * tdp_mmu_set_spte_atomic() in one, since nothing can race the write.
 */
static void tdp_mmu_set_spte(struct mmu_context *mmu, u64 *sptep, u64 old_spte,
			     u64 new_spte, u64 gfn, int level)
{
	MMU_WARN_ON(*sptep != old_spte);
	mmu_write_spte(mmu, sptep, new_spte);
	handle_changed_spte(mmu, gfn, old_spte, new_spte, level);
}

/*
 * As in KVM, iter->old_spte keeps the value before the write: the
 * iterator re-reads the SPTE before stepping down through it.
 */
void tdp_mmu_iter_set_spte(struct mmu_context *mmu, struct tdp_iter *iter,
			   u64 new_spte)
{
	tdp_mmu_set_spte(mmu, iter->sptep, iter->old_spte, new_spte, iter->gfn,
			 iter->level);
}

/*
 * A table for the range of the SPTE at @iter: the parent's role one level
 * down (every tdp_mmu page shares its root's role but for the level),
 * with the one SPTE that will point at it.
 */
struct kvm_mmu_page *tdp_mmu_alloc_child_sp(struct mmu_context *mmu,
					    struct tdp_iter *iter)
{
	struct kvm_mmu_page *parent_sp = sptep_to_sp(mmu, iter->sptep);
	union kvm_mmu_page_role role;
	struct kvm_mmu_page *sp;

	MMU_WARN_ON(!parent_sp || parent_sp->role.level != iter->level);
	role = parent_sp->role;
	role.level--;

	sp = mmu_alloc_page(mmu, role, iter->gfn);
	if (!sp)
		return NULL;
	sp->tdp_mmu_page = true;
	sp->parent_ptes[0] = iter->sptep;
	sp->nr_parent_ptes = 1;
	return sp;
}

/* Point the SPTE at @iter to the table of @sp. */
static void tdp_mmu_link_sp(struct mmu_context *mmu, struct tdp_iter *iter,
			    struct kvm_mmu_page *sp)
{
	u64 spte = make_nonleaf_spte(&mmu->tdp_masks, sp->hpa,
				     !tdp_mmu_ad_enabled(mmu));

	tdp_mmu_iter_set_spte(mmu, iter, spte);
}

/*
 * Replace the huge leaf at @iter by the table of @sp holding its 512
 * pieces one level down.  The pieces keep the huge SPTE's rights, A/D and
 * writable bits, so the translation is the same through either and no
 * flush is needed.
 */
void tdp_mmu_split_huge_page(struct mmu_context *mmu, struct tdp_iter *iter,
			     struct kvm_mmu_page *sp)
{
	const u64 huge_spte = iter->old_spte;
	int i;

	MMU_WARN_ON(!is_shadow_present_pte(huge_spte) ||
		    !is_large_pte(huge_spte));
	for (i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		u64 spte = make_small_spte(huge_spte, iter->level, i);

		MMU_WARN_ON(is_rsvd_spte(&mmu->tdp_fmt, spte, iter->level - 1));
		mmu_write_spte(mmu, &sp->spt[i], spte);
	}
	tdp_mmu_link_sp(mmu, iter, sp);
}

/*
 * make_spte()'s allow_writable.  KVM asks mmu_try_to_unsync_pages() only
 * when make_spte() would make the SPTE writable and the old SPTE is not
 * already a writable leaf: then any shadow page of the gfn is unsync
 * already.  As in KVM the old SPTE's presence is not checked, so an EPT
 * MMIO SPTE (W+X, and a leaf at 4K) counts as a writable leaf.
 */
static bool tdp_mmu_allow_writable(struct mmu_context *mmu,
				   const struct kvm_page_fault *fault,
				   const struct tdp_iter *iter,
				   unsigned int access)
{
	if (!(access & ACC_WRITE_MASK) || !fault->map_writable)
		return true;
	if (is_last_spte(iter->old_spte, iter->level) &&
	    is_writable_pte(iter->old_spte))
		return true;
	return !mmu_try_to_unsync_pages(mmu, iter->gfn, false, fault->prefetch);
}

/*
 * Install the leaf (or MMIO SPTE) for @fault at its goal level in @root,
 * as KVM's tdp_mmu_map_handle_target_level().  KVM takes the rights from
 * the page that holds the SPTE, sptep_to_sp(); every tdp_mmu page has
 * its root's role but for the level (tdp_mmu_alloc_child_sp()), so they
 * are the root's, without the lookup of the page.
 */
static int tdp_mmu_map_handle_target_level(struct mmu_context *mmu,
					   struct kvm_page_fault *fault,
					   struct kvm_mmu_page *root,
					   struct tdp_iter *iter)
{
	const unsigned int access = root->role.access;
	const struct spte_masks *m = &mmu->tdp_masks;
	int ret = RET_PF_FIXED;
	bool wrprot = false;
	u64 new_spte;

	MMU_WARN_ON(!sptep_to_sp(mmu, iter->sptep) ||
		    sptep_to_sp(mmu, iter->sptep)->role.level !=
			    fault->goal_level ||
		    sptep_to_sp(mmu, iter->sptep)->role.access != access);

	/* Already mapped, e.g. by a fault the TLB had not caught up with. */
	if (is_shadow_present_pte(iter->old_spte) &&
	    is_last_spte(iter->old_spte, iter->level) &&
	    (fault->prefetch ||
	     !spte_permission_fault(mmu, fault, iter->old_spte))) {
		MMU_WARN_ON(fault->pfn != spte_to_pfn(iter->old_spte));
		return RET_PF_SPURIOUS;
	}

	if (!fault->slot) {
		new_spte = make_mmio_spte(m, iter->gfn, access,
					  mmu->memslots.generation);
	} else {
		struct spte_request req = {
			.pfn = fault->pfn,
			.level = iter->level,
			.access = access,
			.host_writable = fault->map_writable,
			.allow_writable = tdp_mmu_allow_writable(mmu, fault,
								 iter, access),
			.prefetch = fault->prefetch,
			.ad_disabled = !tdp_mmu_ad_enabled(mmu),
		};

		new_spte = make_spte(m, &mmu->tdp_fmt, &req, &wrprot);
		/*
		 * A writable SPTE lets the guest write without faulting:
		 * log the page now.  Dirty-logged slots map only 4K pages,
		 * so that each logged write covers one page.
		 */
		if (is_writable_pte(new_spte) &&
		    (fault->slot->flags & MEMSLOT_DIRTY_LOG)) {
			MMU_WARN_ON(iter->level > PG_LEVEL_4K);
			mark_page_dirty(mmu, iter->gfn);
		}
	}

	if (new_spte == iter->old_spte) {
		ret = RET_PF_SPURIOUS;
	} else {
		tdp_mmu_iter_set_spte(mmu, iter, new_spte);
		/*
		 * A table replaced by a huge leaf may still be cached in
		 * the TLB; a leaf losing MMU-writable would be too, but
		 * make_spte() never takes it away here.
		 */
		if (is_shadow_present_pte(iter->old_spte) &&
		    (!is_last_spte(iter->old_spte, iter->level) ||
		     leaf_spte_change_needs_tlb_flush(m, iter->old_spte,
						      new_spte))) {
			MMU_WARN_ON(is_last_spte(iter->old_spte, iter->level));
			mmu_flush_tlb(mmu);
		}
	}

	/*
	 * A write to a gfn that must stay write-protected (a shadowed guest
	 * page table) is emulated; retrying would fault again.
	 */
	if (wrprot && fault->write)
		ret = RET_PF_WRITE_PROTECTED;

	/* An MMIO SPTE only saves the next fault a memslot lookup. */
	if (is_mmio_spte(m, new_spte)) {
		mmu->stats.pf_mmio_spte_created++;
		ret = RET_PF_EMULATE;
	}
	return ret;
}

/*
 * Map fault->gfn, as KVM's kvm_tdp_mmu_map(): walk from the root towards
 * the goal level, linking a new table at every non-present SPTE and
 * splitting every huge leaf in the way, then install the leaf.
 */
static int tdp_mmu_map(struct mmu_context *mmu, struct kvm_page_fault *fault)
{
	struct kvm_mmu_page *root = mmu->root.sp;
	struct kvm_mmu_page *sp;
	struct tdp_iter iter;

	mmu_hugepage_adjust(mmu, fault);

	for_each_tdp_pte(iter, mmu, root, fault->gfn, fault->gfn + 1) {
		/* Another vCPU is replacing the SPTE: let the guest retry. */
		if (is_frozen_spte(iter.old_spte))
			return RET_PF_RETRY;

		if (iter.level == fault->goal_level)
			return tdp_mmu_map_handle_target_level(mmu, fault, root,
							       &iter);

		/* Step down into the table that is there. */
		if (is_shadow_present_pte(iter.old_spte) &&
		    !is_large_pte(iter.old_spte))
			continue;

		/* Non-present (or MMIO), or a huge page to split. */
		sp = tdp_mmu_alloc_child_sp(mmu, &iter);
		if (!sp)
			return -ENOMEM;
		if (is_shadow_present_pte(iter.old_spte))
			tdp_mmu_split_huge_page(mmu, &iter, sp);
		else
			tdp_mmu_link_sp(mmu, &iter, sp);
	}

	/* The walk ended above the goal level. */
	MMU_WARN_ON(iter.valid);
	return RET_PF_RETRY;
}

/*
 * What the fast path can fix without the slow path's lookups: a write to
 * a present SPTE that is only write-protected (dirty logging), and, when
 * A/D bits are off, any access to an access-tracked SPTE.  Never an MMIO
 * (reserved-bit) fault.
 */
static bool page_fault_can_be_fast(const struct mmu_context *mmu,
				   const struct kvm_page_fault *fault)
{
	if (fault->rsvd)
		return false;
	if (!fault->present)
		return !tdp_mmu_ad_enabled(mmu);
	/* Fetches and writes are exclusive: ignore exec. */
	return fault->write;
}

/*
 * The last SPTE on the path to @gfn (a leaf, or the first non-present
 * one), as KVM's kvm_tdp_mmu_fast_pf_get_last_sptep().
 */
static u64 *tdp_mmu_fast_pf_get_last_sptep(struct mmu_context *mmu, u64 gfn,
					   u64 *spte)
{
	struct tdp_iter iter;
	u64 *sptep = NULL;

	for_each_tdp_pte(iter, mmu, mmu->root.sp, gfn, gfn + 1) {
		*spte = iter.old_spte;
		sptep = iter.sptep;
	}
	return sptep;
}

/*
 * KVM's fast_page_fault() for a direct MMU: fix the leaf in place when
 * the fault is only about access tracking or dirty-logging write
 * protection.  RET_PF_SPURIOUS when the access no longer faults,
 * RET_PF_FIXED when the SPTE was fixed, RET_PF_INVALID to take the slow
 * path.  KVM retries a lost cmpxchg up to 4 times; here the write cannot
 * be lost.
 */
static int fast_page_fault(struct mmu_context *mmu,
			   struct kvm_page_fault *fault)
{
	const struct spte_masks *m = &mmu->tdp_masks;
	struct kvm_mmu_page *sp;
	u64 spte = FROZEN_SPTE;
	u64 new_spte;
	u64 *sptep;

	if (!page_fault_can_be_fast(mmu, fault))
		return RET_PF_INVALID;

	sptep = tdp_mmu_fast_pf_get_last_sptep(mmu, fault->gfn, &spte);
	/* The root stays valid while the vCPU holds it. */
	MMU_WARN_ON(!sptep);
	if (!sptep || !is_shadow_present_pte(spte))
		return RET_PF_INVALID;
	sp = sptep_to_sp(mmu, sptep);
	if (!is_last_spte(spte, sp->role.level))
		return RET_PF_INVALID;

	/*
	 * The access may not fault any more: a TLB the fault came from had
	 * not seen the SPTE change yet.
	 */
	if (!spte_permission_fault(mmu, fault, spte)) {
		mmu->stats.pf_fast++;
		return RET_PF_SPURIOUS;
	}

	new_spte = spte;
	if (!tdp_mmu_ad_enabled(mmu) && is_access_track_spte(m, spte))
		new_spte = restore_acc_track_spte(m, new_spte) |
			   m->accessed_mask;

	/*
	 * Only an MMU-writable SPTE (write-protected for dirty logging or
	 * access tracking) is made writable here; one write-protected for a
	 * shadowed guest page table needs the slow path's unsync.  A huge
	 * SPTE in a dirty-logged slot is left to the slow path too, which
	 * maps 4K: the fast path would log only one page of it.
	 */
	if (fault->write && is_mmu_writable_spte(m, spte)) {
		new_spte |= PT_WRITABLE_MASK;
		if (sp->role.level > PG_LEVEL_4K && fault->slot &&
		    (fault->slot->flags & MEMSLOT_DIRTY_LOG))
			return RET_PF_INVALID;
	}

	if (new_spte == spte || spte_permission_fault(mmu, fault, new_spte))
		return RET_PF_INVALID;

	MMU_WARN_ON(!spte_writable_invariants_hold(m, new_spte));
	mmu_write_spte(mmu, sptep, new_spte);
	if (is_writable_pte(new_spte) && !is_writable_pte(spte))
		mark_page_dirty(mmu, fault->gfn);
	mmu->stats.pf_fast++;
	return RET_PF_FIXED;
}

/*
 * A fault on tdp_mmu's tables, as KVM's kvm_tdp_mmu_page_fault(): the
 * dispatcher fills @fault as kvm_mmu_do_page_fault() does (gfn from the
 * GPA, max_level).  There is no is_page_fault_stale(): without MMU
 * notifiers or a second vCPU, nothing changes the tables between the
 * memslot lookup and the map.
 */
int tdp_mmu_page_fault(struct mmu_context *mmu, struct kvm_page_fault *fault)
{
	struct kvm_mmu_page *root = mmu->root.sp;
	int r;

	if (!root || !root->tdp_mmu_page ||
	    fault->gfn != gpa_to_gfn(fault->addr) ||
	    fault->max_level < PG_LEVEL_4K || fault->max_level > PG_LEVEL_1G)
		return -EINVAL;

	/* Direct MMUs know the slot from the GPA before anything else. */
	fault->slot = gfn_to_memslot(mmu, fault->gfn);

	if (page_fault_handle_page_track(mmu, fault))
		return RET_PF_WRITE_PROTECTED;

	r = fast_page_fault(mmu, fault);
	if (r != RET_PF_INVALID)
		return r;

	r = mmu_faultin_pfn(mmu, fault, ACC_ALL);
	if (r != RET_PF_CONTINUE)
		return r;

	return tdp_mmu_map(mmu, fault);
}

/*
 * Zap the leaves mapping [@start, @end) in @root, as KVM's
 * tdp_mmu_zap_leafs(): tables stay (they are reclaimed with the root),
 * MMIO SPTEs stay (the memslot generation makes them stale).  Returns
 * whether a TLB flush is needed.
 */
static bool tdp_mmu_zap_leafs(struct mmu_context *mmu,
			      struct kvm_mmu_page *root, u64 start, u64 end,
			      bool flush)
{
	struct tdp_iter iter;

	if (end > tdp_mmu_max_gfn_exclusive(mmu))
		end = tdp_mmu_max_gfn_exclusive(mmu);

	for_each_tdp_pte_min_level(iter, mmu, root, PG_LEVEL_4K, start, end) {
		if (!is_shadow_present_pte(iter.old_spte) ||
		    !is_last_spte(iter.old_spte, iter.level))
			continue;

		tdp_mmu_iter_set_spte(mmu, &iter, SHADOW_NONPRESENT_VALUE);
		/* An invalid root is unreachable: nothing to flush. */
		if (!root->role.invalid)
			flush = true;
	}
	return flush;
}

/* Zap [@start, @end) in every root, and flush if anything was mapped. */
void tdp_mmu_zap_gfn_range(struct mmu_context *mmu, u64 start, u64 end)
{
	struct kvm_mmu_page *root;
	bool flush = false;
	int i;

	for_each_tdp_mmu_root(mmu, root, i)
		flush = tdp_mmu_zap_leafs(mmu, root, start, end, flush);
	if (flush)
		mmu_flush_tlb(mmu);
}

/*
 * One pass of KVM's tdp_mmu_zap_root(): zap every present SPTE at
 * @zap_level (leaves and tables alike).  Returns whether any was zapped.
 */
static bool __tdp_mmu_zap_root(struct mmu_context *mmu,
			       struct kvm_mmu_page *root, int zap_level)
{
	struct tdp_iter iter;
	bool zapped = false;

	for_each_tdp_pte_min_level(iter, mmu, root, zap_level, 0,
				   tdp_mmu_max_gfn_exclusive(mmu)) {
		if (!is_shadow_present_pte(iter.old_spte))
			continue;
		if (iter.level > zap_level)
			continue;

		tdp_mmu_iter_set_spte(mmu, &iter, SHADOW_NONPRESENT_VALUE);
		zapped = true;
	}
	return zapped;
}

/*
 * Empty @root, freeing every table below it.  KVM zaps at 4K, 2M, 1G and
 * then the root level so that each pass has bounded work between yields;
 * the result is the same as zapping the root entries alone.
 */
static bool tdp_mmu_zap_root(struct mmu_context *mmu, struct kvm_mmu_page *root)
{
	bool zapped = false;

	zapped |= __tdp_mmu_zap_root(mmu, root, PG_LEVEL_4K);
	zapped |= __tdp_mmu_zap_root(mmu, root, PG_LEVEL_2M);
	zapped |= __tdp_mmu_zap_root(mmu, root, PG_LEVEL_1G);
	zapped |= __tdp_mmu_zap_root(mmu, root, root->role.level);
	return zapped;
}

/*
 * Empty every root; the roots themselves stay.  KVM's
 * kvm_tdp_mmu_zap_all() runs at VM teardown and needs no flush; mmusim
 * uses it while the vCPU keeps running (KVM's fast zap), so it flushes.
 */
void tdp_mmu_zap_all(struct mmu_context *mmu)
{
	struct kvm_mmu_page *root;
	bool flush = false;
	int i;

	for_each_tdp_mmu_root(mmu, root, i)
		flush |= tdp_mmu_zap_root(mmu, root);
	if (flush)
		mmu_flush_tlb(mmu);
}

/*
 * Clear W and MMU-writable in the leaf mapping @gfn (at @min_level or
 * above): the gfn now holds a shadowed guest page table, and only the
 * slow path's mmu_try_to_unsync_pages() may make it writable again.
 */
static bool write_protect_gfn(struct mmu_context *mmu,
			      struct kvm_mmu_page *root, u64 gfn, int min_level)
{
	const struct spte_masks *m = &mmu->tdp_masks;
	struct tdp_iter iter;
	bool spte_set = false;
	u64 new_spte;

	for_each_tdp_pte_min_level(iter, mmu, root, min_level, gfn, gfn + 1) {
		if (!is_shadow_present_pte(iter.old_spte) ||
		    !is_last_spte(iter.old_spte, iter.level))
			continue;

		new_spte = iter.old_spte &
			   ~(PT_WRITABLE_MASK | m->mmu_writable_mask);
		if (new_spte == iter.old_spte)
			break;

		tdp_mmu_iter_set_spte(mmu, &iter, new_spte);
		spte_set = true;
	}
	return spte_set;
}

/*
 * Returns whether an SPTE changed; the caller flushes (taking away
 * MMU-writable always needs one).
 */
bool tdp_mmu_write_protect_gfn(struct mmu_context *mmu, u64 gfn, int min_level)
{
	struct kvm_mmu_page *root;
	bool spte_set = false;
	int i;

	MMU_WARN_ON(min_level < PG_LEVEL_4K || min_level > PG_LEVEL_1G);
	for_each_tdp_mmu_root(mmu, root, i)
		spte_set |= write_protect_gfn(mmu, root, gfn, min_level);
	return spte_set;
}

int tdp_mmu_get_walk(struct mmu_context *mmu, u64 gfn,
		     u64 sptes[PT64_ROOT_MAX_LEVEL], int *root_level)
{
	struct kvm_mmu_page *root = mmu->root.sp;
	struct tdp_iter iter;
	int nr = 0;

	if (!root || !root->tdp_mmu_page)
		return -EINVAL;
	*root_level = root->role.level;
	for_each_tdp_pte(iter, mmu, root, gfn, gfn + 1)
		sptes[nr++] = iter.old_spte;
	return nr;
}

/* Free @sp and every table below it, without writing an SPTE. */
static void tdp_mmu_free_tree(struct mmu_context *mmu, struct kvm_mmu_page *sp)
{
	int i;

	for (i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		u64 spte = sp->spt[i];

		if (is_shadow_present_pte(spte) &&
		    !is_last_spte(spte, sp->role.level))
			tdp_mmu_free_tree(mmu, spte_to_child_sp(mmu, spte));
	}
	mmu_free_page(mmu, sp);
}

/*
 * Make room for a root: drop one the vCPU is not using, as KVM
 * invalidates, zaps and puts roots that have lost their users.
 */
static int tdp_mmu_evict_root(struct mmu_context *mmu)
{
	struct kvm_mmu_page *root;
	int i;

	for_each_tdp_mmu_root(mmu, root, i) {
		if (root == mmu->root.sp)
			continue;
		tdp_mmu_free_tree(mmu, root);
		mmu->tdp_roots[i] = mmu->tdp_roots[--mmu->nr_tdp_roots];
		return 0;
	}
	return -ENOSPC;
}

/*
 * Load the root for mmu->root_role, as KVM's kvm_tdp_mmu_alloc_root():
 * reuse the root with the same role word, else allocate one.  A new root
 * holds two references, the TDP MMU's own and the vCPU's; the vCPU's
 * reference to the root it loaded before is dropped.
 */
int tdp_mmu_alloc_root(struct mmu_context *mmu)
{
	union kvm_mmu_page_role role = mmu->root_role;
	struct kvm_mmu_page *old = mmu->root.sp;
	struct kvm_mmu_page *root = NULL, *each;
	int i, r;

	if (!role.direct || role.level < PT64_ROOT_4LEVEL ||
	    role.level > PT64_ROOT_5LEVEL || role.invalid)
		return -EINVAL;

	mmu->tdp_masks = mmu->masks;
	mmu->tdp_fmt = mmu->fmt;

	for_each_tdp_mmu_root(mmu, each, i) {
		if (each->role.word == role.word) {
			root = each;
			break;
		}
	}

	if (!root) {
		if (mmu->nr_tdp_roots == (int)ARRAY_SIZE(mmu->tdp_roots)) {
			r = tdp_mmu_evict_root(mmu);
			if (r)
				return r;
		}
		root = mmu_alloc_page(mmu, role, 0);
		if (!root)
			return -ENOMEM;
		root->tdp_mmu_page = true;
		root->root_count = 2;
		mmu->tdp_roots[mmu->nr_tdp_roots++] = root;
	} else if (root != old) {
		root->root_count++;
	}

	if (old && old != root && old->tdp_mmu_page) {
		MMU_WARN_ON(old->root_count < 2);
		old->root_count--;
	}
	mmu->root = (struct kvm_mmu_root){ .sp = root, .hpa = root->hpa };
	return 0;
}

void tdp_mmu_destroy(struct mmu_context *mmu)
{
	struct kvm_mmu_page *root;
	int i;

	for_each_tdp_mmu_root(mmu, root, i) {
		if (mmu->root.sp == root)
			mmu->root = (struct kvm_mmu_root){ 0 };
		tdp_mmu_free_tree(mmu, root);
		mmu->tdp_roots[i] = NULL;
	}
	mmu->nr_tdp_roots = 0;
}
