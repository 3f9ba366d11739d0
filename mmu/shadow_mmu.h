/* shadow_mmu's pieces shared by its files: page lifetime, rmap, sync. */
#ifndef MMUSIM_SHADOW_MMU_H
#define MMUSIM_SHADOW_MMU_H

#include "mmu/mmu_internal.h"
#include "walker/gpte.h"

/*
 * The PAE root: four PDPTEs, selected by bits 31:30 of the GVA, each
 * present with no other bit (the rest of a PDPTE's low bits are reserved)
 * or zero.
 */
#define PAE_ROOT_NR_ENTRIES PAE_NR_PDPTES
#define PAE_ROOT_PDPTE_FLAGS PT_PRESENT_MASK

/* A map's first buckets; it doubles them past one list a bucket. */
#define SHADOW_PTR_MAP_MIN_SHIFT 6
/* The page hash's first buckets; it doubles them up to KVM's. */
#define SHADOW_PAGE_HASH_MIN_SHIFT 6
static_assert(SHADOW_PAGE_HASH_MIN_SHIFT <= KVM_MMU_HASH_SHIFT,
	      "the page hash starts no larger than KVM's");

/*
 * Pointers filed under a u64 key, as KVM's rmap heads (struct
 * kvm_rmap_head and pte_list_desc): one list per key, removal swaps in
 * the last entry, so that the order of a list is not stable.  As KVM's
 * rmap head holds a lone SPTE itself, @ptrs points at @first until a
 * second pointer is filed: most gfns are mapped once, and their list
 * then takes one allocation, not two.
 */
struct shadow_ptr_list {
	u64 key;
	void **ptrs;
	unsigned int nr;
	unsigned int capacity;
	struct shadow_ptr_list *next;
	void *first;
};

/* Lists come from chunks of this many, and go back to the map's free list. */
#define SHADOW_PTR_LISTS_PER_CHUNK 64

struct shadow_ptr_chunk {
	struct shadow_ptr_chunk *next;
	struct shadow_ptr_list lists[SHADOW_PTR_LISTS_PER_CHUNK];
};

/*
 * A zeroed map is empty.  Its lists are allocated from chunks and kept
 * on @free_lists when emptied, as KVM takes pte_list_desc from a
 * kmem_cache: a list is made and dropped for every gfn mapped and
 * unmapped, and malloc() was most of the cost of a shadow_mmu fault.
 * A list not in use (on @free_lists, or never used) has @ptrs NULL.  The
 * chunks go with the map.
 *
 * The lists in use hang from 2^@shift buckets, allocated with the first
 * list and doubled when there would be more lists than buckets: a small
 * VM's maps stay small (4,096 buckets each, zeroed with every shadow
 * MMU, were most of its setup under ASan), a large one's chains short.
 */
struct shadow_ptr_map {
	struct shadow_ptr_list **buckets;
	unsigned int shift;
	u64 nr_lists;
	struct shadow_ptr_list *free_lists;
	struct shadow_ptr_chunk *chunks;
};

/*
 * shadow_mmu's state beyond struct mmu_context, allocated with the first
 * shadow root.
 *
 * @rmap files every leaf SPTE under the level and first gfn it maps, so
 * that a gfn that starts holding a shadowed guest page table can be
 * write-protected wherever it is mapped.  @gfn_pages files every page
 * with guest PTEs (indirect, not passthrough) under the gfn of the guest
 * table it shadows: KVM's for_each_gfn_valid_sp_with_gptes(), which KVM
 * gets from a page hash keyed by gfn alone; @page_hash is keyed by gfn
 * and role.  Both are here, not in struct mmu_context, so that an MMU
 * that never shadows (tdp_mmu without an L2) neither allocates nor clears
 * them.
 *
 * @page_hash has 2^@page_hash_shift buckets, allocated with the first
 * page and doubled when there would be more pages hashed
 * (@nr_hashed_pages) than buckets, up to KVM's KVM_NUM_MMU_PAGES: a small
 * VM's hash stays small (zeroing KVM's 32 KB with every shadow MMU was
 * 29 % of fuzz_mmu's shadow_mmu_alloc_root()), a large one's chains as
 * short as KVM's.  A (gfn, role) has at most one valid page, so the order
 * of a chain, which a doubling changes, is not seen.
 *
 * @root is the shadow MMU's current root (KVM's root_mmu.root or
 * guest_mmu.root).  It is also mmu_context.root while shadow_mmu's root
 * is loaded; tdp_mmu_alloc_root() loads its own root over it when L1
 * runs again, and the L2's root must still be found when L2 comes back.
 * mmu_context.prev_roots belong to shadow_mmu alone.
 *
 * @masks are the masks of shadow_mmu's SPTEs, saved when a root is
 * loaded: mmu_context.masks follow the loaded root, and an emulated write
 * of L1's EPT zaps shadow SPTEs while tdp_mmu's root is loaded.
 *
 * @invalid_list holds zapped pages (role.invalid set, unlinked) until
 * shadow_mmu_commit_zap() frees them, as KVM's invalid_list: a walk in
 * progress over a page's SPTEs or a gfn's pages never sees freed memory.
 *
 * @pae_root is KVM's pae_root: the table of PAE_ROOT_NR_ENTRIES PDPTEs
 * that CR3 points at while a guest without 64-bit paging runs, in a host
 * page below 4G (@pae_root_hpa) allocated with the first PAE root and
 * kept.  Each present PDPTE points at a level-2 shadow page that is a
 * root of its own (root_count), not a child: the PAE root is no
 * kvm_mmu_page, and @root.sp is NULL while it is the root.  @pae_role and
 * @pae_pdptrs are the root role and guest PDPTRs it was built for.
 */
struct shadow_mmu {
	struct shadow_ptr_map rmap;
	struct shadow_ptr_map gfn_pages;
	struct kvm_mmu_page **page_hash;
	unsigned int page_hash_shift;
	unsigned int nr_hashed_pages;
	struct kvm_mmu_root root;
	struct spte_masks masks;
	struct kvm_mmu_page *invalid_list;
	u64 *pae_root;
	u64 pae_root_hpa;
	union kvm_mmu_page_role pae_role;
	u64 pae_pdptrs[PAE_ROOT_NR_ENTRIES];
};

/* shadow_rmap.c: the pointer maps, the rmap and write protection. */
struct shadow_ptr_list *shadow_ptr_map_find(const struct shadow_ptr_map *map,
					    u64 key);
int shadow_ptr_map_add(struct shadow_ptr_map *map, u64 key, void *ptr);
void shadow_ptr_map_remove(struct shadow_ptr_map *map, u64 key, void *ptr);
void shadow_ptr_map_destroy(struct shadow_ptr_map *map);

int shadow_rmap_add(struct mmu_context *mmu, u64 *sptep, u64 gfn, int level);
void shadow_rmap_remove(struct mmu_context *mmu, u64 *sptep, u64 gfn,
			int level);
/*
 * Clear W and MMU-writable in every leaf SPTE mapping @gfn at @min_level
 * or above, and in tdp_mmu's: KVM's kvm_mmu_slot_gfn_write_protect().
 * True when an SPTE changed (the caller flushes).
 */
bool shadow_mmu_write_protect_gfn(struct mmu_context *mmu, u64 gfn,
				  int min_level);

/* The indirect pages shadowing the guest table at @gfn, or NULL. */
static inline struct shadow_ptr_list *
shadow_gfn_pages(const struct mmu_context *mmu, u64 gfn)
{
	return mmu->shadow ? shadow_ptr_map_find(&mmu->shadow->gfn_pages, gfn) :
			     NULL;
}

/* shadow_mmu.c: pages, their SPTEs, their lifetime and zapping. */

/* Zapped pages and obsolete roots are skipped by every lookup. */
static inline bool shadow_sp_is_obsolete(const struct mmu_context *mmu,
					 const struct kvm_mmu_page *sp)
{
	return sp->role.invalid || sp->mmu_valid_gen != mmu->mmu_valid_gen;
}

/* The page holds SPTEs made from guest PTEs (KVM's sp_has_gptes()). */
static inline bool shadow_sp_has_gptes(const struct kvm_mmu_page *sp)
{
	return !sp->role.direct && !sp->role.passthrough;
}

static inline unsigned int shadow_spte_index(const struct kvm_mmu_page *sp,
					     const u64 *sptep)
{
	return sptep - sp->spt;
}

/*
 * The page for (@gfn, @role), found in the hash or made: KVM's
 * kvm_mmu_get_shadow_page().  NULL only when memory ran out.
 */
struct kvm_mmu_page *shadow_mmu_get_page(struct mmu_context *mmu, u64 gfn,
					 union kvm_mmu_page_role role);
/*
 * Unlink @sp from its parents and children and mark it invalid; a page
 * that is no root goes to the invalid list.  KVM's
 * kvm_mmu_prepare_zap_page(); true when other pages were zapped too.
 */
bool shadow_mmu_prepare_zap_page(struct mmu_context *mmu,
				 struct kvm_mmu_page *sp);
/* Flush and free the invalid list: kvm_mmu_commit_zap_page(). */
void shadow_mmu_commit_zap(struct mmu_context *mmu);
/*
 * Clear the SPTE at @sptep of @sp (a leaf, a link to a child, or MMIO):
 * mmu_page_zap_pte().  True when it was present.
 */
bool shadow_mmu_zap_pte(struct mmu_context *mmu, struct kvm_mmu_page *sp,
			u64 *sptep);
void shadow_mmu_drop_spte(struct mmu_context *mmu, u64 *sptep);
/*
 * Replace a present leaf by another for the same frame, or set a
 * non-present one: mmu_spte_update().  True when the change needs a TLB
 * flush (MMU-writable taken away).
 */
bool shadow_mmu_spte_update(struct mmu_context *mmu, u64 *sptep, u64 spte);

u64 shadow_sp_get_gfn(const struct kvm_mmu_page *sp, unsigned int index);
unsigned int shadow_sp_get_access(const struct kvm_mmu_page *sp,
				  unsigned int index);
void shadow_sp_set_translation(struct kvm_mmu_page *sp, unsigned int index,
			       u64 gfn, unsigned int access);

/* Child pages and the SPTEs that link them; see shadow_mmu.c. */
int shadow_get_child_sp(struct mmu_context *mmu, u64 *sptep, u64 gfn,
			bool direct, unsigned int access,
			struct kvm_mmu_page **out);
int link_shadow_page(struct mmu_context *mmu, u64 *sptep,
		     struct kvm_mmu_page *sp);
void drop_parent_pte(struct mmu_context *mmu, struct kvm_mmu_page *sp,
		     u64 *parent_pte);

/*
 * A leaf SPTE for @gfn in @sp: make_spte() plus KVM's unsync decision
 * (write access is given only if mmu_try_to_unsync_pages() allows it).
 */
u64 shadow_make_spte(struct mmu_context *mmu, struct kvm_mmu_page *sp,
		     unsigned int access, u64 gfn, u64 pfn, u64 old_spte,
		     bool prefetch, bool synchronizing, bool host_writable,
		     bool *wrprot);

/*
 * Guest PTEs are read with the walker's helpers (walker/gpte.h), the
 * same for the walk and for the shadow pages built from it.
 */
static inline int shadow_gpte_size(const struct kvm_mmu_page *sp)
{
	return sp->role.has_4_byte_gpte ? 4 : 8;
}

/*
 * The GPA of the guest PTE that SPTE @index of the 4K page @sp shadows.
 * A 2-level guest's PT of 1024 4-byte PTEs has two pages: quadrant 0
 * shadows PTEs 0-511, quadrant 1 PTEs 512-1023.  KVM's
 * FNAME(get_level1_sp_gpa).
 */
static inline u64 shadow_gpte_gpa(const struct kvm_mmu_page *sp,
				  unsigned int index)
{
	unsigned int first = sp->role.quadrant * SPTE_ENT_PER_PAGE;

	MMU_WARN_ON(sp->role.level != PG_LEVEL_4K);
	MMU_WARN_ON(sp->role.quadrant && !sp->role.has_4_byte_gpte);
	return gfn_to_gpa(sp->gfn) +
	       (u64)(first + index) * shadow_gpte_size(sp);
}

/* shadow_fault.c: the shadow walk, fetch, prefetch and MMIO SPTEs. */

/*
 * Drop the SPTE of a guest PTE that may not be prefetched or synced: not
 * present, not accessed (a walk sets A first), or with reserved bits.
 * KVM's FNAME(prefetch_invalid_gpte); true when dropped.
 */
bool shadow_prefetch_invalid_gpte(struct mmu_context *mmu, u64 *sptep,
				  u64 gpte);
/* An MMIO SPTE for @gfn of the current memslot generation. */
void shadow_mark_mmio_spte(struct mmu_context *mmu, u64 *sptep, u64 gfn,
			   unsigned int access);

/* shadow_root.c: the PAE root, root allocation and the root cache. */

/* The level-2 root page that PDPTE @i of the PAE root points at, or NULL. */
struct kvm_mmu_page *shadow_pae_root_page(struct mmu_context *mmu,
					  unsigned int i);
bool shadow_root_is_obsolete(struct mmu_context *mmu,
			     const struct kvm_mmu_root *root);
void shadow_put_root(struct mmu_context *mmu, struct kvm_mmu_root *root);
/*
 * Release the invalid roots among the current and previous roots, and
 * load a new current root if it was one: KVM's
 * KVM_REQ_MMU_FREE_OBSOLETE_ROOTS followed by kvm_mmu_reload().
 */
void shadow_mmu_free_obsolete_roots(struct mmu_context *mmu);

/* shadow_sync.c: unsync pages and bringing them back in sync. */

/* Sync every unsync page below @parent: mmu_sync_children(). */
void shadow_mmu_sync_children(struct mmu_context *mmu,
			      struct kvm_mmu_page *parent);
/* Zap every unsync page below @parent: mmu_zap_unsync_children(). */
bool shadow_mmu_zap_unsync_children(struct mmu_context *mmu,
				    struct kvm_mmu_page *parent);
/*
 * Re-read every guest PTE of the unsync page @sp: kvm_sync_page().
 * Negative when @sp cannot be synced (then it is zapped), else whether a
 * flush is needed.
 */
int shadow_mmu_sync_page(struct mmu_context *mmu, struct kvm_mmu_page *sp);
/* Mark the SPTE that links an unsync page (or one above it): mark_unsync(). */
void shadow_mmu_mark_unsync(struct mmu_context *mmu, u64 *sptep);

#endif
