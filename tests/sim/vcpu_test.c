/*
 * struct sim_vcpu: the PFEC of an access, settings applied at the next
 * access, register combinations no CPU accepts, and memory reset between
 * scenarios.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sim/vcpu.h"

static struct sim_vcpu vcpu;

static void setup(void)
{
	cr_assert_eq(sim_vcpu_init(&vcpu), 0);
}

static void teardown(void)
{
	sim_vcpu_destroy(&vcpu);
}

TestSuite(sim_vcpu, .init = setup, .fini = teardown);

static void set(enum sim_reg reg, u64 value)
{
	cr_assert_eq(sim_vcpu_set(&vcpu, reg, value), 0, "%s: %s",
		     sim_reg_name(reg), vcpu.error);
}

static void write64(u64 gpa, u64 value)
{
	cr_assert_eq(sim_vcpu_write(&vcpu, gpa, 8, value), 0);
}

static int access_read(u64 addr, struct sim_result *res)
{
	struct sim_access a = { .kind = SIM_ACCESS_READ, .addr = addr };

	return sim_vcpu_access(&vcpu, &a, res);
}

/* The access at @addr is refused with exactly @message. */
static void assert_access_error(u64 addr, const char *message)
{
	struct sim_result res;

	cr_assert_eq(access_read(addr, &res), -EINVAL);
	cr_assert_str_eq(vcpu.error, message);
}

static void write32(u64 gpa, u64 value)
{
	cr_assert_eq(sim_vcpu_write(&vcpu, gpa, 4, value), 0);
}

/* The read of @addr translates to @gpa, its first entry read at @root. */
static void assert_walk_from(u64 addr, u64 root, u64 gpa)
{
	struct sim_result res;

	cr_assert_eq(access_read(addr, &res), 0, "%s", vcpu.error);
	cr_assert_eq(res.outcome, SIM_OK);
	cr_assert_eq(res.rec.gpa, gpa);
	cr_assert_eq(res.rec.guest.entries[0].pte_addr, root);
}

static void long_mode(void)
{
	set(SIM_REG_CR0, X86_CR0_PG | X86_CR0_PE | X86_CR0_WP);
	set(SIM_REG_CR4, X86_CR4_PAE);
	set(SIM_REG_EFER, EFER_LME);
}

static void pae_mode(void)
{
	set(SIM_REG_CR0, X86_CR0_PG | X86_CR0_PE);
	set(SIM_REG_CR4, X86_CR4_PAE);
}

Test(sim_vcpu, pfec_follows_cpl_unless_given)
{
	static const struct {
		enum sim_access_kind kind;
		enum sim_privilege priv;
		bool implicit;
		u8 cpl;
		u64 pfec;
	} cases[] = {
		{ SIM_ACCESS_READ, SIM_PRIV_CPL, false, 0, 0 },
		{ SIM_ACCESS_READ, SIM_PRIV_CPL, false, 3, PFERR_USER_MASK },
		{ SIM_ACCESS_READ, SIM_PRIV_CPL, false, 2, 0 },
		{ SIM_ACCESS_WRITE, SIM_PRIV_CPL, false, 3,
		  PFERR_WRITE_MASK | PFERR_USER_MASK },
		{ SIM_ACCESS_FETCH, SIM_PRIV_CPL, false, 0, PFERR_FETCH_MASK },
		{ SIM_ACCESS_READ, SIM_PRIV_USER, false, 0, PFERR_USER_MASK },
		{ SIM_ACCESS_WRITE, SIM_PRIV_SUPERVISOR, false, 3,
		  PFERR_WRITE_MASK },
		{ SIM_ACCESS_READ, SIM_PRIV_CPL, true, 3,
		  PFERR_IMPLICIT_ACCESS },
		{ SIM_ACCESS_WRITE, SIM_PRIV_SUPERVISOR, true, 0,
		  PFERR_WRITE_MASK | PFERR_IMPLICIT_ACCESS },
	};
	size_t i;

	set(SIM_REG_AC, 1);
	set(SIM_REG_PKRU, 0xc);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sim_access a = {
			.kind = cases[i].kind,
			.priv = cases[i].priv,
			.implicit = cases[i].implicit,
		};
		struct walk_access wa;

		set(SIM_REG_CPL, cases[i].cpl);
		wa = sim_vcpu_walk_access(&vcpu, &a);
		cr_assert_eq(wa.pfec, cases[i].pfec, "case %zu: %#llx", i,
			     (unsigned long long)wa.pfec);
		cr_assert(wa.rflags_ac);
		cr_assert_eq(wa.pkru, 0xc);
	}
}

Test(sim_vcpu, settings_are_checked_when_set)
{
	cr_assert_eq(sim_vcpu_set(&vcpu, SIM_REG_CPL, 4), -EINVAL);
	cr_assert_str_eq(vcpu.error, "cpl 4 is out of range 0..3");
	cr_assert_eq(vcpu.error_reg, SIM_REG_CPL);
	cr_assert_eq(sim_vcpu_set(&vcpu, SIM_REG_VENDOR, 2), -EINVAL);
	cr_assert_str_eq(vcpu.error, "vendor 2 is neither 0 nor 1");
	cr_assert_eq(sim_vcpu_set(&vcpu, SIM_REG_NESTED, 0), -EINVAL);
	cr_assert_str_eq(vcpu.error, "nested cannot be set to a number");
	cr_assert_eq(vcpu.cpl, 0);
}

Test(sim_vcpu, paging_off_is_the_identity)
{
	struct sim_result res;

	cr_assert_eq(sim_vcpu_back(&vcpu, 0x3000, 1), 0);
	cr_assert_eq(access_read(0x3456, &res), 0);
	cr_assert_eq(res.outcome, SIM_OK);
	cr_assert_eq(res.rec.gpa, 0x3456);
	cr_assert_eq(res.rec.hpa,
		     (HOST_MEMORY_FIRST_PFN << PAGE_SHIFT) | 0x456);
	cr_assert_eq(res.rec.refs, 0);
	assert_access_error(
		0x100000000ULL,
		"address 0x100000000 does not fit 32 bits (paging off)");
}

Test(sim_vcpu, register_combinations_no_cpu_accepts)
{
	set(SIM_REG_CR0, X86_CR0_PG);
	assert_access_error(0, "cr0 0x80000000 sets PG without PE");
	cr_assert_eq(vcpu.error_reg, SIM_REG_CR0);

	set(SIM_REG_CR0, 0);
	set(SIM_REG_EFER, EFER_LMA);
	assert_access_error(0, "efer 0x400 sets LMA without LME");
	cr_assert_eq(vcpu.error_reg, SIM_REG_EFER);

	set(SIM_REG_EFER, EFER_LMA | EFER_LME);
	assert_access_error(0,
			    "efer 0x500 sets LMA but cr0 0x0 has paging off");

	set(SIM_REG_CR0, X86_CR0_PG | X86_CR0_PE);
	set(SIM_REG_EFER, EFER_LME);
	assert_access_error(
		0, "long mode (EFER.LME and CR0.PG) needs CR4.PAE, cr4 is 0x0");
	cr_assert_eq(vcpu.error_reg, SIM_REG_CR4);
}

Test(sim_vcpu, lme_without_paging_is_not_long_mode)
{
	struct sim_result res;

	set(SIM_REG_EFER, EFER_LME);
	cr_assert_eq(access_read(0x1000, &res), 0);
	cr_assert_eq(vcpu.gva_walk.role.level, 0);
}

Test(sim_vcpu, cr3_width_and_maxphyaddr_per_mode)
{
	set(SIM_REG_CR0, X86_CR0_PG | X86_CR0_PE);
	set(SIM_REG_CR3, 0x1018);
	cr_assert_eq(sim_vcpu_load(&vcpu, NULL), 0, "%s", vcpu.error);
	set(SIM_REG_CR3, 0x100000000ULL);
	assert_access_error(
		0, "cr3 0x100000000 does not fit 32 bits (32-bit paging)");
	cr_assert_eq(vcpu.error_reg, SIM_REG_CR3);

	pae_mode();
	set(SIM_REG_CR3, 0x100000000ULL);
	assert_access_error(
		0, "cr3 0x100000000 does not fit 32 bits (PAE paging)");

	long_mode();
	set(SIM_REG_CR3, 1ULL << 46);
	assert_access_error(
		0,
		"cr3 0x400000000000: bits 63:46 are reserved (MAXPHYADDR 46)");
	set(SIM_REG_MAXPHYADDR, 47);
	cr_assert_eq(sim_vcpu_load(&vcpu, NULL), 0, "%s", vcpu.error);

	/* Paging off ignores CR3. */
	set(SIM_REG_CR0, 0);
	set(SIM_REG_EFER, 0);
	set(SIM_REG_CR3, ~0ULL);
	cr_assert_eq(sim_vcpu_load(&vcpu, NULL), 0, "%s", vcpu.error);
}

/*
 * Without CR4.PCIDE, CR3 bits 3 and 4 are PWT and PCD and bits 2:0 and
 * 11:5 are ignored (SDM Vol. 3A, Tables 4-3 and 4-12), as kvm_set_cr3()
 * takes them: a CR3 with all of bits 11:0 set walks from its table.
 */
Test(sim_vcpu, cr3_ignored_low_bits_without_pcide_are_accepted)
{
	/* 32-bit paging: PD 0x1000 -> PT 0x2000 -> page 0x3000. */
	set(SIM_REG_CR0, X86_CR0_PG | X86_CR0_PE);
	write32(0x1000, 0x2003);
	write32(0x2000, 0x3003);
	set(SIM_REG_CR3, 0x1000 | GENMASK_ULL(11, 0));
	assert_walk_from(0x123, 0x1000, 0x3123);

	/* 4-level paging: 0x4000 -> 0x5000 -> 0x6000 -> 0x7000 -> 0x8000. */
	long_mode();
	write64(0x4000, 0x5003);
	write64(0x5000, 0x6003);
	write64(0x6000, 0x7003);
	write64(0x7000, 0x8003);
	set(SIM_REG_CR3, 0x4000 | GENMASK_ULL(11, 0));
	assert_walk_from(0x123, 0x4000, 0x8123);
}

/*
 * With PAE paging, CR3 bits 4:0 are ignored and bits 31:5 are the PDPT's
 * address (SDM Vol. 3A, Table 4-7): the PDPTRs load from there.
 */
Test(sim_vcpu, pae_cr3_ignored_bits_4_0_are_accepted)
{
	pae_mode();
	write64(0x1020, 0x2001);
	write64(0x2000, 0x3003);
	write64(0x3000, 0x4003);
	set(SIM_REG_CR3, 0x1020 | GENMASK_ULL(4, 0));
	assert_walk_from(0x123, 0x1020, 0x4123);
}

Test(sim_vcpu, nested_stage_checks)
{
	struct sim_nested ept = {
		.kind = SIM_NESTED_EPT,
		.eptp = 0x1000 | 0x1e,
		.huge_page_level = PG_LEVEL_1G,
	};
	struct sim_nested npt = {
		.kind = SIM_NESTED_NPT,
		.ncr3 = 0x1000,
		.host_level = PT64_ROOT_4LEVEL,
		.host_nx = true,
	};

	cr_assert_eq(sim_vcpu_set_nested(&vcpu, &ept), 0);
	cr_assert_eq(sim_vcpu_load(&vcpu, NULL), 0, "%s", vcpu.error);
	cr_assert(vcpu.gva_walk.nested == &vcpu.ngpa_walk);
	cr_assert(vcpu.ngpa_walk.role.ept);

	ept.eptp = (1ULL << 46) | 0x1e;
	cr_assert_eq(sim_vcpu_set_nested(&vcpu, &ept), 0);
	assert_access_error(
		0,
		"eptp 0x40000000001e: bits 63:46 are reserved (MAXPHYADDR 46)");
	cr_assert_eq(vcpu.error_reg, SIM_REG_NESTED);

	ept.eptp = 0x1e;
	cr_assert_eq(sim_vcpu_set_nested(&vcpu, &ept), 0);
	set(SIM_REG_VENDOR, 1);
	assert_access_error(0, "nested ept needs vendor intel");

	cr_assert_eq(sim_vcpu_set_nested(&vcpu, &npt), 0);
	cr_assert_eq(sim_vcpu_load(&vcpu, NULL), 0, "%s", vcpu.error);
	cr_assert_not(vcpu.ngpa_walk.role.ept);
	cr_assert(vcpu.ngpa_walk.role.tdp);
	cr_assert(vcpu.ngpa_walk.role.efer_nx);

	npt.ncr3 = 1ULL << 46;
	cr_assert_eq(sim_vcpu_set_nested(&vcpu, &npt), 0);
	assert_access_error(
		0,
		"ncr3 0x400000000000: bits 63:46 are reserved (MAXPHYADDR 46)");
	cr_assert_eq(vcpu.error_reg, SIM_REG_NESTED);
	npt.host_level = PT32E_ROOT_LEVEL;
	npt.ncr3 = 0x100000000ULL;
	cr_assert_eq(sim_vcpu_set_nested(&vcpu, &npt), 0);
	assert_access_error(
		0, "ncr3 0x100000000 does not fit 32 bits (PAE paging)");

	set(SIM_REG_VENDOR, 0);
	npt.ncr3 = 0x1000;
	cr_assert_eq(sim_vcpu_set_nested(&vcpu, &npt), 0);
	assert_access_error(0, "nested npt needs vendor amd");

	npt.host_level = 1;
	cr_assert_eq(sim_vcpu_set_nested(&vcpu, &npt), -EINVAL);
	cr_assert_str_eq(vcpu.error,
			 "npt host paging level 1 is out of range 2..5");
}

/* Paging off: the read of @addr is nGPA @addr, walked from nCR3 @ncr3. */
static void npt_read(u64 ncr3, int host_level, u64 addr, struct sim_result *res)
{
	struct sim_nested npt = {
		.kind = SIM_NESTED_NPT,
		.ncr3 = ncr3,
		.host_level = host_level,
		.host_nx = true,
	};

	set(SIM_REG_VENDOR, 1);
	cr_assert_eq(sim_vcpu_set_nested(&vcpu, &npt), 0);
	cr_assert_eq(access_read(addr, res), 0, "%s", vcpu.error);
	cr_assert_eq(res->outcome, SIM_OK);
}

/*
 * nCR3 has the host's CR3 format, whose only MBZ bits are the
 * unimplemented address bits (APM Vol. 2, 3.1), and VMRUN refuses only
 * its MBZ bits (15.25.4), as KVM's nested_vmcb_check_controls() does: an
 * nCR3 with all of bits 11:0 set walks from its 4K-aligned table.
 */
Test(sim_vcpu, ncr3_ignored_low_bits_are_accepted)
{
	struct sim_result res;

	/* nGPA 0x1000 -> 0x10000 -> 0x11000 -> 0x12000 -> 0x13000 -> 0x5000. */
	write64(0x10000, 0x11007);
	write64(0x11000, 0x12007);
	write64(0x12000, 0x13007);
	write64(0x13008, 0x5007);
	npt_read(0x10000 | GENMASK_ULL(11, 0), PT64_ROOT_4LEVEL, 0x1000, &res);
	cr_assert_eq(res.rec.gpa, 0x5000);
	cr_assert_eq(res.rec.final_walk.entries[0].pte_addr, 0x10000);
}

/*
 * With a PAE host, nCR3 bits 31:5 are the PDPT's address, as in a PAE CR3,
 * and bits 4:0 are not MBZ: the PDPTE is read at nCR3[31:5], not at
 * the page the 4K-aligned nCR3 would name.
 */
Test(sim_vcpu, pae_ncr3_ignored_bits_4_0_are_accepted)
{
	struct sim_result res;

	/* nGPA 0x1000 -> PDPT 0x10020 -> PD 0x11000 -> PT 0x12000 -> 0x5000. */
	write64(0x10020, 0x11007);
	write64(0x11000, 0x12007);
	write64(0x12008, 0x5007);
	/* What a PDPT at 0x10000 would map instead: nGPA 0x1000 -> 0x6000. */
	write64(0x10000, 0x14007);
	write64(0x14000, 0x15007);
	write64(0x15008, 0x6007);
	npt_read(0x10020 | GENMASK_ULL(4, 0), PT32E_ROOT_LEVEL, 0x1000, &res);
	cr_assert_eq(res.rec.gpa, 0x5000);
	cr_assert_eq(res.rec.final_walk.entries[0].pte_addr, 0x10020);
}

/*
 * The PDPTRs are loaded with the registers: a PDPTE written later is not
 * seen until CR3 is set again, and a failed load is tried again at the
 * next access.
 */
Test(sim_vcpu, pdptrs_load_with_the_registers)
{
	struct sim_result res;

	pae_mode();
	set(SIM_REG_CR3, 0x1000);
	write64(0x1000, 0x2001);
	write64(0x2000, 0x3003);
	write64(0x3000, 0x4003);
	cr_assert_eq(access_read(0x123, &res), 0, "%s", vcpu.error);
	cr_assert_eq(res.outcome, SIM_OK);
	cr_assert_eq(res.rec.gpa, 0x4123);

	/* Bit 1 is reserved in a PDPTE. */
	write64(0x1000, 0x2003);
	cr_assert_eq(access_read(0x123, &res), 0);
	cr_assert_eq(res.outcome, SIM_OK);

	set(SIM_REG_CR3, 0x1000);
	cr_assert_eq(access_read(0x123, &res), 0);
	cr_assert_eq(res.outcome, SIM_CR3_LOAD_GP);
	cr_assert_eq(res.cr3_load_error, -EINVAL);
	cr_assert(vcpu.pending);

	write64(0x1000, 0x2001);
	cr_assert_eq(access_read(0x123, &res), 0);
	cr_assert_eq(res.outcome, SIM_OK);
	cr_assert_not(vcpu.pending);

	set(SIM_REG_CR3, 0x9000);
	cr_assert_eq(access_read(0x123, &res), 0);
	cr_assert_eq(res.outcome, SIM_CR3_LOAD_GP);
	cr_assert_eq(res.cr3_load_error, -EFAULT);
}

/*
 * SVM reads an NPT PDPTE from memory at every walk, with no reserved-bit
 * check: no PDPTR load, and the PDPTE is one more reference.
 */
Test(sim_vcpu, npt_pae_pdptes_are_read_at_every_walk)
{
	struct sim_nested npt = {
		.kind = SIM_NESTED_NPT,
		.ncr3 = 0x10000,
		.host_level = PT32E_ROOT_LEVEL,
		.host_nx = true,
	};
	struct sim_result res;

	set(SIM_REG_VENDOR, 1);
	cr_assert_eq(sim_vcpu_set_nested(&vcpu, &npt), 0);
	/* nGPA 0x1000 -> PD 0x11000 -> PT 0x12000 -> GPA 0x5000. */
	write64(0x11000, 0x12007);
	write64(0x12008, 0x5007);
	cr_assert_eq(access_read(0x1000, &res), 0, "%s", vcpu.error);
	cr_assert_eq(res.outcome, SIM_FAULT);
	cr_assert_eq(res.fault.kind, WALK_FAULT_NPF);
	cr_assert_eq(res.fault.error_code,
		     PFERR_GUEST_FINAL_MASK | PFERR_USER_MASK);

	/* Reserved bits 2:1 set: no #GP, no check, the walk goes on. */
	write64(0x10000, 0x11007);
	cr_assert_eq(access_read(0x1000, &res), 0, "%s", vcpu.error);
	cr_assert_eq(res.outcome, SIM_OK);
	cr_assert_eq(res.rec.gpa, 0x5000);
	cr_assert_eq(res.rec.refs, 3);
}

Test(sim_vcpu, reset_starts_host_memory_again)
{
	struct sim_result res;

	cr_assert_eq(sim_vcpu_back(&vcpu, 0x7000, 0x3000), 0);
	set(SIM_REG_CPL, 3);
	cr_assert_eq(sim_vcpu_reset(&vcpu), 0);
	cr_assert_eq(vcpu.cpl, 0);
	cr_assert_eq(access_read(0x7000, &res), 0);
	cr_assert_eq(res.rec.hpa, INVALID_HPA);
	cr_assert_eq(sim_vcpu_back(&vcpu, 0x9000, 1), 0);
	cr_assert_eq(access_read(0x9000, &res), 0);
	cr_assert_eq(res.rec.hpa, HOST_MEMORY_FIRST_PFN << PAGE_SHIFT);
	cr_assert_eq(sim_vcpu_reset(&vcpu), 0);
	cr_assert_eq(sim_vcpu_reset(&vcpu), 0);
}

Test(sim_vcpu, memory_errors)
{
	cr_assert_eq(sim_vcpu_back(&vcpu, 0, 0), -EINVAL);
	cr_assert_eq(sim_vcpu_back(&vcpu, ~0ULL, 2), -EINVAL);
	cr_assert_eq(sim_vcpu_back(&vcpu, 1ULL << 52, 1), -ERANGE);
	cr_assert_eq(sim_vcpu_write(&vcpu, 0x1004, 8, 0), -EINVAL);
	cr_assert_eq(sim_vcpu_write(&vcpu, 0x1000, 4, 1ULL << 32), -EINVAL);
}
