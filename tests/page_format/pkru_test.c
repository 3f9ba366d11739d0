/*
 * pkru_mask and permission_fault(): goldens, named cases, and a sweep of
 * every protection key, PKRU state and access against the reference.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "golden_tables.h"
#include "perm_reference.h"
#include "test_roles.h"

#define PKEY_COUNT 16
#define PKRU_BITS_PER_KEY 2
#define PKRU_AD(key) BIT((key)*PKRU_BITS_PER_KEY)
#define PKRU_WD(key) BIT((key)*PKRU_BITS_PER_KEY + 1)
#define PKRU_KEY_STATES 4

static void pke_role(struct cpu_role *role, bool wp)
{
	const struct cpu_features cpu = {
		.gbpages = true,
		.maxphyaddr = GOLDEN_MAXPHYADDR,
	};
	u64 cr0 = X86_CR0_PE | X86_CR0_PG | (wp ? X86_CR0_WP : 0);

	cr_assert_eq(cpu_role_from_regs(role, cr0, X86_CR4_PAE | X86_CR4_PKE,
					EFER_LME | EFER_LMA, &cpu),
		     0);
	cr_assert(role->cr4_pke);
}

Test(pkru, mask_golden_with_pke)
{
	struct kvm_page_format fmt;
	struct cpu_role role;

	pke_role(&role, true);
	cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
	cr_assert_eq(fmt.pkru_mask, GOLDEN_PKRU_MASK_WP,
		     "WP=1: expected %#010x, got %#010x", GOLDEN_PKRU_MASK_WP,
		     fmt.pkru_mask);

	pke_role(&role, false);
	cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
	cr_assert_eq(fmt.pkru_mask, GOLDEN_PKRU_MASK_NO_WP,
		     "WP=0: expected %#010x, got %#010x",
		     GOLDEN_PKRU_MASK_NO_WP, fmt.pkru_mask);
}

/* Keys need long mode and are never part of a nested stage. */
Test(pkru, mask_empty_outside_guest_long_mode)
{
	const struct cpu_features host = {
		.amd = true,
		.maxphyaddr = GOLDEN_MAXPHYADDR,
	};
	struct kvm_page_format fmt;
	struct cpu_role role;

	cr_assert_eq(cpu_role_from_regs(&role, X86_CR0_PE | X86_CR0_PG,
					X86_CR4_PAE | X86_CR4_PKE, 0, &host),
		     0);
	cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
	cr_assert_eq(fmt.pkru_mask, 0, "PAE with CR4.PKE");

	cr_assert_eq(cpu_role_for_npt(&role, X86_CR4_PAE | X86_CR4_PKE,
				      EFER_LME | EFER_LMA, false, &host),
		     0);
	cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
	cr_assert_eq(fmt.pkru_mask, 0, "NPT with L1's CR4.PKE");

	golden_ept_role(&role, PT64_ROOT_4LEVEL, false, false);
	role.cr4_pke = true;
	cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
	cr_assert_eq(fmt.pkru_mask, 0, "EPT");
}

/* update_pkru_bitmask() alone, for every WP, against the reference. */
Test(pkru, mask_bits_match_reference)
{
	struct kvm_page_format fmt;
	unsigned int index;
	struct cpu_role role;
	int wp;

	for (wp = 0; wp <= 1; wp++) {
		pke_role(&role, wp);
		update_pkru_bitmask(&fmt, &role);
		for (index = 0; index < PERM_INDEX_COUNT; index++) {
			unsigned int pfec = index << PFERR_PERM_INDEX_SHIFT;
			unsigned int acc = ACC_ALL;
			u64 access = pfec & ~(u64)PFERR_RSVD_MASK;
			u32 ad = (fmt.pkru_mask >> pfec) & 1;
			u32 wd = (fmt.pkru_mask >> pfec >> 1) & 1;
			u16 ad_fault, wd_fault;

			/* In pkru_mask, PFEC.RSVD is the leaf's U bit. */
			if (!(pfec & PFERR_RSVD_MASK))
				acc &= ~ACC_USER_MASK;
			ad_fault = ref_permission_fault(&role, acc, 0, access,
							false, PKRU_AD(0));
			wd_fault = ref_permission_fault(&role, acc, 0, access,
							false, PKRU_WD(0));
			cr_assert_eq(ad, !!(ad_fault & PFERR_PK_MASK),
				     "WP=%d pfec %#x: AD bit %u", wp, pfec, ad);
			cr_assert_eq(wd, !!(wd_fault & PFERR_PK_MASK),
				     "WP=%d pfec %#x: WD bit %u", wp, pfec, wd);
		}
	}
}

struct pf_case {
	const char *name;
	unsigned int combo;
	bool pke;
	unsigned int acc;
	unsigned int pkey;
	u64 access;
	bool rflags_ac;
	u32 pkru;
	u16 expected;
};

/* Short names keep the case table readable; they end with the table. */
#define R ACC_READ_MASK
#define W ACC_WRITE_MASK
#define U ACC_USER_MASK
#define X ACC_EXEC_MASK
#define XU ACC_USER_EXEC_MASK
#define P ((u16)PFERR_PRESENT_MASK)
#define PK ((u16)(PFERR_PRESENT_MASK | PFERR_PK_MASK))
#define WP_NX (PERM_ROLE_WP | PERM_ROLE_NX)
#define KEY 5

static const struct pf_case pf_cases[] = {
	{ "user read of a supervisor page", WP_NX, false, R | W | X, 0,
	  PFERR_USER_MASK, false, 0, P },
	{ "user write to a read-only user page", WP_NX, false, R | U | X, 0,
	  PFERR_USER_MASK | PFERR_WRITE_MASK, false, 0, P },
	{ "supervisor write to a read-only page with WP=0", PERM_ROLE_NX, false,
	  R | X, 0, PFERR_WRITE_MASK, false, 0, 0 },
	{ "supervisor write to a read-only page with WP=1", WP_NX, false, R | X,
	  0, PFERR_WRITE_MASK, false, 0, P },
	{ "SMEP: supervisor fetch from a user page", WP_NX | PERM_ROLE_SMEP,
	  false, R | U | X, 0, PFERR_FETCH_MASK, false, 0, P },
	{ "no SMEP: supervisor fetch from a user page", WP_NX, false, R | U | X,
	  0, PFERR_FETCH_MASK, false, 0, 0 },
	{ "NX: user fetch from an XD page", WP_NX, false, R | U, 0,
	  PFERR_USER_MASK | PFERR_FETCH_MASK, false, 0, P },
	{ "EFER.NX=0: XD is not honoured", PERM_ROLE_WP, false, R | U, 0,
	  PFERR_USER_MASK | PFERR_FETCH_MASK, false, 0, 0 },
	{ "SMAP: supervisor read of a user page", WP_NX | PERM_ROLE_SMAP, false,
	  R | U | X, 0, 0, false, 0, P },
	{ "SMAP: explicit access with AC=1 is let through",
	  WP_NX | PERM_ROLE_SMAP, false, R | U | X, 0, 0, true, 0, 0 },
	{ "SMAP: implicit access with AC=1 still faults",
	  WP_NX | PERM_ROLE_SMAP, false, R | U | X, 0, PFERR_IMPLICIT_ACCESS,
	  true, 0, P },
	{ "SMAP: supervisor write with AC=1 is let through",
	  WP_NX | PERM_ROLE_SMAP, false, R | W | U | X, 0, PFERR_WRITE_MASK,
	  true, 0, 0 },
	{ "SMAP: fetches are SMEP's business", WP_NX | PERM_ROLE_SMAP, false,
	  R | U | X, 0, PFERR_FETCH_MASK, false, 0, 0 },
	{ "AC does not let a user access reach a supervisor page",
	  WP_NX | PERM_ROLE_SMAP, false, R | X, 0, PFERR_USER_MASK, true, 0,
	  P },
	{ "NPT: U=0 stops user accesses", WP_NX | PERM_ROLE_TDP, false,
	  R | W | X, 0, PFERR_USER_MASK, false, 0, P },
	{ "GMET: U=0 no longer stops user accesses",
	  WP_NX | PERM_ROLE_TDP | PERM_ROLE_SMEP, false, R | W | X, 0,
	  PFERR_USER_MASK | PFERR_WRITE_MASK, false, 0, 0 },
	{ "GMET: supervisor fetch from a user page",
	  WP_NX | PERM_ROLE_TDP | PERM_ROLE_SMEP, false, R | W | U | X, 0,
	  PFERR_FETCH_MASK, false, 0, P },
	{ "GMET: supervisor fetch from a supervisor page",
	  WP_NX | PERM_ROLE_TDP | PERM_ROLE_SMEP, false, R | W | X, 0,
	  PFERR_FETCH_MASK, false, 0, 0 },
	{ "EPT: read of an execute-only page", PERM_ROLE_EPT, false, X, 0, 0,
	  false, 0, P },
	{ "EPT: fetch from an execute-only page", PERM_ROLE_EPT, false, X, 0,
	  PFERR_FETCH_MASK, false, 0, 0 },
	{ "EPT: write to a read-only page", PERM_ROLE_EPT, false, R | X, 0,
	  PFERR_WRITE_MASK, false, 0, P },
	{ "EPT without MBEC: user fetch needs X only", PERM_ROLE_EPT, false,
	  R | X, 0, PFERR_USER_MASK | PFERR_FETCH_MASK, false, 0, 0 },
	{ "EPT with MBEC: user fetch needs XU", PERM_ROLE_EPT | PERM_ROLE_SMEP,
	  false, R | X, 0, PFERR_USER_MASK | PFERR_FETCH_MASK, false, 0, P },
	{ "EPT with MBEC: supervisor fetch needs X",
	  PERM_ROLE_EPT | PERM_ROLE_SMEP, false, R | XU, 0, PFERR_FETCH_MASK,
	  false, 0, P },
	{ "EPT with MBEC: user fetch from an XU page",
	  PERM_ROLE_EPT | PERM_ROLE_SMEP, false, R | XU, 0,
	  PFERR_USER_MASK | PFERR_FETCH_MASK, false, 0, 0 },
	{ "NPF stage bits do not change the check", WP_NX, false, R | X, 0,
	  PFERR_WRITE_MASK | PFERR_GUEST_FINAL_MASK, false, 0, P },
	{ "NPF stage bits on an allowed access", WP_NX, false, R | U | X, 0,
	  PFERR_USER_MASK | PFERR_GUEST_PAGE_MASK, false, 0, 0 },
	{ "PK: AD stops a user read", WP_NX, true, R | W | U | X, KEY,
	  PFERR_USER_MASK, false, PKRU_AD(KEY), PK },
	{ "PK: AD stops a supervisor read of a user page", WP_NX, true,
	  R | W | U | X, KEY, 0, false, PKRU_AD(KEY), PK },
	{ "PK: AD does not stop fetches", WP_NX, true, R | W | U | X, KEY,
	  PFERR_USER_MASK | PFERR_FETCH_MASK, false, PKRU_AD(KEY), 0 },
	{ "PK: keys do not apply to supervisor pages", WP_NX, true, R | W | X,
	  KEY, 0, false, PKRU_AD(KEY), 0 },
	{ "PK: WD lets reads through", WP_NX, true, R | W | U | X, KEY,
	  PFERR_USER_MASK, false, PKRU_WD(KEY), 0 },
	{ "PK: WD stops user writes", WP_NX, true, R | W | U | X, KEY,
	  PFERR_USER_MASK | PFERR_WRITE_MASK, false, PKRU_WD(KEY), PK },
	{ "PK: WD stops supervisor writes with WP=1", WP_NX, true,
	  R | W | U | X, KEY, PFERR_WRITE_MASK, false, PKRU_WD(KEY), PK },
	{ "PK: WD does not stop supervisor writes with WP=0", PERM_ROLE_NX,
	  true, R | W | U | X, KEY, PFERR_WRITE_MASK, false, PKRU_WD(KEY), 0 },
	{ "PK: only the leaf's key counts", WP_NX, true, R | W | U | X, KEY,
	  PFERR_USER_MASK | PFERR_WRITE_MASK, false,
	  ~(u32)(PKRU_AD(KEY) | PKRU_WD(KEY)), 0 },
	{ "PK: a key and R/W denying together report PK", WP_NX, true,
	  R | U | X, KEY, PFERR_USER_MASK | PFERR_WRITE_MASK, false,
	  PKRU_WD(KEY), PK },
	{ "PK: AC does not lift a key", WP_NX | PERM_ROLE_SMAP, true,
	  R | W | U | X, KEY, 0, true, PKRU_AD(KEY), PK },
	{ "PK: ignored without CR4.PKE", WP_NX, false, R | W | U | X, KEY,
	  PFERR_USER_MASK, false, ~0U, 0 },
};

#undef R
#undef W
#undef U
#undef X
#undef XU
#undef P
#undef PK
#undef WP_NX
#undef KEY

static void pf_case_role(struct cpu_role *role, const struct pf_case *c)
{
	perm_role_init(role, c->combo);
	role->cr4_pke = c->pke;
}

Test(permission_fault, named_cases)
{
	struct kvm_page_format fmt;
	struct cpu_role role;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pf_cases); i++) {
		const struct pf_case *c = &pf_cases[i];
		u16 got;

		pf_case_role(&role, c);
		cr_assert_eq(kvm_page_format_init(&fmt, &role), 0, "%s",
			     c->name);
		got = permission_fault(&fmt, c->acc, c->pkey, c->access,
				       c->rflags_ac, c->pkru);
		cr_assert_eq(got, c->expected, "%s: expected %#x, got %#x",
			     c->name, c->expected, got);
	}
}

/* The named cases must also hold for the reference, or one of them lies. */
Test(permission_fault, named_cases_agree_with_reference)
{
	struct cpu_role role;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pf_cases); i++) {
		const struct pf_case *c = &pf_cases[i];
		u16 expected;

		pf_case_role(&role, c);
		expected = ref_permission_fault(&role, c->acc, c->pkey,
						c->access, c->rflags_ac,
						c->pkru);
		cr_assert_eq(expected, c->expected,
			     "%s: reference says %#x, case says %#x", c->name,
			     expected, c->expected);
	}
}

/*
 * Two backgrounds for the keys that are not the leaf's: all clear and all
 * set, so that reading another key's bits shows up either way.
 */
static const u32 pkru_backgrounds[] = { 0, ~0U };

/* The W/U/F combinations of real accesses: never a write and a fetch. */
static const u64 access_kinds[] = {
	0,
	PFERR_WRITE_MASK,
	PFERR_USER_MASK,
	PFERR_USER_MASK | PFERR_WRITE_MASK,
	PFERR_FETCH_MASK,
	PFERR_USER_MASK | PFERR_FETCH_MASK,
};

struct pf_sweep {
	const struct cpu_role *role;
	const struct kvm_page_format *fmt;
	unsigned int mismatches;
};

static void check_one_access(struct pf_sweep *s, unsigned int acc,
			     unsigned int pkey, u64 access, bool ac, u32 pkru)
{
	u16 expected =
		ref_permission_fault(s->role, acc, pkey, access, ac, pkru);
	u16 got = permission_fault(s->fmt, acc, pkey, access, ac, pkru);
	char desc[ROLE_DESC_LEN];

	if (expected == got)
		return;
	if (s->mismatches++ < MISMATCHES_LOGGED)
		cr_log_error(
			"role {%s} access %#llx ac %d acc %#x pkey %u pkru %#010x: expected %#x, got %#x",
			role_describe(s->role, desc),
			(unsigned long long)access, ac, acc, pkey, pkru,
			expected, got);
}

static void sweep_accesses(struct pf_sweep *s, unsigned int pkey, u32 pkru)
{
	unsigned int acc, kind;
	int implicit, ac;

	for (kind = 0; kind < ARRAY_SIZE(access_kinds); kind++) {
		for (implicit = 0; implicit <= 1; implicit++) {
			u64 access = access_kinds[kind] |
				     (implicit ? PFERR_IMPLICIT_ACCESS : 0);

			for (ac = 0; ac <= 1; ac++)
				for (acc = 0; acc < ACC_COMBINATIONS; acc++)
					check_one_access(s, acc, pkey, access,
							 ac, pkru);
		}
	}
}

/* Every AD/WD state of @pkey over each background of the other keys. */
static void sweep_key(struct pf_sweep *s, unsigned int pkey)
{
	u32 key_bits = PKRU_AD(pkey) | PKRU_WD(pkey);
	unsigned int state, bg;

	for (state = 0; state < PKRU_KEY_STATES; state++) {
		for (bg = 0; bg < ARRAY_SIZE(pkru_backgrounds); bg++) {
			u32 pkru = (pkru_backgrounds[bg] & ~key_bits) |
				   (state << (PKRU_BITS_PER_KEY * pkey));

			sweep_accesses(s, pkey, pkru);
		}
	}
}

Test(permission_fault, matches_reference_for_every_key_and_access)
{
	struct kvm_page_format fmt;
	struct pf_sweep s = {
		.fmt = &fmt,
	};
	unsigned int combo, pkey;
	struct cpu_role role;
	int pke;

	s.role = &role;
	for (combo = 0; combo < PERM_ROLE_COMBINATIONS; combo++) {
		for (pke = 0; pke <= 1; pke++) {
			perm_role_init(&role, combo);
			role.cr4_pke = pke;
			cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
			/*
			 * Without keys PKRU must not matter: the lowest and
			 * highest key are enough to show that.
			 */
			for (pkey = 0; pkey < PKEY_COUNT; pkey++)
				if (pke || pkey == 0 || pkey == PKEY_COUNT - 1)
					sweep_key(&s, pkey);
		}
	}
	cr_assert_eq(s.mismatches, 0, "permission_fault: %u mismatches",
		     s.mismatches);
}
