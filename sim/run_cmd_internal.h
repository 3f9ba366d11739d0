/* mmusim run: what the command and its option parsing share. */
#ifndef MMUSIM_SIM_RUN_CMD_INTERNAL_H
#define MMUSIM_SIM_RUN_CMD_INTERNAL_H

#include "sim/run.h"
#include "sim/run_sweep.h"

enum run_option {
	OPT_FORMAT = 256,
	OPT_MODE,
	OPT_NESTED,
	OPT_NESTED_LEVELS,
	OPT_MMU,
	OPT_PAGE_SIZE,
	OPT_NESTED_PAGE_SIZE,
	OPT_TLB,
	OPT_PSC,
	OPT_NTLB,
	OPT_SET,
	OPT_CONFIG,
	OPT_PRESET,
	OPT_SWEEP,
	OPT_CSV,
	OPT_SEED,
	OPT_ACCESSES,
	OPT_MAX_TABLE_PAGES,
	OPT_MAX_MEMORY,
	OPT_JSON,
	OPT_KEEP_GOING,
	OPT_WALKS,
	OPT_CR0,
	OPT_CR4,
	OPT_EFER,
	OPT_MAXPHYADDR,
	OPT_VENDOR,
	OPT_GBPAGES,
	OPT_NO_TIMING,
	OPT_PROFILE,
	OPT_VCPUS,
	OPT_HELP,
	OPT_END,
};

/*
 * The cache options, applied in this order once all are read: the
 * preset, the file, --tlb, --psc and --ntlb, then each --set.
 */
struct run_cache_args {
	const char *preset;
	const char *file;
	u32 tlb, psc, ntlb;
	const char **sets;
	int nr_sets;
	/* --sweep: the specs, and the configurations they make. */
	const char **sweeps;
	int nr_sweeps;
	struct run_sweep *sweep;
};

struct run_args {
	struct run_config cfg;
	struct run_cache_args caches;
	bool given[OPT_END];
	/* The value of each option given, for conflicting duplicates. */
	const char *values[OPT_END];
	bool no_timing;
	bool csv;
	/* --profile=FILE: where the CPU profile goes. */
	const char *profile;
	bool nested_page_size_given;
};

/* run_cmd_options.c */
int run_cmd_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
int run_cmd_parse_option(struct run_args *a, int c, const char *arg);
int run_cmd_check_options(const struct run_args *a,
			  const struct run_input_ops *input);
int run_cmd_apply_cache_options(struct run_args *a);
int run_cmd_check_config(const struct run_config *cfg);

#endif
