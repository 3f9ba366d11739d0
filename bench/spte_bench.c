/*
 * spte: what does is_rsvd_spte() cost on the SPTEs tdp_mmu and shadow_mmu
 * write, against a naive bit-by-bit checker?
 */
#include <string.h>

#include "bench/harness.h"
#include "mmu/spte_format.h"

/* A power of two: run() indexes with a mask. */
#define SPTE_SAMPLES 4096
#define SPTE_SEED 0x73707465ULL
#define SPTE_ROOT_LEVEL PT64_ROOT_4LEVEL
#define SPTE_MAX_TRIES 1000

enum spte_kind {
	SPTE_TDP_EPT,
	SPTE_TDP_NPT,
	SPTE_SHADOW,
};

struct spte_sample {
	u64 spte;
	int level;
};

struct spte_state {
	struct kvm_page_format fmt;
	struct spte_sample samples[SPTE_SAMPLES];
	unsigned int nr_rsvd;
};

/*
 * The reference: every bit on its own against the reserved mask of the
 * entry's row, then the memory type / XWR table, as the SDM's tables read.
 */
static bool naive_is_rsvd_spte(const struct kvm_page_format *fmt, u64 spte,
			       int level)
{
	u64 mask =
		fmt->rsvd_bits_mask[(spte >> PT_PAGE_SIZE_SHIFT) & 1][level - 1];
	u64 mt_xwr = spte & EPT_MT_XWR_MASK;
	int bit;

	if (spte & EPT_USER_EXECUTABLE_MASK)
		mt_xwr |= EPT_EXECUTABLE_MASK;
	if ((fmt->bad_mt_xwr >> mt_xwr) & 1)
		return true;
	for (bit = 0; bit < 64; bit++) {
		/* Keep the loop a loop: no folding into one AND. */
		bench_barrier(bit);
		if (((spte >> bit) & 1) && ((mask >> bit) & 1))
			return true;
	}
	return false;
}

static int spte_role(enum spte_kind kind, struct cpu_role *role)
{
	struct spte_host host = {
		.maxphyaddr = 46,
		.gbpages = true,
		.max_huge_page_level = PG_LEVEL_1G,
	};

	switch (kind) {
	case SPTE_TDP_EPT:
		host.ept = true;
		return tdp_mmu_spte_role(role, &host, SPTE_ROOT_LEVEL);
	case SPTE_TDP_NPT:
		host.maxphyaddr = 48;
		return tdp_mmu_spte_role(role, &host, SPTE_ROOT_LEVEL);
	case SPTE_SHADOW:
		return shadow_mmu_spte_role(role, &host, SPTE_ROOT_LEVEL, false,
					    false);
	}
	return -1;
}

/* A random SPTE with no reserved bit at @level, or 0 after many misses. */
static u64 valid_spte(const struct kvm_page_format *fmt, int level, u64 *rng)
{
	int tries;

	for (tries = 0; tries < SPTE_MAX_TRIES; tries++) {
		u64 r = bench_rand64(rng);
		/* Large leaves at 2M and 1G half of the time. */
		u64 ps = (level == 2 || level == 3) ? (r & 1) : 0;
		u64 spte = bench_rand64(rng) & ~PT_PAGE_SIZE_MASK;

		if (level == PG_LEVEL_4K)
			ps = r & 1; /* PAT in a PTE */
		spte |= ps << PT_PAGE_SIZE_SHIFT;
		spte &= ~fmt->rsvd_bits_mask[ps][level - 1];
		if (fmt->bad_mt_xwr) {
			/* EPT: a random memory type and XWR, XU off. */
			spte &= ~(EPT_MT_XWR_MASK | EPT_USER_EXECUTABLE_MASK);
			spte |= (r >> 8) & EPT_MT_XWR_MASK &
				~fmt->rsvd_bits_mask[ps][level - 1];
		}
		if (!naive_is_rsvd_spte(fmt, spte, level))
			return spte;
	}
	return 0;
}

/* @spte with one reserved bit set, or a bad memory type / XWR. */
static u64 invalid_spte(const struct kvm_page_format *fmt, u64 spte, int level,
			u64 *rng)
{
	u64 mask =
		fmt->rsvd_bits_mask[(spte >> PT_PAGE_SIZE_SHIFT) & 1][level - 1];
	u64 r = bench_rand64(rng);

	if (fmt->bad_mt_xwr && (!mask || (r & 1))) {
		/* XWR = 010 (write-only): a misconfiguration in every type. */
		return (spte & ~EPT_RWX_MASK & ~EPT_USER_EXECUTABLE_MASK) |
		       EPT_WRITABLE_MASK;
	}
	if (!mask)
		return spte;
	/* The (r >> 8) % popcount-th reserved bit. */
	for (r = (r >> 8) % __builtin_popcountll(mask); r; r--)
		mask &= mask - 1;
	return spte | (mask & -mask);
}

static void *spte_setup(const void *arg)
{
	enum spte_kind kind = (enum spte_kind)(uintptr_t)arg;
	struct spte_state *s = calloc(1, sizeof(*s));
	u64 rng = SPTE_SEED + kind;
	struct cpu_role role;
	unsigned int i;

	if (!s)
		return NULL;
	if (spte_role(kind, &role) || kvm_page_format_init(&s->fmt, &role))
		goto fail;
	for (i = 0; i < SPTE_SAMPLES; i++) {
		struct spte_sample *e = &s->samples[i];
		u64 r = bench_rand64(&rng);

		e->level = 1 + r % SPTE_ROOT_LEVEL;
		e->spte = valid_spte(&s->fmt, e->level, &rng);
		if (!e->spte)
			goto fail;
		/* Half valid, half invalid, in a random order. */
		if ((r >> 8) & 1)
			e->spte =
				invalid_spte(&s->fmt, e->spte, e->level, &rng);
		if (is_rsvd_spte(&s->fmt, e->spte, e->level) !=
		    naive_is_rsvd_spte(&s->fmt, e->spte, e->level)) {
			fprintf(stderr,
				"spte: %#llx at level %d: is_rsvd_spte() and "
				"the naive check disagree\n",
				(unsigned long long)e->spte, e->level);
			goto fail;
		}
		s->nr_rsvd += naive_is_rsvd_spte(&s->fmt, e->spte, e->level);
	}
	return s;
fail:
	free(s);
	return NULL;
}

static u64 run_is_rsvd_spte(void *state, u64 n)
{
	struct spte_state *s = state;
	u64 i, nr = 0;

	for (i = 0; i < n; i++) {
		const struct spte_sample *e = &s->samples[i % SPTE_SAMPLES];

		nr += is_rsvd_spte(&s->fmt, e->spte, e->level);
		bench_barrier(nr);
	}
	return nr;
}

static u64 run_naive(void *state, u64 n)
{
	struct spte_state *s = state;
	u64 i, nr = 0;

	for (i = 0; i < n; i++) {
		const struct spte_sample *e = &s->samples[i % SPTE_SAMPLES];

		nr += naive_is_rsvd_spte(&s->fmt, e->spte, e->level);
		bench_barrier(nr);
	}
	return nr;
}

/* Share of the samples with a reserved bit, in percent. */
static double spte_rsvd_share(const void *state)
{
	const struct spte_state *s = state;

	return 100.0 * s->nr_rsvd / SPTE_SAMPLES;
}

static void spte_teardown(void *state)
{
	free(state);
}

#define SPTE_CANDIDATES(n, k)                                             \
	{                                                                 \
		.name = n "-naive",                                       \
		.unit = "check",                                          \
		.arg = (const void *)(uintptr_t)(k),                      \
		.setup = spte_setup,                                      \
		.run = run_naive,                                         \
		.extra = spte_rsvd_share,                                 \
		.teardown = spte_teardown,                                \
	},                                                                \
	{                                                                 \
		.name = n, .unit = "check", .reference = n "-naive",      \
		.arg = (const void *)(uintptr_t)(k), .setup = spte_setup, \
		.run = run_is_rsvd_spte, .extra = spte_rsvd_share,        \
		.teardown = spte_teardown,                                \
	}

static const struct bench_candidate spte_candidates[] = {
	SPTE_CANDIDATES("tdp-ept", SPTE_TDP_EPT),
	SPTE_CANDIDATES("tdp-npt", SPTE_TDP_NPT),
	SPTE_CANDIDATES("shadow", SPTE_SHADOW),
};

const struct bench_suite spte_suite = {
	.name = "spte",
	.question = "is_rsvd_spte() on tdp_mmu EPT/NPT and shadow_mmu SPTEs "
		    "vs bit by bit",
	.extra_name = "%rsvd",
	.candidates = spte_candidates,
	.nr_candidates = ARRAY_SIZE(spte_candidates),
};
