/*
 * The benchmark harness: a table of candidates per question, each run the
 * same way, with CSV output that records the machine and the commit.
 * Modelled on xxHash's tests/bench (benchfn.h, hashes.h).
 */
#ifndef MMUSIM_BENCH_HARNESS_H
#define MMUSIM_BENCH_HARNESS_H

#include <stddef.h>

#include "walker/types.h"

/* Every default can be overridden at compile time; --help prints them. */
#ifndef BENCH_MIN_TIME_MS
#define BENCH_MIN_TIME_MS 200
#endif
#ifndef BENCH_RUNS
#define BENCH_RUNS 5
#endif
#ifndef BENCH_FIXED_ITERATIONS
#define BENCH_FIXED_ITERATIONS 1000000
#endif
/* walk: GiB of guest virtual space mapped with 4K pages ("spread"). */
#ifndef BENCH_WALK_SPREAD_GIB
#define BENCH_WALK_SPREAD_GIB 64
#endif

/*
 * Keep @x alive and opaque to the optimizer: the computation that produced
 * it must happen, and nothing computed from it can be hoisted.
 */
#define bench_barrier(x) __asm__ volatile("" : "+r"(x))
/* Memory may have changed: reload everything after this point. */
#define bench_clobber() __asm__ volatile("" : : : "memory")

/* splitmix64: the inputs of every benchmark, reproducible from a seed. */
static inline u64 bench_rand64(u64 *state)
{
	u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * How every candidate of a run is measured.  A structure is preferable for
 * readability: main.c fills it from the command line.
 */
struct bench_params {
	/* Each measurement runs batches until it lasts at least this long. */
	double min_time_s;
	/* Measurements per candidate; the best (lowest ns/op) is reported. */
	unsigned int runs;
	/*
	 * Fixed mode, for instruction counters (callgrind): run exactly
	 * @iterations operations once, untimed; 0 runs setup and teardown
	 * only, the baseline to subtract.
	 */
	bool fixed;
	u64 iterations;
	/* Comma-separated globs; only matching candidates run.  NULL: all. */
	const char *filter;
	/* CSV rows instead of the human table. */
	bool csv;
	/* Progress lines on stderr while candidates are set up and run. */
	bool progress;
};

/*
 * One way of doing the operation a suite measures.  Candidates of a suite
 * with the same setup() and arg share one state (and must share
 * teardown()): it is built once, and their measurements take turns.
 */
struct bench_candidate {
	/* Unique within its suite, no spaces; --filter matches it. */
	const char *name;
	/* One operation: "update", "lookup", "check", "walk". */
	const char *unit;
	/* Name of the candidate this one is compared with, or NULL. */
	const char *reference;
	/* Handed to setup(). */
	const void *arg;
	/*
	 * Build the state run() works on, checking that it computes what it
	 * should; NULL after a message on stderr when it cannot.
	 */
	void *(*setup)(const void *arg);
	/* Perform @n operations; the result must depend on every one. */
	u64 (*run)(void *state, u64 n);
	/* Optional: a per-operation figure, e.g. memory references a walk. */
	double (*extra)(const void *state);
	void (*teardown)(void *state);
};

/* One question: its candidates, all measured in the same run. */
struct bench_suite {
	const char *name;
	const char *question;
	/* Header of the extra column, or NULL when no candidate fills it. */
	const char *extra_name;
	const struct bench_candidate *candidates;
	size_t nr_candidates;
};

extern const struct bench_suite perm_suite;
extern const struct bench_suite spte_suite;
extern const struct bench_suite walk_suite;

/* What a measurement found; read it through bench_outcome_result(). */
struct bench_result {
	double ns_per_op;
	double ops_per_s;
	/* Operations in the best measurement (or the fixed count). */
	u64 ops;
	/* extra() of the candidate, or 0. */
	double extra;
};

/*
 * The outcome of one candidate: opaque by convention, as xxHash's
 * BMK_runOutcome_t.  A candidate whose setup failed has no result.
 */
struct bench_outcome {
	struct bench_result internal_never_use_directly;
	bool ok;
};

static inline bool bench_outcome_ok(const struct bench_outcome *o)
{
	return o->ok;
}

static inline struct bench_result
bench_outcome_result(const struct bench_outcome *o)
{
	MMU_WARN_ON(!o->ok);
	return o->internal_never_use_directly;
}

/* Set up, measure (or run a fixed count) and tear down one candidate. */
struct bench_outcome bench_run_candidate(const struct bench_candidate *c,
					 const struct bench_params *p);

/*
 * Run the candidates of @s that pass the filter, those sharing a state
 * together, and print them: a table with each candidate's ratio to its
 * reference, or CSV rows.  Returns the number of candidates that failed.
 */
unsigned int bench_run_suite(const struct bench_suite *s,
			     const struct bench_params *p);

/* Does @name pass the comma-separated globs of @filter (NULL: yes)? */
bool bench_filter_match(const char *filter, const char *name);

/* The machine and build, printed once before the first suite. */
void bench_print_machine(const struct bench_params *p);
/* RssAnon of /proc/self/status, in KiB, or -1. */
long bench_anon_rss_kib(void);

/*
 * gperftools CPU profile of the timed (or fixed) runs only: setup and
 * teardown are left out.  bench_profile_start() returns false (after a
 * message) when it cannot start; bench_profiler_available() is false when
 * the binary was built without libprofiler.
 */
bool bench_profiler_available(void);
bool bench_profile_start(const char *file);
void bench_profile_stop(void);

#endif
