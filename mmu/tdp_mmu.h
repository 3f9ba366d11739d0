/* tdp_mmu: the MMU's direct TDP tables (EPT or NPT), as KVM's tdp_mmu.c. */
#ifndef MMUSIM_TDP_MMU_H
#define MMUSIM_TDP_MMU_H

#include "mmu/mmu_internal.h"

/*
 * Each of tdp_mmu's roots as @_root, @_i being its slot in
 * mmu->tdp_roots: KVM's for_each_tdp_mmu_root().  The body may not add
 * or remove roots, except by leaving the loop.
 */
#define for_each_tdp_mmu_root(_mmu, _root, _i)                    \
	for ((_i) = 0; (_i) < (_mmu)->nr_tdp_roots &&             \
		       ((_root) = (_mmu)->tdp_roots[(_i)], true); \
	     (_i)++)

int tdp_mmu_alloc_root(struct mmu_context *mmu);
int tdp_mmu_page_fault(struct mmu_context *mmu, struct kvm_page_fault *fault);
void tdp_mmu_zap_gfn_range(struct mmu_context *mmu, u64 start, u64 end);
void tdp_mmu_zap_all(struct mmu_context *mmu);
bool tdp_mmu_wrprot_slot(struct mmu_context *mmu,
			 const struct kvm_memory_slot *slot, int min_level);
bool tdp_mmu_clear_dirty_slot(struct mmu_context *mmu,
			      const struct kvm_memory_slot *slot);
/* Replace tables of @slot by huge leaves; true when the caller flushes. */
bool tdp_mmu_recover_huge_pages(struct mmu_context *mmu,
				struct kvm_memory_slot *slot);
int tdp_mmu_split_huge_pages(struct mmu_context *mmu, u64 start, u64 end,
			     int target_level);
bool tdp_mmu_write_protect_gfn(struct mmu_context *mmu, u64 gfn, int min_level);
/* The SPTEs on the path to @gfn, root first; returns the number read. */
int tdp_mmu_get_walk(struct mmu_context *mmu, u64 gfn,
		     u64 sptes[PT64_ROOT_MAX_LEVEL], int *root_level);
void tdp_mmu_destroy(struct mmu_context *mmu);

/* Shared by tdp_mmu.c and tdp_mmu_dirty_log.c; see their definitions. */
struct tdp_iter;
bool tdp_mmu_ad_enabled(const struct mmu_context *mmu);
void tdp_mmu_iter_set_spte(struct mmu_context *mmu, struct tdp_iter *iter,
			   u64 new_spte);
struct kvm_mmu_page *tdp_mmu_alloc_child_sp(struct mmu_context *mmu,
					    struct tdp_iter *iter);
void tdp_mmu_split_huge_page(struct mmu_context *mmu, struct tdp_iter *iter,
			     struct kvm_mmu_page *sp);

#endif
