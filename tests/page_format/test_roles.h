/* Roles shared by the kvm_page_format tests, and how to print them. */
#ifndef MMUSIM_TESTS_TEST_ROLES_H
#define MMUSIM_TESTS_TEST_ROLES_H

#include "walker/cpu_role.h"
#include "walker/page_format.h"

/* The six role bits permissions[] depends on, as one sweepable number. */
#define PERM_ROLE_EPT BIT(0)
#define PERM_ROLE_TDP BIT(1)
#define PERM_ROLE_SMEP BIT(2)
#define PERM_ROLE_SMAP BIT(3)
#define PERM_ROLE_WP BIT(4)
#define PERM_ROLE_NX BIT(5)
#define PERM_ROLE_COMBINATIONS 64

/*
 * A 4-level role (EPT or x86) that cpu_role_validate() accepts, with the
 * permission bits of @combo (PERM_ROLE_*; for EPT, SMEP stands for MBEC
 * and for NPT with TDP for GMET).
 */
void perm_role_init(struct cpu_role *role, unsigned int combo);

/* Room for every flag role_describe() prints. */
#define ROLE_DESC_LEN 192

/* @role as "level=4 maxphyaddr=46 ept wp nx ...", for failure messages. */
const char *role_describe(const struct cpu_role *role, char buf[ROLE_DESC_LEN]);

/*
 * A sweep logs at most this many mismatches, so that one broken rule does
 * not bury the report, then fails on the total.
 */
#define MISMATCHES_LOGGED 16

/*
 * The roles of the golden tables.  The CPU is an Intel part with 1G pages
 * and MAXPHYADDR 46 unless the golden says otherwise; each builder fails
 * the calling test if the role is refused.
 */
#define GOLDEN_MAXPHYADDR 46
void golden_gva_role(struct cpu_role *role, bool wp, bool nx, bool smep,
		     bool smap);
void golden_ept_role(struct cpu_role *role, u8 levels, bool mbec,
		     bool execonly);
void golden_npt_role(struct cpu_role *role, bool gmet);

/* EPTP with a page-walk length of @levels and A/D enabled. */
u64 eptp_for_levels(unsigned int levels);

#endif
