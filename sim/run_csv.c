/*
 * mmusim run --csv: one row per run (per configuration of a sweep) under
 * one header: the build, the input, the configuration (every cache key a
 * column), then the counts (docs/mmusim-run.md).
 */
#include <inttypes.h>
#include <string.h>

#include <mmusim/version.h>

#include "sim/caches_config.h"
#include "sim/input/input.h"
#include "sim/output_escape.h"
#include "sim/run.h"

/* A cell, after a comma unless @first. */
static void csv_cell(FILE *out, const char *s, bool first)
{
	if (!first)
		fputc(',', out);
	csv_put_cell(out, s);
}

static void csv_u64(FILE *out, u64 v)
{
	fprintf(out, ",%" PRIu64, v);
}

/* Events per 1000 instructions, empty without instructions. */
static void csv_per_kilo(FILE *out, u64 events, u64 instructions)
{
	if (instructions)
		fprintf(out, ",%.4f", 1000.0 * events / instructions);
	else
		fputc(',', out);
}

static const char *const csv_run_columns[] = {
	"mmusim.version",	"mmusim.commit",
	"input.files",		"input.format",
	"config.mode",		"config.nested",
	"config.nested_levels", "config.mmu",
	"config.page_size",	"config.nested_page_size",
	"config.seed",		"config.vcpus",
};

/* The counts, after the configuration; the order of csv_row(). */
static const char *const csv_count_columns[] = {
	"lines",
	"accesses",
	"instructions",
	"translations",
	"tlb.hits",
	"tlb.misses",
	"tlb.rights_misses",
	"tlb_levels.l1i_misses",
	"tlb_levels.l1d_misses",
	"tlb_levels.stlb_lookups",
	"tlb_levels.stlb_hits",
	"tlb_levels.stlb_misses",
	"psc.lookups",
	"psc.hits",
	"nested_tlb.lookups",
	"nested_tlb.hits",
	"nested_psc.lookups",
	"nested_psc.hits",
	"walks.total",
	"walks.walker_refs",
	"walks.refs",
	"walks.guest_refs",
	"walks.nested_refs",
	"faults.total",
	"mpki.tlb_misses",
	"mpki.stlb_misses",
	"mpki.walks",
	"latency.walk_cycles",
	"latency.cycles_per_walk",
	"latency.translation_cycles",
};

static void csv_header(FILE *out)
{
	const char *key;
	unsigned int i;
	char name[CACHES_KEY_MAX + 8];

	for (i = 0; i < ARRAY_SIZE(csv_run_columns); i++)
		csv_cell(out, csv_run_columns[i], !i);
	for (i = 0; (key = caches_config_key(i)); i++) {
		snprintf(name, sizeof(name), "config.%s", key);
		csv_cell(out, name, false);
	}
	for (i = 0; i < ARRAY_SIZE(csv_count_columns); i++)
		csv_cell(out, csv_count_columns[i], false);
	fputc('\n', out);
}

static void csv_row(FILE *out, const struct run_sim *s,
		    const char *const *files, int nr_files)
{
	static const char *const nested[] = { "none", "ept", "npt" };
	const struct run_config *cfg = &s->cfg;
	const struct run_stats *st = &s->st;
	char buf[CACHES_VALUE_MAX];
	u64 psc_hits = 0, stlb_misses;
	struct caches_cycles cycles;
	unsigned int i;

	csv_cell(out, mmusim_version(), true);
	csv_cell(out, mmusim_commit(), false);
	fputc(',', out);
	csv_put_joined_cell(out, files, nr_files);
	csv_cell(out, cfg->input->name, false);
	csv_cell(out,
		 cfg->input->model == RUN_INPUT_SCENARIO ?
			 "scenario" :
			 run_mode_name(cfg->mode_level ?: PT64_ROOT_4LEVEL),
		 false);
	csv_cell(out,
		 cfg->input->model == RUN_INPUT_SCENARIO ? "scenario" :
							   nested[cfg->nested],
		 false);
	csv_u64(out, run_config_nested_levels(cfg));
	csv_cell(out, cfg->mmu ? cfg->mmu->name : "none", false);
	csv_cell(out, run_page_size_name(cfg->page_size), false);
	csv_cell(out, run_page_size_name(cfg->nested_page_size), false);
	csv_u64(out, cfg->seed);
	csv_u64(out, s->nr_vcpus);
	for (i = 0; caches_config_key(i); i++) {
		caches_config_value(&cfg->caches, i, buf, sizeof(buf));
		csv_cell(out, buf, false);
	}
	for (i = 2; i <= PT64_ROOT_MAX_LEVEL; i++)
		psc_hits += st->psc_hits[i];
	stlb_misses = st->stlb_lookups - st->stlb_hits;
	csv_u64(out, st->lines);
	csv_u64(out, st->accesses);
	csv_u64(out, st->instructions);
	csv_u64(out, st->translations);
	csv_u64(out, st->tlb_hits);
	csv_u64(out, st->tlb_misses);
	csv_u64(out, st->tlb_rights_misses);
	csv_u64(out, st->l1i_misses);
	csv_u64(out, st->tlb_misses - st->l1i_misses);
	csv_u64(out, st->stlb_lookups);
	csv_u64(out, st->stlb_hits);
	csv_u64(out, stlb_misses);
	csv_u64(out, st->psc_lookups);
	csv_u64(out, psc_hits);
	csv_u64(out, st->ntlb_lookups);
	csv_u64(out, st->ntlb_hits);
	csv_u64(out, st->npsc_lookups);
	csv_u64(out, st->npsc_hits);
	csv_u64(out, st->walks);
	csv_u64(out, st->walker_refs);
	csv_u64(out, st->guest_refs + st->nested_refs);
	csv_u64(out, st->guest_refs);
	csv_u64(out, st->nested_refs);
	csv_u64(out, st->faults);
	csv_per_kilo(out, st->tlb_misses, st->instructions);
	csv_per_kilo(out, stlb_misses, st->instructions);
	csv_per_kilo(out, st->walks, st->instructions);
	caches_latency_cycles(&cfg->caches, st->tlb_hits, st->stlb_hits,
			      st->guest_refs + st->nested_refs, &cycles);
	csv_u64(out, cycles.walks);
	fprintf(out, ",%.4f",
		st->walks ? (double)cycles.walks / st->walks : 0.0);
	csv_u64(out, cycles.translations);
	fputc('\n', out);
}

void run_report_csv(FILE *out, struct run_sim *const *sims, unsigned int n,
		    const char *const *files, int nr_files)
{
	unsigned int i;

	csv_header(out);
	for (i = 0; i < n; i++)
		csv_row(out, sims[i], files, nr_files);
}
