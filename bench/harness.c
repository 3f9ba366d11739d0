/* Timing, the result table and CSV, machine and commit, profiling. */
#include <fnmatch.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mmusim/version.h>

#include "bench/harness.h"

#ifdef MMUSIM_HAVE_PROFILER
#include <gperftools/profiler.h>
#endif

#ifdef NDEBUG
#define BENCH_BUILD "release (NDEBUG)"
#else
#define BENCH_BUILD "checked (MMU_WARN_ON armed: not for figures)"
#endif

#ifdef MMUSIM_BENCH_TCMALLOC
#define BENCH_MALLOC "tcmalloc_minimal"
#else
#define BENCH_MALLOC "libc"
#endif

/* A calibrated batch lasts about min_time / BENCH_BATCHES_PER_RUN. */
#define BENCH_BATCHES_PER_RUN 20
#define BENCH_MAX_BATCH (1ULL << 40)
#define BENCH_MAX_CANDIDATES 64
#define CPU_MODEL_LEN 160

/* Every run()'s result lands here, so that no run can be elided. */
static volatile u64 bench_sink;
/* Read by the profiler's signal handler: sample only while measuring. */
static volatile sig_atomic_t bench_measuring;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

bool bench_filter_match(const char *filter, const char *name)
{
	char pattern[128];
	const char *p = filter;

	if (!filter)
		return true;
	while (*p) {
		size_t len = strcspn(p, ",");

		if (len && len < sizeof(pattern)) {
			memcpy(pattern, p, len);
			pattern[len] = '\0';
			if (!fnmatch(pattern, name, 0))
				return true;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

/* The value of "@key : value" in @line, or NULL. */
static char *cpuinfo_value(char *line, const char *key)
{
	size_t len = strlen(key);
	char *v;

	if (strncmp(line, key, len) || (line[len] != ' ' && line[len] != '\t'))
		return NULL;
	v = strchr(line, ':');
	if (!v)
		return NULL;
	v += 1 + strspn(v + 1, " \t");
	v[strcspn(v, "\n")] = '\0';
	return v;
}

/*
 * The first CPU of /proc/cpuinfo: "model name (family F model M stepping
 * S, N MHz)", since a virtual machine's model name can be as bare as "AMD
 * EPYC".
 */
static void cpu_model(char *buf, size_t size)
{
	char line[256], name[64] = "unknown", family[16] = "?", model[16] = "?";
	char stepping[16] = "?", mhz[16] = "?";
	FILE *f = fopen("/proc/cpuinfo", "r");
	char *v;

	while (f && fgets(line, sizeof(line), f)) {
		if (line[0] == '\n')
			break; /* the end of the first CPU */
		if ((v = cpuinfo_value(line, "model name")))
			snprintf(name, sizeof(name), "%s", v);
		else if ((v = cpuinfo_value(line, "cpu family")))
			snprintf(family, sizeof(family), "%s", v);
		else if ((v = cpuinfo_value(line, "model")))
			snprintf(model, sizeof(model), "%s", v);
		else if ((v = cpuinfo_value(line, "stepping")))
			snprintf(stepping, sizeof(stepping), "%s", v);
		else if ((v = cpuinfo_value(line, "cpu MHz")))
			snprintf(mhz, sizeof(mhz), "%.0f", atof(v));
	}
	if (f)
		fclose(f);
	snprintf(buf, size, "%s (family %s model %s stepping %s, %s MHz)", name,
		 family, model, stepping, mhz);
}

static long nr_cores(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN);
}

/* The 1-minute load average: other work on the machine skews figures. */
static double load_average(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double load = -1;

	if (!f)
		return load;
	if (fscanf(f, "%lf", &load) != 1)
		load = -1;
	fclose(f);
	return load;
}

void bench_print_machine(const struct bench_params *p)
{
	char cpu[CPU_MODEL_LEN];

	cpu_model(cpu, sizeof(cpu));
	if (p->csv) {
		printf("suite,candidate,unit,ns_per_op,ops_per_s,ops,reference,"
		       "speedup_vs_reference,extra_name,extra,cpu,cores,loadavg,"
		       "commit,build,malloc\n");
		return;
	}
	printf("machine: %s, %ld cores, load average %.2f\n", cpu, nr_cores(),
	       load_average());
	printf("commit %s, gcc %s, %s, malloc %s\n", mmusim_commit(),
	       __VERSION__, BENCH_BUILD, BENCH_MALLOC);
	if (p->fixed)
		printf("fixed mode: %llu operations per candidate, untimed\n",
		       (unsigned long long)p->iterations);
	else
		printf("best of %u runs of >= %.3f s each\n", p->runs,
		       p->min_time_s);
}

/* Time one batch of @n operations. */
static double time_batch(const struct bench_candidate *c, void *state, u64 n)
{
	double t0, t;
	u64 r;

	bench_measuring = 1;
	t0 = now_s();
	r = c->run(state, n);
	t = now_s() - t0;
	bench_measuring = 0;
	bench_sink ^= r;
	return t;
}

/*
 * Double the batch until it lasts min_time / BENCH_BATCHES_PER_RUN: the
 * warm-up, and a batch long enough for the clock not to matter.
 */
static u64 calibrate(const struct bench_candidate *c, void *state,
		     double min_time)
{
	double target = min_time / BENCH_BATCHES_PER_RUN;
	u64 n = 1;

	while (n < BENCH_MAX_BATCH && time_batch(c, state, n) < target)
		n *= 2;
	return n;
}

/* One measurement: batches of @n until @min_time has passed. */
static double measure(const struct bench_candidate *c, void *state, u64 n,
		      double min_time, u64 *ops)
{
	double t = 0;

	*ops = 0;
	do {
		t += time_batch(c, state, n);
		*ops += n;
	} while (t < min_time);
	return t;
}

/*
 * Measure candidates that share one state (the same setup() and arg) in
 * turns: run 1 of each, then run 2 of each..., so that a burst of other
 * work on the machine hits them alike and the ratios of a run hold.
 */
static void run_group(const struct bench_candidate *const *cs, size_t nr,
		      const struct bench_params *p, struct bench_outcome *out)
{
	u64 batch[BENCH_MAX_CANDIDATES] = { 0 };
	unsigned int run;
	void *state;
	size_t j;

	MMU_WARN_ON(nr > BENCH_MAX_CANDIDATES);
	state = cs[0]->setup(cs[0]->arg);
	if (!state)
		return;

	for (j = 0; j < nr; j++) {
		struct bench_result *res = &out[j].internal_never_use_directly;

		if (p->fixed) {
			if (p->iterations)
				time_batch(cs[j], state, p->iterations);
			res->ops = p->iterations;
		} else {
			batch[j] = calibrate(cs[j], state, p->min_time_s);
		}
	}
	for (run = 0; !p->fixed && run < p->runs; run++) {
		for (j = 0; j < nr; j++) {
			struct bench_result *res =
				&out[j].internal_never_use_directly;
			u64 ops;
			double t = measure(cs[j], state, batch[j],
					   p->min_time_s, &ops);
			double ns = t * 1e9 / ops;

			if (!run || ns < res->ns_per_op) {
				res->ns_per_op = ns;
				res->ops_per_s = 1e9 / ns;
				res->ops = ops;
			}
		}
	}
	for (j = 0; j < nr; j++) {
		if (cs[j]->extra)
			out[j].internal_never_use_directly.extra =
				cs[j]->extra(state);
		out[j].ok = true;
	}
	cs[0]->teardown(state);
}

struct bench_outcome bench_run_candidate(const struct bench_candidate *c,
					 const struct bench_params *p)
{
	struct bench_outcome o = { 0 };

	run_group(&c, 1, p, &o);
	return o;
}

static const char *si(double v, char *buf, size_t size)
{
	static const char *const suffix[] = { "", "k", "M", "G", "T" };
	unsigned int i = 0;

	while (v >= 1000 && i + 1 < ARRAY_SIZE(suffix)) {
		v /= 1000;
		i++;
	}
	snprintf(buf, size, "%.3g%s", v, suffix[i]);
	return buf;
}

static int find_candidate(const struct bench_suite *s, const char *name)
{
	size_t i;

	for (i = 0; name && i < s->nr_candidates; i++)
		if (!strcmp(s->candidates[i].name, name))
			return (int)i;
	return -1;
}

/* reference ns / candidate ns, or 0 when the reference did not run. */
static double speedup(const struct bench_suite *s,
		      const struct bench_outcome *out, size_t i)
{
	int ref = find_candidate(s, s->candidates[i].reference);

	if (ref < 0 || !out[ref].ok || !out[i].ok)
		return 0;
	return out[ref].internal_never_use_directly.ns_per_op /
	       out[i].internal_never_use_directly.ns_per_op;
}

static void print_csv_row(const struct bench_suite *s,
			  const struct bench_outcome *out, size_t i,
			  const char *cpu)
{
	const struct bench_candidate *c = &s->candidates[i];
	struct bench_result r = bench_outcome_result(&out[i]);
	double x = speedup(s, out, i);

	printf("%s,%s,%s,%.4f,%.1f,%llu,%s,", s->name, c->name, c->unit,
	       r.ns_per_op, r.ops_per_s, (unsigned long long)r.ops,
	       c->reference ? c->reference : "");
	if (x > 0)
		printf("%.3f", x);
	printf(",%s,", c->extra ? s->extra_name : "");
	if (c->extra)
		printf("%.2f", r.extra);
	printf(",\"%s\",%ld,%.2f,%s,%s,%s\n", cpu, nr_cores(), load_average(),
	       mmusim_commit(), BENCH_BUILD, BENCH_MALLOC);
}

static void print_table(const struct bench_suite *s,
			const struct bench_outcome *out)
{
	size_t i;

	printf("\n%s: %s\n", s->name, s->question);
	printf("%-22s %10s %9s  %-22s %8s", "candidate", "ns/op", "ops/s",
	       "reference", "speedup");
	if (s->extra_name)
		printf(" %9s", s->extra_name);
	printf("\n");
	for (i = 0; i < s->nr_candidates; i++) {
		const struct bench_candidate *c = &s->candidates[i];
		struct bench_result r;
		char rate[16], x[16] = "";

		if (!out[i].ok)
			continue;
		r = bench_outcome_result(&out[i]);
		if (speedup(s, out, i) > 0)
			snprintf(x, sizeof(x), "%.2fx", speedup(s, out, i));
		printf("%-22s %10.3f %9s  %-22s %8s", c->name, r.ns_per_op,
		       si(r.ops_per_s, rate, sizeof(rate)),
		       c->reference ? c->reference : "-", x);
		if (c->extra)
			printf(" %9.1f", r.extra);
		printf("\n");
	}
	/* The project's figure against its reference, spelled out. */
	for (i = 0; i < s->nr_candidates; i++) {
		const struct bench_candidate *c = &s->candidates[i];
		int ref = find_candidate(s, c->reference);
		double x = speedup(s, out, i);

		if (x <= 0)
			continue;
		printf("  %s vs %s: %.2fx %s (%.3f vs %.3f ns/%s)\n", c->name,
		       c->reference, x >= 1 ? x : 1 / x,
		       x >= 1 ? "faster" : "slower",
		       out[i].internal_never_use_directly.ns_per_op,
		       out[ref].internal_never_use_directly.ns_per_op, c->unit);
	}
}

static void print_fixed(const struct bench_suite *s,
			const struct bench_outcome *out)
{
	size_t i;

	for (i = 0; i < s->nr_candidates; i++)
		if (out[i].ok)
			printf("%s %s: %llu %ss\n", s->name,
			       s->candidates[i].name,
			       (unsigned long long)out[i]
				       .internal_never_use_directly.ops,
			       s->candidates[i].unit);
}

unsigned int bench_run_suite(const struct bench_suite *s,
			     const struct bench_params *p)
{
	struct bench_outcome out[BENCH_MAX_CANDIDATES] = { 0 };
	const struct bench_candidate *group[BENCH_MAX_CANDIDATES];
	struct bench_outcome group_out[BENCH_MAX_CANDIDATES];
	bool done[BENCH_MAX_CANDIDATES] = { false };
	size_t index[BENCH_MAX_CANDIDATES];
	unsigned int failed = 0;
	char cpu[CPU_MODEL_LEN];
	size_t i, j, nr;

	MMU_WARN_ON(s->nr_candidates > BENCH_MAX_CANDIDATES);
	for (i = 0; i < s->nr_candidates; i++) {
		const struct bench_candidate *c = &s->candidates[i];

		if (done[i] || !bench_filter_match(p->filter, c->name))
			continue;
		/* Every selected candidate with the same state as @c. */
		for (nr = 0, j = i; j < s->nr_candidates; j++) {
			const struct bench_candidate *o = &s->candidates[j];

			if (done[j] || o->setup != c->setup ||
			    o->arg != c->arg ||
			    !bench_filter_match(p->filter, o->name))
				continue;
			done[j] = true;
			index[nr] = j;
			group[nr++] = o;
			if (p->progress)
				fprintf(stderr, "mmusim-bench: %s %s...\n",
					s->name, o->name);
		}
		memset(group_out, 0, sizeof(group_out));
		run_group(group, nr, p, group_out);
		for (j = 0; j < nr; j++) {
			out[index[j]] = group_out[j];
			if (bench_outcome_ok(&group_out[j]))
				continue;
			fprintf(stderr, "mmusim-bench: %s %s: setup failed\n",
				s->name, group[j]->name);
			failed++;
		}
	}

	if (p->fixed) {
		print_fixed(s, out);
	} else if (p->csv) {
		cpu_model(cpu, sizeof(cpu));
		for (i = 0; i < s->nr_candidates; i++)
			if (out[i].ok)
				print_csv_row(s, out, i, cpu);
	} else {
		print_table(s, out);
	}
	fflush(stdout);
	return failed;
}

#ifdef MMUSIM_HAVE_PROFILER
static int profile_filter(void *arg)
{
	(void)arg;
	return bench_measuring;
}

bool bench_profiler_available(void)
{
	return true;
}

bool bench_profile_start(const char *file)
{
	struct ProfilerOptions opts = {
		.filter_in_thread = profile_filter,
	};

	if (!ProfilerStartWithOptions(file, &opts)) {
		fprintf(stderr, "mmusim-bench: --profile=%s: cannot start\n",
			file);
		return false;
	}
	return true;
}

void bench_profile_stop(void)
{
	ProfilerStop();
}
#else
bool bench_profiler_available(void)
{
	return false;
}

bool bench_profile_start(const char *file)
{
	fprintf(stderr,
		"mmusim-bench: --profile=%s: unavailable, libprofiler "
		"(gperftools) was not found when this binary was configured\n",
		file);
	return false;
}

void bench_profile_stop(void)
{
}
#endif

/* RssAnon of /proc/self/status, in KiB, or -1. */
long bench_anon_rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "RssAnon: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}
