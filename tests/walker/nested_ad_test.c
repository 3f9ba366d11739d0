/* 2D walks that fault set no guest A bit (walk_ad). */
#include <criterion/criterion.h>
#include <string.h>

#include "nest_case.h"

/*
 * walk_ad: a walk that faults sets no A bit in the guest's entries.  The
 * layout is the one fuzz_walk built from tests/fuzz/crashes/fuzz_walk/
 * partial-ad-on-nested-write-fault: a 4-level guest (tables at nGPA
 * 0x100000, 0x102000, 0x103000 and 0x104000, GVA 0x678012000000 to nGPA
 * 0x41000) over a 5-level nested stage at 0x101000 that maps every guest
 * table at the same GPA and the page at GPA 0, but the PDPT read-only.
 */
#define AD_GVA 0x678012000000ULL
#define AD_GUEST_ROOT 0x100000ULL
#define AD_NESTED_ROOT 0x101000ULL
#define AD_PDPT 0x102000ULL

enum ad_nested_kind {
	AD_TABLE,
	AD_LEAF,
	AD_READ_ONLY_LEAF,
};

/*
 * An entry at @gpa pointing at @addr.  Guest entries are P|W; a nested
 * entry takes its stage's flags for @kind.
 */
struct ad_entry {
	u64 gpa;
	u64 addr;
	enum ad_nested_kind kind;
};

static const struct ad_entry ad_guest[] = {
	{ 0x100678, 0x102000 }, /* PML4E */
	{ 0x102000, 0x103000 }, /* PDPTE */
	{ 0x103480, 0x104000 }, /* PDE */
	{ 0x104000, 0x41000 }, /* PTE */
};

static const struct ad_entry ad_nested[] = {
	{ 0x101000, 0x105000, AD_TABLE },
	{ 0x105000, 0x106000, AD_TABLE },
	{ 0x106000, 0x107000, AD_TABLE },
	{ 0x107000, 0x108000, AD_TABLE },
	{ 0x108800, 0x100000, AD_LEAF },
	{ 0x108810, AD_PDPT, AD_READ_ONLY_LEAF },
	{ 0x108818, 0x103000, AD_LEAF },
	{ 0x108820, 0x104000, AD_LEAF },
	{ 0x108208, 0, AD_LEAF },
};

/* The input's EPT entries: 0x...407 tables, 0x...477 leaves, 0x102071. */
#define AD_EPT_LEAF (6ULL << EPT_MT_SHIFT | EPT_IPAT_MASK)
static const u64 ad_ept_flags[] = {
	[AD_TABLE] = EPT_RWX_MASK | EPT_USER_EXECUTABLE_MASK,
	[AD_LEAF] = EPT_RWX_MASK | EPT_USER_EXECUTABLE_MASK | AD_EPT_LEAF,
	[AD_READ_ONLY_LEAF] = EPT_READABLE_MASK | AD_EPT_LEAF,
};

static const u64 ad_npt_flags[] = {
	[AD_TABLE] = PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK,
	[AD_LEAF] = PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK,
	[AD_READ_ONLY_LEAF] = PT_PRESENT_MASK | PT_USER_MASK,
};

static void ad_describe(const void *ctx, char *buf, size_t len)
{
	snprintf(buf, len, "partial-ad-on-nested-write-fault over %s",
		 (const char *)ctx);
}

/*
 * Build the layout in @e over EPT with A/D disabled (as the input has it,
 * with exec-only and MBEC) or over a 5-level NPT.
 */
static void ad_build(struct walk_env *e, struct ref_mmu *cfg,
		     enum ref_nested_kind kind)
{
	const u64 *flags = kind == REF_NESTED_EPT ? ad_ept_flags : ad_npt_flags;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ad_guest); i++)
		env_write(e, ad_guest[i].gpa, 8,
			  ad_guest[i].addr | PT_PRESENT_MASK |
				  PT_WRITABLE_MASK);
	for (i = 0; i < ARRAY_SIZE(ad_nested); i++)
		env_write(e, ad_nested[i].gpa, 8,
			  ad_nested[i].addr | flags[ad_nested[i].kind]);

	memset(cfg, 0, sizeof(*cfg));
	cfg->guest.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	cfg->guest.cr4 = X86_CR4_PAE;
	cfg->guest.efer = EFER_LME | EFER_LMA | EFER_NX;
	cfg->guest.cr3 = AD_GUEST_ROOT;
	cfg->guest.maxphyaddr = 32;
	cfg->nested.kind = kind;
	if (kind == REF_NESTED_EPT) {
		cfg->nested.ept.eptp = AD_NESTED_ROOT | 6 |
				       (4 << EPTP_PWL_SHIFT);
		cfg->nested.ept.execonly = true;
		cfg->nested.ept.mbec = true;
		cfg->nested.ept.huge_page_level = PG_LEVEL_1G;
		cfg->nested.ept.maxphyaddr = 46;
	} else {
		cfg->nested.npt.cr4 = X86_CR4_PAE | X86_CR4_LA57;
		cfg->nested.npt.efer = EFER_LME | EFER_LMA | EFER_NX;
		cfg->nested.npt.cr3 = AD_NESTED_ROOT;
		cfg->nested.npt.maxphyaddr = 46;
	}
}

/* Walk a supervisor write to AD_GVA with the walker; it must fault. */
static void ad_walk(struct nest_walk *o, enum ref_nested_kind kind)
{
	int r;

	memset(o, 0, sizeof(*o));
	env_init(&o->e);
	ad_build(&o->e, &o->cfg, kind);
	r = env_setup_walkers(&o->e, &o->cfg, &o->gw, &o->nw);
	cr_assert_eq(r, 0, "setup: %d", r);
	o->acc.pfec = PFERR_WRITE_MASK;
	o->ret = gva_walk_translate(&o->gw, AD_GVA, &o->acc, &o->f, &o->rec);
	cr_assert_eq(o->ret, 1, "the write must fault: %d", o->ret);
	cr_assert_eq(o->f.address, AD_PDPT, "fault address %#llx",
		     (unsigned long long)o->f.address);
	cr_assert_eq(o->f.gva, AD_GVA);
}

/*
 * No guest entry changed, in the record or in memory; then the same walk
 * in a fresh env agrees with the reference.
 */
static void ad_assert_no_guest_a(struct nest_walk *o, enum ref_nested_kind kind,
				 const char *stage)
{
	struct kvm_pagewalk gw, nw;
	struct ref_mmu cfg;
	struct walk_env e;
	unsigned int i;
	int j;

	for (i = 0; i < ARRAY_SIZE(ad_guest); i++) {
		u64 want = ad_guest[i].addr | PT_PRESENT_MASK |
			   PT_WRITABLE_MASK;
		u64 now = mem_now(o, ad_guest[i].gpa);

		cr_assert_eq(now, want,
			     "guest entry at %#llx: %#llx, want %#llx",
			     (unsigned long long)ad_guest[i].gpa,
			     (unsigned long long)now, (unsigned long long)want);
	}
	for (j = 0; j < o->rec.guest.nr_entries; j++)
		cr_assert_eq(o->rec.guest.entries[j].after,
			     o->rec.guest.entries[j].before,
			     "recorded guest entry %d: %#llx -> %#llx", j,
			     (unsigned long long)o->rec.guest.entries[j].before,
			     (unsigned long long)o->rec.guest.entries[j].after);
	env_destroy(&o->e);

	env_init(&e);
	ad_build(&e, &cfg, kind);
	cr_assert_eq(env_setup_walkers(&e, &cfg, &gw, &nw), 0);
	cr_assert(env_check(&e, &gw, false, &cfg, AD_GVA, &o->acc, ad_describe,
			    stage));
	env_destroy(&e);
}

Test(walk_ad, faulting_walk_through_read_only_ept_table_sets_no_a)
{
	struct nest_walk o;

	/*
	 * Every guest table is readable, so the walk gets as far as setting
	 * A; setting it in the PDPTE writes a page EPT maps read-only.  The
	 * EPT violation is for a write to a paging structure, and it must
	 * come before any A is written: the PML4E stays 0x102003.
	 */
	ad_walk(&o, REF_NESTED_EPT);
	cr_assert_eq(o.f.kind, WALK_FAULT_EPT_VIOLATION, "%s",
		     walk_fault_name(o.f.kind));
	cr_assert(o.f.nested);
	cr_assert_eq(o.f.exit_qualification,
		     EPT_VIOLATION_ACC_WRITE | EPT_VIOLATION_ACC_READ |
			     EPT_VIOLATION_GVA_IS_VALID |
			     EPT_VIOLATION_PROT_READ,
		     "qualification %#llx",
		     (unsigned long long)o.f.exit_qualification);
	cr_assert_eq(o.rec.guest.nr_entries, 4);
	ad_assert_no_guest_a(&o, REF_NESTED_EPT, "EPT without A/D");
}

Test(walk_ad, faulting_walk_through_read_only_npt_table_sets_no_a)
{
	struct nest_walk o;

	/*
	 * NPT checks every guest-table access as a write: the walk faults
	 * on reading the PDPTE, before A/D, with the NPT entries of the
	 * PML4's translation accessed but no guest entry.
	 */
	ad_walk(&o, REF_NESTED_NPT);
	cr_assert_eq(o.f.kind, WALK_FAULT_NPF, "%s", walk_fault_name(o.f.kind));
	cr_assert_eq(o.f.error_code,
		     PFERR_GUEST_PAGE_MASK | PFERR_PRESENT_MASK |
			     PFERR_WRITE_MASK | PFERR_USER_MASK,
		     "error code %#llx", (unsigned long long)o.f.error_code);
	cr_assert_eq(o.rec.guest.nr_entries, 1);
	ad_assert_no_guest_a(&o, REF_NESTED_NPT, "NPT");
}
