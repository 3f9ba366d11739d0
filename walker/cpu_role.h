/* Building a struct cpu_role from control registers, an EPTP or an nCR3. */
#ifndef MMUSIM_CPU_ROLE_H
#define MMUSIM_CPU_ROLE_H

#include "walker/page_format.h"

#define X86_CR0_PE BIT_ULL(0)
#define X86_CR0_WP BIT_ULL(16)
#define X86_CR0_PG BIT_ULL(31)
#define X86_CR4_PSE BIT_ULL(4)
#define X86_CR4_PAE BIT_ULL(5)
#define X86_CR4_LA57 BIT_ULL(12)
#define X86_CR4_SMEP BIT_ULL(20)
#define X86_CR4_SMAP BIT_ULL(21)
#define X86_CR4_PKE BIT_ULL(22)
#define EFER_LME BIT_ULL(8)
#define EFER_LMA BIT_ULL(10)
#define EFER_NX BIT_ULL(11)
#define X86_RFLAGS_AC BIT_ULL(18)

/* What CPUID says about paging: the features a role depends on. */
struct cpu_features {
	bool amd;
	bool gbpages;
	u8 maxphyaddr;
};

/*
 * The role of a guest's CR3 tables (gva_walk), as KVM's kvm_calc_cpu_role().
 * -EINVAL for register values no CPU accepts (CR0.PG without CR0.PE,
 * EFER.LMA without CR4.PAE or CR0.PG).
 */
int cpu_role_from_regs(struct cpu_role *role, u64 cr0, u64 cr4, u64 efer,
		       const struct cpu_features *cpu);

/*
 * The role of L1's EPT tables (an EPT ngpa_walk), as KVM's
 * kvm_init_shadow_ept_mmu(): levels from the EPTP's page-walk length, A/D
 * from its bit 6.  -EINVAL for a walk length other than 4 or 5.
 */
int cpu_role_for_ept(struct cpu_role *role, u64 eptp, bool execonly, bool mbec,
		     u8 huge_page_level, u8 maxphyaddr);

/*
 * The role of L1's NPT tables (an NPT ngpa_walk), as KVM's
 * kvm_init_shadow_npt_mmu(): L1's host paging mode with CR0.WP forced on,
 * SMAP and PKE off, and GMET in place of SMEP.
 */
int cpu_role_for_npt(struct cpu_role *role, u64 host_cr4, u64 host_efer,
		     bool gmet, const struct cpu_features *host);

#endif
