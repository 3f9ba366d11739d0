/*
 * A legacy-mode guest changes paging mode with paging on (CR4.PAE
 * cleared or set with CR0.PG=1, which the SDM allows outside IA-32e
 * mode) or through paging off: each change resets the MMU's context
 * (KVM's kvm_mmu_reset_context()), and after it the MMU translates and
 * faults as the guest's own walk (gva_walk_translate()) does, under
 * tdp_mmu and shadow_mmu alike.
 *
 * One set of guest tables at CR3 serves both readings:
 *  - PAE: PDPTE 0 -> PD at PAE_PD; PDE 0 -> PT at PAE_PT; PTE 5 maps
 *    GVA_4K to GPA_PAE_DATA.
 *  - 2-level: PDE 0 is PDPTE 0's low half (P only: a PDPTE has no W
 *    or U), so its PT is at PAE_PD, whose 4-byte PTE 5 is the low half of
 *    a non-present PAE PDE: GVA_4K faults.  PDE 9, past the PDPT's 32
 *    bytes, maps GVA_2LEVEL_4K through the PT at PT32 to GPA_2LEVEL_DATA;
 *    PDE 8 maps GVA_4M to GPA_4M as a 4M page with CR4.PSE, and points
 *    to an empty PT at GPA_4M without it.
 *  - PAE: GVA_2LEVEL_4K and GVA_4M fall in non-present PDEs of PAE_PD.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "mmu/tdp_mmu.h"

#define TEST_MAXPHYADDR 46
#define RAM_PAGES 0x800ULL /* 8M */
#define CR3_GPA 0x1000ULL
#define PAE_PD 0x3000ULL
#define PAE_PT 0x4000ULL
#define GPA_PAE_DATA 0x10000ULL
#define GPA_2LEVEL_DATA 0x11000ULL
#define GPA_4M 0x400000ULL
#define GVA_4K 0x5000ULL
#define GVA_4M 0x2000000ULL
#define PDE32_4M_INDEX (GVA_4M >> 22)
#define PT32 0x5000ULL
#define GVA_2LEVEL_4K (0x2400000ULL + GVA_4K)
#define PDE32_4K_INDEX (GVA_2LEVEL_4K >> 22)
#define PAGE_OFFSET_IN_4M 0x5000ULL

#define TABLE_FLAGS \
	(PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK | PT_ACCESSED_MASK)
#define LEAF_FLAGS (TABLE_FLAGS | PT_DIRTY_MASK)

static_assert(PDE32_4M_INDEX * 4 >= 4 * 8 && PDE32_4K_INDEX * 4 >= 4 * 8,
	      "the 2-level PDEs lie past the PAE PDPT");

/* A paging mode as the guest's registers give it. */
struct guest_mode {
	const char *name;
	u64 cr0, cr4;
};

static const struct guest_mode mode_pae = {
	"PAE", X86_CR0_PE | X86_CR0_PG | X86_CR0_WP, X86_CR4_PAE
};
static const struct guest_mode mode_2level = {
	"2-level", X86_CR0_PE | X86_CR0_PG | X86_CR0_WP, 0
};
static const struct guest_mode mode_2level_pse = {
	"2-level with PSE", X86_CR0_PE | X86_CR0_PG | X86_CR0_WP, X86_CR4_PSE
};
static const struct guest_mode mode_pae_paging_off = {
	"paging off (CR4.PAE set)", X86_CR0_PE, X86_CR4_PAE
};

struct env {
	enum mmu_kind kind;
	struct host_memory *host;
	struct guest_memory mem;
	struct mmu_context *mmu;
	struct kvm_pagewalk gva_walk;
	struct cpu_features cpu;
	const struct guest_mode *mode;
};

static const char *kind_name(enum mmu_kind kind)
{
	return kind == MMU_TDP ? "tdp_mmu" : "shadow_mmu";
}

static void wr(struct env *e, u64 gpa, u64 val, int bytes)
{
	cr_assert_eq(guest_memory_write(&e->mem, gpa, bytes, val), 0);
}

static void env_setup(struct env *e, enum mmu_kind kind)
{
	struct mmu_config cfg = {
		.kind = kind,
		.host = {
			.ept = true,
			.maxphyaddr = TEST_MAXPHYADDR,
			.gbpages = true,
			.max_huge_page_level = PG_LEVEL_1G,
		},
		.ad_enabled = true,
		.mmio_caching = true,
		.max_huge_page_level = PG_LEVEL_1G,
	};

	*e = (struct env){ .kind = kind };
	e->cpu = (struct cpu_features){ .gbpages = true,
					.maxphyaddr = TEST_MAXPHYADDR };
	e->host = host_memory_create();
	cr_assert_not_null(e->host);
	cr_assert_eq(guest_memory_init(&e->mem, e->host), 0);
	cr_assert_eq(mmu_create(&e->mmu, &cfg, &e->mem, e->host), 0);
	cr_assert_eq(mmu_add_memslot(e->mmu, 0, RAM_PAGES, 0, PG_LEVEL_2M), 0);

	/* Written before the MMU shadows anything: no write to trap. */
	wr(e, CR3_GPA, PAE_PD | PT_PRESENT_MASK, 8);
	wr(e, PAE_PD, PAE_PT | TABLE_FLAGS, 8);
	wr(e, PAE_PT + (GVA_4K >> PAGE_SHIFT) * 8, GPA_PAE_DATA | LEAF_FLAGS,
	   8);
	wr(e, CR3_GPA + PDE32_4K_INDEX * 4, PT32 | TABLE_FLAGS, 4);
	wr(e, PT32 + ((GVA_2LEVEL_4K >> PAGE_SHIFT) & 1023) * 4,
	   GPA_2LEVEL_DATA | LEAF_FLAGS, 4);
	wr(e, CR3_GPA + PDE32_4M_INDEX * 4,
	   GPA_4M | PT_PAGE_SIZE_MASK | LEAF_FLAGS, 4);
}

static void env_destroy(struct env *e)
{
	mmu_destroy(e->mmu);
	guest_memory_destroy(&e->mem);
	host_memory_destroy(e->host);
}

/* The guest's registers become @mode's: a context reset of the MMU. */
static void set_mode(struct env *e, const struct guest_mode *mode)
{
	struct walk_fault fault;
	struct cpu_role role;

	e->mode = mode;
	cr_assert_eq(
		cpu_role_from_regs(&role, mode->cr0, mode->cr4, 0, &e->cpu), 0);
	cr_assert_eq(kvm_pagewalk_init(&e->gva_walk, &role, CR3_GPA, &e->mem,
				       NULL),
		     0);
	if (role.level == PT32E_ROOT_LEVEL)
		cr_assert_eq(kvm_pagewalk_load_pdptrs(&e->gva_walk, &fault), 0);
	cr_assert_eq(mmu_reset_context(e->mmu, &e->gva_walk), 0,
		     "%s: reset to %s", kind_name(e->kind), mode->name);
}

/*
 * @gva accessed through the MMU and by the guest's walk: the same fault,
 * or the same host page.  Returns the walk's result, its GPA in @gpa.
 */
static int access_both(struct env *e, u64 gva, u64 pfec, u64 *gpa)
{
	struct walk_access access = { .pfec = pfec };
	struct walk_fault mf, rf;
	struct walk_record mrec, rrec;
	int mr, rr;

	mr = mmu_guest_access(e->mmu, gva, &access, &mf, &mrec);
	rr = gva_walk_translate(&e->gva_walk, gva, &access, &rf, &rrec);
	cr_assert_geq(mr, 0, "%s %s gva %#" PRIx64 ": mmu error %d",
		      kind_name(e->kind), e->mode->name, gva, mr);
	cr_assert_eq(mr, rr,
		     "%s %s gva %#" PRIx64 " pfec %#" PRIx64
		     ": mmu %d, guest walk %d",
		     kind_name(e->kind), e->mode->name, gva, pfec, mr, rr);
	if (rr) {
		cr_assert_eq(mf.kind, rf.kind);
		cr_assert_eq(mf.error_code, rf.error_code,
			     "%s %s gva %#" PRIx64 ": ec mmu %#" PRIx64
			     ", guest walk %#" PRIx64,
			     kind_name(e->kind), e->mode->name, gva,
			     mf.error_code, rf.error_code);
		cr_assert_eq(mf.address, rf.address);
		return rr;
	}
	cr_assert_eq(mrec.hpa, rrec.hpa,
		     "%s %s gva %#" PRIx64 ": mmu hpa %#" PRIx64
		     ", guest walk hpa %#" PRIx64,
		     kind_name(e->kind), e->mode->name, gva, mrec.hpa,
		     rrec.hpa);
	*gpa = rrec.gpa;
	return rr;
}

/* Read and write @gva: both succeed at @want_gpa, or both fault. */
static void check_gva(struct env *e, u64 gva, u64 want_gpa)
{
	static const u64 pfecs[] = { 0, PFERR_WRITE_MASK,
				     PFERR_USER_MASK | PFERR_WRITE_MASK };
	unsigned int i;
	u64 gpa;

	for (i = 0; i < ARRAY_SIZE(pfecs); i++) {
		int r = access_both(e, gva, pfecs[i], &gpa);

		cr_assert_eq(r, want_gpa == INVALID_GPA ? 1 : 0,
			     "%s %s gva %#" PRIx64 ": guest walk %d",
			     kind_name(e->kind), e->mode->name, gva, r);
		if (!r)
			cr_assert_eq(gpa, want_gpa);
	}
}

/* What the tables map in @mode, checked through the MMU. */
static void check_mode(struct env *e)
{
	const struct guest_mode *m = e->mode;
	bool paging = m->cr0 & X86_CR0_PG;
	bool pae = m->cr4 & X86_CR4_PAE;

	if (!paging) {
		check_gva(e, GVA_4K, GVA_4K);
		return;
	}
	check_gva(e, GVA_4K, pae ? GPA_PAE_DATA : INVALID_GPA);
	check_gva(e, GVA_2LEVEL_4K, pae ? INVALID_GPA : GPA_2LEVEL_DATA);
	check_gva(e, GVA_4M + PAGE_OFFSET_IN_4M,
		  !pae && (m->cr4 & X86_CR4_PSE) ? GPA_4M + PAGE_OFFSET_IN_4M :
						   INVALID_GPA);
}

/* Under each MMU: the guest goes through @modes in turn. */
static void run_modes(const struct guest_mode *const *modes, unsigned int nr)
{
	static const enum mmu_kind kinds[] = { MMU_TDP, MMU_SHADOW };
	unsigned int k, i;

	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct env e;

		env_setup(&e, kinds[k]);
		for (i = 0; i < nr; i++) {
			set_mode(&e, modes[i]);
			check_mode(&e);
		}
		env_destroy(&e);
	}
}

/*
 * Regression (fuzz_readers, shadow-pae-to-2level-pse): turning CR4.PSE
 * on zaps a 2-level guest's shadow pages, and that zap reloaded the PAE
 * root of the previous mode with no guest walk set (a NULL mmu->w).
 */
Test(mmu_mode_change, pae_guest_clearing_cr4_pae_with_pse_matches_guest_walk)
{
	const struct guest_mode *modes[] = { &mode_pae, &mode_2level_pse };

	run_modes(modes, ARRAY_SIZE(modes));
}

Test(mmu_mode_change, pae_guest_clearing_cr4_pae_matches_guest_walk)
{
	const struct guest_mode *modes[] = { &mode_pae, &mode_2level,
					     &mode_2level_pse };

	run_modes(modes, ARRAY_SIZE(modes));
}

Test(mmu_mode_change, two_level_guest_setting_cr4_pae_matches_guest_walk)
{
	const struct guest_mode *modes[] = { &mode_2level, &mode_pae,
					     &mode_2level_pse, &mode_pae };

	run_modes(modes, ARRAY_SIZE(modes));
}

Test(mmu_mode_change, paging_off_between_pae_and_2level_matches_guest_walk)
{
	const struct guest_mode *modes[] = { &mode_pae, &mode_pae_paging_off,
					     &mode_2level_pse,
					     &mode_pae_paging_off, &mode_pae };

	run_modes(modes, ARRAY_SIZE(modes));
}

/*
 * Regression (fuzz_readers, `mmusim run --mmu=shadow --keep-going` on a
 * PAE guest given a nested stage): a context the MMU refuses kept the
 * previous mode's root loaded with no guest walk (a NULL mmu->w), and
 * the next trapped write to a shadowed table reloaded that PAE root
 * through it.  A nested NPT stage on an EPT host is refused by both MMUs:
 * tdp_mmu shadows only L1 tables of its own kind, shadow_mmu none.
 */
Test(mmu_mode_change, refused_context_leaves_no_root_until_next_reset)
{
	/* Enough for KVM's write-flooding rule (three) and then some. */
	enum { MAX_PD_WRITES = 8 };
	static const enum mmu_kind kinds[] = { MMU_TDP, MMU_SHADOW };
	struct kvm_pagewalk npt_walk, l2_walk;
	struct walk_access read = { 0 };
	struct walk_fault fault;
	struct walk_record rec;
	struct cpu_role role;
	unsigned int k, i;
	u64 gpa;

	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct env e;

		env_setup(&e, kinds[k]);
		set_mode(&e, &mode_pae);
		check_mode(&e);

		cr_assert_eq(cpu_role_for_npt(&role, X86_CR4_PAE,
					      EFER_LME | EFER_LMA | EFER_NX,
					      false, &e.cpu),
			     0);
		cr_assert_eq(kvm_pagewalk_init(&npt_walk, &role, CR3_GPA,
					       &e.mem, NULL),
			     0);
		cr_assert_eq(cpu_role_from_regs(&role, mode_pae.cr0,
						mode_pae.cr4, 0, &e.cpu),
			     0);
		cr_assert_eq(kvm_pagewalk_init(&l2_walk, &role, CR3_GPA, &e.mem,
					       &npt_walk),
			     0);
		cr_assert_eq(mmu_reset_context(e.mmu, &l2_walk), -EOPNOTSUPP,
			     "%s", kind_name(e.kind));

		/*
		 * The guest rewrites its PD's entry for GVA_4K's table, often
		 * enough that shadow_mmu takes the PD as no longer a table
		 * (write flooding) and zaps it: the PAE root above it is
		 * obsolete, the case that reloaded it.
		 */
		for (i = 0;
		     i < MAX_PD_WRITES && !mmu_get_stats(e.mmu)->mmu_flooded;
		     i++) {
			wr(&e, PAE_PD, PAE_PT | TABLE_FLAGS, 8);
			cr_assert_eq(mmu_guest_write(e.mmu, PAE_PD,
						     PAE_PT | TABLE_FLAGS, 8),
				     0, "%s", kind_name(e.kind));
		}
		cr_assert_eq(mmu_get_stats(e.mmu)->mmu_flooded,
			     e.kind == MMU_SHADOW, "%s", kind_name(e.kind));
		cr_assert_eq(
			mmu_guest_access(e.mmu, GVA_4K, &read, &fault, &rec),
			-EINVAL, "%s: access with no root", kind_name(e.kind));

		set_mode(&e, &mode_pae);
		check_mode(&e);
		cr_assert_eq(access_both(&e, GVA_4K, 0, &gpa), 0);
		cr_assert_eq(gpa, GPA_PAE_DATA);
		env_destroy(&e);
	}
}

/* What a hardware walker was set up with, as kvm_pagewalk_init() left it. */
struct hw_walker_setup {
	struct cpu_role role;
	struct kvm_page_format fmt;
	u64 root;
	u64 pdptrs[4];
	bool pdptrs_valid;
	struct guest_memory *mem;
	struct kvm_pagewalk *nested;
	bool ept_advanced_exit_info;
	int (*translate_gpa)(struct kvm_pagewalk *w, u64 addr,
			     const struct walk_access *access,
			     struct walk_fault *fault,
			     struct walk_translation *out);
};

static struct hw_walker_setup hw_walker_setup(const struct kvm_pagewalk *w)
{
	struct hw_walker_setup s;

	memset(&s, 0, sizeof(s));
	s.role = w->role;
	s.fmt = w->fmt;
	s.root = w->root;
	memcpy(s.pdptrs, w->pdptrs, sizeof(s.pdptrs));
	s.pdptrs_valid = w->pdptrs_valid;
	s.mem = w->mem;
	s.nested = w->nested;
	s.ept_advanced_exit_info = w->ept_advanced_exit_info;
	s.translate_gpa = w->translate_gpa;
	return s;
}

static void check_hw_walker_setup(const struct env *e, const char *walker,
				  const struct hw_walker_setup *fresh,
				  const struct kvm_pagewalk *w)
{
	struct hw_walker_setup kept = hw_walker_setup(w);

	cr_assert(!memcmp(&kept.role, &fresh->role, sizeof(kept.role)),
		  "%s %s: %s role", kind_name(e->kind), e->mode->name, walker);
	cr_assert(!memcmp(&kept.fmt, &fresh->fmt, sizeof(kept.fmt)),
		  "%s %s: %s format", kind_name(e->kind), e->mode->name,
		  walker);
	cr_assert_eq(kept.root, fresh->root, "%s %s: %s root",
		     kind_name(e->kind), e->mode->name, walker);
	cr_assert(!memcmp(kept.pdptrs, fresh->pdptrs, sizeof(kept.pdptrs)),
		  "%s %s: %s PDPTRs", kind_name(e->kind), e->mode->name,
		  walker);
	cr_assert_eq(kept.pdptrs_valid, fresh->pdptrs_valid);
	cr_assert_eq(kept.mem, fresh->mem);
	cr_assert_eq(kept.nested, fresh->nested);
	cr_assert_eq(kept.ept_advanced_exit_info,
		     fresh->ept_advanced_exit_info);
	cr_assert_eq(kept.translate_gpa, fresh->translate_gpa,
		     "%s %s: %s walk bound", kind_name(e->kind), e->mode->name,
		     walker);
}

/*
 * A CR load that leaves the MMU's walk of its tables as it was (the same
 * mode again, as a MOV to CR3 of the same value) may keep the hardware
 * walkers (mmu/fault.c): they are then what a fresh kvm_pagewalk_init()
 * made of the same mode, after walks that filled their table caches, and
 * the MMU still translates as the guest's walk does.
 */
Test(mmu_mode_change, same_mode_again_sets_up_hardware_walks_as_fresh)
{
	static const enum mmu_kind kinds[] = { MMU_TDP, MMU_SHADOW };
	const struct guest_mode *modes[] = { &mode_pae, &mode_2level,
					     &mode_2level_pse,
					     &mode_pae_paging_off, &mode_pae };
	unsigned int k, i;

	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct env e;

		env_setup(&e, kinds[k]);
		for (i = 0; i < ARRAY_SIZE(modes); i++) {
			struct hw_walker_setup gva, stage;

			/* A new mode: a walker of a new role, set up afresh. */
			set_mode(&e, modes[i]);
			gva = hw_walker_setup(&e.mmu->hw_gva);
			stage = hw_walker_setup(&e.mmu->hw_stage);
			check_mode(&e);

			set_mode(&e, modes[i]);
			check_hw_walker_setup(&e, "hw_gva", &gva,
					      &e.mmu->hw_gva);
			if (kinds[k] == MMU_TDP)
				check_hw_walker_setup(&e, "hw_stage", &stage,
						      &e.mmu->hw_stage);
			check_mode(&e);
		}
		env_destroy(&e);
	}
}
