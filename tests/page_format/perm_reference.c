/*
 * Reference model of permissions[], pkru_mask and permission_fault(),
 * written from the architectural rules as one decision per access rather
 * than as sets of ACC_* combinations.
 */
#include "perm_reference.h"

/* PKRU holds an access-disable and a write-disable bit per key. */
#define REF_PKRU_BITS_PER_KEY 2

static u32 ref_pkru_ad(unsigned int key)
{
	return BIT(key * REF_PKRU_BITS_PER_KEY);
}

static u32 ref_pkru_wd(unsigned int key)
{
	return BIT(key * REF_PKRU_BITS_PER_KEY + 1);
}

struct ref_access {
	bool user;
	bool write;
	bool fetch;
	/* An explicit supervisor access with RFLAGS.AC=1: SMAP lets it by. */
	bool smap_overridden;
};

/* The rights an entry grants, ANDed over every level of the walk. */
struct ref_rights {
	bool read;
	bool write;
	/* x86: U/S.  EPT with MBEC: XU, user-mode execute. */
	bool user;
	/* x86: !XD.  EPT: X, supervisor-mode execute with MBEC. */
	bool exec;
};

static struct ref_rights ref_decode_rights(unsigned int acc)
{
	struct ref_rights r = {
		.read = acc & ACC_READ_MASK,
		.write = acc & ACC_WRITE_MASK,
		.user = acc & ACC_USER_MASK,
		.exec = acc & ACC_EXEC_MASK,
	};

	return r;
}

/*
 * EPT checks each kind of access against its own right, whatever the
 * privilege of the access, except that MBEC splits the execute right in
 * two: user-mode fetches need XU, supervisor-mode fetches need X.
 */
static bool ref_ept_faults(const struct cpu_role *role,
			   const struct ref_access *a,
			   const struct ref_rights *r)
{
	bool mbec = role->cr4_smep;

	if (!a->write && !a->fetch && !r->read)
		return true;
	if (a->write && !r->write)
		return true;
	if (a->fetch) {
		if (mbec && a->user) {
			if (!r->user)
				return true;
		} else {
			if (!r->exec)
				return true;
		}
	}
	return false;
}

/*
 * x86 paging (a guest's own tables, a shadow format, or an NPT stage).
 * GMET (an NPT stage with cr4_smep) turns the U bit of nested entries into
 * "user-executable": it stops deciding who may access the page at all and
 * only forbids supervisor fetches, as SMEP does for a guest's own tables.
 */
static bool ref_x86_faults(const struct cpu_role *role,
			   const struct ref_access *a,
			   const struct ref_rights *r)
{
	bool gmet = role->tdp && role->cr4_smep;

	/*
	 * ACC_READ is the present bit, so a walk never reaches the check
	 * without it; a read of a non-present entry still has to fault.
	 */
	if (!a->write && !a->fetch && !r->read)
		return true;

	/* XD is only honoured when EFER.NX makes bit 63 meaningful. */
	if (a->fetch && role->efer_nx && !r->exec)
		return true;

	if (a->user) {
		if (!r->user && !gmet)
			return true;
		if (a->write && !r->write)
			return true;
		return false;
	}

	/* CR0.WP=0 lets the supervisor write through read-only pages. */
	if (a->write && !r->write && role->cr0_wp)
		return true;

	if (r->user) {
		/* SMEP (GMET on an NPT stage): no kernel code in user pages. */
		if (a->fetch && role->cr4_smep)
			return true;
		/* SMAP covers data accesses only, and AC can lift it. */
		if (!a->fetch && role->cr4_smap && !a->smap_overridden)
			return true;
	}
	return false;
}

static bool ref_faults(const struct cpu_role *role, const struct ref_access *a,
		       const struct ref_rights *r)
{
	if (role->ept)
		return ref_ept_faults(role, a, r);
	return ref_x86_faults(role, a, r);
}

bool ref_access_faults(const struct cpu_role *role, unsigned int index,
		       unsigned int acc)
{
	struct ref_rights r = ref_decode_rights(acc);
	struct ref_access a = {
		.user = index & PERM_INDEX_USER,
		.write = index & PERM_INDEX_WRITE,
		.fetch = index & PERM_INDEX_FETCH,
		.smap_overridden = index & PERM_INDEX_SMAP_OVERRIDE,
	};

	return ref_faults(role, &a, &r);
}

/*
 * Protection keys exist for x86 long-mode paging with CR4.PKE; they govern
 * data accesses (never fetches) to user-mode addresses, by user and
 * supervisor code alike.  Write-disable binds the supervisor only when
 * CR0.WP=1, as the R/W bit does.
 */
static bool ref_pkey_denies(const struct cpu_role *role,
			    const struct ref_access *a,
			    const struct ref_rights *r, unsigned int pkey,
			    u32 pkru)
{
	if (role->ept || !role->cr4_pke)
		return false;
	if (a->fetch || !r->user)
		return false;

	if (pkru & ref_pkru_ad(pkey))
		return true;
	if ((pkru & ref_pkru_wd(pkey)) && a->write && (a->user || role->cr0_wp))
		return true;
	return false;
}

u16 ref_permission_fault(const struct cpu_role *role, unsigned int acc,
			 unsigned int pkey, u64 access, bool rflags_ac,
			 u32 pkru)
{
	struct ref_rights r = ref_decode_rights(acc);
	struct ref_access a = {
		.user = access & PFERR_USER_MASK,
		.write = access & PFERR_WRITE_MASK,
		.fetch = access & PFERR_FETCH_MASK,
	};

	/*
	 * AC only lifts SMAP for explicit accesses: implicit supervisor
	 * accesses (descriptor tables and the like) stay checked.
	 */
	a.smap_overridden = !a.user && rflags_ac &&
			    !(access & PFERR_IMPLICIT_ACCESS);

	if (ref_pkey_denies(role, &a, &r, pkey, pkru))
		return (u16)(PFERR_PRESENT_MASK | PFERR_PK_MASK);
	if (ref_faults(role, &a, &r))
		return (u16)PFERR_PRESENT_MASK;
	return 0;
}
