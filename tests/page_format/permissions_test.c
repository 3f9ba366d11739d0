/*
 * permissions[]: KVM's loop, mmusim's precomputed table and the pre-MBEC
 * u8 table, each against the reference model for every role, index and
 * access, plus the golden tables.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "golden_tables.h"
#include "perm_reference.h"
#include "test_roles.h"

/* A data read: none of W, U, F or the SMAP override in the index. */
#define PERM_INDEX_SUPERVISOR_READ 0

typedef void (*perm_update_fn)(struct kvm_page_format *fmt,
			       const struct cpu_role *role);

static unsigned int check_role_against_reference(const struct cpu_role *role,
						 const u16 *permissions,
						 const char *what,
						 unsigned int logged)
{
	char desc[ROLE_DESC_LEN];
	unsigned int index, acc, mismatches = 0;

	for (index = 0; index < PERM_INDEX_COUNT; index++) {
		for (acc = 0; acc < ACC_COMBINATIONS; acc++) {
			bool expected = ref_access_faults(role, index, acc);
			bool got = (permissions[index] >> acc) & 1;

			if (expected == got)
				continue;
			if (logged + mismatches < MISMATCHES_LOGGED)
				cr_log_error(
					"%s: role {%s} index %#x access %#x: expected %s, got %s",
					what, role_describe(role, desc), index,
					acc, expected ? "fault" : "allow",
					got ? "fault" : "allow");
			mismatches++;
		}
	}
	return mismatches;
}

static void check_every_role(perm_update_fn update, const char *what)
{
	unsigned int combo, mismatches = 0;
	struct kvm_page_format fmt;
	struct cpu_role role;

	for (combo = 0; combo < PERM_ROLE_COMBINATIONS; combo++) {
		perm_role_init(&role, combo);
		memset(&fmt, 0, sizeof(fmt));
		update(&fmt, &role);
		mismatches += check_role_against_reference(
			&role, fmt.permissions, what, mismatches);
	}
	cr_assert_eq(mismatches, 0, "%s: %u (role, index, access) mismatches",
		     what, mismatches);
}

Test(permissions, kvm_loop_matches_reference_for_every_role)
{
	check_every_role(update_permission_bitmask,
			 "update_permission_bitmask");
}

Test(permissions, fast_table_matches_reference_for_every_role)
{
	check_every_role(update_permission_bitmask_fast,
			 "update_permission_bitmask_fast");
}

/* kvm_page_format_init() must install the same table as both updates. */
Test(permissions, format_init_installs_the_role_table)
{
	struct kvm_page_format fmt, loop;
	char desc[ROLE_DESC_LEN];
	struct cpu_role role;
	unsigned int combo;

	for (combo = 0; combo < PERM_ROLE_COMBINATIONS; combo++) {
		perm_role_init(&role, combo);
		cr_assert_eq(kvm_page_format_init(&fmt, &role), 0, "role {%s}",
			     role_describe(&role, desc));
		memset(&loop, 0, sizeof(loop));
		update_permission_bitmask(&loop, &role);
		cr_assert_arr_eq(fmt.permissions, loop.permissions,
				 sizeof(fmt.permissions), "role {%s}",
				 role_describe(&role, desc));
	}
}

/*
 * Pre-MBEC kernels only ever built these roles: GMET did not exist (an
 * NPT walk's cr4_smep was the host's plain SMEP, and NPT accesses always
 * carried PFERR_USER_MASK), and neither did MBEC, so an EPT role never had
 * cr4_smep; an EPT role is always a TDP stage.
 */
static bool legacy_role_legal(const struct cpu_role *role)
{
	if (role->ept)
		return role->tdp && !role->cr4_smep;
	return !(role->tdp && role->cr4_smep);
}

/*
 * Translate a pre-MBEC access value to post-MBEC ACC_* rights.  EXEC moved
 * from bit 0 to bit 3.  An x86 entry that was walked at all was present,
 * so it has ACC_READ.  EPT kept its R right in LEGACY_ACC_USER_MASK.
 */
static unsigned int legacy_to_acc(const struct cpu_role *role,
				  unsigned int legacy)
{
	unsigned int acc = 0;

	if (legacy & LEGACY_ACC_EXEC_MASK)
		acc |= ACC_EXEC_MASK;
	if (legacy & LEGACY_ACC_WRITE_MASK)
		acc |= ACC_WRITE_MASK;
	if (role->ept) {
		if (legacy & LEGACY_ACC_USER_MASK)
			acc |= ACC_READ_MASK;
	} else {
		acc |= ACC_READ_MASK;
		if (legacy & LEGACY_ACC_USER_MASK)
			acc |= ACC_USER_MASK;
	}
	return acc;
}

/*
 * For x86 the index means the same before and after MBEC.  Pre-MBEC EPT
 * signalled a read with PFERR_USER_MASK rather than by the absence of W
 * and F, so each of U, W and F in a legacy EPT index asks for its own
 * check: a read, a write and a fetch.
 */
static bool legacy_expected_fault(const struct cpu_role *role,
				  unsigned int index, unsigned int acc)
{
	if (!role->ept)
		return ref_access_faults(role, index, acc);

	if ((index & PERM_INDEX_USER) &&
	    ref_access_faults(role, PERM_INDEX_SUPERVISOR_READ, acc))
		return true;
	if ((index & PERM_INDEX_WRITE) &&
	    ref_access_faults(role, PERM_INDEX_WRITE, acc))
		return true;
	if ((index & PERM_INDEX_FETCH) &&
	    ref_access_faults(role, PERM_INDEX_FETCH, acc))
		return true;
	return false;
}

static unsigned int check_legacy_role(const struct cpu_role *role,
				      unsigned int logged)
{
	unsigned int index, legacy, mismatches = 0;
	struct legacy_permissions perm;
	char desc[ROLE_DESC_LEN];

	update_legacy_permission_bitmask(&perm, role);
	for (index = 0; index < PERM_INDEX_COUNT; index++) {
		for (legacy = 0; legacy < LEGACY_ACC_COMBINATIONS; legacy++) {
			unsigned int acc = legacy_to_acc(role, legacy);
			bool expected = legacy_expected_fault(role, index, acc);
			bool got = (perm.permissions[index] >> legacy) & 1;

			if (expected == got)
				continue;
			if (logged + mismatches < MISMATCHES_LOGGED)
				cr_log_error(
					"legacy: role {%s} index %#x legacy access %#x (access %#x): expected %s, got %s",
					role_describe(role, desc), index,
					legacy, acc,
					expected ? "fault" : "allow",
					got ? "fault" : "allow");
			mismatches++;
		}
	}
	return mismatches;
}

Test(permissions, legacy_table_matches_reference_for_pre_mbec_roles)
{
	unsigned int combo, checked = 0, mismatches = 0;
	struct cpu_role role;

	for (combo = 0; combo < PERM_ROLE_COMBINATIONS; combo++) {
		perm_role_init(&role, combo);
		if (!legacy_role_legal(&role))
			continue;
		mismatches += check_legacy_role(&role, mismatches);
		checked++;
	}
	cr_assert_gt(checked, 0);
	cr_assert_eq(mismatches, 0,
		     "update_legacy_permission_bitmask: %u mismatches",
		     mismatches);
}

static void assert_table_eq(const u16 *got, const u16 *expected,
			    const char *name)
{
	unsigned int index;

	for (index = 0; index < PERM_INDEX_COUNT; index++)
		cr_assert_eq(got[index], expected[index],
			     "%s: index %u: expected %#06x, got %#06x", name,
			     index, expected[index], got[index]);
}

/* Both the installed (fast) table and KVM's loop must give the golden. */
static void assert_golden(const struct cpu_role *role, const u16 *golden,
			  const char *name)
{
	struct kvm_page_format fmt, loop;

	cr_assert_eq(kvm_page_format_init(&fmt, role), 0, "%s", name);
	assert_table_eq(fmt.permissions, golden, name);
	memset(&loop, 0, sizeof(loop));
	update_permission_bitmask(&loop, role);
	assert_table_eq(loop.permissions, golden, name);
}

Test(permissions, gva_walk_golden_tables)
{
	struct cpu_role role;

	golden_gva_role(&role, true, true, false, false);
	assert_golden(&role, golden_perm_gva_wp_nx, "WP=1 NX=1");
	golden_gva_role(&role, true, true, true, true);
	assert_golden(&role, golden_perm_gva_wp_nx_smep_smap,
		      "WP=1 NX=1 SMEP=1 SMAP=1");
	golden_gva_role(&role, false, false, false, false);
	assert_golden(&role, golden_perm_gva_nowp_nonx, "WP=0 NX=0");
}

Test(permissions, ept_ngpa_walk_golden_tables)
{
	struct cpu_role role;

	golden_ept_role(&role, PT64_ROOT_4LEVEL, false, false);
	assert_golden(&role, golden_perm_ept, "EPT");
	golden_ept_role(&role, PT64_ROOT_4LEVEL, true, false);
	assert_golden(&role, golden_perm_ept_mbec, "EPT with MBEC");
}

Test(permissions, npt_ngpa_walk_with_gmet_golden_table)
{
	struct cpu_role role;

	golden_npt_role(&role, true);
	assert_golden(&role, golden_perm_npt_gmet, "NPT with GMET");
}

static void assert_legacy_golden(const struct cpu_role *role, const u8 *golden,
				 const char *name)
{
	struct legacy_permissions perm;
	unsigned int index;

	update_legacy_permission_bitmask(&perm, role);
	for (index = 0; index < PERM_INDEX_COUNT; index++)
		cr_assert_eq(perm.permissions[index], golden[index],
			     "%s: index %u: expected %#04x, got %#04x", name,
			     index, golden[index], perm.permissions[index]);
}

Test(permissions, legacy_golden_tables)
{
	struct cpu_role role;

	golden_gva_role(&role, true, true, false, false);
	assert_legacy_golden(&role, golden_legacy_gva_wp_nx, "WP=1 NX=1");
	golden_gva_role(&role, true, true, true, true);
	assert_legacy_golden(&role, golden_legacy_gva_wp_nx_smep_smap,
			     "WP=1 NX=1 SMEP=1 SMAP=1");
	golden_gva_role(&role, false, false, false, false);
	assert_legacy_golden(&role, golden_legacy_gva_nowp_nonx, "WP=0 NX=0");
	golden_ept_role(&role, PT64_ROOT_4LEVEL, false, false);
	assert_legacy_golden(&role, golden_legacy_ept, "EPT");
}
