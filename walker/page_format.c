/* Reserved-bit, permission and PKRU tables of struct kvm_page_format. */
#include <errno.h>
#include <string.h>

#include "walker/page_format.h"

int cpu_role_validate(const struct cpu_role *role)
{
	if (role->maxphyaddr < PHYS_ADDR_BITS_MIN ||
	    role->maxphyaddr > PHYS_ADDR_BITS_MAX)
		return -EINVAL;

	if (role->ept) {
		if (role->level != PT64_ROOT_4LEVEL &&
		    role->level != PT64_ROOT_5LEVEL)
			return -EINVAL;
		if (role->ept_huge_page_level < PG_LEVEL_4K ||
		    role->ept_huge_page_level > PG_LEVEL_1G)
			return -EINVAL;
		return 0;
	}

	switch (role->level) {
	case 0:
	case PT32_ROOT_LEVEL:
	case PT32E_ROOT_LEVEL:
		/* Protection keys exist only in long mode. */
		if (role->cr4_pke)
			return -EINVAL;
		return 0;
	case PT64_ROOT_4LEVEL:
	case PT64_ROOT_5LEVEL:
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * The x86 tables, as KVM's __reset_rsvds_bits_mask(): physical-address bits
 * above MAXPHYADDR, XD without EFER.NX, PS where no page of that size
 * exists, and the address bits below a large page's alignment.
 */
static void reset_x86_rsvds_bits_mask(struct kvm_page_format *fmt,
				      const struct cpu_role *role)
{
	u64 pa_bits_rsvd = rsvd_bits(role->maxphyaddr, 63);
	u64 nonleaf_bit8 = role->amd ? PT_AMD_NONLEAF_RSVD_MASK : 0;
	u64 gbpages_bit7 = role->gbpages ? 0 : PT_PAGE_SIZE_MASK;
	u64 high_bits_rsvd;

	if (role->level == PT32E_ROOT_LEVEL)
		high_bits_rsvd = pa_bits_rsvd & rsvd_bits(0, 62);
	else
		high_bits_rsvd = pa_bits_rsvd & rsvd_bits(0, 51);
	if (!role->efer_nx)
		high_bits_rsvd |= PT64_NX_MASK;

	switch (role->level) {
	case PT32_ROOT_LEVEL:
		/* A 4M PDE: bits 21:17 above PSE-36's bits 16:13. */
		if (role->cr4_pse)
			fmt->rsvd_bits_mask[1][1] = rsvd_bits(17, 21);
		break;
	case PT32E_ROOT_LEVEL:
		/* The PDPTE row, checked when the PDPTRs are loaded. */
		fmt->rsvd_bits_mask[0][2] = rsvd_bits(63, 63) | high_bits_rsvd |
					    rsvd_bits(5, 8) | rsvd_bits(1, 2);
		fmt->rsvd_bits_mask[0][1] = high_bits_rsvd;
		fmt->rsvd_bits_mask[0][0] = high_bits_rsvd;
		fmt->rsvd_bits_mask[1][1] = high_bits_rsvd | rsvd_bits(13, 20);
		fmt->rsvd_bits_mask[1][0] = fmt->rsvd_bits_mask[0][0];
		break;
	case PT64_ROOT_5LEVEL:
		fmt->rsvd_bits_mask[0][4] = high_bits_rsvd | nonleaf_bit8 |
					    PT_PAGE_SIZE_MASK;
		fmt->rsvd_bits_mask[1][4] = fmt->rsvd_bits_mask[0][4];
		/* fall through */
	case PT64_ROOT_4LEVEL:
		fmt->rsvd_bits_mask[0][3] = high_bits_rsvd | nonleaf_bit8 |
					    PT_PAGE_SIZE_MASK;
		fmt->rsvd_bits_mask[1][3] = fmt->rsvd_bits_mask[0][3];
		fmt->rsvd_bits_mask[0][2] = high_bits_rsvd | gbpages_bit7;
		fmt->rsvd_bits_mask[0][1] = high_bits_rsvd;
		fmt->rsvd_bits_mask[0][0] = high_bits_rsvd;
		fmt->rsvd_bits_mask[1][0] = fmt->rsvd_bits_mask[0][0];
		fmt->rsvd_bits_mask[1][2] = high_bits_rsvd | gbpages_bit7 |
					    rsvd_bits(13, 29);
		fmt->rsvd_bits_mask[1][1] = high_bits_rsvd | rsvd_bits(13, 20);
		break;
	}
}

/* One byte of bad_mt_xwr per memory type, one bit per XWR value. */
#define EPT_BAD_MT(mt) (0xffULL << ((mt)*8))
#define EPT_BAD_XWR(xwr) (0x0101010101010101ULL << (xwr))
#define EPT_XWR_W 2
#define EPT_XWR_WX 6
#define EPT_XWR_X 4

/*
 * The EPT tables, as KVM's __reset_rsvds_bits_mask_ept(): memory type and
 * IPAT are reserved above the leaf, PS above the largest page size, and
 * memory types 2, 3 and 7 and XWR 010, 110 (and 100 without execute-only)
 * are misconfigurations.
 */
static void reset_ept_rsvds_bits_mask(struct kvm_page_format *fmt,
				      const struct cpu_role *role)
{
	u64 high_bits_rsvd = rsvd_bits(role->maxphyaddr, 63) & rsvd_bits(0, 51);
	u64 no_1g =
		role->ept_huge_page_level < PG_LEVEL_1G ? PT_PAGE_SIZE_MASK : 0;
	u64 no_2m =
		role->ept_huge_page_level < PG_LEVEL_2M ? PT_PAGE_SIZE_MASK : 0;
	u64 bad_mt_xwr;

	/* Rows above the root stay zero: no walk reads them. */
	if (role->level == PT64_ROOT_5LEVEL)
		fmt->rsvd_bits_mask[0][4] = high_bits_rsvd | rsvd_bits(3, 7);
	fmt->rsvd_bits_mask[0][3] = high_bits_rsvd | rsvd_bits(3, 7);
	fmt->rsvd_bits_mask[0][2] = high_bits_rsvd | rsvd_bits(3, 6) | no_1g;
	fmt->rsvd_bits_mask[0][1] = high_bits_rsvd | rsvd_bits(3, 6) | no_2m;
	fmt->rsvd_bits_mask[0][0] = high_bits_rsvd;

	fmt->rsvd_bits_mask[1][4] = fmt->rsvd_bits_mask[0][4];
	fmt->rsvd_bits_mask[1][3] = fmt->rsvd_bits_mask[0][3];
	fmt->rsvd_bits_mask[1][2] = high_bits_rsvd | rsvd_bits(12, 29) | no_1g;
	fmt->rsvd_bits_mask[1][1] = high_bits_rsvd | rsvd_bits(12, 20) | no_2m;
	fmt->rsvd_bits_mask[1][0] = fmt->rsvd_bits_mask[0][0];

	bad_mt_xwr = EPT_BAD_MT(2) | EPT_BAD_MT(3) | EPT_BAD_MT(7);
	bad_mt_xwr |= EPT_BAD_XWR(EPT_XWR_W) | EPT_BAD_XWR(EPT_XWR_WX);
	if (!role->ept_execonly)
		bad_mt_xwr |= EPT_BAD_XWR(EPT_XWR_X);
	fmt->bad_mt_xwr = bad_mt_xwr;
}

void reset_rsvds_bits_mask(struct kvm_page_format *fmt,
			   const struct cpu_role *role)
{
	memset(fmt->rsvd_bits_mask, 0, sizeof(fmt->rsvd_bits_mask));
	fmt->bad_mt_xwr = 0;

	if (role->ept)
		reset_ept_rsvds_bits_mask(fmt, role);
	else
		reset_x86_rsvds_bits_mask(fmt, role);
}

/*
 * ACC_BITS_MASK(a): the set of ACC_* combinations (as bits of a u16) that
 * include any right in @a.
 */
#define ACC_BITS_MASK(access)                     \
	((u16)((((access)&BIT(0)) ? 0xaaaa : 0) | \
	       (((access)&BIT(1)) ? 0xcccc : 0) | \
	       (((access)&BIT(2)) ? 0xf0f0 : 0) | \
	       (((access)&BIT(3)) ? 0xff00 : 0)))
#define LEGACY_ACC_BITS_MASK(access) ((u8)ACC_BITS_MASK(access))

void update_permission_bitmask(struct kvm_page_format *fmt,
			       const struct cpu_role *role)
{
	const u16 x = ACC_BITS_MASK(ACC_EXEC_MASK);
	const u16 w = ACC_BITS_MASK(ACC_WRITE_MASK);
	const u16 u = ACC_BITS_MASK(ACC_USER_MASK);
	const u16 r = ACC_BITS_MASK(ACC_READ_MASK);
	const u16 xu = ACC_BITS_MASK(ACC_USER_EXEC_MASK);
	unsigned int index;

	for (index = 0; index < PERM_INDEX_COUNT; index++) {
		unsigned int pfec = index << PFERR_PERM_INDEX_SHIFT;
		u16 ff = 0, uf = 0, smapf = 0, wf, rf;

		/* Reads (neither write nor fetch) need the R right. */
		rf = (pfec & (PFERR_WRITE_MASK | PFERR_FETCH_MASK)) ? 0 :
								      (u16)~r;
		wf = (pfec & PFERR_WRITE_MASK) ? (u16)~w : 0;

		if (role->ept) {
			if (pfec & PFERR_FETCH_MASK) {
				if (role->cr4_smep && (pfec & PFERR_USER_MASK))
					ff = (u16)~xu;
				else
					ff = (u16)~x;
			}
		} else {
			/* Supervisor accesses to user pages. */
			u16 kf = (pfec & PFERR_USER_MASK) ? 0 : u;

			/* With GMET, a U=0 NPT entry still allows R/W. */
			if (!(role->tdp && role->cr4_smep))
				uf = (pfec & PFERR_USER_MASK) ? (u16)~u : 0;
			if (role->efer_nx)
				ff = (pfec & PFERR_FETCH_MASK) ? (u16)~x : 0;
			/* CR0.WP=0: supervisor writes ignore R/W. */
			if (!role->cr0_wp)
				wf = (pfec & PFERR_USER_MASK) ? wf : 0;
			if (role->cr4_smep)
				ff |= (pfec & PFERR_FETCH_MASK) ? kf : 0;
			/* PFERR_RSVD here means "SMAP overridden by AC". */
			if (role->cr4_smap)
				smapf = (pfec &
					 (PFERR_RSVD_MASK | PFERR_FETCH_MASK)) ?
						0 :
						kf;
		}

		fmt->permissions[index] = ff | uf | wf | rf | smapf;
	}
}

void update_legacy_permission_bitmask(struct legacy_permissions *perm,
				      const struct cpu_role *role)
{
	const u8 x = LEGACY_ACC_BITS_MASK(LEGACY_ACC_EXEC_MASK);
	const u8 w = LEGACY_ACC_BITS_MASK(LEGACY_ACC_WRITE_MASK);
	const u8 u = LEGACY_ACC_BITS_MASK(LEGACY_ACC_USER_MASK);
	unsigned int index;

	for (index = 0; index < PERM_INDEX_COUNT; index++) {
		unsigned int pfec = index << PFERR_PERM_INDEX_SHIFT;
		u8 wf = (pfec & PFERR_WRITE_MASK) ? (u8)~w : 0;
		u8 uf = (pfec & PFERR_USER_MASK) ? (u8)~u : 0;
		u8 ff = (pfec & PFERR_FETCH_MASK) ? (u8)~x : 0;
		u8 smepf = 0, smapf = 0;

		if (!role->ept) {
			u8 kf = (pfec & PFERR_USER_MASK) ? 0 : u;

			if (!role->efer_nx)
				ff = 0;
			if (!role->cr0_wp)
				wf = (pfec & PFERR_USER_MASK) ? wf : 0;
			if (role->cr4_smep)
				smepf = (pfec & PFERR_FETCH_MASK) ? kf : 0;
			if (role->cr4_smap)
				smapf = (pfec &
					 (PFERR_RSVD_MASK | PFERR_FETCH_MASK)) ?
						0 :
						kf;
		}

		perm->permissions[index] = ff | uf | wf | smepf | smapf;
	}
}

/*
 * Two bits per PFEC value (PFEC.RSVD standing for the leaf's U bit): bit 0
 * applies PKRU.AD, bit 1 PKRU.WD.  Keys apply to data accesses to user
 * pages; WD blocks user writes, and supervisor writes when CR0.WP=1.
 */
void update_pkru_bitmask(struct kvm_page_format *fmt,
			 const struct cpu_role *role)
{
	unsigned int bit;

	fmt->pkru_mask = 0;
	if (role->ept || !role->cr4_pke)
		return;

	for (bit = 0; bit < PERM_INDEX_COUNT; bit++) {
		unsigned int pfec = bit << PFERR_PERM_INDEX_SHIFT;
		bool ff = pfec & PFERR_FETCH_MASK;
		bool uf = pfec & PFERR_USER_MASK;
		bool wf = pfec & PFERR_WRITE_MASK;
		bool pte_user = pfec & PFERR_RSVD_MASK;
		bool check_pkey = !ff && pte_user;
		bool check_write = check_pkey && wf && (uf || role->cr0_wp);
		u32 pkey_bits = check_pkey | (check_write << 1);

		fmt->pkru_mask |= pkey_bits << pfec;
	}
}

int kvm_page_format_init(struct kvm_page_format *fmt,
			 const struct cpu_role *role)
{
	int r = cpu_role_validate(role);

	if (r)
		return r;

	memset(fmt, 0, sizeof(*fmt));
	if (!role->level)
		return 0;

	reset_rsvds_bits_mask(fmt, role);
	update_permission_bitmask_fast(fmt, role);
	update_pkru_bitmask(fmt, role);
	return 0;
}

int page_format_check_entry(const struct kvm_page_format *fmt, u64 pte,
			    int level, bool *rsvd)
{
	if (level < PG_LEVEL_4K || level > PT64_ROOT_MAX_LEVEL)
		return -EINVAL;
	*rsvd = is_rsvd_spte(fmt, pte, level);
	return 0;
}

#define PKRU_BITS_PER_KEY 2
#define PKRU_KEY_MASK GENMASK(1, 0)
#define PKRU_NR_KEYS 16

u16 permission_fault(const struct kvm_page_format *fmt, unsigned int pte_access,
		     unsigned int pte_pkey, u64 access, bool rflags_ac,
		     u32 pkru)
{
	u32 pfec = (u32)access;
	/* The SMAP override applies to explicit supervisor accesses with AC=1. */
	bool smap_overridden = rflags_ac && !(access & PFERR_IMPLICIT_ACCESS);
	unsigned int index;
	u16 errcode = PFERR_PRESENT_MASK;
	bool fault;

	MMU_WARN_ON(pfec & (PFERR_PK_MASK | PFERR_RSVD_MASK));
	MMU_WARN_ON(pte_access > ACC_ALL);
	MMU_WARN_ON(pte_pkey >= PKRU_NR_KEYS);

	index = ((pfec | (smap_overridden ? PFERR_RSVD_MASK : 0)) >>
		 PFERR_PERM_INDEX_SHIFT) &
		(PERM_INDEX_COUNT - 1);
	fault = (fmt->permissions[index] >> pte_access) & 1;

	if (unlikely(fmt->pkru_mask)) {
		u32 pkru_bits = (pkru >> (pte_pkey * PKRU_BITS_PER_KEY)) &
				PKRU_KEY_MASK;
		/* PFEC.RSVD stands for the leaf's U bit in pkru_mask. */
		u32 offset =
			(pfec & ~(u32)PFERR_PRESENT_MASK & (u32)GENMASK(4, 0)) |
			((pte_access & ACC_USER_MASK) ? PFERR_RSVD_MASK : 0);

		pkru_bits &= fmt->pkru_mask >> offset;
		if (pkru_bits) {
			errcode |= PFERR_PK_MASK;
			fault = true;
		}
	}

	return fault ? errcode : 0;
}
