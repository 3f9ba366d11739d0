/* struct sim_vcpu: registers, nested stage and memory of one scenario. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "sim/memory_limit.h"
#include "sim/vcpu.h"

static const char *const sim_reg_names[SIM_NR_REGS] = {
	[SIM_REG_VENDOR] = "vendor",   [SIM_REG_MAXPHYADDR] = "maxphyaddr",
	[SIM_REG_GBPAGES] = "gbpages", [SIM_REG_CR0] = "cr0",
	[SIM_REG_CR3] = "cr3",	       [SIM_REG_CR4] = "cr4",
	[SIM_REG_EFER] = "efer",       [SIM_REG_CPL] = "cpl",
	[SIM_REG_AC] = "ac",	       [SIM_REG_PKRU] = "pkru",
	[SIM_REG_NESTED] = "nested",
};

const char *sim_reg_name(enum sim_reg reg)
{
	return (unsigned int)reg < SIM_NR_REGS ? sim_reg_names[reg] : "?";
}

const char *sim_access_kind_name(enum sim_access_kind kind)
{
	switch (kind) {
	case SIM_ACCESS_READ:
		return "read";
	case SIM_ACCESS_WRITE:
		return "write";
	case SIM_ACCESS_FETCH:
		return "fetch";
	}
	return "?";
}

static void __attribute__((format(printf, 3, 4)))
format_why(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

int sim_reg_check(enum sim_reg reg, u64 value, char *why, size_t len)
{
	const char *name = sim_reg_name(reg);

	switch (reg) {
	case SIM_REG_VENDOR:
	case SIM_REG_GBPAGES:
	case SIM_REG_AC:
		if (value > 1) {
			format_why(why, len,
				   "%s %" PRIu64 " is neither 0 nor 1", name,
				   value);
			return -EINVAL;
		}
		return 0;
	case SIM_REG_MAXPHYADDR:
		if (value < PHYS_ADDR_BITS_MIN || value > PHYS_ADDR_BITS_MAX) {
			format_why(why, len,
				   "maxphyaddr %" PRIu64
				   " is out of range %d..%d",
				   value, PHYS_ADDR_BITS_MIN,
				   PHYS_ADDR_BITS_MAX);
			return -EINVAL;
		}
		return 0;
	case SIM_REG_CR0:
	case SIM_REG_CR4:
	case SIM_REG_EFER:
		if (value >> 32) {
			format_why(why, len,
				   "%s 0x%" PRIx64 ": bits 63:32 are reserved",
				   name, value);
			return -EINVAL;
		}
		return 0;
	case SIM_REG_CR3:
		return 0;
	case SIM_REG_CPL:
		if (value > 3) {
			format_why(why, len,
				   "cpl %" PRIu64 " is out of range 0..3",
				   value);
			return -EINVAL;
		}
		return 0;
	case SIM_REG_PKRU:
		if (value >> 32) {
			format_why(why, len,
				   "pkru 0x%" PRIx64 " does not fit 32 bits",
				   value);
			return -EINVAL;
		}
		return 0;
	case SIM_REG_NESTED:
	case SIM_NR_REGS:
		break;
	}
	format_why(why, len, "%s cannot be set to a number", name);
	return -EINVAL;
}

int sim_nested_check(const struct sim_nested *nested, char *why, size_t len)
{
	u64 eptp = nested->eptp;
	unsigned int mt, pwl;

	switch (nested->kind) {
	case SIM_NESTED_NONE:
		return 0;
	case SIM_NESTED_EPT:
		mt = eptp & EPTP_MT_MASK;
		pwl = ((eptp & EPTP_PWL_MASK) >> EPTP_PWL_SHIFT) + 1;
		if (mt != EPTP_MT_UC && mt != EPTP_MT_WB) {
			format_why(
				why, len,
				"eptp 0x%" PRIx64
				": memory type %u is neither UC (0) nor WB (6)",
				eptp, mt);
			return -EINVAL;
		}
		if (pwl != PT64_ROOT_4LEVEL && pwl != PT64_ROOT_5LEVEL) {
			format_why(
				why, len,
				"eptp 0x%" PRIx64
				": page-walk length %u is neither 4 nor 5 (bits 5:3 hold the length - 1)",
				eptp, pwl);
			return -EINVAL;
		}
		if (eptp & EPTP_RSVD_LOW_MASK) {
			format_why(why, len,
				   "eptp 0x%" PRIx64 ": bits 11:7 are reserved",
				   eptp);
			return -EINVAL;
		}
		if (nested->huge_page_level < PG_LEVEL_4K ||
		    nested->huge_page_level > PG_LEVEL_1G) {
			format_why(why, len,
				   "huge-level %u is out of range %d..%d",
				   nested->huge_page_level, PG_LEVEL_4K,
				   PG_LEVEL_1G);
			return -EINVAL;
		}
		return 0;
	case SIM_NESTED_NPT:
		if (nested->host_level < PT32_ROOT_LEVEL ||
		    nested->host_level > PT64_ROOT_5LEVEL) {
			format_why(
				why, len,
				"npt host paging level %u is out of range %d..%d",
				nested->host_level, PT32_ROOT_LEVEL,
				PT64_ROOT_5LEVEL);
			return -EINVAL;
		}
		return 0;
	}
	format_why(why, len, "unknown nested stage %d", nested->kind);
	return -EINVAL;
}

static void sim_vcpu_reset_regs(struct sim_vcpu *vcpu)
{
	vcpu->cpu = (struct cpu_features){
		.amd = false,
		.gbpages = true,
		.maxphyaddr = SIM_DEFAULT_MAXPHYADDR,
	};
	vcpu->cr0 = 0;
	vcpu->cr3 = 0;
	vcpu->cr4 = 0;
	vcpu->efer = 0;
	vcpu->cpl = 0;
	vcpu->rflags_ac = false;
	vcpu->pkru = 0;
	memset(&vcpu->nested, 0, sizeof(vcpu->nested));
	vcpu->nested.kind = SIM_NESTED_NONE;
	vcpu->pending = true;
	vcpu->error[0] = '\0';
	vcpu->error_reg = SIM_NR_REGS;
}

int sim_vcpu_init(struct sim_vcpu *vcpu)
{
	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->host = host_memory_create();
	if (!vcpu->host)
		return -ENOMEM;
	sim_apply_max_memory(vcpu->host);
	if (guest_memory_init(&vcpu->mem, vcpu->host)) {
		host_memory_destroy(vcpu->host);
		vcpu->host = NULL;
		return -ENOMEM;
	}
	sim_vcpu_reset_regs(vcpu);
	return 0;
}

void sim_vcpu_destroy(struct sim_vcpu *vcpu)
{
	if (!vcpu->host)
		return;
	guest_memory_destroy(&vcpu->mem);
	host_memory_destroy(vcpu->host);
	vcpu->host = NULL;
}

int sim_vcpu_reset(struct sim_vcpu *vcpu)
{
	/*
	 * Fresh host memory, so that HPAs count from HOST_MEMORY_FIRST_PFN
	 * again and a scenario's output does not depend on the ones before.
	 * Nothing to free when the last scenario backed no memory.
	 */
	if (!vcpu->host || host_memory_nr_pages(vcpu->host)) {
		sim_vcpu_destroy(vcpu);
		return sim_vcpu_init(vcpu);
	}
	sim_vcpu_reset_regs(vcpu);
	return 0;
}

int sim_vcpu_set(struct sim_vcpu *vcpu, enum sim_reg reg, u64 value)
{
	int r = sim_reg_check(reg, value, vcpu->error, sizeof(vcpu->error));

	if (r) {
		vcpu->error_reg = reg;
		return r;
	}
	switch (reg) {
	case SIM_REG_VENDOR:
		vcpu->cpu.amd = value;
		break;
	case SIM_REG_MAXPHYADDR:
		vcpu->cpu.maxphyaddr = value;
		break;
	case SIM_REG_GBPAGES:
		vcpu->cpu.gbpages = value;
		break;
	case SIM_REG_CR0:
		vcpu->cr0 = value;
		break;
	case SIM_REG_CR3:
		vcpu->cr3 = value;
		break;
	case SIM_REG_CR4:
		vcpu->cr4 = value;
		break;
	case SIM_REG_EFER:
		vcpu->efer = value;
		break;
	case SIM_REG_CPL:
		vcpu->cpl = value;
		break;
	case SIM_REG_AC:
		vcpu->rflags_ac = value;
		break;
	case SIM_REG_PKRU:
		vcpu->pkru = value;
		break;
	case SIM_REG_NESTED:
	case SIM_NR_REGS:
		MMU_WARN_ON(1);
		return -EINVAL;
	}
	vcpu->pending = true;
	return 0;
}

int sim_vcpu_set_nested(struct sim_vcpu *vcpu, const struct sim_nested *nested)
{
	int r = sim_nested_check(nested, vcpu->error, sizeof(vcpu->error));

	if (r) {
		vcpu->error_reg = SIM_REG_NESTED;
		return r;
	}
	vcpu->nested = *nested;
	vcpu->pending = true;
	return 0;
}

int sim_vcpu_back(struct sim_vcpu *vcpu, u64 gpa, u64 size)
{
	if (!size || gpa + size < gpa)
		return -EINVAL;
	return guest_memory_back(&vcpu->mem, gpa, size);
}

int sim_vcpu_write(struct sim_vcpu *vcpu, u64 gpa, int size, u64 value)
{
	return guest_memory_write(&vcpu->mem, gpa, size, value);
}

static int __attribute__((format(printf, 3, 4)))
load_error(struct sim_vcpu *vcpu, enum sim_reg reg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vcpu->error, sizeof(vcpu->error), fmt, ap);
	va_end(ap);
	vcpu->error_reg = reg;
	return -EINVAL;
}

static const char *paging_mode_name(int level)
{
	switch (level) {
	case PT32_ROOT_LEVEL:
		return "32-bit paging";
	case PT32E_ROOT_LEVEL:
		return "PAE paging";
	case PT64_ROOT_4LEVEL:
		return "4-level paging";
	case PT64_ROOT_5LEVEL:
		return "5-level paging";
	}
	return "paging off";
}

/*
 * The root of a paging mode: a table below 4G for 32-bit paging, a PDPT
 * below 4G for PAE, a table below MAXPHYADDR in long mode (no LAM).  The
 * bits below the table's address are never reserved: without CR4.PCIDE,
 * bits 4:3 are PWT and PCD (not modelled) and the others ignored (bits
 * 4:0 with PAE), SDM Vol. 3A Tables 4-3, 4-7 and 4-12; with it, bits 11:0
 * are the PCID.  KVM's kvm_set_cr3() refuses none of them.  Nor are
 * nCR3's, checked as CR3 in the host's mode: VMRUN refuses an nCR3 only
 * for an MBZ bit (APM Vol. 2, 15.25.4), and CR3's only MBZ bits are the
 * unimplemented address bits (3.1, "System-Control Registers"); KVM's
 * nested_vmcb_check_controls() refuses only an nCR3 above MAXPHYADDR.
 */
static int check_root(struct sim_vcpu *vcpu, enum sim_reg reg, const char *name,
		      u64 root, int level)
{
	u8 maxphyaddr = vcpu->cpu.maxphyaddr;

	switch (level) {
	case PT32_ROOT_LEVEL:
	case PT32E_ROOT_LEVEL:
		if (root >> 32)
			return load_error(vcpu, reg,
					  "%s 0x%" PRIx64
					  " does not fit 32 bits (%s)",
					  name, root, paging_mode_name(level));
		break;
	case PT64_ROOT_4LEVEL:
	case PT64_ROOT_5LEVEL:
		if (root & rsvd_bits(maxphyaddr, 63))
			return load_error(
				vcpu, reg,
				"%s 0x%" PRIx64
				": bits 63:%u are reserved (MAXPHYADDR %u)",
				name, root, maxphyaddr, maxphyaddr);
		break;
	default:
		return 0;
	}
	return 0;
}

/* The role of gva_walk, from CR0, CR4 and EFER (LMA = LME && CR0.PG). */
static int load_guest_role(struct sim_vcpu *vcpu, struct cpu_role *role)
{
	u64 cr0 = vcpu->cr0, cr4 = vcpu->cr4, efer = vcpu->efer;

	if ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE))
		return load_error(vcpu, SIM_REG_CR0,
				  "cr0 0x%" PRIx64 " sets PG without PE", cr0);
	if ((efer & EFER_LMA) && !(efer & EFER_LME))
		return load_error(vcpu, SIM_REG_EFER,
				  "efer 0x%" PRIx64 " sets LMA without LME",
				  efer);
	if ((efer & EFER_LMA) && !(cr0 & X86_CR0_PG))
		return load_error(vcpu, SIM_REG_EFER,
				  "efer 0x%" PRIx64
				  " sets LMA but cr0 0x%" PRIx64
				  " has paging off",
				  efer, cr0);
	if ((efer & EFER_LME) && (cr0 & X86_CR0_PG)) {
		efer |= EFER_LMA;
		if (!(cr4 & X86_CR4_PAE))
			return load_error(
				vcpu, SIM_REG_CR4,
				"long mode (EFER.LME and CR0.PG) needs CR4.PAE, cr4 is 0x%" PRIx64,
				cr4);
	}
	if ((cr4 & X86_CR4_PCIDE) && !(efer & EFER_LMA))
		return load_error(vcpu, SIM_REG_CR4,
				  "cr4 0x%" PRIx64
				  " sets PCIDE outside long mode",
				  cr4);
	if (cpu_role_from_regs(role, cr0, cr4, efer, &vcpu->cpu))
		return load_error(vcpu, SIM_REG_CR0,
				  "no CPU accepts cr0 0x%" PRIx64
				  " cr4 0x%" PRIx64 " efer 0x%" PRIx64,
				  cr0, cr4, efer);
	return check_root(vcpu, SIM_REG_CR3, "cr3", vcpu->cr3, role->level);
}

/* The role of ngpa_walk and its root, from the EPTP or nCR3. */
static int load_nested_role(struct sim_vcpu *vcpu, struct cpu_role *role,
			    u64 *root)
{
	const struct sim_nested *n = &vcpu->nested;
	u8 maxphyaddr = vcpu->cpu.maxphyaddr;
	u64 cr4 = X86_CR4_PSE, efer = 0;

	if (sim_nested_check(n, vcpu->error, sizeof(vcpu->error))) {
		vcpu->error_reg = SIM_REG_NESTED;
		return -EINVAL;
	}
	if (n->kind == SIM_NESTED_EPT) {
		if (vcpu->cpu.amd)
			return load_error(vcpu, SIM_REG_NESTED,
					  "nested ept needs vendor intel");
		if (n->eptp & rsvd_bits(maxphyaddr, 63))
			return load_error(
				vcpu, SIM_REG_NESTED,
				"eptp 0x%" PRIx64
				": bits 63:%u are reserved (MAXPHYADDR %u)",
				n->eptp, maxphyaddr, maxphyaddr);
		*root = n->eptp;
		if (cpu_role_for_ept(role, n->eptp, n->execonly, n->mbec,
				     n->huge_page_level, maxphyaddr))
			return load_error(vcpu, SIM_REG_NESTED,
					  "no CPU accepts eptp 0x%" PRIx64,
					  n->eptp);
		return 0;
	}

	if (!vcpu->cpu.amd)
		return load_error(vcpu, SIM_REG_NESTED,
				  "nested npt needs vendor amd");
	if (n->host_level >= PT32E_ROOT_LEVEL)
		cr4 |= X86_CR4_PAE;
	if (n->host_level >= PT64_ROOT_4LEVEL)
		efer |= EFER_LME | EFER_LMA;
	if (n->host_level == PT64_ROOT_5LEVEL)
		cr4 |= X86_CR4_LA57;
	if (n->host_nx)
		efer |= EFER_NX;
	if (check_root(vcpu, SIM_REG_NESTED, "ncr3", n->ncr3, n->host_level))
		return -EINVAL;
	*root = n->ncr3;
	if (cpu_role_for_npt(role, cr4, efer, n->gmet, &vcpu->cpu))
		return load_error(vcpu, SIM_REG_NESTED,
				  "no CPU accepts the npt host mode");
	return 0;
}

int sim_vcpu_load(struct sim_vcpu *vcpu, struct sim_result *res)
{
	struct kvm_pagewalk *nested = NULL;
	struct cpu_role role, nrole;
	struct sim_result scratch;
	u64 nroot = 0;
	int r;

	if (!res)
		res = &scratch;
	r = load_guest_role(vcpu, &role);
	if (r)
		return r;

	if (vcpu->nested.kind != SIM_NESTED_NONE) {
		r = load_nested_role(vcpu, &nrole, &nroot);
		if (r)
			return r;
		nested = &vcpu->ngpa_walk;
		if (kvm_pagewalk_reload(nested, &nrole, nroot, &vcpu->mem,
					NULL))
			return load_error(vcpu, SIM_REG_NESTED,
					  "ngpa_walk rejects the nested role");
	}
	if (kvm_pagewalk_reload(&vcpu->gva_walk, &role, vcpu->cr3, &vcpu->mem,
				nested))
		return load_error(vcpu, SIM_REG_CR0,
				  "gva_walk rejects the guest role");

	if (role.level == PT32E_ROOT_LEVEL) {
		r = kvm_pagewalk_load_pdptrs(&vcpu->gva_walk, &res->fault);
		if (r == 1) {
			res->outcome = SIM_CR3_LOAD_FAULT;
			return 1;
		}
		if (r == -EINVAL || r == -EFAULT) {
			res->outcome = SIM_CR3_LOAD_GP;
			res->cr3_load_error = r;
			return 1;
		}
		if (r)
			return load_error(vcpu, SIM_REG_CR3,
					  "loading the PDPTRs failed (%d)", r);
	}
	vcpu->pending = false;
	return 0;
}

int sim_vcpu_access_slow(struct sim_vcpu *vcpu, const struct sim_access *access,
			 struct sim_result *res)
{
	int r;

	if (unlikely(vcpu->pending)) {
		/* A failed CR3 load is a result with no walk: all of it 0. */
		memset(res, 0, sizeof(*res));
		r = sim_vcpu_load(vcpu, res);
		if (r < 0)
			return r;
		if (r)
			return 0;
	}

	if (vcpu->gva_walk.role.level < PT64_ROOT_4LEVEL &&
	    (access->addr >> 32)) {
		vcpu->error_reg = SIM_NR_REGS;
		snprintf(vcpu->error, sizeof(vcpu->error),
			 "address 0x%" PRIx64 " does not fit 32 bits (%s)",
			 access->addr,
			 paging_mode_name(vcpu->gva_walk.role.level));
		return -EINVAL;
	}
	return sim_vcpu_walk(vcpu, access, res, false);
}

int sim_vcpu_walk_failed(struct sim_vcpu *vcpu, int r)
{
	vcpu->error_reg = SIM_NR_REGS;
	snprintf(vcpu->error, sizeof(vcpu->error),
		 "gva_walk_translate() failed with %d (%s)", r, strerror(-r));
	return r;
}
