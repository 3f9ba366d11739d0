/*
 * A slow reference model of the access-rights checks that
 * struct kvm_page_format encodes, one access at a time.  It shares no code
 * with walker/: the tables under test are checked against it.
 */
#ifndef MMUSIM_TESTS_PERM_REFERENCE_H
#define MMUSIM_TESTS_PERM_REFERENCE_H

#include "walker/page_format.h"

/*
 * Whether an access faults on an entry whose accumulated rights are @acc
 * (ACC_* bits).  @index holds the PERM_INDEX_* bits of permissions[]:
 * write, user, "explicit supervisor access with RFLAGS.AC=1" and fetch.
 */
bool ref_access_faults(const struct cpu_role *role, unsigned int index,
		       unsigned int acc);

/*
 * The error code permission_fault() must return: 0 when allowed, else P,
 * plus PK when a protection key denies the access.  The arguments are
 * those of permission_fault().
 */
u16 ref_permission_fault(const struct cpu_role *role, unsigned int acc,
			 unsigned int pkey, u64 access, bool rflags_ac,
			 u32 pkru);

#endif
