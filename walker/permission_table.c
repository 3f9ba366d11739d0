/* mmusim's fast update_permission_bitmask(): a compile-time table per role. */
#include <string.h>

#include "walker/page_format.h"

/*
 * Only six role bits change permissions[]: ept, tdp (GMET applies only to
 * a nested NPT stage), cr4_smep (MBEC for EPT), cr4_smap, cr0_wp, efer_nx.
 * Every one of the 64 tables is a constant expression below, so updating a
 * format is a key computation and a 32-byte copy instead of KVM's loop.
 */
#define ROLE_KEY_EPT BIT(0)
#define ROLE_KEY_TDP BIT(1)
#define ROLE_KEY_SMEP BIT(2)
#define ROLE_KEY_SMAP BIT(3)
#define ROLE_KEY_WP BIT(4)
#define ROLE_KEY_NX BIT(5)
#define ROLE_KEY_COUNT 64

/* The rights an entry grants, as sets of ACC_* combinations. */
#define SET_R 0xaaaaU
#define SET_W 0xccccU
#define SET_U 0xf0f0U
#define SET_X 0xff00U
#define NOT(set) (0xffffU & ~(set))

#define IDX_W(i) ((i)&PERM_INDEX_WRITE)
#define IDX_U(i) ((i)&PERM_INDEX_USER)
#define IDX_OVR(i) ((i)&PERM_INDEX_SMAP_OVERRIDE)
#define IDX_F(i) ((i)&PERM_INDEX_FETCH)

/* Pure reads need R; writes need W. */
#define READ_FAULT(i) ((IDX_W(i) || IDX_F(i)) ? 0 : NOT(SET_R))
#define WRITE_FAULT(i) (IDX_W(i) ? NOT(SET_W) : 0)

/* EPT: fetches need X, or XU for user fetches with MBEC. */
#define EPT_FETCH_FAULT(i, k)                             \
	(!IDX_F(i)			   ? 0 :          \
	 (((k)&ROLE_KEY_SMEP) && IDX_U(i)) ? NOT(SET_U) : \
					     NOT(SET_X))
#define EPT_PERM(i, k) (READ_FAULT(i) | WRITE_FAULT(i) | EPT_FETCH_FAULT(i, k))

#define SUPERVISOR_ON_USER(i) (IDX_U(i) ? 0 : SET_U)
#define X86_USER_FAULT(i, k)                                        \
	((((k)&ROLE_KEY_TDP) && ((k)&ROLE_KEY_SMEP)) ? 0 :          \
	 IDX_U(i)				     ? NOT(SET_U) : \
						       0)
#define X86_WRITE_FAULT(i, k) \
	((((k)&ROLE_KEY_WP) || IDX_U(i)) ? WRITE_FAULT(i) : 0)
#define X86_NX_FAULT(i, k) ((((k)&ROLE_KEY_NX) && IDX_F(i)) ? NOT(SET_X) : 0)
#define X86_SMEP_FAULT(i, k) \
	((((k)&ROLE_KEY_SMEP) && IDX_F(i)) ? SUPERVISOR_ON_USER(i) : 0)
#define X86_SMAP_FAULT(i, k)                                 \
	((((k)&ROLE_KEY_SMAP) && !IDX_OVR(i) && !IDX_F(i)) ? \
		 SUPERVISOR_ON_USER(i) :                     \
		 0)
#define X86_PERM(i, k)                                                  \
	(READ_FAULT(i) | X86_WRITE_FAULT(i, k) | X86_USER_FAULT(i, k) | \
	 X86_NX_FAULT(i, k) | X86_SMEP_FAULT(i, k) | X86_SMAP_FAULT(i, k))

#define PERM(i, k) ((u16)(((k)&ROLE_KEY_EPT) ? EPT_PERM(i, k) : X86_PERM(i, k)))

#define PERM_ROW(k)                                                         \
	{                                                                   \
		PERM(0, k), PERM(1, k), PERM(2, k), PERM(3, k), PERM(4, k), \
			PERM(5, k), PERM(6, k), PERM(7, k), PERM(8, k),     \
			PERM(9, k), PERM(10, k), PERM(11, k), PERM(12, k),  \
			PERM(13, k), PERM(14, k), PERM(15, k)               \
	}
#define PERM_ROWS4(k) \
	PERM_ROW(k), PERM_ROW((k) + 1), PERM_ROW((k) + 2), PERM_ROW((k) + 3)
#define PERM_ROWS16(k)                                           \
	PERM_ROWS4(k), PERM_ROWS4((k) + 4), PERM_ROWS4((k) + 8), \
		PERM_ROWS4((k) + 12)

static const u16 permission_tables[ROLE_KEY_COUNT][PERM_INDEX_COUNT] = {
	PERM_ROWS16(0),
	PERM_ROWS16(16),
	PERM_ROWS16(32),
	PERM_ROWS16(48),
};

static_assert(sizeof(permission_tables[0]) ==
		      sizeof(((struct kvm_page_format *)0)->permissions),
	      "a table row is one permissions[] array");

static inline unsigned int permission_role_key(const struct cpu_role *role)
{
	return (role->ept ? ROLE_KEY_EPT : 0) | (role->tdp ? ROLE_KEY_TDP : 0) |
	       (role->cr4_smep ? ROLE_KEY_SMEP : 0) |
	       (role->cr4_smap ? ROLE_KEY_SMAP : 0) |
	       (role->cr0_wp ? ROLE_KEY_WP : 0) |
	       (role->efer_nx ? ROLE_KEY_NX : 0);
}

void update_permission_bitmask_fast(struct kvm_page_format *fmt,
				    const struct cpu_role *role)
{
	memcpy(fmt->permissions, permission_tables[permission_role_key(role)],
	       sizeof(fmt->permissions));
}
