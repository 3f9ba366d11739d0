/*
 * Bad input: roles no CPU can have, register values no CPU accepts, and
 * entry levels outside a walk, each refused with -EINVAL; and the edges
 * next to them accepted.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "test_roles.h"

static void x86_role(struct cpu_role *role)
{
	perm_role_init(role, PERM_ROLE_WP | PERM_ROLE_NX);
}

static void ept_role(struct cpu_role *role)
{
	perm_role_init(role, PERM_ROLE_EPT | PERM_ROLE_TDP);
}

/* Both entry points must agree on what a valid role is. */
static void assert_role_result(const struct cpu_role *role, int expected)
{
	struct kvm_page_format fmt;
	char desc[ROLE_DESC_LEN];

	cr_assert_eq(cpu_role_validate(role), expected,
		     "cpu_role_validate({%s})", role_describe(role, desc));
	cr_assert_eq(kvm_page_format_init(&fmt, role), expected,
		     "kvm_page_format_init({%s})", role_describe(role, desc));
}

Test(cpu_role, rejects_x86_levels_no_cpu_walks)
{
	static const u8 bad_levels[] = { 1, 6, 7 };
	static const u8 good_levels[] = {
		0,
		PT32_ROOT_LEVEL,
		PT32E_ROOT_LEVEL,
		PT64_ROOT_4LEVEL,
		PT64_ROOT_5LEVEL,
	};
	struct cpu_role role;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad_levels); i++) {
		x86_role(&role);
		role.level = bad_levels[i];
		assert_role_result(&role, -EINVAL);
	}
	for (i = 0; i < ARRAY_SIZE(good_levels); i++) {
		x86_role(&role);
		role.level = good_levels[i];
		assert_role_result(&role, 0);
	}
}

Test(cpu_role, rejects_ept_walks_other_than_4_and_5_levels)
{
	static const u8 bad_levels[] = {
		0, 1, PT32_ROOT_LEVEL, PT32E_ROOT_LEVEL, 6,
	};
	struct cpu_role role;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad_levels); i++) {
		ept_role(&role);
		role.level = bad_levels[i];
		assert_role_result(&role, -EINVAL);
	}
	ept_role(&role);
	role.level = PT64_ROOT_5LEVEL;
	assert_role_result(&role, 0);
}

Test(cpu_role, rejects_maxphyaddr_outside_32_to_52)
{
	struct cpu_role role;

	x86_role(&role);
	role.maxphyaddr = PHYS_ADDR_BITS_MIN - 1;
	assert_role_result(&role, -EINVAL);
	role.maxphyaddr = PHYS_ADDR_BITS_MAX + 1;
	assert_role_result(&role, -EINVAL);
	role.maxphyaddr = PHYS_ADDR_BITS_MIN;
	assert_role_result(&role, 0);
	role.maxphyaddr = PHYS_ADDR_BITS_MAX;
	assert_role_result(&role, 0);

	ept_role(&role);
	role.maxphyaddr = PHYS_ADDR_BITS_MIN - 1;
	assert_role_result(&role, -EINVAL);
	role.maxphyaddr = PHYS_ADDR_BITS_MAX + 1;
	assert_role_result(&role, -EINVAL);
}

Test(cpu_role, rejects_ept_huge_page_level_outside_4k_to_1g)
{
	struct cpu_role role;

	ept_role(&role);
	role.ept_huge_page_level = PG_LEVEL_4K - 1;
	assert_role_result(&role, -EINVAL);
	role.ept_huge_page_level = PG_LEVEL_1G + 1;
	assert_role_result(&role, -EINVAL);
	role.ept_huge_page_level = PG_LEVEL_4K;
	assert_role_result(&role, 0);
	role.ept_huge_page_level = PG_LEVEL_1G;
	assert_role_result(&role, 0);
}

Test(cpu_role, rejects_pke_without_long_mode)
{
	static const u8 levels[] = { 0, PT32_ROOT_LEVEL, PT32E_ROOT_LEVEL };
	struct cpu_role role;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(levels); i++) {
		x86_role(&role);
		role.level = levels[i];
		role.cr4_pke = true;
		assert_role_result(&role, -EINVAL);
	}
	x86_role(&role);
	role.cr4_pke = true;
	assert_role_result(&role, 0);
}

Test(page_format_check_entry, rejects_levels_outside_1_to_5)
{
	struct kvm_page_format fmt;
	struct cpu_role role;
	bool rsvd = false;

	x86_role(&role);
	cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
	cr_assert_eq(page_format_check_entry(&fmt, 0, 0, &rsvd), -EINVAL);
	cr_assert_eq(page_format_check_entry(&fmt, 0, PT64_ROOT_MAX_LEVEL + 1,
					     &rsvd),
		     -EINVAL);
	cr_assert_eq(page_format_check_entry(&fmt, 0, -1, &rsvd), -EINVAL);
	cr_assert_eq(page_format_check_entry(&fmt, 0, PG_LEVEL_4K, &rsvd), 0);
	cr_assert_not(rsvd);
	cr_assert_eq(page_format_check_entry(&fmt, PT64_NX_MASK,
					     PT64_ROOT_MAX_LEVEL, &rsvd),
		     0);
	cr_assert_not(rsvd);
}

static const struct cpu_features any_cpu = {
	.gbpages = true,
	.maxphyaddr = GOLDEN_MAXPHYADDR,
};

Test(cpu_role_from_regs, rejects_paging_without_protected_mode)
{
	struct cpu_role role;

	cr_assert_eq(cpu_role_from_regs(&role, X86_CR0_PG, 0, 0, &any_cpu),
		     -EINVAL);
	cr_assert_eq(cpu_role_from_regs(&role, X86_CR0_PG, X86_CR4_PAE,
					EFER_LME | EFER_LMA, &any_cpu),
		     -EINVAL);
	cr_assert_eq(cpu_role_from_regs(&role, X86_CR0_PE | X86_CR0_PG, 0, 0,
					&any_cpu),
		     0);
	cr_assert_eq(role.level, PT32_ROOT_LEVEL);
}

Test(cpu_role_from_regs, rejects_long_mode_without_pae_or_paging)
{
	struct cpu_role role;

	cr_assert_eq(cpu_role_from_regs(&role, X86_CR0_PE | X86_CR0_PG, 0,
					EFER_LME | EFER_LMA, &any_cpu),
		     -EINVAL);
	cr_assert_eq(cpu_role_from_regs(&role, X86_CR0_PE, X86_CR4_PAE,
					EFER_LME | EFER_LMA, &any_cpu),
		     -EINVAL);
	cr_assert_eq(cpu_role_from_regs(&role, X86_CR0_PE | X86_CR0_PG,
					X86_CR4_PAE, EFER_LME | EFER_LMA,
					&any_cpu),
		     0);
	cr_assert_eq(role.level, PT64_ROOT_4LEVEL);
}

Test(cpu_role_from_regs, rejects_maxphyaddr_outside_32_to_52)
{
	struct cpu_features cpu = any_cpu;
	struct cpu_role role;

	cpu.maxphyaddr = PHYS_ADDR_BITS_MIN - 1;
	cr_assert_eq(cpu_role_from_regs(&role, X86_CR0_PE | X86_CR0_PG, 0, 0,
					&cpu),
		     -EINVAL);
	cpu.maxphyaddr = PHYS_ADDR_BITS_MAX + 1;
	cr_assert_eq(cpu_role_from_regs(&role, 0, 0, 0, &cpu), -EINVAL);
}

/* The EPTP's 3-bit walk-length field can say 1..8; only 4 and 5 exist. */
#define EPTP_WALK_LENGTHS 8

Test(cpu_role_for_ept, rejects_walk_lengths_other_than_4_and_5)
{
	struct cpu_role role;
	unsigned int levels;

	for (levels = 1; levels <= EPTP_WALK_LENGTHS; levels++) {
		bool valid = levels == PT64_ROOT_4LEVEL ||
			     levels == PT64_ROOT_5LEVEL;
		int r = cpu_role_for_ept(&role, eptp_for_levels(levels), false,
					 false, PG_LEVEL_1G, GOLDEN_MAXPHYADDR);

		cr_assert_eq(r, valid ? 0 : -EINVAL, "walk length %u", levels);
		if (valid)
			cr_assert_eq(role.level, levels);
	}
}

Test(cpu_role_for_ept, rejects_huge_page_level_outside_4k_to_1g)
{
	u64 eptp = eptp_for_levels(PT64_ROOT_4LEVEL);
	struct cpu_role role;

	cr_assert_eq(cpu_role_for_ept(&role, eptp, false, false,
				      PG_LEVEL_4K - 1, GOLDEN_MAXPHYADDR),
		     -EINVAL);
	cr_assert_eq(cpu_role_for_ept(&role, eptp, false, false,
				      PG_LEVEL_1G + 1, GOLDEN_MAXPHYADDR),
		     -EINVAL);
}

/* EPTP bit 6 enables A/D; the role records its absence. */
Test(cpu_role_for_ept, takes_ad_disabled_from_eptp)
{
	u64 eptp = eptp_for_levels(PT64_ROOT_4LEVEL);
	struct cpu_role role;

	cr_assert_eq(cpu_role_for_ept(&role, eptp, false, false, PG_LEVEL_1G,
				      GOLDEN_MAXPHYADDR),
		     0);
	cr_assert_not(role.ept_ad_disabled);
	cr_assert_eq(cpu_role_for_ept(&role, eptp & ~EPTP_AD_ENABLE_MASK, false,
				      false, PG_LEVEL_1G, GOLDEN_MAXPHYADDR),
		     0);
	cr_assert(role.ept_ad_disabled);
}

/* NPT forces CR0.WP and drops SMAP and PKE, whatever L1's CR4 says. */
Test(cpu_role_for_npt, forces_wp_and_drops_smap_and_pke)
{
	const struct cpu_features host = {
		.amd = true,
		.maxphyaddr = GOLDEN_MAXPHYADDR,
	};
	u64 cr4 = X86_CR4_PAE | X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_PKE;
	struct cpu_role role;

	cr_assert_eq(cpu_role_for_npt(&role, cr4, EFER_LME | EFER_LMA, false,
				      &host),
		     0);
	cr_assert(role.tdp);
	cr_assert(role.cr0_wp);
	cr_assert_not(role.cr4_smap);
	cr_assert_not(role.cr4_pke);
	cr_assert_not(role.cr4_smep, "without GMET, L1's SMEP does not apply");
	cr_assert_eq(
		cpu_role_for_npt(&role, X86_CR4_PAE, EFER_LMA, true, &host), 0);
	cr_assert(role.cr4_smep);
	cr_assert_eq(cpu_role_for_npt(&role, 0, EFER_LME | EFER_LMA, false,
				      &host),
		     -EINVAL, "long mode without PAE");
}

/* NPT walks in L1's own paging mode, from 32-bit to 5-level. */
Test(cpu_role_for_npt, follows_host_paging_mode)
{
	const struct cpu_features host = {
		.amd = true,
		.maxphyaddr = GOLDEN_MAXPHYADDR,
	};
	struct cpu_role role;

	cr_assert_eq(cpu_role_for_npt(&role, 0, 0, false, &host), 0);
	cr_assert_eq(role.level, PT32_ROOT_LEVEL);
	cr_assert_eq(cpu_role_for_npt(&role, X86_CR4_PAE, 0, false, &host), 0);
	cr_assert_eq(role.level, PT32E_ROOT_LEVEL);
	cr_assert_eq(cpu_role_for_npt(&role, X86_CR4_PAE | X86_CR4_LA57,
				      EFER_LME | EFER_LMA, false, &host),
		     0);
	cr_assert_eq(role.level, PT64_ROOT_5LEVEL);
}

/* With paging off nothing is reserved and no access can fault. */
Test(kvm_page_format_init, paging_off_gives_empty_format)
{
	static const struct kvm_page_format empty;
	struct kvm_page_format fmt;
	struct cpu_role role;
	unsigned int acc;

	cr_assert_eq(cpu_role_from_regs(&role, X86_CR0_PE,
					X86_CR4_PAE | X86_CR4_SMEP |
						X86_CR4_SMAP | X86_CR4_PKE,
					EFER_NX, &any_cpu),
		     0);
	cr_assert_eq(role.level, 0);
	memset(&fmt, 0xff, sizeof(fmt));
	cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
	cr_assert_arr_eq(&fmt, &empty, sizeof(fmt));
	for (acc = 0; acc < ACC_COMBINATIONS; acc++)
		cr_assert_eq(permission_fault(&fmt, acc, 0,
					      PFERR_USER_MASK |
						      PFERR_WRITE_MASK,
					      false, ~0U),
			     0);
}
