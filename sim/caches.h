/* The translation caches of one vCPU: TLB, PSC and nested TLB policy. */
#ifndef MMUSIM_SIM_CACHES_H
#define MMUSIM_SIM_CACHES_H

#include "sim/tlb.h"
#include "sim/vcpu.h"

/*
 * Every translation cache of one vCPU.  @tlb caches whole translations
 * (linear page to GPA/HPA page, with rights); @psc[L] (L = 2..5) caches
 * the non-leaf entries of level L of the guest's walks, keyed by the
 * address bits above the region an entry maps; @ntlb caches the nested
 * stage's translations (nGPA page to GPA page) that 2D walks use.  The
 * walker always walks from the root: the PSC and the nested TLB only
 * decide which of its references the CPU would have made.
 */
struct translation_caches {
	struct tlb tlb;
	struct tlb psc[PT64_ROOT_MAX_LEVEL + 1];
	struct tlb ntlb;
};

/*
 * What the caches saved of one walk: references not made, and the
 * nested-TLB lookups and hits made on the way.
 */
struct translation_caches_walk_cost {
	unsigned int skipped_guest;
	unsigned int skipped_nested;
	unsigned int ntlb_lookups;
	unsigned int ntlb_hits;
};

/* Entries of each cache, 0 disables it.  -EINVAL, -ENOMEM. */
int translation_caches_init(struct translation_caches *c, u32 tlb_entries,
			    u32 psc_entries, u32 ntlb_entries);
void translation_caches_destroy(struct translation_caches *c);

/* Keep the caches' page shifts in step with @v's paging modes. */
void translation_caches_update_shifts(struct translation_caches *c,
				      const struct sim_vcpu *v);

/* The TLB entry of any size for @addr, or NULL. */
static inline struct tlb_entry *
translation_caches_lookup(struct translation_caches *c, u64 addr)
{
	return tlb_lookup(&c->tlb, addr);
}

/*
 * The lowest level whose PSC holds @addr's entry, 0 for none, -1 when
 * there is no PSC to look in.
 */
int translation_caches_psc_lookup(struct translation_caches *c,
				  const struct sim_vcpu *v, u64 addr);

/*
 * Look up (and fill) the nested TLB with the nested translations of the
 * walk @rec, and count what the PSC hit at @psc_level (see
 * translation_caches_psc_lookup()) and the nested TLB saved of it.
 */
void translation_caches_walk(struct translation_caches *c,
			     const struct sim_vcpu *v,
			     const struct walk_record *rec, int psc_level,
			     bool ok,
			     struct translation_caches_walk_cost *cost);

/* Cache the successful walk @rec of @addr, access class @cls. */
void translation_caches_fill(struct translation_caches *c,
			     const struct sim_vcpu *v,
			     const struct walk_record *rec, u64 addr, u32 cls);

/* A CR3 write (@global false) or a flush of everything: TLB and PSC. */
void translation_caches_flush(struct translation_caches *c, bool global);
/*
 * The current PCID (CR3[11:0] under CR4.PCIDE, else 0): lookups and fills
 * of the TLB and the PSC are for it.  The nested TLB has no PCIDs.
 */
void translation_caches_set_pcid(struct translation_caches *c, u16 pcid,
				 bool pcide);
/* The non-global TLB entries and the PSC entries of PCID @pcid. */
void translation_caches_flush_pcid(struct translation_caches *c, u16 pcid);
/* INVPCID type 0: those of them that translate @addr, and the PSC's. */
void translation_caches_invpcid_addr(struct translation_caches *c, u64 addr,
				     u16 pcid);
/*
 * INVLPG: the TLB entries of @addr (the current PCID's and global ones),
 * and the current PCID's PSC entries.
 */
void translation_caches_invlpg(struct translation_caches *c, u64 addr);
/* A fault: the TLB entries of @addr. */
void translation_caches_flush_addr(struct translation_caches *c, u64 addr);
/* The nested TLB (INVEPT, a new nested stage). */
void translation_caches_flush_nested(struct translation_caches *c);

#endif
