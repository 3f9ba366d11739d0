/* mmusim-bench: the command line of the benchmarks. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <mmusim/version.h>

#include "bench/harness.h"

#define BENCH_EXIT_USAGE 2

/* The suites that harness.h does not declare. */
extern const struct bench_suite fault_suite;
extern const struct bench_suite replay_suite;

static const struct bench_suite *const suites[] = {
	&perm_suite, &spte_suite, &walk_suite, &fault_suite, &replay_suite,
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: mmusim-bench [OPTIONS] BENCH...\n\nBENCH:\n");
	for (i = 0; i < ARRAY_SIZE(suites); i++)
		fprintf(f, "  %-6s %s\n", suites[i]->name, suites[i]->question);
	fprintf(f, "  %-6s every benchmark above\n", "all");
	fprintf(f,
		"\nOptions:\n"
		"  --min-time=SECONDS  each measurement lasts at least this "
		"long (default: %.3f)\n"
		"  --runs=N            measurements per candidate, the best "
		"is reported (default: %u)\n"
		"  --filter=GLOBS      only candidates matching one of these "
		"comma-separated globs\n"
		"  --list              print the candidates' names and exit\n"
		"  --csv               CSV rows (with machine and commit) "
		"instead of the table\n"
		"  --fixed             run --iterations operations once, "
		"untimed (for callgrind)\n"
		"  --iterations=N      operations in --fixed mode; 0 runs "
		"setup only (default: %llu)\n"
		"  --profile=FILE      gperftools CPU profile of the timed "
		"runs (%s in this build)\n"
		"  --version           print the version and commit, and exit\n"
		"  --help              this text\n"
		"\nCompile-time defaults (-D...): BENCH_MIN_TIME_MS=%d "
		"BENCH_RUNS=%d\n"
		"  BENCH_FIXED_ITERATIONS=%llu BENCH_WALK_SPREAD_GIB=%d "
		"(walk: GiB of guest virtual\n"
		"  space mapped with 4K pages for the \"spread\" candidates)\n",
		BENCH_MIN_TIME_MS / 1000.0, BENCH_RUNS,
		(unsigned long long)BENCH_FIXED_ITERATIONS,
		bench_profiler_available() ? "available" : "unavailable",
		BENCH_MIN_TIME_MS, BENCH_RUNS,
		(unsigned long long)BENCH_FIXED_ITERATIONS,
		BENCH_WALK_SPREAD_GIB);
}

static int bad_option(const char *arg, const char *what)
{
	fprintf(stderr, "mmusim-bench: %s: %s\n", arg, what);
	return BENCH_EXIT_USAGE;
}

/* The value of "--name=VALUE" when @arg is that option, else NULL. */
static const char *option_value(const char *arg, const char *name)
{
	size_t len = strlen(name);

	if (strncmp(arg, name, len) || arg[len] != '=')
		return NULL;
	return arg + len + 1;
}

static bool parse_u64(const char *s, u64 *v)
{
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && !*end;
}

static bool parse_seconds(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return *s && !errno && !*end && *v > 0 && *v <= 60;
}

static const struct bench_suite *find_suite(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(suites); i++)
		if (!strcmp(suites[i]->name, name))
			return suites[i];
	return NULL;
}

static void list_candidates(const bool *selected, const struct bench_params *p)
{
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(suites); i++) {
		if (!selected[i])
			continue;
		for (j = 0; j < suites[i]->nr_candidates; j++) {
			const char *name = suites[i]->candidates[j].name;

			if (bench_filter_match(p->filter, name))
				printf("%s %s\n", suites[i]->name, name);
		}
	}
}

int main(int argc, char **argv)
{
	struct bench_params p = {
		.min_time_s = BENCH_MIN_TIME_MS / 1000.0,
		.runs = BENCH_RUNS,
		.iterations = BENCH_FIXED_ITERATIONS,
	};
	bool selected[ARRAY_SIZE(suites)] = { false };
	const char *iterations_arg = NULL;
	const char *profile = NULL;
	unsigned int failed = 0;
	bool any = false, list = false;
	size_t i;
	int a;

	for (a = 1; a < argc; a++) {
		const char *arg = argv[a];
		const char *v;
		u64 n;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(arg, "--version")) {
			printf("mmusim-bench %s (commit %s)\n",
			       mmusim_version(), mmusim_commit());
			return 0;
		} else if (!strcmp(arg, "--csv")) {
			p.csv = true;
		} else if (!strcmp(arg, "--fixed")) {
			p.fixed = true;
		} else if (!strcmp(arg, "--list")) {
			list = true;
		} else if ((v = option_value(arg, "--min-time"))) {
			if (!parse_seconds(v, &p.min_time_s))
				return bad_option(arg,
						  "want seconds in (0, 60]");
		} else if ((v = option_value(arg, "--runs"))) {
			if (!parse_u64(v, &n) || !n || n > 1000)
				return bad_option(arg, "want 1 to 1000 runs");
			p.runs = (unsigned int)n;
		} else if ((v = option_value(arg, "--iterations"))) {
			if (!parse_u64(v, &n))
				return bad_option(arg,
						  "want a non-negative count");
			p.iterations = n;
			iterations_arg = arg;
		} else if ((v = option_value(arg, "--filter"))) {
			if (!*v)
				return bad_option(arg, "empty filter");
			p.filter = v;
		} else if ((v = option_value(arg, "--profile"))) {
			if (!*v)
				return bad_option(arg, "want a file name");
			if (!bench_profiler_available())
				return bad_option(
					arg, "unavailable: this build has no "
					     "gperftools libprofiler");
			profile = v;
		} else if (arg[0] == '-') {
			return bad_option(arg, "unknown option (see --help)");
		} else if (!strcmp(arg, "all")) {
			for (i = 0; i < ARRAY_SIZE(suites); i++)
				selected[i] = true;
			any = true;
		} else {
			const struct bench_suite *s = find_suite(arg);

			if (!s)
				return bad_option(
					arg,
					"unknown benchmark (perm, spte, walk, fault, "
					"replay, all)");
			for (i = 0; i < ARRAY_SIZE(suites); i++)
				if (suites[i] == s)
					selected[i] = true;
			any = true;
		}
	}
	if (!any) {
		fprintf(stderr, "mmusim-bench: no BENCH given (perm, spte, "
				"walk, fault, replay, all; see --help)\n");
		return BENCH_EXIT_USAGE;
	}
	if (iterations_arg && !p.fixed)
		return bad_option(iterations_arg, "only with --fixed");
	if (list) {
		list_candidates(selected, &p);
		return 0;
	}
	p.progress = isatty(STDERR_FILENO);

	if (profile && !bench_profile_start(profile))
		return BENCH_EXIT_USAGE;
	bench_print_machine(&p);
	for (i = 0; i < ARRAY_SIZE(suites); i++)
		if (selected[i])
			failed += bench_run_suite(suites[i], &p);
	if (profile) {
		bench_profile_stop();
		fprintf(stderr, "mmusim-bench: profile written to %s\n",
			profile);
	}
	return failed ? 1 : 0;
}
