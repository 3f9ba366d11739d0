/*
 * --max-memory: declared guest memory costs host memory only once
 * written, and what would pass the limit stops mmusim walk and mmusim run
 * with FILE:LINE ("mmusim: FILE:LINE: ...") and exit status 2.  The bounds are on RSS (the peak of
 * the children, from getrusage()), never on time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <criterion/criterion.h>

#include "mmusim_cmd.h"
#include "walker/types.h"

#ifndef MMUSIM_BIN
#error "MMUSIM_BIN must name the mmusim binary"
#endif

#define EXIT_USAGE 2
#define KIB_PER_MIB 1024

/* The peak RSS of the largest child run so far, in MiB. */
static long children_peak_rss_mib(void)
{
	struct rusage ru;

	cr_assert_eq(getrusage(RUSAGE_CHILDREN, &ru), 0);
	return ru.ru_maxrss / KIB_PER_MIB;
}

static void run_stdin(const char *command, const char *const *args,
		      const char *input, struct mmusim_cmd_result *r)
{
	mmusim_cmd_run(MMUSIM_BIN, command, args, input, strlen(input), r);
}

/* 1 GiB declared, a few pages written: a few MiB of RSS, not 2 GiB. */
Test(memory_limit, declared_memory_costs_rss_only_once_written)
{
	static const char scenario[] = "scenario big\n"
				       "mem 0 0x40000000\n"
				       "write64 0x1000 0x2003\n"
				       "write64 0x2000 0x3003\n"
				       "write64 0x3000 0x3fff0003\n"
				       "cr3 0x1000\n"
				       "cr0 0x80000001\n"
				       "cr4 0x20\n"
				       "efer 0x500\n"
				       "read 0x1234\n";
	struct mmusim_cmd_result r;

	run_stdin("walk", NULL, scenario, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.err, "");
	cr_assert_lt(children_peak_rss_mib(), 128);
	mmusim_cmd_result_free(&r);
}

Test(memory_limit, a_declaration_past_the_default_limit_stops_at_its_line)
{
	static const char prefix[] =
		"mmusim: <stdin>:2: mem: backing 0xfffffffff000 bytes at 0x0: "
		"over the host memory limit of ";
	struct mmusim_cmd_result r;

	run_stdin("walk", NULL, "scenario huge\nmem 0 0xfffffffff000\n", &r);
	cr_assert_eq(r.status, EXIT_USAGE);
	cr_assert_eq(strncmp(r.err, prefix, strlen(prefix)), 0, "%s", r.err);
	cr_assert_not_null(strstr(r.err, " MiB (--max-memory)\n"), "%s", r.err);
	cr_assert_lt(children_peak_rss_mib(), 64);
	mmusim_cmd_result_free(&r);
}

Test(memory_limit, max_memory_bounds_a_scenario_in_walk_and_run)
{
	static const char *const walk_args[] = { "--max-memory=16M", NULL };
	static const char *const run_args[] = { "--max-memory=16m", "-", NULL };
	static const char scenario[] = "scenario a\n"
				       "mem 0 0x800000\n"
				       "scenario b\n"
				       "mem 0 0x1000000\n"
				       "mem 0x1000000 0x1000\n";
	static const char expected[] =
		"mmusim: <stdin>:5: mem: backing 0x1000 bytes at 0x1000000: "
		"over the host memory limit of 16 MiB (--max-memory)\n";
	struct mmusim_cmd_result r;

	/* Each scenario starts with fresh memory: only b's second passes. */
	run_stdin("walk", walk_args, scenario, &r);
	cr_assert_eq(r.status, EXIT_USAGE);
	cr_assert_str_eq(r.err, expected);
	mmusim_cmd_result_free(&r);

	run_stdin("run", run_args, scenario, &r);
	cr_assert_eq(r.status, EXIT_USAGE);
	cr_assert_str_eq(r.err, expected);
	mmusim_cmd_result_free(&r);
}

/*
 * Under an MMU every data page the trace touches is backed: 3000 pages
 * do not fit in 4 MiB, and the line that passes the limit is named.
 */
Test(memory_limit, an_mmu_run_past_the_limit_stops_at_the_trace_line)
{
	static const char *const mmus[] = { "--mmu=tdp", "--mmu=shadow" };
	char *trace = malloc(3000 * 32), *p = trace;
	struct mmusim_cmd_result r;
	unsigned int i;

	cr_assert_not_null(trace);
	for (i = 0; i < 3000; i++)
		p += sprintf(p, " L %08x,8\n", 0x10000000 + i * 4096);
	for (i = 0; i < ARRAY_SIZE(mmus); i++) {
		const char *const args[] = { "--max-memory=4M", mmus[i], "-",
					     NULL };
		unsigned long line;
		int end = 0;

		run_stdin("run", args, trace, &r);
		cr_assert_eq(r.status, EXIT_USAGE, "%s: %s", mmus[i], r.err);
		cr_assert_eq(sscanf(r.err,
				    "mmusim: <stdin>:%lu: over the host memory "
				    "limit "
				    "of 4 MiB (--max-memory)\n%n",
				    &line, &end),
			     1, "%s: %s", mmus[i], r.err);
		cr_assert_eq((size_t)end, strlen(r.err), "%s", r.err);
		cr_assert(line > 1 && line < 3000, "%s: line %lu", mmus[i],
			  line);
		mmusim_cmd_result_free(&r);
	}
	free(trace);
}

Test(memory_limit, bad_sizes_are_usage_errors)
{
	static const char *const bad[] = { "--max-memory=0", "--max-memory=1K",
					   "--max-memory=4X",
					   "--max-memory=-1G" };
	struct mmusim_cmd_result r;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *const args[] = { bad[i], NULL };

		run_stdin("walk", args, "", &r);
		cr_assert_eq(r.status, EXIT_USAGE, "%s", bad[i]);
		cr_assert_not_null(strstr(r.err, "--max-memory="), "%s", r.err);
		mmusim_cmd_result_free(&r);
	}
}
