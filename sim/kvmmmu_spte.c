/*
 * A recorded walk's access made again through shadow_mmu over the walk's
 * memory, and KVM's kvm_mmu_set_spte against it: the SPTE KVM set for
 * the page a walk translated, beside the one shadow_mmu builds for the
 * same access (docs/trace-formats.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mmu/mmu.h"
#include "sim/kvmmmu_replay.h"
#include "walker/page_format.h"

/*
 * The rights of a leaf SPTE of a host with x86-format SPTEs (the NPT
 * format shadow_mmu uses here), as kvm_mmu_set_spte prints them: r for
 * any present SPTE, w bit 1, x without NX, u bit 2.
 */
static u8 spte_perm(u64 spte)
{
	u8 perm = SPTE_PERM_R;

	if (spte & PT_WRITABLE_MASK)
		perm |= SPTE_PERM_W;
	if (!(spte & PT64_NX_MASK))
		perm |= SPTE_PERM_X;
	if (spte & PT_USER_MASK)
		perm |= SPTE_PERM_U;
	return perm;
}

static void perm_text(char *buf, u8 perm, bool has_u)
{
	buf[0] = perm & SPTE_PERM_R ? 'r' : '-';
	buf[1] = perm & SPTE_PERM_W ? 'w' : '-';
	buf[2] = perm & SPTE_PERM_X ? 'x' : '-';
	buf[3] = has_u ? (perm & SPTE_PERM_U ? 'u' : '-') : '\0';
	buf[4] = '\0';
}

/* One-page memslots for every table of the walk and for its page. */
static int add_slots(struct mmu_context *mmu, const struct replay *rp, int nr,
		     u64 page_gfn)
{
	u64 gfns[KVMMMU_MAX_ENTRIES + 1];
	int i, j, n = 0, r;

	for (i = 0; i < nr; i++)
		gfns[n++] = rp->entry_gpa[i] >> PAGE_SHIFT;
	gfns[n++] = page_gfn;
	for (i = 0; i < n; i++) {
		for (j = 0; j < i && gfns[j] != gfns[i]; j++)
			;
		if (j < i)
			continue;
		r = mmu_add_memslot(mmu, gfns[i], 1, 0, PG_LEVEL_4K);
		if (r)
			return r;
	}
	return 0;
}

int kvmmmu_shadow_replay(struct run_sim *s, const struct recorded_walk *w,
			 u32 flip, mmu_page_observer_fn fn, void *opaque,
			 struct shadow_replay *out, char *why, size_t why_len)
{
	struct mmu_config cfg = {
		.kind = MMU_SHADOW,
		.host = {
			.ept = false,
			.maxphyaddr = PHYS_ADDR_BITS_MAX,
			.gbpages = true,
			.max_huge_page_level = PG_LEVEL_1G,
		},
		.ad_enabled = true,
		.mmio_caching = true,
		.max_huge_page_level = PG_LEVEL_1G,
	};
	struct replay *rp = &out->rp;
	struct walk_access wa;
	struct mmu_context *mmu;
	int r;

	/* Replay the walk again: its memory and walkers, for the MMU. */
	if (kvmmmu_judge(s, w, rp, flip) != VERDICT_AGREE || rp->rc || rp->ept)
		return SPTE_NOT_JUDGED;
	r = guest_memory_back(&s->vcpu.mem,
			      rp->rec.gpa & ~(u64)PAGE_OFFSET_MASK, PAGE_SIZE);
	r = r ?: mmu_create(&mmu, &cfg, &s->vcpu.mem, s->vcpu.host);
	if (r) {
		snprintf(why, why_len, "cannot create shadow_mmu (%s)",
			 strerror(-r));
		return -ENOMEM;
	}
	mmu_set_page_observer(mmu, fn, opaque);
	memset(&wa, 0, sizeof(wa));
	wa.pfec = w->pferr &
		  (PFERR_WRITE_MASK | PFERR_USER_MASK | PFERR_FETCH_MASK);
	wa.rflags_ac = rp->role_bits & BIT(KVMMMU_ROLE_RFLAGS_AC);
	r = add_slots(mmu, rp, w->nr, rp->rec.gpa >> PAGE_SHIFT);
	r = r ?: mmu_reset_context(mmu, &s->vcpu.gva_walk);
	r = r ?: mmu_guest_access(mmu, w->addr, &wa, &out->fault, &out->rec);
	if (!r)
		r = mmu_hardware_walk(mmu, w->addr, &wa, &out->fault,
				      &out->rec);
	mmu_destroy(mmu);
	out->rc = r;
	return 0;
}

int kvmmmu_judge_spte(struct run_sim *s, const struct recorded_walk *w,
		      u32 flip, const struct kvmmmu_event *ev, char *why,
		      size_t why_len)
{
	struct shadow_replay sr;
	const struct walk_entry *leaf;
	char kvm[8], mm[8];
	u8 perm, mask;
	int r;

	r = kvmmmu_shadow_replay(s, w, flip, NULL, NULL, &sr, why, why_len);
	if (r)
		return r;
	if (sr.rp.rec.gpa >> PAGE_SHIFT != ev->gfn)
		return SPTE_NOT_JUDGED;
	r = sr.rc;
	if (r < 0) {
		snprintf(why, why_len, "shadow_mmu failed (%s)", strerror(-r));
		return SPTE_DISAGREE;
	}
	if (r) {
		snprintf(why, why_len,
			 "shadow_mmu faulted (%s ec=0x%" PRIx64
			 "), KVM set an SPTE",
			 walk_fault_name(sr.fault.kind), sr.fault.error_code);
		return SPTE_DISAGREE;
	}
	leaf = &sr.rec.guest.entries[sr.rec.guest.nr_entries - 1];
	mask = ev->spte_has_u ? 0xf : 0x7;
	perm = spte_perm(leaf->before) & mask;
	if (leaf->level == ev->level && perm == (ev->spte_perm & mask))
		return SPTE_AGREE;
	perm_text(kvm, ev->spte_perm, ev->spte_has_u);
	perm_text(mm, perm, ev->spte_has_u);
	snprintf(why, why_len,
		 "SPTE of gfn 0x%" PRIx64
		 ": KVM level %d (%s), shadow_mmu level %d (%s)",
		 ev->gfn, ev->level, kvm, leaf->level, mm);
	return SPTE_DISAGREE;
}
