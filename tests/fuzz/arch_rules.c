/*
 * Architectural entry rules, one bit at a time.
 *
 * KVM conventions the oracle follows unless ARCH_RULES_STRICT is 1:
 *
 *  1. 32-bit paging, 4M page (CR4.PSE): the SDM reserves PDE bits
 *     21:(M-19) with M = min(MAXPHYADDR, 40); KVM always emulates PSE-36
 *     (M = 36), reserving 21:17 whatever the guest MAXPHYADDR.
 *  2. PAE PDPTE with bit 7 set: the SDM reserves bits 2:1 and 8:5 of every
 *     PDPTE; KVM checks PDPTEs only when loading them, with the bit-7=0
 *     row, and its bit-7=1 row for level 3 is empty.
 *  3. EPT XU (bit 10) without MBEC: the SDM ignores bit 10; KVM's
 *     bad_mt_xwr check counts XU as X anyway.  The two differ only for
 *     entries with R=W=X=0, which are not present without MBEC.
 *  4. (fuzz_walk) A PAE NPT stage reads its PDPTE at nCR3 on every walk
 *     and, like KVM's nested_svm_get_tdp_pdptr() path, tests only P: its
 *     reserved bits (2:1, 8:5, 63:M) are not checked.
 */
#include "arch_rules.h"

static bool bit_in(int bit, int lo, int hi)
{
	return bit >= lo && bit <= hi;
}

/* 32-bit paging: 4-byte entries; only a 4M PDE has reserved bits. */
static bool x86_2level_reserved(const struct cpu_role *role, int level, bool ps,
				int bit)
{
	int m;

	if (bit >= 32)
		return false;
	if (level != 2 || !ps || !role->cr4_pse)
		return false;
	/* PDE bits (M-20):13 are PA bits (M-1):32; 21:(M-19) are reserved. */
	if (ARCH_RULES_STRICT)
		m = role->maxphyaddr < 40 ? role->maxphyaddr : 40;
	else
		m = 36;
	return bit_in(bit, m - 19, 21);
}

/*
 * PAE paging: PDPTEs reserve 2:1, 8:5 and 63:M; PDEs and PTEs reserve
 * 62:M, XD without EFER.NX, and a 2M PDE reserves 20:13.
 */
static bool x86_pae_reserved(const struct cpu_role *role, int level, bool ps,
			     int bit)
{
	int m = role->maxphyaddr;

	if (level == 3) {
		if (!ARCH_RULES_STRICT && ps)
			return false;
		return bit_in(bit, 1, 2) || bit_in(bit, 5, 8) ||
		       bit_in(bit, m, 63);
	}
	if (bit_in(bit, m, 62))
		return true;
	if (bit == 63)
		return !role->efer_nx;
	if (level == 2 && ps)
		return bit_in(bit, 13, 20);
	return false;
}

/*
 * 4- and 5-level paging: 51:M everywhere, XD without EFER.NX; PS in a
 * PML4E or PML5E (and, on AMD, bit 8 too); a 1G PDPTE reserves 29:13 and
 * needs 1G pages; a 2M PDE reserves 20:13.  Bits 62:52 are ignored or
 * protection keys.
 */
static bool x86_long_reserved(const struct cpu_role *role, int level, bool ps,
			      int bit)
{
	if (bit_in(bit, role->maxphyaddr, 51))
		return true;
	if (bit == 63)
		return !role->efer_nx;
	switch (level) {
	case 5:
	case 4:
		return bit == 7 || (bit == 8 && role->amd);
	case 3:
		if (!ps)
			return false;
		return (bit == 7 && !role->gbpages) || bit_in(bit, 13, 29);
	case 2:
		return ps && bit_in(bit, 13, 20);
	default:
		return false;
	}
}

/*
 * EPT: 51:M everywhere; 7:3 in PML5Es and PML4Es; 6:3 in entries that
 * point to a table; 29:12 in a 1G leaf, 20:12 in a 2M leaf, and PS itself
 * where the CPU has no page of that size.  Bit 7 of a PTE is ignored.
 */
static bool ept_reserved(const struct cpu_role *role, int level, bool ps,
			 int bit)
{
	if (bit_in(bit, role->maxphyaddr, 51))
		return true;
	switch (level) {
	case 5:
	case 4:
		return bit_in(bit, 3, 7);
	case 3:
	case 2:
		if (!ps)
			return bit_in(bit, 3, 6);
		if (bit == 7)
			return role->ept_huge_page_level < level;
		return bit_in(bit, 12, level == 3 ? 29 : 20);
	default:
		return false;
	}
}

bool arch_bit_reserved(const struct cpu_role *role, int level, bool ps, int bit)
{
	if (level < 1 || level > role->level)
		return false;
	if (role->ept)
		return ept_reserved(role, level, ps, bit);
	switch (role->level) {
	case 2:
		return x86_2level_reserved(role, level, ps, bit);
	case 3:
		return x86_pae_reserved(role, level, ps, bit);
	default:
		return x86_long_reserved(role, level, ps, bit);
	}
}

u64 arch_reserved_bits(const struct cpu_role *role, int level, bool ps)
{
	u64 bits = 0;
	int bit;

	for (bit = 0; bit < 64; bit++)
		if (arch_bit_reserved(role, level, ps, bit))
			bits |= 1ULL << bit;
	return bits;
}

static bool ept_bad_memtype(u64 pte)
{
	unsigned int memtype = (pte >> 3) & 7;

	/* 0 UC, 1 WC, 4 WT, 5 WP, 6 WB; 2, 3 and 7 are reserved. */
	return memtype == 2 || memtype == 3 || memtype == 7;
}

/* Write without read; execute (or user-execute) without read unless the
 * CPU has execute-only translations. */
static bool ept_bad_xwr(const struct cpu_role *role, u64 pte)
{
	bool r = pte & 1, w = pte & 2, x = pte & 4;
	bool xu = (pte >> 10) & 1;

	if (!role->cr4_smep && ARCH_RULES_STRICT)
		xu = false;
	if (!r && w)
		return true;
	return !r && (x || xu) && !role->ept_execonly;
}

bool arch_ept_bad_mt_xwr(const struct cpu_role *role, u64 pte)
{
	if (!role->ept)
		return false;
	return ept_bad_memtype(pte) || ept_bad_xwr(role, pte);
}

bool arch_entry_present(const struct cpu_role *role, u64 pte)
{
	if (role->ept)
		return (pte & 7) || (role->cr4_smep && ((pte >> 10) & 1));
	return pte & 1;
}

bool arch_entry_illegal(const struct cpu_role *role, int level, u64 pte)
{
	bool ps = (pte >> 7) & 1;
	int bit;

	for (bit = 0; bit < 64; bit++)
		if (((pte >> bit) & 1) &&
		    arch_bit_reserved(role, level, ps, bit))
			return true;
	if (!role->ept || level > role->level)
		return false;
	if (ept_bad_xwr(role, pte))
		return true;
	/* Only a leaf has a memory type; above, bits 5:3 are reserved. */
	return (level == 1 || ps) && ept_bad_memtype(pte);
}

bool arch_role_valid(const struct cpu_role *role)
{
	if (role->maxphyaddr < 32 || role->maxphyaddr > 52)
		return false;
	if (role->ept)
		return (role->level == 4 || role->level == 5) &&
		       role->ept_huge_page_level >= 1 &&
		       role->ept_huge_page_level <= 3;
	switch (role->level) {
	case 0:
	case 2:
	case 3:
		return !role->cr4_pke;
	case 4:
	case 5:
		return true;
	default:
		return false;
	}
}

bool arch_canonical(u64 addr, int level)
{
	int top = level == 5 ? 56 : 47;
	u64 upper = addr >> top;

	/* Bits 63:top all equal. */
	return upper == 0 || upper == (~0ULL >> top);
}

void arch_print_role(FILE *out, const struct cpu_role *role)
{
	fprintf(out,
		"role{level=%u maxphyaddr=%u ept=%d tdp=%d amd=%d gbpages=%d "
		"wp=%d pse=%d smep=%d smap=%d pke=%d nx=%d execonly=%d "
		"ad_disabled=%d huge_page_level=%u}",
		role->level, role->maxphyaddr, role->ept, role->tdp, role->amd,
		role->gbpages, role->cr0_wp, role->cr4_pse, role->cr4_smep,
		role->cr4_smap, role->cr4_pke, role->efer_nx,
		role->ept_execonly, role->ept_ad_disabled,
		role->ept_huge_page_level);
}
