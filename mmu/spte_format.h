/* The kvm_page_format of the SPTEs that tdp_mmu and shadow_mmu write. */
#ifndef MMUSIM_SPTE_FORMAT_H
#define MMUSIM_SPTE_FORMAT_H

#include "walker/page_format.h"

/* The host: what the SPTE format depends on besides the MMU's root role. */
struct spte_host {
	/* Intel hosts use EPT for TDP, AMD hosts NPT. */
	bool ept;
	u8 maxphyaddr;
	bool gbpages;
	/* Largest page size the hardware maps (PG_LEVEL_2M or PG_LEVEL_1G). */
	u8 max_huge_page_level;
};

/*
 * The role of tdp_mmu's SPTEs (GPA -> HPA): EPT on Intel, NPT in the
 * host's 4- or 5-level mode on AMD, as KVM's reset_tdp_shadow_zero_bits_mask()
 * and the TDP call of update_permission_bitmask().
 */
int tdp_mmu_spte_role(struct cpu_role *role, const struct spte_host *host,
		      u8 root_level);

/*
 * The role of shadow_mmu's SPTEs (GVA -> HPA, or nGPA -> HPA when shadowing
 * L1's NPT): x86 format in the host's MAXPHYADDR, NX always usable (KVM
 * uses NX for its own purposes), WP on, SMAP off, as KVM's
 * reset_shadow_zero_bits_mask().  @shadows_npt selects the GMET meaning of
 * @cr4_smep.  A @root_level below 4 is raised to 4 (the direct root of a
 * paging-off guest); a PAE root has shadow_mmu_pae_spte_role().
 */
int shadow_mmu_spte_role(struct cpu_role *role, const struct spte_host *host,
			 u8 root_level, bool cr4_smep, bool shadows_npt);

/*
 * The role of shadow_mmu's SPTEs under a PAE root (a 2-level or PAE guest,
 * which KVM shadows with PAE tables on a 64-bit host without TDP): the
 * format of shadow_mmu_spte_role() as the CPU reads it in PAE mode, where
 * bits 62:MAXPHYADDR are reserved and a PDPTE has its own reserved bits;
 * KVM's reset_shadow_zero_bits_mask() with root_role.level 3.
 */
int shadow_mmu_pae_spte_role(struct cpu_role *role,
			     const struct spte_host *host, bool cr4_smep);

#endif
