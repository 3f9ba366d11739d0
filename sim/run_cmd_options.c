/*
 * mmusim run's option values: each parsed, checked against the input,
 * and the cache options applied in their order.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/caches_config.h"
#include "sim/commands.h"
#include "sim/memory_limit.h"
#include "sim/run_cmd_internal.h"
#include "sim/run_profile.h"

#define MAX_CACHE_ENTRIES CACHES_MAX_ENTRIES

int run_cmd_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mmusim run: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return EXIT_USAGE;
}

static int parse_u64_range(const char *opt, const char *s, u64 min, u64 max,
			   u64 *v)
{
	char *end;

	*v = 0;
	errno = 0;
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		goto bad;
	*v = strtoull(s, &end, 0);
	if (errno || *end || *v < min || *v > max)
		goto bad;
	return 0;
bad:
	return run_cmd_usage_error("--%s=%s: not a number from %" PRIu64
				   " to %" PRIu64,
				   opt, s, min, max);
}

static int parse_u64(const char *opt, const char *s, u64 max, u64 *v)
{
	return parse_u64_range(opt, s, 0, max, v);
}

static int parse_cache(const char *opt, const char *s, u32 *entries)
{
	u64 v;

	if (parse_u64(opt, s, MAX_CACHE_ENTRIES, &v))
		return EXIT_USAGE;
	if (v & (v - 1))
		return run_cmd_usage_error("--%s=%s: not 0 or a power of two",
					   opt, s);
	*entries = v;
	return 0;
}

static int parse_page_size(const char *opt, const char *s,
			   enum run_page_size *p)
{
	static const char *const names[] = { "4k", "2m", "1g", "mixed" };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(s, names[i])) {
			*p = i;
			return 0;
		}
	}
	return run_cmd_usage_error("--%s=%s: not 4k, 2m, 1g or mixed", opt, s);
}

static int parse_mode(const char *s, struct run_config *cfg)
{
	static const struct {
		const char *name;
		u8 level;
	} modes[] = {
		{ "2level", PT32_ROOT_LEVEL },
		{ "pae", PT32E_ROOT_LEVEL },
		{ "4level", PT64_ROOT_4LEVEL },
		{ "5level", PT64_ROOT_5LEVEL },
	};
	unsigned int i;

	if (!strcmp(s, "ept")) {
		cfg->mode_ept = true;
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		if (!strcmp(s, modes[i].name)) {
			cfg->mode_level = modes[i].level;
			return 0;
		}
	}
	return run_cmd_usage_error(
		"--mode=%s: not 2level, pae, 4level, 5level or ept", s);
}

int run_cmd_parse_option(struct run_args *a, int c, const char *arg)
{
	struct run_config *cfg = &a->cfg;
	char why[160];
	u64 v;

	switch (c) {
	case OPT_FORMAT:
		cfg->input = strcmp(arg, "auto") ? run_input_find(arg) : NULL;
		if (!cfg->input && strcmp(arg, "auto"))
			return run_cmd_usage_error(
				"--format=%s: not auto, %s", arg,
				run_input_names(why, sizeof(why), ", ",
						" or "));
		return 0;
	case OPT_MODE:
		return parse_mode(arg, cfg);
	case OPT_NESTED:
		if (!strcmp(arg, "none"))
			cfg->nested = SIM_NESTED_NONE;
		else if (!strcmp(arg, "ept"))
			cfg->nested = SIM_NESTED_EPT;
		else if (!strcmp(arg, "npt"))
			cfg->nested = SIM_NESTED_NPT;
		else
			return run_cmd_usage_error(
				"--nested=%s: not none, ept or npt", arg);
		return 0;
	case OPT_NESTED_LEVELS:
		if (strcmp(arg, "4") && strcmp(arg, "5"))
			return run_cmd_usage_error(
				"--nested-levels=%s: not 4 or 5", arg);
		cfg->nested_level = arg[0] - '0';
		return 0;
	case OPT_MMU:
		cfg->mmu = run_mmu_find(arg, why, sizeof(why));
		if (!cfg->mmu)
			return run_cmd_usage_error("%s", why);
		return 0;
	case OPT_PAGE_SIZE:
		return parse_page_size("page-size", arg, &cfg->page_size);
	case OPT_NESTED_PAGE_SIZE:
		a->nested_page_size_given = true;
		return parse_page_size("nested-page-size", arg,
				       &cfg->nested_page_size);
	case OPT_TLB:
		return parse_cache("tlb", arg, &a->caches.tlb);
	case OPT_PSC:
		return parse_cache("psc", arg, &a->caches.psc);
	case OPT_NTLB:
		return parse_cache("ntlb", arg, &a->caches.ntlb);
	case OPT_SET:
		a->caches.sets[a->caches.nr_sets++] = arg;
		return 0;
	case OPT_CONFIG:
		a->caches.file = arg;
		return 0;
	case OPT_PRESET:
		a->caches.preset = arg;
		return 0;
	case OPT_SWEEP:
		a->caches.sweeps[a->caches.nr_sweeps++] = arg;
		return 0;
	case OPT_CSV:
		a->csv = true;
		return 0;
	case OPT_SEED:
		return parse_u64("seed", arg, UINT64_MAX, &cfg->seed);
	case OPT_ACCESSES:
		return parse_u64("accesses", arg, UINT64_MAX,
				 &cfg->builtin_accesses);
	case OPT_VCPUS:
		if (parse_u64_range("vcpus", arg, 1, RUN_MAX_VCPUS, &v))
			return EXIT_USAGE;
		cfg->nr_vcpus = v;
		return 0;
	case OPT_MAX_TABLE_PAGES:
		if (parse_u64("max-table-pages", arg, 1ULL << 28,
			      &cfg->max_table_pages))
			return EXIT_USAGE;
		if (cfg->max_table_pages < 16)
			return run_cmd_usage_error(
				"--max-table-pages=%s: fewer than 16", arg);
		return 0;
	case OPT_MAX_MEMORY:
		if (sim_parse_max_memory(arg, &v, why, sizeof(why)))
			return run_cmd_usage_error("--max-memory=%s: %s", arg,
						   why);
		sim_set_max_memory(v);
		return 0;
	case OPT_JSON:
		cfg->json = true;
		return 0;
	case OPT_KEEP_GOING:
		cfg->keep_going = true;
		return 0;
	case OPT_WALKS:
		cfg->list_walks = true;
		return 0;
	case OPT_CR0:
	case OPT_CR4:
	case OPT_EFER:
		if (parse_u64(c == OPT_CR0 ? "cr0" :
			      c == OPT_CR4 ? "cr4" :
					     "efer",
			      arg, UINT32_MAX, &v))
			return EXIT_USAGE;
		if (c == OPT_CR0) {
			cfg->cr0 = v;
			cfg->have_cr0 = true;
		} else if (c == OPT_CR4) {
			cfg->cr4 = v;
			cfg->have_cr4 = true;
		} else {
			cfg->efer = v;
			cfg->have_efer = true;
		}
		return 0;
	case OPT_MAXPHYADDR:
		if (parse_u64("maxphyaddr", arg, PHYS_ADDR_BITS_MAX, &v))
			return EXIT_USAGE;
		if (v < PHYS_ADDR_BITS_MIN)
			return run_cmd_usage_error(
				"--maxphyaddr=%s: not %d..%d", arg,
				PHYS_ADDR_BITS_MIN, PHYS_ADDR_BITS_MAX);
		cfg->maxphyaddr = v;
		return 0;
	case OPT_VENDOR:
		if (strcmp(arg, "intel") && strcmp(arg, "amd"))
			return run_cmd_usage_error(
				"--vendor=%s: not intel or amd", arg);
		cfg->amd = !strcmp(arg, "amd");
		cfg->have_vendor = true;
		return 0;
	case OPT_GBPAGES:
		if (strcmp(arg, "on") && strcmp(arg, "off"))
			return run_cmd_usage_error(
				"--gbpages=%s: not on or off", arg);
		cfg->no_gbpages = !strcmp(arg, "off");
		cfg->have_gbpages = true;
		return 0;
	case OPT_NO_TIMING:
		a->no_timing = true;
		return 0;
	case OPT_PROFILE:
		if (!*arg)
			return run_cmd_usage_error(
				"--profile: want a file name");
		if (!run_profiler_available())
			return run_cmd_usage_error(
				"--profile=%s: this build has no gperftools libprofiler",
				arg);
		a->profile = arg;
		return 0;
	}
	return run_cmd_usage_error("unknown option");
}

/* Options that mean nothing for @input: a usage error names the first. */
int run_cmd_check_options(const struct run_args *a,
			  const struct run_input_ops *input)
{
	static const struct {
		int opt;
		const char *name;
		/* RUN_INPUT_OPT_*: the inputs that take the option. */
		unsigned int groups;
	} applies[] = {
		{ OPT_MODE, "--mode",
		  RUN_INPUT_OPT_GUEST | RUN_INPUT_OPT_REPLAY },
		{ OPT_NESTED, "--nested", RUN_INPUT_OPT_GUEST },
		{ OPT_NESTED_LEVELS, "--nested-levels", RUN_INPUT_OPT_GUEST },
		{ OPT_PAGE_SIZE, "--page-size", RUN_INPUT_OPT_GUEST },
		{ OPT_NESTED_PAGE_SIZE, "--nested-page-size",
		  RUN_INPUT_OPT_GUEST },
		{ OPT_MAX_TABLE_PAGES, "--max-table-pages",
		  RUN_INPUT_OPT_GUEST },
		{ OPT_ACCESSES, "--accesses", RUN_INPUT_OPT_BUILTIN },
		{ OPT_VCPUS, "--vcpus", RUN_INPUT_OPT_BUILTIN },
		{ OPT_SEED, "--seed", RUN_INPUT_OPT_GUEST },
		{ OPT_TLB, "--tlb", RUN_INPUT_OPT_CACHES },
		{ OPT_PSC, "--psc", RUN_INPUT_OPT_CACHES },
		{ OPT_NTLB, "--ntlb", RUN_INPUT_OPT_CACHES },
		{ OPT_SET, "--set", RUN_INPUT_OPT_CACHES },
		{ OPT_CONFIG, "--config", RUN_INPUT_OPT_CACHES },
		{ OPT_PRESET, "--preset", RUN_INPUT_OPT_CACHES },
		{ OPT_SWEEP, "--sweep", RUN_INPUT_OPT_CACHES },
		{ OPT_MMU, "--mmu", RUN_INPUT_OPT_CACHES },
		{ OPT_WALKS, "--walks", RUN_INPUT_OPT_REPLAY },
		{ OPT_CR0, "--cr0", RUN_INPUT_OPT_REPLAY },
		{ OPT_CR4, "--cr4", RUN_INPUT_OPT_REPLAY },
		{ OPT_EFER, "--efer", RUN_INPUT_OPT_REPLAY },
		{ OPT_MAXPHYADDR, "--maxphyaddr", RUN_INPUT_OPT_REPLAY },
		{ OPT_VENDOR, "--vendor", RUN_INPUT_OPT_REPLAY },
		{ OPT_GBPAGES, "--gbpages", RUN_INPUT_OPT_REPLAY },
	};
	const struct run_config *cfg = &a->cfg;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(applies); i++)
		if (a->given[applies[i].opt] &&
		    !(applies[i].groups & input->options))
			return run_cmd_usage_error("%s does not apply to %s",
						   applies[i].name,
						   input->noun);
	if (cfg->mode_ept && !(input->options & RUN_INPUT_OPT_REPLAY))
		return run_cmd_usage_error(
			"--mode=ept applies to kvmmmu input only (use --nested=ept)");
	if (cfg->list_walks && cfg->json)
		return run_cmd_usage_error("--walks does not go with --json");
	if (a->csv && (cfg->json || cfg->list_walks))
		return run_cmd_usage_error(
			"--csv does not go with --json or --walks");
	/* A sweep feeds access records; a scenario drives one vCPU itself. */
	if (a->caches.nr_sweeps && input->model != RUN_INPUT_ACCESSES)
		return run_cmd_usage_error(
			"--sweep applies to access traces and the built-in workload, not to %s",
			input->noun);
	if (input->options & RUN_INPUT_OPT_GUEST) {
		u8 level = cfg->mode_level ?: PT64_ROOT_4LEVEL;

		if (level < PT64_ROOT_4LEVEL && (cfg->page_size == RUN_PAGE_1G))
			return run_cmd_usage_error(
				"--page-size=1g needs --mode=4level or 5level");
	}
	return 0;
}

/* The options that set one count of the caches over the keys before them. */
static const struct {
	int opt;
	const char *name;
} cache_count_options[] = {
	{ OPT_TLB, "--tlb" },
	{ OPT_PSC, "--psc" },
	{ OPT_NTLB, "--ntlb" },
};

static void set_cache_count(struct translation_caches_config *cfg, int opt,
			    const struct run_cache_args *c)
{
	switch (opt) {
	case OPT_TLB:
		cfg->l1d[CACHES_L1_MAIN].entries = c->tlb;
		break;
	case OPT_PSC:
		translation_caches_config_psc(cfg, c->psc);
		break;
	case OPT_NTLB:
		cfg->ntlb.entries = c->ntlb;
		break;
	}
}

/*
 * Array @bad's geometry, @why, blamed on what last changed it: the last
 * option that did (its source in @options: a count option's row + 1, or
 * past them a --set's index + 1), else the --config line that did, else
 * the preset.
 */
static int cache_geometry_error(const struct run_args *a,
				const struct caches_config_changes *lines,
				const struct caches_config_changes *options,
				int bad, const char *why)
{
	const unsigned long nr_counts = ARRAY_SIZE(cache_count_options);
	unsigned long source = options->source[bad];

	if (source > nr_counts)
		return run_cmd_usage_error(
			"--set=%s: %s", a->caches.sets[source - nr_counts - 1],
			why);
	if (source)
		return run_cmd_usage_error(
			"%s=%s: %s", cache_count_options[source - 1].name,
			a->values[cache_count_options[source - 1].opt], why);
	/* A line of the file is bad input: "FILE:LINE: what". */
	if (lines->source[bad]) {
		fprintf(stderr, "mmusim: %s:%lu: %s\n", a->caches.file,
			lines->source[bad], why);
		return EXIT_USAGE;
	}
	return run_cmd_usage_error("%s", why);
}

/* The cache options of @a, in their order, into a->cfg.caches. */
int run_cmd_apply_cache_options(struct run_args *a)
{
	struct translation_caches_config *cfg = &a->cfg.caches, before;
	struct caches_config_changes lines = { 0 }, options = { 0 };
	unsigned long i;
	char why[320];
	int r, bad;

	if (a->caches.preset &&
	    caches_config_preset(cfg, a->caches.preset, why, sizeof(why)))
		return run_cmd_usage_error("%s", why);
	if (a->caches.file) {
		r = caches_config_read(cfg, a->caches.file, &lines, why,
				       sizeof(why));
		/* A bad line is "FILE:LINE: what", as bad input is. */
		if (r == -EINVAL) {
			fprintf(stderr, "mmusim: %s\n", why);
			return EXIT_USAGE;
		}
		if (r)
			return run_cmd_usage_error("--config=%s", why);
	}
	for (i = 0; i < ARRAY_SIZE(cache_count_options); i++) {
		if (!a->given[cache_count_options[i].opt])
			continue;
		before = *cfg;
		set_cache_count(cfg, cache_count_options[i].opt, &a->caches);
		caches_config_note_changes(&options, &before, cfg, i + 1);
	}
	for (i = 0; i < (unsigned long)a->caches.nr_sets; i++) {
		before = *cfg;
		if (caches_config_assign(cfg, a->caches.sets[i], why,
					 sizeof(why)))
			return run_cmd_usage_error("--set=%s", why);
		caches_config_note_changes(&options, &before, cfg,
					   ARRAY_SIZE(cache_count_options) + 1 +
						   i);
	}
	bad = caches_config_bad_array(cfg, why, sizeof(why));
	if (bad >= 0)
		return cache_geometry_error(a, &lines, &options, bad, why);
	for (i = 0; i < (unsigned long)a->caches.nr_sweeps; i++)
		if (run_sweep_add(a->caches.sweep, a->caches.sweeps[i], cfg,
				  why, sizeof(why)))
			return run_cmd_usage_error("%s", why);
	return 0;
}

/*
 * Configurations no MMU can run, whatever the input: refused before any
 * input is read, in the terms of the options.
 */
int run_cmd_check_config(const struct run_config *cfg)
{
	static const char *const nested_names[] = {
		[SIM_NESTED_NONE] = "none",
		[SIM_NESTED_EPT] = "ept",
		[SIM_NESTED_NPT] = "npt",
	};

	if (cfg->mmu->nested_unsupported && cfg->nested != SIM_NESTED_NONE)
		return run_cmd_usage_error(
			"--mmu=%s does not go with --nested=%s: %s (use --mmu=tdp)",
			cfg->mmu->name, nested_names[cfg->nested],
			cfg->mmu->nested_unsupported);
	return 0;
}
