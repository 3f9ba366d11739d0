/* shadow_mmu: shadow pages of the guest's tables (mmu.c + paging_tmpl.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "mmu/shadow_mmu.h"

/*
 * A guest page table is guest memory; a kvm_mmu_page is the MMU's shadow
 * of one.  shadow_mmu shadows the tables that mmu->w reads: the guest's
 * CR3 tables (GVA -> HPA) or, for an L2 on nested TDP, L1's EPT or NPT
 * (nGPA -> HPA).  Each shadow page is keyed by the gfn of the guest table
 * and a role (level, the rights accumulated above it, the paging bits the
 * SPTEs depend on); guest tables are write-protected while shadowed, 4K
 * tables may go unsync, and guest writes to tracked tables zap the SPTEs
 * they made stale.
 *
 * Modelled as KVM does it: the (gfn, role) lookup with sync of unsync
 * pages, account_shadowed(), FNAME(fetch) with direct pages where the
 * host maps a guest huge page smaller, mmu_set_spte() and its unsync
 * decision, MMIO SPTEs, prefetch of the aligned group of PTE_PREFETCH_NUM
 * SPTEs around a 4K fault (indirect and direct), unsync and
 * mmu_sync_children(), FNAME(sync_spte), INVLPG, emulated writes with
 * write-flooding detection, zapping with a deferred free, and the root
 * cache (fast_pgd_switch() over KVM_MMU_NUM_PREV_ROOTS).
 *
 * Guests without 64-bit paging are shadowed as KVM does on a 64-bit host
 * without TDP: with PAE tables under a PAE root (mmu_alloc_shadow_roots()),
 * a page below 4G whose four PDPTEs point at level-2 root pages, which
 * the CPU walks in PAE mode.  For a PAE guest they shadow the PDs of its
 * PDPTRs; for a 2-level guest the four quarters of its PD (role.quadrant
 * 0-3), and each of its PTs is shadowed by two 4K pages, one per 2M half
 * (quadrant 0-1), with the quadrant arithmetic of get_written_sptes() and
 * FNAME(get_level1_sp_gpa) for emulated writes, prefetch and sync; 4M
 * pages (and PSE-36) map with direct pages of 2M or 4K.  The PAE root is
 * rebuilt when a CR3 load changes CR3 or a PAE guest's PDPTRs, and is
 * never cached.
 *
 * Not modelled, and why:
 *  - A 2-level or PAE L1 NPT, which KVM shadows under a 4- or 5-level
 *    root above the PAE root (pml4_root): shadow_mmu_alloc_root()
 *    returns -EOPNOTSUPP.  A paging-off guest gets a 4-level direct root
 *    instead of KVM's PAE one.
 *  - Concurrency: one vCPU, no mmu_lock, so FNAME(gpte_changed) cannot
 *    see a guest PTE change between the walk and the fetch, and
 *    mmu_sync_children() never yields.
 *  - The page budget (n_max_mmu_pages, make_mmu_pages_available()), the
 *    fast zap by mmu_valid_gen, the NX huge page mitigation,
 *    fast_page_fault() on direct shadow pages, the MMIO info cache,
 *    RMAP_RECYCLE_THRESHOLD, SMM address spaces, dummy roots (a root gfn
 *    without a memslot gets an ordinary page, whose walks fault in the
 *    guest) and passthrough roots.
 */

/* SPTEs. */

/* Only a non-present SPTE is set this way: KVM's mmu_spte_set(). */
static void shadow_spte_set(struct mmu_context *mmu, u64 *sptep, u64 spte)
{
	MMU_WARN_ON(is_shadow_present_pte(*sptep));
	mmu_write_spte(mmu, sptep, spte);
}

bool shadow_mmu_spte_update(struct mmu_context *mmu, u64 *sptep, u64 spte)
{
	const struct spte_masks *m = &mmu->shadow->masks;
	u64 old = *sptep;

	MMU_WARN_ON(!spte_writable_invariants_hold(m, spte));
	if (!is_shadow_present_pte(old)) {
		mmu_write_spte(mmu, sptep, spte);
		return false;
	}
	/* A present leaf keeps its frame; a new frame is drop + set. */
	MMU_WARN_ON(spte_to_pfn(old) != spte_to_pfn(spte));
	mmu_write_spte(mmu, sptep, spte);
	return is_mmu_writable_spte(m, old) && !is_mmu_writable_spte(m, spte);
}

u64 shadow_sp_get_gfn(const struct kvm_mmu_page *sp, unsigned int index)
{
	if (sp->role.passthrough)
		return sp->gfn;
	if (!sp->role.direct)
		return sp->shadowed_translation[index] >> PAGE_SHIFT;
	return sp->gfn + ((u64)index << hpage_gfn_shift(sp->role.level));
}

unsigned int shadow_sp_get_access(const struct kvm_mmu_page *sp,
				  unsigned int index)
{
	if (sp->shadowed_translation)
		return sp->shadowed_translation[index] & ACC_ALL;
	return sp->role.access;
}

/*
 * Direct pages compute their translation; only indirect pages up to 1G
 * record one, and only those have leaves.
 */
void shadow_sp_set_translation(struct kvm_mmu_page *sp, unsigned int index,
			       u64 gfn, unsigned int access)
{
	if (sp->shadowed_translation) {
		sp->shadowed_translation[index] = gfn_to_gpa(gfn) | access;
		return;
	}
	MMU_WARN_ON(access != sp->role.access);
	MMU_WARN_ON(gfn != shadow_sp_get_gfn(sp, index));
}

/* Clear a leaf SPTE and its rmap entry: KVM's drop_spte(). */
void shadow_mmu_drop_spte(struct mmu_context *mmu, u64 *sptep)
{
	u64 old = *sptep;
	struct kvm_mmu_page *sp;
	unsigned int index;

	if (old == SHADOW_NONPRESENT_VALUE)
		return;
	mmu_write_spte(mmu, sptep, SHADOW_NONPRESENT_VALUE);
	if (!is_shadow_present_pte(old))
		return;
	sp = sptep_to_sp(mmu, sptep);
	index = shadow_spte_index(sp, sptep);
	shadow_rmap_remove(mmu, sptep, shadow_sp_get_gfn(sp, index),
			   sp->role.level);
}

u64 shadow_make_spte(struct mmu_context *mmu, struct kvm_mmu_page *sp,
		     unsigned int access, u64 gfn, u64 pfn, u64 old_spte,
		     bool prefetch, bool synchronizing, bool host_writable,
		     bool *wrprot)
{
	struct spte_request req = {
		.pfn = pfn,
		.level = sp->role.level,
		.access = access,
		.host_writable = host_writable,
		.allow_writable = true,
		/* A prefetched SPTE starts access-tracked; a synced one not. */
		.prefetch = prefetch && !synchronizing,
		.ad_disabled = sp->role.ad_disabled,
	};
	u64 spte;

	/*
	 * Only a write the SPTE does not allow yet may unsync a page: an
	 * SPTE that stays writable keeps what mmu_try_to_unsync_pages()
	 * decided when it became writable.
	 */
	if ((access & ACC_WRITE_MASK) && host_writable &&
	    (!is_last_spte(old_spte, sp->role.level) ||
	     !is_writable_pte(old_spte)) &&
	    mmu_try_to_unsync_pages(mmu, gfn, synchronizing, prefetch))
		req.allow_writable = false;

	spte = make_spte(&mmu->shadow->masks, &mmu->fmt, &req, wrprot);
	if (is_writable_pte(spte))
		mark_page_dirty(mmu, gfn);
	return spte;
}

/* Pages: the hash, the active list, accounting. */

/*
 * The hash of (@gfn, @role) without role.invalid, which zapping sets;
 * kept in the page (sp->hash_key), where a doubling and a removal take
 * its bucket from.
 */
static u32 shadow_page_hash(u64 gfn, union kvm_mmu_page_role role)
{
	u64 key[2];

	role.invalid = 0;
	key[0] = gfn;
	key[1] = role.word;
	return (u32)XXH64(key, sizeof(key), 0);
}

/* The chain of @hash_key's bucket; NULL before the first page. */
static struct kvm_mmu_page **page_hash_bucket(struct shadow_mmu *s,
					      u32 hash_key)
{
	if (!s->page_hash)
		return NULL;
	return &s->page_hash[hash_key & GENMASK(s->page_hash_shift - 1, 0)];
}

/* Buckets for one page more: the hash doubled when it would be fuller. */
static int page_hash_reserve(struct shadow_mmu *s)
{
	unsigned int nr = s->page_hash ? 1U << s->page_hash_shift : 0;
	unsigned int shift, i, b;
	struct kvm_mmu_page **buckets, *sp, *next;

	if (s->nr_hashed_pages < nr || nr == KVM_NUM_MMU_PAGES)
		return 0;
	shift = nr ? s->page_hash_shift + 1 : SHADOW_PAGE_HASH_MIN_SHIFT;
	buckets = calloc(1U << shift, sizeof(*buckets));
	if (!buckets)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		for (sp = s->page_hash[i]; sp; sp = next) {
			next = sp->hash_next;
			b = sp->hash_key & GENMASK(shift - 1, 0);
			sp->hash_next = buckets[b];
			buckets[b] = sp;
		}
	}
	free(s->page_hash);
	s->page_hash = buckets;
	s->page_hash_shift = shift;
	return 0;
}

static void active_list_add(struct mmu_context *mmu, struct kvm_mmu_page *sp)
{
	sp->active_prev = NULL;
	sp->active_next = mmu->active_head;
	if (mmu->active_head)
		mmu->active_head->active_prev = sp;
	mmu->active_head = sp;
}

static void active_list_del(struct mmu_context *mmu, struct kvm_mmu_page *sp)
{
	if (sp->active_prev)
		sp->active_prev->active_next = sp->active_next;
	else
		mmu->active_head = sp->active_next;
	if (sp->active_next)
		sp->active_next->active_prev = sp->active_prev;
	sp->active_prev = NULL;
	sp->active_next = NULL;
}

static void hash_del(struct mmu_context *mmu, struct kvm_mmu_page *sp)
{
	/* Not NULL: the hash was allocated before its first page. */
	struct kvm_mmu_page **link =
		page_hash_bucket(mmu->shadow, sp->hash_key);

	while (*link && *link != sp)
		link = &(*link)->hash_next;
	MMU_WARN_ON(!*link);
	if (*link) {
		*link = sp->hash_next;
		mmu->shadow->nr_hashed_pages--;
	}
}

/*
 * A shadowed guest table may not be written without the MMU knowing:
 * upper levels are write-tracked for as long as they are shadowed, 4K
 * tables are write-protected until they go unsync.  No huge SPTE may
 * map the gfn either.  KVM's account_shadowed().
 */
static void account_shadowed(struct mmu_context *mmu, struct kvm_mmu_page *sp)
{
	mmu->indirect_shadow_pages++;
	if (sp->role.level > PG_LEVEL_4K)
		mmu_gfn_write_track_add(mmu, sp->gfn);
	mmu_gfn_disallow_lpage(mmu, sp->gfn);
	if (shadow_mmu_write_protect_gfn(mmu, sp->gfn, PG_LEVEL_4K))
		mmu_flush_tlb(mmu);
}

static void unaccount_shadowed(struct mmu_context *mmu, struct kvm_mmu_page *sp)
{
	MMU_WARN_ON(!mmu->indirect_shadow_pages);
	mmu->indirect_shadow_pages--;
	if (sp->role.level > PG_LEVEL_4K)
		mmu_gfn_write_track_remove(mmu, sp->gfn);
	mmu_gfn_allow_lpage(mmu, sp->gfn);
}

static struct kvm_mmu_page *shadow_alloc_page(struct mmu_context *mmu, u64 gfn,
					      union kvm_mmu_page_role role)
{
	struct kvm_mmu_page *sp, **bucket;

	if (page_hash_reserve(mmu->shadow))
		return NULL;
	sp = mmu_alloc_page(mmu, role, gfn);
	if (!sp)
		return NULL;
	if (shadow_sp_has_gptes(sp) &&
	    shadow_ptr_map_add(&mmu->shadow->gfn_pages, gfn, sp)) {
		mmu_free_page(mmu, sp);
		return NULL;
	}
	/* Newest first: KVM's active_mmu_pages is a FIFO from the head. */
	active_list_add(mmu, sp);
	sp->hash_key = shadow_page_hash(gfn, role);
	bucket = page_hash_bucket(mmu->shadow, sp->hash_key);
	sp->hash_next = *bucket;
	*bucket = sp;
	mmu->shadow->nr_hashed_pages++;
	if (shadow_sp_has_gptes(sp))
		account_shadowed(mmu, sp);
	return sp;
}

/*
 * The valid page for (@gfn, @role), as kvm_mmu_find_shadow_page().  An
 * unsync 4K page found for an upper-level role is zapped: the guest now
 * uses the gfn as a directory, which must be write-protected.  An unsync
 * match is synced but stays unsync (no write protection until the guest
 * flushes); if the sync fails the page is zapped and a fresh one built.
 */
static struct kvm_mmu_page *shadow_find_page(struct mmu_context *mmu, u64 gfn,
					     union kvm_mmu_page_role role)
{
	struct shadow_ptr_list *list = shadow_gfn_pages(mmu, gfn);
	struct kvm_mmu_page **bucket, *sp;
	unsigned int i;
	int r;

	for (i = 0; role.level > PG_LEVEL_4K && list && i < list->nr; i++) {
		sp = list->ptrs[i];
		if (!shadow_sp_is_obsolete(mmu, sp) &&
		    sp->role.word != role.word && sp->unsync)
			shadow_mmu_prepare_zap_page(mmu, sp);
	}

	bucket = page_hash_bucket(mmu->shadow, shadow_page_hash(gfn, role));
	for (sp = bucket ? *bucket : NULL; sp; sp = sp->hash_next) {
		if (shadow_sp_is_obsolete(mmu, sp) || sp->gfn != gfn ||
		    sp->role.word != role.word)
			continue;
		/* Unsync and write flooding apply to indirect pages only. */
		if (sp->role.direct)
			return sp;
		if (sp->unsync) {
			r = shadow_mmu_sync_page(mmu, sp);
			if (r < 0)
				break;
			if (r > 0)
				mmu_flush_tlb(mmu);
		}
		sp->write_flooding_count = 0;
		return sp;
	}
	mmu->stats.mmu_cache_miss++;
	return NULL;
}

/* Tell the page observer, if any, of @sp: KVM's tracepoints. */
static void report_page(struct mmu_context *mmu, enum mmu_page_event_kind kind,
			const struct kvm_mmu_page *sp, bool created)
{
	struct mmu_page_event ev = {
		.kind = kind,
		.gfn = sp->gfn,
		.level = sp->role.level,
		.gpte_bytes = sp->role.has_4_byte_gpte ? 4 : 8,
		.quadrant = sp->role.quadrant,
		.access = sp->role.access,
		.direct = sp->role.direct,
		.invalid = sp->role.invalid,
		.efer_nx = sp->role.efer_nx,
		.ad_disabled = sp->role.ad_disabled,
		.unsync = sp->unsync,
		.root_count = sp->root_count,
		.created = created,
	};

	mmu->page_observer(mmu->page_observer_opaque, &ev);
}

void mmu_set_page_observer(struct mmu_context *mmu, mmu_page_observer_fn fn,
			   void *opaque)
{
	mmu->page_observer = fn;
	mmu->page_observer_opaque = opaque;
}

struct kvm_mmu_page *shadow_mmu_get_page(struct mmu_context *mmu, u64 gfn,
					 union kvm_mmu_page_role role)
{
	struct kvm_mmu_page *sp = shadow_find_page(mmu, gfn, role);
	bool created = !sp;

	if (created)
		sp = shadow_alloc_page(mmu, gfn, role);
	if (sp && mmu->page_observer)
		report_page(mmu, MMU_PAGE_GET, sp, created);
	return sp;
}

/* The role of the page that the SPTE at @sptep links: kvm_mmu_child_role(). */
static union kvm_mmu_page_role shadow_child_role(struct mmu_context *mmu,
						 u64 *sptep, bool direct,
						 unsigned int access)
{
	struct kvm_mmu_page *parent = sptep_to_sp(mmu, sptep);
	union kvm_mmu_page_role role = parent->role;

	role.level--;
	role.access = access;
	role.direct = direct;
	role.passthrough = 0;
	/*
	 * A 2-level guest's PT holds 1024 4-byte PTEs (4M); the 2M SPTE that
	 * links it covers one half, shadowed by a page of its own: the
	 * quadrant is bit 21 of the address, the low bit of the SPTE's index.
	 * (Its PD's quarters are the PAE root's quadrants.)
	 */
	if (role.has_4_byte_gpte) {
		MMU_WARN_ON(role.level != PG_LEVEL_4K);
		role.quadrant = shadow_spte_index(parent, sptep) & 1;
	}
	return role;
}

/*
 * The child page for (@gfn, @direct, @access) under @sptep:
 * kvm_mmu_get_child_sp().  -EEXIST when @sptep already links exactly that
 * page; a link to another page is replaced by link_shadow_page().
 */
int shadow_get_child_sp(struct mmu_context *mmu, u64 *sptep, u64 gfn,
			bool direct, unsigned int access,
			struct kvm_mmu_page **out)
{
	union kvm_mmu_page_role role =
		shadow_child_role(mmu, sptep, direct, access);

	if (is_shadow_present_pte(*sptep) && !is_large_pte(*sptep)) {
		struct kvm_mmu_page *child = spte_to_child_sp(mmu, *sptep);

		if (child && child->gfn == gfn && child->role.word == role.word)
			return -EEXIST;
	}
	*out = shadow_mmu_get_page(mmu, gfn, role);
	return *out ? 0 : -ENOMEM;
}

static int parent_pte_add(struct kvm_mmu_page *sp, u64 *parent_pte)
{
	if (sp->nr_parent_ptes == sp->parent_ptes_capacity) {
		bool inline_ptes = sp->parent_ptes == &sp->first_parent_pte;
		unsigned int capacity = sp->parent_ptes_capacity * 2;
		u64 **ptes = realloc(inline_ptes ? NULL : sp->parent_ptes,
				     capacity * sizeof(*ptes));

		if (!ptes)
			return -ENOMEM;
		if (inline_ptes)
			ptes[0] = sp->first_parent_pte;
		sp->parent_ptes = ptes;
		sp->parent_ptes_capacity = capacity;
	}
	sp->parent_ptes[sp->nr_parent_ptes++] = parent_pte;
	return 0;
}

static void parent_pte_remove(struct kvm_mmu_page *sp, u64 *parent_pte)
{
	unsigned int i;

	for (i = 0; i < sp->nr_parent_ptes; i++) {
		if (sp->parent_ptes[i] == parent_pte) {
			sp->parent_ptes[i] =
				sp->parent_ptes[--sp->nr_parent_ptes];
			return;
		}
	}
	MMU_WARN_ON(1);
}

/* Unlink @sp from the SPTE @parent_pte: KVM's drop_parent_pte(). */
void drop_parent_pte(struct mmu_context *mmu, struct kvm_mmu_page *sp,
		     u64 *parent_pte)
{
	parent_pte_remove(sp, parent_pte);
	mmu_write_spte(mmu, parent_pte, SHADOW_NONPRESENT_VALUE);
}

/*
 * Point @sptep at @sp, replacing a huge leaf or a link to another page:
 * KVM's link_shadow_page().  The unsync state of @sp is made visible from
 * the new parent, so that a sync from any root finds it.
 */
int link_shadow_page(struct mmu_context *mmu, u64 *sptep,
		     struct kvm_mmu_page *sp)
{
	struct kvm_mmu_page *parent = sptep_to_sp(mmu, sptep);
	u64 spte = *sptep;

	if (is_shadow_present_pte(spte)) {
		if (is_last_spte(spte, parent->role.level))
			shadow_mmu_drop_spte(mmu, sptep);
		else
			drop_parent_pte(mmu, spte_to_child_sp(mmu, spte),
					sptep);
		mmu_flush_tlb(mmu);
	}
	if (parent_pte_add(sp, sptep))
		return -ENOMEM;
	spte = make_nonleaf_spte(&mmu->shadow->masks, sp->hpa,
				 sp->role.ad_disabled);
	MMU_WARN_ON(is_rsvd_spte(&mmu->fmt, spte, parent->role.level));
	shadow_spte_set(mmu, sptep, spte);
	if (sp->unsync_children || sp->unsync)
		shadow_mmu_mark_unsync(mmu, sptep);
	return 0;
}

/*
 * mmu_page_zap_pte(): a leaf is dropped, a link unlinked.  With
 * @zap_orphans (a page being zapped, on nested TDP) a child left without
 * parents is zapped too, as KVM does for L2's pages, which are unlikely
 * to be used again.  True when something else was zapped.
 */
static bool zap_pte(struct mmu_context *mmu, struct kvm_mmu_page *sp,
		    u64 *sptep, bool zap_orphans)
{
	const struct spte_masks *m = &mmu->shadow->masks;
	struct kvm_mmu_page *child;
	u64 spte = *sptep;

	if (is_shadow_present_pte(spte)) {
		if (is_last_spte(spte, sp->role.level)) {
			shadow_mmu_drop_spte(mmu, sptep);
			return false;
		}
		child = spte_to_child_sp(mmu, spte);
		drop_parent_pte(mmu, child, sptep);
		if (zap_orphans && mmu->cfg.kind == MMU_TDP &&
		    child->role.guest_mode && !child->nr_parent_ptes) {
			shadow_mmu_prepare_zap_page(mmu, child);
			return true;
		}
	} else if (is_mmio_spte(m, spte)) {
		mmu_write_spte(mmu, sptep, SHADOW_NONPRESENT_VALUE);
	}
	return false;
}

bool shadow_mmu_zap_pte(struct mmu_context *mmu, struct kvm_mmu_page *sp,
			u64 *sptep)
{
	bool present = is_shadow_present_pte(*sptep);

	zap_pte(mmu, sp, sptep, false);
	return present;
}

/*
 * The first SPTE of @spt from @i on that is not SHADOW_NONPRESENT_VALUE,
 * or SPTE_ENT_PER_PAGE.  That value is neither present nor MMIO.  ASan
 * does not check this scan: a table is a host page, from host memory's
 * mmap()ed arenas, which ASan never poisons, so its check of each load
 * could not fail, and it was most of the time of a zap under ASan.
 */
static_assert(!(SHADOW_NONPRESENT_VALUE &
		(SPTE_MMU_PRESENT_MASK | PT_PRESENT_MASK | EPT_RWX_MASK)),
	      "the non-present value is not present, nor MMIO, whose values "
	      "all have P (x86) or W (EPT's misconfiguration)");
#define SPTES_PER_LINE 8
static_assert(SPTE_ENT_PER_PAGE % SPTES_PER_LINE == 0,
	      "a table is whole lines of SPTEs");

static __attribute__((no_sanitize("address"))) unsigned int
next_used_spte(const u64 *spt, unsigned int i)
{
	const u64 v = SHADOW_NONPRESENT_VALUE;

	while (i < SPTE_ENT_PER_PAGE) {
		/* A cache line of them at once. */
		if (i % SPTES_PER_LINE == 0 &&
		    !((spt[i] ^ v) | (spt[i + 1] ^ v) | (spt[i + 2] ^ v) |
		      (spt[i + 3] ^ v) | (spt[i + 4] ^ v) | (spt[i + 5] ^ v) |
		      (spt[i + 6] ^ v) | (spt[i + 7] ^ v))) {
			i += SPTES_PER_LINE;
			continue;
		}
		if (spt[i] != v)
			break;
		i++;
	}
	return i;
}

bool shadow_mmu_prepare_zap_page(struct mmu_context *mmu,
				 struct kvm_mmu_page *sp)
{
	struct shadow_mmu *s = mmu->shadow;
	const struct spte_masks *m = &s->masks;
	bool list_unstable;
	unsigned int i;
	u64 spte;

	if (mmu->page_observer)
		report_page(mmu, MMU_PAGE_PREPARE_ZAP, sp, false);
	list_unstable = shadow_mmu_zap_unsync_children(mmu, sp);
	/*
	 * Most of a page's SPTEs are not present: zap_pte() leaves those
	 * alone unless they cache MMIO, and the call was most of a zap.
	 */
	for (i = next_used_spte(sp->spt, 0); i < SPTE_ENT_PER_PAGE;
	     i = next_used_spte(sp->spt, i + 1)) {
		spte = sp->spt[i];
		if (is_shadow_present_pte(spte) || is_mmio_spte(m, spte))
			list_unstable |= zap_pte(mmu, sp, &sp->spt[i], true);
	}
	while (sp->nr_parent_ptes)
		drop_parent_pte(mmu, sp, sp->parent_ptes[0]);

	if (!sp->role.invalid && shadow_sp_has_gptes(sp))
		unaccount_shadowed(mmu, sp);
	if (sp->unsync)
		sp->unsync = false;

	/*
	 * A root stays allocated, invalid and on no list, until its last
	 * root slot lets go of it (shadow_mmu_free_obsolete_roots()).
	 */
	if (!sp->role.invalid)
		active_list_del(mmu, sp);
	if (!sp->root_count) {
		sp->active_next = s->invalid_list;
		s->invalid_list = sp;
	}
	sp->role.invalid = 1;
	return list_unstable;
}

void shadow_mmu_commit_zap(struct mmu_context *mmu)
{
	struct shadow_mmu *s = mmu->shadow;
	struct kvm_mmu_page *sp;

	if (!s || !s->invalid_list)
		return;
	mmu_flush_tlb(mmu);
	while ((sp = s->invalid_list)) {
		s->invalid_list = sp->active_next;
		MMU_WARN_ON(!sp->role.invalid || sp->root_count);
		hash_del(mmu, sp);
		if (shadow_sp_has_gptes(sp))
			shadow_ptr_map_remove(&s->gfn_pages, sp->gfn, sp);
		mmu_free_page(mmu, sp);
	}
}

/* Commit zapped pages, else flush if asked: kvm_mmu_remote_flush_or_zap(). */
static void shadow_flush_or_zap(struct mmu_context *mmu, bool flush)
{
	if (mmu->shadow->invalid_list)
		shadow_mmu_commit_zap(mmu);
	else if (flush)
		mmu_flush_tlb(mmu);
}

/*
 * A write that crosses a PTE or is narrower than 4 bytes, except a
 * one-byte write at the start of a PTE (a status-bit update).
 */
static bool detect_write_misaligned(const struct kvm_mmu_page *sp, u64 gpa,
				    int bytes)
{
	unsigned int offset = gpa & PAGE_OFFSET_MASK;
	unsigned int pte_size = sp->role.has_4_byte_gpte ? 4 : 8;

	/* Operating systems update status bits with one-byte writes. */
	if (!(offset & (pte_size - 1)) && bytes == 1)
		return false;
	return ((offset ^ (offset + bytes - 1)) & ~(pte_size - 1)) || bytes < 4;
}

/*
 * The SPTEs of @sp made from the guest PTE written at @gpa, as KVM's
 * get_written_sptes(): one, or none when @sp shadows another part of a
 * 2-level guest's table.  A 4-byte PTE is at half the offset of its SPTE;
 * a 4-byte PDE maps 4M, two 2M SPTEs; the quadrant is the page of 512
 * SPTEs the offset falls in.
 */
static u64 *get_written_sptes(struct kvm_mmu_page *sp, u64 gpa, int *nr)
{
	unsigned int offset = gpa & PAGE_OFFSET_MASK;

	*nr = 1;
	if (sp->role.has_4_byte_gpte) {
		offset <<= 1;
		if (sp->role.level == PT32_ROOT_LEVEL) {
			offset = (offset & ~7U) << 1;
			*nr = 2;
		}
		if (offset >> PAGE_SHIFT != sp->role.quadrant)
			return NULL;
		offset &= PAGE_OFFSET_MASK;
	}
	return &sp->spt[offset / sizeof(u64)];
}

/* 4K pages can go unsync instead: their writes are not counted. */
static bool detect_write_flooding(struct kvm_mmu_page *sp)
{
	if (sp->role.level == PG_LEVEL_4K)
		return false;
	return ++sp->write_flooding_count >= WRITE_FLOODING_THRESHOLD;
}

/*
 * A write to a shadowed guest table that KVM could not leave to the
 * guest (the emulator wrote it): kvm_mmu_track_write().  A write that
 * is not one whole PTE, or the third write to an upper-level table
 * without a fault through it, zaps the page: the guest is probably not
 * using it as a page table any more.  Else the SPTE made from the written
 * PTE is zapped, to be rebuilt on the next fault.
 */
void shadow_mmu_track_write(struct mmu_context *mmu, u64 gpa, u64 new_val,
			    int bytes)
{
	struct shadow_ptr_list *list;
	bool flush = false;
	unsigned int i;

	/* KVM re-reads the PTE only to count PDE zaps, which mmusim does not. */
	(void)new_val;
	if (!mmu->indirect_shadow_pages || !mmu->shadow)
		return;
	/*
	 * With CR4.PAE, a 4-byte write is taken as half of an 8-byte guest
	 * PTE: mmu_pte_write_fetch_gpte() widens it.
	 */
	if (bytes == 4 && mmu->gva_walk &&
	    mmu->gva_walk->role.level >= PT32E_ROOT_LEVEL) {
		gpa &= ~7ULL;
		bytes = 8;
	}
	list = shadow_gfn_pages(mmu, gpa_to_gfn(gpa));
	for (i = 0; list && i < list->nr; i++) {
		struct kvm_mmu_page *sp = list->ptrs[i];
		u64 *sptep;
		int nr;

		if (shadow_sp_is_obsolete(mmu, sp))
			continue;
		if (detect_write_misaligned(sp, gpa, bytes) ||
		    detect_write_flooding(sp)) {
			shadow_mmu_prepare_zap_page(mmu, sp);
			mmu->stats.mmu_flooded++;
			continue;
		}
		sptep = get_written_sptes(sp, gpa, &nr);
		while (sptep && nr--)
			flush |= shadow_mmu_zap_pte(mmu, sp, sptep++);
	}
	shadow_flush_or_zap(mmu, flush);
	shadow_mmu_free_obsolete_roots(mmu);
}

/*
 * Zap every shadow page (a memslot went away, dirty logging changed):
 * KVM's kvm_mmu_zap_all().  Roots in use are replaced by fresh ones.
 */
void shadow_mmu_zap_all(struct mmu_context *mmu)
{
	struct kvm_mmu_page *sp, *next;

	if (!mmu->shadow)
		return;
restart:
	for (sp = mmu->active_head; sp; sp = next) {
		next = sp->active_next;
		if (shadow_mmu_prepare_zap_page(mmu, sp))
			goto restart;
	}
	shadow_mmu_commit_zap(mmu);
	shadow_mmu_free_obsolete_roots(mmu);
}

/*
 * KVM's kvm_rmap_zap_collapsible_sptes() zaps the 4K SPTEs of direct
 * pages whose frame may now be mapped huge, and the next fault replaces
 * the page's parent SPTE with a huge one.  Zapping the direct page itself
 * unlinks it from that parent at once; the next fault maps huge the same
 * way.
 */
void shadow_mmu_zap_collapsible_sptes(struct mmu_context *mmu,
				      struct kvm_memory_slot *slot)
{
	struct kvm_mmu_page *sp, *next;
	int level;

	if (!mmu->shadow)
		return;
restart:
	for (sp = mmu->active_head; sp; sp = next) {
		next = sp->active_next;
		level = sp->role.level;
		if (!sp->role.direct || level >= PG_LEVEL_1G ||
		    sp->gfn < slot->base_gfn ||
		    sp->gfn - slot->base_gfn >= slot->npages)
			continue;
		if (mmu_max_mapping_level(mmu, slot, sp->gfn, level + 1) <=
		    level)
			continue;
		if (shadow_mmu_prepare_zap_page(mmu, sp))
			goto restart;
	}
	shadow_mmu_commit_zap(mmu);
}

void shadow_mmu_destroy(struct mmu_context *mmu)
{
	struct shadow_mmu *s = mmu->shadow;
	struct kvm_mmu_page *sp;
	int i;

	if (!s)
		return;
	if (mmu->root.hpa && !(mmu->root.sp && mmu->root.sp->tdp_mmu_page))
		mmu->root = (struct kvm_mmu_root){ 0 };
	for (i = 0; i < KVM_MMU_NUM_PREV_ROOTS; i++)
		shadow_put_root(mmu, &mmu->prev_roots[i]);
	shadow_put_root(mmu, &s->root);

	/* Every page goes: no unlinking, no accounting. */
	while ((sp = mmu->active_head)) {
		mmu->active_head = sp->active_next;
		mmu_free_page(mmu, sp);
	}
	while ((sp = s->invalid_list)) {
		s->invalid_list = sp->active_next;
		mmu_free_page(mmu, sp);
	}
	shadow_ptr_map_destroy(&s->rmap);
	shadow_ptr_map_destroy(&s->gfn_pages);
	free(s->page_hash);
	free(s);
	mmu->shadow = NULL;
}
