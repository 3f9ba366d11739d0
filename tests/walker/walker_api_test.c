/* The walker API: misuse errors, #GP, guest_memory, A/D races. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "access_flags.h"

#define GVA_4LEVEL 0x00007f8123456789ULL
#define GVA_32BIT 0xc0a1b2c3ULL

/* A 4K mapping of @gva for the given mode, everything allowed. */
static void map_one(struct walk_env *e, int levels, u64 gva, u64 target,
		    struct ref_mmu *cfg, struct walk_access *acc)
{
	struct ac_case c;

	ac_plain_4k_case(&c, levels, gva, target);
	ac_build(e, &c, cfg, acc);
}

static void setup(struct walk_env *e, int levels, u64 gva, struct ref_mmu *cfg,
		  struct walk_access *acc, struct kvm_pagewalk *gw)
{
	int r;

	env_init(e);
	memset(cfg, 0, sizeof(*cfg));
	map_one(e, levels, gva, 0x5000, cfg, acc);
	r = env_setup_walkers(e, cfg, gw, NULL);
	cr_assert_eq(r, 0, "setup: %d", r);
}

Test(walker_api, gva_walk_rejects_address_above_4g_in_32bit_modes)
{
	struct walk_access acc = { 0 };
	struct ref_mmu cfg = { 0 };
	struct walk_record rec;
	struct kvm_pagewalk gw;
	struct walk_fault f;
	struct walk_env e;
	int levels;

	for (levels = 2; levels <= 3; levels++) {
		setup(&e, levels, GVA_32BIT, &cfg, &acc, &gw);
		cr_assert_eq(gva_walk_translate(&gw, BIT_ULL(32) | GVA_32BIT,
						&acc, &f, &rec),
			     -ERANGE, "%d-level", levels);
		cr_assert_eq(ref_gva_translate(&cfg, BIT_ULL(32) | GVA_32BIT,
					       &acc, &f, &rec),
			     -ERANGE);
		cr_assert_eq(gva_walk_translate(&gw, GVA_32BIT, &acc, &f, &rec),
			     0);
		env_destroy(&e);
	}

	/* Paging off: linear addresses have 32 bits too. */
	env_init(&e);
	memset(&cfg, 0, sizeof(cfg));
	cfg.guest.cr0 = X86_CR0_PE;
	cfg.guest.maxphyaddr = 46;
	cr_assert_eq(env_setup_walkers(&e, &cfg, &gw, NULL), 0);
	cr_assert_eq(gva_walk_translate(&gw, BIT_ULL(32), &acc, &f, &rec),
		     -ERANGE);
	cr_assert_eq(
		gva_walk_translate(&gw, GENMASK_ULL(31, 0), &acc, &f, &rec), 0);
	cr_assert_eq(rec.gpa, GENMASK_ULL(31, 0));
	env_destroy(&e);
}

Test(walker_api, pae_walk_without_pdptrs_is_einval)
{
	struct walk_access acc = { 0 };
	struct cpu_features cpu = { .maxphyaddr = 46 };
	struct kvm_pagewalk gw;
	struct cpu_role role;
	struct walk_fault f;
	struct walk_env e;

	env_init(&e);
	cr_assert_eq(cpu_role_from_regs(&role, X86_CR0_PE | X86_CR0_PG,
					X86_CR4_PAE, 0, &cpu),
		     0);
	cr_assert_eq(kvm_pagewalk_init(&gw, &role, ENV_POOL_GPA,
				       &e.mem[ENV_WALKER], NULL),
		     0);
	cr_assert_eq(gva_walk_translate(&gw, GVA_32BIT, &acc, &f, NULL),
		     -EINVAL);
	cr_assert_eq(kvm_pagewalk_load_pdptrs(&gw, &f), 0);
	cr_assert_eq(gva_walk_translate(&gw, GVA_32BIT, &acc, &f, NULL), 1,
		     "PDPTEs of zero: not present");
	cr_assert_eq(f.kind, WALK_FAULT_PF);
	cr_assert_eq(f.error_code, 0);
	env_destroy(&e);
}

/* Load PDPTEs @pdpte (index 2) with the walker and with the reference. */
static void load_one_pdpte(u64 pdpte, u8 maxphyaddr, int *walker_ret,
			   int *ref_ret)
{
	struct cpu_features cpu = { .maxphyaddr = maxphyaddr };
	struct ref_mmu cfg = { 0 };
	struct kvm_pagewalk gw;
	struct cpu_role role;
	struct walk_fault f;
	struct walk_env e;
	u64 cr3 = ENV_POOL_GPA + 0x40;

	env_init(&e);
	env_write(&e, cr3 + 2 * 8, 8, pdpte);
	cr_assert_eq(cpu_role_from_regs(&role, X86_CR0_PE | X86_CR0_PG,
					X86_CR4_PAE, EFER_NX, &cpu),
		     0);
	cr_assert_eq(kvm_pagewalk_init(&gw, &role, cr3, &e.mem[ENV_WALKER],
				       NULL),
		     0);
	*walker_ret = kvm_pagewalk_load_pdptrs(&gw, &f);
	cfg.guest.cr0 = X86_CR0_PE | X86_CR0_PG;
	cfg.guest.cr4 = X86_CR4_PAE;
	cfg.guest.efer = EFER_NX;
	cfg.guest.cr3 = cr3;
	cfg.guest.maxphyaddr = maxphyaddr;
	cfg.mem = &e.mem[ENV_REF];
	*ref_ret = ref_load_pdptrs(&cfg, &f);
	env_destroy(&e);
}

Test(walker_api, load_pdptrs_rejects_reserved_bits)
{
	static const int rsvd[] = { 1, 2, 5, 6, 7, 8, 36, 51, 52, 62, 63 };
	int wr, rr;
	unsigned int i;

	load_one_pdpte(0x3000 | PT_PRESENT_MASK, 36, &wr, &rr);
	cr_assert_eq(wr, 0);
	cr_assert_eq(rr, 0);
	/* Ignored and PWT/PCD bits are fine. */
	load_one_pdpte(0x3000 | PT_PRESENT_MASK | PT_PWT_MASK | PT_PCD_MASK |
			       GENMASK_ULL(11, 9),
		       36, &wr, &rr);
	cr_assert_eq(wr, 0);
	cr_assert_eq(rr, 0);
	for (i = 0; i < ARRAY_SIZE(rsvd); i++) {
		load_one_pdpte(0x3000 | PT_PRESENT_MASK | BIT_ULL(rsvd[i]), 36,
			       &wr, &rr);
		cr_assert_eq(wr, -EINVAL, "bit %d: %d", rsvd[i], wr);
		cr_assert_eq(rr, -EINVAL, "bit %d", rsvd[i]);
		/* A PDPTE that is not present is not checked. */
		load_one_pdpte(0x3000 | BIT_ULL(rsvd[i]), 36, &wr, &rr);
		cr_assert_eq(wr, 0, "bit %d, not present", rsvd[i]);
		cr_assert_eq(rr, 0);
	}
	/* Bit 45 is an address bit with MAXPHYADDR 46, reserved with 36. */
	load_one_pdpte(PT_PRESENT_MASK | BIT_ULL(45), 46, &wr, &rr);
	cr_assert_eq(wr, 0);
	load_one_pdpte(PT_PRESENT_MASK | BIT_ULL(45), 36, &wr, &rr);
	cr_assert_eq(wr, -EINVAL);
}

Test(walker_api, load_pdptrs_unbacked_or_wrong_mode)
{
	struct cpu_features cpu = { .maxphyaddr = 46 };
	struct kvm_pagewalk gw;
	struct cpu_role role;
	struct walk_fault f;
	struct walk_env e;

	env_init(&e);
	cr_assert_eq(cpu_role_from_regs(&role, X86_CR0_PE | X86_CR0_PG,
					X86_CR4_PAE, 0, &cpu),
		     0);
	cr_assert_eq(kvm_pagewalk_init(&gw, &role, ENV_UNBACKED_GPA,
				       &e.mem[ENV_WALKER], NULL),
		     0);
	cr_assert_eq(kvm_pagewalk_load_pdptrs(&gw, &f), -EFAULT);
	cr_assert_eq(gva_walk_translate(&gw, GVA_32BIT,
					&(struct walk_access){ 0 }, &f, NULL),
		     -EINVAL, "a failed load leaves no PDPTRs");

	cr_assert_eq(cpu_role_from_regs(&role, X86_CR0_PE | X86_CR0_PG,
					X86_CR4_PAE, EFER_LME | EFER_LMA, &cpu),
		     0);
	cr_assert_eq(kvm_pagewalk_init(&gw, &role, ENV_POOL_GPA,
				       &e.mem[ENV_WALKER], NULL),
		     0);
	cr_assert_eq(kvm_pagewalk_load_pdptrs(&gw, &f), -EINVAL,
		     "no PDPTRs in 4-level paging");
	env_destroy(&e);
}

Test(walker_api, load_pdptrs_through_ept_reports_nested_fault)
{
	struct cpu_features cpu = { .maxphyaddr = 46 };
	struct kvm_pagewalk gw, nw;
	struct walk_fault f, rf;
	struct ref_mmu cfg = { 0 };
	struct cpu_role role;
	struct walk_env e;
	u64 eptp;

	/* An EPT whose root table is empty: nothing is mapped. */
	env_init(&e);
	eptp = env_alloc_page(&e) | (3ULL << EPTP_PWL_SHIFT) | 6 |
	       EPTP_AD_ENABLE_MASK;
	cr_assert_eq(cpu_role_for_ept(&role, eptp, false, false, PG_LEVEL_1G,
				      46),
		     0);
	cr_assert_eq(kvm_pagewalk_init(&nw, &role, eptp, &e.mem[ENV_WALKER],
				       NULL),
		     0);
	cr_assert_eq(cpu_role_from_regs(&role, X86_CR0_PE | X86_CR0_PG,
					X86_CR4_PAE, 0, &cpu),
		     0);
	cr_assert_eq(kvm_pagewalk_init(&gw, &role, 0x1020, &e.mem[ENV_WALKER],
				       &nw),
		     0);
	cr_assert_eq(kvm_pagewalk_load_pdptrs(&gw, &f), 1);
	cr_assert_eq(f.kind, WALK_FAULT_EPT_VIOLATION);
	cr_assert_eq(f.address, 0x1020, "the PDPT's nGPA: %#llx",
		     (unsigned long long)f.address);
	/* A read of a paging structure, not a linear-address translation. */
	cr_assert_eq(f.exit_qualification, EPT_VIOLATION_ACC_READ,
		     "qualification %#llx",
		     (unsigned long long)f.exit_qualification);

	cfg.guest.cr0 = X86_CR0_PE | X86_CR0_PG;
	cfg.guest.cr4 = X86_CR4_PAE;
	cfg.guest.cr3 = 0x1020;
	cfg.guest.maxphyaddr = 46;
	cfg.nested.kind = REF_NESTED_EPT;
	cfg.nested.ept.eptp = eptp;
	cfg.nested.ept.huge_page_level = PG_LEVEL_1G;
	cfg.nested.ept.maxphyaddr = 46;
	cfg.mem = &e.mem[ENV_REF];
	cr_assert_eq(ref_load_pdptrs(&cfg, &rf), 1);
	cr_assert_eq(rf.kind, f.kind);
	cr_assert_eq(rf.exit_qualification, f.exit_qualification);
	cr_assert_eq(rf.address, f.address);
	cr_assert_eq(rf.gva, f.gva);
	env_destroy(&e);
}

static void check_gp(struct kvm_pagewalk *gw, struct ref_mmu *cfg, u64 gva)
{
	struct walk_access acc = { .pfec = PFERR_WRITE_MASK };
	struct walk_record rec, rrec;
	struct walk_fault f, rf;

	cr_assert_eq(gva_walk_translate(gw, gva, &acc, &f, &rec), 1, "%#llx",
		     (unsigned long long)gva);
	cr_assert_eq(f.kind, WALK_FAULT_GP, "%#llx: %s",
		     (unsigned long long)gva, walk_fault_name(f.kind));
	cr_assert_eq(f.vector, GP_VECTOR);
	cr_assert_eq(f.error_code, 0);
	cr_assert_not(f.nested);
	cr_assert_eq(f.level, 0);
	cr_assert_eq(rec.refs, 0, "no entry is read");
	cr_assert_eq(rec.guest.nr_entries, 0);
	cr_assert_eq(ref_gva_translate(cfg, gva, &acc, &rf, &rrec), 1);
	cr_assert_eq(rf.kind, WALK_FAULT_GP);
	cr_assert_eq(rf.address, f.address);
	cr_assert_eq(rf.gva, f.gva);
}

Test(walker_api, non_canonical_4level_address_is_gp_not_pf)
{
	static const u64 bad[] = {
		0x0000800000000000ULL, 0xffff7fffffffffffULL,
		0x0001000000000000ULL, 0x8000000000000000ULL,
		0x00ff7f8123456789ULL,
	};
	struct walk_access acc;
	struct ref_mmu cfg;
	struct kvm_pagewalk gw;
	struct walk_fault f;
	struct walk_env e;
	unsigned int i;

	setup(&e, 4, GVA_4LEVEL, &cfg, &acc, &gw);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		check_gp(&gw, &cfg, bad[i]);
	cr_assert_eq(gva_walk_translate(&gw, GVA_4LEVEL, &acc, &f, NULL), 0);
	/* The upper half is canonical: it walks (and faults: not mapped). */
	cr_assert_eq(gva_walk_translate(&gw, 0xffff800000000000ULL, &acc, &f,
					NULL),
		     1);
	cr_assert_eq(f.kind, WALK_FAULT_PF);
	cr_assert(is_canonical_address(0xffff800000000000ULL, 4));
	cr_assert_not(is_canonical_address(0x0000800000000000ULL, 4));
	env_destroy(&e);
}

Test(walker_api, non_canonical_5level_address_is_gp_not_pf)
{
	static const u64 bad[] = {
		0x0100000000000000ULL,
		0xfeffffffffffffffULL,
		0x8000000000000000ULL,
	};
	struct walk_access acc;
	struct ref_mmu cfg;
	struct kvm_pagewalk gw;
	struct walk_fault f;
	struct walk_env e;
	unsigned int i;

	setup(&e, 5, 0x00ff7f8123456789ULL, &cfg, &acc, &gw);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		check_gp(&gw, &cfg, bad[i]);
	/* Non-canonical for 48 bits, canonical for 57: a #PF, not a #GP. */
	cr_assert_eq(gva_walk_translate(&gw, 0x0000800000000000ULL, &acc, &f,
					NULL),
		     1);
	cr_assert_eq(f.kind, WALK_FAULT_PF);
	cr_assert_eq(gva_walk_translate(&gw, 0x00ff7f8123456789ULL, &acc, &f,
					NULL),
		     0);
	cr_assert(is_canonical_address(0xff00000000000000ULL, 5));
	cr_assert_not(is_canonical_address(0xff00000000000000ULL, 4));
	env_destroy(&e);
}

Test(walker_api, translate_on_the_wrong_stage_is_einval)
{
	struct walk_access acc = { 0 };
	struct kvm_pagewalk gw, nw;
	struct cpu_features cpu = { .maxphyaddr = 46 };
	struct cpu_role role;
	struct walk_fault f;
	struct walk_env e;

	env_init(&e);
	cr_assert_eq(cpu_role_from_regs(&role, X86_CR0_PE | X86_CR0_PG,
					X86_CR4_PAE, EFER_LME | EFER_LMA, &cpu),
		     0);
	cr_assert_eq(kvm_pagewalk_init(&gw, &role, ENV_POOL_GPA,
				       &e.mem[ENV_WALKER], NULL),
		     0);
	cr_assert_eq(ngpa_walk_translate(&gw, 0x1000, &acc, &f, NULL), -EINVAL);
	cr_assert_eq(kvm_pagewalk_init(&gw, &role, ENV_POOL_GPA,
				       &e.mem[ENV_WALKER], &gw),
		     -EINVAL, "a stage cannot nest itself");

	cr_assert_eq(cpu_role_for_ept(&role, ENV_POOL_GPA | (3 << 3) | 6, false,
				      false, PG_LEVEL_1G, 46),
		     0);
	cr_assert_eq(kvm_pagewalk_init(&nw, &role, ENV_POOL_GPA | (3 << 3) | 6,
				       &e.mem[ENV_WALKER], NULL),
		     0);
	cr_assert_eq(gva_walk_translate(&nw, 0x1000, &acc, &f, NULL), -EINVAL);

	/* A nested stage must be EPT or NPT. */
	cr_assert_eq(cpu_role_from_regs(&role, X86_CR0_PE | X86_CR0_PG,
					X86_CR4_PAE, EFER_LME | EFER_LMA, &cpu),
		     0);
	cr_assert_eq(kvm_pagewalk_init(&nw, &role, ENV_POOL_GPA,
				       &e.mem[ENV_WALKER], NULL),
		     0);
	cr_assert_eq(kvm_pagewalk_init(&gw, &role, ENV_POOL_GPA,
				       &e.mem[ENV_WALKER], &nw),
		     -EINVAL);

	/* An EPT walk length other than 4 or 5. */
	cr_assert_eq(cpu_role_for_ept(&role, ENV_POOL_GPA | (2 << 3) | 6, false,
				      false, PG_LEVEL_1G, 46),
		     -EINVAL);
	cr_assert_eq(kvm_pagewalk_init(&gw, &role, 0, NULL, NULL), -EINVAL);
	env_destroy(&e);
}

/*
 * cmpxchg_hook: on the first exchange, replace the leaf PTE with
 * @new_pte, as another vCPU would between the walk's read and its A/D
 * update.
 */
struct race {
	u64 pte_gpa;
	u64 new_pte;
	int calls;
};

static void race_hook(struct guest_memory *mem, u64 gpa, void *opaque)
{
	struct race *race = opaque;

	(void)gpa;
	if (race->calls++)
		return;
	cr_assert_eq(guest_memory_write(mem, race->pte_gpa, 8, race->new_pte),
		     0);
}

static void run_race(u64 new_pte_flags, u64 new_target, int *ret,
		     struct walk_record *rec, struct walk_fault *f,
		     struct race *race)
{
	struct walk_access acc;
	struct ref_mmu cfg;
	struct kvm_pagewalk gw;
	struct walk_env e;

	setup(&e, 4, GVA_4LEVEL, &cfg, &acc, &gw);
	/* Find the PTE with a walk that does not race. */
	cr_assert_eq(gva_walk_translate(&gw, GVA_4LEVEL, &acc, f, rec), 0);
	race->pte_gpa = rec->guest.entries[3].pte_gpa;
	race->new_pte = new_target | new_pte_flags;
	race->calls = 0;
	/* Clear A everywhere again, so that the next walk must set it. */
	env_write(&e, race->pte_gpa, 8, rec->guest.entries[3].before);
	env_write(&e, rec->guest.entries[0].pte_gpa, 8,
		  rec->guest.entries[0].before);
	e.mem[ENV_WALKER].cmpxchg_hook = race_hook;
	e.mem[ENV_WALKER].cmpxchg_hook_opaque = race;
	acc.pfec = PFERR_WRITE_MASK;
	*ret = gva_walk_translate(&gw, GVA_4LEVEL, &acc, f, rec);
	cr_assert_eq(env_read(&e, ENV_WALKER, race->pte_gpa, 8) &
			     ~(PT_ACCESSED_MASK | PT_DIRTY_MASK),
		     race->new_pte & ~(PT_ACCESSED_MASK | PT_DIRTY_MASK));
	env_destroy(&e);
}

Test(walker_api, accessed_dirty_race_restarts_walk_with_new_entry)
{
	struct walk_record rec;
	struct walk_fault f;
	struct race race;
	int ret;

	run_race(PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK, 0x9000,
		 &ret, &rec, &f, &race);
	cr_assert_eq(ret, 0);
	cr_assert_eq(rec.restarts, 1, "restarts %u", rec.restarts);
	cr_assert_eq(rec.gpa, 0x9000 | (GVA_4LEVEL & PAGE_OFFSET_MASK),
		     "the walk uses the new PTE: gpa %#llx",
		     (unsigned long long)rec.gpa);
	cr_assert_eq(rec.guest.entries[3].before, 0x9000 | PT_PRESENT_MASK |
							  PT_WRITABLE_MASK |
							  PT_USER_MASK);
	cr_assert_eq(rec.guest.entries[3].after, rec.guest.entries[3].before |
							 PT_ACCESSED_MASK |
							 PT_DIRTY_MASK);
	cr_assert_eq(rec.refs, 4, "the record is of the last pass");
}

Test(walker_api, accessed_dirty_race_restarts_walk_into_fault)
{
	struct walk_record rec;
	struct walk_fault f;
	struct race race;
	int ret;

	/* The PTE became read-only: the restarted write faults. */
	run_race(PT_PRESENT_MASK | PT_USER_MASK, 0x9000, &ret, &rec, &f, &race);
	cr_assert_eq(ret, 1);
	cr_assert_eq(rec.restarts, 1);
	cr_assert_eq(f.kind, WALK_FAULT_PF);
	cr_assert_eq(f.error_code, PFERR_PRESENT_MASK | PFERR_WRITE_MASK);
}

/*
 * Walk @gva with and without a record, which must agree: the return, and
 * the GPA and rights of a translation.
 */
static int walk_both(struct kvm_pagewalk *gw, u64 gva,
		     const struct walk_access *acc, struct walk_record *rec)
{
	struct walk_translation out;
	struct walk_fault f;
	int r = gva_walk_translate(gw, gva, acc, &f, rec);

	cr_assert_eq(gva_walk_translate_gpa(gw, gva, acc, &f, &out), r);
	if (!r) {
		cr_assert_eq(out.gpa, rec->gpa);
		cr_assert_eq(out.pte_access, rec->pte_access);
	}
	return r;
}

/*
 * The fast path keeps the last 4K leaf it accepted by the bits that its
 * checks read: a leaf at another address takes its rights, and a leaf
 * that differs in a bit the checks read, or an access with another
 * RFLAGS.AC, is checked again.
 */
Test(gva_walk, kept_leaf_is_checked_again_when_what_its_checks_read_changes)
{
	struct walk_access acc, ac;
	struct walk_record rec;
	struct ac_case c;
	struct ref_mmu cfg = { 0 };
	struct kvm_pagewalk gw;
	struct walk_env e;
	u64 leaf_gpa, leaf, gpa;

	env_init(&e);
	ac_plain_4k_case(&c, PT64_ROOT_4LEVEL, GVA_4LEVEL, 0x5000);
	c.flags |= AC(CPU_CR4_SMAP);
	ac_build(&e, &c, &cfg, &acc);
	cr_assert_eq(env_setup_walkers(&e, &cfg, &gw, NULL), 0);
	/* A supervisor write to a user page: SMAP lets it through with AC. */
	ac = (struct walk_access){ .pfec = PFERR_WRITE_MASK,
				   .rflags_ac = true };
	/* The first walk sets A and D, the next ones take the fast path. */
	cr_assert_eq(walk_both(&gw, GVA_4LEVEL, &ac, &rec), 0);
	cr_assert_eq(walk_both(&gw, GVA_4LEVEL, &ac, &rec), 0);
	gpa = rec.gpa;
	leaf_gpa = rec.guest.entries[3].pte_gpa;
	leaf = env_read(&e, ENV_WALKER, leaf_gpa, 8);
	cr_assert(leaf & PT_DIRTY_MASK);

	ac.rflags_ac = false;
	cr_assert_eq(walk_both(&gw, GVA_4LEVEL, &ac, &rec), 1);
	ac.rflags_ac = true;
	cr_assert_eq(walk_both(&gw, GVA_4LEVEL, &ac, &rec), 0);

	env_write(&e, leaf_gpa, 8, leaf ^ BIT_ULL(30));
	cr_assert_eq(walk_both(&gw, GVA_4LEVEL, &ac, &rec), 0);
	cr_assert_eq(rec.gpa, gpa ^ BIT_ULL(30));

	env_write(&e, leaf_gpa, 8, leaf & ~PT_WRITABLE_MASK);
	cr_assert_eq(walk_both(&gw, GVA_4LEVEL, &ac, &rec), 1);

	/* Bit 50 is above MAXPHYADDR: reserved. */
	env_write(&e, leaf_gpa, 8, leaf | BIT_ULL(50));
	cr_assert_eq(walk_both(&gw, GVA_4LEVEL, &ac, &rec), 1);

	env_write(&e, leaf_gpa, 8, leaf);
	cr_assert_eq(walk_both(&gw, GVA_4LEVEL, &ac, &rec), 0);
	cr_assert_eq(rec.gpa, gpa);
	env_destroy(&e);
}

Test(walk_record, path_refs_count_entries_read)
{
	struct walk_access acc;
	struct walk_record rec;
	struct ref_mmu cfg;
	struct kvm_pagewalk gw;
	struct walk_fault f;
	struct walk_env e;

	setup(&e, 4, GVA_4LEVEL, &cfg, &acc, &gw);
	memset(&rec, 0xa5, sizeof(rec));
	cr_assert_eq(gva_walk_translate(&gw, GVA_4LEVEL, &acc, &f, &rec), 0);
	cr_assert_eq(rec.refs, 4);
	cr_assert_eq(rec.guest.refs, 4);
	cr_assert_eq(rec.final_walk.refs, 0, "%u", rec.final_walk.refs);
	env_destroy(&e);

	/* PAE: the PDPTE is in the record but was not read from memory. */
	setup(&e, 3, GVA_32BIT, &cfg, &acc, &gw);
	memset(&rec, 0xa5, sizeof(rec));
	cr_assert_eq(gva_walk_translate(&gw, GVA_32BIT, &acc, &f, &rec), 0);
	cr_assert_eq(rec.guest.nr_entries, 3);
	cr_assert_eq(rec.guest.entries[0].pte_gpa, INVALID_GPA);
	cr_assert_eq(rec.refs, 2);
	cr_assert_eq(rec.guest.refs, 2, "guest.refs %u", rec.guest.refs);
	env_destroy(&e);

	/* A table that is not in memory: recorded, not read. */
	setup(&e, 4, GVA_4LEVEL, &cfg, &acc, &gw);
	cr_assert_eq(gva_walk_translate(&gw, GVA_4LEVEL, &acc, &f, &rec), 0);
	env_write(&e, rec.guest.entries[2].pte_gpa, 8,
		  ENV_UNBACKED_GPA | PT_PRESENT_MASK | PT_WRITABLE_MASK |
			  PT_USER_MASK);
	memset(&rec, 0xa5, sizeof(rec));
	cr_assert_eq(gva_walk_translate(&gw, GVA_4LEVEL, &acc, &f, &rec), 1);
	cr_assert_eq(f.error_code, 0, "no memory: not present");
	cr_assert_eq(f.level, 1);
	cr_assert_eq(rec.guest.nr_entries, 4);
	cr_assert_eq(rec.refs, 3);
	cr_assert_eq(rec.guest.refs, 3, "guest.refs %u", rec.guest.refs);
	env_destroy(&e);
}

Test(walk_record, nested_path_refs_count_entries_read)
{
	struct walk_access acc = { 0 };
	struct kvm_pagewalk gw, nw;
	struct walk_record rec;
	struct walk_fault f;
	struct walk_env e;

	/* Guest paging off, 4-level EPT: one nested walk of 4 entries. */
	env_init(&e);
	cr_assert_eq(env_setup_ept_under_paging_off(&e, 0x7000, 0x8000, &gw,
						    &nw),
		     0);
	memset(&rec, 0xa5, sizeof(rec));
	cr_assert_eq(gva_walk_translate(&gw, 0x7123, &acc, &f, &rec), 0);
	cr_assert_eq(rec.gpa, 0x8123);
	cr_assert_eq(rec.refs, 4);
	cr_assert_eq(rec.final_walk.nr_entries, 4);
	cr_assert_eq(rec.final_walk.refs, 4, "final_walk.refs %u",
		     rec.final_walk.refs);
	cr_assert_eq(rec.guest.refs, 0);
	env_destroy(&e);
}

Test(guest_memory, back_read_write_4_and_8_bytes)
{
	struct host_memory *host = host_memory_create();
	struct guest_memory mem;
	u64 val;

	cr_assert_not_null(host);
	cr_assert_eq(guest_memory_init(&mem, host), 0);
	cr_assert_not(guest_memory_is_backed(&mem, 0x5000));
	cr_assert_eq(guest_memory_back(&mem, 0x5800, 0x1000), 0,
		     "rounded out to pages");
	cr_assert(guest_memory_is_backed(&mem, 0x5000));
	cr_assert(guest_memory_is_backed(&mem, 0x6fff));
	cr_assert_not(guest_memory_is_backed(&mem, 0x7000));
	cr_assert_eq(guest_memory_gpa_to_hpa(&mem, 0x5123),
		     (HOST_MEMORY_FIRST_PFN << PAGE_SHIFT) | 0x123);
	cr_assert_eq(guest_memory_gpa_to_hpa(&mem, 0x6000),
		     ((HOST_MEMORY_FIRST_PFN + 1) << PAGE_SHIFT));
	cr_assert_eq(guest_memory_gpa_to_hpa(&mem, 0x7000), INVALID_HPA);

	cr_assert_eq(guest_memory_read(&mem, 0x5008, 8, &val), 0);
	cr_assert_eq(val, 0, "backed pages start zeroed");
	cr_assert_eq(guest_memory_write(&mem, 0x5008, 8, 0x1122334455667788ULL),
		     0);
	cr_assert_eq(guest_memory_read(&mem, 0x5008, 8, &val), 0);
	cr_assert_eq(val, 0x1122334455667788ULL);
	cr_assert_eq(guest_memory_read(&mem, 0x5008, 4, &val), 0);
	cr_assert_eq(val, 0x55667788, "little endian");
	cr_assert_eq(guest_memory_read(&mem, 0x500c, 4, &val), 0);
	cr_assert_eq(val, 0x11223344);
	cr_assert_eq(guest_memory_write(&mem, 0x500c, 4, 0xdeadbeef), 0);
	cr_assert_eq(guest_memory_read(&mem, 0x5008, 8, &val), 0);
	cr_assert_eq(val, 0xdeadbeef55667788ULL);
	cr_assert_eq(guest_memory_back(&mem, 0x5000, 0x1000), 0);
	cr_assert_eq(guest_memory_read(&mem, 0x5008, 8, &val), 0);
	cr_assert_eq(val, 0xdeadbeef55667788ULL, "backing again keeps data");

	/* Writes back an unbacked page first. */
	cr_assert_eq(guest_memory_write(&mem, 0x9000, 8, 1), 0);
	cr_assert(guest_memory_is_backed(&mem, 0x9000));
	guest_memory_destroy(&mem);
	host_memory_destroy(host);
}

Test(guest_memory, bad_size_alignment_and_unbacked)
{
	struct host_memory *host = host_memory_create();
	struct guest_memory mem;
	u64 val = 0;

	cr_assert_eq(guest_memory_init(&mem, host), 0);
	cr_assert_eq(guest_memory_back(&mem, 0x1000, 0x1000), 0);
	cr_assert_eq(guest_memory_read(&mem, 0x1004, 8, &val), -EINVAL);
	cr_assert_eq(guest_memory_read(&mem, 0x1002, 4, &val), -EINVAL);
	cr_assert_eq(guest_memory_read(&mem, 0x1000, 2, &val), -EINVAL);
	cr_assert_eq(guest_memory_read(&mem, 0x1000, 16, &val), -EINVAL);
	cr_assert_eq(guest_memory_write(&mem, 0x1001, 8, 0), -EINVAL);
	cr_assert_eq(guest_memory_write(&mem, 0x1000, 4, BIT_ULL(32)), -EINVAL,
		     "a 4-byte write of a 33-bit value");
	cr_assert_eq(guest_memory_cmpxchg(&mem, 0x1004, 8, &val, 1), -EINVAL);
	cr_assert_eq(guest_memory_read(&mem, 0x2000, 8, &val), -EFAULT);
	cr_assert_eq(guest_memory_cmpxchg(&mem, 0x2000, 8, &val, 1), -EFAULT);
	cr_assert_eq(guest_memory_back(&mem, 1ULL << 52, 0x1000), -ERANGE);
	cr_assert_eq(guest_memory_back(&mem, (1ULL << 52) - 0x1000, 0x2000),
		     -ERANGE);
	cr_assert_eq(guest_memory_gpa_to_hpa(&mem, 1ULL << 52), INVALID_HPA);
	guest_memory_destroy(&mem);
	host_memory_destroy(host);
}

Test(guest_memory, cmpxchg_stores_only_the_expected_value)
{
	struct host_memory *host = host_memory_create();
	struct guest_memory mem;
	u64 old, val;

	cr_assert_eq(guest_memory_init(&mem, host), 0);
	cr_assert_eq(guest_memory_write(&mem, 0x3010, 8, 0x21), 0);
	old = 0x21;
	cr_assert_eq(guest_memory_cmpxchg(&mem, 0x3010, 8, &old, 0x61), 0);
	cr_assert_eq(guest_memory_read(&mem, 0x3010, 8, &val), 0);
	cr_assert_eq(val, 0x61);

	old = 0x21;
	cr_assert_eq(guest_memory_cmpxchg(&mem, 0x3010, 8, &old, 0x99), 1);
	cr_assert_eq(old, 0x61, "the current value is returned");
	cr_assert_eq(guest_memory_read(&mem, 0x3010, 8, &val), 0);
	cr_assert_eq(val, 0x61, "nothing stored");

	cr_assert_eq(guest_memory_write(&mem, 0x3020, 4, 0x7), 0);
	old = 0x7;
	cr_assert_eq(guest_memory_cmpxchg(&mem, 0x3020, 4, &old, 0x27), 0);
	cr_assert_eq(guest_memory_read(&mem, 0x3020, 8, &val), 0);
	cr_assert_eq(val, 0x27, "4 bytes stored, the next 4 untouched");
	guest_memory_destroy(&mem);
	host_memory_destroy(host);
}

Test(guest_memory, many_pages_stay_distinct)
{
	struct host_memory *host = host_memory_create();
	struct guest_memory mem;
	u64 i, val;

	cr_assert_eq(guest_memory_init(&mem, host), 0);
	/* Enough pages to grow the table and to evict the lookup cache. */
	for (i = 0; i < 3000; i++)
		cr_assert_eq(guest_memory_write(&mem, (i * 0x11) << PAGE_SHIFT,
						8, i),
			     0);
	for (i = 0; i < 3000; i++) {
		cr_assert_eq(guest_memory_read(&mem, (i * 0x11) << PAGE_SHIFT,
					       8, &val),
			     0);
		cr_assert_eq(val, i);
	}
	cr_assert_eq(host_memory_nr_pages(host), 3000);
	guest_memory_destroy(&mem);
	host_memory_destroy(host);
}

/* xorshift64: the tests' fixed pseudo-random sequence. */
static u64 next_random(u64 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * Backing pieces of memory in a random order, with overlaps, single pages
 * and contiguous runs, gives each page the HPA that backing it alone, in
 * order, would: the next host frame for each unbacked page from the lowest
 * GFN up (an aligned run first skips to its alignment).  Enough unjoinable
 * pieces fill the ranges table, so pages also go to the hash table.
 */
Test(guest_memory, ranges_give_the_hpas_of_page_by_page_backing)
{
	enum { NR_GFNS = 16384, NR_PIECES = 6000 };
	static u64 ref[NR_GFNS];
	u64 seed;

	for (seed = 1; seed <= 4; seed++) {
		struct host_memory *host = host_memory_create();
		u64 x = seed * 0x9e3779b97f4a7c15ULL, next_hpa, gfn, i, val;
		struct guest_memory mem;

		cr_assert_eq(guest_memory_init(&mem, host), 0);
		next_hpa = HOST_MEMORY_FIRST_PFN << PAGE_SHIFT;
		for (gfn = 0; gfn < NR_GFNS; gfn++)
			ref[gfn] = INVALID_HPA;
		for (i = 0; i < NR_PIECES; i++) {
			u64 kind = next_random(&x) % 8;
			u64 nr = kind < 5 ? 1 : 1 + next_random(&x) % 64;
			u64 first = next_random(&x) % (NR_GFNS - nr);
			bool free_run = true;

			if (kind == 7) {
				/* A 16-page aligned run where nothing is backed. */
				first &= ~15ULL;
				nr = 16;
				for (gfn = first; gfn < first + nr; gfn++)
					free_run &= ref[gfn] == INVALID_HPA;
				if (!free_run)
					continue;
				cr_assert_eq(guest_memory_back_contiguous(
						     &mem, gfn_to_gpa(first),
						     nr << PAGE_SHIFT,
						     16 << PAGE_SHIFT),
					     0);
				next_hpa = (next_hpa + (16 << PAGE_SHIFT) - 1) &
					   ~((16ULL << PAGE_SHIFT) - 1);
			} else {
				cr_assert_eq(guest_memory_back(
						     &mem, gfn_to_gpa(first),
						     nr << PAGE_SHIFT),
					     0);
			}
			for (gfn = first; gfn < first + nr; gfn++) {
				if (ref[gfn] != INVALID_HPA)
					continue;
				ref[gfn] = next_hpa;
				next_hpa += PAGE_SIZE;
			}
			/* Contents survive later backing around them. */
			cr_assert_eq(guest_memory_write(&mem, gfn_to_gpa(first),
							8, first),
				     0);
		}
		for (gfn = 0; gfn < NR_GFNS; gfn++) {
			cr_assert_eq(guest_memory_gpa_to_hpa(
					     &mem, gfn_to_gpa(gfn) + 8),
				     ref[gfn] == INVALID_HPA ? INVALID_HPA :
							       ref[gfn] + 8,
				     "seed %llu gfn 0x%llx",
				     (unsigned long long)seed,
				     (unsigned long long)gfn);
			if (ref[gfn] != INVALID_HPA) {
				cr_assert_eq(guest_memory_read(&mem,
							       gfn_to_gpa(gfn),
							       8, &val),
					     0);
				cr_assert(val == 0 || val == gfn);
			}
		}
		cr_assert_gt(mem.nr_hashed, 0, "the hash table took pages");
		guest_memory_destroy(&mem);
		host_memory_destroy(host);
	}
}

Test(walker_api, fault_names)
{
	cr_assert_str_eq(walk_fault_name(WALK_FAULT_PF), "#PF");
	cr_assert_str_eq(walk_fault_name(WALK_FAULT_GP), "#GP");
	cr_assert_not_null(walk_fault_name(WALK_FAULT_EPT_VIOLATION));
	cr_assert_not_null(walk_fault_name(WALK_FAULT_EPT_MISCONFIG));
	cr_assert_not_null(walk_fault_name(WALK_FAULT_NPF));
	cr_assert_not_null(walk_fault_name(WALK_FAULT_NONE));
}

Test(host_memory, aligned_allocation_is_contiguous_and_skips_frames)
{
	struct host_memory *host = host_memory_create();
	u64 first, huge, i;

	cr_assert_not_null(host);
	first = host_memory_alloc_page(host);
	cr_assert_eq(first, HOST_MEMORY_FIRST_PFN << PAGE_SHIFT);
	/* 512 pages aligned to 2M: the frames up to the boundary stay unused. */
	huge = host_memory_alloc_pages(host, 512, 512);
	cr_assert_eq(huge & ((512ULL << PAGE_SHIFT) - 1), 0);
	cr_assert_gt(huge, first);
	cr_assert_null(host_memory_page(host, first + PAGE_SIZE));
	for (i = 0; i < 512; i++)
		cr_assert_not_null(
			host_memory_page(host, huge + i * PAGE_SIZE));
	cr_assert_eq(host_memory_alloc_pages(host, 0, 1), INVALID_HPA);
	cr_assert_eq(host_memory_alloc_pages(host, 1, 3), INVALID_HPA);
	host_memory_destroy(host);
}

/*
 * Runs of frames that start and end inside bitmap words, fill whole ones
 * and skip frames for an alignment: exactly their frames are allocated.
 */
Test(host_memory, runs_allocate_exactly_their_frames)
{
	static const struct {
		u64 nr, align;
	} runs[] = { { 1, 1 }, { 70, 64 }, { 130, 1 }, { 1, 128 },
		     { 3, 1 }, { 64, 64 }, { 1, 1 },   { 200, 2 } };
	struct host_memory *host = host_memory_create();
	const u64 base = HOST_MEMORY_FIRST_PFN << PAGE_SHIFT;
	/* A bitmap word's frames past the last run's end. */
	const u64 past = 64;
	bool want[1024] = { false };
	u64 hpa, end = 0, i, k;

	cr_assert_not_null(host);
	for (k = 0; k < ARRAY_SIZE(runs); k++) {
		cr_assert_eq(host_memory_alloc(host, runs[k].nr, runs[k].align,
					       &hpa),
			     0);
		cr_assert_eq((hpa >> PAGE_SHIFT) % runs[k].align, 0);
		for (i = 0; i < runs[k].nr; i++)
			want[((hpa - base) >> PAGE_SHIFT) + i] = true;
		end = ((hpa - base) >> PAGE_SHIFT) + runs[k].nr;
	}
	cr_assert_lt(end + past, ARRAY_SIZE(want));
	for (i = 0; i < end + past; i++)
		cr_assert_eq(host_memory_is_allocated(host,
						      base + i * PAGE_SIZE),
			     want[i], "frame %llu", (unsigned long long)i);
	host_memory_destroy(host);
}

/* Peak RSS of this process, in KiB. */
static long peak_rss_kib(void)
{
	struct rusage ru;

	cr_assert_eq(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

/*
 * 1 GiB of host pages costs no RSS until written, each written page 4 KiB
 * and a few bytes, and every page reads as zero, across the boundaries of
 * the arenas the pages come from.
 */
Test(host_memory, pages_cost_rss_only_once_written)
{
	const u64 nr = 1ULL << (30 - PAGE_SHIFT), written = 4096;
	struct host_memory *host = host_memory_create();
	long before = peak_rss_kib();
	u64 first, i;

	cr_assert_not_null(host);
	first = host_memory_alloc_pages(host, nr, 1);
	cr_assert_neq(first, INVALID_HPA);
	for (i = 0; i < nr; i += nr / written) {
		u64 *page = host_memory_page(host, first + i * PAGE_SIZE);

		cr_assert_not_null(page);
		cr_assert_eq(page[i % (PAGE_SIZE / sizeof(u64))], 0);
		page[0] = i;
	}
	for (i = 0; i < nr; i += nr / written)
		cr_assert_eq(*(u64 *)host_memory_page(host,
						      first + i * PAGE_SIZE),
			     i);
	/* 16 MiB written; allow as much again for the bookkeeping. */
	cr_assert_lt((u64)(peak_rss_kib() - before),
		     2 * written * (PAGE_SIZE / 1024));
	host_memory_destroy(host);
}

/* The OR of every word of the @nr pages from @hpa: 0 when all read as zero. */
static u64 host_pages_or(struct host_memory *host, u64 hpa, u64 nr)
{
	u64 bits = 0, i, w;

	for (i = 0; i < nr; i++) {
		const u64 *page = host_memory_page(host, hpa + i * PAGE_SIZE);

		cr_assert_not_null(page);
		for (w = 0; w < PAGE_SIZE / sizeof(u64); w++)
			bits |= page[w];
	}
	return bits;
}

/*
 * A host made after others were destroyed (their arenas reused) is as a
 * first one: the same HPAs, every page zeroed, above and below 4G, also
 * when more hosts were destroyed than arenas are kept.
 */
Test(host_memory, next_host_gets_same_hpas_and_zeroed_pages)
{
	enum { RUN = 1100, HUGE = 512, HOSTS = 40 };
	struct host_memory *hosts[HOSTS];
	u64 run[2], huge[2], low[2], one[2][HOSTS], i;
	int round, h;

	for (round = 0; round < 2; round++) {
		struct host_memory *host = host_memory_create();

		cr_assert_not_null(host);
		run[round] = host_memory_alloc_pages(host, RUN, 1);
		huge[round] = host_memory_alloc_pages(host, HUGE, HUGE);
		low[round] = host_memory_alloc_page_below_4g(host);
		cr_assert_neq(run[round], INVALID_HPA);
		cr_assert_neq(huge[round], INVALID_HPA);
		cr_assert_neq(low[round], INVALID_HPA);
		cr_assert_eq(host_pages_or(host, run[round], RUN), 0);
		cr_assert_eq(host_pages_or(host, huge[round], HUGE), 0);
		cr_assert_eq(host_pages_or(host, low[round], 1), 0);
		for (i = 0; i < RUN; i++)
			((u64 *)host_memory_page(
				host, run[round] + i * PAGE_SIZE))[i % 512] =
				~0ULL;
		for (i = 0; i < HUGE; i += 7)
			memset(host_memory_page(host,
						huge[round] + i * PAGE_SIZE),
			       0xa5, PAGE_SIZE);
		*(u64 *)host_memory_page(host, low[round]) = 1;
		host_memory_destroy(host);
	}
	cr_assert_eq(run[0], run[1]);
	cr_assert_eq(huge[0], huge[1]);
	cr_assert_eq(low[0], low[1]);

	for (round = 0; round < 2; round++) {
		for (h = 0; h < HOSTS; h++) {
			hosts[h] = host_memory_create();
			cr_assert_not_null(hosts[h]);
			one[round][h] = host_memory_alloc_page(hosts[h]);
			cr_assert_eq(host_pages_or(hosts[h], one[round][h], 1),
				     0, "round %d host %d", round, h);
			((u64 *)host_memory_page(hosts[h], one[round][h]))[h] =
				h + 1;
		}
		for (h = 0; h < HOSTS; h++)
			host_memory_destroy(hosts[h]);
	}
	for (h = 0; h < HOSTS; h++)
		cr_assert_eq(one[0][h], one[1][h]);
}

Test(host_memory, limit_refuses_what_would_pass_it)
{
	struct host_memory *host = host_memory_create();
	struct guest_memory mem;
	u64 hpa;

	cr_assert_not_null(host);
	cr_assert_eq(guest_memory_init(&mem, host), 0);
	host_memory_set_limit(host, 10);
	cr_assert_eq(host_memory_limit(host), 10);
	cr_assert_eq(guest_memory_back(&mem, 0, 8 * PAGE_SIZE), 0);
	cr_assert_eq(host_memory_pages_left(host), 2);
	/* 4 pages do not fit in 2: none is backed. */
	cr_assert_eq(guest_memory_back(&mem, 0x100000, 4 * PAGE_SIZE), -EDQUOT);
	cr_assert_not(guest_memory_is_backed(&mem, 0x100000));
	cr_assert_eq(host_memory_nr_pages(host), 8);
	/* Pages backed already count once. */
	cr_assert_eq(guest_memory_back(&mem, 0, 10 * PAGE_SIZE), 0);
	cr_assert_eq(host_memory_pages_left(host), 0);
	cr_assert_eq(host_memory_alloc_page(host), INVALID_HPA);
	cr_assert_eq(host_memory_alloc_page_below_4g(host), INVALID_HPA);
	cr_assert_eq(host_memory_alloc(host, 1, 1, &hpa), -EDQUOT);
	cr_assert_eq(guest_memory_write(&mem, 0x200000, 8, 1), -EDQUOT);
	/* 2^40 pages fail at once, without a page-by-page loop. */
	cr_assert_eq(guest_memory_back(&mem, 0, 0xfffffffff000), -EDQUOT);
	/* A limit below what is out already leaves no room. */
	host_memory_set_limit(host, 4);
	cr_assert_eq(host_memory_pages_left(host), 0);
	guest_memory_destroy(&mem);
	host_memory_destroy(host);
}

Test(host_memory, page_below_4g_has_a_32_bit_hpa_and_a_host_view)
{
	struct host_memory *host = host_memory_create();
	struct guest_memory view;
	u64 low, next, high, val;

	cr_assert_not_null(host);
	cr_assert_eq(guest_memory_init_host_view(&view, host), 0);
	low = host_memory_alloc_page_below_4g(host);
	cr_assert_eq(low, HOST_MEMORY_LOW_FIRST_PFN << PAGE_SHIFT);
	cr_assert_lt(low, 1ULL << 32);
	next = host_memory_alloc_page_below_4g(host);
	cr_assert_eq(next, low + PAGE_SIZE);
	/* The frames above 4G are numbered as if the low ones did not exist. */
	high = host_memory_alloc_page(host);
	cr_assert_eq(high, HOST_MEMORY_FIRST_PFN << PAGE_SHIFT);
	cr_assert_eq(host_memory_nr_pages(host), 3);
	cr_assert_null(host_memory_page(host, next + PAGE_SIZE));
	cr_assert_null(host_memory_page(host, 0));

	/* The CPU reads it at its HPA like any host page. */
	*(u64 *)host_memory_page(host, next) = 0x1234;
	cr_assert_eq(guest_memory_read(&view, next, 8, &val), 0);
	cr_assert_eq(val, 0x1234);
	cr_assert_eq(guest_memory_gpa_to_hpa(&view, next + 8), next + 8);
	guest_memory_destroy(&view);
	host_memory_destroy(host);
}

Test(guest_memory, contiguous_backing_keeps_gpa_and_hpa_congruent)
{
	struct host_memory *host = host_memory_create();
	struct guest_memory mem;
	u64 base, i;

	cr_assert_eq(guest_memory_init(&mem, host), 0);
	cr_assert_eq(guest_memory_back(&mem, 0x1000, PAGE_SIZE), 0);
	cr_assert_eq(guest_memory_back_contiguous(&mem, 0x200000, 0x200000,
						  0x200000),
		     0);
	base = guest_memory_gpa_to_hpa(&mem, 0x200000);
	cr_assert_eq(base & 0x1fffff, 0);
	for (i = 0; i < 512; i++)
		cr_assert_eq(guest_memory_gpa_to_hpa(
				     &mem, 0x200000 + i * PAGE_SIZE + 8),
			     base + i * PAGE_SIZE + 8);
	/* Already backed, unaligned, or not a power of two. */
	cr_assert_eq(guest_memory_back_contiguous(&mem, 0x200000, PAGE_SIZE,
						  PAGE_SIZE),
		     -EEXIST);
	cr_assert_eq(guest_memory_back_contiguous(&mem, 0x5000, 0x800,
						  PAGE_SIZE),
		     -EINVAL);
	cr_assert_eq(guest_memory_back_contiguous(&mem, 0x600000, PAGE_SIZE,
						  3 * PAGE_SIZE),
		     -EINVAL);
	guest_memory_destroy(&mem);
	host_memory_destroy(host);
}

/*
 * A contiguous backing whose range has any page backed, first, inner or
 * last, in a range of pages or hashed (past the ranges' table), fails
 * with -EEXIST and allocates no host page.
 */
Test(guest_memory, contiguous_backing_refuses_any_page_backed_in_its_range)
{
	/* 2M apart, more than the ranges' table holds, so the last hash. */
	const u64 stride = 0x200000, nr_apart = 1100;
	struct host_memory *host = host_memory_create();
	struct guest_memory mem;
	u64 pages, i;

	cr_assert_eq(guest_memory_init(&mem, host), 0);
	for (i = 0; i < nr_apart; i++)
		cr_assert_eq(guest_memory_back(&mem, i * stride, PAGE_SIZE), 0);
	cr_assert(mem.nr_hashed);
	pages = host_memory_nr_pages(host);
	/* One page in a range, one hashed. */
	for (i = 1; i < nr_apart; i += nr_apart - 2) {
		u64 backed = i * stride;

		/* @backed first, inner and last in a range of 4 pages. */
		cr_assert_eq(guest_memory_back_contiguous(
				     &mem, backed, 4 * PAGE_SIZE, PAGE_SIZE),
			     -EEXIST, "gpa %#llx", (unsigned long long)backed);
		cr_assert_eq(guest_memory_back_contiguous(
				     &mem, backed - 2 * PAGE_SIZE,
				     4 * PAGE_SIZE, PAGE_SIZE),
			     -EEXIST, "gpa %#llx", (unsigned long long)backed);
		cr_assert_eq(guest_memory_back_contiguous(
				     &mem, backed - 3 * PAGE_SIZE,
				     4 * PAGE_SIZE, PAGE_SIZE),
			     -EEXIST, "gpa %#llx", (unsigned long long)backed);
	}
	cr_assert_eq(host_memory_nr_pages(host), pages);
	/* Between them, the same range backs. */
	cr_assert_eq(guest_memory_back_contiguous(&mem, stride + PAGE_SIZE,
						  4 * PAGE_SIZE, PAGE_SIZE),
		     0);
	guest_memory_destroy(&mem);
	host_memory_destroy(host);
}

Test(guest_memory, map_page_shows_an_existing_host_page)
{
	struct host_memory *host = host_memory_create();
	struct guest_memory mem, view;
	u64 hpa, val;

	cr_assert_eq(guest_memory_init(&mem, host), 0);
	cr_assert_eq(guest_memory_init(&view, host), 0);
	cr_assert_eq(guest_memory_write(&mem, 0x3000, 8, 0x1234), 0);
	hpa = guest_memory_gpa_to_hpa(&mem, 0x3000);
	/* The host view maps the same page at its HPA: one page, two names. */
	cr_assert_eq(guest_memory_map_page(&view, hpa, hpa), 0);
	cr_assert_eq(guest_memory_read(&view, hpa, 8, &val), 0);
	cr_assert_eq(val, 0x1234);
	cr_assert_eq(guest_memory_write(&view, hpa + 8, 8, 0x5678), 0);
	cr_assert_eq(guest_memory_read(&mem, 0x3008, 8, &val), 0);
	cr_assert_eq(val, 0x5678);
	cr_assert_eq(guest_memory_map_page(&view, hpa, hpa), -EEXIST);
	cr_assert_eq(guest_memory_map_page(&view, 0x9000, 0x9000), -EINVAL);
	guest_memory_destroy(&view);
	guest_memory_destroy(&mem);
	host_memory_destroy(host);
}

Test(guest_memory, host_view_shows_every_host_page_at_its_hpa)
{
	struct host_memory *host = host_memory_create();
	struct guest_memory mem, view;
	u64 hpa, later, val;

	cr_assert_eq(guest_memory_init(&mem, host), 0);
	cr_assert_eq(guest_memory_init_host_view(&view, host), 0);
	cr_assert_eq(guest_memory_write(&mem, 0x7000, 8, 0xabcd), 0);
	hpa = guest_memory_gpa_to_hpa(&mem, 0x7000);
	cr_assert_eq(guest_memory_gpa_to_hpa(&view, hpa + 8), hpa + 8);
	cr_assert_eq(guest_memory_read(&view, hpa, 8, &val), 0);
	cr_assert_eq(val, 0xabcd);
	/* Pages allocated after the view was made are in it too. */
	later = host_memory_alloc_page(host);
	cr_assert_eq(guest_memory_write(&view, later, 8, 0x42), 0);
	/* Nothing that is not a host page; nothing to back or map. */
	cr_assert_eq(guest_memory_read(&view, 0x1000, 8, &val), -EFAULT);
	cr_assert_eq(guest_memory_back(&view, 0x1000, PAGE_SIZE), -EINVAL);
	cr_assert_eq(guest_memory_map_page(&view, later, later), -EINVAL);
	guest_memory_destroy(&view);
	guest_memory_destroy(&mem);
	host_memory_destroy(host);
}
