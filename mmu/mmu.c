/* The MMU context: memslots, page tables in host memory, shared fault steps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/tdp_mmu.h"

const char *ret_pf_name(enum ret_pf r)
{
	static const char *const names[RET_PF_COUNT] = {
		[RET_PF_CONTINUE] = "CONTINUE",
		[RET_PF_RETRY] = "RETRY",
		[RET_PF_EMULATE] = "EMULATE",
		[RET_PF_WRITE_PROTECTED] = "WRITE_PROTECTED",
		[RET_PF_INVALID] = "INVALID",
		[RET_PF_FIXED] = "FIXED",
		[RET_PF_SPURIOUS] = "SPURIOUS",
	};

	if ((unsigned int)r >= RET_PF_COUNT)
		return "?";
	return names[r];
}

int mmu_create(struct mmu_context **out, const struct mmu_config *cfg,
	       struct guest_memory *mem, struct host_memory *host)
{
	struct mmu_context *mmu;
	int r;

	if (cfg->kind != MMU_TDP && cfg->kind != MMU_SHADOW)
		return -EINVAL;
	if (cfg->host.maxphyaddr < PHYS_ADDR_BITS_MIN ||
	    cfg->host.maxphyaddr > PHYS_ADDR_BITS_MAX)
		return -EINVAL;
	if (cfg->host.max_huge_page_level < PG_LEVEL_4K ||
	    cfg->host.max_huge_page_level > PG_LEVEL_1G)
		return -EINVAL;
	/* The MMU cannot map pages larger than the hardware walks. */
	if (cfg->max_huge_page_level < PG_LEVEL_4K ||
	    cfg->max_huge_page_level > cfg->host.max_huge_page_level)
		return -EINVAL;
	if (cfg->max_huge_page_level == PG_LEVEL_1G && !cfg->host.ept &&
	    !cfg->host.gbpages)
		return -EINVAL;

	mmu = calloc(1, sizeof(*mmu));
	if (!mmu)
		return -ENOMEM;
	mmu->cfg = *cfg;
	mmu->host = host;
	mmu->mem = mem;
	spte_masks_init(&mmu->masks, cfg->kind == MMU_TDP && cfg->host.ept,
			cfg->ad_enabled, cfg->host.maxphyaddr);
	r = guest_memory_init_host_view(&mmu->hpa_view, host);
	if (r) {
		free(mmu);
		return r;
	}
	*out = mmu;
	return 0;
}

static u64 lpage_chunks(const struct kvm_memory_slot *slot, int level);

static void free_memslot(struct kvm_memory_slot *slot)
{
	int level;
	u64 i, nr;

	for (level = PG_LEVEL_2M; level <= PG_LEVEL_1G; level++) {
		u32 **chunks = slot->disallow_lpage[level - 2];

		/*
		 * A slot of mmusim run has 512 chunks of 2M counts, of which a
		 * run allocates a few: a free() each of the others is a call
		 * for nothing (and a stack trace under ASan).  Their number is
		 * counted once: counted for each chunk, it was most of the
		 * loop.
		 */
		nr = chunks ? lpage_chunks(slot, level) : 0;
		for (i = 0; i < nr; i++)
			if (chunks[i])
				free(chunks[i]);
		free(chunks);
	}
	free(slot->dirty_bitmap);
	memset(slot, 0, sizeof(*slot));
}

void mmu_destroy(struct mmu_context *mmu)
{
	int i;

	if (!mmu)
		return;
	if (mmu->cfg.kind == MMU_TDP)
		tdp_mmu_destroy(mmu);
	shadow_mmu_destroy(mmu);
	for (i = 0; i < mmu->memslots.nr_slots; i++)
		free_memslot(&mmu->memslots.slots[i]);
	guest_memory_destroy(&mmu->hpa_view);
	free(mmu->write_track);
	free(mmu->sp_by_frame);
	free(mmu->sp_by_spt);
	free(mmu);
}

void mmu_zap_all(struct mmu_context *mmu)
{
	if (mmu->cfg.kind == MMU_TDP)
		tdp_mmu_zap_all(mmu);
	shadow_mmu_zap_all(mmu);
	mmu_flush_tlb(mmu);
}

const struct mmu_stats *mmu_get_stats(const struct mmu_context *mmu)
{
	return &mmu->stats;
}

const struct kvm_page_format *mmu_spte_format(const struct mmu_context *mmu)
{
	return &mmu->fmt;
}

/*
 * Page tables.  Each kvm_mmu_page's SPTEs live in a fresh host page,
 * mapped into hpa_view at its own HPA so a hardware walk can read it.
 * sp_by_frame finds a page from a non-leaf SPTE (host frame number) and
 * sp_by_spt from an SPTE pointer (the simulator address of its table).
 *
 * sp_by_frame covers the frames from the lowest of its table pages',
 * rounded down to SP_BY_FRAME_MIN, to the highest, not every frame from
 * HOST_MEMORY_FIRST_PFN on: the frames of a memslot's huge host pages
 * may come before every table (a 1G page is 262,144 of them), and an
 * array from the first frame grew, zeroed, over all of them.
 */
#define SP_BY_FRAME_MIN 1024ULL
static_assert(!(HOST_MEMORY_FIRST_PFN % SP_BY_FRAME_MIN),
	      "sp_by_frame never starts below the first frame");

static struct kvm_mmu_page **sp_frame_slot(struct mmu_context *mmu, u64 hpa)
{
	/* Below the first frame this wraps around past sp_by_frame_size. */
	u64 index = (hpa >> PAGE_SHIFT) - mmu->sp_by_frame_first_pfn;

	return index < mmu->sp_by_frame_size ? &mmu->sp_by_frame[index] : NULL;
}

static int sp_frame_set(struct mmu_context *mmu, u64 hpa,
			struct kvm_mmu_page *sp)
{
	u64 pfn = hpa >> PAGE_SHIFT, old_first = mmu->sp_by_frame_first_pfn;
	u64 old_size = mmu->sp_by_frame_size, first, end, size;
	struct kvm_mmu_page **slot = sp_frame_slot(mmu, hpa), **table;

	if (pfn < HOST_MEMORY_FIRST_PFN)
		return -EINVAL;
	if (!slot) {
		first = old_size && old_first < pfn ? old_first : pfn;
		first &= ~(SP_BY_FRAME_MIN - 1);
		end = old_size && old_first + old_size > pfn + 1 ?
			      old_first + old_size :
			      pfn + 1;
		size = old_size ?: SP_BY_FRAME_MIN;
		while (size < end - first)
			size *= 2;
		if (!old_size || first == old_first) {
			/* Host frames come in order: it grows at its end. */
			table = realloc(mmu->sp_by_frame,
					size * sizeof(*table));
			if (!table)
				return -ENOMEM;
			memset(table + old_size, 0,
			       (size - old_size) * sizeof(*table));
		} else {
			table = calloc(size, sizeof(*table));
			if (!table)
				return -ENOMEM;
			memcpy(table + (old_first - first), mmu->sp_by_frame,
			       old_size * sizeof(*table));
			free(mmu->sp_by_frame);
		}
		mmu->sp_by_frame = table;
		mmu->sp_by_frame_first_pfn = first;
		mmu->sp_by_frame_size = size;
		slot = sp_frame_slot(mmu, hpa);
	}
	*slot = sp;
	return 0;
}

static u64 spt_key(const void *spt)
{
	return (uintptr_t)spt >> PAGE_SHIFT;
}

static u64 spt_hash(u64 key, u64 nr)
{
	return hash_64(key, __builtin_ctzll(nr));
}

/*
 * sp_by_spt's first size, doubled as it fills: a small VM's table stays
 * small (1,024 slots, zeroed with every MMU's first page, were most of
 * what fuzz_mmu's inputs spent in it).
 */
#define SP_BY_SPT_MIN 64ULL

/* Open addressing with deletion by backward shift; at most half full. */
static int sp_by_spt_insert(struct mmu_context *mmu, struct kvm_mmu_page *sp)
{
	u64 i, mask;

	if ((mmu->sp_by_spt_used + 1) * 2 > mmu->sp_by_spt_size) {
		u64 old_size = mmu->sp_by_spt_size, j;
		struct kvm_mmu_page **old = mmu->sp_by_spt;
		u64 size = old_size ? old_size * 2 : SP_BY_SPT_MIN;

		mmu->sp_by_spt = calloc(size, sizeof(*old));
		if (!mmu->sp_by_spt) {
			mmu->sp_by_spt = old;
			return -ENOMEM;
		}
		mmu->sp_by_spt_size = size;
		mmu->sp_by_spt_used = 0;
		for (j = 0; j < old_size; j++)
			if (old[j])
				sp_by_spt_insert(mmu, old[j]);
		free(old);
	}
	mask = mmu->sp_by_spt_size - 1;
	for (i = spt_hash(spt_key(sp->spt), mmu->sp_by_spt_size);
	     mmu->sp_by_spt[i]; i = (i + 1) & mask)
		;
	mmu->sp_by_spt[i] = sp;
	mmu->sp_by_spt_used++;
	return 0;
}

static void sp_by_spt_remove(struct mmu_context *mmu, struct kvm_mmu_page *sp)
{
	u64 mask = mmu->sp_by_spt_size - 1, i, j;

	for (i = spt_hash(spt_key(sp->spt), mmu->sp_by_spt_size);
	     mmu->sp_by_spt[i] != sp; i = (i + 1) & mask)
		MMU_WARN_ON(!mmu->sp_by_spt[i]);
	mmu->sp_by_spt[i] = NULL;
	mmu->sp_by_spt_used--;
	/* Re-place the entries after the hole that may belong before it. */
	for (j = (i + 1) & mask; mmu->sp_by_spt[j]; j = (j + 1) & mask) {
		struct kvm_mmu_page *moved = mmu->sp_by_spt[j];

		mmu->sp_by_spt[j] = NULL;
		mmu->sp_by_spt_used--;
		sp_by_spt_insert(mmu, moved);
	}
}

/*
 * A table of non-present SPTEs, copied over a page's SPTEs: one memcpy()
 * costs what the loop of 512 stores costs in a release build, and under
 * ASan and UBSan one range check instead of a check of each store.
 */
static const u64 nonpresent_spt[SPTE_ENT_PER_PAGE] = {
	[0 ... SPTE_ENT_PER_PAGE - 1] = SHADOW_NONPRESENT_VALUE,
};
static_assert(sizeof(nonpresent_spt) == PAGE_SIZE, "a table fills its page");

static void clear_spt(u64 *spt)
{
	memcpy(spt, nonpresent_spt, sizeof(nonpresent_spt));
}

struct kvm_mmu_page *mmu_alloc_page(struct mmu_context *mmu,
				    union kvm_mmu_page_role role, u64 gfn)
{
	/*
	 * An indirect page's translations come in the page's own allocation:
	 * one calloc() and one free() a page instead of two.
	 */
	bool translated = !role.direct && role.level <= PG_LEVEL_1G;
	struct kvm_mmu_page *sp = calloc(
		1, sizeof(*sp) + (translated ? SHADOWED_TRANSLATION_BYTES : 0));

	if (!sp)
		return NULL;
	if (translated)
		sp->shadowed_translation = sp->translation_storage;
	sp->hpa = host_memory_alloc_page(mmu->host);
	if (sp->hpa == INVALID_HPA)
		goto out_free_sp;
	sp->spt = host_memory_page(mmu->host, sp->hpa);
	/* Registered last: a failure leaves no lookup pointing at sp. */
	if (sp_frame_set(mmu, sp->hpa, sp))
		goto out_free_sp;
	if (sp_by_spt_insert(mmu, sp)) {
		*sp_frame_slot(mmu, sp->hpa) = NULL;
		goto out_free_sp;
	}
	clear_spt(sp->spt);
	sp->parent_ptes = &sp->first_parent_pte;
	sp->parent_ptes_capacity = 1;
	sp->role = role;
	sp->gfn = gfn;
	sp->mmu_valid_gen = mmu->mmu_valid_gen;
	mmu->stats.sp_created++;
	return sp;

out_free_sp:
	free(sp);
	return NULL;
}

/*
 * The host page stays allocated (host memory only grows) but is marked
 * non-present throughout, so a stale pointer to it walks into nothing.
 */
void mmu_free_page(struct mmu_context *mmu, struct kvm_mmu_page *sp)
{
	struct kvm_mmu_page **slot = sp_frame_slot(mmu, sp->hpa);

	mmu->spte_generation++;
	clear_spt(sp->spt);
	if (slot)
		*slot = NULL;
	sp_by_spt_remove(mmu, sp);
	mmu->stats.sp_zapped++;
	if (sp->parent_ptes != &sp->first_parent_pte)
		free(sp->parent_ptes);
	free(sp);
}

struct kvm_mmu_page *sptep_to_sp(struct mmu_context *mmu, u64 *sptep)
{
	u64 key = spt_key(sptep), mask = mmu->sp_by_spt_size - 1, i;

	if (!mmu->sp_by_spt_size)
		return NULL;
	for (i = spt_hash(key, mmu->sp_by_spt_size); mmu->sp_by_spt[i];
	     i = (i + 1) & mask)
		if (spt_key(mmu->sp_by_spt[i]->spt) == key)
			return mmu->sp_by_spt[i];
	return NULL;
}

/* What a CPU walk of the MMU's tables stops at, in either format. */
static_assert((SHADOW_NONPRESENT_VALUE & (PT_PRESENT_MASK | EPT_RWX_MASK |
					  EPT_USER_EXECUTABLE_MASK)) == 0,
	      "a non-present SPTE is not present to the CPU's walk");

void mmu_flush_tlb(struct mmu_context *mmu)
{
	mmu->stats.tlb_flushes++;
}

/* Memslots. */

/* gfn_to_memslot() when the slot it found last does not hold @gfn. */
struct kvm_memory_slot *__gfn_to_memslot(struct mmu_context *mmu, u64 gfn)
{
	struct kvm_memslots *slots = &mmu->memslots;
	int i;

	for (i = 0; i < slots->nr_slots; i++) {
		if (memslot_has_gfn(&slots->slots[i], gfn)) {
			slots->last_used_slot = i;
			return &slots->slots[i];
		}
	}
	return NULL;
}

static u64 hpage_frames(const struct kvm_memory_slot *slot, int level)
{
	unsigned int shift = hpage_gfn_shift(level);

	return ((slot->base_gfn + slot->npages - 1) >> shift) -
	       (slot->base_gfn >> shift) + 1;
}

static u64 dirty_bitmap_words(const struct kvm_memory_slot *slot)
{
	return (slot->npages + 63) / 64;
}

/* disallow_lpage counters come in chunks of a page. */
#define LPAGE_CHUNK (PAGE_SIZE / sizeof(u32))

static u64 lpage_chunks(const struct kvm_memory_slot *slot, int level)
{
	return (hpage_frames(slot, level) + LPAGE_CHUNK - 1) / LPAGE_CHUNK;
}

static u64 lpage_index(const struct kvm_memory_slot *slot, u64 gfn, int level)
{
	unsigned int shift = hpage_gfn_shift(level);

	return (gfn >> shift) - (slot->base_gfn >> shift);
}

/* The reasons a @level page may not map @gfn; 0 in a chunk never raised. */
static u32 lpage_count(const struct kvm_memory_slot *slot, u64 gfn, int level)
{
	u64 i = lpage_index(slot, gfn, level);
	const u32 *chunk = slot->disallow_lpage[level - 2][i / LPAGE_CHUNK];

	return chunk ? chunk[i % LPAGE_CHUNK] : 0;
}

/*
 * The counters chunk @c of @level holds: LPAGE_CHUNK, fewer in the last
 * chunk of a slot (a slot of fuzz_mmu has one or two 2M frames).
 */
static u64 lpage_chunk_len(const struct kvm_memory_slot *slot, int level, u64 c)
{
	u64 left = hpage_frames(slot, level) - c * LPAGE_CHUNK;

	return left < LPAGE_CHUNK ? left : LPAGE_CHUNK;
}

/* The counter of @gfn at @level, its chunk allocated if needed. */
static u32 *lpage_counter(struct kvm_memory_slot *slot, u64 gfn, int level)
{
	u64 i = lpage_index(slot, gfn, level);
	u32 **chunk = &slot->disallow_lpage[level - 2][i / LPAGE_CHUNK];

	if (!*chunk)
		*chunk = calloc(lpage_chunk_len(slot, level, i / LPAGE_CHUNK),
				sizeof(u32));
	return *chunk ? &(*chunk)[i % LPAGE_CHUNK] : NULL;
}

static int disallow_lpage_edge(struct kvm_memory_slot *slot, u64 gfn, int level)
{
	u32 *count = lpage_counter(slot, gfn, level);

	if (!count)
		return -ENOMEM;
	(*count)++;
	return 0;
}

/*
 * disallow_lpage of a slot, as KVM's lpage_info but sparse: a slot of
 * mmusim run spans 2^28 pages, of which a run touches a few.  Only the
 * chunks that hold a slot edge are allocated here; shadowing a guest table
 * allocates the others on demand.
 */
static int alloc_lpage_info(struct kvm_memory_slot *slot)
{
	u64 last = slot->base_gfn + slot->npages - 1;
	int level;

	for (level = PG_LEVEL_2M; level <= PG_LEVEL_1G; level++) {
		u64 mask = pages_per_hpage(level) - 1;

		slot->disallow_lpage[level - 2] =
			calloc(lpage_chunks(slot, level), sizeof(u32 *));
		if (!slot->disallow_lpage[level - 2])
			return -ENOMEM;
		/* A huge page may not reach past either edge of the slot. */
		if ((slot->base_gfn & mask) &&
		    disallow_lpage_edge(slot, slot->base_gfn, level))
			return -ENOMEM;
		if (((last + 1) & mask) &&
		    disallow_lpage_edge(slot, last, level))
			return -ENOMEM;
	}
	return 0;
}

/*
 * As KVM (kvm_alloc_dirty_bitmap()), give a slot its dirty bitmap only
 * once dirty logging is on: a slot of mmusim run spans 2^28 pages.  The
 * bitmap stays until the slot goes, so that bits not collected before
 * logging was turned off are still there if it is turned on again.
 */
static int alloc_dirty_bitmap(struct kvm_memory_slot *slot)
{
	if (!slot->dirty_bitmap)
		slot->dirty_bitmap =
			calloc(dirty_bitmap_words(slot), sizeof(u64));
	return slot->dirty_bitmap ? 0 : -ENOMEM;
}

int mmu_add_memslot(struct mmu_context *mmu, u64 base_gfn, u64 npages,
		    u32 flags, int host_level)
{
	struct kvm_memory_slot *slot;
	u64 align_pages;
	int i, r;

	if (!npages || flags & ~(MEMSLOT_READONLY | MEMSLOT_DIRTY_LOG) ||
	    host_level < PG_LEVEL_4K || host_level > PG_LEVEL_1G)
		return -EINVAL;
	if (base_gfn + npages < base_gfn ||
	    (base_gfn + npages) >
		    (1ULL << (mmu->cfg.host.maxphyaddr - PAGE_SHIFT)))
		return -ERANGE;
	if (mmu->memslots.nr_slots == KVM_MAX_MEMSLOTS)
		return -ENOSPC;
	for (i = 0; i < mmu->memslots.nr_slots; i++) {
		struct kvm_memory_slot *s = &mmu->memslots.slots[i];

		if (base_gfn < s->base_gfn + s->npages &&
		    s->base_gfn < base_gfn + npages)
			return -EEXIST;
	}

	/* Huge host pages need the slot's GPA and HPA congruent. */
	while (host_level > PG_LEVEL_4K &&
	       (base_gfn & (pages_per_hpage(host_level) - 1)))
		host_level--;
	align_pages = pages_per_hpage(host_level);

	slot = &mmu->memslots.slots[mmu->memslots.nr_slots];
	memset(slot, 0, sizeof(*slot));
	slot->base_gfn = base_gfn;
	slot->npages = npages;
	slot->flags = flags;
	slot->host_level = host_level;
	if (alloc_lpage_info(slot))
		goto out_free_slot;
	if ((flags & MEMSLOT_DIRTY_LOG) && alloc_dirty_bitmap(slot))
		goto out_free_slot;

	/* 4K host pages are faulted in on first use (mmu_faultin_pfn()). */
	if (host_level > PG_LEVEL_4K) {
		r = guest_memory_back_contiguous(mmu->mem, gfn_to_gpa(base_gfn),
						 npages << PAGE_SHIFT,
						 align_pages << PAGE_SHIFT);
		if (r) {
			free_memslot(slot);
			return r;
		}
	}
	mmu->memslots.nr_slots++;
	mmu->memslots.generation++;
	return 0;

out_free_slot:
	free_memslot(slot);
	return -ENOMEM;
}

int mmu_delete_memslot(struct mmu_context *mmu, u64 base_gfn)
{
	struct kvm_memslots *slots = &mmu->memslots;
	int i;

	for (i = 0; i < slots->nr_slots; i++)
		if (slots->slots[i].base_gfn == base_gfn)
			break;
	if (i == slots->nr_slots)
		return -ENOENT;
	if (mmu->cfg.kind == MMU_TDP)
		tdp_mmu_zap_gfn_range(mmu, base_gfn,
				      base_gfn + slots->slots[i].npages);
	shadow_mmu_zap_all(mmu);
	free_memslot(&slots->slots[i]);
	slots->slots[i] = slots->slots[slots->nr_slots - 1];
	memset(&slots->slots[slots->nr_slots - 1], 0, sizeof(slots->slots[0]));
	slots->nr_slots--;
	slots->generation++;
	return 0;
}

/*
 * Make the next write to each page of @slot fault, so that it is logged.
 * tdp_mmu's SPTEs are write-protected in place.  shadow_mmu's, which
 * exist under MMU_TDP too while an L2 runs on a shadow of L1's EPT/NPT,
 * are zapped instead: they fault back in through the dispatcher, which
 * maps a read without W and logs a write.
 */
static void dirty_log_write_protect(struct mmu_context *mmu,
				    const struct kvm_memory_slot *slot)
{
	if (mmu->cfg.kind == MMU_TDP &&
	    tdp_mmu_wrprot_slot(mmu, slot, PG_LEVEL_4K))
		mmu_flush_tlb(mmu);
	shadow_mmu_zap_all(mmu);
}

/*
 * Dirty logging is off again: map @slot with huge pages where they are
 * allowed, as KVM's kvm_mmu_slot_apply_flags() does.  tdp_mmu replaces
 * its tables with huge leaves in place; shadow_mmu zaps the direct pages
 * that a huge SPTE could replace, and maps huge at the next fault.
 */
static void recover_huge_pages(struct mmu_context *mmu,
			       struct kvm_memory_slot *slot)
{
	bool flush = false;

	if (mmu->cfg.kind == MMU_TDP)
		flush = tdp_mmu_recover_huge_pages(mmu, slot);
	shadow_mmu_zap_collapsible_sptes(mmu, slot);
	if (flush)
		mmu_flush_tlb(mmu);
}

int mmu_set_dirty_logging(struct mmu_context *mmu, u64 base_gfn, bool on)
{
	struct kvm_memory_slot *slot = gfn_to_memslot(mmu, base_gfn);

	if (!slot || slot->base_gfn != base_gfn)
		return -ENOENT;
	if (on == !!(slot->flags & MEMSLOT_DIRTY_LOG))
		return 0;
	if (on) {
		if (alloc_dirty_bitmap(slot))
			return -ENOMEM;
		slot->flags |= MEMSLOT_DIRTY_LOG;
		/* Every write must fault once to be logged, at 4K. */
		if (mmu->cfg.kind == MMU_TDP)
			tdp_mmu_split_huge_pages(mmu, slot->base_gfn,
						 slot->base_gfn + slot->npages,
						 PG_LEVEL_4K);
		dirty_log_write_protect(mmu, slot);
	} else {
		slot->flags &= ~MEMSLOT_DIRTY_LOG;
		recover_huge_pages(mmu, slot);
	}
	mmu->memslots.generation++;
	return 0;
}

int mmu_get_dirty_log(struct mmu_context *mmu, u64 base_gfn, u64 *bitmap,
		      u64 nr_words)
{
	struct kvm_memory_slot *slot = gfn_to_memslot(mmu, base_gfn);
	u64 words;

	if (!slot || slot->base_gfn != base_gfn)
		return -ENOENT;
	if (!(slot->flags & MEMSLOT_DIRTY_LOG))
		return -EINVAL;
	words = dirty_bitmap_words(slot);
	if (nr_words < words)
		return -ENOSPC;
	memcpy(bitmap, slot->dirty_bitmap, words * sizeof(u64));
	memset(slot->dirty_bitmap, 0, words * sizeof(u64));
	/* Write-protect again, so the next write of each page is logged. */
	dirty_log_write_protect(mmu, slot);
	return 0;
}

void mark_page_dirty(struct mmu_context *mmu, u64 gfn)
{
	struct kvm_memory_slot *slot = gfn_to_memslot(mmu, gfn);
	u64 i;

	/* As mark_page_dirty_in_slot(): no bitmap, nothing to log. */
	if (!slot || !(slot->flags & MEMSLOT_DIRTY_LOG) || !slot->dirty_bitmap)
		return;
	i = gfn - slot->base_gfn;
	slot->dirty_bitmap[i / 64] |= BIT_ULL(i % 64);
}

static void update_lpage(struct mmu_context *mmu, u64 gfn, int delta)
{
	struct kvm_memory_slot *slot = gfn_to_memslot(mmu, gfn);
	int level;

	if (!slot)
		return;
	for (level = PG_LEVEL_2M; level <= PG_LEVEL_1G; level++) {
		u32 *count = lpage_counter(slot, gfn, level);

		/* Out of memory: huge pages stay allowed, as if not shadowed. */
		MMU_WARN_ON(!count || (delta < 0 && !*count));
		if (count)
			*count += delta;
	}
}

void mmu_gfn_disallow_lpage(struct mmu_context *mmu, u64 gfn)
{
	update_lpage(mmu, gfn, 1);
}

void mmu_gfn_allow_lpage(struct mmu_context *mmu, u64 gfn)
{
	update_lpage(mmu, gfn, -1);
}

static u64 gfn_count_hash(u64 gfn, u64 size)
{
	return hash_64(gfn, __builtin_ctzll(size));
}

static struct gfn_count *find_write_track(struct mmu_context *mmu, u64 gfn)
{
	u64 mask = mmu->write_track_size - 1, i;

	if (!mmu->write_track_size)
		return NULL;
	for (i = gfn_count_hash(gfn, mmu->write_track_size);
	     mmu->write_track[i].used; i = (i + 1) & mask)
		if (mmu->write_track[i].gfn == gfn)
			return &mmu->write_track[i];
	return NULL;
}

/* Entries are never removed, only counted down: gfns get re-shadowed. */
static struct gfn_count *insert_write_track(struct mmu_context *mmu, u64 gfn)
{
	struct gfn_count *e;
	u64 i, mask;

	if ((mmu->write_track_used + 1) * 2 > mmu->write_track_size) {
		struct gfn_count *old = mmu->write_track;
		u64 old_size = mmu->write_track_size;
		u64 size = old_size ? old_size * 2 : 256;

		mmu->write_track = calloc(size, sizeof(*old));
		if (!mmu->write_track) {
			mmu->write_track = old;
			return NULL;
		}
		mmu->write_track_size = size;
		mmu->write_track_used = 0;
		for (i = 0; i < old_size; i++)
			if (old[i].used)
				*insert_write_track(mmu, old[i].gfn) = old[i];
		free(old);
	}
	mask = mmu->write_track_size - 1;
	for (i = gfn_count_hash(gfn, mmu->write_track_size);
	     mmu->write_track[i].used; i = (i + 1) & mask)
		;
	e = &mmu->write_track[i];
	*e = (struct gfn_count){ .gfn = gfn, .used = true };
	mmu->write_track_used++;
	return e;
}

void mmu_gfn_write_track_add(struct mmu_context *mmu, u64 gfn)
{
	struct gfn_count *e = find_write_track(mmu, gfn);

	if (!e)
		e = insert_write_track(mmu, gfn);
	/* Out of memory: the gfn stays untracked, as if never shadowed. */
	MMU_WARN_ON(!e);
	if (e)
		e->count++;
}

void mmu_gfn_write_track_remove(struct mmu_context *mmu, u64 gfn)
{
	struct gfn_count *e = find_write_track(mmu, gfn);

	MMU_WARN_ON(!e || !e->count);
	if (e && e->count)
		e->count--;
}

bool __mmu_gfn_is_write_tracked(struct mmu_context *mmu, u64 gfn)
{
	struct gfn_count *e = find_write_track(mmu, gfn);

	return e && e->count;
}

int mmu_faultin_pfn(struct mmu_context *mmu, struct kvm_page_fault *fault,
		    unsigned int access)
{
	u64 hpa;

	(void)access;
	MMU_WARN_ON(fault->slot != gfn_to_memslot(mmu, fault->gfn));
	if (!fault->slot) {
		/* No memslot: MMIO, emulated; cache it in an SPTE if allowed. */
		fault->pfn = 0;
		fault->map_writable = false;
		if (!mmu->cfg.mmio_caching || !mmu->masks.mmio_value)
			return RET_PF_EMULATE;
		return RET_PF_CONTINUE;
	}
	hpa = guest_memory_gpa_to_hpa(mmu->mem, gfn_to_gpa(fault->gfn));
	if (hpa == INVALID_HPA) {
		/* First touch of a 4K-host-page slot: fault the page in. */
		MMU_WARN_ON(fault->slot->host_level > PG_LEVEL_4K);
		if (guest_memory_back(mmu->mem, gfn_to_gpa(fault->gfn),
				      PAGE_SIZE))
			return -ENOMEM;
		hpa = guest_memory_gpa_to_hpa(mmu->mem, gfn_to_gpa(fault->gfn));
	}
	fault->pfn = hpa >> PAGE_SHIFT;
	fault->map_writable = !(fault->slot->flags & MEMSLOT_READONLY);
	/* A write to read-only memory is emulated (and dropped). */
	if (fault->write && !fault->map_writable)
		return RET_PF_EMULATE;
	return RET_PF_CONTINUE;
}

int mmu_max_mapping_level(struct mmu_context *mmu, struct kvm_memory_slot *slot,
			  u64 gfn, int max_level)
{
	int level = max_level;

	MMU_WARN_ON(gfn < slot->base_gfn ||
		    gfn - slot->base_gfn >= slot->npages);
	if (level > mmu->cfg.max_huge_page_level)
		level = mmu->cfg.max_huge_page_level;
	if (level > slot->host_level)
		level = slot->host_level;
	for (; level > PG_LEVEL_4K; level--)
		if (!lpage_count(slot, gfn, level))
			break;
	return level;
}

void mmu_hugepage_adjust(struct mmu_context *mmu, struct kvm_page_fault *fault)
{
	struct kvm_memory_slot *slot = fault->slot;
	int level;

	fault->req_level = PG_LEVEL_4K;
	fault->goal_level = PG_LEVEL_4K;
	if (!slot || fault->max_level == PG_LEVEL_4K ||
	    (slot->flags & MEMSLOT_DIRTY_LOG))
		return;

	level = mmu_max_mapping_level(mmu, slot, fault->gfn, fault->max_level);
	fault->req_level = level;
	fault->goal_level = level;
	fault->pfn &= ~(pages_per_hpage(level) - 1);
}
