/*
 * rsvd_bits_mask[][] and bad_mt_xwr: every bit of every level of a sweep
 * of roles against the per-bit reference, the lookup by bit 7, and the
 * golden tables.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "golden_tables.h"
#include "rsvd_reference.h"
#include "test_roles.h"

#define PTE_BITS 64
#define PS_ROWS 2
#define EPT_MT_XWR_COMBINATIONS 64

static const u8 sweep_maxphyaddrs[] = { 32, 36, 39, 46, 48, 52 };
static const u8 sweep_x86_levels[] = {
	PT32_ROOT_LEVEL,
	PT32E_ROOT_LEVEL,
	PT64_ROOT_4LEVEL,
	PT64_ROOT_5LEVEL,
};
static const u8 sweep_ept_levels[] = { PT64_ROOT_4LEVEL, PT64_ROOT_5LEVEL };

/* Checks one role, logging while @logged is small; returns mismatches. */
typedef unsigned int (*role_check_fn)(const struct cpu_role *role,
				      unsigned int logged);

/* One x86 role of the sweep; the mode follows from the paging level. */
struct x86_sweep_point {
	u8 level;
	u8 maxphyaddr;
	bool nx;
	bool gbpages;
	bool amd;
	bool pse;
};

static void x86_sweep_role(struct cpu_role *role,
			   const struct x86_sweep_point *pt)
{
	const struct cpu_features cpu = {
		.amd = pt->amd,
		.gbpages = pt->gbpages,
		.maxphyaddr = pt->maxphyaddr,
	};
	u64 cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	u64 cr4 = pt->pse ? X86_CR4_PSE : 0;
	u64 efer = pt->nx ? EFER_NX : 0;
	char desc[ROLE_DESC_LEN];

	if (pt->level >= PT32E_ROOT_LEVEL)
		cr4 |= X86_CR4_PAE;
	if (pt->level >= PT64_ROOT_4LEVEL)
		efer |= EFER_LME | EFER_LMA;
	if (pt->level == PT64_ROOT_5LEVEL)
		cr4 |= X86_CR4_LA57;

	cr_assert_eq(cpu_role_from_regs(role, cr0, cr4, efer, &cpu), 0,
		     "level %u maxphyaddr %u", pt->level, pt->maxphyaddr);
	cr_assert_eq(role->level, pt->level, "role {%s}",
		     role_describe(role, desc));
}

/* The on/off role bits each sweep point varies, as one number. */
#define SWEEP_NX BIT(0)
#define SWEEP_GBPAGES BIT(1)
#define SWEEP_AMD BIT(2)
#define SWEEP_PSE BIT(3)
#define SWEEP_X86_FLAG_COMBOS 16
#define SWEEP_EPT_EXECONLY BIT(0)
#define SWEEP_EPT_MBEC BIT(1)
#define SWEEP_EPT_FLAG_COMBOS 4

/*
 * Calls @check for every x86 role of the sweep: each paging mode, each
 * MAXPHYADDR, with and without NX, 1G pages, AMD and CR4.PSE.
 */
static unsigned int for_each_x86_role(role_check_fn check)
{
	unsigned int l, m, flags, mismatches = 0;
	struct x86_sweep_point pt;
	struct cpu_role role;

	for (l = 0; l < ARRAY_SIZE(sweep_x86_levels); l++) {
		for (m = 0; m < ARRAY_SIZE(sweep_maxphyaddrs); m++) {
			for (flags = 0; flags < SWEEP_X86_FLAG_COMBOS;
			     flags++) {
				pt.level = sweep_x86_levels[l];
				pt.maxphyaddr = sweep_maxphyaddrs[m];
				pt.nx = flags & SWEEP_NX;
				pt.gbpages = flags & SWEEP_GBPAGES;
				pt.amd = flags & SWEEP_AMD;
				pt.pse = flags & SWEEP_PSE;
				x86_sweep_role(&role, &pt);
				mismatches += check(&role, mismatches);
			}
		}
	}
	return mismatches;
}

static void ept_sweep_role(struct cpu_role *role, u8 levels, u8 maxphyaddr,
			   u8 huge, unsigned int flags)
{
	u64 eptp = eptp_for_levels(levels);
	bool execonly = flags & SWEEP_EPT_EXECONLY;
	bool mbec = flags & SWEEP_EPT_MBEC;

	cr_assert_eq(
		cpu_role_for_ept(role, eptp, execonly, mbec, huge, maxphyaddr),
		0, "levels %u maxphyaddr %u huge %u", levels, maxphyaddr, huge);
}

/*
 * Calls @check for every EPT role of the sweep: 4- and 5-level, each
 * MAXPHYADDR, each largest page size, with and without execute-only and
 * MBEC.
 */
static unsigned int for_each_ept_role(role_check_fn check)
{
	unsigned int l, m, huge, flags, mismatches = 0;
	struct cpu_role role;

	for (l = 0; l < ARRAY_SIZE(sweep_ept_levels); l++) {
		for (m = 0; m < ARRAY_SIZE(sweep_maxphyaddrs); m++) {
			for (huge = PG_LEVEL_4K; huge <= PG_LEVEL_1G; huge++) {
				for (flags = 0; flags < SWEEP_EPT_FLAG_COMBOS;
				     flags++) {
					ept_sweep_role(&role,
						       sweep_ept_levels[l],
						       sweep_maxphyaddrs[m],
						       huge, flags);
					mismatches += check(&role, mismatches);
				}
			}
		}
	}
	return mismatches;
}

static unsigned int check_masks(const struct cpu_role *role,
				unsigned int logged)
{
	unsigned int mismatches = 0;
	struct kvm_page_format fmt;
	char desc[ROLE_DESC_LEN];
	int level, ps, bit;

	cr_assert_eq(kvm_page_format_init(&fmt, role), 0, "role {%s}",
		     role_describe(role, desc));
	if (!role->ept)
		cr_assert_eq(fmt.bad_mt_xwr, 0, "role {%s}",
			     role_describe(role, desc));

	for (level = PG_LEVEL_4K; level <= role->level; level++) {
		for (ps = 0; ps < PS_ROWS; ps++) {
			u64 mask = fmt.rsvd_bits_mask[ps][level - 1];

			for (bit = 0; bit < PTE_BITS; bit++) {
				bool expected = reference_bit_reserved(
					role, level, ps, bit);
				bool got = (mask >> bit) & 1;

				if (expected == got)
					continue;
				if (logged + mismatches < MISMATCHES_LOGGED)
					cr_log_error(
						"role {%s} level %d ps %d bit %d: expected %s, got %s (mask %#018llx)",
						role_describe(role, desc),
						level, ps, bit,
						expected ? "reserved" : "free",
						got ? "reserved" : "free",
						(unsigned long long)mask);
				mismatches++;
			}
		}
	}
	return mismatches;
}

Test(rsvd_bits, x86_masks_match_reference_per_bit)
{
	unsigned int mismatches = for_each_x86_role(check_masks);

	cr_assert_eq(mismatches, 0, "%u (role, level, ps, bit) mismatches",
		     mismatches);
}

Test(rsvd_bits, ept_masks_match_reference_per_bit)
{
	unsigned int mismatches = for_each_ept_role(check_masks);

	cr_assert_eq(mismatches, 0, "%u (role, level, ps, bit) mismatches",
		     mismatches);
}

/*
 * Levels above the root are never walked, and docs/page-format.md
 * promises them zero (reset_rsvds_bits_mask() clears the array first) so
 * that page_format_check_entry() answers alike for every format.
 */
static unsigned int check_levels_above_root(const struct cpu_role *role,
					    unsigned int logged)
{
	unsigned int mismatches = 0;
	struct kvm_page_format fmt;
	char desc[ROLE_DESC_LEN];
	int level, ps;

	cr_assert_eq(kvm_page_format_init(&fmt, role), 0);
	for (level = role->level + 1; level <= PT64_ROOT_MAX_LEVEL; level++) {
		for (ps = 0; ps < PS_ROWS; ps++) {
			u64 mask = fmt.rsvd_bits_mask[ps][level - 1];

			if (!mask)
				continue;
			if (logged + mismatches < MISMATCHES_LOGGED)
				cr_log_error(
					"role {%s} level %d ps %d: expected 0, got %#018llx",
					role_describe(role, desc), level, ps,
					(unsigned long long)mask);
			mismatches++;
		}
	}
	return mismatches;
}

Test(rsvd_bits, levels_above_root_are_zero)
{
	unsigned int mismatches = for_each_x86_role(check_levels_above_root);

	mismatches += for_each_ept_role(check_levels_above_root);
	cr_assert_eq(mismatches, 0, "%u non-zero rows above the root",
		     mismatches);
}

/* With MBEC, XU grants execution, so it is judged like X. */
static bool expected_bad_mt_xwr(const struct cpu_role *role, u64 pte)
{
	unsigned int memtype = (pte & EPT_MT_MASK) >> EPT_MT_SHIFT;
	unsigned int xwr = pte & EPT_RWX_MASK;

	if (pte & EPT_USER_EXECUTABLE_MASK)
		xwr |= EPT_EXECUTABLE_MASK;
	return reference_bad_mt_xwr(role->ept_execonly, memtype, xwr);
}

/*
 * The reference verdict on a whole entry: its row is picked by its own bit
 * 7, and an EPT entry can also be a misconfiguration.
 */
static bool expected_entry_rsvd(const struct cpu_role *role, int level, u64 pte)
{
	bool ps = pte & PT_PAGE_SIZE_MASK;
	int bit;

	if (role->ept && expected_bad_mt_xwr(role, pte))
		return true;
	for (bit = 0; bit < PTE_BITS; bit++)
		if ((pte & BIT_ULL(bit)) &&
		    reference_bit_reserved(role, level, ps, bit))
			return true;
	return false;
}

/*
 * page_format_check_entry() on entries with one bit set, alone and with
 * PS, at every level of the walk.
 */
static unsigned int check_entries(const struct cpu_role *role,
				  unsigned int logged)
{
	unsigned int mismatches = 0;
	struct kvm_page_format fmt;
	char desc[ROLE_DESC_LEN];
	int level, ps, bit;

	cr_assert_eq(kvm_page_format_init(&fmt, role), 0);
	for (level = PG_LEVEL_4K; level <= role->level; level++) {
		for (ps = 0; ps < PS_ROWS; ps++) {
			for (bit = 0; bit < PTE_BITS; bit++) {
				u64 pte = BIT_ULL(bit) |
					  (ps ? PT_PAGE_SIZE_MASK : 0);
				bool expected, got;

				expected =
					expected_entry_rsvd(role, level, pte);
				cr_assert_eq(page_format_check_entry(
						     &fmt, pte, level, &got),
					     0);
				if (expected == got)
					continue;
				if (logged + mismatches < MISMATCHES_LOGGED)
					cr_log_error(
						"role {%s} level %d pte %#018llx: expected %s, got %s",
						role_describe(role, desc),
						level, (unsigned long long)pte,
						expected ? "reserved" : "valid",
						got ? "reserved" : "valid");
				mismatches++;
			}
		}
	}
	return mismatches;
}

Test(rsvd_bits, check_entry_picks_row_by_bit7)
{
	unsigned int mismatches = for_each_x86_role(check_entries);

	mismatches += for_each_ept_role(check_entries);
	cr_assert_eq(mismatches, 0, "%u (role, level, entry) mismatches",
		     mismatches);
}

static void assert_rsvd_entry(const struct kvm_page_format *fmt, int ps,
			      int level, u64 expected, const char *name)
{
	u64 got = fmt->rsvd_bits_mask[ps][level - 1];

	cr_assert_eq(got, expected,
		     "%s: [%d][L%d]: expected %#018llx, got %#018llx", name, ps,
		     level, (unsigned long long)expected,
		     (unsigned long long)got);
}

static void assert_rsvd_table(const struct kvm_page_format *fmt,
			      const u64 golden[2][PT64_ROOT_MAX_LEVEL],
			      const char *name)
{
	int ps, level;

	for (ps = 0; ps < PS_ROWS; ps++)
		for (level = PG_LEVEL_4K; level <= PT64_ROOT_MAX_LEVEL; level++)
			assert_rsvd_entry(fmt, ps, level, golden[ps][level - 1],
					  name);
}

static void long_mode_format(struct kvm_page_format *fmt, bool amd, bool nx,
			     bool gbpages)
{
	const struct cpu_features cpu = {
		.amd = amd,
		.gbpages = gbpages,
		.maxphyaddr = GOLDEN_MAXPHYADDR,
	};
	u64 efer = EFER_LME | EFER_LMA | (nx ? EFER_NX : 0);
	struct cpu_role role;

	cr_assert_eq(cpu_role_from_regs(&role,
					X86_CR0_PE | X86_CR0_PG | X86_CR0_WP,
					X86_CR4_PAE, efer, &cpu),
		     0);
	cr_assert_eq(kvm_page_format_init(fmt, &role), 0);
}

Test(rsvd_bits, golden_4level_intel)
{
	struct kvm_page_format fmt;

	long_mode_format(&fmt, false, true, true);
	assert_rsvd_table(&fmt, golden_rsvd_4level_intel,
			  "4-level Intel NX=1 GBPAGES=1");
}

Test(rsvd_bits, golden_4level_amd_without_nx_and_gbpages)
{
	struct kvm_page_format fmt;

	long_mode_format(&fmt, true, false, false);
	assert_rsvd_table(&fmt, golden_rsvd_4level_amd_nonx_nogb,
			  "4-level AMD NX=0 GBPAGES=0");
}

Test(rsvd_bits, golden_pae)
{
	const struct cpu_features cpu = {
		.maxphyaddr = 36,
	};
	struct kvm_page_format fmt;
	struct cpu_role role;

	cr_assert_eq(cpu_role_from_regs(&role, X86_CR0_PE | X86_CR0_PG,
					X86_CR4_PAE, EFER_NX, &cpu),
		     0);
	cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
	assert_rsvd_entry(&fmt, 0, PG_LEVEL_4K, GOLDEN_PAE_PTE, "PAE");
	assert_rsvd_entry(&fmt, 0, PG_LEVEL_2M, GOLDEN_PAE_PDE, "PAE");
	assert_rsvd_entry(&fmt, 0, PG_LEVEL_1G, GOLDEN_PAE_PDPTE, "PAE");
	assert_rsvd_entry(&fmt, 1, PG_LEVEL_2M, GOLDEN_PAE_2M_PDE, "PAE");
}

Test(rsvd_bits, golden_32bit_with_pse)
{
	const struct cpu_features cpu = {
		.maxphyaddr = 36,
	};
	struct kvm_page_format fmt;
	struct cpu_role role;
	int ps, level;

	cr_assert_eq(cpu_role_from_regs(&role, X86_CR0_PE | X86_CR0_PG,
					X86_CR4_PSE, 0, &cpu),
		     0);
	cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
	for (ps = 0; ps < PS_ROWS; ps++) {
		for (level = PG_LEVEL_4K; level <= PT64_ROOT_MAX_LEVEL;
		     level++) {
			bool is_4m_pde = ps && level == PG_LEVEL_2M;

			assert_rsvd_entry(&fmt, ps, level,
					  is_4m_pde ? GOLDEN_32BIT_4M_PDE : 0,
					  "32-bit PSE");
		}
	}
}

Test(rsvd_bits, golden_ept)
{
	struct kvm_page_format fmt;
	struct cpu_role role;

	golden_ept_role(&role, PT64_ROOT_5LEVEL, false, false);
	cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
	assert_rsvd_entry(&fmt, 0, PG_LEVEL_4K, GOLDEN_EPT_PTE, "EPT");
	assert_rsvd_entry(&fmt, 0, PG_LEVEL_2M, GOLDEN_EPT_NONLEAF_PDE, "EPT");
	assert_rsvd_entry(&fmt, 0, PG_LEVEL_1G, GOLDEN_EPT_NONLEAF_PDPTE,
			  "EPT");
	assert_rsvd_entry(&fmt, 0, PT64_ROOT_4LEVEL, GOLDEN_EPT_PML4E, "EPT");
	assert_rsvd_entry(&fmt, 0, PT64_ROOT_5LEVEL, GOLDEN_EPT_PML5E, "EPT");
	assert_rsvd_entry(&fmt, 1, PG_LEVEL_2M, GOLDEN_EPT_2M_PDE, "EPT");
	assert_rsvd_entry(&fmt, 1, PG_LEVEL_1G, GOLDEN_EPT_1G_PDPTE, "EPT");
}

Test(bad_mt_xwr, golden_values)
{
	struct kvm_page_format fmt;
	struct cpu_role role;

	golden_ept_role(&role, PT64_ROOT_4LEVEL, false, true);
	cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
	cr_assert_eq(fmt.bad_mt_xwr, GOLDEN_BAD_MT_XWR_EXECONLY,
		     "execonly=1: got %#018llx",
		     (unsigned long long)fmt.bad_mt_xwr);

	golden_ept_role(&role, PT64_ROOT_4LEVEL, false, false);
	cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
	cr_assert_eq(fmt.bad_mt_xwr, GOLDEN_BAD_MT_XWR_NO_EXECONLY,
		     "execonly=0: got %#018llx",
		     (unsigned long long)fmt.bad_mt_xwr);
}

static void check_bad_mt_xwr(bool user_exec)
{
	struct kvm_page_format fmt;
	struct cpu_role role;
	unsigned int mt_xwr;
	int execonly;

	for (execonly = 0; execonly <= 1; execonly++) {
		golden_ept_role(&role, PT64_ROOT_4LEVEL, true, execonly);
		cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
		for (mt_xwr = 0; mt_xwr < EPT_MT_XWR_COMBINATIONS; mt_xwr++) {
			u64 pte = mt_xwr |
				  (user_exec ? EPT_USER_EXECUTABLE_MASK : 0);
			bool expected = expected_bad_mt_xwr(&role, pte);

			if (!user_exec)
				cr_assert_eq(
					(fmt.bad_mt_xwr >> mt_xwr) & 1,
					expected,
					"execonly=%d memtype %u xwr %u",
					execonly, mt_xwr >> EPT_MT_SHIFT,
					mt_xwr & (unsigned int)EPT_RWX_MASK);
			cr_assert_eq(__is_bad_mt_xwr(&fmt, pte), expected,
				     "execonly=%d pte %#llx: expected %s",
				     execonly, (unsigned long long)pte,
				     expected ? "bad" : "good");
		}
	}
}

Test(bad_mt_xwr, matches_reference_for_every_memtype_and_xwr)
{
	check_bad_mt_xwr(false);
}

Test(bad_mt_xwr, user_execute_counts_as_execute)
{
	struct kvm_page_format fmt;
	struct cpu_role role;
	u64 xu_only = EPT_USER_EXECUTABLE_MASK;

	check_bad_mt_xwr(true);

	/* XU without R is execute-only: legal only with the capability. */
	golden_ept_role(&role, PT64_ROOT_4LEVEL, true, false);
	cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
	cr_assert(__is_bad_mt_xwr(&fmt, xu_only));
	cr_assert_not(__is_bad_mt_xwr(&fmt, xu_only | EPT_READABLE_MASK));
	golden_ept_role(&role, PT64_ROOT_4LEVEL, true, true);
	cr_assert_eq(kvm_page_format_init(&fmt, &role), 0);
	cr_assert_not(__is_bad_mt_xwr(&fmt, xu_only));
}
