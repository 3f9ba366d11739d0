/* The MMU of a simulated VM: tdp_mmu or shadow_mmu behind one dispatcher. */
#ifndef MMUSIM_MMU_H
#define MMUSIM_MMU_H

#include "mmu/spte_format.h"
#include "walker/walker.h"

/*
 * Page-fault outcomes, as KVM's RET_PF_*: non-negative, so that -errno
 * stays distinct.
 *   CONTINUE         internal: keep going
 *   RETRY            re-enter the guest and let it fault again
 *   EMULATE          emulate the instruction (MMIO, write-protected gfn)
 *   WRITE_PROTECTED  the gfn holds a shadowed guest page table
 *   INVALID          the fast or MMIO path could not handle it
 *   FIXED            a mapping was installed
 *   SPURIOUS         the mapping was already there
 */
enum ret_pf {
	RET_PF_CONTINUE = 0,
	RET_PF_RETRY,
	RET_PF_EMULATE,
	RET_PF_WRITE_PROTECTED,
	RET_PF_INVALID,
	RET_PF_FIXED,
	RET_PF_SPURIOUS,
	RET_PF_COUNT,
};

const char *ret_pf_name(enum ret_pf r);

/*
 * shadow_mmu maps the aligned group of this many guest PTEs around a 4K
 * fault (KVM's pte_prefetch), so one fault may map up to 8 pages.
 */
#define PTE_PREFETCH_NUM 8

enum mmu_kind {
	MMU_TDP,
	MMU_SHADOW,
};

struct mmu_config {
	enum mmu_kind kind;
	/* The host: EPT or NPT for TDP, MAXPHYADDR, page sizes. */
	struct spte_host host;
	/* Hardware A/D bits in SPTEs (EPT A/D); off means access tracking. */
	bool ad_enabled;
	/* Install MMIO SPTEs for GFNs without a memslot. */
	bool mmio_caching;
	/* Largest page tdp_mmu maps, PG_LEVEL_4K..PG_LEVEL_1G. */
	u8 max_huge_page_level;
	/*
	 * Redo the CPU's 2D walk after every fault from the root, never from
	 * where it faulted (gva_walk_resume()): the reference the tests hold
	 * the resumed walks to.
	 */
	bool retry_walk_from_root;
};

/* Every counter of the MMU, for mmusim run and the tests. */
struct mmu_stats {
	u64 ret_pf[RET_PF_COUNT];
	u64 pf_taken;
	u64 pf_fast;
	u64 pf_mmio_spte_created;
	u64 guest_faults_injected;
	u64 sp_created;
	u64 sp_zapped;
	u64 sptes_written;
	u64 tlb_flushes;
	u64 mmu_unsync;
	u64 mmu_synced;
	u64 mmu_flooded;
	u64 mmu_cache_miss;
	u64 root_switches;
	u64 root_cache_hits;
	/* Walks after a fault handed to gva_walk_resume(). */
	u64 walks_resumed;
};

#define MEMSLOT_READONLY BIT(0)
#define MEMSLOT_DIRTY_LOG BIT(1)

struct mmu_context;

/*
 * A VM's MMU.  @mem is L1's memory: memslots added with mmu_add_memslot()
 * back it; GFNs outside every memslot are MMIO.  The MMU's own tables live
 * in pages of @host.
 */
int mmu_create(struct mmu_context **mmu, const struct mmu_config *cfg,
	       struct guest_memory *mem, struct host_memory *host);
void mmu_destroy(struct mmu_context *mmu);

/*
 * Add a memslot of @npages from @base_gfn, backed by host memory mapped
 * with pages of up to @host_level (PG_LEVEL_4K..PG_LEVEL_1G: 2M and 1G
 * mappings are used only where the slot and the host mapping allow).
 * -EINVAL for overlap or bad arguments; bumps the memslot generation.
 */
int mmu_add_memslot(struct mmu_context *mmu, u64 base_gfn, u64 npages,
		    u32 flags, int host_level);
int mmu_delete_memslot(struct mmu_context *mmu, u64 base_gfn);
int mmu_set_dirty_logging(struct mmu_context *mmu, u64 base_gfn, bool on);
/* Collect and clear the dirty bitmap of the slot at @base_gfn. */
int mmu_get_dirty_log(struct mmu_context *mmu, u64 base_gfn, u64 *bitmap,
		      u64 nr_words);

/*
 * Point the MMU at the vCPU's walkers, as kvm_init_mmu(): tdp_mmu maps
 * L1's GPAs (@gva_walk without a nested stage); shadow_mmu shadows
 * @gva_walk's CR3 tables (GVA -> HPA), or with @gva_walk->nested set, the
 * nested stage (nGPA -> HPA) for an L2 on nested TDP.  Call it again after
 * any change of the guest's paging registers or root (the root cache
 * makes a CR3 switch back cheap).  -EOPNOTSUPP for a guest the MMU does
 * not model; -EINVAL for misuse, or an L1 EPTP with A/D the MMU cannot
 * offer (no cfg.ad_enabled).  When it refuses the guest's state, the
 * vCPU is left with no root: mmu_guest_access() is -EINVAL until a reset
 * succeeds, and guest writes are still taken.
 */
int mmu_reset_context(struct mmu_context *mmu, struct kvm_pagewalk *gva_walk);

/*
 * A guest access as the CPU performs it on the MMU's tables, faults
 * resolved by the dispatcher until the access completes or the guest
 * takes a fault: 0 with *@rec describing the hardware walk that finally
 * succeeded (rec->hpa is where the access lands), or 1 with *@fault the
 * fault injected into the guest (or the VM exit to L1).  -E2BIG when the
 * dispatcher keeps retrying without progress (a simulator bug).
 */
int mmu_guest_access(struct mmu_context *mmu, u64 gva,
		     const struct walk_access *access, struct walk_fault *fault,
		     struct walk_record *rec);

/*
 * The hardware walk alone, with no fault handling: what the CPU sees in
 * the MMU's tables right now.
 */
int mmu_hardware_walk(struct mmu_context *mmu, u64 gva,
		      const struct walk_access *access,
		      struct walk_fault *fault, struct walk_record *rec);

/* The guest wrote @bytes at @gpa (emulated or trapped write). */
int mmu_guest_write(struct mmu_context *mmu, u64 gpa, u64 val, int bytes);
/*
 * Whether a guest write to @gfn faults in the MMU's tables: the gfn is
 * write-tracked, or holds a shadowed guest table that is not unsync.  Such
 * a write is emulated and reaches mmu_guest_write(); any other lands in
 * memory unseen (an unsync table's, say), and the MMU catches up at the
 * next INVLPG or CR3 load.
 */
bool mmu_gfn_is_write_protected(struct mmu_context *mmu, u64 gfn);
/* INVLPG @gva; a CR3 load is mmu_reset_context(). */
void mmu_invlpg(struct mmu_context *mmu, u64 gva);

/*
 * Drop every mapping the MMU built, as KVM's kvm_mmu_zap_all(): the next
 * access of each page faults again.
 */
void mmu_zap_all(struct mmu_context *mmu);

/*
 * A shadow_mmu page looked up or zapped, with what KVM's kvm_mmu_get_page
 * and kvm_mmu_prepare_zap_page tracepoints print of it
 * (KVM_MMU_PAGE_PRINTK()), at the same points: a lookup once the page is
 * found or made (a child already linked is no lookup), a zap before the
 * page is unlinked.  @access is ACC_*.
 */
enum mmu_page_event_kind {
	MMU_PAGE_GET,
	MMU_PAGE_PREPARE_ZAP,
};

struct mmu_page_event {
	enum mmu_page_event_kind kind;
	u64 gfn;
	u8 level;
	/* 4 for a 2-level guest's tables, else 8. */
	u8 gpte_bytes;
	u8 quadrant;
	u8 access;
	bool direct;
	bool invalid;
	bool efer_nx;
	bool ad_disabled;
	bool unsync;
	unsigned int root_count;
	/* MMU_PAGE_GET: made now, not found. */
	bool created;
};

typedef void (*mmu_page_observer_fn)(void *opaque,
				     const struct mmu_page_event *ev);

/*
 * Call @fn(@opaque, event) at every page event from now on; NULL @fn for
 * none (the default).  For tests and trace replay: the MMU does not
 * depend on it.
 */
void mmu_set_page_observer(struct mmu_context *mmu, mmu_page_observer_fn fn,
			   void *opaque);

const struct mmu_stats *mmu_get_stats(const struct mmu_context *mmu);
const struct kvm_page_format *mmu_spte_format(const struct mmu_context *mmu);

#endif
