/* struct sim_vcpu: the register state and memory a scenario drives. */
#ifndef MMUSIM_SIM_VCPU_H
#define MMUSIM_SIM_VCPU_H

#include <errno.h>

#include "walker/walker.h"

#define X86_CR3_PWT BIT_ULL(3)
#define X86_CR3_PCD BIT_ULL(4)
/* CR4.PGE: global pages survive CR3 writes. */
#define X86_CR4_PGE BIT_ULL(7)
/* CR4.PCIDE: CR3[11:0] is the PCID (IA-32e mode only). */
#define X86_CR4_PCIDE BIT_ULL(17)
#define X86_CR3_PCID_MASK GENMASK_ULL(11, 0)
/* MOV to CR3 under CR4.PCIDE: bit 63 set keeps the PCID's entries. */
#define X86_CR3_PCID_NOFLUSH BIT_ULL(63)
/* PAE: CR3[31:5] is the PDPT address. */
#define X86_CR3_PAE_ADDR_MASK GENMASK_ULL(31, 5)
/* EPTP: bits 11:7 (bit 7 is supervisor shadow stacks, not modelled). */
#define EPTP_RSVD_LOW_MASK GENMASK_ULL(11, 7)
#define EPTP_MT_UC MTRR_TYPE_UNCACHABLE
#define EPTP_MT_WB MTRR_TYPE_WRBACK

#define SIM_DEFAULT_MAXPHYADDR 46

/*
 * The settings a scenario can change one at a time.  CPUID-like settings
 * (vendor, MAXPHYADDR, 1G pages) and the registers all take effect at the
 * next access: see sim_vcpu_load().
 */
enum sim_reg {
	/* 0 for Intel, 1 for AMD. */
	SIM_REG_VENDOR,
	SIM_REG_MAXPHYADDR,
	SIM_REG_GBPAGES,
	SIM_REG_CR0,
	SIM_REG_CR3,
	SIM_REG_CR4,
	SIM_REG_EFER,
	SIM_REG_CPL,
	/* RFLAGS.AC. */
	SIM_REG_AC,
	SIM_REG_PKRU,
	/* Not a register: the nested stage (struct sim_nested). */
	SIM_REG_NESTED,
	SIM_NR_REGS,
};

enum sim_nested_kind {
	SIM_NESTED_NONE,
	SIM_NESTED_EPT,
	SIM_NESTED_NPT,
};

/*
 * The nested stage L1 set up for the running guest: none (the guest is
 * L1 itself, or L2 with shadow paging), L1's EPT tables from an EPTP, or
 * L1's NPT tables from an nCR3 read in L1's own (host) paging mode.
 */
struct sim_nested {
	enum sim_nested_kind kind;
	/* EPT: the EPTP with its memory type, walk length and A/D bits. */
	u64 eptp;
	bool execonly;
	bool mbec;
	/* EPT: largest leaf, PG_LEVEL_4K..PG_LEVEL_1G. */
	u8 huge_page_level;
	/* NPT: nCR3, and L1's paging mode as a root level (2..5). */
	u64 ncr3;
	u8 host_level;
	bool host_nx;
	bool gmet;
};

enum sim_access_kind {
	SIM_ACCESS_READ,
	SIM_ACCESS_WRITE,
	SIM_ACCESS_FETCH,
};

/* Who makes an access: the CPL decides unless it is given explicitly. */
enum sim_privilege {
	SIM_PRIV_CPL,
	SIM_PRIV_USER,
	SIM_PRIV_SUPERVISOR,
};

/*
 * One guest memory access.  An implicit access (a descriptor-table read,
 * for example) is a supervisor access whatever the CPL, and RFLAGS.AC does
 * not lift SMAP for it.
 */
struct sim_access {
	enum sim_access_kind kind;
	enum sim_privilege priv;
	bool implicit;
	u64 addr;
};

/*
 * What an access did.  SIM_CR3_LOAD_GP: loading the PAE PDPTRs failed
 * (a reserved bit, or the PDPT outside memory), the #GP of MOV to CR3;
 * SIM_CR3_LOAD_FAULT: loading them faulted in the nested stage (@fault).
 * In both cases no walk was done.
 */
enum sim_outcome {
	SIM_OK,
	SIM_FAULT,
	SIM_CR3_LOAD_GP,
	SIM_CR3_LOAD_FAULT,
};

struct sim_result {
	enum sim_outcome outcome;
	/* SIM_CR3_LOAD_GP: -EINVAL (reserved bits) or -EFAULT (no memory). */
	int cr3_load_error;
	struct walk_fault fault;
	struct walk_record rec;
};

/*
 * A simulated vCPU: CPUID, the registers paging depends on, the nested
 * stage, and the memory its tables live in (L1's memory: guest physical
 * memory without a nested stage, and the GPA space of L1 with one).
 *
 * gva_walk and ngpa_walk are rebuilt from the registers by
 * sim_vcpu_load(), at the first access after a change (@pending), as a
 * CPU does on MOV to CR0/CR3/CR4 or on VM entry.  A guest page table is
 * guest memory: writing it takes effect at once, except for the PAE
 * PDPTRs, which are loaded with the registers.
 */
struct sim_vcpu {
	struct cpu_features cpu;
	u64 cr0;
	u64 cr3;
	u64 cr4;
	u64 efer;
	u8 cpl;
	bool rflags_ac;
	u32 pkru;
	struct sim_nested nested;
	bool pending;

	struct host_memory *host;
	struct guest_memory mem;
	struct kvm_pagewalk gva_walk;
	struct kvm_pagewalk ngpa_walk;

	/* After -EINVAL from sim_vcpu_load(): why, and which setting. */
	char error[160];
	enum sim_reg error_reg;
};

/* A vCPU with the reset state of sim_vcpu_reset(); -ENOMEM. */
int sim_vcpu_init(struct sim_vcpu *vcpu);
void sim_vcpu_destroy(struct sim_vcpu *vcpu);
/*
 * Back to the state a scenario starts from: Intel, MAXPHYADDR 46, 1G pages,
 * every register 0 (paging off), no nested stage, no memory.  -ENOMEM.
 */
int sim_vcpu_reset(struct sim_vcpu *vcpu);

/*
 * Change one setting; it takes effect at the next access.  -EINVAL (with
 * vcpu->error) for a value no CPU accepts in any mode: a CPL above 3, a
 * MAXPHYADDR outside 32..52, bits 63:32 of CR0, CR4 or EFER, PKRU or a
 * vendor or flag out of range.  Checks that depend on other settings are
 * made by sim_vcpu_load().
 */
int sim_vcpu_set(struct sim_vcpu *vcpu, enum sim_reg reg, u64 value);
int sim_vcpu_set_nested(struct sim_vcpu *vcpu, const struct sim_nested *nested);

/*
 * The checks of sim_vcpu_set() and sim_vcpu_set_nested() alone, for a
 * reader that reports bad input where it reads it: 0, or -EINVAL with a
 * message in @why (which may be NULL).
 */
int sim_reg_check(enum sim_reg reg, u64 value, char *why, size_t len);
int sim_nested_check(const struct sim_nested *nested, char *why, size_t len);

/*
 * Back [gpa, gpa + size) of L1's memory; write 4 or 8 bytes at a naturally
 * aligned GPA (backing its page).  -EINVAL, -ERANGE past 2^52, -ENOMEM.
 */
int sim_vcpu_back(struct sim_vcpu *vcpu, u64 gpa, u64 size);
int sim_vcpu_write(struct sim_vcpu *vcpu, u64 gpa, int size, u64 value);

/*
 * Apply the pending settings: compute the roles of gva_walk and ngpa_walk,
 * set both up and load the PAE PDPTRs.  0 when done, 1 when the CR3 load
 * faulted (*@res, which may be NULL, says how; the settings stay pending
 * and the next access tries again), -EINVAL with vcpu->error for a combination no CPU accepts
 * (CR0.PG without CR0.PE, long mode without CR4.PAE, a misaligned CR3,
 * nCR3 or EPTP, EPT on AMD ...).
 */
int sim_vcpu_load(struct sim_vcpu *vcpu, struct sim_result *res);

/* The current PCID: CR3[11:0] under CR4.PCIDE, else 0. */
static inline u16 sim_vcpu_pcid(const struct sim_vcpu *vcpu)
{
	return (vcpu->cr4 & X86_CR4_PCIDE) ? vcpu->cr3 & X86_CR3_PCID_MASK : 0;
}

/* The PFEC and flags a walk checks for @access at the vCPU's CPL. */
static inline struct walk_access
sim_vcpu_walk_access(const struct sim_vcpu *vcpu,
		     const struct sim_access *access)
{
	struct walk_access wa = {
		.rflags_ac = vcpu->rflags_ac,
		.pkru = vcpu->pkru,
	};
	bool user;

	if (access->kind == SIM_ACCESS_WRITE)
		wa.pfec |= PFERR_WRITE_MASK;
	else if (access->kind == SIM_ACCESS_FETCH)
		wa.pfec |= PFERR_FETCH_MASK;

	if (access->implicit)
		user = false;
	else if (access->priv == SIM_PRIV_CPL)
		user = vcpu->cpl == 3;
	else
		user = access->priv == SIM_PRIV_USER;
	if (user)
		wa.pfec |= PFERR_USER_MASK;
	if (access->implicit)
		wa.pfec |= PFERR_IMPLICIT_ACCESS;
	return wa;
}

/* A walk failed with -errno @r: @r, with vcpu->error. */
int sim_vcpu_walk_failed(struct sim_vcpu *vcpu, int r);

/* *@res of a walk that returned @r. */
static inline int sim_vcpu_walk_outcome(struct sim_vcpu *vcpu,
					struct sim_result *res, int r)
{
	if (likely(r == 0)) {
		res->outcome = SIM_OK;
		return 0;
	}
	if (r == 1) {
		res->outcome = SIM_FAULT;
		return 0;
	}
	return sim_vcpu_walk_failed(vcpu, r);
}

/*
 * The walk of sim_vcpu_access(), with the settings loaded and an
 * address that fits the mode; @tried: after sim_vcpu_try_translate()
 * gave -EAGAIN for it (gva_walk_translate_after_try()).
 */
static inline int sim_vcpu_walk(struct sim_vcpu *vcpu,
				const struct sim_access *access,
				struct sim_result *res, bool tried)
{
	struct walk_access wa = sim_vcpu_walk_access(vcpu, access);
	int r;

	/*
	 * gva_walk_translate() sets *fault and every count, address and flag
	 * of *rec (the entries up to each path's nr_entries): clearing all of
	 * *res here, every level's path included, cost more than the walk.
	 */
	res->cr3_load_error = 0;
	if (tried)
		r = gva_walk_translate_after_try(&vcpu->gva_walk, access->addr,
						 &wa, &res->fault, &res->rec);
	else
		r = gva_walk_translate(&vcpu->gva_walk, access->addr, &wa,
				       &res->fault, &res->rec);
	return sim_vcpu_walk_outcome(vcpu, res, r);
}

/*
 * sim_vcpu_access() with settings pending or an address wider than the
 * mode's linear addresses: the load and the checks, then the walk.
 */
int sim_vcpu_access_slow(struct sim_vcpu *vcpu, const struct sim_access *access,
			 struct sim_result *res);

/*
 * Make @access: sim_vcpu_load() if settings are pending, then the walk.
 * 0 with *@res filled (a guest fault is an outcome, not an error): after
 * a walk, @res->fault and @res->rec as gva_walk_translate() leaves them
 * (a path's entries past its nr_entries are not cleared); after a failed
 * CR3 load, all of *@res that the outcome does not set is 0.  -EINVAL
 * with vcpu->error for invalid settings or an address wider than the
 * mode's linear addresses; *@res is then undefined.  Inline for a TLB
 * miss of mmusim run: only the walk is a call.
 */
static inline bool sim_vcpu_access_is_slow(const struct sim_vcpu *vcpu,
					   const struct sim_access *access)
{
	return unlikely(vcpu->pending ||
			(vcpu->gva_walk.role.level < PT64_ROOT_4LEVEL &&
			 (access->addr >> 32)));
}

static inline int sim_vcpu_access(struct sim_vcpu *vcpu,
				  const struct sim_access *access,
				  struct sim_result *res)
{
	if (sim_vcpu_access_is_slow(vcpu, access))
		return sim_vcpu_access_slow(vcpu, access, res);
	return sim_vcpu_walk(vcpu, access, res, false);
}

/*
 * sim_vcpu_access() after sim_vcpu_try_translate() gave -EAGAIN for
 * @access: the same, the walk skipping the fast path that gave up.
 */
static inline int sim_vcpu_access_after_try(struct sim_vcpu *vcpu,
					    const struct sim_access *access,
					    struct sim_result *res)
{
	if (sim_vcpu_access_is_slow(vcpu, access))
		return sim_vcpu_access_slow(vcpu, access, res);
	return sim_vcpu_walk(vcpu, access, res, true);
}

/*
 * The walk of sim_vcpu_access() without a record, where it only reads
 * (gva_walk_try_translate_gpa()), of @addr for @wa (what
 * sim_vcpu_walk_access() gives for the access): 0 with *@t, or -EAGAIN
 * for an access that sim_vcpu_access() must make (settings pending, an
 * address wider than the mode's, a fault, an accessed or dirty flag to
 * set, a mode the record-less walk does not take), having changed
 * nothing.
 */
static inline int sim_vcpu_try_translate(struct sim_vcpu *vcpu, u64 addr,
					 const struct walk_access *wa,
					 struct walk_translation *t)
{
	if (unlikely(vcpu->pending))
		return -EAGAIN;
	return gva_walk_try_translate_gpa(&vcpu->gva_walk, addr, wa, t);
}

const char *sim_access_kind_name(enum sim_access_kind kind);
const char *sim_reg_name(enum sim_reg reg);

#endif
