/* Roles shared by the kvm_page_format tests, and how to print them. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "test_roles.h"

/* Any width in range will do where the permission bits are the subject. */
#define PERM_ROLE_MAXPHYADDR 48

void perm_role_init(struct cpu_role *role, unsigned int combo)
{
	memset(role, 0, sizeof(*role));
	role->level = PT64_ROOT_4LEVEL;
	role->maxphyaddr = PERM_ROLE_MAXPHYADDR;
	role->ept = combo & PERM_ROLE_EPT;
	role->tdp = combo & PERM_ROLE_TDP;
	role->cr4_smep = combo & PERM_ROLE_SMEP;
	role->cr4_smap = combo & PERM_ROLE_SMAP;
	role->cr0_wp = combo & PERM_ROLE_WP;
	role->efer_nx = combo & PERM_ROLE_NX;
	if (role->ept)
		role->ept_huge_page_level = PG_LEVEL_1G;
}

const char *role_describe(const struct cpu_role *role, char buf[ROLE_DESC_LEN])
{
	snprintf(buf, ROLE_DESC_LEN,
		 "level=%u maxphyaddr=%u%s%s%s%s%s%s%s%s%s%s%s%s huge=%u",
		 role->level, role->maxphyaddr, role->ept ? " ept" : "",
		 role->tdp ? " tdp" : "", role->amd ? " amd" : "",
		 role->gbpages ? " gbpages" : "", role->cr0_wp ? " wp" : "",
		 role->cr4_pse ? " pse" : "", role->cr4_smep ? " smep" : "",
		 role->cr4_smap ? " smap" : "", role->cr4_pke ? " pke" : "",
		 role->efer_nx ? " nx" : "",
		 role->ept_execonly ? " execonly" : "",
		 role->ept_ad_disabled ? " ad_disabled" : "",
		 role->ept_huge_page_level);
	return buf;
}

void golden_gva_role(struct cpu_role *role, bool wp, bool nx, bool smep,
		     bool smap)
{
	const struct cpu_features cpu = {
		.gbpages = true,
		.maxphyaddr = GOLDEN_MAXPHYADDR,
	};
	u64 cr0 = X86_CR0_PE | X86_CR0_PG | (wp ? X86_CR0_WP : 0);
	u64 cr4 = X86_CR4_PAE | (smep ? X86_CR4_SMEP : 0) |
		  (smap ? X86_CR4_SMAP : 0);
	u64 efer = EFER_LME | EFER_LMA | (nx ? EFER_NX : 0);

	cr_assert_eq(cpu_role_from_regs(role, cr0, cr4, efer, &cpu), 0);
}

u64 eptp_for_levels(unsigned int levels)
{
	return ((u64)(levels - 1) << EPTP_PWL_SHIFT) | EPTP_AD_ENABLE_MASK;
}

void golden_ept_role(struct cpu_role *role, u8 levels, bool mbec, bool execonly)
{
	cr_assert_eq(cpu_role_for_ept(role, eptp_for_levels(levels), execonly,
				      mbec, PG_LEVEL_1G, GOLDEN_MAXPHYADDR),
		     0);
}

void golden_npt_role(struct cpu_role *role, bool gmet)
{
	const struct cpu_features host = {
		.amd = true,
		.gbpages = true,
		.maxphyaddr = GOLDEN_MAXPHYADDR,
	};

	cr_assert_eq(cpu_role_for_npt(role, X86_CR4_PAE,
				      EFER_LME | EFER_LMA | EFER_NX, gmet,
				      &host),
		     0);
}
