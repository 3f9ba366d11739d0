/* gva_walk against the reference: access.c-style flag combinations. */
#include <criterion/criterion.h>
#include <string.h>

#include "access_flags.h"

/*
 * Every case is built in a fresh state of the env's memories, walked by
 * gva_walk_translate() and by ref_gva_translate(), and compared field by
 * field, entries after the walk included (walk_env.c).  The full product
 * of the flags (2^31 per geometry) is far too big: each geometry gets a
 * deterministic random sample, plus exhaustive runs over the flags that
 * decide permissions, A/D updates and protection keys.
 */

static void describe_case(const void *ctx, char *buf, size_t len)
{
	const struct ac_case *c = ctx;
	int n = snprintf(buf, len, "gva %#llx ", (unsigned long long)c->g.gva);

	if (n > 0 && (size_t)n < len)
		ac_describe(c, buf + n, len - n);
}

static void run_case(struct walk_env *e, const struct ac_case *c)
{
	struct ref_mmu cfg = { 0 };
	struct walk_access acc;
	struct kvm_pagewalk gw;
	char msg[64];
	int r;

	env_reset(e);
	ac_build(e, c, &cfg, &acc);
	r = env_setup_walkers(e, &cfg, &gw, NULL);
	if (r) {
		snprintf(msg, sizeof(msg), "setup failed: %d", r);
		env_fail(e, msg, describe_case, c);
		return;
	}
	env_check(e, &gw, false, &cfg, c->g.gva, &acc, describe_case, c);
}

static void finish(struct walk_env *e, unsigned long pruned)
{
	unsigned long checks = e->checks, failures = e->failures;
	char outcomes[512];

	env_outcomes_str(e, outcomes, sizeof(outcomes));
	env_destroy(e);
	cr_log_info("%lu cases (%lu pruned), %lu disagreements; expected: %s",
		    checks, pruned, failures, outcomes);
	cr_assert_eq(failures, 0,
		     "%lu of %lu cases disagree with the reference", failures,
		     checks);
}

static void run_sampled(int levels, int leaf_level, unsigned int nr, u64 seed)
{
	struct env_rng rng = { .state = seed };
	unsigned long pruned = 0;
	struct walk_env e;
	unsigned int done;

	env_init(&e);
	for (done = 0; done < nr;) {
		const char *reason;
		struct ac_case c;

		ac_random_geom(&rng, levels, leaf_level, true, &c.g);
		c.flags = ac_random_flags(&rng, &c.g);
		if (!ac_legal(&c, &reason)) {
			pruned++;
			continue;
		}
		run_case(&e, &c);
		done++;
	}
	finish(&e, pruned);
}

/*
 * Every combination of the flags in @vary (on top of @base) for one fixed
 * geometry per seed, @nr_geoms geometries.
 */
static void run_exhaustive(int levels, int leaf_level, u32 base, u32 vary,
			   unsigned int nr_geoms, u64 seed)
{
	struct env_rng rng = { .state = seed };
	unsigned long pruned = 0;
	struct walk_env e;
	unsigned int i;

	env_init(&e);
	for (i = 0; i < nr_geoms; i++) {
		struct ac_case c;
		u32 sub = 0;

		ac_random_geom(&rng, levels, leaf_level, true, &c.g);
		/* Flags naming what this geometry lacks stay clear. */
		base &= ac_geom_flags(&c.g);
		vary &= ac_geom_flags(&c.g);
		do {
			const char *reason;

			c.flags = base | sub;
			if (ac_legal(&c, &reason))
				run_case(&e, &c);
			else
				pruned++;
			sub = (sub - vary) & vary;
		} while (sub);
	}
	finish(&e, pruned);
}

#define NR_SAMPLES 25000

Test(gva_walk, sampled_2level_4k_matches_reference)
{
	run_sampled(2, 1, NR_SAMPLES, 0x2001);
}

Test(gva_walk, sampled_2level_4m_matches_reference)
{
	run_sampled(2, 2, NR_SAMPLES, 0x2002);
}

Test(gva_walk, sampled_pae_4k_matches_reference)
{
	run_sampled(3, 1, NR_SAMPLES, 0x3001);
}

Test(gva_walk, sampled_pae_2m_matches_reference)
{
	run_sampled(3, 2, NR_SAMPLES, 0x3002);
}

Test(gva_walk, sampled_4level_4k_matches_reference)
{
	run_sampled(4, 1, NR_SAMPLES, 0x4001);
}

Test(gva_walk, sampled_4level_2m_matches_reference)
{
	run_sampled(4, 2, NR_SAMPLES, 0x4002);
}

Test(gva_walk, sampled_4level_1g_matches_reference)
{
	run_sampled(4, 3, NR_SAMPLES, 0x4003);
}

Test(gva_walk, sampled_5level_4k_matches_reference)
{
	run_sampled(5, 1, NR_SAMPLES, 0x5001);
}

Test(gva_walk, sampled_5level_2m_matches_reference)
{
	run_sampled(5, 2, NR_SAMPLES, 0x5002);
}

Test(gva_walk, sampled_5level_1g_matches_reference)
{
	run_sampled(5, 3, NR_SAMPLES, 0x5003);
}

#define PRESENT_ACCESSED_DIRTY                                   \
	(AC(LEAF_PRESENT) | AC(LEAF_ACCESSED) | AC(LEAF_DIRTY) | \
	 AC(PARENT_PRESENT) | AC(PARENT_ACCESSED) | AC(UPPER_ACCESSED))
/* The flags that decide U/S, R/W, XD, SMEP, SMAP and CR0.WP. */
#define PERMISSION_FLAGS                                         \
	(AC(LEAF_WRITABLE) | AC(LEAF_USER) | AC(LEAF_NX) |       \
	 AC(PARENT_WRITABLE) | AC(PARENT_USER) | AC(PARENT_NX) | \
	 AC(ACCESS_USER) | AC(ACCESS_WRITE) | AC(ACCESS_FETCH) | \
	 AC(ACCESS_IMPLICIT) | AC(ACCESS_AC) | AC(CPU_EFER_NX) | \
	 AC(CPU_CR0_WP) | AC(CPU_CR4_SMEP) | AC(CPU_CR4_SMAP))
/* The flags that decide which A and D bits a walk sets. */
#define ACCESSED_DIRTY_FLAGS                                             \
	(AC(LEAF_PRESENT) | AC(LEAF_ACCESSED) | AC(LEAF_DIRTY) |         \
	 AC(LEAF_WRITABLE) | AC(PARENT_PRESENT) | AC(PARENT_ACCESSED) |  \
	 AC(PARENT_DIRTY) | AC(UPPER_ACCESSED) | AC(UPPER_NO_WRITABLE) | \
	 AC(ACCESS_WRITE) | AC(ACCESS_USER) | AC(ACCESS_FETCH) |         \
	 AC(CPU_CR0_WP))
/* The flags that decide protection-key faults. */
#define PKEY_FLAGS                                                  \
	(AC(PKU_AD) | AC(PKU_WD) | AC(PKU_PKEY) | AC(CPU_CR4_PKE) | \
	 AC(LEAF_USER) | AC(PARENT_USER) | AC(LEAF_WRITABLE) |      \
	 AC(ACCESS_USER) | AC(ACCESS_WRITE) | AC(ACCESS_FETCH) |    \
	 AC(ACCESS_IMPLICIT) | AC(ACCESS_AC) | AC(CPU_CR0_WP) |     \
	 AC(CPU_CR4_SMAP))

Test(gva_walk, permissions_exhaustive_2level)
{
	run_exhaustive(2, 1, PRESENT_ACCESSED_DIRTY, PERMISSION_FLAGS, 1,
		       0x2101);
}

Test(gva_walk, permissions_exhaustive_pae)
{
	run_exhaustive(3, 1, PRESENT_ACCESSED_DIRTY, PERMISSION_FLAGS, 1,
		       0x3101);
}

Test(gva_walk, permissions_exhaustive_4level)
{
	run_exhaustive(4, 1, PRESENT_ACCESSED_DIRTY, PERMISSION_FLAGS, 1,
		       0x4101);
}

Test(gva_walk, permissions_exhaustive_4level_2m)
{
	run_exhaustive(4, 2, PRESENT_ACCESSED_DIRTY, PERMISSION_FLAGS, 1,
		       0x4102);
}

Test(gva_walk, permissions_exhaustive_5level_1g)
{
	run_exhaustive(5, 3, PRESENT_ACCESSED_DIRTY, PERMISSION_FLAGS, 1,
		       0x5103);
}

Test(gva_walk, accessed_dirty_exhaustive_4level)
{
	run_exhaustive(4, 1, AC(PARENT_WRITABLE) | AC(CPU_EFER_NX),
		       ACCESSED_DIRTY_FLAGS, 2, 0x4201);
}

Test(gva_walk, accessed_dirty_exhaustive_2level_4m)
{
	run_exhaustive(2, 2, 0, ACCESSED_DIRTY_FLAGS, 2, 0x2202);
}

Test(gva_walk, pkeys_exhaustive_4level)
{
	run_exhaustive(4, 1, PRESENT_ACCESSED_DIRTY | AC(CPU_EFER_NX),
		       PKEY_FLAGS, 1, 0x4301);
}

Test(gva_walk, pkeys_exhaustive_5level_2m)
{
	run_exhaustive(5, 2, PRESENT_ACCESSED_DIRTY | AC(PARENT_WRITABLE),
		       PKEY_FLAGS, 1, 0x5302);
}

static void describe_addr(const void *ctx, char *buf, size_t len)
{
	snprintf(buf, len, "paging off, gva %#llx",
		 (unsigned long long)*(const u64 *)ctx);
}

Test(gva_walk, paging_off_is_identity)
{
	struct env_rng rng = { .state = 0x0001 };
	struct ref_mmu cfg = { 0 };
	struct walk_access acc = { 0 };
	struct kvm_pagewalk gw;
	struct walk_env e;
	int i;

	env_init(&e);
	cfg.guest.cr0 = X86_CR0_PE;
	cfg.guest.maxphyaddr = 36;
	cr_assert_eq(env_setup_walkers(&e, &cfg, &gw, NULL), 0);
	for (i = 0; i < 200; i++) {
		u64 gva = env_rng_next(&rng) & GENMASK_ULL(31, 0);

		if (i == 0)
			gva = ENV_POOL_GPA + 0x123;
		acc.pfec = env_rng_next(&rng) &
			   (PFERR_WRITE_MASK | PFERR_USER_MASK);
		env_check(&e, &gw, false, &cfg, gva, &acc, describe_addr, &gva);
	}
	finish(&e, 0);
}

/*
 * Hand-written cases with the expected values spelled out: they check the
 * reference as much as the walker.
 */
struct one_walk {
	struct walk_env e;
	struct ref_mmu cfg;
	struct kvm_pagewalk gw;
	struct walk_access acc;
	struct walk_fault f;
	struct walk_record rec;
	struct ac_case c;
	int ret;
};

static void fixed_geom(int levels, int leaf_level, struct ac_geom *g)
{
	memset(g, 0, sizeof(*g));
	g->levels = levels;
	g->leaf_level = leaf_level;
	g->maxphyaddr = 46;
	g->gbpages = true;
	g->pse = true;
	g->rsvd_bit = levels == 2 ? -1 : 51;
	g->low_rsvd_bit = levels == 2 ? 17 : 13;
	switch (levels) {
	case 2:
		g->gva = 0xc0a1b2c3;
		g->target = leaf_level == 1 ? 0x12345000 : 0x340400000ULL;
		break;
	case 3:
		g->gva = 0xc0a1b2c3;
		g->target = leaf_level == 1 ? 0x123456000ULL : 0x123400000ULL;
		g->cr3_low = 0x60;
		break;
	case 4:
		g->gva = 0x00007f8123456789ULL;
		break;
	default:
		g->gva = 0x00ff7f8123456789ULL;
		break;
	}
	if (levels >= 4)
		g->target = 0x1234567000ULL &
			    ~(ac_leaf_size(levels, leaf_level) - 1);
}

/* Build @flags on a fixed geometry, walk, and check against the reference. */
static void one_walk(struct one_walk *o, int levels, int leaf_level, u32 flags)
{
	int r;

	memset(o, 0, sizeof(*o));
	env_init(&o->e);
	fixed_geom(levels, leaf_level, &o->c.g);
	o->c.flags = flags;
	ac_build(&o->e, &o->c, &o->cfg, &o->acc);
	r = env_setup_walkers(&o->e, &o->cfg, &o->gw, NULL);
	cr_assert_eq(r, 0, "setup: %d", r);
	o->ret =
		gva_walk_translate(&o->gw, o->c.g.gva, &o->acc, &o->f, &o->rec);
}

/* The entries again, after the walk, in the walker's memory. */
static u64 entry_now(struct one_walk *o, int i)
{
	const struct walk_entry *en = &o->rec.guest.entries[i];

	return env_read(&o->e, ENV_WALKER, en->pte_gpa,
			o->c.g.levels == 2 ? 4 : 8);
}

/* The walker agrees with the reference on the same (rebuilt) case. */
static void one_walk_check_reference(struct one_walk *o)
{
	struct walk_env e;

	env_init(&e);
	run_case(&e, &o->c);
	finish(&e, 0);
	env_destroy(&o->e);
}

#define ALL_OK                                                        \
	(AC(LEAF_PRESENT) | AC(LEAF_WRITABLE) | AC(LEAF_USER) |       \
	 AC(PARENT_PRESENT) | AC(PARENT_WRITABLE) | AC(PARENT_USER) | \
	 AC(CPU_EFER_NX) | AC(CPU_CR0_WP))

Test(gva_walk, pde_rsvd_bit51_sets_pfec_rsvd)
{
	struct one_walk o;
	int i;

	one_walk(&o, 4, 1, ALL_OK | AC(PARENT_RSVD) | AC(ACCESS_WRITE));
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.kind, WALK_FAULT_PF);
	cr_assert_eq(o.f.vector, PF_VECTOR);
	cr_assert_eq(o.f.error_code,
		     PFERR_RSVD_MASK | PFERR_PRESENT_MASK | PFERR_WRITE_MASK,
		     "error code %#llx", (unsigned long long)o.f.error_code);
	cr_assert_eq(o.f.address, o.c.g.gva);
	cr_assert_eq(o.f.level, 2);
	cr_assert_eq(o.rec.guest.nr_entries, 3);
	for (i = 0; i < o.rec.guest.nr_entries; i++)
		cr_assert_eq(entry_now(&o, i), o.rec.guest.entries[i].before,
			     "a failing walk sets no A bit");
	one_walk_check_reference(&o);
}

Test(gva_walk, pte_not_present_error_code_has_no_p)
{
	struct one_walk o;

	one_walk(&o, 4, 1, (ALL_OK & ~AC(LEAF_PRESENT)) | AC(ACCESS_USER));
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.error_code, PFERR_USER_MASK);
	cr_assert_eq(o.f.level, 1);
	one_walk_check_reference(&o);
}

Test(gva_walk, smep_faults_supervisor_fetch_from_user_page)
{
	struct one_walk o;

	one_walk(&o, 4, 1, ALL_OK | AC(CPU_CR4_SMEP) | AC(ACCESS_FETCH));
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.error_code, PFERR_PRESENT_MASK | PFERR_FETCH_MASK);
	one_walk_check_reference(&o);
}

Test(gva_walk, smep_checks_user_bit_of_whole_walk)
{
	struct one_walk o;

	/* PDE.U=0 makes the page a supervisor page whatever PTE.U says. */
	one_walk(&o, 4, 1,
		 (ALL_OK & ~AC(PARENT_USER)) | AC(CPU_CR4_SMEP) |
			 AC(ACCESS_FETCH));
	cr_assert_eq(o.ret, 0);
	cr_assert_eq(o.rec.pte_access & ACC_USER_MASK, 0);
	one_walk_check_reference(&o);
}

Test(gva_walk, smap_override_needs_ac_and_explicit_access)
{
	struct one_walk o;

	one_walk(&o, 4, 1, ALL_OK | AC(CPU_CR4_SMAP));
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.error_code, PFERR_PRESENT_MASK);
	one_walk_check_reference(&o);

	one_walk(&o, 4, 1, ALL_OK | AC(CPU_CR4_SMAP) | AC(ACCESS_AC));
	cr_assert_eq(o.ret, 0);
	one_walk_check_reference(&o);

	one_walk(&o, 4, 1,
		 ALL_OK | AC(CPU_CR4_SMAP) | AC(ACCESS_AC) |
			 AC(ACCESS_IMPLICIT));
	cr_assert_eq(o.ret, 1, "implicit accesses ignore RFLAGS.AC");
	cr_assert_eq(o.f.error_code, PFERR_PRESENT_MASK);
	one_walk_check_reference(&o);
}

Test(gva_walk, wp0_supervisor_write_to_readonly_page_sets_dirty)
{
	struct one_walk o;

	one_walk(&o, 4, 1,
		 (ALL_OK & ~(AC(LEAF_WRITABLE) | AC(CPU_CR0_WP))) |
			 AC(ACCESS_WRITE));
	cr_assert_eq(o.ret, 0);
	cr_assert_eq(o.rec.guest.nr_entries, 4);
	cr_assert_eq(o.rec.guest.entries[3].after,
		     o.rec.guest.entries[3].before | PT_ACCESSED_MASK |
			     PT_DIRTY_MASK);
	cr_assert_eq(entry_now(&o, 3), o.rec.guest.entries[3].after);
	cr_assert_eq(entry_now(&o, 2),
		     o.rec.guest.entries[2].before | PT_ACCESSED_MASK,
		     "A on every level, D only on the leaf");
	cr_assert_eq(o.rec.refs, 4, "a 1D 4-level walk reads 4 entries");
	one_walk_check_reference(&o);
}

Test(gva_walk, read_sets_accessed_but_not_dirty)
{
	struct one_walk o;
	int i;

	one_walk(&o, 5, 1, ALL_OK);
	cr_assert_eq(o.ret, 0);
	cr_assert_eq(o.rec.refs, 5);
	for (i = 0; i < 5; i++)
		cr_assert_eq(entry_now(&o, i),
			     o.rec.guest.entries[i].before | PT_ACCESSED_MASK);
	/* protect_clean_gpte(): W hidden from a read through a clean leaf. */
	cr_assert_eq(o.rec.pte_access & ACC_WRITE_MASK, 0);
	one_walk_check_reference(&o);
}

Test(gva_walk, pkru_wd_denies_supervisor_write_only_with_wp)
{
	struct one_walk o;
	u32 flags = ALL_OK | AC(CPU_CR4_PKE) | AC(PKU_PKEY) | AC(PKU_WD) |
		    AC(ACCESS_WRITE);

	one_walk(&o, 4, 1, flags);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.error_code,
		     PFERR_PRESENT_MASK | PFERR_WRITE_MASK | PFERR_PK_MASK);
	one_walk_check_reference(&o);

	one_walk(&o, 4, 1, flags & ~AC(CPU_CR0_WP));
	cr_assert_eq(o.ret, 0);
	one_walk_check_reference(&o);
}

Test(gva_walk, pkru_ad_ignored_for_fetches_and_supervisor_pages)
{
	struct one_walk o;
	u32 flags = ALL_OK | AC(CPU_CR4_PKE) | AC(PKU_PKEY) | AC(PKU_AD);

	one_walk(&o, 4, 1, flags | AC(ACCESS_FETCH));
	cr_assert_eq(o.ret, 0);
	one_walk_check_reference(&o);

	one_walk(&o, 4, 1, flags & ~AC(LEAF_USER));
	cr_assert_eq(o.ret, 0);
	one_walk_check_reference(&o);

	one_walk(&o, 4, 1, flags | AC(ACCESS_USER));
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.error_code,
		     PFERR_PRESENT_MASK | PFERR_USER_MASK | PFERR_PK_MASK);
	one_walk_check_reference(&o);
}

Test(gva_walk, xd_without_efer_nx_is_reserved)
{
	struct one_walk o;

	one_walk(&o, 4, 1,
		 (ALL_OK & ~AC(CPU_EFER_NX)) | AC(LEAF_NX) | AC(ACCESS_FETCH));
	cr_assert_eq(o.ret, 1);
	/* F is reported only with EFER.NX or CR4.SMEP. */
	cr_assert_eq(o.f.error_code, PFERR_RSVD_MASK | PFERR_PRESENT_MASK);
	one_walk_check_reference(&o);

	one_walk(&o, 4, 1, ALL_OK | AC(LEAF_NX) | AC(ACCESS_FETCH));
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.error_code, PFERR_PRESENT_MASK | PFERR_FETCH_MASK);
	one_walk_check_reference(&o);
}

Test(gva_walk, amd_pml4e_bit8_is_reserved_intel_ignores_it)
{
	struct one_walk o;

	one_walk(&o, 4, 1, ALL_OK | AC(TOP_BIT8));
	cr_assert_eq(o.ret, 0, "Intel ignores bit 8 of a PML4E");
	one_walk_check_reference(&o);

	memset(&o, 0, sizeof(o));
	env_init(&o.e);
	fixed_geom(4, 1, &o.c.g);
	o.c.g.amd = true;
	o.c.flags = ALL_OK | AC(TOP_BIT8);
	ac_build(&o.e, &o.c, &o.cfg, &o.acc);
	cr_assert_eq(env_setup_walkers(&o.e, &o.cfg, &o.gw, NULL), 0);
	o.ret = gva_walk_translate(&o.gw, o.c.g.gva, &o.acc, &o.f, &o.rec);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.error_code, PFERR_RSVD_MASK | PFERR_PRESENT_MASK);
	cr_assert_eq(o.f.level, 4);
	one_walk_check_reference(&o);
}

Test(gva_walk, pdpte_1g_page_without_gbpages_is_reserved)
{
	struct one_walk o;

	memset(&o, 0, sizeof(o));
	env_init(&o.e);
	fixed_geom(4, 3, &o.c.g);
	o.c.g.gbpages = false;
	o.c.flags = ALL_OK;
	ac_build(&o.e, &o.c, &o.cfg, &o.acc);
	cr_assert_eq(env_setup_walkers(&o.e, &o.cfg, &o.gw, NULL), 0);
	o.ret = gva_walk_translate(&o.gw, o.c.g.gva, &o.acc, &o.f, &o.rec);
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.error_code, PFERR_RSVD_MASK | PFERR_PRESENT_MASK);
	cr_assert_eq(o.f.level, 3);
	one_walk_check_reference(&o);
}

Test(gva_walk, pde_2m_low_rsvd_bit_sets_pfec_rsvd)
{
	struct one_walk o;

	one_walk(&o, 4, 2, ALL_OK | AC(LEAF_LOW_RSVD));
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.error_code, PFERR_RSVD_MASK | PFERR_PRESENT_MASK);
	cr_assert_eq(o.f.level, 2);
	one_walk_check_reference(&o);
}

Test(gva_walk, pse36_4m_page_maps_above_4g)
{
	struct one_walk o;

	one_walk(&o, 2, 2,
		 ALL_OK & ~(AC(LEAF_NX) | AC(PARENT_PRESENT) |
			    AC(PARENT_WRITABLE) | AC(PARENT_USER)));
	cr_assert_eq(o.ret, 0);
	cr_assert_eq(o.rec.leaf_level, 2);
	cr_assert_eq(o.rec.gpa, 0x340400000ULL | (0xc0a1b2c3 & GENMASK(21, 0)),
		     "gpa %#llx", (unsigned long long)o.rec.gpa);
	one_walk_check_reference(&o);
}

Test(gva_walk, pse36_4m_pde_bit17_is_reserved)
{
	struct one_walk o;

	one_walk(&o, 2, 2, AC(LEAF_PRESENT) | AC(LEAF_LOW_RSVD));
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.error_code, PFERR_RSVD_MASK | PFERR_PRESENT_MASK);
	one_walk_check_reference(&o);
}

Test(gva_walk, pde_ps_ignored_without_cr4_pse)
{
	struct env_map map = { 0 };
	struct env_tree t = { 0 };
	struct ref_mmu cfg = { 0 };
	struct walk_access acc = { 0 };
	struct walk_record rec;
	struct kvm_pagewalk gw;
	struct walk_fault f;
	struct walk_env e;
	u64 gva = 0x00801abc;

	env_init(&e);
	t.fmt = ENV_FMT_X86_32;
	t.levels = 2;
	t.root = env_alloc_page(&e);
	map.addr = gva;
	map.leaf_level = 1;
	map.target = 0x5000;
	/* PS is set in the PDE, which still points at a page table. */
	map.flags[1] = PT_PRESENT_MASK | PT_PAGE_SIZE_MASK | PT_WRITABLE_MASK;
	map.flags[0] = PT_PRESENT_MASK;
	env_map(&e, &t, &map);
	cfg.guest.cr0 = X86_CR0_PE | X86_CR0_PG;
	cfg.guest.cr3 = t.root;
	cfg.guest.maxphyaddr = 36;
	cr_assert_eq(env_setup_walkers(&e, &cfg, &gw, NULL), 0);
	env_check(&e, &gw, false, &cfg, gva, &acc, describe_addr, &gva);
	cr_assert_eq(gva_walk_translate(&gw, gva, &acc, &f, &rec), 0);
	cr_assert_eq(rec.leaf_level, 1);
	cr_assert_eq(rec.gpa, 0x5abc);
	finish(&e, 0);
}

Test(gva_walk, pae_pdptr_not_present_faults_without_reading_memory)
{
	struct one_walk o;

	one_walk(&o, 3, 2, AC(LEAF_PRESENT) | AC(ACCESS_WRITE));
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.error_code, PFERR_WRITE_MASK);
	cr_assert_eq(o.rec.refs, 0);
	one_walk_check_reference(&o);
}

Test(gva_walk, upper_readonly_entry_denies_user_write)
{
	struct one_walk o;

	one_walk(&o, 4, 1,
		 ALL_OK | AC(UPPER_NO_WRITABLE) | AC(ACCESS_WRITE) |
			 AC(ACCESS_USER));
	cr_assert_eq(o.ret, 1);
	cr_assert_eq(o.f.error_code,
		     PFERR_PRESENT_MASK | PFERR_WRITE_MASK | PFERR_USER_MASK);
	one_walk_check_reference(&o);
}
