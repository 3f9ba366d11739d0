/* mmusim run: replay walk and access traces offline (docs/mmusim-run.md). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/cache_model.h"
#include "sim/caches_config.h"
#include "sim/cmd_options.h"
#include "sim/input_error.h"
#include "sim/commands.h"
#include "sim/memory_limit.h"
#include "sim/run.h"
#include "sim/run_cmd_internal.h"
#include "sim/run_profile.h"
#include "sim/run_sweep.h"
#include "sim/input/trace_reader.h"

/* Exit statuses besides 0 and EXIT_USAGE. */
#define EXIT_FINDINGS 1
#define EXIT_INTERRUPTED 130

static const struct option longopts[] = {
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "nested", required_argument, NULL, OPT_NESTED },
	{ "nested-levels", required_argument, NULL, OPT_NESTED_LEVELS },
	{ "mmu", required_argument, NULL, OPT_MMU },
	{ "page-size", required_argument, NULL, OPT_PAGE_SIZE },
	{ "nested-page-size", required_argument, NULL, OPT_NESTED_PAGE_SIZE },
	{ "tlb", required_argument, NULL, OPT_TLB },
	{ "psc", required_argument, NULL, OPT_PSC },
	{ "ntlb", required_argument, NULL, OPT_NTLB },
	{ "set", required_argument, NULL, OPT_SET },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "preset", required_argument, NULL, OPT_PRESET },
	{ "sweep", required_argument, NULL, OPT_SWEEP },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "accesses", required_argument, NULL, OPT_ACCESSES },
	{ "max-table-pages", required_argument, NULL, OPT_MAX_TABLE_PAGES },
	{ "max-memory", required_argument, NULL, OPT_MAX_MEMORY },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "keep-going", no_argument, NULL, OPT_KEEP_GOING },
	{ "walks", no_argument, NULL, OPT_WALKS },
	{ "cr0", required_argument, NULL, OPT_CR0 },
	{ "cr4", required_argument, NULL, OPT_CR4 },
	{ "efer", required_argument, NULL, OPT_EFER },
	{ "maxphyaddr", required_argument, NULL, OPT_MAXPHYADDR },
	{ "vendor", required_argument, NULL, OPT_VENDOR },
	{ "gbpages", required_argument, NULL, OPT_GBPAGES },
	{ "no-timing", no_argument, NULL, OPT_NO_TIMING },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "vcpus", required_argument, NULL, OPT_VCPUS },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static void run_usage(FILE *out)
{
	unsigned int i;

	fprintf(out,
		"usage: mmusim run [options] [TRACE...|-]\n"
		"Replay traces through a vCPU with a TLB, a paging-structure cache and a\n"
		"nested TLB, and print a summary.  '-' or no TRACE with a pipe or file on\n"
		"standard input reads it; no TRACE otherwise runs the built-in workload.\n"
		"Traces may be compressed (gzip, zstd, xz).\n"
		"\n"
		"input:\n"
		"  --format=F            auto (default: told from the first lines) or\n");
	for (i = 0; i < run_nr_inputs; i++)
		fprintf(out, "    %-8s            %s\n", run_inputs[i]->name,
			run_inputs[i]->description);
	fprintf(out,
		"  --keep-going          skip bad lines, count them (exit status 1)\n"
		"guest (lackey, built-in workload; --mode also for kvmmmu):\n"
		"  --mode=M              2level, pae, 4level (default), 5level; kvmmmu:\n"
		"                        inferred from each walk, or ept for EPT walks\n"
		"  --nested=N            none (default), ept or npt\n"
		"  --nested-levels=L     4 (default) or 5\n"
		"  --page-size=P         4k (default), 2m, 1g or mixed: the leaves that\n"
		"                        demand paging builds\n"
		"  --nested-page-size=P  the same for the nested tables (default: --page-size)\n"
		"  --accesses=N          length of the built-in workload (default %d)\n"
		"  --seed=N              seed of the built-in workload and of mixed (default %d)\n"
		"  --vcpus=N             vCPUs of the built-in workload, 1 (default) to 256\n"
		"  --max-table-pages=N   table pages before demand paging starts over\n"
		"                        (default %d)\n"
		"  --max-memory=SIZE     host memory the guest, its tables and the MMU's\n"
		"                        may take, such as 512M or 4G (default: a quarter\n"
		"                        of RAM, %" PRIu64 " MiB)\n"
		"caches (0 disables; powers of two):\n"
		"  --tlb=N               TLB entries, 4-way (default %d)\n"
		"  --psc=N               paging-structure-cache entries a level (default %d)\n"
		"  --ntlb=N              nested TLB entries (default %d)\n"
		"  --preset=NAME         the caches of a CPU: default, skylake or zen\n"
		"  --config=FILE         KEY=VALUE lines (# comments) over the preset\n"
		"  --set=KEY=VALUE       one key (repeatable), after --config, --tlb,\n"
		"                        --psc and --ntlb; keys in docs/mmusim-run.md\n"
		"  --sweep=KEY=V1,V2,... run every value (repeatable: the cross product)\n"
		"                        over one read of the input\n"
		"  --set=caches.model=M  the cache model, %s (default) or another:\n",
		RUN_DEFAULT_BUILTIN_ACCESSES, RUN_DEFAULT_SEED,
		RUN_DEFAULT_MAX_TABLE_PAGES, sim_max_memory() >> 20,
		CACHES_DEFAULT_TLB_ENTRIES, CACHES_DEFAULT_PSC_ENTRIES,
		CACHES_DEFAULT_NTLB_ENTRIES, cache_model_at(0)->name);
	for (i = 0; cache_model_at(i); i++)
		fprintf(out, "    %-18s  %s\n", cache_model_at(i)->name,
			cache_model_at(i)->description);
	fprintf(out,
		"  --mmu=M               none (default), tdp or shadow: every TLB miss also\n"
		"                        goes through the MMU's own tables and must agree\n"
		"kvmmmu replay:\n"
		"  --walks               print a line for every walk, not only disagreements\n"
		"  --cr0=V --cr4=V --efer=V   registers instead of the mode's defaults\n"
		"  --maxphyaddr=N        physical-address width (default 52)\n"
		"  --vendor=V            intel (default) or amd\n"
		"  --gbpages=on|off      1G pages in CPUID (default on)\n"
		"output:\n"
		"  --json                the summary as JSON (keys in docs/mmusim-run.md)\n"
		"  --csv                 a header and one row per configuration\n"
		"  --no-timing           report 0 seconds, for output that compares equal\n"
		"  --profile=FILE        gperftools CPU profile of the run (google-pprof)\n"
		"\n"
		"Exit status: 0; 1 when walks disagreed or lines were skipped; 2 for bad\n"
		"usage or input (FILE:LINE: message); 130 when interrupted (the summary\n"
		"so far is printed).  Formats: docs/trace-formats.md.\n");
}

static void on_sigint(int sig)
{
	(void)sig;
	run_stop = 1;
}

static void catch_sigint(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a read waiting for input returns EINTR. */
	sigaction(SIGINT, &sa, NULL);
}

/*
 * With no TRACE, standard input is the trace when something is piped or
 * redirected into it: a pipe, a socket or a file that is not empty.  A
 * terminal, /dev/null or an empty file leave the built-in workload.
 */
static bool stdin_has_input(void)
{
	struct stat st;

	if (isatty(STDIN_FILENO) || fstat(STDIN_FILENO, &st))
		return false;
	return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ||
	       (S_ISREG(st.st_mode) && st.st_size > 0);
}

static const char *const stdin_files[] = { "-" };

static int run_file(struct run_sim *s, struct run_args *a, const char *path,
		    bool *first)
{
	const struct run_input_ops *input = a->cfg.input;
	struct run_sim *t;
	struct trace_reader r;
	char why[80];
	int ret;

	if (trace_reader_open(&r, path)) {
		fprintf(stderr, "mmusim run: %s\n", r.error);
		trace_reader_close(&r);
		return -ENOENT;
	}
	ret = input ? 0 : run_input_detect_reader(&r, &input);
	if (ret) {
		if (ret != -EINTR)
			input_error_print(stderr, r.error);
		trace_reader_close(&r);
		return ret;
	}
	if (*first) {
		*first = false;
		for (t = s; t; t = t->sweep_next)
			t->cfg.input = input;
		if (run_cmd_check_options(a, input)) {
			trace_reader_close(&r);
			return -EINVAL;
		}
	} else if (input != s->cfg.input) {
		fprintf(stderr,
			"mmusim run: %s: %s input after %s input; run them separately\n",
			r.name, input->name, s->cfg.input->name);
		trace_reader_close(&r);
		return -EINVAL;
	}

	for (t = s; t; t = t->sweep_next)
		t->file = r.name;
	ret = input->run(s, &r);
	/* Worth a word: a pipe that gave nothing, or the wrong file. */
	if (!ret && !r.bytes) {
		run_progress_done(s);
		fprintf(stderr, INPUT_PROGRAM ": %s: warning: empty input\n",
			r.name);
	}
	if (ret && ret != -EINTR) {
		run_progress_done(s);
		if (sim_memory_error(s->vcpu.host, ret, why, sizeof(why)) ==
		    why)
			input_error(r.error, sizeof(r.error), r.name, r.line,
				    "%s", why);
		else if (!r.error[0] || !r.status)
			input_error(r.error, sizeof(r.error), r.name, 0, "%s",
				    s->error[0] ? s->error : strerror(-ret));
		input_error_print(stderr, r.error);
		/* What ran before the bad input is still worth its summary. */
		s->st.stopped = true;
	}
	trace_reader_close(&r);
	return ret;
}

/*
 * The simulations of the run: one, or one per configuration of the
 * sweep, chained by sweep_next behind sims[0].  NULL with a message.
 */
static struct run_sim **create_sims(struct run_args *a, unsigned int *n)
{
	unsigned int i, nr = run_sweep_size(a->caches.sweep);
	struct run_sim **sims = calloc(nr, sizeof(*sims));
	struct run_config cfg;
	char why[640];

	if (!sims) {
		run_cmd_usage_error("out of memory");
		return NULL;
	}
	for (i = 0; i < nr; i++) {
		cfg = a->cfg;
		if (run_sweep_config(a->caches.sweep, i, &cfg.caches, why,
				     sizeof(why))) {
			run_cmd_usage_error("%s", why);
			break;
		}
		sims[i] = malloc(sizeof(*sims[i]));
		if (!sims[i] || run_sim_init(sims[i], &cfg)) {
			free(sims[i]);
			run_cmd_usage_error(
				"cannot set up the simulation: out of memory");
			break;
		}
		if (i)
			sims[i - 1]->sweep_next = sims[i];
	}
	if (i < nr) {
		while (i--) {
			run_sim_destroy(sims[i]);
			free(sims[i]);
		}
		free(sims);
		return NULL;
	}
	*n = nr;
	return sims;
}

static void destroy_sims(struct run_sim **sims, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		run_sim_destroy(sims[i]);
		free(sims[i]);
	}
	free(sims);
}

/* The reports: one, or one per configuration (a JSON array). */
static void report(struct run_args *a, struct run_sim **sims, unsigned int n,
		   const char *const *files, int nr_files)
{
	char label[512];
	unsigned int i;

	if (a->csv) {
		run_report_csv(stdout, sims, n, files, nr_files);
		return;
	}
	if (n > 1 && a->cfg.json)
		printf("[\n");
	for (i = 0; i < n; i++) {
		if (n > 1 && !a->cfg.json) {
			run_sweep_label(a->caches.sweep, i, label,
					sizeof(label));
			printf("%sconfiguration %u of %u: %s\n", i ? "\n" : "",
			       i + 1, n, label);
		}
		if (a->cfg.json)
			run_report_json(stdout, sims[i], files, nr_files);
		else
			run_report_text(stdout, sims[i], files, nr_files);
		if (n > 1 && a->cfg.json && i + 1 < n)
			printf(",\n");
	}
	if (n > 1 && a->cfg.json)
		printf("]\n");
}

static int run_command_sets(int argc, char **argv, const char **sets,
			    const char **sweeps, struct run_sweep *sweep)
{
	struct run_sim **sims, *t;
	unsigned int nr_sims = 0;
	struct run_args a;
	const char *const *files;
	char why[160];
	bool first = true;
	struct run_sim *s;
	int nr_files, c, i, ret = 0, status;

	memset(&a, 0, sizeof(a));
	run_config_init(&a.cfg);
	a.caches.sets = sets;
	a.caches.sweeps = sweeps;
	a.caches.sweep = sweep;
	a.cfg.mmu = run_mmu_find("none", why, sizeof(why));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, CMD_OPTSTRING, longopts, NULL)) !=
	       -1) {
		if (c == 'h' || c == OPT_HELP) {
			run_usage(stdout);
			return 0;
		}
		if (c < OPT_FORMAT || c >= OPT_END) {
			cmd_option_error("mmusim run", argc, argv, longopts, c);
			return EXIT_USAGE;
		}
		if (c != OPT_SET && c != OPT_SWEEP &&
		    !cmd_option_once("mmusim run", longopts, a.values, c,
				     optarg))
			return EXIT_USAGE;
		a.given[c] = true;
		if (run_cmd_parse_option(&a, c, optarg))
			return EXIT_USAGE;
	}
	if (run_cmd_apply_cache_options(&a) || run_cmd_check_config(&a.cfg))
		return EXIT_USAGE;
	if (!a.nested_page_size_given)
		a.cfg.nested_page_size = a.cfg.page_size;
	files = (const char *const *)argv + optind;
	nr_files = argc - optind;
	if (!nr_files && stdin_has_input()) {
		files = stdin_files;
		nr_files = 1;
	}

	catch_sigint();
	if (!nr_files) {
		if (a.cfg.input)
			return run_cmd_usage_error(
				"--format=%s needs a TRACE (without one, the built-in workload runs)",
				a.cfg.input->name);
		a.cfg.input = &run_builtin_input;
		if (run_cmd_check_options(&a, &run_builtin_input))
			return EXIT_USAGE;
	}
	sims = create_sims(&a, &nr_sims);
	if (!sims)
		return EXIT_USAGE;
	s = sims[0];
	s->progress = isatty(STDERR_FILENO);
	if (a.profile && run_profile_start(a.profile, why, sizeof(why))) {
		destroy_sims(sims, nr_sims);
		return run_cmd_usage_error("%s", why);
	}

	/* No trace to read once: each configuration runs the workload. */
	for (t = s; !nr_files && t && !ret; t = t->sweep_next) {
		ret = run_builtin(t);
		if (ret && ret != -EINTR) {
			const char *what = sim_memory_error(t->vcpu.host, ret,
							    why, sizeof(why));

			run_progress_done(s);
			fprintf(stderr, "mmusim run: built-in workload: %s\n",
				what != why && t->error[0] ? t->error : what);
		}
	}
	for (i = 0; i < nr_files && !ret; i++)
		ret = run_file(s, &a, files[i], &first);
	if (a.profile)
		run_profile_stop();

	run_progress_done(s);
	if (ret == -EINTR || run_stop) {
		s->st.interrupted = true;
		fprintf(stderr, "mmusim run: interrupted\n");
	}
	if (ret && ret != -EINTR && !s->st.stopped) {
		status = EXIT_USAGE;
		goto out;
	}
	/* Interrupted before the first input's format was known. */
	if (!s->cfg.input) {
		status = EXIT_INTERRUPTED;
		goto out;
	}
	s->st.seconds = a.no_timing ? 0 : (run_now_ns() - s->start_ns) / 1e9;
	/* What the reading counted, once, is every configuration's. */
	for (t = s->sweep_next; t; t = t->sweep_next) {
		t->st.seconds = s->st.seconds;
		t->st.lines = s->st.lines;
		t->st.bad_lines = s->st.bad_lines;
		t->st.interrupted = s->st.interrupted;
		t->st.stopped = s->st.stopped;
	}
	report(&a, sims, nr_sims, files, nr_files);
	if (s->st.stopped)
		status = EXIT_USAGE;
	else if (s->st.interrupted)
		status = EXIT_INTERRUPTED;
	else if (s->st.bad_lines || s->st.kvmmmu.disagree ||
		 s->st.kvmmmu.spte_disagree || s->st.kvmmmu.get_page_disagree ||
		 s->st.kvmmmu.zap_disagree || s->st.kvmmmu.tdp_disagree)
		status = EXIT_FINDINGS;
	else
		status = 0;
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "mmusim run: writing the output: %s\n",
			strerror(errno));
		status = EXIT_USAGE;
	}
out:
	destroy_sims(sims, nr_sims);
	return status;
}

int run_command(int argc, char **argv)
{
	/* Room for every --set and --sweep the command line can hold. */
	const char **sets = calloc(argc, sizeof(*sets));
	const char **sweeps = calloc(argc, sizeof(*sweeps));
	struct run_sweep *sweep = calloc(1, sizeof(*sweep));
	int status;

	if (!sets || !sweeps || !sweep)
		status = run_cmd_usage_error("out of memory");
	else
		status = run_command_sets(argc, argv, sets, sweeps, sweep);
	free(sets);
	free(sweeps);
	free(sweep);
	return status;
}
