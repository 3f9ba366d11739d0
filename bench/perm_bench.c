/*
 * perm: what does building permissions[] cost with KVM's loop, with the
 * pre-MBEC u8 loop and with mmusim's table, and what does a
 * permission_fault() lookup cost?
 */
#include <string.h>

#include "bench/harness.h"
#include "walker/page_format.h"

/* The six role bits permissions[] depends on (walker/permission_table.c). */
#define PERM_KEY_EPT BIT(0)
#define PERM_KEY_TDP BIT(1)
#define PERM_KEY_SMEP BIT(2)
#define PERM_KEY_SMAP BIT(3)
#define PERM_KEY_WP BIT(4)
#define PERM_KEY_NX BIT(5)
#define PERM_NR_KEYS 64
/* Roles in a shuffled order, so that no branch pattern repeats soon. */
#define PERM_SEQ_LEN 1024
#define PERM_SAMPLES 1024
#define PERM_SEED 0x7065726dULL
#define PERM_MAXPHYADDR 46

struct perm_state {
	struct cpu_role roles[PERM_NR_KEYS];
	const struct cpu_role *seq[PERM_SEQ_LEN];
	struct kvm_page_format fmt;
	struct legacy_permissions legacy;
};

static void perm_role(struct cpu_role *role, unsigned int key, bool pke)
{
	memset(role, 0, sizeof(*role));
	role->level = PT64_ROOT_4LEVEL;
	role->maxphyaddr = PERM_MAXPHYADDR;
	role->ept = key & PERM_KEY_EPT;
	role->tdp = key & PERM_KEY_TDP;
	role->cr4_smep = key & PERM_KEY_SMEP;
	role->cr4_smap = key & PERM_KEY_SMAP;
	role->cr0_wp = key & PERM_KEY_WP;
	role->efer_nx = key & PERM_KEY_NX;
	role->cr4_pke = pke && !role->ept;
	if (role->ept)
		role->ept_huge_page_level = PG_LEVEL_1G;
}

static void *perm_update_setup(const void *arg)
{
	struct perm_state *s = calloc(1, sizeof(*s));
	struct kvm_page_format slow;
	u64 rng = PERM_SEED;
	unsigned int i;

	(void)arg;
	if (!s)
		return NULL;
	for (i = 0; i < PERM_NR_KEYS; i++) {
		perm_role(&s->roles[i], i, false);
		if (cpu_role_validate(&s->roles[i]))
			goto fail;
		/* The candidates must agree before they are compared. */
		update_permission_bitmask(&slow, &s->roles[i]);
		update_permission_bitmask_fast(&s->fmt, &s->roles[i]);
		if (memcmp(slow.permissions, s->fmt.permissions,
			   sizeof(slow.permissions))) {
			fprintf(stderr, "perm: role key %#x: fast != KVM's\n",
				i);
			goto fail;
		}
	}
	/* Every key PERM_SEQ_LEN / 64 times, Fisher-Yates shuffled. */
	for (i = 0; i < PERM_SEQ_LEN; i++)
		s->seq[i] = &s->roles[i % PERM_NR_KEYS];
	for (i = PERM_SEQ_LEN - 1; i > 0; i--) {
		unsigned int j = bench_rand64(&rng) % (i + 1);
		const struct cpu_role *t = s->seq[i];

		s->seq[i] = s->seq[j];
		s->seq[j] = t;
	}
	return s;
fail:
	free(s);
	return NULL;
}

static u64 run_kvm_u16(void *state, u64 n)
{
	struct perm_state *s = state;
	u64 i, sum = 0;

	for (i = 0; i < n; i++) {
		update_permission_bitmask(&s->fmt, s->seq[i % PERM_SEQ_LEN]);
		sum += s->fmt.permissions[i % PERM_INDEX_COUNT];
	}
	return sum;
}

static u64 run_kvm_u8(void *state, u64 n)
{
	struct perm_state *s = state;
	u64 i, sum = 0;

	for (i = 0; i < n; i++) {
		update_legacy_permission_bitmask(&s->legacy,
						 s->seq[i % PERM_SEQ_LEN]);
		sum += s->legacy.permissions[i % PERM_INDEX_COUNT];
	}
	return sum;
}

static u64 run_fast(void *state, u64 n)
{
	struct perm_state *s = state;
	u64 i, sum = 0;

	for (i = 0; i < n; i++) {
		update_permission_bitmask_fast(&s->fmt,
					       s->seq[i % PERM_SEQ_LEN]);
		sum += s->fmt.permissions[i % PERM_INDEX_COUNT];
	}
	return sum;
}

/* One permission_fault() call: a leaf's rights and key, an access. */
struct perm_sample {
	u64 access;
	u32 pkru;
	u8 fmt;
	u8 pte_access;
	u8 pte_pkey;
	bool rflags_ac;
};

struct fault_state {
	struct kvm_page_format fmts[PERM_NR_KEYS];
	unsigned int nr_fmts;
	struct perm_sample samples[PERM_SAMPLES];
};

/* The PFEC W/U/F combinations a CPU produces (never W and F together). */
static const u64 perm_accesses[] = {
	0,
	PFERR_WRITE_MASK,
	PFERR_FETCH_MASK,
	PFERR_USER_MASK,
	PFERR_USER_MASK | PFERR_WRITE_MASK,
	PFERR_USER_MASK | PFERR_FETCH_MASK,
};

/*
 * @arg is non-NULL for the PKRU case: 4-level roles with CR4.PKE, so that
 * pkru_mask is set, and a non-zero PKRU.  Otherwise every role key.
 */
static void *fault_setup(const void *arg)
{
	struct fault_state *s = calloc(1, sizeof(*s));
	bool pke = arg != NULL;
	u64 rng = PERM_SEED + pke;
	unsigned int i;

	if (!s)
		return NULL;
	for (i = 0; i < PERM_NR_KEYS; i++) {
		struct cpu_role role;

		perm_role(&role, i, pke);
		if (pke && (role.ept || role.tdp))
			continue;
		if (kvm_page_format_init(&s->fmts[s->nr_fmts++], &role)) {
			free(s);
			return NULL;
		}
	}
	for (i = 0; i < PERM_SAMPLES; i++) {
		struct perm_sample *e = &s->samples[i];
		u64 r = bench_rand64(&rng);

		e->fmt = r % s->nr_fmts;
		e->pte_access = (r >> 8) & ACC_ALL;
		e->pte_pkey = (r >> 12) & 15;
		e->rflags_ac = (r >> 16) & 1;
		e->access = perm_accesses[((r >> 17) & 0xff) %
					  ARRAY_SIZE(perm_accesses)];
		if (!((r >> 25) & 7))
			e->access |= PFERR_IMPLICIT_ACCESS;
		e->pkru = pke ? (u32)(r >> 32) : 0;
	}
	return s;
}

static u64 run_fault(void *state, u64 n)
{
	struct fault_state *s = state;
	u64 i, sum = 0;

	for (i = 0; i < n; i++) {
		const struct perm_sample *e = &s->samples[i % PERM_SAMPLES];

		sum += permission_fault(&s->fmts[e->fmt], e->pte_access,
					e->pte_pkey, e->access, e->rflags_ac,
					e->pkru);
	}
	return sum;
}

static void perm_teardown(void *state)
{
	free(state);
}

static const struct bench_candidate perm_candidates[] = {
	{
		.name = "kvm-u16",
		.unit = "update",
		.setup = perm_update_setup,
		.run = run_kvm_u16,
		.teardown = perm_teardown,
	},
	{
		.name = "kvm-u8-pre-mbec",
		.unit = "update",
		.reference = "kvm-u16",
		.setup = perm_update_setup,
		.run = run_kvm_u8,
		.teardown = perm_teardown,
	},
	{
		.name = "fast",
		.unit = "update",
		.reference = "kvm-u16",
		.setup = perm_update_setup,
		.run = run_fast,
		.teardown = perm_teardown,
	},
	{
		.name = "fault",
		.unit = "lookup",
		.setup = fault_setup,
		.run = run_fault,
		.teardown = perm_teardown,
	},
	{
		.name = "fault-pkru",
		.unit = "lookup",
		.reference = "fault",
		.arg = "pkru",
		.setup = fault_setup,
		.run = run_fault,
		.teardown = perm_teardown,
	},
};

const struct bench_suite perm_suite = {
	.name = "perm",
	.question = "permissions[] updates over the 64 role keys; "
		    "permission_fault() lookups",
	.candidates = perm_candidates,
	.nr_candidates = ARRAY_SIZE(perm_candidates),
};
