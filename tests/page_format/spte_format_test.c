/*
 * The SPTE formats of tdp_mmu and shadow_mmu: the roles mmu/ builds must
 * give the tables KVM checks its own SPTEs with.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "golden_tables.h"
#include "mmu/spte_format.h"
#include "test_roles.h"

static const struct spte_host intel_host = {
	.ept = true,
	.maxphyaddr = GOLDEN_MAXPHYADDR,
	.gbpages = true,
	.max_huge_page_level = PG_LEVEL_1G,
};

static const struct spte_host amd_host = {
	.maxphyaddr = GOLDEN_MAXPHYADDR,
	.gbpages = true,
	.max_huge_page_level = PG_LEVEL_1G,
};

static void assert_perm_eq(const u16 *got, const u16 *expected,
			   const char *name)
{
	unsigned int index;

	for (index = 0; index < PERM_INDEX_COUNT; index++)
		cr_assert_eq(got[index], expected[index],
			     "%s: index %u: expected %#06x, got %#06x", name,
			     index, expected[index], got[index]);
}

static void assert_rsvd_eq(const struct kvm_page_format *fmt,
			   const u64 expected[2][PT64_ROOT_MAX_LEVEL],
			   const char *name)
{
	int ps, level;

	for (ps = 0; ps < 2; ps++)
		for (level = PG_LEVEL_4K; level <= PT64_ROOT_MAX_LEVEL; level++)
			cr_assert_eq(
				fmt->rsvd_bits_mask[ps][level - 1],
				expected[ps][level - 1],
				"%s: [%d][L%d]: expected %#018llx, got %#018llx",
				name, ps, level,
				(unsigned long long)expected[ps][level - 1],
				(unsigned long long)
					fmt->rsvd_bits_mask[ps][level - 1]);
}

/* KVM's own EPT never uses execute-only or MBEC for TDP SPTEs. */
Test(spte_format, tdp_on_ept_host_is_ept_without_execonly)
{
	struct kvm_page_format fmt, guest;
	struct cpu_role role, ept;

	cr_assert_eq(tdp_mmu_spte_role(&role, &intel_host, PT64_ROOT_4LEVEL),
		     0);
	cr_assert(role.ept);
	cr_assert(role.tdp);
	cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
	cr_assert_eq(fmt.bad_mt_xwr, GOLDEN_BAD_MT_XWR_NO_EXECONLY,
		     "got %#018llx", (unsigned long long)fmt.bad_mt_xwr);
	assert_perm_eq(fmt.permissions, golden_perm_ept, "TDP EPT");
	cr_assert_eq(fmt.pkru_mask, 0);

	/* Same reserved bits as an L1 EPT of the same width and page sizes. */
	golden_ept_role(&ept, PT64_ROOT_4LEVEL, false, false);
	cr_assert_eq(kvm_page_format_init(&guest, &ept), 0);
	assert_rsvd_eq(&fmt, guest.rsvd_bits_mask, "TDP EPT");
}

Test(spte_format, tdp_on_ept_host_limits_ps_to_host_page_sizes)
{
	struct spte_host host = intel_host;
	struct kvm_page_format fmt;
	struct cpu_role role;

	host.max_huge_page_level = PG_LEVEL_2M;
	cr_assert_eq(tdp_mmu_spte_role(&role, &host, PT64_ROOT_5LEVEL), 0);
	cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
	cr_assert(fmt.rsvd_bits_mask[1][PG_LEVEL_1G - 1] & PT_PAGE_SIZE_MASK);
	cr_assert_not(fmt.rsvd_bits_mask[1][PG_LEVEL_2M - 1] &
		      PT_PAGE_SIZE_MASK);
}

/* AMD TDP SPTEs are 4-level (or 5-level) NPT entries with NX and WP. */
Test(spte_format, tdp_on_npt_host_is_amd_long_mode_with_nx)
{
	struct kvm_page_format fmt;
	struct cpu_role role;

	cr_assert_eq(tdp_mmu_spte_role(&role, &amd_host, PT64_ROOT_4LEVEL), 0);
	cr_assert_not(role.ept);
	cr_assert(role.tdp);
	cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
	assert_rsvd_eq(&fmt, golden_rsvd_4level_amd, "TDP NPT");
	cr_assert_eq(fmt.bad_mt_xwr, 0);
	assert_perm_eq(fmt.permissions, golden_perm_gva_wp_nx, "TDP NPT");
	cr_assert_eq(fmt.pkru_mask, 0);
}

Test(spte_format, tdp_on_npt_host_rejects_roots_below_4_levels)
{
	struct cpu_role role;

	cr_assert_eq(tdp_mmu_spte_role(&role, &amd_host, PT32E_ROOT_LEVEL),
		     -EINVAL);
	cr_assert_eq(tdp_mmu_spte_role(&role, &amd_host, PT32_ROOT_LEVEL),
		     -EINVAL);
}

Test(spte_format, tdp_rejects_ept_roots_below_4_levels)
{
	struct cpu_role role;

	cr_assert_eq(tdp_mmu_spte_role(&role, &intel_host, PT32E_ROOT_LEVEL),
		     -EINVAL);
}

/*
 * Shadow SPTEs use the x86 format in the host's MAXPHYADDR with AMD's
 * reserved bit 8, NX usable, CR0.WP=1 and no SMAP: the tables of a
 * 4-level AMD guest with EFER.NX and CR0.WP.
 */
Test(spte_format, shadow_is_4level_amd_format_with_nx)
{
	const struct cpu_features amd_cpu = {
		.amd = true,
		.gbpages = true,
		.maxphyaddr = GOLDEN_MAXPHYADDR,
	};
	struct kvm_page_format fmt, guest;
	struct cpu_role role, gva;

	cr_assert_eq(shadow_mmu_spte_role(&role, &amd_host, PT64_ROOT_4LEVEL,
					  false, false),
		     0);
	cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
	assert_rsvd_eq(&fmt, golden_rsvd_4level_amd, "shadow");
	assert_perm_eq(fmt.permissions, golden_perm_gva_wp_nx, "shadow");
	cr_assert_eq(fmt.bad_mt_xwr, 0);

	cr_assert_eq(
		cpu_role_from_regs(&gva, X86_CR0_PE | X86_CR0_PG | X86_CR0_WP,
				   X86_CR4_PAE, EFER_LME | EFER_LMA | EFER_NX,
				   &amd_cpu),
		0);
	cr_assert_eq(kvm_page_format_init(&guest, &gva), 0);
	cr_assert_arr_eq(&fmt, &guest, sizeof(fmt),
			 "shadow format differs from a 4-level AMD guest's");
}

/* Shadowing PAE or 32-bit tables still takes a 4-level root. */
Test(spte_format, shadow_root_is_at_least_4_levels)
{
	struct cpu_role role;

	cr_assert_eq(shadow_mmu_spte_role(&role, &amd_host, PT32E_ROOT_LEVEL,
					  false, false),
		     0);
	cr_assert_eq(role.level, PT64_ROOT_4LEVEL);
	cr_assert_eq(shadow_mmu_spte_role(&role, &amd_host, PT32_ROOT_LEVEL,
					  false, false),
		     0);
	cr_assert_eq(role.level, PT64_ROOT_4LEVEL);
	cr_assert_eq(shadow_mmu_spte_role(&role, &amd_host, PT64_ROOT_5LEVEL,
					  false, false),
		     0);
	cr_assert_eq(role.level, PT64_ROOT_5LEVEL);
}

/*
 * Under a PAE root the CPU reads shadow SPTEs in PAE mode: the format of
 * a PAE guest with WP and NX, whose bits 62:52 are reserved.
 */
Test(spte_format, shadow_under_a_pae_root_is_pae_format_with_nx)
{
	const struct cpu_features amd_cpu = {
		.amd = true,
		.gbpages = true,
		.maxphyaddr = GOLDEN_MAXPHYADDR,
	};
	struct kvm_page_format fmt, guest;
	struct cpu_role role, gva;

	cr_assert_eq(shadow_mmu_pae_spte_role(&role, &amd_host, false), 0);
	cr_assert_eq(role.level, PT32E_ROOT_LEVEL);
	cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
	cr_assert_eq(cpu_role_from_regs(&gva,
					X86_CR0_PE | X86_CR0_PG | X86_CR0_WP,
					X86_CR4_PAE, EFER_NX, &amd_cpu),
		     0);
	cr_assert_eq(kvm_page_format_init(&guest, &gva), 0);
	cr_assert_arr_eq(&fmt, &guest, sizeof(fmt),
			 "shadow PAE format differs from a PAE guest's");
	cr_assert(fmt.rsvd_bits_mask[0][0] & BIT_ULL(52));
	cr_assert_eq(fmt.rsvd_bits_mask[0][0] & PT64_NX_MASK, 0);
}

/* With SMEP the shadow table is the guest's WP=1 NX=1 SMEP=1 SMAP=0 one. */
Test(spte_format, shadow_with_smep_matches_guest_smep_table)
{
	struct kvm_page_format fmt, guest;
	struct cpu_role role, gva;

	cr_assert_eq(shadow_mmu_spte_role(&role, &amd_host, PT64_ROOT_4LEVEL,
					  true, false),
		     0);
	cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
	golden_gva_role(&gva, true, true, true, false);
	cr_assert_eq(kvm_page_format_init(&guest, &gva), 0);
	assert_perm_eq(fmt.permissions, guest.permissions, "shadow SMEP");
}

/* Shadowing L1's NPT with GMET gives the NPT GMET table. */
Test(spte_format, shadow_of_npt_with_gmet_uses_gmet_table)
{
	struct kvm_page_format fmt;
	struct cpu_role role;

	cr_assert_eq(shadow_mmu_spte_role(&role, &amd_host, PT64_ROOT_4LEVEL,
					  true, true),
		     0);
	cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
	assert_perm_eq(fmt.permissions, golden_perm_npt_gmet, "shadow NPT");
}
