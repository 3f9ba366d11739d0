/*
 * access.c-style cases run twice: in a real guest under KVM (kvm_guest.h),
 * whose walker is KVM's paging_tmpl.h, and through mmusim's gva_walk (a
 * struct sim_vcpu set up the same way).  The outcome (fault or not, vector,
 * error code, CR2) and every page-table entry afterwards (A/D bits) are
 * compared.
 *
 * Every case walks the same linear address, KS_GVA, through one table per
 * level (KS_PML4 .. KS_PT); what changes is the entries, the registers and
 * the access.
 */
#ifndef MMUSIM_TESTS_KVM_SWEEP_H
#define MMUSIM_TESTS_KVM_SWEEP_H

#include <stdio.h>

#include "kvm_guest.h"
#include "sim/vcpu.h"

#define KS_PML4 KG_CR3
#define KS_PDPT ((u64)0x2000)
#define KS_PD ((u64)0x3000)
#define KS_PT ((u64)0x4000)
/* Memory from here to KG_INFRA_GPA holds 0xc3 (RET) in every byte. */
#define KS_FILL_GPA ((u64)0x5000)
#define KS_PAGE_4K ((u64)0x20000)
#define KS_PAGE_2M ((u64)0x400000)
/* PML4 index 1, PDPT index 2, PD index 3, PT index 4. */
#define KS_GVA ((u64)0x80806045c0)

/* One case: the four entries of KS_GVA's path and the access. */
struct kvm_case {
	/* entry[level], level 4 (PML4E) .. 1 (PTE); entry[0] unused. */
	u64 entry[5];
	/* Level of the leaf: 1 (4K), 2 (2M) or 3 (1G). */
	int leaf_level;
	/* Added to the guest's base: CR0.WP, CR4.SMEP/SMAP, EFER.NX. */
	u64 cr0;
	u64 cr4;
	u64 efer;
	int cpl;
	bool ac;
	enum kg_access_kind kind;
	/* A read of the same address first (access.c's AC_ACCESS_TWICE). */
	bool read_first;
	u64 gva;
	/* Where it comes from, for reports. */
	const char *family;
	unsigned long index;
};

/*
 * A case reading KS_GVA at CPL 0 through a leaf of @leaf_level, every
 * entry present, writable and user, A and D clear.
 */
void kvm_case_init(struct kvm_case *c, int leaf_level);

/* GPA of the entry of @level on KS_GVA's path (the tables are fixed). */
u64 kvm_case_entry_gpa(int level);

enum ks_outcome_kind {
	KS_OK,
	KS_PF,
	KS_GP,
	/* Any other exception (KVM side only). */
	KS_OTHER,
};

/* One side's result, in a form both sides share. */
struct ks_outcome {
	enum ks_outcome_kind kind;
	u32 vector;
	u64 error_code;
	u64 cr2;
	/* The entries of the path afterwards, entry[level]. */
	u64 entry[5];
};

struct kvm_case_result {
	struct ks_outcome kvm;
	struct ks_outcome sim;
	/* KVM's exception frame, for harness checks. */
	struct kg_outcome frame;
	bool agree;
	/* The first difference, when !agree. */
	char diff[256];
};

/* Registers the guest accepts, probed once (CPUID may not list them). */
struct ks_support {
	bool smep;
	bool smap;
	bool nx;
};

struct kvm_sweep {
	struct kvm_guest *guest;
	struct sim_vcpu vcpu;
	struct ks_support support;
	unsigned long alias_flushes;
	/*
	 * $MMUSIM_TRACE_MARKER opened for writing (a tracefs trace_marker),
	 * or -1: the guest's CPUID facts and each case's role bits go there
	 * as the "mmusim-guest:" and "mmusim-role:" lines of
	 * docs/trace-formats.md.
	 */
	int marker;
};

struct kvm_sweep_stats {
	unsigned long cases;
	unsigned long agree;
	unsigned long disagree;
	/* Cases the guest cannot run (a register bit it lacks). */
	unsigned long skipped;
	/* Agreeing cases by outcome: ok, #PF, #GP. */
	unsigned long ok;
	unsigned long pf;
	unsigned long gp;
	double seconds;
};

/* Do not probe CR4.SMEP/SMAP and EFER.NX: take the guest's word for them. */
#define KS_INIT_NO_PROBE 1

/*
 * Set up the guest and the simulated vCPU, and find which register bits
 * the guest accepts (three runs, unless KS_INIT_NO_PROBE).  -ENODEV with
 * @why when KVM is not usable here (skip), other -errno on failure.
 */
int kvm_sweep_init(struct kvm_sweep *s, unsigned int flags, char *why,
		   size_t len);
void kvm_sweep_destroy(struct kvm_sweep *s);

/*
 * "mmusim-guest: vendor=V maxphyaddr=N gbpages=on|off" for the guest's
 * CPUID, as the capture script writes it at the top of a kvmmmu trace.
 */
void kvm_sweep_guest_note(const struct kvm_sweep *s, char *buf, size_t len);

/*
 * Can the guest run @c?  False, with a reason, when it needs a register
 * bit the guest refuses (CR4.SMEP without SMEP, ...).
 */
bool kvm_sweep_can_run(const struct kvm_sweep *s, const struct kvm_case *c,
		       const char **why);

/*
 * Run @c in KVM and in mmusim and compare.  0 with *@r filled, -errno
 * with @why when the harness failed (not a disagreement).
 */
int kvm_sweep_run_case(struct kvm_sweep *s, const struct kvm_case *c,
		       struct kvm_case_result *r, char *why, size_t len);

/*
 * @c as a scenario for "mmusim walk" (docs/walk-scenarios.md), with the
 * guest's CPUID.  The 0xc3 fill is written only where the path reads it.
 */
void kvm_case_print_scenario(FILE *f, const struct kvm_sweep *s,
			     const struct kvm_case *c);
/* One line: the result of each side. */
void kvm_case_print_result(FILE *f, const struct kvm_case_result *r);

/*
 * Families of cases, each a cross product enumerated by index:
 *  - flags-4k, flags-2m: P/W/U/A/D/NX of the leaf and P/W/U/A/NX of its
 *    parent, at most one reserved bit (48 in the leaf or 51 in the
 *    parent), CR0.WP, EFER.NX, CR4.SMEP/SMAP, CPL 0/0+AC/3, R/W/F;
 *  - upper: W/U/A/NX of the PML4E and the PDPTE over a 4K leaf;
 *  - twice: flags-4k's entries (no reserved bit) with a read before the
 *    access, so that a CPL-3 write finds the SPTE the read left;
 *  - rsvd: one extra bit (reserved, ignored or an address bit, including
 *    MAXPHYADDR's edges) in one entry, for 4K, 2M and 1G leaves;
 *  - canonical: non-canonical addresses (#GP).
 */
enum kvm_family {
	KF_FLAGS_4K,
	KF_FLAGS_2M,
	KF_UPPER,
	KF_TWICE,
	KF_RSVD,
	KF_CANONICAL,
	KF_NR,
};

const char *kvm_family_name(enum kvm_family f);
/* -1 for an unknown name. */
int kvm_family_from_name(const char *name);
unsigned long kvm_family_size(enum kvm_family f);
/*
 * Case @i of @f.  False when that index is not a legal case (a bit
 * already set, a fetch from outside memory); the case is then not run.
 */
bool kvm_family_case(enum kvm_family f, unsigned long i, struct kvm_case *c);

/*
 * Run cases @first, @first + @stride, ... of @f (at most @limit when
 * nonzero).  Disagreements are printed to @report with their scenario, up
 * to @max_reports; harness failures end the run with -errno and @why.
 */
int kvm_sweep_family(struct kvm_sweep *s, enum kvm_family f,
		     unsigned long first, unsigned long stride,
		     unsigned long limit, struct kvm_sweep_stats *st,
		     FILE *report, unsigned long max_reports, char *why,
		     size_t len);

/*
 * The sample the Criterion test runs by default (a few seconds): a
 * strided part of the large families, all of the small ones.
 */
int kvm_sweep_default(struct kvm_sweep *s, struct kvm_sweep_stats *st,
		      FILE *report, char *why, size_t len);

#endif
