/*
 * An L2 on nested TDP: shadow_mmu shadows L1's EPT or NPT and the CPU walks
 * L2's tables over the shadow.  Whatever faults the CPU's walk takes on the
 * way, mmu_guest_access() must end where the 2D walk of L2's tables over
 * L1's EPT/NPT ends (gva_walk over ngpa_walk): the same translation, or
 * the same exit to L1 with the same exit qualification or exit_info_1.
 *
 * The cases: fetches under L1's EPT with MBEC, where a user-mode linear
 * address needs XU and a supervisor-mode one X, and which one it is comes
 * from L2's U/S bits, not from the CPL; and faults on L2's own page tables,
 * which L1 must see as paging-structure accesses.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <string.h>

#include "mmu/mmu.h"

#define TEST_MAXPHYADDR 46

/*
 * L1's memory: one 4M slot at GPA 0 on 2M host pages.  L1's EPT/NPT
 * tables and L2's tables (at nGPA == GPA) come from two pools; L2's data
 * page is nGPA NGPA_DATA, which L1 maps to DATA_GPA.
 */
#define RAM_PAGES 0x400ULL
#define L1_TABLES_GPA 0x100000ULL
#define L2_TABLES_GPA 0x180000ULL
#define L2_TABLES_END 0x200000ULL
#define DATA_GPA 0x200000ULL
#define NGPA_DATA 0x80000000ULL
#define GVA 0x40201000ULL

#define EPT_MT_WB (MTRR_TYPE_WRBACK << EPT_MT_SHIFT)
#define EPT_R EPT_READABLE_MASK
#define EPT_W EPT_WRITABLE_MASK
#define EPT_X EPT_EXECUTABLE_MASK
#define EPT_XU EPT_USER_EXECUTABLE_MASK

#define L2_NONLEAF \
	(PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK | PT_ACCESSED_MASK)

struct nested_env {
	struct host_memory *host;
	struct guest_memory mem;
	struct mmu_context *mmu;
	/* L2's CR3 tables over ngpa_walk, L1's EPT or NPT. */
	struct kvm_pagewalk gva_walk;
	struct kvm_pagewalk ngpa_walk;
	struct cpu_features cpu;
	bool ept;
	bool mbec;
	u64 l2_root;
	u64 next_l1_table;
	u64 next_l2_table;
};

static u64 rd64(struct nested_env *e, u64 gpa)
{
	u64 val;

	cr_assert_eq(guest_memory_read(&e->mem, gpa, 8, &val), 0);
	return val;
}

static void wr64(struct nested_env *e, u64 gpa, u64 val)
{
	cr_assert_eq(guest_memory_write(&e->mem, gpa, 8, val), 0);
}

static u64 alloc_table(u64 *next, u64 end)
{
	u64 gpa = *next;

	cr_assert_lt(gpa, end, "table pool exhausted");
	*next += PAGE_SIZE;
	return gpa;
}

/* Every right, for L1's upper entries and for L2's tables. */
static u64 l1_all_rights(const struct nested_env *e)
{
	if (!e->ept)
		return PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK;
	return EPT_R | EPT_W | EPT_X | (e->mbec ? EPT_XU : 0);
}

/*
 * L1 maps @ngpa to @gpa with a 4K leaf of @prot (memory type WB added for
 * EPT), replacing any leaf there; upper entries grant every right.
 */
static void l1_map(struct nested_env *e, u64 ngpa, u64 gpa, u64 prot)
{
	u64 table = e->ngpa_walk.root & PT_BASE_ADDR_MASK;
	u64 pte_gpa, pte;
	int level;

	for (level = PT64_ROOT_4LEVEL; level > PG_LEVEL_4K; level--) {
		pte_gpa = table + pt_index(ngpa, level) * 8;
		pte = rd64(e, pte_gpa);
		if (!pte) {
			pte = alloc_table(&e->next_l1_table, L2_TABLES_GPA) |
			      l1_all_rights(e);
			wr64(e, pte_gpa, pte);
		}
		table = pte & PT_BASE_ADDR_MASK;
	}
	wr64(e, table + pt_index(ngpa, PG_LEVEL_4K) * 8,
	     gpa | prot | (e->ept ? EPT_MT_WB : 0));
}

/* A table of L2's, which L1 maps at nGPA == GPA with every right. */
static u64 alloc_l2_table(struct nested_env *e)
{
	u64 gpa = alloc_table(&e->next_l2_table, L2_TABLES_END);

	l1_map(e, gpa, gpa, l1_all_rights(e));
	return gpa;
}

/*
 * An MMU on an EPT (or NPT) host and an L2 with 4-level paging (CR0.WP,
 * EFER.NX, no SMEP: supervisor fetches from user pages are L1's to
 * allow) over L1's 4-level EPT with A/D and @mbec, or NPT.  Map with
 * l1_map() and l2_map(), then env_load().
 */
static void env_create_with(struct nested_env *e, bool ept, bool mbec,
			    bool execonly)
{
	struct mmu_config cfg = {
		.kind = MMU_TDP,
		.host = {
			.ept = ept,
			.maxphyaddr = TEST_MAXPHYADDR,
			.gbpages = true,
			.max_huge_page_level = PG_LEVEL_1G,
		},
		.ad_enabled = true,
		.mmio_caching = true,
		.max_huge_page_level = PG_LEVEL_1G,
	};
	struct cpu_role role;
	u64 l1_root;

	memset(e, 0, sizeof(*e));
	e->ept = ept;
	e->mbec = mbec;
	e->cpu = (struct cpu_features){
		.amd = !ept,
		.gbpages = true,
		.maxphyaddr = TEST_MAXPHYADDR,
	};
	e->host = host_memory_create();
	cr_assert_not_null(e->host);
	cr_assert_eq(guest_memory_init(&e->mem, e->host), 0);
	cr_assert_eq(mmu_create(&e->mmu, &cfg, &e->mem, e->host), 0);
	cr_assert_eq(mmu_add_memslot(e->mmu, 0, RAM_PAGES, 0, PG_LEVEL_2M), 0);
	e->next_l1_table = L1_TABLES_GPA;
	e->next_l2_table = L2_TABLES_GPA;

	l1_root = alloc_table(&e->next_l1_table, L2_TABLES_GPA);
	if (ept) {
		u64 eptp = l1_root | (3ULL << EPTP_PWL_SHIFT) |
			   EPTP_AD_ENABLE_MASK | MTRR_TYPE_WRBACK;

		cr_assert_eq(cpu_role_for_ept(&role, eptp, execonly, mbec,
					      PG_LEVEL_1G, TEST_MAXPHYADDR),
			     0);
		cr_assert_eq(kvm_pagewalk_init(&e->ngpa_walk, &role, eptp,
					       &e->mem, NULL),
			     0);
	} else {
		cr_assert_eq(cpu_role_for_npt(&role, X86_CR4_PAE,
					      EFER_LME | EFER_LMA | EFER_NX,
					      false, &e->cpu),
			     0);
		cr_assert_eq(kvm_pagewalk_init(&e->ngpa_walk, &role, l1_root,
					       &e->mem, NULL),
			     0);
	}
	e->l2_root = alloc_l2_table(e);
}

static void env_create(struct nested_env *e, bool ept, bool mbec)
{
	env_create_with(e, ept, mbec, false);
}

/* L2 loads CR3: the tables written so far are the ones it runs on. */
static void env_load(struct nested_env *e)
{
	struct cpu_role role;

	cr_assert_eq(cpu_role_from_regs(&role,
					X86_CR0_PE | X86_CR0_PG | X86_CR0_WP,
					X86_CR4_PAE,
					EFER_LME | EFER_LMA | EFER_NX, &e->cpu),
		     0);
	cr_assert_eq(kvm_pagewalk_init(&e->gva_walk, &role, e->l2_root, &e->mem,
				       &e->ngpa_walk),
		     0);
	cr_assert_eq(mmu_reset_context(e->mmu, &e->gva_walk), 0);
}

static void env_destroy(struct nested_env *e)
{
	mmu_destroy(e->mmu);
	guest_memory_destroy(&e->mem);
	host_memory_destroy(e->host);
}

/*
 * L2 maps @gva to @ngpa with a 4K leaf of @flags; upper entries are
 * present, writable, user and accessed.
 */
static void l2_map(struct nested_env *e, u64 gva, u64 ngpa, u64 flags)
{
	u64 table = e->l2_root;
	u64 pte_gpa, pte;
	int level;

	for (level = PT64_ROOT_4LEVEL; level > PG_LEVEL_4K; level--) {
		pte_gpa = table + pt_index(gva, level) * 8;
		pte = rd64(e, pte_gpa);
		if (!pte) {
			pte = alloc_l2_table(e) | L2_NONLEAF;
			wr64(e, pte_gpa, pte);
		}
		table = pte & PT_BASE_ADDR_MASK;
	}
	wr64(e, table + pt_index(gva, PG_LEVEL_4K) * 8, ngpa | flags);
}

/* The nGPA of L2's table at @level on the way to @gva. */
static u64 l2_table_of(struct nested_env *e, u64 gva, int level)
{
	u64 table = e->l2_root;
	int l;

	for (l = PT64_ROOT_4LEVEL; l > level; l--)
		table = rd64(e, table + pt_index(gva, l) * 8) &
			PT_BASE_ADDR_MASK;
	return table;
}

/*
 * @gva's access through the MMU and through the 2D walk: both must
 * translate to the same HPA or exit to L1 (or fault in L2) alike.
 * Returns mmu_guest_access()'s result, its fault in *@fault.
 */
static int access_both(struct nested_env *e, u64 gva, u64 pfec,
		       struct walk_fault *fault)
{
	struct walk_access a = { .pfec = pfec };
	struct walk_record mrec, rrec;
	struct walk_fault rf;
	int mr, rr;

	mr = mmu_guest_access(e->mmu, gva, &a, fault, &mrec);
	rr = gva_walk_translate(&e->gva_walk, gva, &a, &rf, &rrec);
	cr_assert_geq(mr, 0, "pfec %#" PRIx64 ": mmu_guest_access() = %d", pfec,
		      mr);
	cr_assert_eq(mr, rr,
		     "pfec %#" PRIx64 ": the MMU %s, the 2D walk %s (%s)", pfec,
		     mr ? "faults" : "translates", rr ? "faults" : "translates",
		     rr ? walk_fault_name(rf.kind) : "-");
	if (!rr) {
		cr_assert_eq(mrec.hpa, rrec.hpa);
		cr_assert_eq(mrec.hpa,
			     guest_memory_gpa_to_hpa(&e->mem, rrec.gpa));
		return 0;
	}
	cr_assert_eq(fault->kind, rf.kind, "pfec %#" PRIx64 ": %s vs %s", pfec,
		     walk_fault_name(fault->kind), walk_fault_name(rf.kind));
	cr_assert_eq(fault->nested, rf.nested);
	cr_assert_eq(fault->address, rf.address);
	cr_assert_eq(fault->gva, rf.gva);
	cr_assert_eq(fault->exit_qualification, rf.exit_qualification,
		     "pfec %#" PRIx64 ": qualification: the MMU %#" PRIx64
		     ", the 2D walk %#" PRIx64,
		     pfec, fault->exit_qualification, rf.exit_qualification);
	/* The PFEC of an EPT exit is KVM's own; NPF reports it to L1. */
	if (rf.kind == WALK_FAULT_NPF)
		cr_assert_eq(fault->error_code, rf.error_code,
			     "exit_info_1: the MMU %#" PRIx64
			     ", the 2D walk %#" PRIx64,
			     fault->error_code, rf.error_code);
	return 1;
}

/*
 * One fetch under L1's EPT: L2's page at GVA is a user page if
 * @user_page, L1 maps it readable plus @ept_exec (X and/or XU).
 */
static int mbec_fetch(bool mbec, bool user_page, u64 ept_exec, bool cpl3,
		      struct walk_fault *fault)
{
	struct nested_env e;
	int r;

	env_create(&e, true, mbec);
	l1_map(&e, NGPA_DATA, DATA_GPA, EPT_R | ept_exec);
	l2_map(&e, GVA, NGPA_DATA,
	       PT_PRESENT_MASK | PT_ACCESSED_MASK |
		       (user_page ? PT_USER_MASK : 0));
	env_load(&e);
	r = access_both(&e, GVA,
			PFERR_FETCH_MASK | (cpl3 ? PFERR_USER_MASK : 0), fault);
	env_destroy(&e);
	return r;
}

/* An EPT violation of a final fetch, rights R plus @ept_exec. */
static u64 fetch_violation_qual(u64 ept_exec)
{
	return EPT_VIOLATION_ACC_INSTR | EPT_VIOLATION_PROT_READ |
	       ((ept_exec & EPT_X) ? EPT_VIOLATION_PROT_EXEC : 0) |
	       ((ept_exec & EPT_XU) ? EPT_VIOLATION_PROT_USER_EXEC : 0) |
	       EPT_VIOLATION_GVA_IS_VALID | EPT_VIOLATION_GVA_TRANSLATED;
}

static void assert_fetch_violation(const struct walk_fault *f, u64 ept_exec)
{
	cr_assert_eq(f->kind, WALK_FAULT_EPT_VIOLATION);
	cr_assert_eq(f->address, NGPA_DATA);
	cr_assert_eq(f->gva, GVA);
	/* L1 is not told that L0's CPU reports the user-mode bit. */
	cr_assert_eq(f->exit_qualification, fetch_violation_qual(ept_exec),
		     "qualification %#" PRIx64 ", expected %#" PRIx64,
		     f->exit_qualification, fetch_violation_qual(ept_exec));
}

/* Regression: fuzz_mmu/mbec-user-fetch-loops (a fault loop, -E2BIG). */
Test(mmu_nested, mbec_user_fetch_without_xu_is_an_ept_violation)
{
	struct walk_fault f;

	cr_assert_eq(mbec_fetch(true, true, EPT_X, true, &f), 1);
	assert_fetch_violation(&f, EPT_X);
}

Test(mmu_nested, mbec_user_fetch_with_xu_and_without_x_is_allowed)
{
	struct walk_fault f;

	cr_assert_eq(mbec_fetch(true, true, EPT_XU, true, &f), 0);
}

Test(mmu_nested, mbec_supervisor_fetch_without_x_is_an_ept_violation)
{
	struct walk_fault f;

	cr_assert_eq(mbec_fetch(true, false, EPT_XU, false, &f), 1);
	assert_fetch_violation(&f, EPT_XU);
}

Test(mmu_nested, mbec_supervisor_fetch_with_x_and_without_xu_is_allowed)
{
	struct walk_fault f;

	cr_assert_eq(mbec_fetch(true, false, EPT_X, false, &f), 0);
}

/*
 * A CPL-0 fetch from a user page (allowed without SMEP) is a fetch from a
 * user-mode linear address: MBEC asks for XU, not X.
 */
Test(mmu_nested, mbec_cpl0_fetch_from_a_user_page_needs_xu)
{
	struct walk_fault f;

	cr_assert_eq(mbec_fetch(true, true, EPT_X, false, &f), 1);
	assert_fetch_violation(&f, EPT_X);
	cr_assert_eq(mbec_fetch(true, true, EPT_XU, false, &f), 0);
}

/* MBEC, L2's U/S, CPL 3, X and XU: one bit each. */
#define NR_FETCH_CASES BIT(5)

/*
 * Every combination of MBEC, L2's U/S bit, CPL 3 or 0, X and XU: the
 * MMU's outcome is the 2D walk's (access_both()), and it is the one the
 * SDM gives.  A user access to a supervisor page is L2's #PF; otherwise
 * with MBEC a user-mode address needs XU and a supervisor-mode one X,
 * and without MBEC every fetch needs X.
 */
Test(mmu_nested, mbec_fetch_outcomes_match_the_2d_walk)
{
	unsigned int i;

	for (i = 0; i < NR_FETCH_CASES; i++) {
		bool mbec = i & BIT(0), user_page = i & BIT(1),
		     cpl3 = i & BIT(2);
		u64 ept_exec = ((i & BIT(3)) ? EPT_X : 0) |
			       ((i & BIT(4)) ? EPT_XU : 0);
		u64 need = mbec && user_page ? EPT_XU : EPT_X;
		struct walk_fault f;
		int r = mbec_fetch(mbec, user_page, ept_exec, cpl3, &f);

		if (cpl3 && !user_page) {
			cr_assert_eq(r, 1);
			cr_assert_eq(f.kind, WALK_FAULT_PF);
			continue;
		}
		cr_assert_eq(r, !(ept_exec & need),
			     "MBEC %d, %s page, CPL %d, L1's X/XU %#" PRIx64
			     ": the fetch %s",
			     mbec, user_page ? "user" : "supervisor",
			     cpl3 ? 3 : 0, ept_exec,
			     r ? "faults" : "is allowed");
		/* Without MBEC there is no bit 6 to report. */
		if (r)
			assert_fetch_violation(&f, mbec ? ept_exec :
							  ept_exec & EPT_X);
	}
}

/*
 * The CPU's exit (L0's, not L1's) carries the user-mode bit of the linear
 * address, bit 9, which the dispatcher turns into PFERR_USER_MASK.
 */
Test(mmu_nested, hardware_ept_violation_reports_a_user_mode_linear_address)
{
	struct walk_access read = { .pfec = 0 };
	struct walk_access fetch = { .pfec = PFERR_FETCH_MASK };
	struct walk_record rec;
	struct nested_env e;
	struct walk_fault f;
	int i;

	for (i = 0; i < 2; i++) {
		bool user_page = i;

		env_create(&e, true, true);
		/* The other execute right than the page needs. */
		l1_map(&e, NGPA_DATA, DATA_GPA,
		       EPT_R | (user_page ? EPT_X : EPT_XU));
		l2_map(&e, GVA, NGPA_DATA,
		       PT_PRESENT_MASK | PT_ACCESSED_MASK |
			       (user_page ? PT_USER_MASK : 0));
		env_load(&e);
		/* A read maps L2's tables and the page in the shadow EPT. */
		cr_assert_eq(mmu_guest_access(e.mmu, GVA, &read, &f, &rec), 0);

		cr_assert_eq(mmu_hardware_walk(e.mmu, GVA, &fetch, &f, &rec),
			     1);
		cr_assert_eq(f.kind, WALK_FAULT_EPT_VIOLATION);
		cr_assert(f.exit_qualification & EPT_VIOLATION_GVA_TRANSLATED);
		cr_assert_eq(!!(f.exit_qualification & EPT_VIOLATION_GVA_USER),
			     user_page, "qualification %#" PRIx64,
			     f.exit_qualification);
		env_destroy(&e);
	}
}

/*
 * L2's walk writes its page table (NPT checks every table access as a
 * write; EPT with A/D does too) and L1 maps that table read-only: the
 * exit reaches L1 as a paging-structure access.  Regression:
 * fuzz_mmu/nested-npf-on-table-access-reported-as-final, where shadow_mmu
 * re-walked L1's tables for a final access (NPF bit 32, EPT bit 8).
 */
static int table_access_fault(bool ept, struct walk_fault *f, u64 *table)
{
	struct nested_env e;
	int r;

	env_create(&e, ept, false);
	l1_map(&e, NGPA_DATA, DATA_GPA, l1_all_rights(&e));
	/* Not accessed: the walk must set A in L2's PTE. */
	l2_map(&e, GVA, NGPA_DATA,
	       PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK);
	*table = l2_table_of(&e, GVA, PG_LEVEL_4K);
	l1_map(&e, *table, *table,
	       ept ? EPT_R | EPT_X : PT_PRESENT_MASK | PT_USER_MASK);
	env_load(&e);
	r = access_both(&e, GVA, PFERR_USER_MASK, f);
	env_destroy(&e);
	return r;
}

Test(mmu_nested, npf_on_l2_table_access_reports_a_guest_page_table_fault)
{
	struct walk_fault f;
	u64 table;

	cr_assert_eq(table_access_fault(false, &f, &table), 1);
	cr_assert_eq(f.kind, WALK_FAULT_NPF);
	cr_assert_eq(f.address & PT_BASE_ADDR_MASK, table);
	cr_assert_eq(f.gva, GVA);
	cr_assert_eq(f.error_code,
		     PFERR_GUEST_PAGE_MASK | PFERR_USER_MASK |
			     PFERR_WRITE_MASK | PFERR_PRESENT_MASK,
		     "exit_info_1 %#" PRIx64, f.error_code);
}

Test(mmu_nested, ept_violation_on_l2_table_access_reports_a_table_access)
{
	struct walk_fault f;
	u64 table;

	cr_assert_eq(table_access_fault(true, &f, &table), 1);
	cr_assert_eq(f.kind, WALK_FAULT_EPT_VIOLATION);
	cr_assert_eq(f.address & PT_BASE_ADDR_MASK, table);
	cr_assert_eq(f.gva, GVA);
	/* A paging-structure access: the read bit too, and no bit 8. */
	cr_assert_eq(f.exit_qualification,
		     EPT_VIOLATION_ACC_READ | EPT_VIOLATION_ACC_WRITE |
			     EPT_VIOLATION_PROT_READ | EPT_VIOLATION_PROT_EXEC |
			     EPT_VIOLATION_GVA_IS_VALID,
		     "qualification %#" PRIx64, f.exit_qualification);
}

/*
 * L1 maps L2's page, exec-only, to a GPA without a memslot: the MMU
 * caches an MMIO SPTE there.  A new memslot makes its generation old, and
 * the CPU's next access through it is an EPT misconfiguration, which
 * reports no access.  KVM re-walks L1's EPT as a read then (the exit's
 * PFERR_RSVD_MASK alone), and L1, which does not allow reads, would get
 * an EPT violation for a read: for a write the CPU reports as a write,
 * and for a fetch L1 allows.  mmusim passes the access on; L1 sees what
 * the CPU gives (docs/mmu.md).  Found by fuzz_mmu.
 */
#define MMIO_GPA 0x10000000ULL

static int access_after_stale_mmio_spte(u64 pfec, struct walk_fault *fault)
{
	struct walk_fault f;
	struct nested_env e;
	int r;

	env_create_with(&e, true, false, true);
	l1_map(&e, NGPA_DATA, MMIO_GPA, EPT_X);
	l2_map(&e, GVA, NGPA_DATA,
	       PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_ACCESSED_MASK |
		       PT_DIRTY_MASK);
	env_load(&e);
	cr_assert_eq(access_both(&e, GVA, PFERR_FETCH_MASK, &f), 0);
	cr_assert_eq(mmu_get_stats(e.mmu)->pf_mmio_spte_created, 1);
	cr_assert_eq(mmu_add_memslot(e.mmu, gpa_to_gfn(MMIO_GPA) + 0x1000, 1, 0,
				     PG_LEVEL_4K),
		     0);
	r = access_both(&e, GVA, pfec, fault);
	env_destroy(&e);
	return r;
}

Test(mmu_nested, write_through_a_stale_mmio_spte_exits_to_l1_as_a_write)
{
	struct walk_fault f;

	cr_assert_eq(access_after_stale_mmio_spte(PFERR_WRITE_MASK, &f), 1);
	cr_assert_eq(f.kind, WALK_FAULT_EPT_VIOLATION);
	cr_assert_eq(f.exit_qualification &
			     (EPT_VIOLATION_ACC_READ | EPT_VIOLATION_ACC_WRITE |
			      EPT_VIOLATION_ACC_INSTR),
		     EPT_VIOLATION_ACC_WRITE, "qualification %#" PRIx64,
		     f.exit_qualification);
}

Test(mmu_nested, fetch_through_a_stale_mmio_spte_of_an_exec_only_page_runs)
{
	struct walk_fault f;

	cr_assert_eq(access_after_stale_mmio_spte(PFERR_FETCH_MASK, &f), 0);
}
