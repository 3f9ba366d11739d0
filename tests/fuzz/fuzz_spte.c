/*
 * fuzz_spte: struct kvm_page_format against the bit-by-bit oracle of
 * arch_rules.c, for every role constructor (guest, EPT, NPT, tdp_mmu and
 * shadow_mmu SPTEs, raw roles).
 *
 * Input: struct spte_fuzz_header, then up to SPTE_FUZZ_MAX_ENTRIES
 * struct spte_fuzz_entry (fuzz_layout.h).  Per input: the role must be
 * accepted exactly when arch_role_valid() says so; KVM's permission loop
 * and the fast table must agree; every single-bit probe at every level
 * must match the oracle's reserved bits; and each entry of the input must
 * get the oracle's verdict from __is_rsvd_bits_set(), __is_bad_mt_xwr(),
 * is_rsvd_spte() and page_format_check_entry().
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "arch_rules.h"
#include "fuzz_layout.h"
#include "mmu/spte.h"
#include "mmu/spte_format.h"
#include "walker/cpu_role.h"

struct spte_case {
	struct cpu_role role;
	const char *origin;
	/* What the constructor should have returned, from the docs. */
	bool expect_valid;
};

static void __attribute__((noreturn, format(printf, 2, 3)))
spte_fail(const struct spte_case *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_spte: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n  %s ", c->origin);
	arch_print_role(stderr, &c->role);
	fprintf(stderr, "\n");
	__builtin_trap();
}

#define SPTE_CHECK(c, cond, ...)                   \
	do {                                       \
		if (!(cond))                       \
			spte_fail(c, __VA_ARGS__); \
	} while (0)

static int role_from_guest_regs(struct spte_case *c,
				const struct spte_fuzz_header *h)
{
	struct cpu_features cpu = {
		.amd = h->flags2 & SF2_AMD,
		.gbpages = h->flags2 & SF2_GBPAGES,
		.maxphyaddr = fuzz_maxphyaddr(h->maxphyaddr),
	};
	u64 cr0 = 0, cr4 = 0, efer = 0;
	bool pg = h->flags & SF_GUEST_PG, lma = h->flags2 & SF2_EFER_LMA;
	bool pae = h->flags & SF_CR4_PAE;
	u8 level;
	int r;

	cr0 |= (h->flags & SF_GUEST_PE) ? X86_CR0_PE : 0;
	cr0 |= pg ? X86_CR0_PG : 0;
	cr0 |= (h->flags & SF_GUEST_WP) ? X86_CR0_WP : 0;
	cr4 |= (h->flags & SF_CR4_PSE) ? X86_CR4_PSE : 0;
	cr4 |= pae ? X86_CR4_PAE : 0;
	cr4 |= (h->flags & SF_CR4_LA57) ? X86_CR4_LA57 : 0;
	cr4 |= (h->flags & SF_CR4_SMEP) ? X86_CR4_SMEP : 0;
	cr4 |= (h->flags & SF_CR4_SMAP) ? X86_CR4_SMAP : 0;
	cr4 |= (h->flags2 & SF2_CR4_PKE) ? X86_CR4_PKE : 0;
	efer |= (h->flags2 & SF2_EFER_LME) ? EFER_LME : 0;
	efer |= lma ? EFER_LMA : 0;
	efer |= (h->flags2 & SF2_EFER_NX) ? EFER_NX : 0;

	c->origin = "cpu_role_from_regs()";
	r = cpu_role_from_regs(&c->role, cr0, cr4, efer, &cpu);

	/* CR0.PG needs CR0.PE; EFER.LMA needs CR0.PG and CR4.PAE. */
	c->expect_valid = !(pg && !(cr0 & X86_CR0_PE)) &&
			  !(lma && (!pg || !pae)) &&
			  cpu.maxphyaddr >= PHYS_ADDR_BITS_MIN &&
			  cpu.maxphyaddr <= PHYS_ADDR_BITS_MAX;
	if (!pg)
		level = 0;
	else if (lma)
		level = (cr4 & X86_CR4_LA57) ? 5 : 4;
	else
		level = pae ? 3 : 2;
	if (!r) {
		SPTE_CHECK(c, c->role.level == level,
			   "cpu_role_from_regs: level %u, expected %u",
			   c->role.level, level);
		SPTE_CHECK(c, c->role.cr4_pke == (lma && (cr4 & X86_CR4_PKE)),
			   "cpu_role_from_regs: PKE outside long mode");
		SPTE_CHECK(c, !c->role.ept && !c->role.tdp,
			   "cpu_role_from_regs: guest role is EPT or TDP");
	}
	return r;
}

static int role_for_ept(struct spte_case *c, const struct spte_fuzz_header *h)
{
	u8 pwl = (h->flags & SF_EPT_RAW_PWL) ? (h->levels & 7) :
					       3 + (h->levels & 1);
	u64 eptp = ((u64)pwl << EPTP_PWL_SHIFT) |
		   ((h->flags & SF_EPT_AD) ? EPTP_AD_ENABLE_MASK : 0) | 6;
	bool execonly = h->flags & SF_EPT_EXECONLY;
	bool mbec = h->flags & SF_EPT_MBEC;
	u8 huge = (h->levels >> 4) % 5;
	u8 maxphyaddr = fuzz_maxphyaddr(h->maxphyaddr);
	int r;

	c->origin = "cpu_role_for_ept()";
	r = cpu_role_for_ept(&c->role, eptp, execonly, mbec, huge, maxphyaddr);
	c->expect_valid = (pwl == 3 || pwl == 4) && huge >= PG_LEVEL_4K &&
			  huge <= PG_LEVEL_1G &&
			  maxphyaddr >= PHYS_ADDR_BITS_MIN &&
			  maxphyaddr <= PHYS_ADDR_BITS_MAX;
	if (!r) {
		SPTE_CHECK(c,
			   c->role.ept && c->role.tdp &&
				   c->role.level == pwl + 1 &&
				   c->role.cr4_smep == mbec &&
				   c->role.ept_execonly == execonly &&
				   c->role.ept_ad_disabled ==
					   !(h->flags & SF_EPT_AD) &&
				   c->role.ept_huge_page_level == huge,
			   "cpu_role_for_ept: role does not match the EPTP "
			   "0x%llx",
			   (unsigned long long)eptp);
	}
	return r;
}

static int role_for_npt(struct spte_case *c, const struct spte_fuzz_header *h)
{
	struct cpu_features host = {
		.amd = h->flags2 & SF2_AMD,
		.gbpages = h->flags2 & SF2_GBPAGES,
		.maxphyaddr = fuzz_maxphyaddr(h->maxphyaddr),
	};
	u64 cr4 = 0, efer = 0;
	bool gmet = h->flags2 & SF2_GMET, lma = h->flags2 & SF2_EFER_LMA;
	int r;

	cr4 |= (h->flags & SF_CR4_PSE) ? X86_CR4_PSE : 0;
	cr4 |= (h->flags & SF_CR4_PAE) ? X86_CR4_PAE : 0;
	cr4 |= (h->flags & SF_CR4_LA57) ? X86_CR4_LA57 : 0;
	cr4 |= (h->flags & SF_CR4_SMEP) ? X86_CR4_SMEP : 0;
	cr4 |= (h->flags & SF_CR4_SMAP) ? X86_CR4_SMAP : 0;
	cr4 |= (h->flags2 & SF2_CR4_PKE) ? X86_CR4_PKE : 0;
	efer |= (h->flags2 & SF2_EFER_LME) ? EFER_LME : 0;
	efer |= lma ? EFER_LMA : 0;
	efer |= (h->flags2 & SF2_EFER_NX) ? EFER_NX : 0;

	c->origin = "cpu_role_for_npt()";
	r = cpu_role_for_npt(&c->role, cr4, efer, gmet, &host);
	c->expect_valid = !(lma && !(cr4 & X86_CR4_PAE)) &&
			  host.maxphyaddr >= PHYS_ADDR_BITS_MIN &&
			  host.maxphyaddr <= PHYS_ADDR_BITS_MAX;
	if (!r) {
		SPTE_CHECK(c,
			   c->role.tdp && !c->role.ept && c->role.cr0_wp &&
				   !c->role.cr4_smap && !c->role.cr4_pke &&
				   c->role.cr4_smep == gmet &&
				   c->role.level >= 2,
			   "cpu_role_for_npt: WP must be on, SMAP/PKE off, "
			   "SMEP = GMET");
	}
	return r;
}

static int role_for_tdp_mmu(struct spte_case *c,
			    const struct spte_fuzz_header *h)
{
	struct spte_host host = {
		.ept = h->flags & SF_HOST_EPT,
		.maxphyaddr = fuzz_maxphyaddr(h->maxphyaddr),
		.gbpages = h->flags & SF_HOST_GBPAGES,
		.max_huge_page_level = (h->levels >> 4) % 5,
	};
	u8 root = h->levels & 7;
	bool m_ok = host.maxphyaddr >= PHYS_ADDR_BITS_MIN &&
		    host.maxphyaddr <= PHYS_ADDR_BITS_MAX;
	int r;

	c->origin = host.ept ? "tdp_mmu_spte_role(EPT host)" :
			       "tdp_mmu_spte_role(NPT host)";
	r = tdp_mmu_spte_role(&c->role, &host, root);
	c->expect_valid = m_ok && (root == 4 || root == 5);
	if (host.ept)
		c->expect_valid &= host.max_huge_page_level >= PG_LEVEL_4K &&
				   host.max_huge_page_level <= PG_LEVEL_1G;
	if (r)
		return r;
	SPTE_CHECK(c, c->role.tdp && c->role.level == root,
		   "tdp_mmu_spte_role: not a TDP role of the root level");
	if (host.ept)
		SPTE_CHECK(c,
			   c->role.ept && !c->role.ept_execonly &&
				   !c->role.cr4_smep &&
				   c->role.ept_huge_page_level ==
					   host.max_huge_page_level,
			   "tdp_mmu_spte_role: EPT SPTEs have no exec-only or "
			   "MBEC, and the host's largest page");
	else
		SPTE_CHECK(
			c,
			!c->role.ept && c->role.amd && c->role.efer_nx &&
				c->role.cr0_wp &&
				c->role.gbpages == host.gbpages &&
				!c->role.cr4_pse,
			"tdp_mmu_spte_role: NPT SPTEs are AMD format with NX "
			"and WP and the host's 1G pages");
	return 0;
}

static int role_for_shadow_mmu(struct spte_case *c,
			       const struct spte_fuzz_header *h)
{
	struct spte_host host = {
		.ept = h->flags & SF_HOST_EPT,
		.maxphyaddr = fuzz_maxphyaddr(h->maxphyaddr),
		.gbpages = h->flags & SF_HOST_GBPAGES,
		.max_huge_page_level = PG_LEVEL_1G,
	};
	u8 root = h->levels & 7;
	u8 level = root < PT64_ROOT_4LEVEL ? PT64_ROOT_4LEVEL : root;
	bool smep = h->flags & SF_SHADOW_SMEP;
	bool shadows_npt = h->flags & SF_SHADOW_NPT;
	int r;

	c->origin = "shadow_mmu_spte_role()";
	r = shadow_mmu_spte_role(&c->role, &host, root, smep, shadows_npt);
	c->expect_valid = host.maxphyaddr >= PHYS_ADDR_BITS_MIN &&
			  host.maxphyaddr <= PHYS_ADDR_BITS_MAX &&
			  (level == 4 || level == 5);
	if (r)
		return r;
	SPTE_CHECK(c,
		   c->role.level == level && !c->role.ept && c->role.amd &&
			   c->role.efer_nx && c->role.cr0_wp &&
			   !c->role.cr4_smap && !c->role.cr4_pse &&
			   !c->role.cr4_pke && c->role.cr4_smep == smep &&
			   c->role.tdp == shadows_npt &&
			   c->role.gbpages == host.gbpages,
		   "shadow_mmu_spte_role: x86 SPTEs, >= 4 levels, AMD, NX, "
		   "WP, no SMAP, SMEP as given");
	return 0;
}

static int role_raw(struct spte_case *c, const struct spte_fuzz_header *h)
{
	struct cpu_role *role = &c->role;

	memset(role, 0, sizeof(*role));
	role->level = h->levels & 7;
	role->maxphyaddr = fuzz_maxphyaddr(h->maxphyaddr);
	role->ept = h->flags & BIT(0);
	role->tdp = h->flags & BIT(1);
	role->amd = h->flags & BIT(2);
	role->gbpages = h->flags & BIT(3);
	role->cr0_wp = h->flags & BIT(4);
	role->cr4_pse = h->flags & BIT(5);
	role->cr4_smep = h->flags & BIT(6);
	role->cr4_smap = h->flags & BIT(7);
	role->cr4_pke = h->flags2 & BIT(0);
	role->efer_nx = h->flags2 & BIT(1);
	role->ept_execonly = h->flags2 & BIT(2);
	role->ept_ad_disabled = h->flags2 & BIT(3);
	role->ept_huge_page_level = (h->levels >> 4) % 5;
	c->origin = "raw role";
	c->expect_valid = arch_role_valid(role);
	return cpu_role_validate(role);
}

static int build_role(struct spte_case *c, const struct spte_fuzz_header *h)
{
	switch (h->kind % SPTE_KIND_COUNT) {
	case SPTE_KIND_GUEST:
		return role_from_guest_regs(c, h);
	case SPTE_KIND_EPT:
		return role_for_ept(c, h);
	case SPTE_KIND_NPT:
		return role_for_npt(c, h);
	case SPTE_KIND_TDP_MMU:
		return role_for_tdp_mmu(c, h);
	case SPTE_KIND_SHADOW_MMU:
		return role_for_shadow_mmu(c, h);
	default:
		return role_raw(c, h);
	}
}

/* KVM's 16-iteration loop and mmusim's table must give the same bits. */
static void check_permissions(const struct spte_case *c,
			      const struct kvm_page_format *fmt)
{
	struct kvm_page_format slow, fast;
	int i;

	memset(&slow, 0xa5, sizeof(slow));
	memset(&fast, 0x5a, sizeof(fast));
	update_permission_bitmask(&slow, &c->role);
	update_permission_bitmask_fast(&fast, &c->role);
	for (i = 0; i < PERM_INDEX_COUNT; i++)
		SPTE_CHECK(c, slow.permissions[i] == fast.permissions[i],
			   "permissions[%d]: update_permission_bitmask() "
			   "0x%04x, update_permission_bitmask_fast() 0x%04x",
			   i, slow.permissions[i], fast.permissions[i]);
	if (c->role.level)
		SPTE_CHECK(c,
			   !memcmp(fmt->permissions, fast.permissions,
				   sizeof(fast.permissions)),
			   "kvm_page_format_init() permissions differ from "
			   "update_permission_bitmask_fast()");
}

/*
 * Every bit alone, in an entry with bit 7 clear and with bit 7 set, at
 * every level: __is_rsvd_bits_set() must match the oracle bit for bit.
 */
static void check_single_bits(const struct spte_case *c,
			      const struct kvm_page_format *fmt)
{
	int level, bit, ps;

	for (level = 1; level <= PT64_ROOT_MAX_LEVEL; level++) {
		for (ps = 0; ps <= 1; ps++) {
			bool ps_rsvd = ps && arch_bit_reserved(&c->role, level,
							       true, 7);

			for (bit = 0; bit < 64; bit++) {
				u64 pte = BIT_ULL(bit) |
					  (ps ? PT_PAGE_SIZE_MASK : 0);
				bool want = ps_rsvd ||
					    arch_bit_reserved(&c->role, level,
							      ps || bit == 7,
							      bit);
				bool got = __is_rsvd_bits_set(fmt, pte, level);

				SPTE_CHECK(
					c, got == want,
					"__is_rsvd_bits_set(0x%016llx, "
					"level %d) = %d, reference says %d "
					"(reference reserved bits "
					"0x%016llx)",
					(unsigned long long)pte, level, got,
					want,
					(unsigned long long)arch_reserved_bits(
						&c->role, level, pte >> 7 & 1));
			}
		}
	}
}

/* EPT: bits 5:0 and XU exhaustively against the oracle; else never bad. */
static void check_mt_xwr(const struct spte_case *c,
			 const struct kvm_page_format *fmt)
{
	unsigned int low;

	for (low = 0; low < 128; low++) {
		u64 pte = (low & 0x3f) | ((low & 0x40) ? BIT_ULL(10) : 0);
		bool got = __is_bad_mt_xwr(fmt, pte);
		bool want = arch_ept_bad_mt_xwr(&c->role, pte);

		SPTE_CHECK(c, got == want,
			   "__is_bad_mt_xwr(0x%llx) = %d, reference says %d",
			   (unsigned long long)pte, got, want);
	}
}

static u64 apply_bias(const struct cpu_role *role, u64 v, u8 bias)
{
	static const u8 bits[16] = { 0,	 51, 52, 62, 63, 7,  8,	 12,
				     13, 16, 17, 20, 21, 29, 30, 10 };
	static const u8 memtypes[4] = { 6, 2, 3, 7 };
	u8 arg = bias >> 3;
	int m = role->maxphyaddr;

	switch (bias & 7) {
	case SPTE_BIAS_BOUNDARY_BIT:
		/* MAXPHYADDR - 1, MAXPHYADDR, then fixed boundaries. */
		if (arg < 2)
			return v | BIT_ULL((m - 1 + arg) & 63);
		return v | BIT_ULL(bits[arg & 15]);
	case SPTE_BIAS_EPT_MT_XWR:
		/* XWR from bits 5:3 of the bias; WB or a reserved type. */
		v &= ~EPT_MT_XWR_MASK;
		return v | (arg & 7) |
		       ((u64)memtypes[arg >> 3] << EPT_MT_SHIFT);
	case SPTE_BIAS_HIGH_BITS:
		/* Every bit from MAXPHYADDR + arg % 4 up, or just to 51. */
		return v |
		       GENMASK_ULL((arg & 4) ? 51 : 63, (m + (arg & 3)) & 63);
	case SPTE_BIAS_PS:
		return v | PT_PAGE_SIZE_MASK;
	case SPTE_BIAS_LOW_32:
		return v & 0xffffffffULL;
	case SPTE_BIAS_ADDRESS_ONLY:
		return (v & GENMASK_ULL(51, 12) & GENMASK_ULL(m - 1, 0)) |
		       (v & 0xfff);
	case SPTE_BIAS_FLIP_BIT:
		return v ^ BIT_ULL(arg & 31) ^
		       ((bias & 0x80) ? BIT_ULL(63) : 0);
	default:
		return v;
	}
}

static void check_entry(const struct spte_case *c,
			const struct kvm_page_format *fmt,
			const struct spte_fuzz_entry *e)
{
	int level = (int)(e->level % 10) - 2;
	u64 pte = apply_bias(&c->role, fuzz_le64(e->value), e->bias);
	bool rsvd = false, want_rsvd, want_bad, got_rsvd, got_bad, got;
	u64 ref_bits;
	int r;

	r = page_format_check_entry(fmt, pte, level, &rsvd);
	if (level < PG_LEVEL_4K || level > PT64_ROOT_MAX_LEVEL) {
		SPTE_CHECK(c, r == -EINVAL,
			   "page_format_check_entry(level %d) = %d, expected "
			   "-EINVAL",
			   level, r);
		return;
	}
	SPTE_CHECK(c, r == 0, "page_format_check_entry(level %d) = %d", level,
		   r);

	ref_bits = arch_reserved_bits(&c->role, level, pte >> 7 & 1);
	want_rsvd = pte & ref_bits;
	want_bad = arch_ept_bad_mt_xwr(&c->role, pte);
	got_rsvd = __is_rsvd_bits_set(fmt, pte, level);
	got_bad = __is_bad_mt_xwr(fmt, pte);
	got = is_rsvd_spte(fmt, pte, level);

	SPTE_CHECK(c, got_rsvd == want_rsvd,
		   "__is_rsvd_bits_set(0x%016llx, level %d) = %d, reference "
		   "says %d (reserved bits set: 0x%016llx)",
		   (unsigned long long)pte, level, got_rsvd, want_rsvd,
		   (unsigned long long)(pte & ref_bits));
	SPTE_CHECK(c, got_bad == want_bad,
		   "__is_bad_mt_xwr(0x%016llx) = %d, reference says %d",
		   (unsigned long long)pte, got_bad, want_bad);
	SPTE_CHECK(c, got == (got_rsvd || got_bad),
		   "is_rsvd_spte(0x%016llx, level %d) = %d is not "
		   "rsvd || bad_mt_xwr",
		   (unsigned long long)pte, level, got);
	SPTE_CHECK(c, rsvd == got,
		   "page_format_check_entry(0x%016llx, level %d) says %d, "
		   "is_rsvd_spte() %d",
		   (unsigned long long)pte, level, rsvd, got);
	/* Above the root there are no entries to judge. */
	if (level <= c->role.level && arch_entry_present(&c->role, pte))
		SPTE_CHECK(c, got == arch_entry_illegal(&c->role, level, pte),
			   "present entry 0x%016llx at level %d: "
			   "is_rsvd_spte() = %d, architecture says %d",
			   (unsigned long long)pte, level, got, !got);
}

/* ---- SPTE_KIND_MAKE_SPTE: what mmu/spte.c builds ---- */

struct make_case {
	struct spte_case c;
	const char *format;
	struct spte_masks m;
	struct kvm_page_format fmt;
	/* Largest leaf the format maps. */
	int max_level;
	bool l1_npt;
};

/*
 * The SPTE format of each MMU configuration, as mmu/fault.c's
 * reset_tdp(), reset_shadow() and reset_shadow_nested() set it up: the
 * masks, and the role whose kvm_page_format make_spte() checks against.
 */
static int make_format(struct make_case *mc, const struct spte_fuzz_header *h)
{
	u8 flags = h->flags;
	bool ad = flags & SMF_AD_ENABLED;
	struct spte_host host = {
		.maxphyaddr = 32 + h->maxphyaddr % 21,
		.gbpages = flags & SMF_GBPAGES,
		.max_huge_page_level = (h->levels >> 4) % 3 + 1,
	};
	u8 root = (h->levels & 1) ? PT64_ROOT_5LEVEL : PT64_ROOT_4LEVEL;
	bool smep = flags & SMF_SMEP;
	struct cpu_role *role = &mc->c.role;
	int r;

	switch ((flags & SMF_FORMAT_MASK) % SMF_COUNT) {
	case SMF_TDP_EPT:
		mc->format = "tdp_mmu on EPT";
		host.ept = true;
		spte_masks_init(&mc->m, true, ad, host.maxphyaddr);
		r = tdp_mmu_spte_role(role, &host, root);
		mc->max_level = host.max_huge_page_level;
		break;
	case SMF_TDP_NPT:
		mc->format = "tdp_mmu on NPT";
		spte_masks_init(&mc->m, false, ad, host.maxphyaddr);
		r = tdp_mmu_spte_role(role, &host, root);
		mc->max_level = host.gbpages ? PG_LEVEL_1G : PG_LEVEL_2M;
		break;
	case SMF_SHADOW:
		mc->format = "shadow_mmu";
		spte_masks_init(&mc->m, false, true, host.maxphyaddr);
		r = shadow_mmu_spte_role(role, &host, root, smep, false);
		mc->max_level = host.gbpages ? PG_LEVEL_1G : PG_LEVEL_2M;
		break;
	case SMF_SHADOW_L1_EPT:
		mc->format = "shadow_mmu of L1's EPT";
		spte_masks_init(&mc->m, true,
				ad && !(flags & SMF_L1_AD_DISABLED),
				host.maxphyaddr);
		*role = (struct cpu_role){
			.level = root,
			.maxphyaddr = host.maxphyaddr,
			.ept = true,
			.tdp = true,
			.cr4_smep = smep,
			.ept_execonly = flags & SMF_EXECONLY,
			.ept_huge_page_level = host.max_huge_page_level,
		};
		r = 0;
		mc->max_level = host.max_huge_page_level;
		break;
	default:
		mc->format = "shadow_mmu of L1's NPT";
		mc->l1_npt = true;
		spte_masks_init(&mc->m, false, true, host.maxphyaddr);
		r = shadow_mmu_spte_role(role, &host, root, smep, true);
		mc->max_level = host.gbpages ? PG_LEVEL_1G : PG_LEVEL_2M;
		break;
	}
	mc->c.origin = mc->format;
	mc->c.expect_valid = true;
	if (r)
		return r;
	return kvm_page_format_init(&mc->fmt, role);
}

static void __attribute__((noreturn, format(printf, 3, 4)))
make_fail(const struct make_case *mc, const struct spte_request *req,
	  const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_spte: %s: ", mc->format);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (req)
		fprintf(stderr,
			"\n  request: pfn 0x%llx level %d access 0x%x%s%s%s%s",
			(unsigned long long)req->pfn, req->level, req->access,
			req->host_writable ? " host_writable" : "",
			req->allow_writable ? " allow_writable" : "",
			req->prefetch ? " prefetch" : "",
			req->ad_disabled ? " ad_disabled" : "");
	fprintf(stderr, "\n  masks: %s, A/D %s; role ",
		mc->m.ept ? "EPT" : "x86", mc->m.ad_enabled ? "on" : "off");
	arch_print_role(stderr, &mc->c.role);
	fprintf(stderr, "\n");
	__builtin_trap();
}

#define MAKE_CHECK(mc, req, cond, ...)                   \
	do {                                             \
		if (!(cond))                             \
			make_fail(mc, req, __VA_ARGS__); \
	} while (0)

/* Every bit make_spte() may set in a leaf of @m for @pfn. */
static u64 make_spte_bits(const struct spte_masks *m, u64 pfn)
{
	u64 bits = SPTE_MMU_PRESENT_MASK | SPTE_TDP_AD_MASK | m->present_mask |
		   m->user_mask | m->accessed_mask | m->dirty_mask |
		   m->nx_mask | m->xs_mask | m->xu_mask |
		   m->host_writable_mask | m->mmu_writable_mask |
		   m->memtype_mask | PT_PRESENT_MASK | PT_WRITABLE_MASK |
		   PT_PAGE_SIZE_MASK | (pfn << PAGE_SHIFT);

	if (m->ept)
		bits |= EPT_SPTE_SAVED_R | EPT_SPTE_SAVED_X | EPT_SPTE_SAVED_XU;
	return bits;
}

static void check_one_spte(const struct make_case *mc,
			   const struct spte_fuzz_entry *e)
{
	const struct spte_masks *m = &mc->m;
	u8 b = e->bias;
	u64 value = fuzz_le64(e->value);
	int level = e->level % 3 + 1;
	struct spte_request req = {
		.access = b & SMB_ACCESS_MASK,
		.host_writable = b & SMB_HOST_WRITABLE,
		.allow_writable = b & SMB_ALLOW_WRITABLE,
		.prefetch = b & SMB_PREFETCH,
	};
	bool wrprot, want_wrprot, tracked;
	unsigned int want, got;
	u64 spte, restored, marked, want_back, pfn_mask;
	int l;

	if (level > mc->max_level)
		level = mc->max_level;
	req.level = level;
	/*
	 * A/D-disabled SPTEs: every SPTE of an EPT format without A/D (the
	 * MMU's root role says so exactly when its masks have no A/D); and
	 * shadow_mmu of L1's NPT when the MMU is configured without A/D.
	 */
	if (m->ept)
		req.ad_disabled = !m->ad_enabled;
	else
		req.ad_disabled = mc->l1_npt && (b & SMB_AD_DISABLED);
	pfn_mask = GENMASK_ULL(mc->c.role.maxphyaddr - PAGE_SHIFT - 1, 0) &
		   ~(pages_per_hpage(level) - 1);
	req.pfn = value & pfn_mask;
	/*
	 * A request comes from a guest (or L1) entry the walker accepted: an
	 * EPT leaf with write or execute but no read is one only exec-only
	 * allows, and W without R none does.
	 */
	if (m->ept) {
		u64 xwr =
			(req.access & ACC_READ_MASK ? EPT_READABLE_MASK : 0) |
			(req.access & ACC_WRITE_MASK ? EPT_WRITABLE_MASK : 0) |
			(req.access & ACC_EXEC_MASK ? EPT_EXECUTABLE_MASK : 0) |
			(req.access & ACC_USER_EXEC_MASK ?
				 EPT_USER_EXECUTABLE_MASK :
				 0);

		if (!(xwr & (EPT_RWX_MASK | EPT_USER_EXECUTABLE_MASK)) ||
		    arch_ept_bad_mt_xwr(&mc->c.role,
					xwr | (6ULL << EPT_MT_SHIFT)))
			req.access |= ACC_READ_MASK;
	}

	spte = make_spte(m, &mc->fmt, &req, &wrprot);

	want_wrprot = (req.access & ACC_WRITE_MASK) && req.host_writable &&
		      !req.allow_writable;
	MAKE_CHECK(mc, &req, wrprot == want_wrprot,
		   "make_spte() = 0x%016llx: wrprot %d, expected %d",
		   (unsigned long long)spte, wrprot, want_wrprot);
	MAKE_CHECK(mc, &req, !is_rsvd_spte(&mc->fmt, spte, level),
		   "make_spte() = 0x%016llx has reserved bits at level %d",
		   (unsigned long long)spte, level);
	MAKE_CHECK(mc, &req, spte_writable_invariants_hold(m, spte),
		   "make_spte() = 0x%016llx breaks the writable invariants",
		   (unsigned long long)spte);
	MAKE_CHECK(mc, &req,
		   is_shadow_present_pte(spte) && is_last_spte(spte, level) &&
			   is_large_pte(spte) == (level > PG_LEVEL_4K) &&
			   spte_to_pfn(spte) == req.pfn &&
			   !is_mmio_spte(m, spte) && !is_frozen_spte(spte),
		   "make_spte() = 0x%016llx: not a present leaf of pfn "
		   "0x%llx, or MMIO",
		   (unsigned long long)spte, (unsigned long long)req.pfn);
	MAKE_CHECK(mc, &req, !(spte & ~make_spte_bits(m, req.pfn)),
		   "make_spte() = 0x%016llx sets bits 0x%llx no SPTE of this "
		   "format has",
		   (unsigned long long)spte,
		   (unsigned long long)(spte & ~make_spte_bits(m, req.pfn)));
	MAKE_CHECK(mc, &req,
		   (spte & SPTE_TDP_AD_MASK) ==
			   (req.ad_disabled ? SPTE_TDP_AD_DISABLED : 0),
		   "make_spte() = 0x%016llx: A/D type",
		   (unsigned long long)spte);
	MAKE_CHECK(mc, &req, (spte & m->memtype_mask) == m->memtype_mask,
		   "make_spte() = 0x%016llx: no memory type",
		   (unsigned long long)spte);

	/*
	 * Access tracking: a prefetched SPTE of an A/D-disabled EPT leaf.
	 * x86 formats have no tracking bits: an A/D-disabled x86 SPTE
	 * always counts as tracked, and marking it changes nothing.
	 */
	tracked = req.prefetch && req.ad_disabled && m->ept;
	MAKE_CHECK(mc, &req,
		   is_access_track_spte(m, spte) ==
			   (tracked || (req.ad_disabled && !m->ept)),
		   "make_spte() = 0x%016llx: access-tracked %d, expected %d",
		   (unsigned long long)spte, is_access_track_spte(m, spte),
		   tracked);
	if (m->accessed_mask)
		MAKE_CHECK(mc, &req,
			   !!(spte & m->accessed_mask) == !req.prefetch,
			   "make_spte() = 0x%016llx: A is %d for a%s fault",
			   (unsigned long long)spte,
			   !!(spte & m->accessed_mask),
			   req.prefetch ? " prefetch" : "n access");

	/*
	 * The rights: the request's, without W for a host read-only page
	 * or a write-protected gfn, nor (it is not saved) in an
	 * access-tracked SPTE; x86 SPTEs are always readable (P).
	 */
	want = req.access;
	if (!req.host_writable || want_wrprot || tracked)
		want &= ~ACC_WRITE_MASK;
	if (!m->ept)
		want |= ACC_READ_MASK;
	restored = restore_acc_track_spte(m, spte);
	got = spte_access(m, restored);
	MAKE_CHECK(mc, &req, got == want,
		   "spte_access(0x%016llx restored as 0x%016llx) = 0x%x, the "
		   "request gives 0x%x",
		   (unsigned long long)spte, (unsigned long long)restored, got,
		   want);
	MAKE_CHECK(mc, &req,
		   !is_rsvd_spte(&mc->fmt, restored, level) &&
			   spte_writable_invariants_hold(m, restored),
		   "restore_acc_track_spte(0x%016llx) = 0x%016llx is not a "
		   "legal SPTE",
		   (unsigned long long)spte, (unsigned long long)restored);
	MAKE_CHECK(mc, &req, is_writable_pte(spte) == !!(want & ACC_WRITE_MASK),
		   "make_spte() = 0x%016llx: W is %d, expected %d",
		   (unsigned long long)spte, is_writable_pte(spte),
		   !!(want & ACC_WRITE_MASK));
	if (m->dirty_mask)
		MAKE_CHECK(
			mc, &req,
			!!(spte & m->dirty_mask) == is_writable_pte(spte),
			"make_spte() = 0x%016llx: D without W or W without D",
			(unsigned long long)spte);

	/*
	 * Aging it and bringing it back loses A (with A/D) or W (access
	 * tracking) only.
	 */
	marked = mark_spte_for_access_track(m, restored);
	if (!req.ad_disabled)
		want_back = restored & ~m->accessed_mask;
	else if (m->ept)
		want_back = restored & ~m->accessed_mask & ~PT_WRITABLE_MASK;
	else
		want_back = restored;
	MAKE_CHECK(mc, &req,
		   !is_rsvd_spte(&mc->fmt, marked, level) &&
			   spte_writable_invariants_hold(m, marked) &&
			   (!(marked & m->accessed_mask) ||
			    (req.ad_disabled && !m->ept)),
		   "mark_spte_for_access_track(0x%016llx) = 0x%016llx",
		   (unsigned long long)restored, (unsigned long long)marked);
	MAKE_CHECK(mc, &req, restore_acc_track_spte(m, marked) == want_back,
		   "restore(mark(0x%016llx)) = 0x%016llx, expected 0x%016llx",
		   (unsigned long long)restored,
		   (unsigned long long)restore_acc_track_spte(m, marked),
		   (unsigned long long)want_back);

	/* Splitting a huge SPTE and collapsing its first piece. */
	if (level > PG_LEVEL_4K) {
		unsigned int index = (value >> 52) & 511;
		u64 small = make_small_spte(spte, level, index);
		u64 step = pages_per_hpage(level - 1);

		MAKE_CHECK(
			mc, &req,
			!is_rsvd_spte(&mc->fmt, small, level - 1) &&
				spte_to_pfn(small) == req.pfn + index * step &&
				is_large_pte(small) == (level - 1 > 1) &&
				spte_access(m, small) == spte_access(m, spte),
			"make_small_spte(0x%016llx, %d, %u) = 0x%016llx",
			(unsigned long long)spte, level, index,
			(unsigned long long)small);
		MAKE_CHECK(mc, &req,
			   make_huge_spte(make_small_spte(spte, level, 0),
					  level) == spte,
			   "make_huge_spte(make_small_spte(0x%016llx, %d, 0)) "
			   "= 0x%016llx",
			   (unsigned long long)spte, level,
			   (unsigned long long)make_huge_spte(
				   make_small_spte(spte, level, 0), level));
	}

	/* A table SPTE for a child at this pfn, at every non-leaf level. */
	for (l = PG_LEVEL_2M; l <= mc->c.role.level; l++) {
		u64 nonleaf = make_nonleaf_spte(m, req.pfn << PAGE_SHIFT,
						req.ad_disabled);

		MAKE_CHECK(mc, &req,
			   !is_rsvd_spte(&mc->fmt, nonleaf, l) &&
				   is_shadow_present_pte(nonleaf) &&
				   !is_large_pte(nonleaf) &&
				   spte_to_pfn(nonleaf) == req.pfn &&
				   (spte_access(m, nonleaf) | ACC_USER_MASK) ==
					   ACC_ALL,
			   "make_nonleaf_spte(0x%llx) = 0x%016llx at level %d",
			   (unsigned long long)(req.pfn << PAGE_SHIFT),
			   (unsigned long long)nonleaf, l);
	}
}

/*
 * MMIO SPTEs: the gfn (below the host's MAXPHYADDR, which leaves x86's
 * marker bit 51 clear), the access bits the format keeps and the 18-bit
 * generation come back; the SPTE is not present to the MMU, and the CPU
 * faults on it at every level (RSVD, or an EPT misconfiguration).
 */
static void check_mmio_spte(const struct make_case *mc,
			    const struct spte_fuzz_entry *e)
{
	const struct spte_masks *m = &mc->m;
	u64 value = fuzz_le64(e->value);
	u64 gfn = value &
		  GENMASK_ULL(mc->c.role.maxphyaddr - PAGE_SHIFT - 1, 0);
	u64 gen = (value >> 46) ^ ((u64)e->level << 10);
	unsigned int access = e->bias & SMB_ACCESS_MASK;
	u64 spte;
	int l;

	if (!m->mmio_value)
		return;
	spte = make_mmio_spte(m, gfn, access, gen);
	MAKE_CHECK(mc, NULL,
		   is_mmio_spte(m, spte) && !is_shadow_present_pte(spte) &&
			   get_mmio_spte_gfn(m, spte) == gfn &&
			   get_mmio_spte_access(m, spte) ==
				   (access & m->mmio_access_mask) &&
			   get_mmio_spte_generation(spte) ==
				   (gen & MMIO_SPTE_GEN_MASK),
		   "make_mmio_spte(gfn 0x%llx, access 0x%x, generation 0x%llx) "
		   "= 0x%016llx gives back gfn 0x%llx, access 0x%x, "
		   "generation 0x%llx",
		   (unsigned long long)gfn, access, (unsigned long long)gen,
		   (unsigned long long)spte,
		   (unsigned long long)get_mmio_spte_gfn(m, spte),
		   get_mmio_spte_access(m, spte),
		   (unsigned long long)get_mmio_spte_generation(spte));
	for (l = PG_LEVEL_4K; l <= mc->c.role.level; l++)
		MAKE_CHECK(mc, NULL, is_rsvd_spte(&mc->fmt, spte, l),
			   "MMIO SPTE 0x%016llx is a legal entry at level %d: "
			   "the CPU would not fault on it",
			   (unsigned long long)spte, l);
}

static void check_make_spte(const struct spte_fuzz_header *h, const u8 *data,
			    size_t size, size_t pos)
{
	struct make_case mc;
	int r, i;

	memset(&mc, 0, sizeof(mc));
	r = make_format(&mc, h);
	MAKE_CHECK(&mc, NULL, !r, "the MMU's SPTE format: %d", r);
	for (i = 0; i < SPTE_FUZZ_MAX_ENTRIES && pos < size; i++) {
		struct spte_fuzz_entry e;

		fuzz_take(&e, sizeof(e), data, size, &pos);
		check_one_spte(&mc, &e);
		check_mmio_spte(&mc, &e);
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct spte_fuzz_header h;
	struct spte_case c;
	struct kvm_page_format fmt;
	size_t pos = 0;
	int r, i;

	fuzz_take(&h, sizeof(h), data, size, &pos);
	if (h.kind % SPTE_KIND_COUNT == SPTE_KIND_MAKE_SPTE) {
		check_make_spte(&h, data, size, pos);
		return 0;
	}
	memset(&c, 0, sizeof(c));
	r = build_role(&c, &h);
	SPTE_CHECK(&c, (r == 0) == c.expect_valid,
		   "the constructor returned %d for a role that is %s", r,
		   c.expect_valid ? "valid" : "invalid");
	if (r) {
		SPTE_CHECK(&c, r == -EINVAL, "the constructor returned %d", r);
		return 0;
	}
	SPTE_CHECK(&c, arch_role_valid(&c.role),
		   "the constructor accepted an impossible role");

	memset(&fmt, 0xcc, sizeof(fmt));
	r = kvm_page_format_init(&fmt, &c.role);
	SPTE_CHECK(&c, r == 0, "kvm_page_format_init() = %d", r);

	check_permissions(&c, &fmt);
	check_single_bits(&c, &fmt);
	check_mt_xwr(&c, &fmt);
	if (!c.role.level) {
		struct kvm_page_format zero;

		memset(&zero, 0, sizeof(zero));
		SPTE_CHECK(&c, !memcmp(&fmt, &zero, sizeof(fmt)),
			   "paging off must give an all-zero format");
	}

	for (i = 0; i < SPTE_FUZZ_MAX_ENTRIES && pos < size; i++) {
		struct spte_fuzz_entry e;

		fuzz_take(&e, sizeof(e), data, size, &pos);
		check_entry(&c, &fmt, &e);
	}
	return 0;
}
