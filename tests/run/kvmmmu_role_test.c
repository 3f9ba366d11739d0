/*
 * The role bits a kvmmmu trace does not record (CR0.WP, CR4.SMEP/SMAP/
 * PKE, EFER.NX, RFLAGS.AC): from "mmusim-role:" markers, from options,
 * or inferred when one setting of one bit explains KVM's outcome.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "sim/input/trace_kvmmmu.h"
#include "sim/input/trace_reader.h"
#include "sim/run.h"

static struct run_sim sim;
static char error[TRACE_ERROR_MAX];

static int replay(const struct run_config *cfg, const char *text, size_t len)
{
	struct trace_reader r;
	int ret;

	cr_assert_eq(run_sim_init(&sim, cfg), 0);
	cr_assert_eq(trace_reader_open_mem(&r, text, len, "t"), 0);
	ret = run_kvmmmu(&sim, &r);
	snprintf(error, sizeof(error), "%s", r.error);
	trace_reader_close(&r);
	return ret;
}

static void config(struct run_config *cfg)
{
	run_config_init(cfg);
	cfg->input = &run_kvmmmu_input;
	cfg->json = true;
}

static void done(void)
{
	run_sim_destroy(&sim);
}

TestSuite(kvmmmu_role, .fini = done);

#define FIXTURE MMUSIM_KVM_DATA "/kvmmmu-intel.txt"

/* The fixture, without its "mmusim-role:" lines if @drop_roles. */
static char *fixture(bool drop_roles, size_t *len)
{
	FILE *f = fopen(FIXTURE, "r");
	char line[4096], *text;
	size_t size = 1 << 20;

	cr_assert_not_null(f, "%s", FIXTURE);
	text = malloc(size);
	cr_assert_not_null(text);
	*len = 0;
	while (fgets(line, sizeof(line), f)) {
		if (drop_roles && strstr(line, "mmusim-role:"))
			continue;
		cr_assert_lt(*len + strlen(line), size);
		memcpy(text + *len, line, strlen(line));
		*len += strlen(line);
	}
	fclose(f);
	return text;
}

/* The capture's last case: a CPL-0 fetch of a user page under SMEP. */
Test(kvmmmu_role, the_captured_smep_fetch_agrees_by_its_marker)
{
	const struct run_kvmmmu_stats *k = &sim.st.kvmmmu;
	struct run_config cfg;
	size_t len;
	char *text = fixture(false, &len);

	config(&cfg);
	cr_assert_eq(replay(&cfg, text, len), 0, "%s", error);
	cr_assert_gt(k->walks, 400);
	cr_assert_eq(k->agree, k->walks, "first: line %lu: %s",
		     sim.st.disagreements[0].line,
		     sim.st.disagreements[0].what);
	cr_assert_eq(k->role_lines, 6);
	cr_assert_eq(k->agree_inferred, 0);
	free(text);
}

Test(kvmmmu_role, without_markers_the_smep_fetch_agrees_under_inferred_smep)
{
	const struct run_kvmmmu_stats *k = &sim.st.kvmmmu;
	struct run_config cfg;
	size_t len;
	char *text = fixture(true, &len);

	config(&cfg);
	cr_assert_eq(replay(&cfg, text, len), 0, "%s", error);
	cr_assert_eq(k->role_lines, 0);
	cr_assert_eq(k->disagree, 0, "line %lu: %s",
		     sim.st.disagreements[0].line,
		     sim.st.disagreements[0].what);
	cr_assert_eq(k->agree_inferred, 1);
	cr_assert_eq(k->inferred[KVMMMU_ROLE_CR4_SMEP][1], 1);
	cr_assert_eq(k->agree + 1, k->walks);
	free(text);
}

/* --cr4 gives SMEP (off): nothing is inferred, the walk disagrees. */
Test(kvmmmu_role, an_option_fixes_the_bit_and_the_walk_disagrees)
{
	const struct run_kvmmmu_stats *k = &sim.st.kvmmmu;
	struct run_config cfg;
	size_t len;
	char *text = fixture(true, &len);

	config(&cfg);
	cfg.have_cr4 = true;
	cfg.cr4 = X86_CR4_PAE;
	cr_assert_eq(replay(&cfg, text, len), 0, "%s", error);
	cr_assert_eq(k->disagree, 1);
	cr_assert_eq(k->agree_inferred, 0);
	cr_assert_str_eq(sim.st.disagreements[0].what,
			 "KVM faulted with pferr 0x11, mmusim translated");
	free(text);
}

/* A CPL-0 read of a user page that KVM failed with P: SMAP on, AC 0. */
#define SMAP_READ                                                                     \
	" vcpu-10 [001] ..... 1.000001: kvm_mmu_pagetable_walk: addr 1000 pferr 0 \n" \
	" vcpu-10 [001] ..... 1.000002: kvm_mmu_paging_element: pte 2007 level 4\n"   \
	" vcpu-10 [001] ..... 1.000003: kvm_mmu_paging_element: pte 3007 level 3\n"   \
	" vcpu-10 [001] ..... 1.000004: kvm_mmu_paging_element: pte 4007 level 2\n"   \
	" vcpu-10 [001] ..... 1.000005: kvm_mmu_paging_element: pte 5007 level 1\n"   \
	" vcpu-10 [001] ..... 1.000006: kvm_mmu_walker_error: pferr 1 P\n"
#define MARKER(text)                                                            \
	" vcpu-10 [001] ..... 1.000000: tracing_mark_write: mmusim-role: " text \
	"\n"

Test(kvmmmu_role, a_marker_gives_the_bit)
{
	static const char text[] = MARKER("cr4.smap=1 rflags.ac=0 cpl=0")
		SMAP_READ;
	const struct run_kvmmmu_stats *k = &sim.st.kvmmmu;
	struct run_config cfg;

	config(&cfg);
	cr_assert_eq(replay(&cfg, text, strlen(text)), 0, "%s", error);
	cr_assert_eq(k->agree, 1, "%s", sim.st.disagreements[0].what);
	cr_assert_eq(k->agree_inferred, 0);
}

Test(kvmmmu_role, one_unrecorded_bit_that_explains_is_inferred)
{
	static const char text[] = SMAP_READ;
	const struct run_kvmmmu_stats *k = &sim.st.kvmmmu;
	struct run_config cfg;

	config(&cfg);
	cr_assert_eq(replay(&cfg, text, strlen(text)), 0, "%s", error);
	cr_assert_eq(k->agree_inferred, 1);
	cr_assert_eq(k->inferred[KVMMMU_ROLE_CR4_SMAP][1], 1);
	cr_assert_eq(k->disagree, 0);
}

/* With SMAP and AC both given, no other bit explains the fault. */
Test(kvmmmu_role, an_outcome_no_bit_explains_is_a_disagreement)
{
	static const char text[] = MARKER("cr4.smap=1 rflags.ac=1") SMAP_READ;
	const struct run_kvmmmu_stats *k = &sim.st.kvmmmu;
	struct run_config cfg;

	config(&cfg);
	cr_assert_eq(replay(&cfg, text, strlen(text)), 0, "%s", error);
	cr_assert_eq(k->disagree, 1);
	cr_assert_eq(k->agree_inferred, 0);
	cr_assert_str_eq(sim.st.disagreements[0].what,
			 "KVM faulted with pferr 0x1, mmusim translated");
}

Test(kvmmmu_role, bad_role_lines_are_bad_lines)
{
	static const char text[] = MARKER("cr4.smep=2") SMAP_READ;
	struct run_config cfg;

	config(&cfg);
	cr_assert_eq(replay(&cfg, text, strlen(text)), -EINVAL);
	cr_assert_str_eq(error, "t:1: mmusim-role: 'cr4.smep=2': not 0 or 1");
}
