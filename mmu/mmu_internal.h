/* What mmu/ shares between its files: pages, roles, memslots, faults. */
#ifndef MMUSIM_MMU_INTERNAL_H
#define MMUSIM_MMU_INTERNAL_H

#include "mmu/mmu.h"
#include "mmu/spte.h"

#define SPTE_ENT_PER_PAGE PT64_ENT_PER_PAGE
#define KVM_MMU_HASH_SHIFT 12
#define KVM_NUM_MMU_PAGES (1U << KVM_MMU_HASH_SHIFT)
#define KVM_MMU_NUM_PREV_ROOTS 3
#define KVM_MAX_MEMSLOTS 32
/* Writes to a non-leaf shadow page without a fault on it before it is zapped. */
#define WRITE_FLOODING_THRESHOLD 3

/*
 * The role of a shadow page, as KVM's union kvm_mmu_page_role: two pages
 * for the same gfn with different roles are different pages.
 */
union kvm_mmu_page_role {
	u32 word;
	struct {
		u32 level : 4;
		u32 has_4_byte_gpte : 1;
		u32 quadrant : 2;
		u32 direct : 1;
		u32 access : 4;
		u32 invalid : 1;
		u32 efer_nx : 1;
		u32 cr0_wp : 1;
		u32 smap_andnot_wp : 1;
		u32 ad_disabled : 1;
		u32 guest_mode : 1;
		u32 passthrough : 1;
		u32 is_mirror : 1;
		u32 cr4_smep : 1;
		/*
		 * Named so that designated initializers zero it too: roles
		 * are compared by word, and an unnamed bit-field is left
		 * indeterminate (clang leaves stack garbage there).
		 */
		u32 unused : 3;
		u32 smm : 8;
	};
};
static_assert(sizeof(union kvm_mmu_page_role) == sizeof(u32),
	      "the role is one word");

/*
 * A guest page table is guest memory; a kvm_mmu_page is the MMU's table
 * of 512 SPTEs.  An indirect page (shadow_mmu) shadows the guest table at
 * @gfn; a direct page (tdp_mmu, or shadow_mmu splitting a guest huge page)
 * maps the range that starts at @gfn.  The SPTEs live in a host page at
 * @hpa, so that a hardware walk reads them like any page table.
 */
struct kvm_mmu_page {
	union kvm_mmu_page_role role;
	/* shadow_mmu: the hash of (gfn, role) that files it in the page hash. */
	u32 hash_key;
	u64 gfn;
	u64 hpa;
	u64 *spt;
	/* Indirect pages: per SPTE, the gfn << 12 | ACC_* it was made for. */
	u64 *shadowed_translation;
	bool tdp_mmu_page;
	bool unsync;
	unsigned int unsync_children;
	u64 unsync_child_bitmap[SPTE_ENT_PER_PAGE / 64];
	unsigned int root_count;
	unsigned int write_flooding_count;
	u64 mmu_valid_gen;
	/*
	 * The SPTEs that point at this page (shadow_mmu), or the one
	 * (tdp_mmu): in first_parent_pte until there is a second.
	 */
	u64 **parent_ptes;
	u64 *first_parent_pte;
	unsigned int nr_parent_ptes;
	unsigned int parent_ptes_capacity;
	struct kvm_mmu_page *hash_next;
	struct kvm_mmu_page *active_prev;
	struct kvm_mmu_page *active_next;
	/* Where shadowed_translation points, when the page has one. */
	u64 translation_storage[];
};

#define SHADOWED_TRANSLATION_BYTES (SPTE_ENT_PER_PAGE * sizeof(u64))

/*
 * A memslot: GFNs [base_gfn, base_gfn + npages) are RAM backed by host
 * memory mapped with pages of up to host_level.  disallow_lpage counts,
 * per 2M and 1G frame, the reasons a huge SPTE may not map it (a shadowed
 * guest page table inside, a slot edge); its counters come in chunks of a
 * page, each allocated when a count in it is first raised.  dirty_bitmap
 * exists once dirty logging has been on.  RAM of a slot whose host maps
 * it with 4K pages is backed on first fault, as a host faults memory in;
 * a slot on huge host pages is backed at creation, HPAs congruent with
 * its GPAs.
 */
struct kvm_memory_slot {
	u64 base_gfn;
	u64 npages;
	u32 flags;
	int host_level;
	u32 **disallow_lpage[PG_LEVEL_1G - 1];
	u64 *dirty_bitmap;
};

struct gfn_count {
	u64 gfn;
	u32 count;
	bool used;
};

struct kvm_memslots {
	struct kvm_memory_slot slots[KVM_MAX_MEMSLOTS];
	int nr_slots;
	u64 generation;
	/*
	 * The slot gfn_to_memslot() found last, tried first (KVM's
	 * vcpu->last_used_slot): faults come in runs on one slot.  Only a
	 * hint: a slot at this index is checked for the gfn before use.
	 */
	int last_used_slot;
};

/*
 * One page fault as the dispatcher sees it, as KVM's struct
 * kvm_page_fault: @addr is a GPA (tdp_mmu), a GVA (shadow_mmu) or an nGPA
 * (shadow_mmu over a nested stage).
 */
struct kvm_page_fault {
	u64 addr;
	u64 error_code;
	bool prefetch;
	bool exec;
	bool write;
	bool present;
	bool rsvd;
	bool user;
	bool is_tdp;
	u8 max_level;
	u8 req_level;
	u8 goal_level;
	u64 gfn;
	struct kvm_memory_slot *slot;
	u64 pfn;
	bool map_writable;
	bool write_fault_to_shadow_pgtable;
	/* The vCPU state a guest walk needs (shadow_mmu's FNAME(page_fault)). */
	bool rflags_ac;
	u32 pkru;
	/* Set when the guest's own tables fault: inject it, don't fix it. */
	bool guest_fault;
	struct walk_fault injected;
};

/*
 * A root as KVM's struct kvm_mmu_root_info.  @hpa is the table the CPU
 * walks from: @sp's, or shadow_mmu's PAE root, which is no kvm_mmu_page
 * (@sp NULL).  A root with @hpa 0 is no root: no host page has HPA 0.
 */
struct kvm_mmu_root {
	struct kvm_mmu_page *sp;
	/* CR3/nCR3/EPTP the root shadows (shadow_mmu), 0 for tdp_mmu. */
	u64 pgd;
	u64 hpa;
};

struct mmu_context {
	struct mmu_config cfg;
	struct spte_masks masks;
	struct host_memory *host;
	/* L1's memory, backed by the memslots. */
	struct guest_memory *mem;
	/*
	 * Host physical memory as the CPU sees it: every host page, RAM of
	 * the memslots and the MMU's tables alike, at its own HPA.  The
	 * hardware walks read the MMU's tables (and, translated, the
	 * guest's) through it.
	 */
	struct guest_memory hpa_view;
	struct kvm_memslots memslots;
	/*
	 * Write tracking, gfn -> number of shadowed upper-level tables there:
	 * open addressing, sparse like the tables it counts.
	 */
	struct gfn_count *write_track;
	u64 write_track_size;
	u64 write_track_used;

	/* The vCPU's walkers; w is the one shadow_mmu shadows. */
	struct kvm_pagewalk *gva_walk;
	struct kvm_pagewalk *w;
	/*
	 * CR4.PSE of the last 2-level guest shadowed: no page role records
	 * it, so the pages of a 2-level guest are zapped when it changes.
	 */
	bool shadowed_cr4_pse;
	/* SPTE role and format of the current root. */
	union kvm_mmu_page_role root_role;
	struct cpu_role spte_role;
	struct kvm_page_format fmt;
	struct kvm_mmu_root root;
	struct kvm_mmu_root prev_roots[KVM_MMU_NUM_PREV_ROOTS];

	/* tdp_mmu roots, one per role. */
	struct kvm_mmu_page *tdp_roots[4];
	int nr_tdp_roots;
	/*
	 * The masks and SPTE format tdp_mmu's tables are built with, saved by
	 * tdp_mmu_alloc_root(): masks and fmt follow the loaded root, and an
	 * L2's shadow root replaces them while memslot operations still
	 * reach tdp_mmu's tables.
	 */
	struct spte_masks tdp_masks;
	struct kvm_page_format tdp_fmt;

	/* shadow_mmu's pages, oldest last. */
	struct kvm_mmu_page *active_head;
	u64 mmu_valid_gen;
	u64 indirect_shadow_pages;
	/* shadow_mmu's rmap, current root and zapped pages: shadow_mmu.h. */
	struct shadow_mmu *shadow;

	/* Page lookups: by host frame of the table, by table pointer. */
	struct kvm_mmu_page **sp_by_frame;
	u64 sp_by_frame_first_pfn;
	u64 sp_by_frame_size;
	struct kvm_mmu_page **sp_by_spt;
	u64 sp_by_spt_size;
	u64 sp_by_spt_used;

	/* The hardware's walkers over the MMU's tables. */
	struct kvm_pagewalk hw_stage;
	struct kvm_pagewalk hw_gva;

	/*
	 * Changes whenever an SPTE that a walk of the MMU's tables can have
	 * passed through changes: every write over a value other than
	 * SHADOW_NONPRESENT_VALUE, which no walk passes, and every page
	 * freed (mmu_write_spte(), mmu_free_page()).  mmu_guest_access()
	 * resumes a walk only if it has not moved since the walk.
	 */
	u64 spte_generation;
	struct mmu_stats stats;
	/* mmu_set_page_observer()'s, or NULL. */
	mmu_page_observer_fn page_observer;
	void *page_observer_opaque;
};

/* mmu.c: page tables, memslots, and the pieces every fault path uses. */
struct kvm_mmu_page *mmu_alloc_page(struct mmu_context *mmu,
				    union kvm_mmu_page_role role, u64 gfn);
void mmu_free_page(struct mmu_context *mmu, struct kvm_mmu_page *sp);
/*
 * The page whose SPTE table is at a non-leaf SPTE's target, or NULL.
 * Inline: every step down a walk of the MMU's tables takes it.
 */
static inline struct kvm_mmu_page *spte_to_child_sp(struct mmu_context *mmu,
						    u64 spte)
{
	/* Below the first frame this wraps around past sp_by_frame_size. */
	u64 index = ((spte & SPTE_BASE_ADDR_MASK) >> PAGE_SHIFT) -
		    mmu->sp_by_frame_first_pfn;

	return index < mmu->sp_by_frame_size ? mmu->sp_by_frame[index] : NULL;
}
struct kvm_mmu_page *sptep_to_sp(struct mmu_context *mmu, u64 *sptep);
/* Every write of an SPTE; inline, since every fault makes at least one. */
static inline void mmu_write_spte(struct mmu_context *mmu, u64 *sptep, u64 spte)
{
	MMU_WARN_ON(is_frozen_spte(spte));
	if (*sptep != SHADOW_NONPRESENT_VALUE)
		mmu->spte_generation++;
	*sptep = spte;
	mmu->stats.sptes_written++;
}

static inline bool memslot_has_gfn(const struct kvm_memory_slot *slot, u64 gfn)
{
	return gfn >= slot->base_gfn && gfn - slot->base_gfn < slot->npages;
}

struct kvm_memory_slot *__gfn_to_memslot(struct mmu_context *mmu, u64 gfn);
/* Inline for the last slot found, which every fault tries first. */
static inline struct kvm_memory_slot *gfn_to_memslot(struct mmu_context *mmu,
						     u64 gfn)
{
	struct kvm_memslots *slots = &mmu->memslots;
	int i = slots->last_used_slot;

	if (i < slots->nr_slots && memslot_has_gfn(&slots->slots[i], gfn))
		return &slots->slots[i];
	return __gfn_to_memslot(mmu, gfn);
}
/*
 * Resolve fault->gfn to a host frame (kvm_mmu_faultin_pfn()) in
 * fault->slot, which the caller has looked up for it (NULL: no memslot):
 * fills pfn and map_writable; RET_PF_CONTINUE, or RET_PF_EMULATE for MMIO
 * that gets no SPTE.  fault->slot == NULL with RET_PF_CONTINUE means
 * "install an MMIO SPTE".
 */
int mmu_faultin_pfn(struct mmu_context *mmu, struct kvm_page_fault *fault,
		    unsigned int access);
/*
 * The largest level, at most @max_level, at which @gfn of @slot may be
 * mapped: the MMU's and the host mapping's limits, and no gfn in the
 * frame write-tracked (KVM's kvm_mmu_max_mapping_level()).
 */
int mmu_max_mapping_level(struct mmu_context *mmu, struct kvm_memory_slot *slot,
			  u64 gfn, int max_level);
/* kvm_mmu_hugepage_adjust(): goal_level and pfn for the largest page allowed. */
void mmu_hugepage_adjust(struct mmu_context *mmu, struct kvm_page_fault *fault);
void mark_page_dirty(struct mmu_context *mmu, u64 gfn);
/* Shadowed guest tables forbid huge pages over them and writes to them. */
void mmu_gfn_disallow_lpage(struct mmu_context *mmu, u64 gfn);
void mmu_gfn_allow_lpage(struct mmu_context *mmu, u64 gfn);
void mmu_gfn_write_track_add(struct mmu_context *mmu, u64 gfn);
void mmu_gfn_write_track_remove(struct mmu_context *mmu, u64 gfn);
bool __mmu_gfn_is_write_tracked(struct mmu_context *mmu, u64 gfn);
/*
 * Inline for the common answer: a guest none of whose tables are shadowed
 * tracks no gfn, and every tdp_mmu fault asks (write faults twice).
 */
static inline bool mmu_gfn_is_write_tracked(struct mmu_context *mmu, u64 gfn)
{
	return mmu->write_track_used && __mmu_gfn_is_write_tracked(mmu, gfn);
}
/*
 * A write fault on a present SPTE of a gfn whose writes are tracked (a
 * shadowed guest page table) cannot be fixed by mapping: the write must
 * be emulated.  A reserved-bit fault came from an MMIO SPTE, not from
 * the write protection.  KVM's page_fault_handle_page_track().
 */
static inline bool
page_fault_handle_page_track(struct mmu_context *mmu,
			     const struct kvm_page_fault *fault)
{
	if (fault->rsvd || !fault->present || !fault->write)
		return false;
	return mmu_gfn_is_write_tracked(mmu, fault->gfn);
}
void mmu_flush_tlb(struct mmu_context *mmu);

/* shadow_root.c */
int shadow_mmu_alloc_root(struct mmu_context *mmu, u64 pgd);
/*
 * The shadow page a walk of @root for @addr starts in: the root's page, or
 * under a PAE root the level-2 page of PDPTE pae_pdpte_index(@addr), NULL when
 * that PDPTE is not present.
 */
struct kvm_mmu_page *shadow_root_page(struct mmu_context *mmu,
				      const struct kvm_mmu_root *root,
				      u64 addr);

/* shadow_fault.c */
int shadow_mmu_page_fault(struct mmu_context *mmu,
			  struct kvm_page_fault *fault);

/* shadow_sync.c */
/* A valid shadow page of @gfn's guest table is sync (write-protected). */
bool shadow_mmu_gfn_has_sync_table(struct mmu_context *mmu, u64 gfn);
/*
 * 0 when a writable SPTE may map @gfn (no shadowed guest table there, or
 * the 4K tables there could be unsynced), nonzero to build it
 * write-protected: KVM's mmu_try_to_unsync_pages().
 */
int mmu_try_to_unsync_pages(struct mmu_context *mmu, u64 gfn,
			    bool synchronizing, bool prefetch);
void shadow_mmu_invalidate_addr(struct mmu_context *mmu, u64 addr);
void shadow_mmu_sync_roots(struct mmu_context *mmu);

/* shadow_mmu.c */
void shadow_mmu_track_write(struct mmu_context *mmu, u64 gpa, u64 new_val,
			    int bytes);
void shadow_mmu_zap_all(struct mmu_context *mmu);
/* Zap the direct pages of @slot that a huge SPTE could now replace. */
void shadow_mmu_zap_collapsible_sptes(struct mmu_context *mmu,
				      struct kvm_memory_slot *slot);
void shadow_mmu_destroy(struct mmu_context *mmu);

#endif
