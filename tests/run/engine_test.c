/*
 * The simulation of mmusim run on small, hand-checked inputs: TLB, PSC
 * and nested TLB counts, demand paging, architectural invalidations, and
 * the kvmmmu replay's verdicts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "sim/run.h"
#include "sim/input/trace_reader.h"

static struct run_sim sim;

static void config(struct run_config *cfg, const struct run_input_ops *input)
{
	run_config_init(cfg);
	cfg->input = input;
}

/* Run @text as @cfg's format; the return of the input's function. */
static int run_text(const struct run_config *cfg, const char *text, char *error,
		    size_t len)
{
	struct trace_reader r;
	int ret;

	cr_assert_eq(run_sim_init(&sim, cfg), 0);
	cr_assert_eq(trace_reader_open_mem(&r, text, strlen(text), "t"), 0);
	ret = cfg->input->run(&sim, &r);
	if (error)
		snprintf(error, len, "%s", r.error[0] ? r.error : sim.error);
	trace_reader_close(&r);
	return ret;
}

static void done(void)
{
	run_sim_destroy(&sim);
}

/* @n copies of @line. */
static char *repeat(const char *line, int n)
{
	size_t len = strlen(line);
	char *text = malloc(len * n + 1);
	int i;

	cr_assert_not_null(text);
	for (i = 0; i < n; i++)
		memcpy(text + i * len, line, len);
	text[len * n] = '\0';
	return text;
}

Test(run_lackey, accesses_to_one_page_walk_once_then_hit_the_tlb)
{
	struct run_config cfg;
	char *text = repeat(" L 1008,8\n", 100);
	const struct run_stats *st = &sim.st;

	config(&cfg, &run_lackey_input);
	cr_assert_eq(run_text(&cfg, text, NULL, 0), 0);
	cr_assert_eq(st->lines, 100);
	cr_assert_eq(st->accesses, 100);
	cr_assert_eq(st->reads, 100);
	cr_assert_eq(st->translations, 100);
	cr_assert_eq(st->tlb_misses, 1);
	cr_assert_eq(st->tlb_hits, 99);
	/* The miss: a walk that faults, demand paging, the walk again. */
	cr_assert_eq(st->walks, 2);
	cr_assert_eq(st->faults, 1);
	cr_assert_eq(st->pf_by_ec[PFERR_USER_MASK], 1);
	cr_assert_eq(st->fixed, 1);
	cr_assert_eq(st->unresolved, 0);
	/* An empty PML4 ends the first walk at once; the second reads 4. */
	cr_assert_eq(st->walker_refs, 5);
	cr_assert_eq(st->guest_refs, 5);
	cr_assert_eq(st->nested_refs, 0);
	cr_assert_eq(st->hist_walks[1], 1);
	cr_assert_eq(st->hist_walks[4], 1);
	cr_assert_eq(st->guest_tables, 4);
	cr_assert_eq(st->guest_pages, 1);
	free(text);
	done();
}

Test(run_lackey, a_psc_hit_at_the_pde_leaves_one_reference)
{
	struct run_config cfg;
	const struct run_stats *st = &sim.st;

	config(&cfg, &run_lackey_input);
	cr_assert_eq(run_text(&cfg, " L 1000,8\n L 2000,8\n", NULL, 0), 0);
	cr_assert_eq(st->walks, 4);
	cr_assert_eq(st->psc_lookups, 4);
	cr_assert_eq(st->psc_hits[2], 2);
	cr_assert_eq(st->psc_hits[0], 2);
	cr_assert_eq(st->walker_refs, 1 + 4 + 4 + 4);
	cr_assert_eq(st->guest_refs, 1 + 4 + 1 + 1);
	done();
}

Test(run_lackey, psc_levels_with_no_psc_every_walk_reads_four)
{
	struct run_config cfg;
	const struct run_stats *st = &sim.st;

	config(&cfg, &run_lackey_input);
	translation_caches_config_psc(&cfg.caches, 0);
	cr_assert_eq(run_text(&cfg, " L 1000,8\n L 2000,8\n", NULL, 0), 0);
	cr_assert_eq(st->psc_lookups, 0);
	cr_assert_eq(st->guest_refs, st->walker_refs);
	done();
}

Test(run_lackey, a_write_after_a_read_walks_again_to_set_dirty)
{
	struct run_config cfg;
	const struct run_stats *st = &sim.st;

	config(&cfg, &run_lackey_input);
	cr_assert_eq(run_text(&cfg,
			      " L 1000,8\n S 1000,8\n S 1008,8\n L 1010,8\n",
			      NULL, 0),
		     0);
	cr_assert_eq(st->translations, 4);
	cr_assert_eq(st->tlb_misses, 1);
	cr_assert_eq(st->tlb_rights_misses, 1);
	cr_assert_eq(st->tlb_hits, 2);
	cr_assert_eq(st->walks, 3);
	cr_assert_eq(st->faults, 1);
	done();
}

Test(run_lackey, modify_is_a_load_and_a_store_and_crossings_count)
{
	struct run_config cfg;
	const struct run_stats *st = &sim.st;

	config(&cfg, &run_lackey_input);
	cr_assert_eq(run_text(&cfg,
			      "==7== Lackey\n M 1000,4\nI  1ffe,4\n==7== end\n",
			      NULL, 0),
		     0);
	cr_assert_eq(st->lines, 4);
	cr_assert_eq(st->accesses, 3);
	cr_assert_eq(st->reads, 1);
	cr_assert_eq(st->writes, 1);
	cr_assert_eq(st->fetches, 1);
	cr_assert_eq(st->page_crossings, 1);
	cr_assert_eq(st->translations, 4);
	done();
}

Test(run_lackey, a_wide_address_in_a_32_bit_mode_stops_the_run)
{
	struct run_config cfg;
	char error[512];

	config(&cfg, &run_lackey_input);
	cfg.mode_level = PT32_ROOT_LEVEL;
	cr_assert_eq(run_text(&cfg, " L 1000,4\n L 100000000,4\n", error,
			      sizeof(error)),
		     -EINVAL);
	cr_assert_str_eq(
		error,
		"t:2: address 0x100000000 does not fit 32 bits (32-bit paging)");
	done();
}

Test(run_lackey, bad_lines_stop_the_run_or_are_counted)
{
	static const char text[] = " L 1000,4\nbad line\n L 1000,4\n S zz,4\n";
	struct run_config cfg;
	char error[512];

	config(&cfg, &run_lackey_input);
	cr_assert_eq(run_text(&cfg, text, error, sizeof(error)), -EINVAL);
	cr_assert_str_eq(
		error,
		"t:2: 'bad line' is not a lackey line (an I, L, S or M record, or valgrind's ==PID== line)");
	cr_assert_eq(sim.st.accesses, 1);
	done();

	cfg.keep_going = true;
	cr_assert_eq(run_text(&cfg, text, NULL, 0), 0);
	cr_assert_eq(sim.st.bad_lines, 2);
	cr_assert_eq(sim.st.lines, 4);
	cr_assert_eq(sim.st.accesses, 2);
	done();
}

Test(run_lackey, a_real_trace_of_bin_true)
{
	static const char path[] = MMUSIM_TEST_DATA "/lackey-true.txt";
	const struct run_stats *st = &sim.st;
	struct run_config cfg;
	struct trace_reader r;

	config(&cfg, &run_lackey_input);
	cr_assert_eq(run_sim_init(&sim, &cfg), 0);
	cr_assert_eq(trace_reader_open(&r, path), 0);
	cr_assert_eq(run_lackey_input.run(&sim, &r), 0, "%s", r.error);
	trace_reader_close(&r);
	/* awk counts: 2356 I, 448 L, 170 S, 20 M. */
	cr_assert_eq(st->lines, 3000);
	cr_assert_eq(st->fetches, 2356);
	cr_assert_eq(st->reads, 448 + 20);
	cr_assert_eq(st->writes, 170 + 20);
	cr_assert_eq(st->accesses, 3014);
	cr_assert_eq(st->translations, st->accesses + st->page_crossings);
	cr_assert_eq(st->tlb_hits + st->tlb_misses + st->tlb_rights_misses,
		     st->translations);
	cr_assert_eq(st->unresolved, 0);
	cr_assert_eq(st->faults, st->fixed);
	done();
}

static void assert_2d_walk(u8 level, u8 nested_level, unsigned int refs)
{
	struct run_config cfg;
	const struct run_stats *st = &sim.st;

	config(&cfg, &run_lackey_input);
	cfg.mode_level = level;
	cfg.nested = SIM_NESTED_EPT;
	cfg.nested_level = nested_level;
	cfg.caches.l1d[CACHES_L1_MAIN].entries = 0;
	translation_caches_config_psc(&cfg.caches, 0);
	cfg.caches.ntlb.entries = 0;
	cr_assert_eq(run_text(&cfg, " L 1000,8\n", NULL, 0), 0);
	/* #PF (empty guest tables), EPT violation (data page), success. */
	cr_assert_eq(st->walks, 3);
	cr_assert_eq(st->pf, 1);
	cr_assert_eq(st->ept_violations, 1);
	cr_assert_eq(st->fixed, 2);
	cr_assert_eq(st->hist_walks[refs], 1, "no walk with %u refs", refs);
	cr_assert_eq(st->guest_refs + st->nested_refs, st->walker_refs);
	done();
}

Test(run_lackey, a_4x4_walk_makes_24_references)
{
	assert_2d_walk(PT64_ROOT_4LEVEL, PT64_ROOT_4LEVEL, 24);
}

Test(run_lackey, a_5x5_walk_makes_35_references)
{
	assert_2d_walk(PT64_ROOT_5LEVEL, PT64_ROOT_5LEVEL, 35);
}

Test(run_lackey, the_nested_tlb_leaves_the_guest_references)
{
	struct run_config cfg;
	const struct run_stats *st = &sim.st;

	config(&cfg, &run_lackey_input);
	cfg.nested = SIM_NESTED_NPT;
	cfg.caches.l1d[CACHES_L1_MAIN].entries = 0;
	translation_caches_config_psc(&cfg.caches, 0);
	cr_assert_eq(run_text(&cfg, " L 1000,8\n L 1000,8\n", NULL, 0), 0);
	cr_assert_eq(st->walks, 4);
	cr_assert_eq(st->npf, 1);
	/* The last walk finds every nested translation in the nested TLB. */
	cr_assert_eq(st->hist_walks[4], 1);
	cr_assert_eq(st->hist_nested[4], 0);
	cr_assert_gt(st->ntlb_hits, 4);
	done();
}

Test(run_lackey, demand_paging_starts_over_when_tables_run_out)
{
	struct run_config cfg;
	const struct run_stats *st = &sim.st;
	char text[4096];
	int i, n = 0;

	config(&cfg, &run_lackey_input);
	cfg.max_table_pages = 16;
	/* Each access in its own 1G region: three tables each. */
	for (i = 0; i < 20; i++)
		n += snprintf(text + n, sizeof(text) - n, " L %x0000000,8\n",
			      i * 4 + 4);
	cr_assert_eq(run_text(&cfg, text, NULL, 0), 0);
	cr_assert_gt(st->reclaims, 0);
	cr_assert_eq(st->unresolved, 0);
	cr_assert_eq(st->fixed, 20 + st->reclaims);
	done();
}

static const char native_setup[] = "scenario tlb\n"
				   "cr0 0x80010001\n"
				   "cr4 0x20\n"
				   "efer 0x100\n"
				   "cr3 0x1000\n"
				   "write64 0x1000 0x2007\n"
				   "write64 0x2000 0x3007\n"
				   "write64 0x3000 0x4007\n"
				   "write64 0x4000 0x5007\n"
				   "write64 0x4008 0x6007\n";

Test(run_native, the_tlb_is_not_coherent_until_invlpg)
{
	char text[2048];
	struct run_config cfg;
	const struct run_stats *st = &sim.st;

	snprintf(text, sizeof(text), "%s%s", native_setup,
		 "read 0x10\n"
		 "read 0x20\n"
		 "write64 0x4000 0\n"
		 "read 0x30\n"
		 "invlpg 0x0\n"
		 "read 0x40\n"
		 "read 0x1000\n"
		 "write64 0x4010 0x7007\n"
		 "read 0x2000\n"
		 "cr3 0x1000\n"
		 "read 0x1000\n");
	config(&cfg, &run_native_input);
	cr_assert_eq(run_text(&cfg, text, NULL, 0), 0, "%s", sim.error);
	cr_assert_eq(st->translations, 7);
	cr_assert_eq(st->tlb_hits, 2);
	cr_assert_eq(st->tlb_misses, 5);
	/* The stale entry hid the cleared PTE until INVLPG. */
	cr_assert_eq(st->pf, 1);
	cr_assert_eq(st->pf_by_ec[0], 1);
	cr_assert_eq(st->invlpg, 1);
	cr_assert_eq(st->cr3_writes, 2);
	cr_assert_eq(st->walks, 5);
	/*
	 * INVLPG and CR3 writes empty the PSC, a faulting walk fills nothing:
	 * only 0x2000 finds its PDE there.
	 */
	cr_assert_eq(st->psc_hits[2], 1);
	cr_assert_eq(st->walker_refs, 20);
	cr_assert_eq(st->guest_refs, 17);
	done();
}

Test(run_native, global_pages_survive_cr3_writes_not_cr4_writes)
{
	char text[2048];
	struct run_config cfg;
	const struct run_stats *st = &sim.st;

	snprintf(text, sizeof(text), "%s%s", native_setup,
		 "cr4 0xa0\n"
		 "write64 0x4000 0x5107\n"
		 "read 0x10\n"
		 "cr3 0x1000\n"
		 "read 0x10\n"
		 "cr4 0x20\n"
		 "read 0x10\n");
	config(&cfg, &run_native_input);
	cr_assert_eq(run_text(&cfg, text, NULL, 0), 0, "%s", sim.error);
	cr_assert_eq(st->tlb_hits, 1);
	cr_assert_eq(st->tlb_misses, 2);
	/* scenario, cr0, cr4, efer, and the two CR4 changes. */
	cr_assert_eq(st->tlb_global_flushes, 6);
	done();
}

Test(run_native, errors_name_the_line_and_the_setting)
{
	struct run_config cfg;
	char error[512];

	config(&cfg, &run_native_input);
	cr_assert_eq(
		run_text(
			&cfg,
			"scenario e\ncr0 0x80000001\ncr4 0x20\nefer 0x100\ncr3 0x400000001000\nread 0\n",
			error, sizeof(error)),
		-EINVAL);
	cr_assert_str_eq(
		error,
		"t:6: cr3 0x400000001000: bits 63:46 are reserved (MAXPHYADDR 46) (cr3 set on line 5)");
	done();
	cr_assert_eq(run_text(&cfg, "scenario e\ninvlpg\n", error,
			      sizeof(error)),
		     -EINVAL);
	cr_assert_str_eq(error, "t:2: invlpg: missing address");
	done();
	cfg.keep_going = true;
	cr_assert_eq(run_text(&cfg, "scenario e\nfoo\nread 0x10\ninvept x\n",
			      NULL, 0),
		     0);
	cr_assert_eq(sim.st.bad_lines, 2);
	cr_assert_eq(sim.st.accesses, 1);
	cr_assert_eq(sim.st.lines, 4);
	done();
}

/* An MMU that counts what the run tells it, through struct run_mmu_ops. */
struct counting_mmu {
	u64 counts[5];
};

static const char *const counting_names[] = { "walks", "faults", "cr3",
					      "invlpg", "writes" };

static int counting_create(void **mmu, struct sim_vcpu *vcpu)
{
	(void)vcpu;
	*mmu = calloc(1, sizeof(struct counting_mmu));
	return *mmu ? 0 : -ENOMEM;
}

static void counting_destroy(void *mmu)
{
	free(mmu);
}

static int counting_walk(void *mmu, const struct run_mmu_walk *w)
{
	cr_assert_not_null(w->rec);
	((struct counting_mmu *)mmu)->counts[w->fault ? 1 : 0]++;
	return 0;
}

static int counting_cr3(void *mmu, u64 cr3)
{
	cr_assert_eq(cr3, 0x1000);
	((struct counting_mmu *)mmu)->counts[2]++;
	return 0;
}

static int counting_invlpg(void *mmu, u64 gva)
{
	(void)gva;
	((struct counting_mmu *)mmu)->counts[3]++;
	return 0;
}

static int counting_write(void *mmu, u64 gpa, u64 val, int bytes)
{
	(void)gpa;
	(void)val;
	cr_assert_eq(bytes, 8);
	((struct counting_mmu *)mmu)->counts[4]++;
	return 0;
}

static void counting_counters(void *mmu, u64 *values)
{
	memcpy(values, ((struct counting_mmu *)mmu)->counts,
	       sizeof(((struct counting_mmu *)mmu)->counts));
}

static const struct run_mmu_ops counting_ops = {
	.name = "counting",
	.create = counting_create,
	.destroy = counting_destroy,
	.on_walk_success = counting_walk,
	.on_fault = counting_walk,
	.on_cr3 = counting_cr3,
	.on_invlpg = counting_invlpg,
	.on_write = counting_write,
	.nr_counters = ARRAY_SIZE(counting_names),
	.counter_names = counting_names,
	.counters = counting_counters,
};

Test(run_mmu, the_hooks_see_walks_faults_cr3_invlpg_and_writes)
{
	char text[2048], *json = NULL;
	struct run_config cfg;
	size_t len = 0;
	FILE *out;

	snprintf(text, sizeof(text), "%s%s", native_setup,
		 "read 0x10\n"
		 "read 0x10\n"
		 "read 0x2000\n"
		 "invlpg 0x10\n"
		 "read 0x10\n");
	config(&cfg, &run_native_input);
	cfg.mmu = &counting_ops;
	cr_assert_eq(run_text(&cfg, text, NULL, 0), 0, "%s", sim.error);
	out = open_memstream(&json, &len);
	cr_assert_not_null(out);
	run_report_json(out, &sim, NULL, 0);
	fclose(out);
	cr_assert_not_null(
		strstr(json, "\"mmu\": {\"name\": \"counting\", \"counters\": "
			     "{\"walks\": 2, \"faults\": 1, \"cr3\": 1, "
			     "\"invlpg\": 1, \"writes\": 5}}"),
		"%s", json);
	free(json);
	done();
}

/* A 4-level write walk of 0x1000: A set at L4 (root at 0x9000) and L1. */
static const char kvm_walk[] =
	"# tracer: nop\n"
	" vcpu-10 [001] ..... 1.000001: kvm_mmu_pagetable_walk: addr 1000 pferr 2 W\n"
	" vcpu-10 [001] ..... 1.000002: kvm_mmu_paging_element: pte 2007 level 4\n"
	" vcpu-10 [001] ..... 1.000003: kvm_mmu_paging_element: pte 3027 level 3\n"
	" vcpu-10 [001] ..... 1.000004: kvm_mmu_paging_element: pte 4027 level 2\n"
	" vcpu-10 [001] ..... 1.000005: kvm_mmu_paging_element: pte 5007 level 1\n"
	" vcpu-10 [001] ..... 1.000006: kvm_mmu_set_accessed_bit: gpa 9000\n"
	" vcpu-10 [001] ..... 1.000007: kvm_mmu_set_accessed_bit: gpa 4008\n";

Test(run_kvmmmu, a_recorded_walk_agrees_with_its_replay)
{
	char text[4096];
	struct run_config cfg;
	const struct run_kvmmmu_stats *k = &sim.st.kvmmmu;

	snprintf(
		text, sizeof(text), "%s%s", kvm_walk,
		" vcpu-10 [001] ..... 1.000008: kvm_mmu_set_dirty_bit: gpa 4008\n");
	config(&cfg, &run_kvmmmu_input);
	cfg.json = true;
	cr_assert_eq(run_text(&cfg, text, NULL, 0), 0);
	cr_assert_eq(k->walks, 1);
	cr_assert_eq(k->agree, 1, "%s", sim.st.disagreements[0].what);
	cr_assert_eq(k->header_lines, 1);
	cr_assert_eq(k->element_events, 4);
	done();
}

Test(run_kvmmmu, a_missing_dirty_update_is_a_disagreement_at_its_line)
{
	struct run_config cfg;
	const struct run_stats *st = &sim.st;

	char text[4096];

	/* The next walk closes it; a walk the trace's end cuts is not judged. */
	snprintf(
		text, sizeof(text), "%s%s", kvm_walk,
		" vcpu-10 [001] ..... 1.000009: kvm_mmu_pagetable_walk: addr 1000 pferr 0\n");
	config(&cfg, &run_kvmmmu_input);
	cfg.json = true;
	cr_assert_eq(run_text(&cfg, text, NULL, 0), 0);
	cr_assert_eq(st->kvmmmu.disagree, 1);
	cr_assert_eq(st->kvmmmu.incomplete, 1);
	cr_assert_eq(st->nr_disagreements, 1);
	cr_assert_eq(st->disagreements[0].line, 2);
	cr_assert_eq(st->disagreements[0].addr, 0x1000);
	cr_assert_str_eq(
		st->disagreements[0].what,
		"A/D set: KVM A at levels 0x12 D 0x0, mmusim A 0x12 D 0x2 (bit N: level N)");
	done();
}

Test(run_kvmmmu, faults_restarts_and_trace_cmd_lines)
{
	static const char text[] =
		"cpus=2\n"
		"q-5 [000] 2.000001: kvm_mmu_pagetable_walk: addr 400000 pferr 6 W|U\n"
		"q-5 [000] 2.000002: kvm_mmu_paging_element: pte 2027 level 4\n"
		"q-5 [000] 2.000003: kvm_mmu_paging_element: pte 3027 level 3\n"
		"q-5 [000] 2.000004: kvm_mmu_paging_element: pte 0 level 2\n"
		"q-5 [000] 2.000005: kvm_mmu_walker_error: pferr 6 W|U\n"
		"q-5 [000] 2.000006: kvm_mmu_pagetable_walk: addr 1000 pferr 4 U\n"
		"q-5 [000] 2.000007: kvm_mmu_paging_element: pte 2027 level 4\n"
		"q-5 [000] 2.000008: kvm_mmu_paging_element: pte 3027 level 3\n"
		"q-5 [000] 2.000009: kvm_mmu_paging_element: pte 4027 level 2\n"
		"q-5 [000] 2.000010: kvm_mmu_paging_element: pte 5005 level 1\n"
		"q-5 [000] 2.000011: kvm_mmu_set_accessed_bit: gpa 4008\n"
		"q-5 [000] 2.000012: kvm_mmu_paging_element: pte 2027 level 4\n"
		"q-5 [000] 2.000013: kvm_mmu_paging_element: pte 3027 level 3\n"
		"q-5 [000] 2.000014: kvm_mmu_paging_element: pte 4027 level 2\n"
		"q-5 [000] 2.000015: kvm_mmu_paging_element: pte 5025 level 1\n"
		"q-5 [000] 2.000016: kvm_mmu_spte_requested: gfn 5 pfn 1234 level 1\n"
		"q-5 [000] 2.000017: kvm_mmu_pagetable_walk: addr 1000 pferr 7 P|W|U\n"
		"q-5 [000] 2.000018: kvm_mmu_paging_element: pte 2027 level 4\n"
		"q-5 [000] 2.000019: kvm_mmu_paging_element: pte 3027 level 3\n"
		"q-5 [000] 2.000020: kvm_mmu_paging_element: pte 4027 level 2\n"
		"q-5 [000] 2.000021: kvm_mmu_paging_element: pte 5025 level 1\n"
		"q-5 [000] 2.000022: kvm_mmu_walker_error: pferr 7 P|W|U\n";
	struct run_config cfg;
	const struct run_kvmmmu_stats *k = &sim.st.kvmmmu;

	config(&cfg, &run_kvmmmu_input);
	cfg.json = true;
	cr_assert_eq(run_text(&cfg, text, NULL, 0), 0);
	cr_assert_eq(k->walks, 3);
	cr_assert_eq(k->agree, 3, "%s", sim.st.disagreements[0].what);
	cr_assert_eq(k->restarts, 1);
	cr_assert_eq(k->ignored_events, 1);
	cr_assert_eq(k->nr_event_names, 1);
	cr_assert_str_eq(k->event_names[0], "kvm_mmu_spte_requested");
	done();
}

Test(run_kvmmmu, cut_walks_orphans_and_nested_walks_are_not_judged)
{
	static const char text[] =
		"a-1 [000] 1.000001: kvm_mmu_paging_element: pte 2027 level 4\n"
		"a-1 [000] 1.000002: kvm_mmu_pagetable_walk: addr 1000 pferr 0\n"
		"a-1 [000] 1.000003: kvm_mmu_paging_element: pte 2027 level 4\n"
		"CPU:0 [LOST 7 EVENTS]\n"
		"a-1 [000] 1.000004: kvm_mmu_pagetable_walk: addr 1000 pferr 0\n"
		"a-1 [000] 1.000005: kvm_mmu_pagetable_walk: addr 5000 pferr 0\n"
		"a-1 [000] 1.000006: kvm_mmu_paging_element: pte 6027 level 4\n";
	struct run_config cfg;
	const struct run_kvmmmu_stats *k = &sim.st.kvmmmu;

	config(&cfg, &run_kvmmmu_input);
	cfg.json = true;
	cr_assert_eq(run_text(&cfg, text, NULL, 0), 0);
	cr_assert_eq(k->orphan_events, 1);
	cr_assert_eq(k->lost_events, 7);
	cr_assert_eq(k->walks, 3);
	cr_assert_eq(k->incomplete, 2);
	cr_assert_eq(k->skipped, 1);
	cr_assert_eq(k->disagree, 0);
	done();
}

Test(run_kvmmmu, the_real_fixture_agrees_fully)
{
	static const char path[] = MMUSIM_KVM_DATA "/kvmmmu-sweep.txt";
	const struct run_kvmmmu_stats *k = &sim.st.kvmmmu;
	struct run_config cfg;
	struct trace_reader r;

	if (access(path, R_OK))
		cr_skip_test("%s is not there", path);
	config(&cfg, &run_kvmmmu_input);
	cfg.json = true;
	/* The guest (AMD, MAXPHYADDR 48, no 1G pages) is the file's word. */
	cr_assert_eq(run_sim_init(&sim, &cfg), 0);
	cr_assert_eq(trace_reader_open(&r, path), 0);
	cr_assert_eq(run_kvmmmu(&sim, &r), 0);
	trace_reader_close(&r);
	cr_assert_gt(k->walks, 0);
	cr_assert_eq(k->agree, k->walks,
		     "%lu of %lu agree; first: line %lu: %s",
		     (unsigned long)k->agree, (unsigned long)k->walks,
		     sim.st.disagreements[0].line,
		     sim.st.disagreements[0].what);
	cr_assert_gt(k->error_events, 0);
	cr_assert_eq(k->guest_lines, 1);
	cr_assert(sim.cfg.amd);
	cr_assert_eq(sim.cfg.maxphyaddr, 48);
	cr_assert(sim.cfg.no_gbpages);
	done();
}

/*
 * trace-cmd report text of a capture (the first 722 lines, up to the
 * second test case's walk): instance-name prefixes, no flags column,
 * trace_marker lines as "print: tracing_mark_write: ...".
 */
Test(run_kvmmmu, the_trace_cmd_fixture_agrees_fully)
{
	static const char path[] = MMUSIM_KVM_DATA "/kvmmmu-trace-cmd.txt";
	const struct run_kvmmmu_stats *k = &sim.st.kvmmmu;
	struct run_config cfg;
	struct trace_reader r;

	config(&cfg, &run_kvmmmu_input);
	cfg.json = true;
	cr_assert_eq(run_sim_init(&sim, &cfg), 0);
	cr_assert_eq(trace_reader_open(&r, path), 0);
	cr_assert_eq(run_kvmmmu(&sim, &r), 0, "%s", r.error);
	trace_reader_close(&r);
	cr_assert_eq(k->walks, 141);
	cr_assert_eq(k->agree, 141, "first: line %lu: %s",
		     sim.st.disagreements[0].line,
		     sim.st.disagreements[0].what);
	cr_assert_eq(k->dirty_events, 1);
	/* The header line and kvm_sweep's trace_marker line. */
	cr_assert_eq(k->guest_lines, 2);
	cr_assert(!sim.cfg.amd);
	cr_assert_eq(sim.cfg.maxphyaddr, 48);
	done();
}

static void builtin(u64 accesses, struct run_stats *out)
{
	struct run_config cfg;

	config(&cfg, &run_builtin_input);
	cfg.builtin_accesses = accesses;
	cr_assert_eq(run_sim_init(&sim, &cfg), 0);
	cr_assert_eq(run_builtin(&sim), 0, "%s", sim.error);
	*out = sim.st;
	done();
}

Test(run_builtin, is_deterministic_and_has_every_kind_of_fault)
{
	static struct run_stats a, b;

	builtin(210000, &a);
	builtin(210000, &b);
	cr_assert_geq(a.accesses, 210000);
	cr_assert_eq(a.accesses, b.accesses);
	cr_assert_eq(a.tlb_hits, b.tlb_hits);
	cr_assert_eq(a.walks, b.walks);
	cr_assert_eq(a.guest_refs, b.guest_refs);
	cr_assert_eq(a.faults, b.faults);
	/* Several address spaces, unmaps, and the faults left to the guest. */
	cr_assert_gt(a.cr3_writes, 4);
	cr_assert_eq(a.invlpg, 2);
	cr_assert_eq(a.pf_by_ec[PFERR_PRESENT_MASK | PFERR_WRITE_MASK |
				PFERR_USER_MASK],
		     1);
	cr_assert_eq(a.pf_by_ec[PFERR_PRESENT_MASK | PFERR_USER_MASK], 1);
	cr_assert_eq(a.gp, 1);
	cr_assert_eq(a.unresolved, 3);
	cr_assert_gt(a.fixed, 1000);
	cr_assert_gt(a.tlb_hits, a.tlb_misses);
	cr_assert_gt(a.reads, 0);
	cr_assert_gt(a.writes, 0);
	cr_assert_gt(a.fetches, 0);
}

/* Run each of @texts as a lackey file of one run. */
static void run_lackey_files(const struct run_config *cfg,
			     const char *const *texts, int n)
{
	struct trace_reader r;
	int i;

	cr_assert_eq(run_sim_init(&sim, cfg), 0);
	for (i = 0; i < n; i++) {
		cr_assert_eq(trace_reader_open_mem(&r, texts[i],
						   strlen(texts[i]), "t"),
			     0);
		cr_assert_eq(run_lackey_input.run(&sim, &r), 0, "%s",
			     sim.error);
		trace_reader_close(&r);
	}
}

Test(run_process, the_same_trace_given_twice_walks_twice_as_often)
{
	static struct run_stats once;
	const char *text[2];
	struct run_config cfg;
	struct run_counts c;
	char *trace;
	unsigned int i;

	trace = malloc(64 * 32 + 1);
	cr_assert_not_null(trace);
	trace[0] = '\0';
	for (i = 0; i < 64; i++)
		sprintf(trace + strlen(trace), " L %x,8\n",
			0x10000 + i * 0x1000);
	text[0] = text[1] = trace;
	config(&cfg, &run_lackey_input);
	run_lackey_files(&cfg, text, 1);
	once = sim.st;
	cr_assert_eq(once.walks, 2 * 64);
	done();

	run_lackey_files(&cfg, text, 2);
	cr_assert_eq(sim.demand.nr_procs, 2);
	cr_assert_neq(sim.demand.procs[0].root, sim.demand.procs[1].root);
	cr_assert_eq(sim.st.walks, 2 * once.walks);
	cr_assert_eq(sim.st.tlb_misses, 2 * once.tlb_misses);
	cr_assert_eq(sim.st.faults, 2 * once.faults);
	cr_assert_eq(sim.st.guest_pages, 2 * once.guest_pages);
	/* Switching to the second process is one CR3 write. */
	cr_assert_eq(sim.st.cr3_writes, 1);
	for (i = 0; i < 2; i++) {
		run_process_counts(&sim, i, &c);
		cr_assert_eq(c.accesses, once.accesses);
		cr_assert_eq(c.walks, once.walks);
		cr_assert_eq(c.tlb_misses, once.tlb_misses);
		cr_assert_eq(c.guest_refs, once.guest_refs);
		cr_assert_eq(c.faults, once.faults);
		cr_assert_eq(c.cr3_writes, (u64)i);
	}
	free(trace);
	done();
}

Test(run_process, the_builtin_processes_add_up_to_the_totals)
{
	struct run_config cfg;
	struct run_counts c, sum = { 0 };
	unsigned int i;

	config(&cfg, &run_builtin_input);
	cfg.builtin_accesses = 110000;
	cr_assert_eq(run_sim_init(&sim, &cfg), 0);
	cr_assert_eq(run_builtin(&sim), 0, "%s", sim.error);
	cr_assert_eq(sim.demand.nr_procs, 4);
	for (i = 0; i < sim.demand.nr_procs; i++) {
		run_process_counts(&sim, i, &c);
		/* Each process ran for 25,000 accesses at least once. */
		cr_assert_geq(c.accesses, 25000);
		sum.accesses += c.accesses;
		sum.walks += c.walks;
		sum.tlb_hits += c.tlb_hits;
		sum.faults += c.faults;
		sum.guest_refs += c.guest_refs;
	}
	cr_assert_eq(sum.accesses, sim.st.accesses);
	cr_assert_eq(sum.walks, sim.st.walks);
	cr_assert_eq(sum.tlb_hits, sim.st.tlb_hits);
	cr_assert_eq(sum.faults, sim.st.faults);
	cr_assert_eq(sum.guest_refs, sim.st.guest_refs);
	done();
}

static bool user_rwx(const struct run_demand *d, u64 gva, u64 *flags)
{
	(void)d;
	(void)gva;
	*flags = PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK;
	return true;
}

static void user_read(u64 addr)
{
	struct sim_access a = {
		.kind = SIM_ACCESS_READ,
		.priv = SIM_PRIV_USER,
		.addr = addr,
	};

	sim.st.accesses++;
	cr_assert_eq(run_access(&sim, &a), 0, "%s", sim.error);
}

Test(run_vcpu, each_vcpu_has_its_own_tlb_over_shared_tables)
{
	struct run_config cfg;
	struct run_counts c;
	u64 requests;

	config(&cfg, &run_lackey_input);
	cr_assert_eq(run_sim_init(&sim, &cfg), 0);
	cr_assert_eq(run_demand_init(&sim, 1, false, user_rwx), 0);
	cr_assert_eq(run_vcpus_grow(&sim, 2), 0);
	cr_assert_eq(sim.nr_vcpus, 2);

	/* vCPU 0: a miss, a fault demand paging fixes, the walk again. */
	user_read(0x5000);
	cr_assert_eq(sim.st.walks, 2);
	cr_assert_eq(sim.st.faults, 1);
	/* vCPU 1 misses in its own TLB, but the tables are there: 1 walk. */
	cr_assert_eq(run_vcpu_switch(&sim, 1), 0);
	user_read(0x5008);
	cr_assert_eq(sim.st.tlb_misses, 2);
	cr_assert_eq(sim.st.walks, 3);
	cr_assert_eq(sim.st.faults, 1);
	/* Back on vCPU 0 its TLB still holds the page; no CR3 was written. */
	cr_assert_eq(run_vcpu_switch(&sim, 0), 0);
	user_read(0x5010);
	cr_assert_eq(sim.st.tlb_hits, 1);
	cr_assert_eq(sim.st.cr3_writes, 0);

	run_vcpu_counts(&sim, 0, &c, &requests);
	cr_assert_eq(c.accesses, 2);
	cr_assert_eq(c.tlb_hits, 1);
	cr_assert_eq(c.walks, 2);
	cr_assert_eq(requests, 0);
	run_vcpu_counts(&sim, 1, &c, &requests);
	cr_assert_eq(c.accesses, 1);
	cr_assert_eq(c.tlb_misses, 1);
	cr_assert_eq(c.walks, 1);
	cr_assert_eq(c.faults, 0);
	cr_assert_eq(run_vcpu_switch(&sim, 2), -EINVAL);
	done();
}

Test(run_vcpu, a_vcpu_keeps_its_process_and_cr3)
{
	struct run_config cfg;
	unsigned int proc;

	config(&cfg, &run_lackey_input);
	cr_assert_eq(run_sim_init(&sim, &cfg), 0);
	cr_assert_eq(run_demand_init(&sim, 1, false, user_rwx), 0);
	cr_assert_eq(run_vcpus_grow(&sim, 2), 0);
	cr_assert_eq(run_demand_add_process(&sim, &proc), 0);
	cr_assert_eq(run_vcpu_switch(&sim, 1), 0);
	cr_assert_eq(run_demand_switch(&sim, proc), 0);
	cr_assert_eq(sim.vcpu.cr3, sim.demand.procs[1].root);
	cr_assert_eq(run_vcpu_switch(&sim, 0), 0);
	cr_assert_eq(sim.vcpu.cr3, sim.demand.procs[0].root);
	cr_assert_eq(sim.demand.cur, 0);
	cr_assert_eq(run_vcpu_switch(&sim, 1), 0);
	cr_assert_eq(sim.vcpu.cr3, sim.demand.procs[1].root);
	/* Only the process switch on vCPU 1 was a CR3 write. */
	cr_assert_eq(sim.st.cr3_writes, 1);
	done();
}

static void builtin_vcpus(const char *mmu, unsigned int nr_vcpus)
{
	struct run_config cfg;
	char why[160];

	config(&cfg, &run_builtin_input);
	cfg.builtin_accesses = 210000;
	cfg.nr_vcpus = nr_vcpus;
	cfg.mmu = run_mmu_find(mmu, why, sizeof(why));
	cr_assert_not_null(cfg.mmu);
	cr_assert_eq(run_sim_init(&sim, &cfg), 0);
	cr_assert_eq(run_builtin(&sim), 0, "%s", sim.error);
}

Test(run_vcpu, builtin_vcpus_take_turns_and_add_up_to_the_totals)
{
	struct run_counts c, sum = { 0 };
	u64 requests, all_requests = 0;
	unsigned int i;

	builtin_vcpus("shadow", 3);
	cr_assert_eq(sim.nr_vcpus, 3);
	for (i = 0; i < sim.nr_vcpus; i++) {
		run_vcpu_counts(&sim, i, &c, &requests);
		/* Turns of 1000 accesses: 70 each, give or take one. */
		cr_assert_geq(c.accesses, 69000);
		cr_assert_leq(c.accesses, 71100);
		sum.accesses += c.accesses;
		sum.walks += c.walks;
		sum.faults += c.faults;
		sum.tlb_misses += c.tlb_misses;
		sum.cr3_writes += c.cr3_writes;
		all_requests += requests;
	}
	cr_assert_eq(sum.accesses, sim.st.accesses);
	cr_assert_eq(sum.walks, sim.st.walks);
	cr_assert_eq(sum.faults, sim.st.faults);
	cr_assert_eq(sum.tlb_misses, sim.st.tlb_misses);
	cr_assert_eq(sum.cr3_writes, sim.st.cr3_writes);
	/* Unmapping a shadowed PTE makes shadow_mmu flush every vCPU. */
	cr_assert_gt(all_requests, 0);
	cr_assert_eq(all_requests, run_remote_flush_requests(&sim));
	/* Each unmap is an INVLPG here and on the vCPUs on that process. */
	cr_assert_geq(sim.st.invlpg, 2);
	done();
}

Test(run_vcpu, one_vcpu_runs_as_before_and_more_vcpus_miss_more)
{
	static struct run_stats one, four;

	builtin_vcpus("tdp", 1);
	one = sim.st;
	cr_assert_eq(sim.nr_vcpus, 1);
	/* 4 processes, a switch every 25,000 accesses. */
	cr_assert_eq(one.cr3_writes, 8);
	done();
	builtin_vcpus("tdp", 4);
	four = sim.st;
	cr_assert_eq(four.accesses, one.accesses);
	/*
	 * Four vCPUs of 52,500 accesses each switch their process every
	 * 25,000 of their own: twice each.
	 */
	cr_assert_eq(four.cr3_writes, 4 * 2);
	/* Four cold TLBs and turns of 1000 accesses miss more than one. */
	cr_assert_gt(four.tlb_misses, one.tlb_misses);
	done();
}

/*
 * Two address spaces under CR4.PCIDE (PAE, PGE, PCIDE; long mode): A at
 * 0x1000 maps 0x0 -> 0x5000, 0x1000 -> 0x6000 and a global 2M page at
 * 0x200000; B at 0xa000 maps 0x0 -> 0xe000 only.  CR3 is A with PCID 1.
 */
static const char pcid_setup[] = "scenario pcid\n"
				 "cr0 0x80010001\n"
				 "efer 0x100\n"
				 "cr4 0x200a0\n"
				 "write64 0x1000 0x2007\n"
				 "write64 0x2000 0x3007\n"
				 "write64 0x3000 0x4007\n"
				 "write64 0x3008 0x400187\n"
				 "write64 0x4000 0x5007\n"
				 "write64 0x4008 0x6007\n"
				 "write64 0xa000 0xb007\n"
				 "write64 0xb000 0xc007\n"
				 "write64 0xc000 0xd007\n"
				 "write64 0xd000 0xe007\n"
				 "cr3 0x1001\n";

static void run_pcid(const char *body)
{
	static char text[4096];
	struct run_config cfg;

	snprintf(text, sizeof(text), "%s%s", pcid_setup, body);
	config(&cfg, &run_native_input);
	cr_assert_eq(run_text(&cfg, text, NULL, 0), 0, "%s", sim.error);
}

Test(run_pcid, cr3_bit_63_keeps_the_pcid_s_entries)
{
	const struct run_stats *st = &sim.st;

	run_pcid("read 0x10\n" /* miss, PCID 1 */
		 "cr3 0xa002\n" /* flushes PCID 2 only */
		 "read 0x10\n" /* miss, PCID 2 */
		 "cr3 0x8000000000001001\n" /* PCID 1, no flush */
		 "read 0x10\n" /* hit */
		 "cr3 0x800000000000a002\n" /* PCID 2, no flush */
		 "read 0x10\n" /* hit */
		 "cr3 0x1001\n" /* flushes PCID 1 */
		 "read 0x10\n"); /* miss */
	cr_assert_eq(st->tlb_misses, 3);
	cr_assert_eq(st->tlb_hits, 2);
	cr_assert_eq(st->cr3_writes, 5);
	cr_assert_eq(st->cr3_noflush, 2);
	cr_assert_eq(st->faults, 0);
	/* Bit 63 is not kept in CR3. */
	cr_assert_eq(sim.vcpu.cr3, 0x1001);
	done();
}

Test(run_pcid, without_pcide_every_cr3_write_flushes)
{
	char text[4096];
	struct run_config cfg;
	const struct run_stats *st = &sim.st;

	snprintf(text, sizeof(text), "%s%s", pcid_setup,
		 "cr4 0xa0\n"
		 "cr3 0x1000\n"
		 "read 0x10\n"
		 "cr3 0xa000\n"
		 "read 0x10\n"
		 "cr3 0x1000\n"
		 "read 0x10\n");
	config(&cfg, &run_native_input);
	cr_assert_eq(run_text(&cfg, text, NULL, 0), 0, "%s", sim.error);
	cr_assert_eq(st->tlb_misses, 3);
	cr_assert_eq(st->tlb_hits, 0);
	cr_assert_eq(st->cr3_noflush, 0);
	done();
}

Test(run_pcid, the_psc_is_tagged_with_the_pcid)
{
	const struct run_stats *st = &sim.st;

	run_pcid("read 0x10\n" /* PSC miss: 4 refs */
		 "cr3 0x800000000000a002\n" /* PCID 2 */
		 "read 0x10\n" /* PSC miss: 4 refs of B */
		 "cr3 0x8000000000001001\n" /* PCID 1 */
		 "read 0x1010\n"); /* A's PDE cached: 1 ref */
	cr_assert_eq(st->walks, 3);
	cr_assert_eq(st->psc_hits[0], 2);
	cr_assert_eq(st->psc_hits[2], 1);
	cr_assert_eq(st->guest_refs, 4 + 4 + 1);
	done();
}

Test(run_pcid, invpcid_types_0_and_1_drop_one_pcid)
{
	const struct run_stats *st = &sim.st;

	run_pcid("read 0x10\n" /* miss */
		 "read 0x1010\n" /* miss */
		 "cr3 0x800000000000a002\n"
		 "read 0x10\n" /* miss */
		 "invpcid 0 1 0x0\n" /* PCID 1's page 0x0 */
		 "cr3 0x8000000000001001\n"
		 "read 0x1010\n" /* hit: another page */
		 "read 0x10\n" /* miss */
		 "invpcid 1 2\n" /* all of PCID 2 */
		 "read 0x1010\n" /* hit: PCID 1 */
		 "cr3 0x800000000000a002\n"
		 "read 0x10\n"); /* miss */
	cr_assert_eq(st->tlb_misses, 5);
	cr_assert_eq(st->tlb_hits, 2);
	cr_assert_eq(st->invpcid, 2);
	done();
}

Test(run_pcid, global_entries_serve_every_pcid_until_invpcid_type_2)
{
	const struct run_stats *st = &sim.st;

	run_pcid("read 0x200010\n" /* miss: a global 2M entry */
		 "cr3 0xa002\n" /* B does not map 0x200000 ... */
		 "read 0x200010\n" /* ... but the global entry hits */
		 "invpcid 3\n" /* all contexts, globals spared */
		 "read 0x200010\n" /* hit */
		 "invpcid 0 2 0x200000\n" /* type 0 spares globals too */
		 "read 0x200010\n" /* hit */
		 "invlpg 0x200000\n" /* INVLPG drops global entries */
		 "read 0x200010\n" /* miss: B's walk faults */
		 "cr3 0x1001\n"
		 "read 0x200010\n" /* miss: global again */
		 "cr3 0xa002\n"
		 "invpcid 2\n" /* everything */
		 "read 0x200010\n"); /* miss: #PF */
	cr_assert_eq(st->tlb_hits, 3);
	cr_assert_eq(st->tlb_misses, 4);
	cr_assert_eq(st->faults, 2);
	cr_assert_eq(st->pf_by_ec[0], 2);
	done();
}

Test(run_pcid, invlpg_spares_other_pcids)
{
	const struct run_stats *st = &sim.st;

	run_pcid("read 0x10\n" /* miss, PCID 1 */
		 "cr3 0x800000000000a002\n"
		 "read 0x10\n" /* miss, PCID 2 */
		 "invlpg 0x0\n" /* PCID 2's entry */
		 "cr3 0x8000000000001001\n"
		 "read 0x10\n" /* hit */
		 "cr3 0x800000000000a002\n"
		 "read 0x10\n"); /* miss */
	cr_assert_eq(st->tlb_misses, 3);
	cr_assert_eq(st->tlb_hits, 1);
	done();
}

Test(run_pcid, invalid_invpcid_and_pcide_are_errors_at_their_line)
{
	static const struct {
		const char *body;
		const char *message;
	} cases[] = {
		{ "cr4 0xa0\ninvpcid 1 5\n",
		  "t:17: invpcid: PCID 0x5 with CR4.PCIDE clear (#GP)" },
		{ "invpcid 4\n", "t:16: invpcid: type 4 is out of range 0..3" },
		{ "invpcid 0 0x1000 0\n",
		  "t:16: invpcid: PCID 0x1000 does not fit 12 bits" },
		{ "invpcid 0 1 0x800000000000\n",
		  "t:16: invpcid: address 0x800000000000 is not canonical (#GP)" },
		{ "invpcid 1\n", "t:16: invpcid: missing PCID" },
		{ "invpcid 2 1\n", "t:16: invpcid: unexpected '1'" },
		{ "efer 0\ncr0 0x1\nread 0x10\n",
		  "t:18: cr4 0x200a0 sets PCIDE outside long mode (cr4 set on line 4)" },
	};
	char text[4096], error[512];
	struct run_config cfg;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(text, sizeof(text), "%s%s", pcid_setup, cases[i].body);
		config(&cfg, &run_native_input);
		cr_assert_lt(run_text(&cfg, text, error, sizeof(error)), 0);
		cr_assert_str_eq(error, cases[i].message);
		done();
	}
}

Test(run_report, an_mpki_never_rounds_a_miss_away)
{
	struct run_config cfg;
	char *text = repeat("I  1000,4\n", 500000);
	char out[8192];
	FILE *f = fmemopen(out, sizeof(out), "w");

	/* 1 miss in 500000 instructions: an MPKI of 0.002 is shown as 0.01. */
	config(&cfg, &run_lackey_input);
	cr_assert_eq(run_text(&cfg, text, NULL, 0), 0);
	cr_assert_eq(sim.st.instructions, 500000);
	cr_assert_eq(sim.st.tlb_misses, 1);
	run_report_text(f, &sim, NULL, 0);
	fclose(f);
	cr_assert_not_null(strstr(out, "(MPKI) 0.01, walks per 1000 0.01"),
			   "%s", out);
	free(text);
	done();
}

Test(run_report, a_percentage_never_rounds_a_miss_away)
{
	struct run_config cfg;
	char *text = repeat(" L 1000,8\n", 30000);
	char out[8192];
	FILE *f = fmemopen(out, sizeof(out), "w");

	/* 1 miss in 30000 lookups: 99.9967% is shown as 99.99%. */
	config(&cfg, &run_lackey_input);
	cr_assert_eq(run_text(&cfg, text, NULL, 0), 0);
	cr_assert_eq(sim.st.tlb_misses, 1);
	run_report_text(f, &sim, NULL, 0);
	fclose(f);
	cr_assert_not_null(strstr(out, "hits 29999 (99.99%), misses 1"), "%s",
			   out);
	free(text);
	done();
}
