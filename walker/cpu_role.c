/* struct cpu_role from guest registers, an EPTP, or an NPT host mode. */
#include <errno.h>
#include <string.h>

#include "walker/cpu_role.h"

int cpu_role_from_regs(struct cpu_role *role, u64 cr0, u64 cr4, u64 efer,
		       const struct cpu_features *cpu)
{
	bool lma = efer & EFER_LMA;

	memset(role, 0, sizeof(*role));
	role->maxphyaddr = cpu->maxphyaddr;
	role->amd = cpu->amd;
	role->gbpages = cpu->gbpages;

	if ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE))
		return -EINVAL;
	if (lma && (!(cr0 & X86_CR0_PG) || !(cr4 & X86_CR4_PAE)))
		return -EINVAL;

	if (cr0 & X86_CR0_PG) {
		if (lma)
			role->level = (cr4 & X86_CR4_LA57) ? PT64_ROOT_5LEVEL :
							     PT64_ROOT_4LEVEL;
		else
			role->level = (cr4 & X86_CR4_PAE) ? PT32E_ROOT_LEVEL :
							    PT32_ROOT_LEVEL;
		role->cr0_wp = cr0 & X86_CR0_WP;
		role->cr4_pse = cr4 & X86_CR4_PSE;
		role->cr4_smep = cr4 & X86_CR4_SMEP;
		role->cr4_smap = cr4 & X86_CR4_SMAP;
		role->cr4_pke = lma && (cr4 & X86_CR4_PKE);
		role->efer_nx = efer & EFER_NX;
	}
	return cpu_role_validate(role);
}

int cpu_role_for_ept(struct cpu_role *role, u64 eptp, bool execonly, bool mbec,
		     u8 huge_page_level, u8 maxphyaddr)
{
	unsigned int walk_length =
		((eptp & EPTP_PWL_MASK) >> EPTP_PWL_SHIFT) + 1;

	memset(role, 0, sizeof(*role));
	role->ept = true;
	role->tdp = true;
	role->level = walk_length;
	role->maxphyaddr = maxphyaddr;
	role->cr4_smep = mbec;
	role->ept_execonly = execonly;
	role->ept_ad_disabled = !(eptp & EPTP_AD_ENABLE_MASK);
	role->ept_huge_page_level = huge_page_level;
	return cpu_role_validate(role);
}

int cpu_role_for_npt(struct cpu_role *role, u64 host_cr4, u64 host_efer,
		     bool gmet, const struct cpu_features *host)
{
	u64 cr4 = host_cr4 & ~(X86_CR4_PKE | X86_CR4_SMAP);
	int r;

	r = cpu_role_from_regs(role, X86_CR0_PG | X86_CR0_PE | X86_CR0_WP, cr4,
			       host_efer, host);
	if (r)
		return r;
	role->tdp = true;
	role->cr4_smep = gmet;
	return 0;
}
