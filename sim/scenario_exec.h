/*
 * Running the statements of a scenario file on a vCPU: the one
 * interpreter of "mmusim walk" and of "mmusim run" over native input.
 * Each consumer adds what it has besides the vCPU (result lines, caches,
 * an MMU) through struct scenario_exec_ops.
 */
#ifndef MMUSIM_SIM_SCENARIO_EXEC_H
#define MMUSIM_SIM_SCENARIO_EXEC_H

#include "sim/scenario.h"

struct scenario_exec;

/*
 * The hooks of a consumer; each may be NULL, which does what the vCPU
 * alone does.  A hook returns 0 or -errno with a message in x->why (the
 * interpreter adds "FILE:LINE: "), except as noted.
 *
 *  - reset: "scenario NAME", a fresh vCPU (NULL: sim_vcpu_reset()).
 *  - set: a setting (NULL: sim_vcpu_set()).
 *  - nested: after the nested stage changed.
 *  - write: write32/write64 of L1's memory (NULL: sim_vcpu_write()).
 *  - access: one access (NULL: sim_vcpu_access() into x->res): 0 or 1 as
 *    its result; -EINVAL with vcpu->error for settings no CPU accepts
 *    together, which the interpreter reports with the line that set the
 *    setting at fault.
 *  - read_mem: what read32/read64 found at @gpa (NULL: nothing is shown).
 */
struct scenario_exec_ops {
	int (*reset)(struct scenario_exec *x);
	int (*set)(struct scenario_exec *x, enum sim_reg reg, u64 value);
	int (*nested)(struct scenario_exec *x);
	int (*write)(struct scenario_exec *x, u64 gpa, int size, u64 value);
	int (*access)(struct scenario_exec *x,
		      const struct scenario_stmt *stmt);
	void (*read_mem)(struct scenario_exec *x,
			 const struct scenario_stmt *stmt, u64 value);
};

/*
 * CPU facts every scenario starts with (mmusim walk --vendor,
 * --maxphyaddr, --gbpages) instead of the vCPU's reset values; a
 * scenario's own vendor/maxphyaddr/gbpages statements still win.
 */
struct scenario_cpu_defaults {
	bool have_vendor, have_maxphyaddr, have_gbpages;
	bool amd;
	u8 maxphyaddr;
	bool gbpages;
};

struct scenario_exec {
	struct sim_vcpu *vcpu;
	const struct scenario_exec_ops *ops;
	void *opaque;
	struct scenario_cpu_defaults defaults;
	/* The name of the current scenario, NUL-terminated. */
	char *name;
	size_t name_cap;
	/* Line of the statement that last set each setting; 0: default. */
	unsigned long reg_line[SIM_NR_REGS];
	/* What the last access did, without an access hook. */
	struct sim_result res;
	/* expect32/expect64 statements that found another value. */
	unsigned long failed_expects;
	char why[SCENARIO_ERROR_MAX];
};

void scenario_exec_init(struct scenario_exec *x, struct sim_vcpu *vcpu,
			const struct scenario_exec_ops *ops, void *opaque);
void scenario_exec_destroy(struct scenario_exec *x);

/*
 * Run @stmt: 0, or the return of scenario_error() on @r ("FILE:LINE:
 * message") for a statement the vCPU refuses, a hook's error, or an
 * expect32/expect64 that found another value (also counted in
 * x->failed_expects).
 */
int scenario_exec_stmt(struct scenario_exec *x, struct scenario_reader *r,
		       const struct scenario_stmt *stmt);

#endif
