/* The hooks through which an MMU (tdp_mmu, shadow_mmu) joins mmusim run. */
#ifndef MMUSIM_SIM_RUN_MMU_H
#define MMUSIM_SIM_RUN_MMU_H

#include <stddef.h>

#include "sim/vcpu.h"

#define RUN_MMU_MAX_COUNTERS 16

/*
 * What mmusim run tells an MMU about one guest walk: the access, the walk
 * record, and for a fault the fault.  TLB hits are never reported: as in
 * KVM, an access the guest's TLB translates does not reach the MMU.
 */
struct run_mmu_walk {
	const struct sim_vcpu *vcpu;
	u64 gva;
	struct walk_access access;
	const struct walk_record *rec;
	/* NULL after a successful walk. */
	const struct walk_fault *fault;
};

/*
 * An MMU as mmusim run drives it.  Every hook may be NULL.  @create
 * returns 0 with *@mmu set, or -errno; the others return 0 or -errno,
 * which stops the run with the message of @last_error.
 *
 *  - on_walk_success: a walk of gva_walk (through ngpa_walk when nested)
 *    succeeded; the MMU maps what the guest may now touch (tdp_mmu: the
 *    GPA; shadow_mmu: shadow pages for the guest entries in @rec).
 *  - on_fault: a walk faulted; the fault is injected into the guest or
 *    exits to L1, and demand paging may then fix the tables and walk again.
 *  - on_cr3: the guest wrote CR3 (shadow_mmu switches roots).
 *  - on_invlpg: the guest ran INVLPG (shadow_mmu zaps that GVA's SPTEs).
 *  - on_write: @bytes at GPA @gpa of L1's memory were written by the
 *    guest (a scenario's write32/write64, or demand paging building
 *    tables), after the write: shadow_mmu syncs or zaps what shadows it.
 *  - on_vcpu_reset: the vCPU is about to be reset (a scenario file's
 *    next `scenario`, a reclaim of demand paging), which frees its host
 *    memory, the MMU's tables included.  The MMU lets go of everything
 *    it built and starts afresh at the next walk; its counters go on.
 *  - remote_flushes: how many times so far the MMU asked every vCPU to
 *    flush its TLB (KVM's kvm_flush_remote_tlbs(), after a zap or a
 *    write-protect), its dropped MMUs included; INVLPG's flush of the
 *    running vCPU alone is not one.
 *  - counters: the current value of each of @counter_names, in order,
 *    for the report.
 */
struct run_mmu_ops {
	const char *name;
	int (*create)(void **mmu, struct sim_vcpu *vcpu);
	void (*destroy)(void *mmu);
	int (*on_walk_success)(void *mmu, const struct run_mmu_walk *walk);
	int (*on_fault)(void *mmu, const struct run_mmu_walk *walk);
	int (*on_cr3)(void *mmu, u64 cr3);
	int (*on_invlpg)(void *mmu, u64 gva);
	int (*on_write)(void *mmu, u64 gpa, u64 val, int bytes);
	void (*on_vcpu_reset)(void *mmu);
	u64 (*remote_flushes)(void *mmu);
	unsigned int nr_counters;
	const char *const *counter_names;
	void (*counters)(void *mmu, u64 *values);
	/* Why the last hook failed, for the message that stops the run. */
	const char *(*last_error)(void *mmu);
	/*
	 * Why this MMU cannot run a guest under a nested stage (--nested),
	 * in the user's terms; NULL when it can.
	 */
	const char *nested_unsupported;
};

/*
 * The MMU called @name: "none" (no MMU: the run measures the guest's
 * walks and caches only), "tdp" or "shadow".  NULL with a message in @why
 * for an unknown name.
 */
const struct run_mmu_ops *run_mmu_find(const char *name, char *why, size_t len);

#endif
