/*
 * A minimal 64-bit guest under /dev/kvm that makes one memory access per
 * run, so that KVM's own software walker (paging_tmpl.h) can be compared
 * with mmusim's gva_walk.
 *
 * The guest's kernel lives in the top 512G of the linear address space
 * (PML4 index 511), in the last megabyte of its memory; everything below
 * KG_INFRA_GPA, and every other PML4 index of the root at KG_CR3, belongs
 * to the test.  The test's page-table entries are written by the guest's
 * kernel, not by the host, so that KVM's shadow MMU sees every write
 * (its write protection of guest page tables covers guest writes only).
 */
#ifndef MMUSIM_TESTS_KVM_GUEST_H
#define MMUSIM_TESTS_KVM_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "walker/types.h"

/* Guest physical memory: [0, KG_MEM_SIZE), aliased at KG_ALIAS_GPA. */
#define KG_MEM_SIZE ((u64)0x800000)
#define KG_INFRA_GPA ((u64)0x700000)
/*
 * The same host memory again at bit 47: with MAXPHYADDR 48 an entry whose
 * address has bit 47 set still names memory, the page at its low bits.
 */
#define KG_ALIAS_GPA ((u64)1 << 47)
/* The root of the guest's tables; its entry 511 maps the kernel. */
#define KG_CR3 ((u64)0x1000)
#define KG_KERNEL_PML4_INDEX 511

/* Register bits the guest loads before each access. */
#define KG_CR0_BASE ((u64)0x80000011) /* PG, ET, PE */
#define KG_CR4_BASE ((u64)0x20) /* PAE */
#define KG_EFER_BASE ((u64)0x501) /* LMA, LME, SCE */

enum kg_access_kind {
	KG_READ,
	KG_WRITE,
	KG_FETCH,
};

/* One 8-byte store to guest memory, made by the guest's kernel. */
struct kg_write {
	u64 gpa;
	u64 value;
};

/*
 * One access.  Before it, the guest stores @writes (page-table entries,
 * skipping those memory already holds), loads CR0, CR4 and EFER (the base
 * values above plus @cr0/@cr4/@efer, which may add CR0.WP, CR4.SMEP/SMAP
 * and EFER.NX) and reloads CR3.  A CPL-3 access is made after an IRETQ to
 * ring 3; @ac sets RFLAGS.AC for it either way.  With @read_first the
 * access comes right after a read of the same address (access.c's
 * AC_ACCESS_TWICE), which ends things if it faults.
 */
struct kg_access {
	u64 cr0;
	u64 cr4;
	u64 efer;
	int cpl;
	bool ac;
	enum kg_access_kind kind;
	bool read_first;
	u64 gva;
	const struct kg_write *writes;
	int nr_writes;
};

/* KG_NO_FAULT: the access completed. */
#define KG_NO_FAULT 0x100

/* What the guest saw: the exception that ended the access, if any. */
struct kg_outcome {
	u32 vector;
	u64 error_code;
	u64 cr2;
	/* RIP and CS of the exception frame: which instruction faulted. */
	u64 rip;
	u64 cs;
};

/* What the guest's CPUID says (as KVM_GET_SUPPORTED_CPUID allows). */
struct kg_features {
	bool amd;
	bool nx;
	bool smep;
	bool smap;
	bool pku;
	bool la57;
	bool gbpages;
	u8 maxphyaddr;
	char vendor[13];
};

struct kvm_guest;

/*
 * Create the VM and its vCPU in long mode.  0, or -errno with @why set;
 * -ENODEV means KVM is not usable here (no /dev/kvm, or KVM_CREATE_VM
 * failed), which a test reports as a skip.
 */
int kvm_guest_create(struct kvm_guest **out, char *why, size_t len);
void kvm_guest_destroy(struct kvm_guest *g);

const struct kg_features *kvm_guest_features(const struct kvm_guest *g);

/* The host's view of guest memory at @gpa (aliases included), or NULL. */
void *kvm_guest_mem(struct kvm_guest *g, u64 gpa);
/* The 8-byte entry at @gpa, as the guest's memory holds it now. */
u64 kvm_guest_read64(struct kvm_guest *g, u64 gpa);

/*
 * Run one access.  0 with *@out filled; -errno with @why set when the VM
 * did something the harness does not expect (an exit other than its port,
 * an exception in the guest's own code).
 */
int kvm_guest_run(struct kvm_guest *g, const struct kg_access *a,
		  struct kg_outcome *out, char *why, size_t len);

/*
 * Forget every shadow page KVM built for the alias range, by deleting and
 * re-adding its memslot: the guest's stores reach the alias's pages under
 * their low GPA only, so KVM's write tracking cannot see them for the
 * alias.  Needed after an access walked a table through the alias.
 */
int kvm_guest_flush_alias(struct kvm_guest *g);

/*
 * Add @size bytes of read-only memory (KVM_MEM_READONLY) at @gpa, above
 * KG_MEM_SIZE and below KG_ALIAS_GPA: the host's pointer to it, or NULL
 * with @why set.  The guest cannot store there, and KVM's walker does not
 * set A/D bits in a table there.  One such slot per VM.
 */
void *kvm_guest_add_readonly(struct kvm_guest *g, u64 gpa, u64 size, char *why,
			     size_t len);

/* Number of KVM_RUN calls so far. */
unsigned long kvm_guest_runs(const struct kvm_guest *g);

#endif
