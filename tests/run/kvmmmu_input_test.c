/*
 * kvmmmu input that must be an error or an incomplete walk, never a
 * verdict: torn records, two events on a line, walks that stop short,
 * timestamps that go back, and more tasks than any fixed table holds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sim/run.h"
#include "sim/input/trace_kvmmmu.h"
#include "sim/input/trace_reader.h"

static struct run_sim sim;
static char error[TRACE_ERROR_MAX];

/* Replay @text as file "t"; the return of run_kvmmmu(). */
static int replay(const char *text, bool keep_going)
{
	struct run_config cfg;
	struct trace_reader r;
	int ret;

	run_config_init(&cfg);
	cfg.input = &run_kvmmmu_input;
	cfg.json = true;
	cfg.keep_going = keep_going;
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

TestSuite(kvmmmu_input, .fini = done);

#define L4 \
	" vcpu-10 [001] ..... 1.000002: kvm_mmu_paging_element: pte 2007 level 4\n"
#define L3 \
	" vcpu-10 [001] ..... 1.000003: kvm_mmu_paging_element: pte 3027 level 3\n"
#define L2 \
	" vcpu-10 [001] ..... 1.000004: kvm_mmu_paging_element: pte 4027 level 2\n"
#define L1 \
	" vcpu-10 [001] ..... 1.000005: kvm_mmu_paging_element: pte 5007 level 1\n"
#define WALK \
	" vcpu-10 [001] ..... 1.000001: kvm_mmu_pagetable_walk: addr 1000 pferr 0 \n"
#define AD                                                                    \
	" vcpu-10 [001] ..... 1.000006: kvm_mmu_set_accessed_bit: gpa 1000\n" \
	" vcpu-10 [001] ..... 1.000007: kvm_mmu_set_accessed_bit: gpa 4008\n"
#define EXIT " vcpu-10 [001] ..... 1.000009: kvm_exit: reason EXIT_HLT\n"

Test(kvmmmu_input, the_walk_pieces_agree_whole)
{
	cr_assert_eq(replay(WALK L4 L3 L2 L1 AD EXIT, false), 0, "%s", error);
	cr_assert_eq(sim.st.kvmmmu.agree, 1, "%s",
		     sim.st.disagreements[0].what);
}

/* The L2 line cut in its header, the L1 line glued on: L2 is lost. */
Test(kvmmmu_input, a_torn_header_is_an_error_not_a_disagreement)
{
	static const char text[] = WALK L4 L3
		" vcpu-10 [001] ..... 1.0000 vcpu-10 [001] ..... 1.000005: kvm_mmu_paging_element: pte 5007 level 1\n" AD
			EXIT;

	cr_assert_eq(replay(text, false), -EINVAL);
	cr_assert_str_eq(
		error,
		"t:4: 'vcpu-10 [001] ..... 1.0000 vcpu' is no task name (at most 15 characters, no '['): a torn line?");
	cr_assert_eq(sim.st.kvmmmu.disagree, 0);
	cr_assert_eq(sim.st.kvmmmu.incomplete, 1);
}

/* Cut inside an event the replay ignores: the walk's L1 rides on it. */
Test(kvmmmu_input, two_events_on_one_line_are_an_error)
{
	static const char text[] = WALK L4 L3 L2
		" vcpu-10 [001] ..... 1.000004: kvm_exit: reason EPT_VI vcpu-10 [001] ..... 1.000005: kvm_mmu_paging_element: pte 5007 level 1\n" AD
			EXIT;

	cr_assert_eq(replay(text, false), -EINVAL);
	cr_assert_str_eq(
		error,
		"t:5: two events on one line (a torn line?): a second one, 'kvm_mmu_paging_element', at column 86");
	cr_assert_eq(sim.st.kvmmmu.disagree, 0);
}

/* --keep-going skips the torn line and cuts the walks it may belong to. */
Test(kvmmmu_input, a_skipped_torn_line_leaves_its_walk_incomplete)
{
	static const char text[] = WALK L4 L3
		" vcpu-10 [001] ..... 1.0000 vcpu-10 [001] ..... 1.000005: kvm_mmu_paging_element: pte 5007 level 1\n" AD
			EXIT;

	cr_assert_eq(replay(text, true), 0, "%s", error);
	cr_assert_eq(sim.st.bad_lines, 1);
	cr_assert_eq(sim.st.kvmmmu.walks, 1);
	cr_assert_eq(sim.st.kvmmmu.incomplete, 1);
	cr_assert_eq(sim.st.kvmmmu.disagree, 0);
}

Test(kvmmmu_input, a_walk_without_a_leaf_or_an_error_is_incomplete)
{
	static const char text[] =
		" vcpu-10 [001] ..... 0.000001: kvm_mmu_pagetable_walk: addr 1000 pferr 0 \n"
		" vcpu-10 [001] ..... 0.000002: kvm_mmu_paging_element: pte 2007 level 4\n"
		" vcpu-10 [001] ..... 0.000003: kvm_mmu_paging_element: pte 3027 level 3\n"
		" vcpu-10 [001] ..... 0.000004: kvm_exit: reason EXIT_HLT\n" WALK
			L4 L3 L2 L1 AD EXIT;

	cr_assert_eq(replay(text, false), 0, "%s", error);
	cr_assert_eq(sim.st.kvmmmu.walks, 2);
	cr_assert_eq(sim.st.kvmmmu.incomplete, 1);
	cr_assert_eq(sim.st.kvmmmu.agree, 1);
	cr_assert_eq(sim.st.kvmmmu.disagree, 0);
}

Test(kvmmmu_input, a_task_whose_time_goes_back_is_an_error)
{
	/* Task 11's older timestamps between task 10's lines are fine. */
	static const char text[] = WALK L4 L3
		" vcpu-11 [000] ..... 0.500000: kvm_exit: reason EXIT_HLT\n"
		" vcpu-10 [001] ..... 1.000001: kvm_mmu_paging_element: pte 4027 level 2\n" L1
			AD EXIT;

	cr_assert_eq(replay(text, false), -EINVAL);
	cr_assert_str_eq(
		error,
		"t:5: task 10: timestamp 1.000001000 is before 1.000003000 of line 3");
	cr_assert_eq(sim.st.kvmmmu.disagree, 0);
	cr_assert_eq(sim.st.kvmmmu.incomplete, 1);
}

Test(kvmmmu_input, a_level_skipped_is_an_error)
{
	cr_assert_eq(replay(WALK L4 L2 L1 AD EXIT, false), -EINVAL);
	cr_assert_str_eq(
		error,
		"t:3: kvm_mmu_paging_element: level 2 after level 4 in the walk of line 1");
	cr_assert_eq(sim.st.kvmmmu.disagree, 0);
}

/* @n tasks each open a walk, then each completes its walk. */
static char *many_tasks(int n)
{
	static const char *const steps[] = {
		"kvm_mmu_pagetable_walk: addr 1000 pferr 0 ",
		"kvm_mmu_paging_element: pte 2007 level 4",
		"kvm_mmu_paging_element: pte 3027 level 3",
		"kvm_mmu_paging_element: pte 4027 level 2",
		"kvm_mmu_paging_element: pte 5007 level 1",
		"kvm_mmu_set_accessed_bit: gpa 1000",
		"kvm_mmu_set_accessed_bit: gpa 4008",
		"kvm_exit: reason EXIT_HLT",
	};
	size_t size = (size_t)n * ARRAY_SIZE(steps) * 80 + 1, off = 0;
	char *text = malloc(size);
	unsigned int step;
	int t;

	cr_assert_not_null(text);
	for (step = 0; step < ARRAY_SIZE(steps); step++)
		for (t = 0; t < n; t++)
			off += snprintf(text + off, size - off,
					"v-%d [000] 1.%06u: %s\n", t + 1, step,
					steps[step]);
	return text;
}

Test(kvmmmu_input, walks_of_more_than_64_tasks_at_once_are_all_judged)
{
	char *text = many_tasks(1000);

	cr_assert_eq(replay(text, false), 0, "%s", error);
	cr_assert_eq(sim.st.kvmmmu.walks, 1000);
	cr_assert_eq(sim.st.kvmmmu.agree, 1000, "%s",
		     sim.st.disagreements[0].what);
	free(text);
}

Test(kvmmmu_input, more_open_walks_than_the_limit_are_an_error)
{
	char *text = many_tasks(65537);

	cr_assert_eq(replay(text, false), -EINVAL);
	cr_assert_str_eq(
		error,
		"t:65537: task 65537: more than 65536 tasks with a walk open");
	cr_assert_eq(sim.st.kvmmmu.disagree, 0);
	free(text);
}

/* @line parses: 0 with *@ev, or -EINVAL with the reason in @why. */
static int parse(const char *line, struct kvmmmu_event *ev, char *why)
{
	return kvmmmu_parse_line(line, strlen(line), ev, why, TRACE_ERROR_MAX);
}

#define ELEMENT " vcpu-10 [001] ..... 1.000002: kvm_mmu_paging_element: "

Test(kvmmmu_input, numbers_take_64_bits_and_no_more)
{
	struct kvmmmu_event ev;
	char why[TRACE_ERROR_MAX];

	cr_assert_eq(parse(ELEMENT "pte ffffffffffffffff level 1", &ev, why), 0,
		     "%s", why);
	cr_assert_eq(ev.pte, ~0ULL);
	cr_assert_eq(parse(ELEMENT "pte 0x8000000000000007 level 00004", &ev,
			   why),
		     0, "%s", why);
	cr_assert_eq(ev.pte, 0x8000000000000007ULL);
	cr_assert_eq(ev.level, 4);
	cr_assert_eq(parse(ELEMENT "pte 1ffffffffffffffff level 1", &ev, why),
		     -EINVAL);
	cr_assert_str_eq(
		why,
		"kvm_mmu_paging_element: ' pte 1ffffffffffffffff level 1' is not 'pte HEX level N'");
	cr_assert_eq(parse(ELEMENT "pte 7 level 18446744073709551616", &ev,
			   why),
		     -EINVAL);
	cr_assert_eq(parse(ELEMENT "pte 7 level 18446744073709551615", &ev,
			   why),
		     -EINVAL);
	cr_assert_str_eq(
		why,
		"kvm_mmu_paging_element: level 18446744073709551615 is out of range 1..5");
	cr_assert_eq(parse(ELEMENT "pte 7 level 4a", &ev, why), -EINVAL);
}
