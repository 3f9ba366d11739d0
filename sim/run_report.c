/* mmusim run: the summary, for people and as JSON (docs/mmusim-run.md). */
#include <inttypes.h>
#include <string.h>

#include <mmusim/version.h>

#include "sim/caches_config.h"
#include "sim/input/trace_kvmmmu.h"
#include "sim/output_escape.h"
#include "sim/run.h"

/*
 * @part of @whole in percent, for "%.2f": never 100.00 while one is
 * missing, never 0.00 once there is one, so that rounding hides nothing.
 */
static double percent(u64 part, u64 whole)
{
	double p = whole ? 100.0 * part / whole : 0.0;

	if (part < whole && p > 99.99)
		return 99.99;
	if (part && p < 0.01)
		return 0.01;
	return p;
}

/* Events per 1000 instructions (MPKI for misses). */
static double per_kilo(u64 events, u64 instructions)
{
	return instructions ? 1000.0 * events / instructions : 0.0;
}

/* per_kilo() for "%.2f": never 0.00 once there is one event, as percent(). */
static double per_kilo_shown(u64 events, u64 instructions)
{
	double k = per_kilo(events, instructions);

	return events && k < 0.01 ? 0.01 : k;
}

static double ratio(u64 a, u64 b)
{
	return b ? (double)a / b : 0.0;
}

static const char *nested_name(enum sim_nested_kind k)
{
	switch (k) {
	case SIM_NESTED_NONE:
		return "none";
	case SIM_NESTED_EPT:
		return "ept";
	case SIM_NESTED_NPT:
		return "npt";
	}
	return "?";
}

static const char *mode_desc(const struct run_config *cfg)
{
	if (cfg->input->model == RUN_INPUT_WALKS && cfg->mode_ept)
		return "ept";
	if (!cfg->mode_level)
		return cfg->input->model == RUN_INPUT_WALKS ? "auto" : "4level";
	return run_mode_name(cfg->mode_level);
}

static bool uses_demand(const struct run_config *cfg)
{
	return cfg->input->model == RUN_INPUT_ACCESSES;
}

/* Throughput: accesses, or walks for a kvmmmu replay. */
static u64 work_items(const struct run_sim *s)
{
	return s->cfg.input->model == RUN_INPUT_WALKS ? s->st.kvmmmu.walks :
							s->st.accesses;
}

static unsigned int mmu_counters(const struct run_sim *s, u64 *values)
{
	const struct run_mmu_ops *ops = s->cfg.mmu;
	unsigned int n;

	if (!ops || !ops->counters || !ops->nr_counters)
		return 0;
	n = ops->nr_counters < RUN_MMU_MAX_COUNTERS ? ops->nr_counters :
						      RUN_MMU_MAX_COUNTERS;
	memset(values, 0, sizeof(u64) * RUN_MMU_MAX_COUNTERS);
	ops->counters(s->mmu, values);
	return n;
}

static void text_faults(FILE *out, const struct run_stats *st)
{
	unsigned int i;

	fprintf(out,
		"  faults          %" PRIu64 ": #PF %" PRIu64 ", #GP %" PRIu64
		", EPT violation %" PRIu64 ", EPT misconfig %" PRIu64
		", NPF %" PRIu64 ", CR3 load %" PRIu64 "\n",
		st->faults, st->pf, st->gp, st->ept_violations,
		st->ept_misconfigs, st->npf, st->cr3_load_faults);
	for (i = 0; i < ARRAY_SIZE(st->pf_by_ec); i++)
		if (st->pf_by_ec[i])
			fprintf(out, "    #PF ec=0x%-4x %" PRIu64 "\n", i,
				st->pf_by_ec[i]);
	for (i = 0; i < ARRAY_SIZE(st->ept_by_qual); i++)
		if (st->ept_by_qual[i])
			fprintf(out,
				"    EPT violation qual=0x%-4x %" PRIu64 "\n",
				i, st->ept_by_qual[i]);
	for (i = 0; i < ARRAY_SIZE(st->npf_by_ec); i++)
		if (st->npf_by_ec[i])
			fprintf(out,
				"    NPF ec=0x%-10" PRIx64 " %" PRIu64 "\n",
				(u64)(i & 63) | (u64)(i & 0x40) << 26 |
					(u64)(i & 0x80) << 26,
				st->npf_by_ec[i]);
}

/* Walks that agree under an inferred role, by the bit it took. */
static void text_inferred(FILE *out, const struct run_kvmmmu_stats *k)
{
	unsigned int b, v;

	fprintf(out, "  inferred role   %" PRIu64 " walks agree only with",
		k->agree_inferred);
	if (!k->agree_inferred)
		fprintf(out, " a bit no marker gave");
	for (b = 0; b < RUN_KVMMMU_ROLE_BITS; b++)
		for (v = 0; v < 2; v++)
			if (k->inferred[b][v])
				fprintf(out, " %s=%u: %" PRIu64,
					kvmmmu_role_bit_names[b], v,
					k->inferred[b][v]);
	fprintf(out, "; mmusim-role lines %" PRIu64 "\n", k->role_lines);
}

static void text_kvmmmu(FILE *out, const struct run_stats *st)
{
	const struct run_kvmmmu_stats *k = &st->kvmmmu;
	unsigned int i;

	fprintf(out,
		"  walks           %" PRIu64 ": agree %" PRIu64
		", disagree %" PRIu64 ", incomplete %" PRIu64
		", skipped (2D) %" PRIu64 "; restarts %" PRIu64 "\n",
		k->walks, k->agree, k->disagree, k->incomplete, k->skipped,
		k->restarts);
	fprintf(out, "  agreement       %.2f%% of the walks judged\n",
		percent(k->agree + k->agree_inferred,
			k->agree + k->agree_inferred + k->disagree));
	text_inferred(out, k);
	fprintf(out,
		"  sptes           set_spte %" PRIu64 ": agree %" PRIu64
		", disagree %" PRIu64 ", not judged %" PRIu64
		" (shadow_mmu's SPTE for the page of the walk before it)\n",
		k->spte_events, k->spte_agree, k->spte_disagree,
		k->spte_not_judged);
	fprintf(out,
		"  pages           get_page %" PRIu64 ": agree %" PRIu64
		", disagree %" PRIu64 ", not judged %" PRIu64
		"; prepare_zap %" PRIu64 ": agree %" PRIu64
		", agree as an unprotect %" PRIu64 ", disagree %" PRIu64
		", not judged %" PRIu64
		" (shadow_mmu's pages for the access of the walk before it)\n",
		k->get_page_events, k->get_page_agree, k->get_page_disagree,
		k->get_page_not_judged, k->zap_events, k->zap_agree,
		k->zap_agree_unprotect, k->zap_disagree, k->zap_not_judged);
	fprintf(out,
		"  tdp sptes       spte_changed %" PRIu64 ": agree %" PRIu64
		", disagree %" PRIu64 ", not judged %" PRIu64
		"; page_fault %" PRIu64
		" (tdp_mmu's SPTEs for the fault before it)\n",
		k->tdp_events, k->tdp_agree, k->tdp_disagree, k->tdp_not_judged,
		k->page_fault_events);
	fprintf(out,
		"  walk events     pagetable_walk %" PRIu64
		", paging_element %" PRIu64 ", walker_error %" PRIu64
		", set_accessed_bit %" PRIu64 ", set_dirty_bit %" PRIu64
		"; outside a walk %" PRIu64 "\n",
		k->walk_events, k->element_events, k->error_events,
		k->accessed_events, k->dirty_events, k->orphan_events);
	fprintf(out,
		"  other events    %" PRIu64 " ignored; header lines %" PRIu64
		"; lost %" PRIu64 "; mmusim-guest lines %" PRIu64 "\n",
		k->ignored_events, k->header_lines, k->lost_events,
		k->guest_lines);
	for (i = 0; i < k->nr_event_names; i++)
		fprintf(out, "    %-28s %" PRIu64 "\n", k->event_names[i],
			k->event_counts[i]);
	if (k->other_event_names)
		fprintf(out, "    (%" PRIu64 " events of further names)\n",
			k->other_event_names);
}

static void text_replay_guest(FILE *out, const struct run_config *cfg)
{
	fprintf(out, "  guest           %s%s, ", mode_desc(cfg),
		cfg->mode_level || cfg->mode_ept ? "" : " (from each walk)");
	if (cfg->have_cr0)
		fprintf(out, "cr0 0x%" PRIx64 ", ", cfg->cr0);
	if (cfg->have_cr4)
		fprintf(out, "cr4 0x%" PRIx64 ", ", cfg->cr4);
	if (cfg->have_efer)
		fprintf(out, "efer 0x%" PRIx64 ", ", cfg->efer);
	fprintf(out, "maxphyaddr %u, %s, gbpages %s\n",
		cfg->maxphyaddr ? cfg->maxphyaddr : PHYS_ADDR_BITS_MAX,
		cfg->amd ? "amd" : "intel", cfg->no_gbpages ? "off" : "on");
}

static void text_histogram(FILE *out, const struct run_stats *st)
{
	unsigned int i;

	fprintf(out, "  refs per walk   refs    walks    guest   nested\n");
	for (i = 0; i < RUN_REFS_BUCKETS; i++)
		if (st->hist_walks[i])
			fprintf(out,
				"                  %2u%s %8" PRIu64 " %8" PRIu64
				" %8" PRIu64 "\n",
				i, i == RUN_REFS_BUCKETS - 1 ? "+" : " ",
				st->hist_walks[i], st->hist_guest[i],
				st->hist_nested[i]);
}

static void run_cycles(const struct run_sim *s, struct caches_cycles *c)
{
	caches_latency_cycles(&s->cfg.caches, s->st.tlb_hits, s->st.stlb_hits,
			      s->st.guest_refs + s->st.nested_refs, c);
}

/* The latency model's cycles, when a latency key is set. */
static void text_latency(FILE *out, const struct run_sim *s)
{
	struct caches_cycles c;

	if (!caches_latency_modelled(&s->cfg.caches))
		return;
	run_cycles(s, &c);
	fprintf(out,
		"  latency         walk cycles %" PRIu64
		" (%.2f a walk); translation cycles %" PRIu64 "\n",
		c.walks, ratio(c.walks, s->st.walks), c.translations);
}

/* The shape of one array: "L1D 64 4-way lru" (entries, ways, policy). */
static void text_geometry(FILE *out, const char *name,
			  const struct cache_geometry *g, bool *first)
{
	if (!g->entries)
		return;
	fprintf(out, "%s %s %u %u-way %s", *first ? "" : ",", name, g->entries,
		g->ways < g->entries ? g->ways : g->entries,
		tlb_policy_name(g->policy));
	*first = false;
}

/* The levels of a hierarchy beyond the original single TLB. */
static void text_tlb_levels(FILE *out, const struct run_sim *s)
{
	const struct translation_caches_config *c = &s->cfg.caches;
	const struct run_stats *st = &s->st;
	bool first = true;

	/* Only the hierarchy model has arrays (zeroed for another model). */
	if (!cache_model_split_l1(&s->caches) &&
	    !s->caches.hierarchy.l1_size_arrays &&
	    !cache_model_has_stlb(&s->caches))
		return;
	fprintf(out, "  TLB arrays     ");
	text_geometry(out, "L1D", &c->l1d[CACHES_L1_MAIN], &first);
	text_geometry(out, "L1D-2M", &c->l1d[CACHES_L1_2M], &first);
	text_geometry(out, "L1D-1G", &c->l1d[CACHES_L1_1G], &first);
	text_geometry(out, "L1I", &c->l1i[CACHES_L1_MAIN], &first);
	text_geometry(out, "L1I-2M", &c->l1i[CACHES_L1_2M], &first);
	text_geometry(out, "L1I-1G", &c->l1i[CACHES_L1_1G], &first);
	text_geometry(out, "STLB", &c->stlb, &first);
	fprintf(out, "\n  TLB misses      L1I %" PRIu64 ", L1D %" PRIu64,
		st->l1i_misses, st->tlb_misses - st->l1i_misses);
	if (cache_model_has_stlb(&s->caches))
		fprintf(out,
			"; STLB %" PRIu64 " lookups, hits %" PRIu64
			" (%.2f%%), misses %" PRIu64,
			st->stlb_lookups, st->stlb_hits,
			percent(st->stlb_hits, st->stlb_lookups),
			st->stlb_lookups - st->stlb_hits);
	fprintf(out, "\n");
}

/*
 * "N entries" and @what of an array of the hierarchy; another model has
 * no such sizes: its name.
 */
static const char *text_entries(const struct run_sim *s, u32 entries,
				const char *what, char *buf, size_t len)
{
	if (!cache_model_is_hierarchy(&s->caches))
		return s->caches.ops->name;
	snprintf(buf, len, "%u entries%s", entries, what);
	return buf;
}

void run_report_text(FILE *out, const struct run_sim *s,
		     const char *const *files, int nr_files)
{
	char size[48];
	const struct run_config *cfg = &s->cfg;
	const struct run_stats *st = &s->st;
	u64 values[RUN_MMU_MAX_COUNTERS];
	unsigned int i, n;
	u64 psc_hits = 0;
	int f;

	fprintf(out, "mmusim run: ");
	if (!nr_files)
		fprintf(out, "built-in workload, %" PRIu64 " accesses",
			cfg->builtin_accesses);
	for (f = 0; f < nr_files; f++)
		fprintf(out, "%s%s", f ? ", " : "", files[f]);
	fprintf(out, " (%s)%s\n", cfg->input->name,
		st->interrupted ? ", interrupted" :
		st->stopped	? ", stopped by bad input" :
				  "");
	if (cfg->input->model == RUN_INPUT_SCENARIO)
		fprintf(out,
			"  guest           as the scenarios set it; mmu %s\n",
			cfg->mmu ? cfg->mmu->name : "none");
	else if (cfg->input->model == RUN_INPUT_WALKS)
		text_replay_guest(out, cfg);
	else
		fprintf(out,
			"  guest           %s, nested %s%s, mmu %s, pages %s\n",
			mode_desc(cfg), nested_name(cfg->nested),
			!cfg->nested	       ? "" :
			cfg->nested_level == 5 ? " 5-level" :
						 " 4-level",
			cfg->mmu ? cfg->mmu->name : "none",
			run_page_size_name(cfg->page_size));
	if (nr_files) {
		fprintf(out, "  lines           %" PRIu64, st->lines);
		if (st->bad_lines)
			fprintf(out, " (%" PRIu64 " bad lines skipped)",
				st->bad_lines);
		fprintf(out, "\n");
	}

	if (cfg->input->model == RUN_INPUT_WALKS) {
		text_kvmmmu(out, st);
		goto time;
	}

	fprintf(out,
		"  accesses        %" PRIu64 ": reads %" PRIu64
		", writes %" PRIu64 ", fetches %" PRIu64
		"; page crossings %" PRIu64 "\n",
		st->accesses, st->reads, st->writes, st->fetches,
		st->page_crossings);
	if (st->instructions) {
		fprintf(out,
			"  instructions    %" PRIu64
			": TLB misses per 1000 (MPKI) %.2f",
			st->instructions,
			per_kilo_shown(st->tlb_misses, st->instructions));
		if (cfg->caches.stlb.entries)
			fprintf(out, ", STLB misses per 1000 %.2f",
				per_kilo_shown(st->stlb_lookups - st->stlb_hits,
					       st->instructions));
		fprintf(out, ", walks per 1000 %.2f\n",
			per_kilo_shown(st->walks, st->instructions));
	}
	fprintf(out,
		"  TLB             %s: %" PRIu64 " lookups, hits %" PRIu64
		" (%.2f%%), misses %" PRIu64 ", rights misses %" PRIu64 "\n",
		text_entries(s, cfg->caches.l1d[CACHES_L1_MAIN].entries, "",
			     size, sizeof(size)),
		st->translations, st->tlb_hits,
		percent(st->tlb_hits, st->translations), st->tlb_misses,
		st->tlb_rights_misses);
	text_tlb_levels(out, s);
	fprintf(out,
		"  invalidations   CR3 writes %" PRIu64 " (no flush %" PRIu64
		"), global flushes %" PRIu64 ", INVLPG %" PRIu64
		", INVPCID %" PRIu64 ", INVEPT %" PRIu64 "\n",
		st->cr3_writes, st->cr3_noflush, st->tlb_global_flushes,
		st->invlpg, st->invpcid, st->invept);
	for (i = 2; i <= PT64_ROOT_MAX_LEVEL; i++)
		psc_hits += st->psc_hits[i];
	fprintf(out,
		"  PSC             %s: %" PRIu64 " lookups, hits L2 %" PRIu64
		", L3 %" PRIu64 ", L4 %" PRIu64 ", L5 %" PRIu64
		", misses %" PRIu64 "\n",
		text_entries(s, cfg->caches.psc[2].entries, " a level", size,
			     sizeof(size)),
		st->psc_lookups, st->psc_hits[2], st->psc_hits[3],
		st->psc_hits[4], st->psc_hits[5], st->psc_lookups - psc_hits);
	fprintf(out,
		"  nested TLB      %s: %" PRIu64 " lookups, hits %" PRIu64
		" (%.2f%%)\n",
		text_entries(s, cfg->caches.ntlb.entries, "", size,
			     sizeof(size)),
		st->ntlb_lookups, st->ntlb_hits,
		percent(st->ntlb_hits, st->ntlb_lookups));
	/* Another model than the hierarchy has a nested PSC. */
	if (!cache_model_is_hierarchy(&s->caches) ||
	    s->caches.hierarchy.has_npsc)
		fprintf(out,
			"  nested PSC      %" PRIu64 " lookups, hits %" PRIu64
			", misses %" PRIu64 "\n",
			st->npsc_lookups, st->npsc_hits,
			st->npsc_lookups - st->npsc_hits);
	fprintf(out,
		"  walks           %" PRIu64 " (restarts %" PRIu64
		"): walker refs %" PRIu64
		" (%.2f a walk); with PSC and nested TLB %" PRIu64
		" (%.2f a walk): guest %" PRIu64 ", nested %" PRIu64 "\n",
		st->walks, st->walk_restarts, st->walker_refs,
		ratio(st->walker_refs, st->walks),
		st->guest_refs + st->nested_refs,
		ratio(st->guest_refs + st->nested_refs, st->walks),
		st->guest_refs, st->nested_refs);
	text_latency(out, s);
	text_histogram(out, st);
	text_faults(out, st);
	if (uses_demand(cfg))
		fprintf(out,
			"  demand paging   fixed %" PRIu64 ", left %" PRIu64
			"; guest tables %" PRIu64 ", nested tables %" PRIu64
			", guest pages %" PRIu64 ", nested pages %" PRIu64
			", reclaims %" PRIu64 "\n",
			st->fixed, st->unresolved, st->guest_tables,
			st->nested_tables, st->guest_pages, st->nested_pages,
			st->reclaims);
	else
		fprintf(out, "  faults left     %" PRIu64 "\n", st->unresolved);
	run_report_split_text(out, s);
	n = mmu_counters(s, values);
	fprintf(out, "  mmu             %s%s\n",
		cfg->mmu ? cfg->mmu->name : "none", n ? "" : " (no counters)");
	for (i = 0; i < n; i++)
		fprintf(out, "    %-28s %" PRIu64 "\n",
			cfg->mmu->counter_names[i], values[i]);
time:
	fprintf(out, "  time            %.3f s, %.2f M %s/s\n", st->seconds,
		st->seconds > 0 ? work_items(s) / st->seconds / 1e6 : 0.0,
		cfg->input->model == RUN_INPUT_WALKS ? "walks" : "accesses");
}

static void json_u64(FILE *out, const char *key, u64 v, bool last)
{
	fprintf(out, "\"%s\": %" PRIu64 "%s", key, v, last ? "" : ", ");
}

static void json_by_code(FILE *out, const char *key, const u64 *counts,
			 unsigned int nr, bool npf)
{
	bool first = true;
	unsigned int i;

	fprintf(out, "\"%s\": {", key);
	for (i = 0; i < nr; i++) {
		u64 code = i;

		if (!counts[i])
			continue;
		if (npf)
			code = (i & 63) | (u64)(i & 0x40) << 26 |
			       (u64)(i & 0x80) << 26;
		fprintf(out, "%s\"0x%" PRIx64 "\": %" PRIu64, first ? "" : ", ",
			code, counts[i]);
		first = false;
	}
	fprintf(out, "}");
}

static void json_inferred(FILE *out, const struct run_kvmmmu_stats *k)
{
	unsigned int b, v;
	bool first = true;

	json_u64(out, "agree_inferred", k->agree_inferred, false);
	fprintf(out, "\"inferred\": {");
	for (b = 0; b < RUN_KVMMMU_ROLE_BITS; b++)
		for (v = 0; v < 2; v++) {
			if (!k->inferred[b][v])
				continue;
			fprintf(out, "%s\"%s=%u\": %" PRIu64, first ? "" : ", ",
				kvmmmu_role_bit_names[b], v, k->inferred[b][v]);
			first = false;
		}
	fprintf(out, "}, ");
}

static void json_kvmmmu(FILE *out, const struct run_stats *st)
{
	const struct run_kvmmmu_stats *k = &st->kvmmmu;
	unsigned int i;

	fprintf(out, "  \"kvmmmu\": {");
	json_u64(out, "walks", k->walks, false);
	json_u64(out, "agree", k->agree, false);
	json_u64(out, "disagree", k->disagree, false);
	json_u64(out, "incomplete", k->incomplete, false);
	json_u64(out, "skipped", k->skipped, false);
	json_u64(out, "restarts", k->restarts, false);
	fprintf(out, "\"events\": {");
	json_u64(out, "kvm_mmu_pagetable_walk", k->walk_events, false);
	json_u64(out, "kvm_mmu_paging_element", k->element_events, false);
	json_u64(out, "kvm_mmu_walker_error", k->error_events, false);
	json_u64(out, "kvm_mmu_set_accessed_bit", k->accessed_events, false);
	json_u64(out, "kvm_mmu_set_dirty_bit", k->dirty_events, true);
	fprintf(out, "}, ");
	json_u64(out, "outside_walk_events", k->orphan_events, false);
	json_u64(out, "ignored_events", k->ignored_events, false);
	fprintf(out, "\"ignored_by_name\": {");
	for (i = 0; i < k->nr_event_names; i++) {
		json_put_string(out, k->event_names[i]);
		fprintf(out, ": %" PRIu64 "%s", k->event_counts[i],
			i + 1 < k->nr_event_names ? ", " : "");
	}
	fprintf(out, "}, ");
	json_u64(out, "lost_events", k->lost_events, false);
	json_u64(out, "header_lines", k->header_lines, false);
	json_u64(out, "guest_lines", k->guest_lines, false);
	json_u64(out, "role_lines", k->role_lines, false);
	json_inferred(out, k);
	fprintf(out, "\"sptes\": {");
	json_u64(out, "set_spte", k->spte_events, false);
	json_u64(out, "agree", k->spte_agree, false);
	json_u64(out, "disagree", k->spte_disagree, false);
	json_u64(out, "not_judged", k->spte_not_judged, true);
	fprintf(out, "}, ");
	fprintf(out, "\"pages\": {");
	json_u64(out, "get_page", k->get_page_events, false);
	json_u64(out, "get_page_agree", k->get_page_agree, false);
	json_u64(out, "get_page_disagree", k->get_page_disagree, false);
	json_u64(out, "get_page_not_judged", k->get_page_not_judged, false);
	json_u64(out, "prepare_zap", k->zap_events, false);
	json_u64(out, "prepare_zap_agree", k->zap_agree, false);
	json_u64(out, "prepare_zap_agree_unprotect", k->zap_agree_unprotect,
		 false);
	json_u64(out, "prepare_zap_disagree", k->zap_disagree, false);
	json_u64(out, "prepare_zap_not_judged", k->zap_not_judged, true);
	fprintf(out, "}, ");
	fprintf(out, "\"tdp_sptes\": {");
	json_u64(out, "spte_changed", k->tdp_events, false);
	json_u64(out, "agree", k->tdp_agree, false);
	json_u64(out, "disagree", k->tdp_disagree, false);
	json_u64(out, "not_judged", k->tdp_not_judged, false);
	json_u64(out, "page_fault", k->page_fault_events, true);
	fprintf(out, "}, ");
	fprintf(out, "\"disagreements\": [");
	for (i = 0; i < st->nr_disagreements; i++) {
		const struct run_disagreement *d = &st->disagreements[i];

		fprintf(out, "%s\n    {\"file\": ", i ? "," : "");
		json_put_string(out, d->file);
		fprintf(out,
			", \"line\": %lu, \"addr\": \"0x%" PRIx64
			"\", \"what\": ",
			d->line, d->addr);
		json_put_string(out, d->what);
		fprintf(out, "}");
	}
	fprintf(out, "%s], \"disagreements_truncated\": %s},\n",
		st->nr_disagreements ? "\n  " : "",
		k->disagree > st->nr_disagreements ? "true" : "false");
}

/* Every cache key and its value: "caches": {"tlb.l1d.entries": 2048, ...}. */
static void json_caches(FILE *out, const struct translation_caches_config *c)
{
	char value[CACHES_VALUE_MAX];
	const char *key;
	unsigned int i;

	fprintf(out, "\"caches\": {");
	for (i = 0; (key = caches_config_key(i)); i++) {
		caches_config_value(c, i, value, sizeof(value));
		fprintf(out, "%s\"%s\": ", i ? ", " : "", key);
		if (strspn(value, "0123456789") == strlen(value))
			fprintf(out, "%s", value);
		else
			json_put_string(out, value);
	}
	fprintf(out, "}");
}

void run_report_json(FILE *out, const struct run_sim *s,
		     const char *const *files, int nr_files)
{
	const struct run_config *cfg = &s->cfg;
	const struct run_stats *st = &s->st;
	u64 values[RUN_MMU_MAX_COUNTERS], psc_hits = 0;
	struct caches_cycles cycles;
	unsigned int i, n;
	bool first = true;
	int f;

	fprintf(out,
		"{\n  \"schema\": \"mmusim-run/1\",\n  \"mmusim\": {\"version\": ");
	json_put_string(out, mmusim_version());
	fprintf(out, ", \"commit\": ");
	json_put_string(out, mmusim_commit());
	fprintf(out, "},\n  \"input\": {\"files\": [");
	for (f = 0; f < nr_files; f++) {
		if (f)
			fprintf(out, ", ");
		json_put_string(out, files[f]);
	}
	fprintf(out, "], \"format\": \"%s\", ", cfg->input->name);
	json_u64(out, "lines", st->lines, false);
	json_u64(out, "bad_lines", st->bad_lines, true);
	fprintf(out,
		"},\n  \"config\": {\"mode\": \"%s\", \"nested\": \"%s\", ",
		cfg->input->model == RUN_INPUT_SCENARIO ? "scenario" :
							  mode_desc(cfg),
		cfg->input->model == RUN_INPUT_SCENARIO ?
			"scenario" :
			nested_name(cfg->nested));
	json_u64(out, "nested_levels", run_config_nested_levels(cfg), false);
	fprintf(out,
		"\"mmu\": \"%s\", \"page_size\": \"%s\", \"nested_page_size\": \"%s\", ",
		cfg->mmu ? cfg->mmu->name : "none",
		run_page_size_name(cfg->page_size),
		run_page_size_name(cfg->nested_page_size));
	json_u64(out, "tlb_entries", cfg->caches.l1d[CACHES_L1_MAIN].entries,
		 false);
	json_u64(out, "psc_entries", cfg->caches.psc[2].entries, false);
	json_u64(out, "ntlb_entries", cfg->caches.ntlb.entries, false);
	json_u64(out, "seed", cfg->seed, false);
	json_u64(out, "builtin_accesses",
		 cfg->input == &run_builtin_input ? cfg->builtin_accesses : 0,
		 false);
	json_u64(out, "vcpus", s->nr_vcpus, false);
	json_u64(out, "max_table_pages", cfg->max_table_pages, false);
	json_caches(out, &cfg->caches);

	fprintf(out, "},\n  \"accesses\": {");
	json_u64(out, "total", st->accesses, false);
	json_u64(out, "reads", st->reads, false);
	json_u64(out, "writes", st->writes, false);
	json_u64(out, "fetches", st->fetches, false);
	json_u64(out, "page_crossings", st->page_crossings, false);
	json_u64(out, "translations", st->translations, true);

	fprintf(out, "},\n  \"instructions\": {");
	json_u64(out, "total", st->instructions, false);
	fprintf(out,
		"\"tlb_mpki\": %.4f, \"stlb_mpki\": %.4f, \"walks_pki\": %.4f",
		per_kilo(st->tlb_misses, st->instructions),
		per_kilo(st->stlb_lookups - st->stlb_hits, st->instructions),
		per_kilo(st->walks, st->instructions));

	fprintf(out, "},\n  \"tlb\": {");
	json_u64(out, "hits", st->tlb_hits, false);
	json_u64(out, "misses", st->tlb_misses, false);
	json_u64(out, "rights_misses", st->tlb_rights_misses, false);
	json_u64(out, "cr3_writes", st->cr3_writes, false);
	json_u64(out, "cr3_noflush", st->cr3_noflush, false);
	json_u64(out, "invpcid", st->invpcid, false);
	json_u64(out, "global_flushes", st->tlb_global_flushes, false);
	json_u64(out, "invlpg", st->invlpg, false);
	json_u64(out, "invept", st->invept, true);

	for (i = 2; i <= PT64_ROOT_MAX_LEVEL; i++)
		psc_hits += st->psc_hits[i];
	fprintf(out, "},\n  \"psc\": {");
	json_u64(out, "lookups", st->psc_lookups, false);
	fprintf(out, "\"hits_by_level\": {");
	for (i = 2; i <= PT64_ROOT_MAX_LEVEL; i++)
		fprintf(out, "\"%u\": %" PRIu64 "%s", i, st->psc_hits[i],
			i < PT64_ROOT_MAX_LEVEL ? ", " : "");
	fprintf(out, "}, ");
	json_u64(out, "hits", psc_hits, false);
	json_u64(out, "misses", st->psc_lookups - psc_hits, true);

	fprintf(out, "},\n  \"tlb_levels\": {");
	json_u64(out, "l1i_misses", st->l1i_misses, false);
	json_u64(out, "l1d_misses", st->tlb_misses - st->l1i_misses, false);
	json_u64(out, "stlb_lookups", st->stlb_lookups, false);
	json_u64(out, "stlb_hits", st->stlb_hits, false);
	json_u64(out, "stlb_misses", st->stlb_lookups - st->stlb_hits, true);

	run_cycles(s, &cycles);
	fprintf(out, "},\n  \"latency\": {");
	json_u64(out, "walk_cycles", cycles.walks, false);
	fprintf(out, "\"cycles_per_walk\": %.4f, ",
		ratio(cycles.walks, st->walks));
	json_u64(out, "translation_cycles", cycles.translations, true);

	fprintf(out, "},\n  \"nested_tlb\": {");
	json_u64(out, "lookups", st->ntlb_lookups, false);
	json_u64(out, "hits", st->ntlb_hits, false);
	json_u64(out, "misses", st->ntlb_lookups - st->ntlb_hits, true);

	fprintf(out, "},\n  \"nested_psc\": {");
	json_u64(out, "lookups", st->npsc_lookups, false);
	json_u64(out, "hits", st->npsc_hits, false);
	json_u64(out, "misses", st->npsc_lookups - st->npsc_hits, true);

	fprintf(out, "},\n  \"walks\": {");
	json_u64(out, "total", st->walks, false);
	json_u64(out, "restarts", st->walk_restarts, false);
	json_u64(out, "walker_refs", st->walker_refs, false);
	json_u64(out, "refs", st->guest_refs + st->nested_refs, false);
	json_u64(out, "guest_refs", st->guest_refs, false);
	json_u64(out, "nested_refs", st->nested_refs, false);
	fprintf(out, "\"refs_per_walk\": %.4f, \"histogram\": [",
		ratio(st->guest_refs + st->nested_refs, st->walks));
	for (i = 0; i < RUN_REFS_BUCKETS; i++) {
		if (!st->hist_walks[i])
			continue;
		fprintf(out,
			"%s{\"refs\": %u, \"walks\": %" PRIu64
			", \"guest_refs\": %" PRIu64
			", \"nested_refs\": %" PRIu64 "}",
			first ? "" : ", ", i, st->hist_walks[i],
			st->hist_guest[i], st->hist_nested[i]);
		first = false;
	}

	fprintf(out, "]},\n  \"faults\": {");
	json_u64(out, "total", st->faults, false);
	json_u64(out, "pf", st->pf, false);
	json_by_code(out, "pf_by_error_code", st->pf_by_ec,
		     ARRAY_SIZE(st->pf_by_ec), false);
	fprintf(out, ", ");
	json_u64(out, "gp", st->gp, false);
	json_u64(out, "ept_violation", st->ept_violations, false);
	json_by_code(out, "ept_violation_by_qualification", st->ept_by_qual,
		     ARRAY_SIZE(st->ept_by_qual), false);
	fprintf(out, ", ");
	json_u64(out, "ept_misconfig", st->ept_misconfigs, false);
	json_u64(out, "npf", st->npf, false);
	json_by_code(out, "npf_by_error_code", st->npf_by_ec,
		     ARRAY_SIZE(st->npf_by_ec), true);
	fprintf(out, ", ");
	json_u64(out, "cr3_load", st->cr3_load_faults, false);
	json_u64(out, "fixed", st->fixed, false);
	json_u64(out, "unresolved", st->unresolved, true);

	fprintf(out, "},\n  \"demand\": {");
	json_u64(out, "guest_tables", st->guest_tables, false);
	json_u64(out, "nested_tables", st->nested_tables, false);
	json_u64(out, "guest_pages", st->guest_pages, false);
	json_u64(out, "nested_pages", st->nested_pages, false);
	json_u64(out, "reclaims", st->reclaims, true);
	fprintf(out, "},\n");
	run_report_split_json(out, s);

	json_kvmmmu(out, st);

	n = mmu_counters(s, values);
	fprintf(out, "  \"mmu\": {\"name\": \"%s\", \"counters\": {",
		cfg->mmu ? cfg->mmu->name : "none");
	for (i = 0; i < n; i++) {
		json_put_string(out, cfg->mmu->counter_names[i]);
		fprintf(out, ": %" PRIu64 "%s", values[i],
			i + 1 < n ? ", " : "");
	}
	fprintf(out,
		"}},\n  \"time\": {\"seconds\": %.6f, \"per_second\": %.1f},\n",
		st->seconds,
		st->seconds > 0 ? work_items(s) / st->seconds : 0.0);
	fprintf(out, "  \"interrupted\": %s,\n  \"stopped\": %s\n}\n",
		st->interrupted ? "true" : "false",
		st->stopped ? "true" : "false");
}
