/*
 * The host CPU as an oracle: user-mode accesses to this process's own
 * pages, mprotect()ed to each permission, and the #PF error code the CPU
 * produced (REG_ERR, REG_TRAPNO and si_addr of the SIGSEGV), compared with
 * gva_walk for the same access through a 4-level path built the way
 * Linux builds it.
 */
#ifndef MMUSIM_TESTS_KVM_CPU_CHECK_H
#define MMUSIM_TESTS_KVM_CPU_CHECK_H

#include <stdbool.h>
#include <stdio.h>

#include "walker/types.h"

struct cpu_check_result {
	const char *name;
	/* What the CPU did: faulted (with trap number, error code, address). */
	bool cpu_fault;
	u64 cpu_trapno;
	u64 cpu_error_code;
	u64 cpu_address;
	/* What gva_walk says. */
	bool sim_fault;
	u64 sim_error_code;
	u64 sim_address;
	bool agree;
};

#define CPU_CHECK_MAX_CASES 16

/*
 * Run every case; 0 with @results[0..*@n) filled, -errno when a page
 * could not be set up.
 */
int cpu_check_run(struct cpu_check_result *results, int *n);

void cpu_check_print(FILE *f, const struct cpu_check_result *r);

#endif
