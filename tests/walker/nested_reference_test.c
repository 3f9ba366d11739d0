/* Sampled and exhaustive 2D cases (EPT and NPT) against the reference. */
#include <criterion/criterion.h>

#include "nest_case.h"

static void run_nest_sampled(enum ref_nested_kind kind, int nlevels,
			     unsigned int nr, u64 seed)
{
	struct env_rng rng = { .state = seed };
	unsigned long pruned = 0;
	struct walk_env e;
	unsigned int done;

	env_init(&e);
	for (done = 0; done < nr;) {
		const char *reason;
		struct nest_case c;

		nest_random(&rng, kind, nlevels, &c);
		if (!nest_legal(&c, &reason)) {
			pruned++;
			continue;
		}
		run_nest_case(&e, &c);
		done++;
	}
	nest_finish(&e, pruned);
}

#define NR_NEST_SAMPLES 8000

Test(ngpa_walk, sampled_ept_4level_matches_reference)
{
	run_nest_sampled(REF_NESTED_EPT, 4, NR_NEST_SAMPLES, 0xe4);
}

Test(ngpa_walk, sampled_ept_5level_matches_reference)
{
	run_nest_sampled(REF_NESTED_EPT, 5, NR_NEST_SAMPLES, 0xe5);
}

Test(ngpa_walk, sampled_npt_2level_matches_reference)
{
	run_nest_sampled(REF_NESTED_NPT, 2, NR_NEST_SAMPLES, 0xa2);
}

Test(ngpa_walk, sampled_npt_pae_matches_reference)
{
	run_nest_sampled(REF_NESTED_NPT, 3, NR_NEST_SAMPLES, 0xa3);
}

Test(ngpa_walk, sampled_npt_4level_matches_reference)
{
	run_nest_sampled(REF_NESTED_NPT, 4, NR_NEST_SAMPLES, 0xa4);
}

Test(ngpa_walk, sampled_npt_5level_matches_reference)
{
	run_nest_sampled(REF_NESTED_NPT, 5, NR_NEST_SAMPLES, 0xa5);
}

/*
 * Every combination of @vary nested flags and @gvary guest flags, on the
 * final page and on one guest table.
 */
static void run_nest_exhaustive(enum ref_nested_kind kind, u32 base, u32 vary,
				u32 gbase, u32 gvary)
{
	static const int targets[] = { 4, 2 };
	unsigned long pruned = 0;
	struct walk_env e;
	unsigned int t;

	env_init(&e);
	for (t = 0; t < ARRAY_SIZE(targets); t++) {
		u32 sub = 0;

		do {
			u32 gsub = 0;

			do {
				const char *reason;
				struct nest_case c;

				nest_fixed(&c, kind, 4, 4);
				c.target = targets[t];
				c.nflags = base | sub;
				c.guest.flags = gbase | gsub;
				c.check_ngpa_walk = true;
				c.ngpa_pfec = c.guest.flags & AC(ACCESS_FETCH) ?
						      PFERR_FETCH_MASK :
						      PFERR_WRITE_MASK;
				nest_assign_gpas(&c);
				if (nest_legal(&c, &reason))
					run_nest_case(&e, &c);
				else
					pruned++;
				gsub = (gsub - gvary) & gvary;
			} while (gsub);
			sub = (sub - vary) & vary;
		} while (sub);
	}
	nest_finish(&e, pruned);
}

#define GUEST_OK                                                     \
	(AC(LEAF_PRESENT) | AC(LEAF_WRITABLE) | AC(PARENT_PRESENT) | \
	 AC(PARENT_WRITABLE) | AC(PARENT_USER) | AC(CPU_EFER_NX))
#define GUEST_ACCESS_FLAGS                                       \
	(AC(ACCESS_USER) | AC(ACCESS_WRITE) | AC(ACCESS_FETCH) | \
	 AC(LEAF_USER) | AC(LEAF_DIRTY))

Test(ngpa_walk, ept_permissions_exhaustive)
{
	run_nest_exhaustive(REF_NESTED_EPT,
			    NF(PARENT_R) | NF(PARENT_W) | NF(PARENT_X) |
				    NF(PARENT_XU),
			    NF(LEAF_R) | NF(LEAF_W) | NF(LEAF_X) | NF(LEAF_XU) |
				    NF(LEAF_D) | NF(CFG_AD) | NF(CFG_MBEC) |
				    NF(CFG_EXECONLY),
			    GUEST_OK, GUEST_ACCESS_FLAGS);
}

Test(ngpa_walk, ept_parent_permissions_exhaustive)
{
	run_nest_exhaustive(
		REF_NESTED_EPT,
		NF(LEAF_R) | NF(LEAF_W) | NF(LEAF_X) | NF(LEAF_XU) | NF(CFG_AD),
		NF(PARENT_R) | NF(PARENT_W) | NF(PARENT_X) | NF(PARENT_XU) |
			NF(PARENT_A) | NF(CFG_MBEC) | NF(CFG_EXECONLY),
		GUEST_OK | AC(LEAF_USER),
		AC(ACCESS_USER) | AC(ACCESS_WRITE) | AC(ACCESS_FETCH));
}

Test(ngpa_walk, npt_permissions_exhaustive)
{
	run_nest_exhaustive(REF_NESTED_NPT,
			    NF(PARENT_R) | NF(PARENT_W) | NF(PARENT_X) |
				    NF(PARENT_XU),
			    NF(LEAF_R) | NF(LEAF_W) | NF(LEAF_X) | NF(LEAF_XU) |
				    NF(LEAF_A) | NF(LEAF_D) | NF(CFG_MBEC) |
				    NF(CFG_HOST_NX),
			    GUEST_OK, GUEST_ACCESS_FLAGS);
}
