/* SPTE roles of tdp_mmu and shadow_mmu. */
#include <errno.h>
#include <string.h>

#include "mmu/spte_format.h"

int tdp_mmu_spte_role(struct cpu_role *role, const struct spte_host *host,
		      u8 root_level)
{
	memset(role, 0, sizeof(*role));
	role->level = root_level;
	role->maxphyaddr = host->maxphyaddr;
	role->tdp = true;
	if (host->ept) {
		role->ept = true;
		role->ept_huge_page_level = host->max_huge_page_level;
	} else {
		if (root_level < PT64_ROOT_4LEVEL)
			return -EINVAL;
		role->amd = true;
		role->efer_nx = true;
		role->cr0_wp = true;
		role->gbpages = host->gbpages;
	}
	return cpu_role_validate(role);
}

int shadow_mmu_spte_role(struct cpu_role *role, const struct spte_host *host,
			 u8 root_level, bool cr4_smep, bool shadows_npt)
{
	memset(role, 0, sizeof(*role));
	if (root_level < PT64_ROOT_4LEVEL)
		root_level = PT64_ROOT_4LEVEL;
	role->level = root_level;
	role->maxphyaddr = host->maxphyaddr;
	role->tdp = shadows_npt;
	role->amd = true;
	role->gbpages = host->gbpages;
	role->efer_nx = true;
	role->cr0_wp = true;
	role->cr4_smep = cr4_smep;
	return cpu_role_validate(role);
}

int shadow_mmu_pae_spte_role(struct cpu_role *role,
			     const struct spte_host *host, bool cr4_smep)
{
	int r = shadow_mmu_spte_role(role, host, PT64_ROOT_4LEVEL, cr4_smep,
				     false);

	if (r)
		return r;
	role->level = PT32E_ROOT_LEVEL;
	/* PAE paging has no 1G pages. */
	role->gbpages = false;
	return cpu_role_validate(role);
}
