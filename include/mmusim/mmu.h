/*
 * libmmusim: the MMU a simulation runs, tdp_mmu or shadow_mmu behind KVM's
 * fault dispatcher (docs/mmu.md).  With one, every TLB miss of a
 * simulation also goes through the MMU's own tables, which must agree with
 * the guest's walk; the MMU's counters say what it did.
 */
#ifndef MMUSIM_MMU_PUBLIC_H
#define MMUSIM_MMU_PUBLIC_H

#include <mmusim/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mmusim_sim mmusim_sim;

enum mmusim_mmu_kind {
	/* No MMU: only the guest's walks and the caches. */
	MMUSIM_MMU_NONE,
	/* tdp_mmu: SPTEs for GPA -> HPA (EPT or NPT of the host). */
	MMUSIM_MMU_TDP,
	/* shadow_mmu: SPTEs for GVA -> HPA shadowing the guest's tables. */
	MMUSIM_MMU_SHADOW,
};

/* "none", "tdp" or "shadow"; NULL for a value out of range. */
MMUSIM_API const char *mmusim_mmu_name(enum mmusim_mmu_kind kind);

/*
 * The MMU counters of @sim ("pf_taken", "sp_created", ...): up to @max
 * names and values into @names and @values (either may be NULL), in a
 * fixed order.  Returns how many the MMU has (0 for MMUSIM_MMU_NONE).
 * The names live as long as the library.
 */
MMUSIM_API unsigned int mmusim_sim_mmu_counters(const mmusim_sim *sim,
						const char **names,
						uint64_t *values,
						unsigned int max);

#ifdef __cplusplus
}
#endif

#endif
