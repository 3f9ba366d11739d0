/*
 * shadow_mmu as KVM's: the shadow pages a fault builds for the guest's
 * tables (checked by walking them as the CPU does), guest faults handed
 * back for injection, write protection and unsync of guest tables, sync
 * on a CR3 load and INVLPG, emulated writes and write flooding, the root
 * cache, the (gfn, role) page hash, shadowing L1's EPT, the page events
 * KVM traces, and what is not supported.  Every test ends by checking
 * every shadow page: SPTEs valid in the SPTE format, links matching
 * parent_ptes, and no writable SPTE over a gfn that holds a synced
 * shadowed guest table.
 *
 * The tests reach shadow_mmu's internals (mmu/mmu_internal.h) through
 * mmu/shadow_mmu.h, the header under test, and load the MMU with the
 * dispatcher's mmu_reset_context().
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "mmu/shadow_mmu.h"

#define TEST_MAXPHYADDR 46

/*
 * Guest memory: one 16M slot at GPA 0 on 2M host pages (4K where a test
 * says so).  Guest page tables come from the pool at TABLE_GPA (a 2M
 * frame of its own, so that shadowing them forbids huge pages only
 * there); data pages live at DATA_GPA; HUGE_GPA is a 2M guest page with
 * no table inside.
 * MMIO_GPA has no memslot.
 */
#define RAM_PAGES 0x1000ULL
#define TABLE_GPA 0x200000ULL
#define DATA_GPA 0x400000ULL
#define HUGE_GPA 0x600000ULL
#define MMIO_GPA 0x10000000ULL

#define P PT_PRESENT_MASK
#define W PT_WRITABLE_MASK
#define U PT_USER_MASK
#define A PT_ACCESSED_MASK
#define D PT_DIRTY_MASK
#define NONLEAF (P | W | U | A)

/* GVAs of the tests, each in a PT of its own unless said otherwise. */
#define GVA_DATA 0x10000000ULL
#define GVA_HUGE 0x20000000ULL
#define GVA_UNMAPPED 0x30000000ULL

struct shadow_env {
	struct host_memory *host;
	struct guest_memory mem;
	struct mmu_context *mmu;
	struct kvm_pagewalk gva_walk;
	struct kvm_pagewalk ngpa_walk;
	u64 cr0;
	u64 cr3;
	u64 next_table;
};

static const struct cpu_features test_cpu = {
	.amd = true,
	.gbpages = true,
	.maxphyaddr = TEST_MAXPHYADDR,
};

static u64 rd64(struct shadow_env *e, u64 gpa)
{
	u64 val;

	cr_assert_eq(guest_memory_read(&e->mem, gpa, 8, &val), 0);
	return val;
}

static void wr64(struct shadow_env *e, u64 gpa, u64 val)
{
	cr_assert_eq(guest_memory_write(&e->mem, gpa, 8, val), 0);
}

static u64 alloc_table(struct shadow_env *e)
{
	u64 gpa = e->next_table;

	e->next_table += PAGE_SIZE;
	cr_assert_lt(e->next_table, DATA_GPA, "table pool exhausted");
	return gpa;
}

/* The MMU of most tests: A/D, MMIO caching, huge pages up to 1G. */
static struct mmu_config env_config(enum mmu_kind kind, bool ept)
{
	return (struct mmu_config){
		.kind = kind,
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
}

/*
 * The MMU of @cfg and its RAM slot, on host pages of up to @host_level:
 * 2M host pages are backed when the slot is added, 4K ones by the first
 * fault on each (mmu_faultin_pfn()).
 */
static void env_create_with(struct shadow_env *e, const struct mmu_config *cfg,
			    int host_level)
{
	memset(e, 0, sizeof(*e));
	e->host = host_memory_create();
	cr_assert_not_null(e->host);
	cr_assert_eq(guest_memory_init(&e->mem, e->host), 0);
	cr_assert_eq(mmu_create(&e->mmu, cfg, &e->mem, e->host), 0);
	cr_assert_eq(mmu_add_memslot(e->mmu, 0, RAM_PAGES, 0, host_level), 0);
	e->next_table = TABLE_GPA;
}

static void env_create_on(struct shadow_env *e, enum mmu_kind kind, bool ept,
			  int host_level)
{
	struct mmu_config cfg = env_config(kind, ept);

	env_create_with(e, &cfg, host_level);
}

static void env_create(struct shadow_env *e, enum mmu_kind kind, bool ept)
{
	env_create_on(e, kind, ept, PG_LEVEL_2M);
}

/* Load CR3 (and CR0) as the vCPU does: mmu_reset_context(). */
static int env_load_cr3(struct shadow_env *e, u64 cr3)
{
	bool paging = e->cr0 & X86_CR0_PG;
	struct cpu_role role;
	int r;

	cr_assert_eq(cpu_role_from_regs(&role, e->cr0, paging ? X86_CR4_PAE : 0,
					paging ? EFER_LME | EFER_LMA | EFER_NX :
						 0,
					&test_cpu),
		     0);
	cr_assert_eq(kvm_pagewalk_init(&e->gva_walk, &role, cr3, &e->mem, NULL),
		     0);
	e->cr3 = cr3;
	r = mmu_reset_context(e->mmu, &e->gva_walk);
	if (!r)
		cr_assert_eq(e->mmu->root.sp->gfn, gpa_to_gfn(cr3));
	return r;
}

/* A 4-level guest with CR0.WP and EFER.NX and an empty PML4. */
static void env_setup(struct shadow_env *e)
{
	env_create(e, MMU_SHADOW, false);
	e->cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	cr_assert_eq(env_load_cr3(e, alloc_table(e)), 0);
}

static void env_destroy(struct shadow_env *e)
{
	mmu_destroy(e->mmu);
	guest_memory_destroy(&e->mem);
	host_memory_destroy(e->host);
}

/*
 * Map @gva to @gpa under the root table @root with a leaf at @level with
 * @flags (PS added for a huge leaf); upper entries are NONLEAF, tables
 * from the pool.  Returns the GPA of the leaf entry.
 */
static u64 map_in(struct shadow_env *e, u64 root, u64 gva, u64 gpa, int level,
		  u64 flags)
{
	u64 table = root, pte_gpa, pte;
	int l;

	for (l = PT64_ROOT_4LEVEL; l > level; l--) {
		pte_gpa = table + pt_index(gva, l) * 8;
		pte = rd64(e, pte_gpa);
		if (!(pte & P)) {
			pte = alloc_table(e) | NONLEAF;
			wr64(e, pte_gpa, pte);
		}
		table = pte & PT_BASE_ADDR_MASK;
	}
	pte_gpa = table + pt_index(gva, level) * 8;
	wr64(e, pte_gpa,
	     gpa | flags | (level > PG_LEVEL_4K ? PT_PAGE_SIZE_MASK : 0));
	return pte_gpa;
}

static u64 map(struct shadow_env *e, u64 gva, u64 gpa, int level, u64 flags)
{
	return map_in(e, e->cr3, gva, gpa, level, flags);
}

/* The GPA of the table at @level on the path to @gva (level 4: CR3). */
static u64 table_of(struct shadow_env *e, u64 gva, int level)
{
	u64 table = e->cr3;
	int l;

	for (l = PT64_ROOT_4LEVEL; l > level; l--)
		table = rd64(e, table + pt_index(gva, l) * 8) &
			PT_BASE_ADDR_MASK;
	return table;
}

/*
 * The CPU's walk of the shadow tables: 4-level paging from the root's
 * HPA in host memory, WP and NX on, as the dispatcher's hardware walk.
 */
static int hw_walk(struct shadow_env *e, u64 gva, u64 pfec,
		   struct walk_fault *fault, struct walk_record *rec)
{
	struct walk_access access = { .pfec = pfec };
	struct kvm_pagewalk hw;
	struct cpu_role role;

	cr_assert_eq(
		cpu_role_from_regs(&role, X86_CR0_PE | X86_CR0_PG | X86_CR0_WP,
				   X86_CR4_PAE, EFER_LME | EFER_LMA | EFER_NX,
				   &test_cpu),
		0);
	cr_assert_eq(kvm_pagewalk_init(&hw, &role, e->mmu->root.sp->hpa,
				       &e->mmu->hpa_view, NULL),
		     0);
	return gva_walk_translate(&hw, gva, &access, fault, rec);
}

/* One fault, as the dispatcher builds it from the CPU's #PF. */
static int fault_at(struct shadow_env *e, u64 addr, u64 pfec,
		    struct kvm_page_fault *pf)
{
	memset(pf, 0, sizeof(*pf));
	pf->addr = addr;
	pf->error_code = pfec;
	pf->max_level = PG_LEVEL_1G;
	pf->req_level = PG_LEVEL_4K;
	pf->goal_level = PG_LEVEL_4K;
	pf->gfn = gpa_to_gfn(addr);
	return shadow_mmu_page_fault(e->mmu, pf);
}

/*
 * Run an access until the CPU's walk of the shadow tables completes it:
 * each #PF goes to shadow_mmu_page_fault() with the CPU's error code.
 * The HPA it lands on, after checking it against the guest's own walk.
 */
static u64 access_ok(struct shadow_env *e, u64 gva, u64 pfec)
{
	struct walk_access access = { .pfec = pfec };
	struct walk_record rec, guest_rec;
	struct kvm_page_fault pf;
	struct walk_fault fault;
	int pass, r;

	for (pass = 0; pass < 4; pass++) {
		r = hw_walk(e, gva, pfec, &fault, &rec);
		cr_assert_geq(r, 0);
		if (!r)
			break;
		cr_assert_eq(fault.kind, WALK_FAULT_PF);
		r = fault_at(e, gva, fault.error_code, &pf);
		cr_assert(r == RET_PF_FIXED || r == RET_PF_SPURIOUS,
			  "gva %#" PRIx64 " pfec %#" PRIx64 ": %s", gva,
			  fault.error_code, ret_pf_name(r));
		cr_assert(!pf.guest_fault);
	}
	cr_assert_eq(r, 0, "gva %#" PRIx64 " still faults", gva);
	cr_assert_eq(gva_walk_translate(&e->gva_walk, gva, &access, &fault,
					&guest_rec),
		     0);
	cr_assert_eq(rec.hpa, guest_rec.hpa,
		     "gva %#" PRIx64 ": shadow %#" PRIx64 ", guest %#" PRIx64,
		     gva, rec.hpa, guest_rec.hpa);
	return rec.hpa;
}

/* The SPTE at @level for @addr under the current root, or nonpresent. */
static u64 *sptep_at(struct shadow_env *e, u64 addr, int level)
{
	struct kvm_mmu_page *sp = e->mmu->root.sp;
	int l;

	for (l = sp->role.level; l > level; l--) {
		u64 spte = sp->spt[pt_index(addr, l)];

		if (!is_shadow_present_pte(spte) || is_last_spte(spte, l))
			return NULL;
		sp = spte_to_child_sp(e->mmu, spte);
		cr_assert_not_null(sp);
	}
	return &sp->spt[pt_index(addr, level)];
}

static struct kvm_mmu_page *sp_at(struct shadow_env *e, u64 addr, int level)
{
	u64 *sptep = sptep_at(e, addr, level);

	return sptep ? sptep_to_sp(e->mmu, sptep) : NULL;
}

static u64 leaf_spte(struct shadow_env *e, u64 addr, int level)
{
	u64 *sptep = sptep_at(e, addr, level);

	cr_assert_not_null(sptep, "no SPTE at level %d for %#" PRIx64, level,
			   addr);
	return *sptep;
}

/* The valid indirect pages shadowing @gfn. */
static unsigned int nr_pages_of_gfn(struct shadow_env *e, u64 gfn)
{
	struct shadow_ptr_list *list = shadow_gfn_pages(e->mmu, gfn);
	unsigned int i, nr = 0;

	for (i = 0; list && i < list->nr; i++)
		nr += !shadow_sp_is_obsolete(e->mmu, list->ptrs[i]);
	return nr;
}

static bool gfn_holds_synced_table(struct shadow_env *e, u64 gfn)
{
	struct shadow_ptr_list *list = shadow_gfn_pages(e->mmu, gfn);
	unsigned int i;

	if (mmu_gfn_is_write_tracked(e->mmu, gfn))
		return true;
	for (i = 0; list && i < list->nr; i++) {
		struct kvm_mmu_page *sp = list->ptrs[i];

		if (!shadow_sp_is_obsolete(e->mmu, sp) && !sp->unsync)
			return true;
	}
	return false;
}

static bool has_parent_pte(const struct kvm_mmu_page *sp, u64 *sptep)
{
	unsigned int i;

	for (i = 0; i < sp->nr_parent_ptes; i++)
		if (sp->parent_ptes[i] == sptep)
			return true;
	return false;
}

/*
 * Every shadow page: valid, SPTEs valid in the SPTE format, links that
 * their child knows as a parent, and no writable leaf over a gfn that
 * holds a synced shadowed guest table or is write-tracked.
 */
static void check_shadow_pages(struct shadow_env *e)
{
	struct mmu_context *mmu = e->mmu;
	struct kvm_mmu_page *sp;
	unsigned int i;
	u64 g;

	for (sp = mmu->active_head; sp; sp = sp->active_next) {
		int level = sp->role.level;

		cr_assert(!sp->role.invalid);
		for (i = 0; i < SPTE_ENT_PER_PAGE; i++) {
			u64 spte = sp->spt[i], gfn;

			if (!is_shadow_present_pte(spte))
				continue;
			cr_assert(!is_rsvd_spte(&mmu->fmt, spte, level),
				  "SPTE %#" PRIx64
				  " at level %d has reserved bits",
				  spte, level);
			if (!is_last_spte(spte, level)) {
				struct kvm_mmu_page *child =
					spte_to_child_sp(mmu, spte);

				cr_assert_not_null(child);
				cr_assert(!child->role.invalid);
				cr_assert(has_parent_pte(child, &sp->spt[i]));
				continue;
			}
			cr_assert(spte_writable_invariants_hold(&mmu->masks,
								spte));
			if (!is_writable_pte(spte))
				continue;
			gfn = shadow_sp_get_gfn(sp, i);
			for (g = gfn; g < gfn + pages_per_hpage(level); g++)
				cr_assert(!gfn_holds_synced_table(e, g),
					  "writable SPTE %#" PRIx64
					  " maps gfn %#" PRIx64
					  ", a shadowed guest table",
					  spte, g);
		}
	}
}

TestSuite(shadow_mmu, .timeout = 60);

Test(shadow_mmu, fault_builds_one_shadow_page_per_guest_table)
{
	struct shadow_env e;
	struct kvm_mmu_page *sp;
	u64 hpa, spte;
	int level;

	env_setup(&e);
	map(&e, GVA_DATA, DATA_GPA, PG_LEVEL_4K, P | W | U);
	cr_assert_eq(e.mmu->stats.sp_created, 1);

	hpa = access_ok(&e, GVA_DATA + 0x123, PFERR_USER_MASK);
	cr_assert_eq(hpa, guest_memory_gpa_to_hpa(&e.mem, DATA_GPA + 0x123));

	/* Root plus one page per guest table below it, each for its gfn. */
	cr_assert_eq(e.mmu->stats.sp_created, 4);
	for (level = PT64_ROOT_4LEVEL; level >= PG_LEVEL_4K; level--) {
		sp = sp_at(&e, GVA_DATA, level);
		cr_assert_not_null(sp);
		cr_assert_eq(sp->gfn,
			     gpa_to_gfn(table_of(&e, GVA_DATA, level)));
		cr_assert_eq(sp->role.level, level);
		cr_assert(!sp->role.direct);
		cr_assert_eq(sp->role.access, ACC_ALL);
		cr_assert_eq(nr_pages_of_gfn(&e, sp->gfn), 1);
	}
	/* Upper tables are write-tracked, the 4K table only write-protected. */
	cr_assert(mmu_gfn_is_write_tracked(
		e.mmu, gpa_to_gfn(table_of(&e, GVA_DATA, PG_LEVEL_2M))));
	cr_assert(!mmu_gfn_is_write_tracked(
		e.mmu, gpa_to_gfn(table_of(&e, GVA_DATA, PG_LEVEL_4K))));
	cr_assert_eq(e.mmu->indirect_shadow_pages, 4);

	/* A read of a clean page maps it read-only, so that D gets set. */
	spte = leaf_spte(&e, GVA_DATA, PG_LEVEL_4K);
	cr_assert(!is_writable_pte(spte));
	cr_assert(spte & PT_USER_MASK);
	hpa = access_ok(&e, GVA_DATA, PFERR_WRITE_MASK | PFERR_USER_MASK);
	spte = leaf_spte(&e, GVA_DATA, PG_LEVEL_4K);
	cr_assert(is_writable_pte(spte));
	cr_assert(rd64(&e,
		       table_of(&e, GVA_DATA, 1) + pt_index(GVA_DATA, 1) * 8) &
		  D);
	/* A second access faults no more. */
	cr_assert_eq(e.mmu->stats.sp_created, 4);
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, child_role_carries_rights_of_upper_guest_entries)
{
	struct shadow_env e;
	struct kvm_mmu_page *sp;
	u64 pdpte_gpa, spte;

	env_setup(&e);
	map(&e, GVA_DATA, DATA_GPA, PG_LEVEL_4K, P | W | U | A | D);
	/* The PDPTE is read-only and supervisor: so is all below it. */
	pdpte_gpa = table_of(&e, GVA_DATA, 3) + pt_index(GVA_DATA, 3) * 8;
	wr64(&e, pdpte_gpa, rd64(&e, pdpte_gpa) & ~(W | U));
	access_ok(&e, GVA_DATA, 0);

	sp = sp_at(&e, GVA_DATA, PG_LEVEL_2M);
	cr_assert_eq(sp->role.access, ACC_READ_MASK | ACC_EXEC_MASK);
	sp = sp_at(&e, GVA_DATA, PG_LEVEL_1G);
	cr_assert_eq(sp->role.access, ACC_ALL);
	spte = leaf_spte(&e, GVA_DATA, PG_LEVEL_4K);
	cr_assert(!is_writable_pte(spte));
	cr_assert(!(spte & PT_USER_MASK));
	cr_assert(!(spte & PT64_NX_MASK));
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, guest_fault_is_handed_back_not_fixed)
{
	struct shadow_env e;
	struct kvm_page_fault pf;
	u64 created;

	env_setup(&e);
	map(&e, GVA_DATA, DATA_GPA, PG_LEVEL_4K, P | U);
	created = e.mmu->stats.sp_created;

	/* Nothing mapped in the guest: #PF, not present. */
	cr_assert_eq(fault_at(&e, GVA_UNMAPPED, PFERR_WRITE_MASK, &pf),
		     RET_PF_RETRY);
	cr_assert(pf.guest_fault);
	cr_assert_eq(pf.injected.kind, WALK_FAULT_PF);
	cr_assert_eq(pf.injected.vector, PF_VECTOR);
	cr_assert_eq(pf.injected.address, GVA_UNMAPPED);
	cr_assert_eq(pf.injected.error_code, PFERR_WRITE_MASK);
	cr_assert_eq(e.mmu->stats.sp_created, created);

	/* A write to a read-only page: P|W|U. */
	cr_assert_eq(fault_at(&e, GVA_DATA, PFERR_WRITE_MASK | PFERR_USER_MASK,
			      &pf),
		     RET_PF_RETRY);
	cr_assert(pf.guest_fault);
	cr_assert_eq(pf.injected.error_code,
		     PFERR_PRESENT_MASK | PFERR_WRITE_MASK | PFERR_USER_MASK);
	/* The walk faulted, so it set no A bit and built nothing. */
	cr_assert_eq(e.mmu->stats.sp_created, created);
	cr_assert_null(sptep_at(&e, GVA_DATA, PG_LEVEL_4K));

	/* A read is fine and maps it. */
	cr_assert_eq(fault_at(&e, GVA_DATA, PFERR_USER_MASK, &pf),
		     RET_PF_FIXED);
	cr_assert(!pf.guest_fault);
	/* The guest's write now faults on the present read-only SPTE. */
	cr_assert_eq(fault_at(&e, GVA_DATA,
			      PFERR_PRESENT_MASK | PFERR_WRITE_MASK |
				      PFERR_USER_MASK,
			      &pf),
		     RET_PF_RETRY);
	cr_assert(pf.guest_fault);
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, guest_huge_page_maps_huge_unless_a_table_is_inside)
{
	struct shadow_env e;
	struct kvm_mmu_page *sp;
	u64 spte, gva;

	env_setup(&e);
	map(&e, GVA_HUGE, HUGE_GPA, PG_LEVEL_2M, P | W | U);
	access_ok(&e, GVA_HUGE + 0x5000, PFERR_USER_MASK);
	spte = leaf_spte(&e, GVA_HUGE, PG_LEVEL_2M);
	cr_assert(is_large_pte(spte));
	cr_assert_eq(spte_to_pfn(spte),
		     guest_memory_gpa_to_hpa(&e.mem, HUGE_GPA) >> PAGE_SHIFT);

	/*
	 * A 2M guest page over the table pool: the frame holds shadowed 4K
	 * tables, so the host maps 4K pages in a direct page.
	 */
	gva = GVA_HUGE + 0x200000;
	map(&e, gva, TABLE_GPA, PG_LEVEL_2M, P | W | U);
	access_ok(&e, gva + 0x3000, PFERR_USER_MASK);
	sp = sp_at(&e, gva, PG_LEVEL_4K);
	cr_assert_not_null(sp);
	cr_assert(sp->role.direct);
	cr_assert_eq(sp->gfn, gpa_to_gfn(TABLE_GPA));
	cr_assert(!is_large_pte(*sptep_at(&e, gva, PG_LEVEL_4K)));

	/* Writing the guest's PML4 through it: write-tracked, emulated. */
	{
		struct kvm_page_fault pf;
		u64 pml4_off = e.cr3 - TABLE_GPA;
		int r;

		r = fault_at(&e, gva + pml4_off,
			     PFERR_WRITE_MASK | PFERR_USER_MASK, &pf);
		cr_assert_eq(r, RET_PF_WRITE_PROTECTED, "%s", ret_pf_name(r));
		cr_assert(!is_writable_pte(
			*sptep_at(&e, gva + pml4_off, PG_LEVEL_4K)));
	}
	check_shadow_pages(&e);
	env_destroy(&e);
}

/*
 * Dirty logging maps a guest's 2M page with a direct page of 4K SPTEs;
 * when it stops, the direct page goes and the next fault maps 2M.  A
 * frame that holds shadowed guest tables keeps its direct page.
 */
Test(shadow_mmu, dirty_logging_off_zaps_collapsible_direct_pages)
{
	u64 gva_tables = GVA_HUGE + 0x200000;
	struct shadow_env e;
	struct kvm_mmu_page *sp;
	u64 spte;

	env_setup(&e);
	map(&e, GVA_HUGE, HUGE_GPA, PG_LEVEL_2M, P | W | U);
	map(&e, gva_tables, TABLE_GPA, PG_LEVEL_2M, P | W | U);
	cr_assert_eq(mmu_set_dirty_logging(e.mmu, 0, true), 0);
	access_ok(&e, GVA_HUGE + 0x3000, PFERR_WRITE_MASK | PFERR_USER_MASK);
	access_ok(&e, gva_tables + 0x3000, PFERR_USER_MASK);
	sp = sp_at(&e, GVA_HUGE, PG_LEVEL_4K);
	cr_assert(sp && sp->role.direct);
	cr_assert(sp_at(&e, gva_tables, PG_LEVEL_4K)->role.direct);

	cr_assert_eq(mmu_set_dirty_logging(e.mmu, 0, false), 0);
	check_shadow_pages(&e);
	cr_assert_null(sp_at(&e, GVA_HUGE, PG_LEVEL_4K));
	sp = sp_at(&e, gva_tables, PG_LEVEL_4K);
	cr_assert(sp && sp->role.direct);
	cr_assert_eq(sp->gfn, gpa_to_gfn(TABLE_GPA));

	access_ok(&e, GVA_HUGE + 0x5000, PFERR_USER_MASK);
	spte = leaf_spte(&e, GVA_HUGE, PG_LEVEL_2M);
	cr_assert(is_large_pte(spte));
	cr_assert_eq(spte_to_pfn(spte),
		     guest_memory_gpa_to_hpa(&e.mem, HUGE_GPA) >> PAGE_SHIFT);
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, write_to_upper_guest_table_is_write_protected)
{
	struct shadow_env e;
	struct kvm_page_fault pf;
	u64 pd_gpa, gva_pd = 0x40000000ULL;

	env_setup(&e);
	map(&e, GVA_DATA, DATA_GPA, PG_LEVEL_4K, P | W | U | A | D);
	access_ok(&e, GVA_DATA, 0);
	pd_gpa = table_of(&e, GVA_DATA, PG_LEVEL_2M);
	map(&e, gva_pd, pd_gpa, PG_LEVEL_4K, P | W | U | A | D);

	/* Not present yet: mapped read-only, the write still emulated. */
	cr_assert_eq(fault_at(&e, gva_pd, PFERR_WRITE_MASK, &pf),
		     RET_PF_WRITE_PROTECTED);
	cr_assert(!is_writable_pte(leaf_spte(&e, gva_pd, PG_LEVEL_4K)));
	/* Present: the page-track check answers before any mapping. */
	cr_assert_eq(fault_at(&e, gva_pd, PFERR_PRESENT_MASK | PFERR_WRITE_MASK,
			      &pf),
		     RET_PF_WRITE_PROTECTED);
	cr_assert_eq(e.mmu->stats.mmu_unsync, 0);
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, write_to_leaf_guest_table_unsyncs_it)
{
	struct shadow_env e;
	struct kvm_mmu_page *pt_sp, *pd_sp;
	struct kvm_page_fault pf;
	u64 pt_gpa, gva_pt = 0x40000000ULL;

	env_setup(&e);
	map(&e, GVA_DATA, DATA_GPA, PG_LEVEL_4K, P | W | U | A | D);
	access_ok(&e, GVA_DATA, 0);
	pt_gpa = table_of(&e, GVA_DATA, PG_LEVEL_4K);
	pt_sp = sp_at(&e, GVA_DATA, PG_LEVEL_4K);
	cr_assert(!pt_sp->unsync);

	/*
	 * A read through a clean mapping of the PT maps it read-only (a read
	 * through a dirty writable one would unsync the PT at once).
	 */
	map(&e, gva_pt, pt_gpa, PG_LEVEL_4K, P | W | U | A);
	cr_assert_eq(fault_at(&e, gva_pt, 0, &pf), RET_PF_FIXED);
	cr_assert(!is_writable_pte(leaf_spte(&e, gva_pt, PG_LEVEL_4K)));
	check_shadow_pages(&e);

	/* A write unsyncs the PT instead of emulating. */
	cr_assert_eq(fault_at(&e, gva_pt, PFERR_PRESENT_MASK | PFERR_WRITE_MASK,
			      &pf),
		     RET_PF_FIXED);
	cr_assert(is_writable_pte(leaf_spte(&e, gva_pt, PG_LEVEL_4K)));
	cr_assert(pt_sp->unsync);
	cr_assert_eq(e.mmu->stats.mmu_unsync, 1);
	pd_sp = sp_at(&e, GVA_DATA, PG_LEVEL_2M);
	cr_assert_eq(pd_sp->unsync_children, 1);
	cr_assert(pd_sp->unsync_child_bitmap[pt_index(GVA_DATA, 2) / 64] &
		  BIT_ULL(pt_index(GVA_DATA, 2) % 64));
	cr_assert_gt(e.mmu->root.sp->unsync_children, 0);
	check_shadow_pages(&e);
	env_destroy(&e);
}

/* A guest whose PT of GVA_DATA is unsync, written through gva_pt. */
static u64 setup_unsync_pt(struct shadow_env *e, u64 gva_pt)
{
	struct kvm_page_fault pf;
	u64 pt_gpa;

	map(e, GVA_DATA, DATA_GPA, PG_LEVEL_4K, P | W | U | A | D);
	map(e, GVA_DATA + PAGE_SIZE * 64, DATA_GPA + PAGE_SIZE, PG_LEVEL_4K,
	    P | W | U | A | D);
	access_ok(e, GVA_DATA, PFERR_WRITE_MASK);
	access_ok(e, GVA_DATA + PAGE_SIZE * 64, PFERR_WRITE_MASK);
	pt_gpa = table_of(e, GVA_DATA, PG_LEVEL_4K);
	map(e, gva_pt, pt_gpa, PG_LEVEL_4K, P | W | U | A | D);
	cr_assert_eq(fault_at(e, gva_pt, PFERR_WRITE_MASK, &pf), RET_PF_FIXED);
	cr_assert(sp_at(e, GVA_DATA, PG_LEVEL_4K)->unsync);
	return pt_gpa;
}

Test(shadow_mmu, unsync_table_is_synced_on_cr3_load)
{
	struct shadow_env e;
	struct kvm_mmu_page *pt_sp;
	u64 pt_gpa, gva_pt = 0x40000000ULL, pte_gpa, pte2_gpa;

	env_setup(&e);
	pt_gpa = setup_unsync_pt(&e, gva_pt);
	pt_sp = sp_at(&e, GVA_DATA, PG_LEVEL_4K);

	/*
	 * The guest rewrites its PT without trapping: GVA_DATA now maps
	 * another page, the second entry loses W.  The shadow is stale until
	 * the guest flushes.
	 */
	pte_gpa = pt_gpa + pt_index(GVA_DATA, 1) * 8;
	pte2_gpa = pt_gpa + pt_index(GVA_DATA + PAGE_SIZE * 64, 1) * 8;
	wr64(&e, pte_gpa, (DATA_GPA + 2 * PAGE_SIZE) | P | W | U | A | D);
	wr64(&e, pte2_gpa, rd64(&e, pte2_gpa) & ~W);
	cr_assert_eq(spte_to_pfn(leaf_spte(&e, GVA_DATA, 1)),
		     guest_memory_gpa_to_hpa(&e.mem, DATA_GPA) >> PAGE_SHIFT);

	shadow_mmu_sync_roots(e.mmu);
	cr_assert(!pt_sp->unsync);
	cr_assert_eq(e.mmu->stats.mmu_synced, 1);
	cr_assert_eq(e.mmu->root.sp->unsync_children, 0);
	/* The changed gfn is dropped, the changed rights applied. */
	cr_assert(!is_shadow_present_pte(leaf_spte(&e, GVA_DATA, 1)));
	cr_assert(is_shadow_present_pte(
		leaf_spte(&e, GVA_DATA + PAGE_SIZE * 64, 1)));
	cr_assert(
		!is_writable_pte(leaf_spte(&e, GVA_DATA + PAGE_SIZE * 64, 1)));
	/* The PT is write-protected again. */
	cr_assert(!is_writable_pte(leaf_spte(&e, gva_pt, 1)));
	check_shadow_pages(&e);

	/* The next access maps the new page. */
	cr_assert_eq(access_ok(&e, GVA_DATA, 0),
		     guest_memory_gpa_to_hpa(&e.mem, DATA_GPA + 2 * PAGE_SIZE));
	check_shadow_pages(&e);
	env_destroy(&e);
}

/*
 * A CR3 load that keeps the root (the same CR3, or a root from the cache)
 * still syncs it: KVM's kvm_set_cr3() invalidates the current PCID, which
 * requests KVM_REQ_MMU_SYNC.  The guest's store to its unsync PT did not
 * trap, so only that sync can drop the stale SPTE.
 */
Test(shadow_mmu, cr3_load_that_keeps_the_root_syncs_unsync_tables)
{
	u64 gva_pt = 0x40000000ULL, pte_gpa, other_root;
	struct kvm_mmu_page *root, *pt_sp;
	struct shadow_env e;
	int pass;

	env_setup(&e);
	root = e.mmu->root.sp;
	other_root = alloc_table(&e);
	for (pass = 0; pass < 2; pass++) {
		u64 target = DATA_GPA + (pass + 2) * PAGE_SIZE;

		if (pass == 0)
			pte_gpa = setup_unsync_pt(&e, gva_pt) +
				  pt_index(GVA_DATA, 1) * 8;
		else
			access_ok(&e, gva_pt, PFERR_WRITE_MASK);
		pt_sp = sp_at(&e, GVA_DATA, PG_LEVEL_4K);
		cr_assert(pt_sp->unsync);
		cr_assert(!mmu_gfn_is_write_protected(e.mmu, pt_sp->gfn));
		/* Pass 1 comes back from another CR3: the root cache's root. */
		if (pass == 1)
			cr_assert_eq(env_load_cr3(&e, other_root), 0);
		/* A store the MMU does not see. */
		wr64(&e, pte_gpa, target | P | W | U | A | D);
		cr_assert_eq(env_load_cr3(&e, root->gfn << PAGE_SHIFT), 0);
		cr_assert_eq(e.mmu->root.sp, root);
		cr_assert(!pt_sp->unsync, "pass %d", pass);
		cr_assert(mmu_gfn_is_write_protected(e.mmu, pt_sp->gfn));
		cr_assert_eq(access_ok(&e, GVA_DATA, 0),
			     guest_memory_gpa_to_hpa(&e.mem, target));
		check_shadow_pages(&e);
	}
	env_destroy(&e);
}

Test(shadow_mmu, invlpg_syncs_only_the_address)
{
	struct shadow_env e;
	struct kvm_mmu_page *pt_sp;
	u64 pt_gpa, gva_pt = 0x40000000ULL, gva2 = GVA_DATA + PAGE_SIZE * 64;

	env_setup(&e);
	pt_gpa = setup_unsync_pt(&e, gva_pt);
	pt_sp = sp_at(&e, GVA_DATA, PG_LEVEL_4K);

	/* Both entries lose W; only GVA_DATA is invalidated. */
	wr64(&e, pt_gpa + pt_index(GVA_DATA, 1) * 8, DATA_GPA | P | U | A | D);
	wr64(&e, pt_gpa + pt_index(gva2, 1) * 8,
	     (DATA_GPA + PAGE_SIZE) | P | U | A | D);
	shadow_mmu_invalidate_addr(e.mmu, GVA_DATA);
	cr_assert(!is_writable_pte(leaf_spte(&e, GVA_DATA, 1)));
	cr_assert(is_writable_pte(leaf_spte(&e, gva2, 1)));
	/* INVLPG syncs one entry and leaves the page unsync. */
	cr_assert(pt_sp->unsync);
	cr_assert_eq(e.mmu->stats.mmu_synced, 0);

	/* A non-present guest PTE drops its SPTE. */
	wr64(&e, pt_gpa + pt_index(gva2, 1) * 8, 0);
	shadow_mmu_invalidate_addr(e.mmu, gva2);
	cr_assert(!is_shadow_present_pte(leaf_spte(&e, gva2, 1)));
	/* Non-canonical: nothing to do. */
	shadow_mmu_invalidate_addr(e.mmu, 0x0000800000000000ULL);
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, upper_table_reuse_zaps_unsync_page_of_the_gfn)
{
	struct shadow_env e;
	u64 pt_gpa, gva_pt = 0x40000000ULL, gva_new = 0x80a00000ULL;
	u64 pdpte_gpa;

	env_setup(&e);
	pt_gpa = setup_unsync_pt(&e, gva_pt);
	map(&e, gva_new, DATA_GPA, PG_LEVEL_4K, P | W | U | A | D);

	/*
	 * The guest uses the unsync PT's page as a page directory elsewhere:
	 * the unsync page must go, the gfn becomes write-tracked.
	 */
	pdpte_gpa = table_of(&e, gva_new, 3) + pt_index(gva_new, 3) * 8;
	wr64(&e, pdpte_gpa, pt_gpa | NONLEAF);
	/* Written through the guest's writable mapping of the unsync PT. */
	wr64(&e, pt_gpa + pt_index(gva_new, 2) * 8,
	     HUGE_GPA | P | W | U | A | D | PT_PAGE_SIZE_MASK);
	access_ok(&e, gva_new, 0);
	/* The unsync page is gone (it was linked for GVA_DATA). */
	cr_assert_null(sptep_at(&e, GVA_DATA, PG_LEVEL_4K));
	cr_assert_eq(nr_pages_of_gfn(&e, gpa_to_gfn(pt_gpa)), 1);
	cr_assert_eq(sp_at(&e, gva_new, PG_LEVEL_2M)->gfn, gpa_to_gfn(pt_gpa));
	cr_assert(mmu_gfn_is_write_tracked(e.mmu, gpa_to_gfn(pt_gpa)));
	/* The alias of the table is write-protected again. */
	cr_assert(!is_writable_pte(leaf_spte(&e, gva_pt, 1)));
	/* Used as both: two pages, and the PT may not go unsync now. */
	access_ok(&e, GVA_DATA, 0);
	cr_assert_eq(nr_pages_of_gfn(&e, gpa_to_gfn(pt_gpa)), 2);
	cr_assert(!sp_at(&e, GVA_DATA, PG_LEVEL_4K)->unsync);
	cr_assert_eq(mmu_try_to_unsync_pages(e.mmu, gpa_to_gfn(pt_gpa), false,
					     false),
		     -EPERM);
	check_shadow_pages(&e);
	env_destroy(&e);
}

/* An emulated guest write: memory first, then the MMU is told. */
static void emulated_write(struct shadow_env *e, u64 gpa, u64 val)
{
	cr_assert_eq(mmu_guest_write(e->mmu, gpa, val, 8), 0);
	cr_assert_eq(rd64(e, gpa), val);
}

Test(shadow_mmu, emulated_write_zaps_the_stale_spte)
{
	struct shadow_env e;
	struct kvm_mmu_page *pd_sp;
	u64 pde_gpa, pd_gpa;

	env_setup(&e);
	map(&e, GVA_DATA, DATA_GPA, PG_LEVEL_4K, P | W | U | A | D);
	access_ok(&e, GVA_DATA, 0);
	pd_gpa = table_of(&e, GVA_DATA, PG_LEVEL_2M);
	pd_sp = sp_at(&e, GVA_DATA, PG_LEVEL_2M);
	pde_gpa = pd_gpa + pt_index(GVA_DATA, 2) * 8;

	/* The PDE now maps a 2M page: the old link goes, the PD stays. */
	emulated_write(&e, pde_gpa,
		       HUGE_GPA | P | W | U | A | D | PT_PAGE_SIZE_MASK);
	cr_assert(!is_shadow_present_pte(
		pd_sp->spt[pt_index(GVA_DATA, PG_LEVEL_2M)]));
	cr_assert(!pd_sp->role.invalid);
	cr_assert_eq(pd_sp->write_flooding_count, 1);
	cr_assert_eq(e.mmu->stats.mmu_flooded, 0);

	cr_assert_eq(access_ok(&e, GVA_DATA, 0),
		     guest_memory_gpa_to_hpa(&e.mem,
					     HUGE_GPA + (GVA_DATA & 0x1fffff)));
	/* The fault through the PD cleared its flooding count. */
	cr_assert_eq(pd_sp->write_flooding_count, 0);
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, third_write_without_a_fault_zaps_the_page)
{
	struct shadow_env e;
	u64 pd_gpa, pd_gfn, gva2 = GVA_DATA + 0x200000;
	u64 gva3 = GVA_DATA + 0x400000;
	u64 zapped;

	env_setup(&e);
	map(&e, GVA_DATA, DATA_GPA, PG_LEVEL_4K, P | W | U | A | D);
	map(&e, gva2, DATA_GPA + PAGE_SIZE, PG_LEVEL_4K, P | W | U | A | D);
	map(&e, gva3, DATA_GPA + 2 * PAGE_SIZE, PG_LEVEL_4K, P | W | U | A | D);
	access_ok(&e, GVA_DATA, 0);
	pd_gpa = table_of(&e, GVA_DATA, PG_LEVEL_2M);
	pd_gfn = gpa_to_gfn(pd_gpa);

	/* Two writes, a fault through the PD, two writes: no flooding. */
	emulated_write(&e, pd_gpa + 8 * 100, 0);
	emulated_write(&e, pd_gpa + 8 * 101, 0);
	access_ok(&e, gva2, 0);
	emulated_write(&e, pd_gpa + 8 * 100, 0);
	emulated_write(&e, pd_gpa + 8 * 101, 0);
	cr_assert_eq(e.mmu->stats.mmu_flooded, 0);
	cr_assert_eq(nr_pages_of_gfn(&e, pd_gfn), 1);

	/* The third write in a row zaps the PD's page (and its PT's). */
	zapped = e.mmu->stats.sp_zapped;
	emulated_write(&e, pd_gpa + 8 * 102, 0);
	cr_assert_eq(e.mmu->stats.mmu_flooded, 1);
	cr_assert_eq(nr_pages_of_gfn(&e, pd_gfn), 0);
	cr_assert_eq(e.mmu->stats.sp_zapped, zapped + 1);
	cr_assert(!mmu_gfn_is_write_tracked(e.mmu, pd_gfn));
	cr_assert_null(sptep_at(&e, GVA_DATA, PG_LEVEL_2M));

	/* The guest goes on: the page is rebuilt. */
	access_ok(&e, gva3, 0);
	access_ok(&e, GVA_DATA, 0);
	cr_assert_eq(nr_pages_of_gfn(&e, pd_gfn), 1);
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, misaligned_write_zaps_the_page)
{
	struct shadow_env e;
	u64 pt_gpa, pt_gfn;

	env_setup(&e);
	map(&e, GVA_DATA, DATA_GPA, PG_LEVEL_4K, P | W | U | A | D);
	access_ok(&e, GVA_DATA, 0);
	pt_gpa = table_of(&e, GVA_DATA, PG_LEVEL_4K);
	pt_gfn = gpa_to_gfn(pt_gpa);

	/* One byte at a PTE (a status update) and 4 bytes inside one: fine. */
	shadow_mmu_track_write(e.mmu, pt_gpa + 8, 0, 1);
	shadow_mmu_track_write(e.mmu, pt_gpa + 12, 0, 4);
	cr_assert_eq(nr_pages_of_gfn(&e, pt_gfn), 1);
	/* 4K pages never count as flooded. */
	shadow_mmu_track_write(e.mmu, pt_gpa + 16, 0, 8);
	cr_assert_eq(nr_pages_of_gfn(&e, pt_gfn), 1);
	cr_assert_eq(e.mmu->stats.mmu_flooded, 0);

	/* Two bytes, or across two PTEs: zapped. */
	shadow_mmu_track_write(e.mmu, pt_gpa + 24, 0, 2);
	cr_assert_eq(nr_pages_of_gfn(&e, pt_gfn), 0);
	cr_assert_eq(e.mmu->stats.mmu_flooded, 1);
	access_ok(&e, GVA_DATA, 0);
	shadow_mmu_track_write(e.mmu, pt_gpa + 4, 0, 8);
	cr_assert_eq(nr_pages_of_gfn(&e, pt_gfn), 0);
	cr_assert_eq(e.mmu->stats.mmu_flooded, 2);
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, flooded_root_is_replaced)
{
	struct shadow_env e;
	u64 old_root_hpa;
	int i;

	env_setup(&e);
	map(&e, GVA_DATA, DATA_GPA, PG_LEVEL_4K, P | W | U | A | D);
	access_ok(&e, GVA_DATA, 0);
	old_root_hpa = e.mmu->root.sp->hpa;
	for (i = 0; i < WRITE_FLOODING_THRESHOLD; i++)
		emulated_write(&e, e.cr3 + 8 * (300 + i), 0);
	cr_assert_eq(e.mmu->stats.mmu_flooded, 1);
	cr_assert_not_null(e.mmu->root.sp);
	/* A new page: host memory never hands a frame out twice. */
	cr_assert_neq(e.mmu->root.sp->hpa, old_root_hpa);
	cr_assert(!e.mmu->root.sp->role.invalid);
	cr_assert_eq(e.mmu->root.sp->gfn, gpa_to_gfn(e.cr3));
	cr_assert_eq(e.mmu->root.sp->root_count, 1);
	access_ok(&e, GVA_DATA, 0);
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, cr3_switch_back_hits_the_root_cache)
{
	struct shadow_env e;
	struct kvm_mmu_page *root_a, *root_b;
	u64 cr3_a, cr3_b, cr3s[5];
	int i;

	env_setup(&e);
	cr3_a = e.cr3;
	map(&e, GVA_DATA, DATA_GPA, PG_LEVEL_4K, P | W | U | A | D);
	access_ok(&e, GVA_DATA, 0);
	root_a = e.mmu->root.sp;
	cr_assert_eq(e.mmu->stats.root_switches, 1);

	/* A second address space sharing the PDPT of GVA_DATA. */
	cr3_b = alloc_table(&e);
	wr64(&e, cr3_b + pt_index(GVA_DATA, 4) * 8,
	     rd64(&e, cr3_a + pt_index(GVA_DATA, 4) * 8));
	cr_assert_eq(env_load_cr3(&e, cr3_b), 0);
	root_b = e.mmu->root.sp;
	cr_assert_neq(root_a, root_b);
	cr_assert_eq(e.mmu->stats.root_switches, 2);
	cr_assert_eq(e.mmu->stats.root_cache_hits, 0);
	cr_assert_eq(e.mmu->prev_roots[0].sp, root_a);
	/* The PDPT's shadow is shared by both roots. */
	access_ok(&e, GVA_DATA, 0);
	cr_assert_eq(sp_at(&e, GVA_DATA, 3)->nr_parent_ptes, 2);

	cr_assert_eq(env_load_cr3(&e, cr3_a), 0);
	cr_assert_eq(e.mmu->root.sp, root_a);
	cr_assert_eq(e.mmu->stats.root_cache_hits, 1);
	cr_assert_eq(e.mmu->prev_roots[0].sp, root_b);
	/* No fault: the cached root still maps GVA_DATA. */
	{
		struct walk_fault f;
		struct walk_record rec;

		cr_assert_eq(hw_walk(&e, GVA_DATA, 0, &f, &rec), 0);
	}

	/*
	 * Four more address spaces: A, then B, fall out of the three
	 * previous roots.  Their pages stay; reloading A finds its page in
	 * the hash.
	 */
	for (i = 0; i < 4; i++) {
		cr3s[i] = alloc_table(&e);
		cr_assert_eq(env_load_cr3(&e, cr3s[i]), 0);
	}
	for (i = 0; i < KVM_MMU_NUM_PREV_ROOTS; i++)
		cr_assert(e.mmu->prev_roots[i].sp != root_a &&
			  e.mmu->prev_roots[i].sp != root_b);
	cr_assert_eq(root_a->root_count, 0);
	cr_assert_eq(env_load_cr3(&e, cr3_a), 0);
	cr_assert_eq(e.mmu->root.sp, root_a);
	cr_assert_eq(e.mmu->stats.root_cache_hits, 1);
	cr_assert_eq(root_a->root_count, 1);
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, pages_are_keyed_by_gfn_and_role)
{
	struct shadow_env e;
	union kvm_mmu_page_role role = { 0 }, other;
	struct kvm_mmu_page *a, *b, *c;
	u64 misses, gfn;

	env_setup(&e);
	gfn = gpa_to_gfn(alloc_table(&e));
	role = e.mmu->root_role;
	role.level = PG_LEVEL_2M;
	other = role;
	other.access = ACC_READ_MASK;

	misses = e.mmu->stats.mmu_cache_miss;
	a = shadow_mmu_get_page(e.mmu, gfn, role);
	cr_assert_not_null(a);
	cr_assert_eq(e.mmu->stats.mmu_cache_miss, misses + 1);
	cr_assert_eq(shadow_mmu_get_page(e.mmu, gfn, role), a);
	cr_assert_eq(e.mmu->stats.mmu_cache_miss, misses + 1);

	b = shadow_mmu_get_page(e.mmu, gfn, other);
	cr_assert_not_null(b);
	cr_assert_neq(a, b);
	cr_assert_eq(b->gfn, gfn);
	cr_assert_eq(nr_pages_of_gfn(&e, gfn), 2);
	cr_assert_eq(e.mmu->stats.mmu_cache_miss, misses + 2);

	/* A direct page of the same gfn is yet another page. */
	other = role;
	other.direct = 1;
	c = shadow_mmu_get_page(e.mmu, gfn, other);
	cr_assert(c != a && c != b);
	cr_assert_eq(nr_pages_of_gfn(&e, gfn), 2);

	/* Two shadowed upper tables: tracked twice, one lpage reason each. */
	shadow_mmu_prepare_zap_page(e.mmu, a);
	shadow_mmu_commit_zap(e.mmu);
	cr_assert(mmu_gfn_is_write_tracked(e.mmu, gfn));
	cr_assert_eq(shadow_mmu_get_page(e.mmu, gfn, other), c);
	shadow_mmu_prepare_zap_page(e.mmu, b);
	shadow_mmu_commit_zap(e.mmu);
	cr_assert(!mmu_gfn_is_write_tracked(e.mmu, gfn));
	cr_assert_eq(nr_pages_of_gfn(&e, gfn), 0);
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, gfn_without_memslot_gets_an_mmio_spte)
{
	struct shadow_env e;
	struct kvm_page_fault pf;
	struct walk_record rec;
	struct walk_fault f;
	u64 spte;

	env_setup(&e);
	map(&e, GVA_DATA, MMIO_GPA, PG_LEVEL_4K, P | W | U | A | D);
	cr_assert_eq(fault_at(&e, GVA_DATA, PFERR_WRITE_MASK, &pf),
		     RET_PF_EMULATE);
	cr_assert_eq(e.mmu->stats.pf_mmio_spte_created, 1);
	spte = leaf_spte(&e, GVA_DATA, PG_LEVEL_4K);
	cr_assert(is_mmio_spte(&e.mmu->masks, spte));
	cr_assert_eq(get_mmio_spte_gfn(&e.mmu->masks, spte),
		     gpa_to_gfn(MMIO_GPA));
	/* The CPU takes a reserved-bit fault on it: the MMIO fast path. */
	cr_assert_eq(hw_walk(&e, GVA_DATA, PFERR_WRITE_MASK, &f, &rec), 1);
	cr_assert(f.error_code & PFERR_RSVD_MASK);
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, prefetch_maps_accessed_neighbours_access_tracked)
{
	struct shadow_env e;
	struct kvm_mmu_page *pt_sp;
	int i;

	env_setup(&e);
	/* Entries 0..7 of one PT; 1..3 accessed, 4 not, 5 accessed. */
	for (i = 0; i < 8; i++)
		map(&e, GVA_DATA + i * PAGE_SIZE, DATA_GPA + i * PAGE_SIZE,
		    PG_LEVEL_4K, P | W | U | (i != 4 && i != 0 ? A | D : 0));
	access_ok(&e, GVA_DATA, 0);
	pt_sp = sp_at(&e, GVA_DATA, PG_LEVEL_4K);
	for (i = 1; i < 4; i++) {
		u64 spte = pt_sp->spt[pt_index(GVA_DATA, 1) + i];

		cr_assert(is_shadow_present_pte(spte), "entry %d", i);
		cr_assert(!(spte & PT_ACCESSED_MASK), "entry %d", i);
		cr_assert_eq(spte_to_pfn(spte),
			     guest_memory_gpa_to_hpa(
				     &e.mem, DATA_GPA + i * PAGE_SIZE) >>
				     PAGE_SHIFT);
	}
	/* Prefetch stops at the first entry it may not prefetch. */
	cr_assert(
		!is_shadow_present_pte(pt_sp->spt[pt_index(GVA_DATA, 1) + 4]));
	cr_assert(
		!is_shadow_present_pte(pt_sp->spt[pt_index(GVA_DATA, 1) + 5]));
	check_shadow_pages(&e);
	env_destroy(&e);
}

/*
 * Regression: the prefetch around a fault in a direct page mapped
 * neighbours that had no host page yet, with an SPTE of frame
 * INVALID_HPA >> PAGE_SHIFT (fuzz_readers and fuzz_mmu,
 * shadow-prefetch-maps-unfaulted-page).
 */
Test(shadow_mmu, direct_prefetch_stops_at_a_frame_without_host_page)
{
	static const bool backed[PTE_PREFETCH_NUM] = { true,  true,  false,
						       false, false, true,
						       false, false };
	const int faulted = 3;
	struct kvm_mmu_page *sp;
	struct shadow_env e;
	u64 hpa, spte;
	int i;

	/*
	 * RAM on 4K host pages: a 2M guest page is mapped with a direct page
	 * of 4K SPTEs.  The tables have host pages, and so have frames 0, 1
	 * and 5 of the guest page, as earlier faults would have left them;
	 * the guest touches frame 3.
	 */
	env_create_on(&e, MMU_SHADOW, false, PG_LEVEL_4K);
	cr_assert_eq(guest_memory_back(&e.mem, TABLE_GPA, DATA_GPA - TABLE_GPA),
		     0);
	for (i = 0; i < PTE_PREFETCH_NUM; i++)
		if (backed[i])
			cr_assert_eq(guest_memory_back(&e.mem,
						       HUGE_GPA + i * PAGE_SIZE,
						       PAGE_SIZE),
				     0);
	e.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	cr_assert_eq(env_load_cr3(&e, alloc_table(&e)), 0);
	map(&e, GVA_HUGE, HUGE_GPA, PG_LEVEL_2M, P | W | U | A | D);
	access_ok(&e, GVA_HUGE + faulted * PAGE_SIZE, PFERR_USER_MASK);

	sp = sp_at(&e, GVA_HUGE, PG_LEVEL_4K);
	cr_assert_not_null(sp);
	cr_assert(sp->role.direct);
	for (i = 0; i < PTE_PREFETCH_NUM; i++) {
		hpa = guest_memory_gpa_to_hpa(&e.mem, HUGE_GPA + i * PAGE_SIZE);
		spte = sp->spt[i];
		/* The prefetch faults no page in. */
		cr_assert_eq(hpa == INVALID_HPA, !backed[i] && i != faulted,
			     "frame %d: HPA %#" PRIx64, i, hpa);
		if (!is_shadow_present_pte(spte))
			continue;
		cr_assert_neq(hpa, INVALID_HPA,
			      "frame %d has no host page, SPTE %#" PRIx64, i,
			      spte);
		cr_assert_eq(spte_to_pfn(spte), hpa >> PAGE_SHIFT,
			     "frame %d: SPTE %#" PRIx64, i, spte);
	}
	/* The run before the first frame without a host page is prefetched. */
	cr_assert(is_shadow_present_pte(sp->spt[0]));
	cr_assert(is_shadow_present_pte(sp->spt[1]));
	cr_assert(is_shadow_present_pte(sp->spt[faulted]));
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, prefetch_never_unsyncs_a_table)
{
	struct shadow_env e;
	u64 pt_gpa;

	env_setup(&e);
	map(&e, GVA_DATA, DATA_GPA, PG_LEVEL_4K, P | W | U | A | D);
	pt_gpa = table_of(&e, GVA_DATA, PG_LEVEL_4K);
	/* The next entry maps the PT itself, writable and dirty. */
	map(&e, GVA_DATA + PAGE_SIZE, pt_gpa, PG_LEVEL_4K, P | W | U | A | D);
	access_ok(&e, GVA_DATA, PFERR_WRITE_MASK);
	cr_assert(!is_writable_pte(leaf_spte(&e, GVA_DATA + PAGE_SIZE, 1)));
	cr_assert_eq(e.mmu->stats.mmu_unsync, 0);
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, cr0_wp_off_supervisor_write_maps_supervisor_writable)
{
	struct shadow_env e;
	struct kvm_page_fault pf;
	u64 spte;

	env_create(&e, MMU_SHADOW, false);
	e.cr0 = X86_CR0_PE | X86_CR0_PG;
	cr_assert_eq(env_load_cr3(&e, alloc_table(&e)), 0);
	cr_assert_eq(e.mmu->root_role.cr0_wp, 0);
	map(&e, GVA_DATA, DATA_GPA, PG_LEVEL_4K, P | U | A | D);

	cr_assert_eq(fault_at(&e, GVA_DATA, PFERR_WRITE_MASK, &pf),
		     RET_PF_FIXED);
	spte = leaf_spte(&e, GVA_DATA, PG_LEVEL_4K);
	cr_assert(is_writable_pte(spte));
	cr_assert(!(spte & PT_USER_MASK));
	/* A user write still faults in the guest. */
	cr_assert_eq(fault_at(&e, GVA_DATA,
			      PFERR_PRESENT_MASK | PFERR_WRITE_MASK |
				      PFERR_USER_MASK,
			      &pf),
		     RET_PF_RETRY);
	cr_assert(pf.guest_fault);
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, paging_off_guest_gets_a_direct_root)
{
	struct shadow_env e;
	struct kvm_page_fault pf;
	u64 spte;

	env_create(&e, MMU_SHADOW, false);
	e.cr0 = X86_CR0_PE;
	cr_assert_eq(env_load_cr3(&e, 0), 0);
	cr_assert(e.mmu->root.sp->role.direct);
	cr_assert_eq(e.mmu->indirect_shadow_pages, 0);

	/* GVA = GPA, at most 2M as KVM's PAE tables for paging off. */
	cr_assert_eq(fault_at(&e, HUGE_GPA + 0x1000, PFERR_WRITE_MASK, &pf),
		     RET_PF_FIXED);
	spte = leaf_spte(&e, HUGE_GPA, PG_LEVEL_2M);
	cr_assert(is_large_pte(spte));
	cr_assert(is_writable_pte(spte));
	cr_assert_eq(spte_to_pfn(spte),
		     guest_memory_gpa_to_hpa(&e.mem, HUGE_GPA) >> PAGE_SHIFT);
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, zap_all_replaces_every_page)
{
	struct shadow_env e;
	u64 old_root_hpa;

	env_setup(&e);
	map(&e, GVA_DATA, DATA_GPA, PG_LEVEL_4K, P | W | U | A | D);
	map(&e, GVA_HUGE, HUGE_GPA, PG_LEVEL_2M, P | W | U | A | D);
	access_ok(&e, GVA_DATA, PFERR_WRITE_MASK);
	access_ok(&e, GVA_HUGE, PFERR_WRITE_MASK);
	old_root_hpa = e.mmu->root.sp->hpa;

	shadow_mmu_zap_all(e.mmu);
	cr_assert_neq(e.mmu->root.sp->hpa, old_root_hpa);
	cr_assert_eq(e.mmu->active_head, e.mmu->root.sp);
	cr_assert_null(e.mmu->root.sp->active_next);
	cr_assert_eq(e.mmu->indirect_shadow_pages, 1);
	cr_assert_eq(e.mmu->stats.sp_created - e.mmu->stats.sp_zapped, 1);
	access_ok(&e, GVA_DATA, 0);
	access_ok(&e, GVA_HUGE, 0);
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, dispatcher_resolves_accesses_through_shadow_mmu)
{
	struct walk_access access = { .pfec = PFERR_WRITE_MASK };
	struct shadow_env e;
	struct walk_record rec;
	struct walk_fault f;
	const struct mmu_stats *st;

	env_setup(&e);
	st = mmu_get_stats(e.mmu);
	map(&e, GVA_DATA, DATA_GPA, PG_LEVEL_4K, P | W | U);
	cr_assert_eq(mmu_guest_access(e.mmu, GVA_DATA, &access, &f, &rec), 0);
	cr_assert_eq(rec.hpa, guest_memory_gpa_to_hpa(&e.mem, DATA_GPA));
	cr_assert_eq(st->ret_pf[RET_PF_FIXED], 1);

	/* A guest fault comes back as the guest's #PF. */
	cr_assert_eq(mmu_guest_access(e.mmu, GVA_UNMAPPED, &access, &f, &rec),
		     1);
	cr_assert_eq(f.kind, WALK_FAULT_PF);
	cr_assert_eq(f.address, GVA_UNMAPPED);
	cr_assert_eq(st->guest_faults_injected, 1);
	check_shadow_pages(&e);
	env_destroy(&e);
}

/*
 * Guests without 64-bit paging: KVM shadows them with PAE tables under a
 * PAE root.  PDPT_GPA holds a PAE guest's four PDPTEs (in the page
 * before the table pool, 32-byte aligned at offset 0x20).
 */
#define PDPT_PAGE (TABLE_GPA - PAGE_SIZE)
#define PDPT_GPA (PDPT_PAGE + 0x20)
#define GVA32_DATA 0x00401000ULL
#define GVA32_HIGH 0xc0000000ULL

/* Load a PAE CR3: the PDPTRs are read as MOV to CR3 does, then the MMU. */
static int env_load_pae_cr3(struct shadow_env *e, u64 cr3, u64 cr4, u64 efer)
{
	struct walk_fault fault;
	struct cpu_role role;

	cr_assert_eq(cpu_role_from_regs(&role, e->cr0, X86_CR4_PAE | cr4, efer,
					&test_cpu),
		     0);
	cr_assert_eq(kvm_pagewalk_init(&e->gva_walk, &role, cr3, &e->mem, NULL),
		     0);
	cr_assert_eq(kvm_pagewalk_load_pdptrs(&e->gva_walk, &fault), 0);
	e->cr3 = cr3;
	return mmu_reset_context(e->mmu, &e->gva_walk);
}

/* A PAE guest with WP and NX: PDPTEs 0 and 3 present, 1 and 2 not. */
static void env_setup_pae(struct shadow_env *e)
{
	env_create(e, MMU_SHADOW, false);
	e->cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	wr64(e, PDPT_GPA, alloc_table(e) | P);
	wr64(e, PDPT_GPA + 3 * 8, alloc_table(e) | P);
	cr_assert_eq(env_load_pae_cr3(e, PDPT_GPA, 0, EFER_NX), 0);
}

/* Map @gva in a PAE guest, as map(): PD and PT below the PDPTE. */
static u64 pae_map(struct shadow_env *e, u64 gva, u64 gpa, int level, u64 flags)
{
	u64 pdpte = rd64(e, (e->cr3 & ~0x1fULL) + (gva >> 30) * 8);
	u64 table = pdpte & PT_BASE_ADDR_MASK, pte_gpa, pte;

	cr_assert(pdpte & P);
	if (level == PG_LEVEL_4K) {
		pte_gpa = table + pt_index(gva, 2) * 8;
		pte = rd64(e, pte_gpa);
		if (!(pte & P)) {
			pte = alloc_table(e) | NONLEAF;
			wr64(e, pte_gpa, pte);
		}
		table = pte & PT_BASE_ADDR_MASK;
	}
	pte_gpa = table + pt_index(gva, level) * 8;
	wr64(e, pte_gpa,
	     gpa | flags | (level > PG_LEVEL_4K ? PT_PAGE_SIZE_MASK : 0));
	return pte_gpa;
}

/*
 * An access through the dispatcher (hardware walk of the shadow tables,
 * faults resolved) that must complete where the guest's walk lands.
 */
static u64 mmu_access_ok(struct shadow_env *e, u64 gva, u64 pfec)
{
	struct walk_access access = { .pfec = pfec };
	struct walk_record rec, guest_rec;
	struct walk_fault fault;

	cr_assert_eq(mmu_guest_access(e->mmu, gva, &access, &fault, &rec), 0,
		     "gva %#" PRIx64 " faults", gva);
	cr_assert_eq(gva_walk_translate(&e->gva_walk, gva, &access, &fault,
					&guest_rec),
		     0);
	cr_assert_eq(rec.hpa, guest_rec.hpa,
		     "gva %#" PRIx64 ": shadow %#" PRIx64 ", guest %#" PRIx64,
		     gva, rec.hpa, guest_rec.hpa);
	return rec.hpa;
}

/* The level-2 root page that PDPTE @i of the PAE root points at. */
static struct kvm_mmu_page *pae_root_sp(struct shadow_env *e, unsigned int i)
{
	return shadow_pae_root_page(e->mmu, i);
}

Test(shadow_mmu, pae_root_is_below_4g)
{
	struct shadow_env e;
	struct kvm_mmu_page *sp;
	unsigned int i;

	env_setup_pae(&e);
	cr_assert_null(e.mmu->root.sp);
	cr_assert_eq(e.mmu->root.hpa, e.mmu->shadow->pae_root_hpa);
	cr_assert_lt(e.mmu->root.hpa, 1ULL << 32);
	cr_assert_eq(e.mmu->root.hpa & PAGE_OFFSET_MASK, 0);
	cr_assert_eq(e.mmu->root_role.level, PT32E_ROOT_LEVEL);
	cr_assert_eq(e.mmu->hw_gva.role.level, PT32E_ROOT_LEVEL);
	cr_assert_eq(e.mmu->root.pgd, PDPT_GPA);

	/* Present guest PDPTEs get a level-2 root page, the others nothing. */
	for (i = 0; i < PAE_ROOT_NR_ENTRIES; i++) {
		u64 pdpte = rd64(&e, PDPT_GPA + i * 8);
		u64 entry = e.mmu->shadow->pae_root[i];

		sp = pae_root_sp(&e, i);
		if (!(pdpte & P)) {
			cr_assert_eq(entry, 0);
			continue;
		}
		cr_assert_not_null(sp);
		/* Present and the address: a PDPTE has reserved bits. */
		cr_assert_eq(entry, sp->hpa | P);
		cr_assert_eq(sp->gfn, gpa_to_gfn(pdpte & PT_BASE_ADDR_MASK));
		cr_assert_eq(sp->role.level, PT32_ROOT_LEVEL);
		cr_assert_eq(sp->role.quadrant, 0);
		cr_assert(!sp->role.has_4_byte_gpte);
		cr_assert_eq(sp->root_count, 1);
		cr_assert_eq(sp->nr_parent_ptes, 0);
		cr_assert(mmu_gfn_is_write_tracked(e.mmu, sp->gfn));
	}

	/* The CPU takes its PDPTEs from the PAE root. */
	pae_map(&e, GVA32_DATA, DATA_GPA, PG_LEVEL_4K, P | W | U | A | D);
	pae_map(&e, GVA32_HIGH, HUGE_GPA, PG_LEVEL_2M, P | W | A | D);
	mmu_access_ok(&e, GVA32_DATA, PFERR_WRITE_MASK | PFERR_USER_MASK);
	mmu_access_ok(&e, GVA32_HIGH, PFERR_FETCH_MASK);
	cr_assert_eq(e.mmu->hw_gva.pdptrs[0], e.mmu->shadow->pae_root[0]);
	cr_assert(
		is_large_pte(pae_root_sp(&e, 3)->spt[pt_index(GVA32_HIGH, 2)]));
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, pae_guest_pdpte_change_takes_effect_at_cr3_load)
{
	struct shadow_env e;
	struct walk_access access = { 0 };
	struct walk_record rec;
	struct walk_fault fault;
	u64 pd_b, switches;

	env_setup_pae(&e);
	pae_map(&e, GVA32_DATA, DATA_GPA, PG_LEVEL_4K, P | W | U | A | D);
	cr_assert_eq(mmu_access_ok(&e, GVA32_DATA, 0),
		     guest_memory_gpa_to_hpa(&e.mem, DATA_GPA));

	/* A CR3 load with the same CR3 and PDPTRs keeps the root. */
	switches = e.mmu->stats.root_switches;
	cr_assert_eq(env_load_pae_cr3(&e, PDPT_GPA, 0, EFER_NX), 0);
	cr_assert_eq(e.mmu->stats.root_switches, switches);
	cr_assert_eq(
		mmu_hardware_walk(e.mmu, GVA32_DATA, &access, &fault, &rec), 0);

	/*
	 * The guest points PDPTE 0 at another PD, mapping GVA32_DATA
	 * elsewhere.  The PDPT is no page table KVM tracks: until CR3 is
	 * loaded, the CPU and the MMU keep the PDPTRs they have.
	 */
	pd_b = alloc_table(&e);
	wr64(&e, PDPT_GPA, pd_b | P);
	pae_map(&e, GVA32_DATA, DATA_GPA + PAGE_SIZE, PG_LEVEL_4K,
		P | W | U | A | D);
	cr_assert_eq(mmu_access_ok(&e, GVA32_DATA, 0),
		     guest_memory_gpa_to_hpa(&e.mem, DATA_GPA));

	/* At the CR3 load the root is built anew from the new PDPTRs. */
	cr_assert_eq(env_load_pae_cr3(&e, PDPT_GPA, 0, EFER_NX), 0);
	cr_assert_eq(e.mmu->stats.root_switches, switches + 1);
	cr_assert_eq(pae_root_sp(&e, 0)->gfn, gpa_to_gfn(pd_b));
	cr_assert_eq(mmu_access_ok(&e, GVA32_DATA, 0),
		     guest_memory_gpa_to_hpa(&e.mem, DATA_GPA + PAGE_SIZE));

	/* A PDPTE the guest clears leaves its entry of the PAE root empty. */
	wr64(&e, PDPT_GPA, 0);
	cr_assert_eq(env_load_pae_cr3(&e, PDPT_GPA, 0, EFER_NX), 0);
	cr_assert_eq(e.mmu->shadow->pae_root[0], 0);
	cr_assert_eq(mmu_guest_access(e.mmu, GVA32_DATA, &access, &fault, &rec),
		     1);
	cr_assert_eq(fault.kind, WALK_FAULT_PF);
	cr_assert_eq(fault.error_code, 0);
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, pae_root_is_not_cached_across_cr3_switches)
{
	struct shadow_env e;
	struct kvm_mmu_page *pd_sp;
	u64 pdpt_b = PDPT_PAGE + 0x40;
	int i;

	env_setup_pae(&e);
	pae_map(&e, GVA32_DATA, DATA_GPA, PG_LEVEL_4K, P | W | U | A | D);
	mmu_access_ok(&e, GVA32_DATA, 0);
	pd_sp = pae_root_sp(&e, 0);

	/* A second PDPT sharing PDPTE 0. */
	for (i = 0; i < 4; i++)
		wr64(&e, pdpt_b + i * 8, i ? 0 : rd64(&e, PDPT_GPA));
	cr_assert_eq(env_load_pae_cr3(&e, pdpt_b, 0, EFER_NX), 0);
	cr_assert_eq(e.mmu->root.pgd, pdpt_b);
	/* The same PD is shadowed by the same page, found in the hash. */
	cr_assert_eq(pae_root_sp(&e, 0), pd_sp);
	cr_assert_eq(pd_sp->root_count, 1);
	cr_assert_null(pae_root_sp(&e, 3));
	for (i = 0; i < KVM_MMU_NUM_PREV_ROOTS; i++)
		cr_assert_null(e.mmu->prev_roots[i].sp);
	cr_assert_eq(e.mmu->stats.root_cache_hits, 0);
	mmu_access_ok(&e, GVA32_DATA, 0);

	/* Back to a 4-level guest: a root page again, none cached. */
	cr_assert_eq(env_load_cr3(&e, alloc_table(&e)), 0);
	cr_assert_not_null(e.mmu->root.sp);
	cr_assert_eq(e.mmu->shadow->pae_root[0], 0);
	cr_assert_eq(pd_sp->root_count, 0);
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, pae_root_syncs_and_invalidates_through_its_pdptes)
{
	struct shadow_env e;
	struct kvm_mmu_page *pt_sp;
	u64 pt_gpa, pte_gpa, gva_pt = GVA32_HIGH + PAGE_SIZE;

	env_setup_pae(&e);
	pae_map(&e, GVA32_DATA, DATA_GPA, PG_LEVEL_4K, P | W | U | A | D);
	mmu_access_ok(&e, GVA32_DATA, PFERR_WRITE_MASK);
	pt_gpa = rd64(&e, (rd64(&e, PDPT_GPA) & PT_BASE_ADDR_MASK) +
				  pt_index(GVA32_DATA, 2) * 8) &
		 PT_BASE_ADDR_MASK;
	pte_gpa = pt_gpa + pt_index(GVA32_DATA, 1) * 8;
	/* The guest maps its PT under PDPTE 3 and writes it: unsync. */
	pae_map(&e, gva_pt, pt_gpa, PG_LEVEL_4K, P | W | A | D);
	mmu_access_ok(&e, gva_pt, PFERR_WRITE_MASK);
	pt_sp = spte_to_child_sp(
		e.mmu, pae_root_sp(&e, 0)->spt[pt_index(GVA32_DATA, 2)]);
	cr_assert(pt_sp->unsync);
	cr_assert_gt(pae_root_sp(&e, 0)->unsync_children, 0);

	/* INVLPG syncs the entry through PDPTE 0's page. */
	wr64(&e, pte_gpa, (DATA_GPA + PAGE_SIZE) | P | U | A | D);
	mmu_invlpg(e.mmu, GVA32_DATA);
	cr_assert(pt_sp->unsync);
	cr_assert_eq(mmu_access_ok(&e, GVA32_DATA, 0),
		     guest_memory_gpa_to_hpa(&e.mem, DATA_GPA + PAGE_SIZE));
	/* An address above 4G is none of the guest's: nothing happens. */
	mmu_invlpg(e.mmu, GVA32_DATA | (1ULL << 32));

	/* A CR3 load syncs every page below the PAE root. */
	wr64(&e, pte_gpa, (DATA_GPA + 2 * PAGE_SIZE) | P | U | A | D);
	shadow_mmu_sync_roots(e.mmu);
	cr_assert(!pt_sp->unsync);
	cr_assert_eq(pae_root_sp(&e, 0)->unsync_children, 0);
	cr_assert_eq(mmu_access_ok(&e, GVA32_DATA, 0),
		     guest_memory_gpa_to_hpa(&e.mem, DATA_GPA + 2 * PAGE_SIZE));
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, flooded_pae_root_page_rebuilds_the_pae_root)
{
	struct shadow_env e;
	u64 old_hpa;
	u64 pd_gpa;
	int i;

	env_setup_pae(&e);
	pae_map(&e, GVA32_DATA, DATA_GPA, PG_LEVEL_4K, P | W | U | A | D);
	mmu_access_ok(&e, GVA32_DATA, 0);
	old_hpa = pae_root_sp(&e, 0)->hpa;
	pd_gpa = rd64(&e, PDPT_GPA) & PT_BASE_ADDR_MASK;
	for (i = 0; i < WRITE_FLOODING_THRESHOLD; i++)
		emulated_write(&e, pd_gpa + 8 * (300 + i), 0);
	cr_assert_eq(e.mmu->stats.mmu_flooded, 1);
	/* The PAE root is rebuilt in place with a fresh page for the PD. */
	cr_assert_eq(e.mmu->root.hpa, e.mmu->shadow->pae_root_hpa);
	cr_assert_neq(pae_root_sp(&e, 0)->hpa, old_hpa);
	cr_assert(!pae_root_sp(&e, 0)->role.invalid);
	cr_assert_eq(pae_root_sp(&e, 0)->root_count, 1);
	cr_assert_eq(pae_root_sp(&e, 3)->root_count, 1);
	mmu_access_ok(&e, GVA32_DATA, 0);
	check_shadow_pages(&e);
	env_destroy(&e);
}

/*
 * A 2-level guest: 4-byte PTEs, a PD of 1024 PDEs at CR3 (4M each), PTs
 * of 1024 PTEs.  GVA32_PT_LOW and GVA32_PT_HIGH share one PDE, hence one
 * guest PT, in its low and high 2M halves.
 */
#define GVA32_PT_LOW 0x00401000ULL
#define GVA32_PT_HIGH 0x00602000ULL
#define GVA32_4M 0x00800000ULL
#define GVA32_PSE36 0xc0400000ULL
#define GPA_4M 0x800000ULL

static u64 rd32(struct shadow_env *e, u64 gpa)
{
	u64 val;

	cr_assert_eq(guest_memory_read(&e->mem, gpa, 4, &val), 0);
	return val;
}

static void wr32(struct shadow_env *e, u64 gpa, u64 val)
{
	cr_assert_eq(guest_memory_write(&e->mem, gpa, 4, val), 0);
}

/* A 2-level guest with CR0.WP, CR4.PSE as asked, and an empty PD. */
static void env_setup_2level(struct shadow_env *e, bool pse)
{
	struct cpu_role role;

	env_create(e, MMU_SHADOW, false);
	e->cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	e->cr3 = alloc_table(e);
	cr_assert_eq(cpu_role_from_regs(&role, e->cr0, pse ? X86_CR4_PSE : 0, 0,
					&test_cpu),
		     0);
	cr_assert_eq(kvm_pagewalk_init(&e->gva_walk, &role, e->cr3, &e->mem,
				       NULL),
		     0);
	cr_assert_eq(mmu_reset_context(e->mmu, &e->gva_walk), 0);
}

static u64 pde32_gpa(struct shadow_env *e, u64 gva)
{
	return e->cr3 + (gva >> 22) * 4;
}

/*
 * Map @gva in a 2-level guest with a 4K PTE, or a 4M PDE (@level 2, with
 * @gpa's bits 35:32 as PSE-36 bits 16:13).  The GPA of the leaf entry.
 */
static u64 map32(struct shadow_env *e, u64 gva, u64 gpa, int level, u64 flags)
{
	u64 pde_gpa = pde32_gpa(e, gva), pde = rd32(e, pde_gpa), pte_gpa;

	if (level == PG_LEVEL_2M) {
		wr32(e, pde_gpa,
		     (gpa & GENMASK_ULL(31, 22)) | ((gpa >> 32) << 13) | flags |
			     PT_PAGE_SIZE_MASK);
		return pde_gpa;
	}
	if (!(pde & P)) {
		pde = alloc_table(e) | NONLEAF;
		wr32(e, pde_gpa, pde);
	}
	pte_gpa = (pde & PT_BASE_ADDR_MASK) + ((gva >> 12) & 1023) * 4;
	wr32(e, pte_gpa, gpa | flags);
	return pte_gpa;
}

/* The 2M SPTE for @gva in the page of PDPTE (@gva >> 30) of the PAE root. */
static u64 *spte32_2m(struct shadow_env *e, u64 gva)
{
	struct kvm_mmu_page *sp = pae_root_sp(e, gva >> 30);

	cr_assert_not_null(sp);
	return &sp->spt[pt_index(gva, 2)];
}

static struct kvm_mmu_page *pt32_sp(struct shadow_env *e, u64 gva)
{
	u64 spte = *spte32_2m(e, gva);

	cr_assert(is_shadow_present_pte(spte) && !is_large_pte(spte));
	return spte_to_child_sp(e->mmu, spte);
}

Test(shadow_mmu, two_level_guest_pd_quadrant_per_pae_root_entry)
{
	struct shadow_env e;
	struct kvm_mmu_page *sp;
	unsigned int i;

	env_setup_2level(&e, true);
	cr_assert_null(e.mmu->root.sp);
	cr_assert_lt(e.mmu->root.hpa, 1ULL << 32);
	cr_assert_eq(e.mmu->root_role.level, PT32E_ROOT_LEVEL);
	cr_assert(e.mmu->root_role.has_4_byte_gpte);
	/* Each PDPTE shadows one quarter of the one guest PD: 1G each. */
	for (i = 0; i < PAE_ROOT_NR_ENTRIES; i++) {
		sp = pae_root_sp(&e, i);
		cr_assert_not_null(sp);
		cr_assert_eq(e.mmu->shadow->pae_root[i], sp->hpa | P);
		cr_assert_eq(sp->gfn, gpa_to_gfn(e.cr3));
		cr_assert_eq(sp->role.level, PT32_ROOT_LEVEL);
		cr_assert(sp->role.has_4_byte_gpte);
		cr_assert_eq(sp->role.quadrant, i);
		cr_assert_eq(sp->root_count, 1);
	}
	cr_assert_eq(nr_pages_of_gfn(&e, gpa_to_gfn(e.cr3)), 4);
	cr_assert(mmu_gfn_is_write_tracked(e.mmu, gpa_to_gfn(e.cr3)));

	/* GVAs in quarters 0 and 3 go through PDPTEs 0 and 3. */
	map32(&e, GVA32_PT_LOW, DATA_GPA, PG_LEVEL_4K, P | W | U | A | D);
	map32(&e, GVA32_HIGH, DATA_GPA + PAGE_SIZE, PG_LEVEL_4K, P | W | A | D);
	mmu_access_ok(&e, GVA32_PT_LOW, PFERR_WRITE_MASK | PFERR_USER_MASK);
	mmu_access_ok(&e, GVA32_HIGH, 0);
	cr_assert(is_shadow_present_pte(*spte32_2m(&e, GVA32_PT_LOW)));
	cr_assert(is_shadow_present_pte(*spte32_2m(&e, GVA32_HIGH)));
	for (i = 1; i < 3; i++)
		for (sp = pae_root_sp(&e, i); sp; sp = NULL)
			cr_assert_eq(sp->spt[0], SHADOW_NONPRESENT_VALUE);

	/* Reloading CR3 keeps the root; another CR3 rebuilds it. */
	cr_assert_eq(mmu_reset_context(e.mmu, &e.gva_walk), 0);
	cr_assert_eq(pae_root_sp(&e, 3)->root_count, 1);
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, two_level_guest_pt_is_shadowed_by_two_quadrant_pages)
{
	struct shadow_env e;
	struct kvm_mmu_page *low, *high;
	struct walk_access access = { 0 };
	struct walk_record rec;
	struct walk_fault fault;
	u64 pt_gpa;

	env_setup_2level(&e, false);
	map32(&e, GVA32_PT_LOW, DATA_GPA, PG_LEVEL_4K, P | W | U | A | D);
	map32(&e, GVA32_PT_HIGH, DATA_GPA + PAGE_SIZE, PG_LEVEL_4K,
	      P | W | U | A | D);
	/* Accessed neighbours at the start of the group of 8: prefetched. */
	map32(&e, GVA32_PT_HIGH - 2 * PAGE_SIZE, DATA_GPA + 3 * PAGE_SIZE,
	      PG_LEVEL_4K, P | U | A);
	map32(&e, GVA32_PT_HIGH - PAGE_SIZE, DATA_GPA + 2 * PAGE_SIZE,
	      PG_LEVEL_4K, P | U | A);
	pt_gpa = rd32(&e, pde32_gpa(&e, GVA32_PT_LOW)) & PT_BASE_ADDR_MASK;
	mmu_access_ok(&e, GVA32_PT_LOW, 0);
	mmu_access_ok(&e, GVA32_PT_HIGH, PFERR_WRITE_MASK);

	/* The guest PDE covers 4M: two 2M SPTEs, two 4K shadow pages. */
	low = pt32_sp(&e, GVA32_PT_LOW);
	high = pt32_sp(&e, GVA32_PT_HIGH);
	cr_assert_neq(low, high);
	cr_assert_eq(low->gfn, gpa_to_gfn(pt_gpa));
	cr_assert_eq(high->gfn, gpa_to_gfn(pt_gpa));
	cr_assert_eq(low->role.quadrant, 0);
	cr_assert_eq(high->role.quadrant, 1);
	cr_assert(low->role.has_4_byte_gpte && high->role.has_4_byte_gpte);
	cr_assert_eq(nr_pages_of_gfn(&e, gpa_to_gfn(pt_gpa)), 2);
	/* Guest PTE 0x202 is SPTE 2 of the high half. */
	cr_assert(is_shadow_present_pte(high->spt[pt_index(GVA32_PT_HIGH, 1)]));
	cr_assert_eq(spte_to_pfn(high->spt[pt_index(GVA32_PT_HIGH, 1)]),
		     guest_memory_gpa_to_hpa(&e.mem, DATA_GPA + PAGE_SIZE) >>
			     PAGE_SHIFT);
	cr_assert_eq(shadow_gpte_gpa(high, pt_index(GVA32_PT_HIGH, 1)),
		     pt_gpa + ((GVA32_PT_HIGH >> 12) & 1023) * 4);
	/* The neighbours were prefetched from the high half's PTEs. */
	cr_assert_eq(mmu_hardware_walk(e.mmu, GVA32_PT_HIGH - PAGE_SIZE,
				       &access, &fault, &rec),
		     0);
	cr_assert_eq(rec.hpa,
		     guest_memory_gpa_to_hpa(&e.mem, DATA_GPA + 2 * PAGE_SIZE));
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, two_level_guest_4m_page_maps_2m_halves_and_pse36)
{
	struct shadow_env e;
	struct walk_access access = { 0 };
	struct walk_record rec;
	struct walk_fault fault;

	env_setup_2level(&e, true);
	map32(&e, GVA32_4M, GPA_4M, PG_LEVEL_2M, P | W | U | A | D);
	cr_assert_eq(mmu_access_ok(&e, GVA32_4M + 0x200123, 0) & ~0xfffULL,
		     guest_memory_gpa_to_hpa(&e.mem, GPA_4M + 0x200000));
	/* Each 2M half of the guest's 4M page gets its own 2M SPTE. */
	cr_assert(is_large_pte(*spte32_2m(&e, GVA32_4M + 0x200000)));
	cr_assert(!is_shadow_present_pte(*spte32_2m(&e, GVA32_4M)));
	mmu_access_ok(&e, GVA32_4M, PFERR_WRITE_MASK);
	cr_assert(is_large_pte(*spte32_2m(&e, GVA32_4M)));

	/* PSE-36: the 4M page at 4G has no memslot, hence MMIO. */
	map32(&e, GVA32_PSE36, BIT_ULL(32) | 0x400000, PG_LEVEL_2M,
	      P | W | A | D);
	cr_assert_eq(mmu_guest_access(e.mmu, GVA32_PSE36 + 8, &access, &fault,
				      &rec),
		     0);
	cr_assert_eq(rec.gpa, BIT_ULL(32) | 0x400008);
	cr_assert_eq(rec.hpa, INVALID_HPA);
	cr_assert_eq(e.mmu->stats.pf_mmio_spte_created, 1);
	check_shadow_pages(&e);
	env_destroy(&e);
}

/*
 * A 2-level guest turns CR4.PSE off: its PDE with PS set now points to a
 * PT (at the 4M page's base, GPA_4M), whose PTE for the address is not
 * present.  KVM's page roles do not record CR4.PSE, so KVM would go on
 * translating through the 2M SPTEs of the 4M page; mmusim zaps the
 * guest's pages, and the access faults as the guest's walk does.
 */
Test(shadow_mmu, two_level_guest_cr4_pse_change_zaps_its_pages)
{
	struct walk_access access = { 0 };
	u64 gva = GVA32_4M + 0x5000;
	struct shadow_env e;
	struct walk_record rec;
	struct walk_fault fault;
	struct cpu_role role;

	env_setup_2level(&e, true);
	map32(&e, GVA32_4M, GPA_4M, PG_LEVEL_2M, P | W | U | A | D);
	wr32(&e, GPA_4M + ((gva >> 12) & 1023) * 4, 0);
	mmu_access_ok(&e, gva, 0);
	cr_assert(is_large_pte(*spte32_2m(&e, gva)));

	cr_assert_eq(cpu_role_from_regs(&role, e.cr0, 0, 0, &test_cpu), 0);
	cr_assert_eq(kvm_pagewalk_init(&e.gva_walk, &role, e.cr3, &e.mem, NULL),
		     0);
	cr_assert_eq(mmu_reset_context(e.mmu, &e.gva_walk), 0);
	cr_assert(!is_shadow_present_pte(*spte32_2m(&e, gva)));
	cr_assert_eq(mmu_guest_access(e.mmu, gva, &access, &fault, &rec), 1);
	cr_assert_eq(fault.kind, WALK_FAULT_PF);
	cr_assert_eq(
		gva_walk_translate(&e.gva_walk, gva, &access, &fault, &rec), 1);
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, emulated_4_byte_gpte_write_updates_the_right_quadrant)
{
	struct shadow_env e;
	struct kvm_mmu_page *low, *high, *q0;
	u64 pte_gpa, pde_gpa;

	env_setup_2level(&e, true);
	map32(&e, GVA32_PT_LOW, DATA_GPA, PG_LEVEL_4K, P | W | U | A | D);
	pte_gpa = map32(&e, GVA32_PT_HIGH, DATA_GPA + PAGE_SIZE, PG_LEVEL_4K,
			P | W | U | A | D);
	pde_gpa = map32(&e, GVA32_4M, GPA_4M, PG_LEVEL_2M, P | W | U | A | D);
	mmu_access_ok(&e, GVA32_PT_LOW, 0);
	mmu_access_ok(&e, GVA32_PT_HIGH, 0);
	mmu_access_ok(&e, GVA32_4M, 0);
	mmu_access_ok(&e, GVA32_4M + 0x200000, 0);
	low = pt32_sp(&e, GVA32_PT_LOW);
	high = pt32_sp(&e, GVA32_PT_HIGH);
	q0 = pae_root_sp(&e, 0);

	/* A 4-byte PTE write zaps the SPTE in the high half's page only. */
	cr_assert_eq(mmu_guest_write(e.mmu, pte_gpa,
				     (DATA_GPA + 3 * PAGE_SIZE) | P | U | A, 4),
		     0);
	cr_assert(
		!is_shadow_present_pte(high->spt[pt_index(GVA32_PT_HIGH, 1)]));
	cr_assert(is_shadow_present_pte(low->spt[pt_index(GVA32_PT_LOW, 1)]));
	cr_assert_eq(nr_pages_of_gfn(&e, low->gfn), 2);
	cr_assert_eq(mmu_access_ok(&e, GVA32_PT_HIGH, 0),
		     guest_memory_gpa_to_hpa(&e.mem, DATA_GPA + 3 * PAGE_SIZE));

	/* A 4-byte PDE of a 4M page: both of its 2M SPTEs, in quadrant 0. */
	cr_assert_eq(mmu_guest_write(e.mmu, pde_gpa, rd32(&e, pde_gpa) & ~W, 4),
		     0);
	cr_assert(!is_shadow_present_pte(*spte32_2m(&e, GVA32_4M)));
	cr_assert(!is_shadow_present_pte(*spte32_2m(&e, GVA32_4M + 0x200000)));
	cr_assert(is_shadow_present_pte(*spte32_2m(&e, GVA32_PT_LOW)));
	cr_assert_eq(pae_root_sp(&e, 0), q0);
	cr_assert_eq(e.mmu->stats.mmu_flooded, 0);
	mmu_access_ok(&e, GVA32_4M, 0);
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, misaligned_write_to_4_byte_gpte_table_zaps)
{
	struct shadow_env e;
	u64 pt_gpa, pt_gfn;

	env_setup_2level(&e, false);
	map32(&e, GVA32_PT_LOW, DATA_GPA, PG_LEVEL_4K, P | W | U | A | D);
	map32(&e, GVA32_PT_HIGH, DATA_GPA + PAGE_SIZE, PG_LEVEL_4K,
	      P | W | U | A | D);
	mmu_access_ok(&e, GVA32_PT_LOW, 0);
	mmu_access_ok(&e, GVA32_PT_HIGH, 0);
	pt_gpa = rd32(&e, pde32_gpa(&e, GVA32_PT_LOW)) & PT_BASE_ADDR_MASK;
	pt_gfn = gpa_to_gfn(pt_gpa);

	/* One byte at a PTE, or one whole 4-byte PTE: no zap. */
	shadow_mmu_track_write(e.mmu, pt_gpa + 8, 0, 1);
	shadow_mmu_track_write(e.mmu, pt_gpa + 12, 0, 4);
	cr_assert_eq(nr_pages_of_gfn(&e, pt_gfn), 2);
	/*
	 * 8 bytes span two 4-byte PTEs: both halves' pages go (an 8-byte
	 * gPTE table would take the write as one PTE).
	 */
	shadow_mmu_track_write(e.mmu, pt_gpa + 16, 0, 8);
	cr_assert_eq(nr_pages_of_gfn(&e, pt_gfn), 0);
	cr_assert_eq(e.mmu->stats.mmu_flooded, 2);
	mmu_access_ok(&e, GVA32_PT_HIGH, 0);
	cr_assert_eq(nr_pages_of_gfn(&e, pt_gfn), 1);

	/* Two bytes inside a PTE: zapped too. */
	shadow_mmu_track_write(e.mmu, pt_gpa + 0x802, 0, 2);
	cr_assert_eq(nr_pages_of_gfn(&e, pt_gfn), 0);
	mmu_access_ok(&e, GVA32_PT_LOW, 0);
	mmu_access_ok(&e, GVA32_PT_HIGH, 0);
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, two_level_unsync_pt_syncs_its_half_of_the_guest_pt)
{
	struct shadow_env e;
	struct kvm_mmu_page *high;
	u64 pt_gpa, pte_gpa, gva_pt = GVA32_HIGH;

	env_setup_2level(&e, false);
	map32(&e, GVA32_PT_LOW, DATA_GPA, PG_LEVEL_4K, P | W | U | A | D);
	pte_gpa = map32(&e, GVA32_PT_HIGH, DATA_GPA + PAGE_SIZE, PG_LEVEL_4K,
			P | W | U | A | D);
	mmu_access_ok(&e, GVA32_PT_LOW, 0);
	mmu_access_ok(&e, GVA32_PT_HIGH, PFERR_WRITE_MASK);
	pt_gpa = rd32(&e, pde32_gpa(&e, GVA32_PT_LOW)) & PT_BASE_ADDR_MASK;
	high = pt32_sp(&e, GVA32_PT_HIGH);

	/* A write through the guest's own mapping of its PT unsyncs both. */
	map32(&e, gva_pt, pt_gpa, PG_LEVEL_4K, P | W | A | D);
	mmu_access_ok(&e, gva_pt, PFERR_WRITE_MASK);
	cr_assert(high->unsync);
	cr_assert(pt32_sp(&e, GVA32_PT_LOW)->unsync);
	cr_assert_eq(e.mmu->stats.mmu_unsync, 2);

	/* INVLPG re-reads the 4-byte PTE 0x202 for SPTE 2 of the half. */
	wr32(&e, pte_gpa, (DATA_GPA + 2 * PAGE_SIZE) | P | U | A | D);
	mmu_invlpg(e.mmu, GVA32_PT_HIGH);
	cr_assert(high->unsync);
	cr_assert_eq(mmu_access_ok(&e, GVA32_PT_HIGH, 0),
		     guest_memory_gpa_to_hpa(&e.mem, DATA_GPA + 2 * PAGE_SIZE));

	/* A sync of the roots re-reads every PTE of both halves. */
	wr32(&e, pte_gpa, (DATA_GPA + 3 * PAGE_SIZE) | P | U | A | D);
	shadow_mmu_sync_roots(e.mmu);
	cr_assert(!high->unsync);
	cr_assert_eq(e.mmu->stats.mmu_synced, 2);
	cr_assert_eq(mmu_access_ok(&e, GVA32_PT_HIGH, 0),
		     guest_memory_gpa_to_hpa(&e.mem, DATA_GPA + 3 * PAGE_SIZE));
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, two_level_and_pae_npts_are_not_supported)
{
	struct shadow_env e;
	struct kvm_pagewalk w;
	struct cpu_role role;

	env_setup(&e);
	e.mmu->w = &w;
	e.mmu->root_role.level = PT32E_ROOT_LEVEL;
	cr_assert_eq(cpu_role_for_npt(&role, X86_CR4_PAE, EFER_NX, false,
				      &test_cpu),
		     0);
	cr_assert_eq(kvm_pagewalk_init(&w, &role, TABLE_GPA, &e.mem, NULL), 0);
	cr_assert_eq(shadow_mmu_alloc_root(e.mmu, TABLE_GPA), -EOPNOTSUPP);
	cr_assert_eq(cpu_role_for_npt(&role, 0, 0, false, &test_cpu), 0);
	cr_assert_eq(kvm_pagewalk_init(&w, &role, TABLE_GPA, &e.mem, NULL), 0);
	cr_assert_eq(shadow_mmu_alloc_root(e.mmu, TABLE_GPA), -EOPNOTSUPP);
	e.mmu->w = NULL;
	cr_assert_eq(shadow_mmu_alloc_root(e.mmu, TABLE_GPA), -EINVAL);
	env_destroy(&e);
}

/*
 * An L2 on nested EPT: L1's EPT at EPT_ROOT_GPA maps nGPAs; shadow_mmu
 * shadows it (nGPA -> HPA) in EPT format.
 */
#define EPT_R EPT_READABLE_MASK
#define EPT_W EPT_WRITABLE_MASK
#define EPT_X EPT_EXECUTABLE_MASK
#define EPT_WB (6ULL << EPT_MT_SHIFT)
#define EPT_NONLEAF (EPT_R | EPT_W | EPT_X)
#define NGPA_DATA 0x80000000ULL

static u64 ept_map(struct shadow_env *e, u64 root, u64 ngpa, u64 gpa, int level,
		   u64 flags)
{
	u64 table = root, pte_gpa, pte;
	int l;

	for (l = PT64_ROOT_4LEVEL; l > level; l--) {
		pte_gpa = table + pt_index(ngpa, l) * 8;
		pte = rd64(e, pte_gpa);
		if (!(pte & EPT_RWX_MASK)) {
			pte = alloc_table(e) | EPT_NONLEAF;
			wr64(e, pte_gpa, pte);
		}
		table = pte & PT_BASE_ADDR_MASK;
	}
	pte_gpa = table + pt_index(ngpa, level) * 8;
	wr64(e, pte_gpa,
	     gpa | flags | EPT_WB | (level > 1 ? PT_PAGE_SIZE_MASK : 0));
	return pte_gpa;
}

static u64 env_setup_nested_ept(struct shadow_env *e)
{
	struct cpu_role role;
	u64 eptp;

	env_create(e, MMU_TDP, true);
	eptp = alloc_table(e) | (3ULL << EPTP_PWL_SHIFT) | EPTP_AD_ENABLE_MASK |
	       6;
	cr_assert_eq(cpu_role_for_ept(&role, eptp, false, false, PG_LEVEL_1G,
				      TEST_MAXPHYADDR),
		     0);
	cr_assert_eq(kvm_pagewalk_init(&e->ngpa_walk, &role, eptp, &e->mem,
				       NULL),
		     0);
	/* L2 with paging off: its addresses are nGPAs. */
	cr_assert_eq(cpu_role_from_regs(&role, X86_CR0_PE, 0, 0, &test_cpu), 0);
	cr_assert_eq(kvm_pagewalk_init(&e->gva_walk, &role, 0, &e->mem,
				       &e->ngpa_walk),
		     0);
	cr_assert_eq(mmu_reset_context(e->mmu, &e->gva_walk), 0);
	cr_assert_eq(e->mmu->w, &e->ngpa_walk);
	return eptp;
}

/* The CPU's walk of the shadow EPT for @ngpa. */
static int hw_ept_walk(struct shadow_env *e, u64 ngpa, u64 pfec,
		       struct walk_fault *fault, struct walk_record *rec)
{
	struct walk_access access = { .pfec = pfec };
	u64 eptp = e->mmu->root.sp->hpa | (3ULL << EPTP_PWL_SHIFT) |
		   EPTP_AD_ENABLE_MASK | 6;
	struct kvm_pagewalk hw;
	struct cpu_role role;

	cr_assert_eq(cpu_role_for_ept(&role, eptp, false, false, PG_LEVEL_1G,
				      TEST_MAXPHYADDR),
		     0);
	cr_assert_eq(kvm_pagewalk_init(&hw, &role, eptp, &e->mmu->hpa_view,
				       NULL),
		     0);
	return ngpa_walk_translate(&hw, ngpa, &access, fault, rec);
}

/*
 * KVM offers L1 EPT A/D only when its own EPT has them; an EPTP that
 * enables them anyway fails VM entry (nested_vmx_check_eptp()).
 */
Test(shadow_mmu, l1_eptp_with_ad_on_a_host_without_ept_ad_is_refused)
{
	struct mmu_config cfg = env_config(MMU_TDP, true);
	u64 eptp = TABLE_GPA | (3ULL << EPTP_PWL_SHIFT) | 6;
	struct shadow_env e;
	struct cpu_role role;
	int ad;

	cfg.ad_enabled = false;
	env_create_with(&e, &cfg, PG_LEVEL_2M);
	for (ad = 0; ad <= 1; ad++) {
		u64 root = eptp | (ad ? EPTP_AD_ENABLE_MASK : 0);

		cr_assert_eq(cpu_role_for_ept(&role, root, false, false,
					      PG_LEVEL_1G, TEST_MAXPHYADDR),
			     0);
		cr_assert_eq(kvm_pagewalk_init(&e.ngpa_walk, &role, root,
					       &e.mem, NULL),
			     0);
		cr_assert_eq(cpu_role_from_regs(&role, X86_CR0_PE, 0, 0,
						&test_cpu),
			     0);
		cr_assert_eq(kvm_pagewalk_init(&e.gva_walk, &role, 0, &e.mem,
					       &e.ngpa_walk),
			     0);
		cr_assert_eq(mmu_reset_context(e.mmu, &e.gva_walk),
			     ad ? -EINVAL : 0, "EPTP %#llx",
			     (unsigned long long)root);
	}
	env_destroy(&e);
}

Test(shadow_mmu, shadow_of_l1_ept_maps_ngpa_to_hpa)
{
	struct walk_access read = { .pfec = PFERR_USER_MASK };
	struct walk_record rec, l1_rec;
	struct shadow_env e;
	struct kvm_page_fault pf;
	struct kvm_mmu_page *sp;
	struct walk_fault f;
	u64 eptp, ept_root, spte;
	int level;

	eptp = env_setup_nested_ept(&e);
	ept_root = eptp & PT_BASE_ADDR_MASK;
	cr_assert(e.mmu->masks.ept);
	cr_assert(e.mmu->root.sp->role.guest_mode);
	cr_assert_eq(e.mmu->root.sp->gfn, gpa_to_gfn(ept_root));

	ept_map(&e, ept_root, NGPA_DATA, DATA_GPA, PG_LEVEL_4K, EPT_R | EPT_X);
	ept_map(&e, ept_root, NGPA_DATA + 0x200000, HUGE_GPA, PG_LEVEL_2M,
		EPT_R | EPT_W);

	/* EPT violation for a read of a user-mode linear address. */
	cr_assert_eq(hw_ept_walk(&e, NGPA_DATA, PFERR_USER_MASK, &f, &rec), 1);
	cr_assert_eq(f.kind, WALK_FAULT_EPT_VIOLATION);
	cr_assert_eq(fault_at(&e, NGPA_DATA, PFERR_USER_MASK, &pf),
		     RET_PF_FIXED);
	cr_assert_eq(hw_ept_walk(&e, NGPA_DATA, PFERR_USER_MASK, &f, &rec), 0);
	cr_assert_eq(ngpa_walk_translate(&e.ngpa_walk, NGPA_DATA, &read, &f,
					 &l1_rec),
		     0);
	cr_assert_eq(rec.hpa, l1_rec.hpa);
	cr_assert_eq(rec.hpa, guest_memory_gpa_to_hpa(&e.mem, DATA_GPA));
	for (level = PT64_ROOT_4LEVEL; level > PG_LEVEL_4K; level--) {
		sp = sp_at(&e, NGPA_DATA, level);
		cr_assert(sp->role.guest_mode && !sp->role.direct);
		cr_assert(mmu_gfn_is_write_tracked(e.mmu, sp->gfn));
	}
	/* Rights as L1's EPT gives them: R and X, not W. */
	spte = leaf_spte(&e, NGPA_DATA, PG_LEVEL_4K);
	cr_assert(spte & EPT_READABLE_MASK);
	cr_assert(spte & EPT_EXECUTABLE_MASK);
	cr_assert(!(spte & EPT_WRITABLE_MASK));

	/* A write is an EPT violation for L1, handed back. */
	cr_assert_eq(fault_at(&e, NGPA_DATA,
			      PFERR_WRITE_MASK | PFERR_PRESENT_MASK, &pf),
		     RET_PF_RETRY);
	cr_assert(pf.guest_fault);
	cr_assert_eq(pf.injected.kind, WALK_FAULT_EPT_VIOLATION);
	cr_assert_eq(pf.injected.address, NGPA_DATA);

	/* L1's 2M page is mapped 2M. */
	cr_assert_eq(fault_at(&e, NGPA_DATA + 0x201000, PFERR_WRITE_MASK, &pf),
		     RET_PF_FIXED);
	spte = leaf_spte(&e, NGPA_DATA + 0x200000, PG_LEVEL_2M);
	cr_assert(is_large_pte(spte));
	cr_assert(spte & EPT_WRITABLE_MASK);
	cr_assert_eq(hw_ept_walk(&e, NGPA_DATA + 0x201000, PFERR_WRITE_MASK, &f,
				 &rec),
		     0);
	cr_assert_eq(rec.hpa,
		     guest_memory_gpa_to_hpa(&e.mem, HUGE_GPA + 0x1000));

	/* The dispatcher gets there too, for L2's access. */
	cr_assert_eq(mmu_guest_access(e.mmu, NGPA_DATA + 0x10, &read, &f, &rec),
		     0);
	cr_assert_eq(rec.hpa, guest_memory_gpa_to_hpa(&e.mem, DATA_GPA + 0x10));
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(shadow_mmu, l1_writing_its_ept_zaps_the_shadow)
{
	struct shadow_env e;
	struct kvm_page_fault pf;
	u64 eptp, ept_root, pte_gpa;

	eptp = env_setup_nested_ept(&e);
	ept_root = eptp & PT_BASE_ADDR_MASK;
	pte_gpa = ept_map(&e, ept_root, NGPA_DATA, DATA_GPA, PG_LEVEL_4K,
			  EPT_R | EPT_W | EPT_X);
	cr_assert_eq(fault_at(&e, NGPA_DATA, PFERR_WRITE_MASK, &pf),
		     RET_PF_FIXED);
	cr_assert(is_writable_pte(leaf_spte(&e, NGPA_DATA, PG_LEVEL_4K)));

	/* L1 remaps the nGPA: the emulated write zaps the SPTE. */
	emulated_write(&e, pte_gpa,
		       (DATA_GPA + PAGE_SIZE) | EPT_R | EPT_W | EPT_X | EPT_WB);
	cr_assert(!is_shadow_present_pte(leaf_spte(&e, NGPA_DATA, 1)));
	cr_assert_eq(fault_at(&e, NGPA_DATA, PFERR_USER_MASK, &pf),
		     RET_PF_FIXED);
	cr_assert_eq(spte_to_pfn(leaf_spte(&e, NGPA_DATA, 1)),
		     guest_memory_gpa_to_hpa(&e.mem, DATA_GPA + PAGE_SIZE) >>
			     PAGE_SHIFT);
	check_shadow_pages(&e);
	env_destroy(&e);
}

/* The dirty log of the memslot at GFN 0, collected and cleared. */
static bool collect_dirty_gfn(struct shadow_env *e, u64 gfn)
{
	u64 bitmap[RAM_PAGES / 64];

	cr_assert_eq(mmu_get_dirty_log(e->mmu, 0, bitmap, ARRAY_SIZE(bitmap)),
		     0);
	return bitmap[gfn / 64] & BIT_ULL(gfn % 64);
}

/*
 * Regression (fuzz_mmu, nested-dirty-log-misses-shadow-writes): the MMU
 * is tdp_mmu, but L2 runs on shadow_mmu's shadow of L1's EPT, whose
 * writable SPTEs dirty logging must take away as well.
 */
Test(mmu_dirty_log, nested_tdp_writes_after_logging_starts_are_logged)
{
	struct walk_access write = { .pfec = PFERR_WRITE_MASK |
					     PFERR_USER_MASK };
	u64 gfn = gpa_to_gfn(DATA_GPA);
	struct shadow_env e;
	struct walk_record rec;
	struct walk_fault f;
	u64 eptp;
	int round;

	eptp = env_setup_nested_ept(&e);
	ept_map(&e, eptp & PT_BASE_ADDR_MASK, NGPA_DATA, DATA_GPA, PG_LEVEL_4K,
		EPT_R | EPT_W | EPT_X);
	/* L2 writes before logging starts: the shadow SPTE is writable. */
	cr_assert_eq(mmu_guest_access(e.mmu, NGPA_DATA, &write, &f, &rec), 0);
	cr_assert(is_writable_pte(leaf_spte(&e, NGPA_DATA, PG_LEVEL_4K)));

	cr_assert_eq(mmu_set_dirty_logging(e.mmu, 0, true), 0);
	cr_assert_not(collect_dirty_gfn(&e, gfn));
	for (round = 0; round < 3; round++) {
		cr_assert_eq(mmu_guest_access(e.mmu, NGPA_DATA, &write, &f,
					      &rec),
			     0);
		cr_assert_eq(rec.hpa,
			     guest_memory_gpa_to_hpa(&e.mem, DATA_GPA));
		cr_assert(collect_dirty_gfn(&e, gfn), "round %d", round);
		/* Collecting write-protects again: no write, no log. */
		cr_assert_not(collect_dirty_gfn(&e, gfn), "round %d", round);
	}
	check_shadow_pages(&e);
	env_destroy(&e);
}

Test(mmu_dirty_log, shadow_paging_writes_after_logging_starts_are_logged)
{
	struct walk_access write = { .pfec = PFERR_WRITE_MASK |
					     PFERR_USER_MASK };
	u64 gfn = gpa_to_gfn(DATA_GPA);
	struct shadow_env e;
	struct walk_record rec;
	struct walk_fault f;
	int round;

	env_setup(&e);
	map(&e, GVA_DATA, DATA_GPA, PG_LEVEL_4K, P | W | U);
	cr_assert_eq(mmu_guest_access(e.mmu, GVA_DATA, &write, &f, &rec), 0);
	cr_assert(is_writable_pte(leaf_spte(&e, GVA_DATA, PG_LEVEL_4K)));

	cr_assert_eq(mmu_set_dirty_logging(e.mmu, 0, true), 0);
	cr_assert_not(collect_dirty_gfn(&e, gfn));
	for (round = 0; round < 3; round++) {
		cr_assert_eq(
			mmu_guest_access(e.mmu, GVA_DATA, &write, &f, &rec), 0);
		cr_assert_eq(rec.hpa,
			     guest_memory_gpa_to_hpa(&e.mem, DATA_GPA));
		cr_assert(collect_dirty_gfn(&e, gfn), "round %d", round);
		cr_assert_not(collect_dirty_gfn(&e, gfn), "round %d", round);
	}
	check_shadow_pages(&e);
	env_destroy(&e);
}

struct page_events {
	struct mmu_page_event ev[16];
	int nr;
};

static void record_page_event(void *opaque, const struct mmu_page_event *ev)
{
	struct page_events *pe = opaque;

	cr_assert_lt(pe->nr, 16);
	pe->ev[pe->nr++] = *ev;
}

/*
 * The page observer sees what KVM's kvm_mmu_get_page and
 * kvm_mmu_prepare_zap_page trace: a fault gets one page per guest table
 * below the loaded root, each made with its gfn and role; a fault that
 * finds every page linked gets none; a zap reports the page before it
 * is unlinked.
 */
Test(shadow_mmu, page_events_are_kvm_s_get_page_and_prepare_zap)
{
	struct page_events pe = { .nr = 0 };
	struct mmu_page_event *ev;
	struct shadow_env e;
	int i, level;

	env_setup(&e);
	mmu_set_page_observer(e.mmu, record_page_event, &pe);
	map(&e, GVA_DATA, DATA_GPA, PG_LEVEL_4K, P | W | U);
	map(&e, GVA_DATA + PAGE_SIZE, DATA_GPA + PAGE_SIZE, PG_LEVEL_4K,
	    P | W | U);
	access_ok(&e, GVA_DATA, PFERR_USER_MASK);
	cr_assert_eq(pe.nr, 3);
	for (i = 0, level = PT64_ROOT_4LEVEL - 1; i < 3; i++, level--) {
		ev = &pe.ev[i];
		cr_assert_eq(ev->kind, MMU_PAGE_GET);
		cr_assert_eq(ev->gfn,
			     gpa_to_gfn(table_of(&e, GVA_DATA, level)));
		cr_assert_eq(ev->level, level);
		cr_assert_eq(ev->gpte_bytes, 8);
		cr_assert_eq(ev->quadrant, 0);
		cr_assert_eq(ev->access, ACC_ALL);
		cr_assert(!ev->direct && !ev->invalid && ev->efer_nx &&
			  !ev->ad_disabled && !ev->unsync && ev->created);
		cr_assert_eq(ev->root_count, 0);
	}
	/* The next page's path is linked down to its PT. */
	pe.nr = 0;
	access_ok(&e, GVA_DATA + PAGE_SIZE, PFERR_USER_MASK);
	cr_assert_eq(pe.nr, 0);

	/* A CR3 load of the same root finds it. */
	cr_assert_eq(env_load_cr3(&e, e.cr3), 0);
	for (i = 0; i < pe.nr; i++)
		cr_assert(pe.ev[i].kind != MMU_PAGE_GET || !pe.ev[i].created);

	pe.nr = 0;
	mmu_zap_all(e.mmu);
	/*
	 * Each page of the path zapped once; the root, in use, twice as in
	 * KVM: zapped while loaded (valid, root_count 1), then again, invalid,
	 * when its last user lets go (root_count 0).
	 */
	for (level = PT64_ROOT_4LEVEL; level >= PG_LEVEL_4K; level--) {
		int seen = 0;

		for (i = 0; i < pe.nr; i++)
			seen += pe.ev[i].kind == MMU_PAGE_PREPARE_ZAP &&
				pe.ev[i].level == level &&
				pe.ev[i].gfn == gpa_to_gfn(table_of(
							&e, GVA_DATA, level));
		cr_assert_eq(seen, level == PT64_ROOT_4LEVEL ? 2 : 1,
			     "level %d", level);
	}
	for (i = 0; i < pe.nr && pe.ev[i].gfn != gpa_to_gfn(e.cr3); i++)
		;
	cr_assert(!pe.ev[i].invalid && pe.ev[i].root_count == 1);
	for (i++; i < pe.nr && pe.ev[i].gfn != gpa_to_gfn(e.cr3); i++)
		;
	cr_assert_lt(i, pe.nr);
	cr_assert(pe.ev[i].invalid && pe.ev[i].root_count == 0);
	mmu_set_page_observer(e.mmu, NULL, NULL);
	env_destroy(&e);
}
