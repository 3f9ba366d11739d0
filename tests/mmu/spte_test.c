/* SPTE encodings: MMIO round-trips, writable states, access tracking. */
#include <criterion/criterion.h>

#include "mmu/spte.h"
#include "mmu/spte_format.h"

#define HOST_MAXPHYADDR 46

struct spte_env {
	struct spte_masks masks;
	struct kvm_page_format fmt;
};

static void env_init(struct spte_env *e, bool ept, bool ad_enabled)
{
	struct spte_host host = {
		.ept = ept,
		.maxphyaddr = HOST_MAXPHYADDR,
		.gbpages = true,
		.max_huge_page_level = PG_LEVEL_1G,
	};
	struct cpu_role role;

	spte_masks_init(&e->masks, ept, ad_enabled, HOST_MAXPHYADDR);
	cr_assert_eq(tdp_mmu_spte_role(&role, &host, PT64_ROOT_4LEVEL), 0);
	cr_assert_eq(kvm_page_format_init(&e->fmt, &role), 0);
}

Test(spte, mmio_spte_round_trips_gfn_access_and_generation)
{
	static const u64 gfns[] = { 0, 1, 0x12345, (1ULL << 33) - 1 };
	static const u64 gens[] = { 0,	  1,	   0x7f,
				    0x80, 0x2aaaa, MMIO_SPTE_GEN_MASK };
	int ept;

	for (ept = 0; ept <= 1; ept++) {
		struct spte_env e;
		size_t i, j;

		env_init(&e, ept, true);
		for (i = 0; i < ARRAY_SIZE(gfns); i++) {
			for (j = 0; j < ARRAY_SIZE(gens); j++) {
				u64 spte = make_mmio_spte(&e.masks, gfns[i],
							  ACC_WRITE_MASK |
								  ACC_USER_MASK,
							  gens[j]);

				cr_assert(is_mmio_spte(&e.masks, spte));
				cr_assert(!is_shadow_present_pte(spte));
				cr_assert_eq(get_mmio_spte_gfn(&e.masks, spte),
					     gfns[i]);
				cr_assert_eq(get_mmio_spte_generation(spte),
					     gens[j]);
				cr_assert_eq(
					get_mmio_spte_access(&e.masks, spte),
					ept ? 0 :
					      ACC_WRITE_MASK | ACC_USER_MASK);
			}
		}
	}
}

Test(spte, mmio_spte_faults_as_reserved_or_misconfigured)
{
	struct spte_env e;
	u64 spte;

	/* x86: reserved bit 51 with P, so the CPU reports RSVD. */
	env_init(&e, false, true);
	spte = make_mmio_spte(&e.masks, 0x1000, 0, 0);
	cr_assert(spte & BIT_ULL(51));
	cr_assert(__is_rsvd_bits_set(&e.fmt, spte, PG_LEVEL_4K));

	/* EPT: W+X without R is a misconfiguration at every level. */
	env_init(&e, true, true);
	spte = make_mmio_spte(&e.masks, 0x1000, 0, 0);
	cr_assert_eq(spte & EPT_RWX_MASK,
		     EPT_WRITABLE_MASK | EPT_EXECUTABLE_MASK);
	cr_assert(__is_bad_mt_xwr(&e.fmt, spte));
}

Test(spte, make_spte_keeps_the_writable_states)
{
	static const struct {
		bool host_writable, allow_writable;
		bool w, mmu_w, host_w, wrprot;
	} cases[] = {
		/* (host-writable, MMU-writable, W) */
		{ true, true, true, true, true, false },
		{ true, false, false, false, true, true },
		{ false, true, false, false, false, false },
	};
	int ept;

	for (ept = 0; ept <= 1; ept++) {
		struct spte_env e;
		size_t i;

		env_init(&e, ept, true);
		for (i = 0; i < ARRAY_SIZE(cases); i++) {
			struct spte_request req = {
				.pfn = 0x100200,
				.level = PG_LEVEL_4K,
				.access = ACC_ALL,
				.host_writable = cases[i].host_writable,
				.allow_writable = cases[i].allow_writable,
			};
			bool wrprot;
			u64 spte = make_spte(&e.masks, &e.fmt, &req, &wrprot);

			cr_assert_eq(is_writable_pte(spte), cases[i].w,
				     "case %zu", i);
			cr_assert_eq(is_mmu_writable_spte(&e.masks, spte),
				     cases[i].mmu_w, "case %zu", i);
			cr_assert_eq(!!(spte & e.masks.host_writable_mask),
				     cases[i].host_w, "case %zu", i);
			cr_assert_eq(wrprot, cases[i].wrprot, "case %zu", i);
			cr_assert(
				spte_writable_invariants_hold(&e.masks, spte));
			cr_assert(is_shadow_present_pte(spte));
			cr_assert_eq(spte_to_pfn(spte), req.pfn);
			/* A writable SPTE is made dirty up front. */
			if (cases[i].w)
				cr_assert_eq(spte & e.masks.dirty_mask,
					     e.masks.dirty_mask);
		}
	}
}

Test(spte, spte_access_reads_back_the_rights_given)
{
	int ept;

	for (ept = 0; ept <= 1; ept++) {
		struct spte_env e;
		unsigned int access;

		env_init(&e, ept, true);
		for (access = ACC_READ_MASK; access <= ACC_ALL; access++) {
			struct spte_request req = {
				.pfn = 0x100300,
				.level = PG_LEVEL_4K,
				.access = access | ACC_READ_MASK,
				.host_writable = true,
				.allow_writable = true,
			};
			bool wrprot;
			u64 spte = make_spte(&e.masks, &e.fmt, &req, &wrprot);

			cr_assert_eq(spte_access(&e.masks, spte),
				     access | ACC_READ_MASK, "access %#x",
				     access);
		}
	}
}

Test(spte, access_tracking_saves_and_restores_rx_and_drops_w)
{
	struct spte_request req = {
		.pfn = 0x100400,
		.level = PG_LEVEL_2M,
		.access = ACC_ALL,
		.host_writable = true,
		.allow_writable = true,
		.ad_disabled = true,
	};
	struct spte_env e;
	u64 spte, tracked;
	bool wrprot;

	env_init(&e, true, false);
	spte = make_spte(&e.masks, &e.fmt, &req, &wrprot);
	cr_assert(!spte_ad_enabled(spte));
	tracked = mark_spte_for_access_track(&e.masks, spte);
	cr_assert(is_access_track_spte(&e.masks, tracked));
	cr_assert_eq(tracked & EPT_RWX_MASK, 0);
	cr_assert_eq(mark_spte_for_access_track(&e.masks, tracked), tracked);
	/*
	 * R, X and XU come back; W does not (it is not saved): the fast
	 * path sets it again from MMU-writable on the next write.
	 */
	cr_assert_eq(restore_acc_track_spte(&e.masks, tracked),
		     spte & ~EPT_WRITABLE_MASK);
	cr_assert(is_mmu_writable_spte(&e.masks, tracked));

	/* With A/D, aging clears only A. */
	env_init(&e, true, true);
	req.ad_disabled = false;
	spte = make_spte(&e.masks, &e.fmt, &req, &wrprot);
	cr_assert_eq(mark_spte_for_access_track(&e.masks, spte),
		     spte & ~EPT_ACCESSED_MASK);
}

Test(spte, huge_spte_splits_into_pieces_and_back)
{
	struct spte_request req = {
		.pfn = 0x100200,
		.level = PG_LEVEL_2M,
		.access = ACC_ALL,
		.host_writable = true,
		.allow_writable = true,
	};
	struct spte_env e;
	unsigned int i;
	bool wrprot;
	u64 huge;

	env_init(&e, false, true);
	huge = make_spte(&e.masks, &e.fmt, &req, &wrprot);
	for (i = 0; i < 512; i++) {
		u64 small = make_small_spte(huge, PG_LEVEL_2M, i);

		cr_assert(!is_large_pte(small));
		cr_assert_eq(spte_to_pfn(small), req.pfn + i);
		cr_assert(!is_rsvd_spte(&e.fmt, small, PG_LEVEL_4K));
		cr_assert_eq(make_huge_spte(small, PG_LEVEL_2M), huge);
	}
}
