/*
 * kvm_mmu_set_spte events against shadow_mmu: the SPTE KVM set for the
 * page a walk translated, beside the one shadow_mmu builds for the same
 * access over the walk's memory.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sim/input/trace_kvmmmu.h"
#include "sim/input/trace_reader.h"
#include "sim/run.h"

static struct run_sim sim;
static char error[TRACE_ERROR_MAX];

static int replay_file(const char *path)
{
	struct run_config cfg;
	struct trace_reader r;
	int ret;

	run_config_init(&cfg);
	cfg.input = &run_kvmmmu_input;
	cfg.json = true;
	cr_assert_eq(run_sim_init(&sim, &cfg), 0);
	cr_assert_eq(trace_reader_open(&r, path), 0, "%s", path);
	ret = run_kvmmmu(&sim, &r);
	snprintf(error, sizeof(error), "%s", r.error);
	trace_reader_close(&r);
	return ret;
}

static int replay(const char *text)
{
	struct run_config cfg;
	struct trace_reader r;
	int ret;

	run_config_init(&cfg);
	cfg.input = &run_kvmmmu_input;
	cfg.json = true;
	cr_assert_eq(run_sim_init(&sim, &cfg), 0);
	cr_assert_eq(trace_reader_open_mem(&r, text, strlen(text), "t"), 0);
	ret = run_kvmmmu(&sim, &r);
	snprintf(error, sizeof(error), "%s", r.error);
	trace_reader_close(&r);
	return ret;
}

static void done(void)
{
	run_sim_destroy(&sim);
}

TestSuite(kvmmmu_spte, .fini = done);

/* A user access of 0x1000 through a clean (A set, D clear) leaf, 0x5000. */
#define WALK(t, pferr, flags)                                                \
	"q-5 [000] 2.0000" t                                                 \
	"1: kvm_mmu_pagetable_walk: addr 1000 pferr " pferr " " flags "\n"   \
	"q-5 [000] 2.0000" t "2: kvm_mmu_paging_element: pte 2027 level 4\n" \
	"q-5 [000] 2.0000" t "3: kvm_mmu_paging_element: pte 3027 level 3\n" \
	"q-5 [000] 2.0000" t "4: kvm_mmu_paging_element: pte 4027 level 2\n" \
	"q-5 [000] 2.0000" t "5: kvm_mmu_paging_element: pte 5027 level 1\n"
#define SPTE(t, gfn, perm)                                   \
	"q-5 [000] 2.0000" t "8: kvm_mmu_set_spte: gfn " gfn \
	" spte 1cdcd0c65 (" perm ") level 1 at 24c1d6008\n"
#define GET_PAGE(t)          \
	"q-5 [000] 2.0000" t \
	"7: kvm_mmu_get_page: sp gen 0 gfn 4 l1 8-byte q0 wux nxe ad root 0 sync new\n"
#define DIRTY(t) "q-5 [000] 2.0000" t "6: kvm_mmu_set_dirty_bit: gpa 4008\n"

/*
 * A read maps a clean leaf read-only (KVM's protect_clean_gpte), a write
 * sets D and maps it writable; the prefetched neighbour is not judged.
 */
Test(kvmmmu_spte, read_and_write_faults_agree_with_shadow_mmu)
{
	static const char text[] = WALK("1", "4", "U") GET_PAGE("1")
		SPTE("1", "5", "r-xu") SPTE("1", "6", "r-xu")
			WALK("2", "6", "W|U") DIRTY("2") SPTE("2", "5", "rwxu");
	const struct run_kvmmmu_stats *k = &sim.st.kvmmmu;

	cr_assert_eq(replay(text), 0, "%s", error);
	cr_assert_eq(k->agree, 2, "%s", sim.st.disagreements[0].what);
	cr_assert_eq(k->spte_events, 3);
	cr_assert_eq(k->spte_agree, 2, "%s", sim.st.disagreements[0].what);
	cr_assert_eq(k->spte_not_judged, 1);
	cr_assert_eq(k->spte_disagree, 0);
}

Test(kvmmmu_spte, a_different_right_is_a_disagreement_at_its_line)
{
	static const char text[] = WALK("1", "4", "U") SPTE("1", "5", "rwxu");
	const struct run_kvmmmu_stats *k = &sim.st.kvmmmu;

	cr_assert_eq(replay(text), 0, "%s", error);
	cr_assert_eq(k->spte_disagree, 1);
	cr_assert_eq(sim.st.nr_disagreements, 1);
	cr_assert_eq(sim.st.disagreements[0].line, 6);
	cr_assert_str_eq(
		sim.st.disagreements[0].what,
		"SPTE of gfn 0x5: KVM level 1 (rwxu), shadow_mmu level 1 (r-xu)");
}

/* After a walk that faulted there is no SPTE to compare. */
Test(kvmmmu_spte, an_spte_after_a_fault_is_not_judged)
{
	static const char text[] =
		WALK("1", "6", "W|U") "q-5 [000] 2.000016: kvm_mmu_walker_error: pferr 7 P|W|U\n" SPTE(
			"1", "5", "rwxu");
	const struct run_kvmmmu_stats *k = &sim.st.kvmmmu;

	cr_assert_eq(replay(text), 0, "%s", error);
	cr_assert_eq(k->spte_events, 1);
	cr_assert_eq(k->spte_not_judged, 1);
}

Test(kvmmmu_spte, a_bad_set_spte_line_is_a_bad_line)
{
	static const char text[] =
		"q-5 [000] 2.000001: kvm_mmu_set_spte: gfn 5 spte 1 (rqxu) level 1 at 8\n";

	cr_assert_eq(replay(text), -EINVAL);
	cr_assert_str_eq(
		error,
		"t:1: kvm_mmu_set_spte: ' gfn 5 spte 1 (rqxu) level 1 at 8' is not 'gfn HEX spte HEX (rwxu) level N at HEX'");
}

/* The capture on this host: 4 SPTEs, 3 of walked pages, 1 prefetch. */
Test(kvmmmu_spte, the_captured_sptes_agree_with_shadow_mmu)
{
	const struct run_kvmmmu_stats *k = &sim.st.kvmmmu;

	cr_assert_eq(replay_file(MMUSIM_KVM_DATA "/kvmmmu-intel.txt"), 0, "%s",
		     error);
	cr_assert_eq(k->spte_events, 4);
	cr_assert_eq(k->spte_agree, 3, "%s", sim.st.disagreements[0].what);
	cr_assert_eq(k->spte_not_judged, 1);
	cr_assert_eq(k->spte_disagree, 0);
}
