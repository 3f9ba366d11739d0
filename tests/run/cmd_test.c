/*
 * mmusim run as a program: the report, the JSON keys, messages and exit
 * statuses of bad usage and bad input per format, --keep-going, SIGINT,
 * and the real kvmmmu fixture.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "mmusim_cmd.h"
#include "walker/types.h"

#ifndef MMUSIM_BIN
#error "MMUSIM_BIN must name the mmusim binary"
#endif

/* "mmusim run ARGS..." with @input (@len bytes) on standard input. */
static void run(const char *const *args, const char *input, size_t len,
		struct mmusim_cmd_result *r)
{
	mmusim_cmd_run(MMUSIM_BIN, "run", args, input, len, r);
}

static void run_input(const char *const *args, const char *input,
		      struct mmusim_cmd_result *r)
{
	run(args, input, input ? strlen(input) : 0, r);
}

/* A small JSON checker: 0 when @p .. is one valid JSON value. */
static const char *json_value(const char *p);

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p && *p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				int i;

				for (i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF",
						    p[i]) ||
					    !p[i])
						return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
		p++;
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *json_number(const char *p)
{
	const char *start = p;

	if (*p == '-')
		p++;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return p == start ? NULL : p;
}

static const char *json_value(const char *p)
{
	p = json_ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		bool object = *p == '{';

		p = json_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (object) {
				p = json_string(json_ws(p));
				if (!p)
					return NULL;
				p = json_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			p = json_value(p);
			if (!p)
				return NULL;
			p = json_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '"')
		return json_string(p);
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	return json_number(p);
}

static void assert_json(const char *text)
{
	const char *end = json_value(text);

	cr_assert_not_null(end, "not JSON:\n%s", text);
	cr_assert_eq(*json_ws(end), '\0', "text after the JSON value");
}

/* The keys docs/mmusim-run.md promises, each once as "key": ... */
static const char *const json_keys[] = {
	"schema",
	"mmusim",
	"version",
	"commit",
	"processes",
	"vcpus",
	"remote_flush_requests",
	"remote_tlb_flushes",
	"input",
	"files",
	"format",
	"lines",
	"bad_lines",
	"config",
	"mode",
	"nested",
	"nested_levels",
	"mmu",
	"page_size",
	"nested_page_size",
	"tlb_entries",
	"psc_entries",
	"ntlb_entries",
	"seed",
	"builtin_accesses",
	"max_table_pages",
	"accesses",
	"total",
	"reads",
	"writes",
	"fetches",
	"page_crossings",
	"translations",
	"tlb",
	"hits",
	"misses",
	"rights_misses",
	"cr3_writes",
	"global_flushes",
	"invlpg",
	"invept",
	"psc",
	"lookups",
	"hits_by_level",
	"nested_tlb",
	"walks",
	"restarts",
	"walker_refs",
	"refs",
	"guest_refs",
	"nested_refs",
	"refs_per_walk",
	"histogram",
	"faults",
	"pf",
	"pf_by_error_code",
	"gp",
	"ept_violation",
	"ept_violation_by_qualification",
	"ept_misconfig",
	"npf",
	"npf_by_error_code",
	"cr3_load",
	"fixed",
	"unresolved",
	"demand",
	"guest_tables",
	"nested_tables",
	"guest_pages",
	"nested_pages",
	"reclaims",
	"kvmmmu",
	"agree",
	"disagree",
	"incomplete",
	"skipped",
	"events",
	"outside_walk_events",
	"ignored_events",
	"ignored_by_name",
	"lost_events",
	"header_lines",
	"disagreements",
	"disagreements_truncated",
	"name",
	"counters",
	"time",
	"seconds",
	"per_second",
	"interrupted",
};

static void assert_json_keys(const char *text)
{
	char key[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(json_keys); i++) {
		snprintf(key, sizeof(key), "\"%s\": ", json_keys[i]);
		cr_assert_not_null(strstr(text, key), "no key %s", key);
	}
}

Test(run_command, the_builtin_workload_is_the_default)
{
	static const char *const args[] = { "--accesses=20000", NULL };
	struct mmusim_cmd_result r;

	run_input(args, NULL, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.err, "");
	cr_assert(
		!strncmp(
			r.out,
			"mmusim run: built-in workload, 20000 accesses (builtin)\n",
			56),
		"%s", r.out);
	cr_assert_not_null(strstr(r.out, "\n  TLB             2048 entries: "));
	cr_assert_not_null(strstr(r.out, "\n  refs per walk   refs"));
	cr_assert_not_null(strstr(r.out, "\n  demand paging   fixed "));
	cr_assert_not_null(
		strstr(r.out, "\n  mmu             none (no counters)\n"));
	mmusim_cmd_result_free(&r);
}

Test(run_command, json_is_valid_and_has_every_documented_key)
{
	static const char *const builtin[] = { "--json", "--accesses=5000",
					       "--nested=ept", NULL };
	static const char *const lackey[] = { "--json", "-", NULL };
	struct mmusim_cmd_result r;

	run_input(builtin, NULL, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	assert_json(r.out);
	assert_json_keys(r.out);
	cr_assert_not_null(strstr(r.out, "\"format\": \"builtin\""));
	mmusim_cmd_result_free(&r);

	run_input(lackey, "I  0400000,4\n L 7ff000,8\n", &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	assert_json(r.out);
	assert_json_keys(r.out);
	cr_assert_not_null(strstr(r.out, "\"files\": [\"-\"]"));
	cr_assert_not_null(
		strstr(r.out, "\"accesses\": {\"total\": 2, \"reads\": 1, "
			      "\"writes\": 0, \"fetches\": 1, "
			      "\"page_crossings\": 0, \"translations\": 2}"));
	mmusim_cmd_result_free(&r);
}

Test(run_command, no_timing_makes_reports_compare_equal)
{
	static const char *const args[] = { "--no-timing", "--accesses=3000",
					    NULL };
	struct mmusim_cmd_result a, b;

	run_input(args, NULL, &a);
	run_input(args, NULL, &b);
	cr_assert_eq(a.status, 0);
	cr_assert_str_eq(a.out, b.out);
	cr_assert_not_null(strstr(
		a.out, "\n  time            0.000 s, 0.00 M accesses/s\n"));
	mmusim_cmd_result_free(&a);
	mmusim_cmd_result_free(&b);
}

static void assert_usage_error(const char *const *args, const char *input,
			       const char *message)
{
	struct mmusim_cmd_result r;

	run_input(args, input, &r);
	cr_assert_eq(r.status, 2, "status %d: %s", r.status, r.err);
	cr_assert_str_eq(r.err, message);
	cr_assert_str_eq(r.out, "");
	mmusim_cmd_result_free(&r);
}

/*
 * Bad input: the message, then the summary of what came before it, and
 * exit status 2.
 */
static void assert_bad_input(const char *const *args, const char *input,
			     const char *message)
{
	struct mmusim_cmd_result r;

	run_input(args, input, &r);
	cr_assert_eq(r.status, 2, "status %d: %s", r.status, r.err);
	cr_assert_str_eq(r.err, message);
	cr_assert_not_null(strstr(r.out, ", stopped by bad input\n"), "%s",
			   r.out);
	mmusim_cmd_result_free(&r);
}

Test(run_command, bad_usage)
{
	static const char *const mmu[] = { "--mmu=magic", NULL };
	static const char *const tlb[] = { "--tlb=3", NULL };
	static const char *const format[] = { "--format=lackey", NULL };
	static const char *const unknown[] = { "--frobnicate", NULL };
	static const char *const mode[] = { "--mode=3level", NULL };
	static const char *const gig[] = { "--mode=pae", "--page-size=1g",
					   NULL };
	static const char *const walks[] = { "--walks", NULL };

	assert_usage_error(
		mmu, NULL,
		"mmusim run: --mmu=magic: unknown MMU (none, tdp or shadow)\n");
	assert_usage_error(tlb, NULL,
			   "mmusim run: --tlb=3: not 0 or a power of two\n");
	assert_usage_error(
		format, NULL,
		"mmusim run: --format=lackey needs a TRACE (without one, the built-in workload runs)\n");
	assert_usage_error(
		unknown, NULL,
		"mmusim run: unknown option '--frobnicate' (see --help)\n");
	assert_usage_error(
		mode, NULL,
		"mmusim run: --mode=3level: not 2level, pae, 4level, 5level or ept\n");
	assert_usage_error(
		gig, NULL,
		"mmusim run: --page-size=1g needs --mode=4level or 5level\n");
	assert_usage_error(
		walks, NULL,
		"mmusim run: --walks does not apply to the built-in workload\n");
}

Test(run_command, options_that_do_not_apply_to_the_input)
{
	static const char *const nested[] = { "--nested=ept", "-", NULL };
	static const char *const cr4[] = { "--cr4=0x20", "-", NULL };
	static const char *const ept[] = { "--mode=ept", "-", NULL };
	static const char *const vcpus[] = { "--vcpus=2", "-", NULL };
	static const char *const no_vcpus[] = { "--vcpus=0", NULL };
	static const char *const many_vcpus[] = { "--vcpus=257", NULL };

	assert_usage_error(
		nested, "scenario a\n",
		"mmusim run: --nested does not apply to native input\n");
	assert_usage_error(
		cr4, " L 1000,4\n",
		"mmusim run: --cr4 does not apply to lackey input\n");
	assert_usage_error(
		ept, " L 1000,4\n",
		"mmusim run: --mode=ept applies to kvmmmu input only (use --nested=ept)\n");
	assert_usage_error(
		vcpus, " L 1000,4\n",
		"mmusim run: --vcpus does not apply to lackey input\n");
	assert_usage_error(
		no_vcpus, NULL,
		"mmusim run: --vcpus=0: not a number from 1 to 256\n");
	assert_usage_error(
		many_vcpus, NULL,
		"mmusim run: --vcpus=257: not a number from 1 to 256\n");
}

Test(run_command, a_missing_value_is_named)
{
	static const char *const mode[] = { "--mode", NULL };
	static const char *const tlb[] = { "--accesses=10", "--tlb", NULL };
	static const char *const json[] = { "--json=yes", NULL };

	assert_usage_error(mode, NULL,
			   "mmusim run: --mode needs a value (--mode=VALUE)\n");
	assert_usage_error(tlb, NULL,
			   "mmusim run: --tlb needs a value (--tlb=VALUE)\n");
	assert_usage_error(json, NULL, "mmusim run: --json takes no value\n");
}

Test(run_command, conflicting_duplicates_are_refused)
{
	static const char *const tlb[] = { "--tlb=4", "--accesses=10",
					   "--tlb=8", NULL };
	static const char *const mmu[] = { "--mmu=tdp", "--mmu=shadow", "-",
					   NULL };
	static const char *const same[] = { "--tlb=4",	     "--tlb=4",
					    "--json",	     "--json",
					    "--accesses=10", NULL };
	struct mmusim_cmd_result r;

	assert_usage_error(
		tlb, NULL,
		"mmusim run: --tlb given twice (--tlb=4, then --tlb=8)\n");
	assert_usage_error(
		mmu, " L 1000,4\n",
		"mmusim run: --mmu given twice (--mmu=tdp, then --mmu=shadow)\n");
	run_input(same, NULL, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "\"tlb_entries\": 4,"), "%s", r.out);
	mmusim_cmd_result_free(&r);
}

Test(run_command, options_after_a_file_are_honoured)
{
	static const char *const late[] = { "-", "--tlb=0", "--no-timing",
					    NULL };
	static const char *const bad[] = { "-", "--tlb=3", NULL };
	static const char *const dashes[] = { "--", "--tlb=0", NULL };
	struct mmusim_cmd_result r;

	run_input(late, " L 1000,4\n L 1000,4\n", &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "\n  TLB             0 entries: 2 "
					 "lookups, hits 0"),
			   "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\n  time            0.000 s"));
	mmusim_cmd_result_free(&r);
	/* A bad option after a file stops the run before any output. */
	assert_usage_error(bad, " L 1000,4\n",
			   "mmusim run: --tlb=3: not 0 or a power of two\n");
	/* After "--", it is a file. */
	assert_usage_error(dashes, NULL,
			   "mmusim run: --tlb=0: No such file or directory\n");
}

Test(run_command, impossible_configurations_are_refused_up_front)
{
	static const char *const shadow_ept[] = { "--mmu=shadow",
						  "--nested=ept", NULL };
	static const char *const shadow_npt[] = { "--nested=npt", "-",
						  "--mmu=shadow", NULL };

	assert_usage_error(
		shadow_ept, NULL,
		"mmusim run: --mmu=shadow does not go with --nested=ept: shadow paging of a nested guest is not modelled (use --mmu=tdp)\n");
	/* Refused before the input is read: it is not even lackey. */
	assert_usage_error(
		shadow_npt, "not a trace\n",
		"mmusim run: --mmu=shadow does not go with --nested=npt: shadow paging of a nested guest is not modelled (use --mmu=tdp)\n");
}

static void assert_command_error(const char *command, const char *const *args,
				 const char *message)
{
	struct mmusim_cmd_result r;

	mmusim_cmd_run(MMUSIM_BIN, command, args, NULL, 0, &r);
	cr_assert_eq(r.status, 2, "status %d: %s", r.status, r.err);
	cr_assert_str_eq(r.err, message);
	cr_assert_str_eq(r.out, "");
	mmusim_cmd_result_free(&r);
}

Test(run_command, walk_and_format_read_options_alike)
{
	static const char *const format_mode[] = { "--mode", NULL };
	static const char *const format_twice[] = { "--mode=pae",
						    "--mode=4level", NULL };
	static const char *const format_wp[] = { "--wp=1", NULL };
	static const char *const walk_explain[] = { "--explain=yes", NULL };
	static const char *const walk_late[] = { "/nonexistent/scenario",
						 "--frobnicate", NULL };

	assert_command_error(
		"format", format_mode,
		"mmusim format: --mode needs a value (--mode=VALUE)\n");
	assert_command_error(
		"format", format_twice,
		"mmusim format: --mode given twice (--mode=pae, then --mode=4level)\n");
	assert_command_error("format", format_wp,
			     "mmusim format: --wp takes no value\n");
	assert_command_error("walk", walk_explain,
			     "mmusim walk: --explain=yes: not text or svg\n");
	assert_command_error(
		"walk", walk_late,
		"mmusim walk: unknown option '--frobnicate' (see --help)\n");
}

Test(run_command, input_of_no_known_format)
{
	static const char *const args[] = { "-", NULL };
	static const char *const missing[] = { "/nonexistent/trace", NULL };

	assert_usage_error(
		args, "# comment\nhello world\n",
		"mmusim: <stdin>:2: cannot tell the format from this line ('hello world'): no format has such a line; use --format=lackey|kvmmmu|native|champsim|binary\n");
	assert_usage_error(
		missing, NULL,
		"mmusim run: /nonexistent/trace: No such file or directory\n");
}

Test(run_command, a_bad_line_stops_the_run_after_a_summary_per_format)
{
	static const char *const args[] = { "-", NULL };
	static const char *const lackey[] = { "--format=lackey", "-", NULL };

	assert_bad_input(
		args, "I  0400000,4\n L 7ff000,8,\n",
		"mmusim: <stdin>:2: L record: unexpected ',' after the size\n");
	assert_bad_input(
		lackey, "I  0400000,4\nscenario x\n",
		"mmusim: <stdin>:2: 'scenario x' is not a lackey line (an I, L, S or M record, or valgrind's ==PID== line)\n");
	assert_bad_input(
		args,
		"cpus=1\nq-1 [000] 1.5: kvm_mmu_paging_element: pte 7 level 9\n",
		"mmusim: <stdin>:2: kvm_mmu_paging_element: level 9 is out of range 1..5\n");
	assert_bad_input(args, "scenario a\ncpl 4\n",
			 "mmusim: <stdin>:2: cpl 4 is out of range 0..3\n");
	assert_bad_input(args, "scenario a\ninvlpg 0x1000 global\n",
			 "mmusim: <stdin>:2: invlpg: unexpected 'global'\n");
}

/*
 * The longest kvmmmu message, flags that match neither spelling, quoted
 * byte by byte: it was cut at 255 bytes (tests/fuzz/crashes/README.md).
 */
Test(run_command, long_kvmmmu_flags_message_is_not_cut)
{
	static const char *const args[] = { "--format=kvmmmu", "-", NULL };
	char input[256], message[512];
	int n, i;

	n = snprintf(
		input, sizeof(input),
		"cpus=1\nq-1 [000] 1.5: kvm_mmu_walker_error: pferr 29 P|P");
	for (i = 0; i < 40; i++)
		input[n++] = '\xff';
	snprintf(input + n, sizeof(input) - n, "K|RSVD\n");
	n = snprintf(
		message, sizeof(message),
		"mmusim: <stdin>:2: kvm_mmu_walker_error: pferr 29: flags 'P|P");
	for (i = 0; i < 37; i++)
		n += snprintf(message + n, sizeof(message) - n, "\\xff");
	snprintf(
		message + n, sizeof(message) - n,
		"...' do not match the value (expected 'P|RSVD|0x20' or 'P|PK|RSVD')\n");
	assert_bad_input(args, input, message);
}

Test(run_command, keep_going_counts_the_bad_lines)
{
	static const char *const args[] = { "--keep-going", "-", NULL };
	struct mmusim_cmd_result r;

	run_input(args, " L 1000,4\n L 10x0,4\n\x01\x02\n S 1000,4\n", &r);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert_str_eq(
		r.err,
		"mmusim: <stdin>:2: L record: address '10x0' is not hexadecimal (skipped)\n"
		"mmusim: <stdin>:3: '\\x01\\x02' is not a lackey line (an I, L, S or M record, or valgrind's ==PID== line) (skipped)\n");
	cr_assert_not_null(
		strstr(r.out, "\n  lines           4 (2 bad lines skipped)\n"),
		"%s", r.out);
	cr_assert_not_null(strstr(
		r.out, "\n  accesses        2: reads 1, writes 1, fetches 0"));
	mmusim_cmd_result_free(&r);
}

Test(run_command, kvmmmu_disagreements_are_listed_with_their_lines)
{
	static const char *const args[] = { "-", NULL };
	static const char *const walks[] = { "--walks", "-", NULL };
	static const char trace[] =
		"cpus=1\n"
		"q-1 [000] 1.000001: kvm_mmu_pagetable_walk: addr 1000 pferr 0 \n"
		"q-1 [000] 1.000002: kvm_mmu_paging_element: pte 2027 level 4\n"
		"q-1 [000] 1.000003: kvm_mmu_paging_element: pte 3027 level 3\n"
		"q-1 [000] 1.000004: kvm_mmu_paging_element: pte 4027 level 2\n"
		"q-1 [000] 1.000005: kvm_mmu_paging_element: pte 5027 level 1\n"
		"q-1 [000] 1.000006: kvm_mmu_pagetable_walk: addr 1000 pferr 2 W\n"
		"q-1 [000] 1.000007: kvm_mmu_paging_element: pte 2027 level 4\n"
		"q-1 [000] 1.000008: kvm_mmu_paging_element: pte 3027 level 3\n"
		"q-1 [000] 1.000009: kvm_mmu_paging_element: pte 4027 level 2\n"
		"q-1 [000] 1.000010: kvm_mmu_paging_element: pte 5025 level 1\n"
		"q-1 [000] 1.000011: kvm_mmu_walker_error: pferr 2 W\n";
	struct mmusim_cmd_result r;

	run_input(args, trace, &r);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(
		!strncmp(
			r.out,
			"<stdin>:7: walk 0x1000 pferr 0x2: disagree: error code: KVM 0x2, mmusim 0x3\n",
			76),
		"%s", r.out);
	cr_assert_not_null(strstr(
		r.out,
		"\n  walks           2: agree 1, disagree 1, incomplete 0, skipped (2D) 0; restarts 0\n"));
	mmusim_cmd_result_free(&r);

	run_input(walks, trace, &r);
	cr_assert(
		!strncmp(
			r.out,
			"<stdin>:2: walk 0x1000 pferr 0x0: agree: 4 entries, ok gpa=0x5000\n",
			66),
		"%s", r.out);
	mmusim_cmd_result_free(&r);
}

/* Its "# mmusim-guest:" line gives what the trace lacks: no options. */
Test(run_command, the_real_kvmmmu_fixture_agrees_fully)
{
	static const char path[] = MMUSIM_KVM_DATA "/kvmmmu-sweep.txt";
	static const char *const args[] = { "--json", path, NULL };
	struct mmusim_cmd_result r;

	if (access(path, R_OK))
		cr_skip_test("%s is not there", path);
	run_input(args, NULL, &r);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	assert_json(r.out);
	cr_assert_not_null(strstr(r.out, "\"disagree\": 0, "));
	cr_assert_not_null(strstr(r.out, "\"guest_lines\": 1, "));
	cr_assert_not_null(strstr(r.out, "\"format\": \"kvmmmu\""));
	mmusim_cmd_result_free(&r);
}

/* An option wins over the header: 1G pages on, the 1G walk disagrees. */
Test(run_command, an_option_wins_over_the_mmusim_guest_line)
{
	static const char path[] = MMUSIM_KVM_DATA "/kvmmmu-sweep.txt";
	static const char *const args[] = { "--gbpages=on", path, NULL };
	struct mmusim_cmd_result r;

	if (access(path, R_OK))
		cr_skip_test("%s is not there", path);
	run_input(args, NULL, &r);
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert_not_null(
		strstr(r.out,
		       "walk 0x80806045c0 pferr 0x0: disagree: KVM faulted with pferr 0x9, mmusim translated\n"),
		"%s", r.out);
	cr_assert_not_null(strstr(r.out, "maxphyaddr 48, amd, gbpages on\n"),
			   "%s", r.out);
	mmusim_cmd_result_free(&r);
}

/*
 * Whether @pid has read everything written into the pipe whose write end
 * is @wfd and sleeps, waiting for more: a SIGINT sent now finds the
 * input read and the handler in place (mmusim run sets it before its
 * first read).  A fixed sleep is not enough on a loaded machine, where
 * the child may not have started yet.
 */
static bool waits_for_more_input(pid_t pid, int wfd)
{
	char path[64], stat[512];
	const char *state;
	int unread;
	FILE *f;
	size_t n;

	if (ioctl(wfd, FIONREAD, &unread) || unread)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(stat, 1, sizeof(stat) - 1, f);
	fclose(f);
	stat[n] = '\0';
	/* "PID (COMM) STATE ...": COMM may hold spaces and parentheses. */
	state = strrchr(stat, ')');
	return state && state[1] == ' ' && state[2] == 'S';
}

Test(run_command, sigint_prints_the_summary_so_far)
{
	int in[2], out[2], wstatus;
	char buf[8192];
	size_t n = 0;
	ssize_t got;
	pid_t pid;
	int i;

	cr_assert_eq(pipe(in), 0);
	cr_assert_eq(pipe(out), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (!pid) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(out[1], STDERR_FILENO);
		close(in[1]);
		close(out[0]);
		/* The format is told from the first line, the input kept open. */
		execl(MMUSIM_BIN, "mmusim", "run", "-", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	for (i = 0; i < 100; i++)
		cr_assert_eq(write(in[1], " L 1000,8\n", 10), 10);
	/* The input stays open: mmusim waits for more when SIGINT comes. */
	for (i = 0; i < 6000 && !waits_for_more_input(pid, in[1]); i++)
		usleep(10000);
	cr_assert_lt(i, 6000, "mmusim run never waited for more input");
	kill(pid, SIGINT);
	while ((got = read(out[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += got;
	buf[n] = '\0';
	cr_assert_eq(waitpid(pid, &wstatus, 0), pid);
	close(in[1]);
	close(out[0]);
	cr_assert(WIFEXITED(wstatus));
	cr_assert_eq(WEXITSTATUS(wstatus), 130);
	cr_assert_not_null(strstr(buf, "(lackey), interrupted\n"), "%s", buf);
	cr_assert_not_null(strstr(buf, "\n  accesses        100: "), "%s", buf);
}

/* xorshift: the same bytes on every run. */
static u64 next(u64 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

Test(run_command, any_bytes_end_in_a_report_or_a_message)
{
	static const char *const formats[] = { "--format=lackey",
					       "--format=kvmmmu",
					       "--format=native" };
	static char input[20000];
	const char *args[4] = { NULL, "--keep-going", "-", NULL };
	u64 x = 42;
	struct mmusim_cmd_result r;
	size_t f, i;

	for (f = 0; f < ARRAY_SIZE(formats); f++) {
		for (i = 0; i < sizeof(input); i++) {
			u64 v = next(&x);

			input[i] = v % 7 == 0 ? '\n' : (char)(v >> 8);
		}
		args[0] = formats[f];
		run(args, input, sizeof(input), &r);
		cr_assert(r.status == 0 || r.status == 1 || r.status == 2,
			  "%s: status %d", formats[f], r.status);
		cr_assert(r.status == 2 || strstr(r.out, "mmusim run: -"), "%s",
			  r.out);
		mmusim_cmd_result_free(&r);
	}
}

Test(run_command, help)
{
	static const char *const args[] = { "--help", NULL };
	struct mmusim_cmd_result r;

	run_input(args, NULL, &r);
	cr_assert_eq(r.status, 0);
	cr_assert(!strncmp(r.out, "usage: mmusim run [options] [TRACE...|-]\n",
			   41));
	mmusim_cmd_result_free(&r);
}

/*
 * With an MMU, every TLB miss is also an access through the MMU's own
 * tables, checked against the guest's walk: the run stops on the first
 * disagreement, so finishing is the check.
 */
Test(run_command, tdp_and_shadow_mmus_resolve_the_builtin_workload)
{
	static const char *const tdp[] = { "--mmu=tdp", "--accesses=20000",
					   NULL };
	static const char *const tdp_ept[] = { "--mmu=tdp", "--nested=ept",
					       "--accesses=20000", NULL };
	static const char *const shadow[] = { "--mmu=shadow",
					      "--accesses=20000", NULL };
	const char *const *args[] = { tdp, tdp_ept, shadow };
	struct mmusim_cmd_result r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(args); i++) {
		run_input(args[i], NULL, &r);
		cr_assert_eq(r.status, 0, "%s: status %d: %s", args[i][0],
			     r.status, r.err);
		cr_assert(strstr(r.out, "ret_pf_fixed"), "%s", r.out);
		cr_assert(strstr(r.out, "sptes_written"), "%s", r.out);
		mmusim_cmd_result_free(&r);
	}
}

/* The value of the counter @name in a run's report, -1 if absent. */
static long long report_counter(const char *out, const char *name)
{
	const char *p = strstr(out, name);
	long long val;

	if (!p || sscanf(p + strlen(name), " %lld", &val) != 1)
		return -1;
	return val;
}

/*
 * shadow_mmu shadows PAE and 2-level guests under a PAE root: the run
 * checks every access against the guest's walk and maps pages.
 */
Test(run_command, shadow_mmu_runs_pae_and_2level_guests)
{
	static const char *const modes[] = { "--mode=pae", "--mode=2level" };
	struct mmusim_cmd_result r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		const char *args[] = { "--mmu=shadow", modes[i],
				       "--accesses=20000", NULL };

		run_input(args, NULL, &r);
		cr_assert_eq(r.status, 0, "%s: status %d: %s", modes[i],
			     r.status, r.err);
		cr_assert_gt(report_counter(r.out, "ret_pf_fixed"), 0, "%s",
			     r.out);
		mmusim_cmd_result_free(&r);
	}
}

/*
 * Regression: with an MMU, demand paging's reclaim freed guest memory the
 * MMU's tables still mapped (fuzz_readers, reclaim-frees-mmu-tables).
 * The MMU is now dropped with the tables and made again.
 */
Test(run_command, reclaim_under_an_mmu_starts_a_fresh_mmu)
{
	static const char *const args[][5] = {
		{ "--mmu=tdp", "--max-table-pages=20", "--accesses=10000",
		  "--json", NULL },
		{ "--mmu=shadow", "--max-table-pages=20", "--accesses=10000",
		  "--json", NULL },
		{ "--mmu=tdp", "--nested=ept", "--max-table-pages=40",
		  "--accesses=10000", "--json" },
	};
	struct mmusim_cmd_result r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(args); i++) {
		const char *argv[6] = { 0 };

		memcpy(argv, args[i], sizeof(args[i]));
		run_input(argv, NULL, &r);
		cr_assert_eq(r.status, 0, "%s: status %d: %s", args[i][0],
			     r.status, r.err);
		cr_assert_not(strstr(r.out, "\"reclaims\": 0,"), "%s", r.out);
		mmusim_cmd_result_free(&r);
	}
}

/* The value of MMU counter @name in the text report @out. */
static unsigned long mmu_counter(const char *out, const char *name)
{
	const char *p = strstr(out, name);

	cr_assert_not_null(p, "no counter %s in: %s", name, out);
	return strtoul(p + strlen(name), NULL, 10);
}

/* pf_taken of "mmusim run @mmu" over @input, which must succeed. */
static unsigned long pf_taken_of_run(const char *mmu, const char *input)
{
	const char *args[] = { mmu, "--format=native", "-", NULL };
	unsigned long pf_taken;
	struct mmusim_cmd_result r;

	run_input(args, input, &r);
	cr_assert_eq(r.status, 0, "%s: status %d: %s", mmu, r.status, r.err);
	pf_taken = mmu_counter(r.out, "pf_taken");
	mmusim_cmd_result_free(&r);
	return pf_taken;
}

/*
 * Regression: a scenario statement resets the vCPU, whose memory holds
 * the MMU's tables; the MMU used them afterwards (fuzz_readers,
 * second-scenario-frees-mmu-tables).  The second scenario maps the same
 * GVA to another page, so an MMU that kept its old SPTEs disagrees with
 * the walk even where freed memory does not crash.  The counters go on
 * across the reset.
 */
Test(run_command, second_scenario_under_an_mmu_starts_a_fresh_mmu)
{
	static const char tables[] = "cr0 0x80010001\n"
				     "cr4 0x20\n"
				     "efer 0x500\n"
				     "cr3 0x1000\n"
				     "write64 0x1000 0x2007\n"
				     "write64 0x2000 0x3007\n"
				     "write64 0x3010 0x4007\n";
	static const char *const mmus[] = { "--mmu=tdp", "--mmu=shadow" };
	char a[512], b[512], both[1024];
	size_t i;

	snprintf(a, sizeof(a),
		 "scenario a\n%swrite64 0x4000 0x5007\nwrite 0x400000\n",
		 tables);
	snprintf(b, sizeof(b),
		 "scenario b\n%swrite64 0x4000 0x9007\nwrite 0x400000\n"
		 "read 0x400000\n",
		 tables);
	snprintf(both, sizeof(both), "%s%s", a, b);
	for (i = 0; i < ARRAY_SIZE(mmus); i++)
		cr_assert_eq(pf_taken_of_run(mmus[i], both),
			     pf_taken_of_run(mmus[i], a) +
				     pf_taken_of_run(mmus[i], b),
			     "%s", mmus[i]);
}

/*
 * Regression: shadow_mmu maps a 2M guest page, or a 2M page of L1's EPT,
 * with a direct page of 4K SPTEs, and its prefetch mapped neighbours that
 * had no host page yet, with a frame built from INVALID_HPA
 * (fuzz_readers and fuzz_mmu, shadow-prefetch-maps-unfaulted-page).  The
 * run's RAM is on 4K host pages, faulted in on first use.
 */
Test(run_command, shadow_mmu_on_2m_guest_pages_of_4k_host_pages_runs)
{
	static const char path[] = MMUSIM_TEST_DATA "/lackey-true.txt";
	static const char *const shadow[] = { "--mmu=shadow", "--page-size=2m",
					      path, NULL };
	static const char *const nested[] = { "--mmu=tdp", "--nested=ept",
					      "--nested-page-size=2m", path,
					      NULL };
	const char *const *args[] = { shadow, nested };
	struct mmusim_cmd_result r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(args); i++) {
		run_input(args[i], NULL, &r);
		cr_assert_eq(r.status, 0, "%s %s: status %d: %s", args[i][0],
			     args[i][1], r.status, r.err);
		mmusim_cmd_result_free(&r);
	}
}

/*
 * Regression (fuzz_readers, cr4-write-leaves-the-mmu-context-stale): a
 * write of CR4 (here PSE off, so the PDE's PS bit is ignored and the
 * walk faults in the PT it now points to) changes the guest's role; the
 * MMU kept walking with the old one and mapped the address.  KVM resets
 * the MMU context at such writes.
 */
Test(run_command, paging_register_write_resets_the_mmu_context)
{
	static const char input[] = "scenario t\n"
				    "cr0 0x80000001\n"
				    "cr4 0x10\n"
				    "cr3 0x1000\n"
				    "write32 0x1004 0x483\n"
				    "read 0x410045\n"
				    "cr4 0\n"
				    "read 0x410045\n";
	static const char *const mmus[] = { "--mmu=tdp", "--mmu=shadow" };
	struct mmusim_cmd_result r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mmus); i++) {
		const char *args[] = { mmus[i], "--format=native", "--json",
				       "-", NULL };

		run_input(args, input, &r);
		cr_assert_eq(r.status, 0, "%s: status %d: %s", mmus[i],
			     r.status, r.err);
		/* The first read translates (4M page), the second faults. */
		cr_assert(strstr(r.out,
				 "\"faults\": {\"total\": 1, \"pf\": 1,"),
			  "%s: %s", mmus[i], r.out);
		mmusim_cmd_result_free(&r);
	}
}

Test(run_command, each_lackey_file_is_a_process_reported_on_its_own)
{
	static const char *const json[] = { "--json",
					    MMUSIM_TEST_DATA "/lackey-true.txt",
					    MMUSIM_TEST_DATA "/lackey-true.txt",
					    NULL };
	static const char *const text[] = { "--no-timing",
					    MMUSIM_TEST_DATA "/lackey-true.txt",
					    MMUSIM_TEST_DATA "/lackey-true.txt",
					    NULL };
	/* tests/run/engine_test.c checks these counts of bin/true. */
	static const char process[] =
		"/lackey-true.txt\", \"cr3\": \"0x%s\", \"accesses\": 3014, "
		"\"translations\": 3014, \"tlb_hits\": 3000, "
		"\"tlb_misses\": 12, \"tlb_rights_misses\": 2, "
		"\"walks\": 26, \"guest_refs\": 31, \"nested_refs\": 0, "
		"\"faults\": 12, \"fixed\": 12, \"unresolved\": 0, "
		"\"cr3_writes\": %d}";
	struct mmusim_cmd_result r;
	char want[512];

	run_input(json, NULL, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	assert_json(r.out);
	snprintf(want, sizeof(want), process, "100000", 0);
	cr_assert_not_null(strstr(r.out, want), "%s", r.out);
	snprintf(want, sizeof(want), process, "106000", 1);
	cr_assert_not_null(strstr(r.out, want), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\"walks\": {\"total\": 52, "));
	mmusim_cmd_result_free(&r);

	run_input(text, NULL, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "\n  processes       2\n    "), "%s",
			   r.out);
	mmusim_cmd_result_free(&r);
}

Test(run_command, cache_keys_apply_in_order_and_bad_ones_are_named)
{
	static const char *const order[] = { "--preset=skylake",
					     "--tlb=128",
					     "--set",
					     "tlb.l2.entries=4096",
					     "--set=tlb.l2.policy=plru",
					     "--set=tlb.l2.ways=8",
					     "--accesses=100",
					     "--json",
					     NULL };
	static const char *const sets[] = { "--set=tlb.l2.entries=1000", NULL };
	static const char *const key[] = { "--set=tlb.l3.entries=8", NULL };
	static const char *const preset[] = { "--preset=k6", NULL };
	struct mmusim_cmd_result r;

	run_input(order, NULL, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "\"tlb.l1d.entries\": 128,"), "%s",
			   r.out);
	cr_assert_not_null(strstr(r.out, "\"tlb.l2.entries\": 4096,"), "%s",
			   r.out);
	cr_assert_not_null(strstr(r.out, "\"tlb.l2.policy\": \"plru\","), "%s",
			   r.out);
	cr_assert_not_null(strstr(r.out, "\"tlb.l1i.entries\": 128,"), "%s",
			   r.out);
	mmusim_cmd_result_free(&r);
	assert_usage_error(
		sets, NULL,
		"mmusim run: --set=tlb.l2.entries=1000: tlb.l2: 1000 entries in 4 ways: the sets (entries / ways) must be a power of two\n");
	assert_usage_error(
		key, NULL,
		"mmusim run: --set=tlb.l3.entries: unknown key (docs/mmusim-run.md lists them)\n");
	assert_usage_error(
		preset, NULL,
		"mmusim run: --preset=k6: not default, skylake or zen\n");
}

Test(run_command, a_config_file_applies_its_keys_and_names_a_bad_line)
{
	static const char good[] = "# Skylake-like STLB\n"
				   "tlb.l2.entries = 1536   # 128 sets\n"
				   "\n"
				   "tlb.l2.ways=12\n";
	static const char bad[] = "tlb.l2.entries=1536\ntlb.l2.ways=twelve\n";
	static const char *const missing[] = {
		"--config=/nonexistent/caches.conf", NULL
	};
	static const char *const directory[] = { "--config=/", NULL };
	char path[] = "/tmp/mmusim-config-XXXXXX", opt[64], expect[128];
	const char *args[] = { opt, "--accesses=100", "--json", NULL };
	struct mmusim_cmd_result r;
	int fd = mkstemp(path);
	FILE *f;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, good, sizeof(good) - 1), sizeof(good) - 1);
	cr_assert_eq(close(fd), 0);
	snprintf(opt, sizeof(opt), "--config=%s", path);
	run_input(args, NULL, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "\"tlb.l2.entries\": 1536,"), "%s",
			   r.out);
	cr_assert_not_null(strstr(r.out, "\"tlb.l2.ways\": 12,"), "%s", r.out);
	mmusim_cmd_result_free(&r);

	/* A bad line is bad input: "mmusim: FILE:LINE: what". */
	f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_geq(fputs(bad, f), 0);
	cr_assert_eq(fclose(f), 0);
	snprintf(
		expect, sizeof(expect),
		"mmusim: %s:2: tlb.l2.ways=twelve: not a number from 1 to 64\n",
		path);
	args[1] = NULL;
	assert_usage_error(args, NULL, expect);
	unlink(path);

	/* A file that cannot be read is named by its option. */
	assert_usage_error(
		missing, NULL,
		"mmusim run: --config=/nonexistent/caches.conf: No such file or directory\n");
	assert_usage_error(directory, NULL,
			   "mmusim run: --config=/: Is a directory\n");
}

/*
 * An array no TLB can be built with is blamed on the last line or option
 * that changed its geometry: a --config line as bad input is, an option
 * by its text; a later option that makes it good again is taken.
 */
Test(run_command, a_bad_array_names_the_line_or_option_that_made_it)
{
	static const char text[] = "# an STLB of 3 sets\n"
				   "tlb.l2.entries = 12\n"
				   "tlb.l2.ways = 4\n"
				   "tlb.l1d.entries = 96\n"
				   "tlb.l1d.ways = 3\n";
	char path[] = "/tmp/mmusim-config-XXXXXX", opt[64], expect[256];
	const char *args[] = { opt, NULL, NULL, NULL, NULL };
	struct mmusim_cmd_result r;
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, sizeof(text) - 1), sizeof(text) - 1);
	cr_assert_eq(close(fd), 0);
	snprintf(opt, sizeof(opt), "--config=%s", path);

	/* Line 3 sets the ways the STLB had: line 2 made it bad. */
	snprintf(
		expect, sizeof(expect),
		"mmusim: %s:2: tlb.l2: 12 entries in 4 ways: the sets (entries / ways) must be a power of two\n",
		path);
	assert_usage_error(args, NULL, expect);

	/* The file is good once --set gives the STLB 4 sets... */
	args[1] = "--set=tlb.l2.ways=3";
	args[2] = "--accesses=100";
	run_input(args, NULL, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	mmusim_cmd_result_free(&r);

	/* ...and bad again when --tlb leaves the 3-way L1 64 entries. */
	args[2] = "--tlb=64";
	assert_usage_error(
		args, NULL,
		"mmusim run: --tlb=64: tlb.l1d: 64 entries in 3 ways: the sets (entries / ways) must be a power of two\n");
	unlink(path);
}

/* A lackey trace over @pages pages in a stride that defeats small TLBs. */
static char *sweep_trace(int lines, int pages)
{
	char *text = malloc((size_t)lines * 32 + 1);
	size_t used = 0;
	int i;

	cr_assert_not_null(text);
	for (i = 0; i < lines; i++)
		used += sprintf(text + used, " %c %x,8\n", i % 3 ? 'L' : 'S',
				0x400000 + ((i * 7919) % pages) * 0x1000 +
					(i % 64) * 8);
	return text;
}

/* The lines after the header of a --csv run of @args on @text. */
static char *csv_rows(const char *const *args, const char *text)
{
	struct mmusim_cmd_result r;
	char *rows, *nl;

	run_input(args, text, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	nl = strchr(r.out, '\n');
	cr_assert_not_null(nl, "%s", r.out);
	rows = strdup(nl + 1);
	mmusim_cmd_result_free(&r);
	return rows;
}

/* A row says the nested stage's levels and page size and the vCPUs. */
Test(run_command, a_csv_row_gives_the_nested_stage_and_the_vcpus)
{
	static const char *const args[] = { "--csv",
					    "--no-timing",
					    "--accesses=100",
					    "--nested=ept",
					    "--nested-levels=5",
					    "--nested-page-size=2m",
					    "--vcpus=2",
					    NULL };
	struct mmusim_cmd_result r;

	run_input(args, NULL, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(
		strstr(r.out,
		       ",config.mode,config.nested,config.nested_levels,"
		       "config.mmu,config.page_size,config.nested_page_size,"
		       "config.seed,config.vcpus,config.tlb.l1d.entries,"),
		"%s", r.out);
	cr_assert_not_null(strstr(r.out, ",builtin,4level,ept,5,none,4k,2m,1,"
					 "2,2048,"),
			   "%s", r.out);
	mmusim_cmd_result_free(&r);
}

/*
 * input.files names every trace, however long the list: 24 files of
 * 60-byte paths (a cell of 1,463 bytes), one with a comma, so quoted.
 */
Test(run_command, a_csv_row_names_every_trace_file)
{
	enum { NR_FILES = 24 };
	char dir[] = "/tmp/mmusim-csv-XXXXXX", *paths[NR_FILES], *want, *p;
	const char *args[NR_FILES + 3] = { "--csv", "--no-timing" };
	struct mmusim_cmd_result r;
	size_t len = 0;
	FILE *f;
	int i;

	cr_assert_not_null(mkdtemp(dir));
	for (i = 0; i < NR_FILES; i++) {
		paths[i] = malloc(128);
		cr_assert_not_null(paths[i]);
		snprintf(paths[i], 128, "%s/%s-%02d.lackey%-20s", dir,
			 i == 7 ? "a,b" : "abc", i, "");
		f = fopen(paths[i], "w");
		cr_assert_not_null(f);
		cr_assert_geq(fputs(" L 1000,8\n", f), 0);
		cr_assert_eq(fclose(f), 0);
		args[2 + i] = paths[i];
		len += strlen(paths[i]) + 1;
	}
	cr_assert_gt(len, 1024);
	/* ,"NAME NAME ...", and the NUL: len counts a byte per name. */
	want = calloc(1, len + 4);
	cr_assert_not_null(want);
	p = want + sprintf(want, ",\"");
	for (i = 0; i < NR_FILES; i++)
		p += sprintf(p, "%s%s", i ? " " : "", paths[i]);
	strcpy(p, "\",");
	run_input(args, NULL, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, want), "%s", r.out);
	mmusim_cmd_result_free(&r);
	for (i = 0; i < NR_FILES; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
	free(want);
	rmdir(dir);
}

/*
 * Three fetches and a load: 3 instructions.  The pages of 1000 and 2000
 * miss, each a #PF and a walk after the fix: 2 TLB misses and 4 walks,
 * 666.6667 and 1333.3333 per 1000 instructions; no STLB, 0 misses there.
 */
Test(run_command, lackey_fetches_are_the_instructions_of_mpki)
{
	static const char text[] = "I  1000,4\n L 2000,8\nI  1004,4\n"
				   "I  1008,4\n";
	static const char *const report[] = { "--no-timing", "-", NULL };
	static const char *const json[] = { "--json", "--no-timing", "-",
					    NULL };
	static const char *const csv[] = { "--csv", "--no-timing", "-", NULL };
	static const char *const builtin[] = { "--csv", "--no-timing",
					       "--accesses=100", NULL };
	static const char *const stlb[] = { "--set=tlb.l2.entries=16",
					    "--no-timing", "-", NULL };
	static const char *const stlb_json[] = { "--set=tlb.l2.entries=16",
						 "--json", "--no-timing", "-",
						 NULL };
	struct mmusim_cmd_result r;
	char *rows;

	run_input(report, text, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "\n  instructions    3: TLB misses "
					 "per 1000 (MPKI) 666.67, walks per "
					 "1000 1333.33\n"),
			   "%s", r.out);
	mmusim_cmd_result_free(&r);
	run_input(json, text, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "\"instructions\": {\"total\": 3, "
					 "\"tlb_mpki\": 666.6667, "
					 "\"stlb_mpki\": 0.0000, "
					 "\"walks_pki\": 1333.3333}"),
			   "%s", r.out);
	mmusim_cmd_result_free(&r);
	/* With an STLB, its misses per 1000 too: both misses miss it. */
	run_input(stlb, text, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "\n  instructions    3: TLB misses "
					 "per 1000 (MPKI) 666.67, STLB misses "
					 "per 1000 666.67, walks per 1000 "
					 "1333.33\n"),
			   "%s", r.out);
	mmusim_cmd_result_free(&r);
	run_input(stlb_json, text, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "\"stlb_mpki\": 666.6667, "), "%s",
			   r.out);
	mmusim_cmd_result_free(&r);
	/* faults.total, the three MPKI columns, the latency model's. */
	rows = csv_rows(csv, text);
	cr_assert_not_null(strstr(rows, ",2,666.6667,0.0000,1333.3333,0,"
					"0.0000,0\n"),
			   "%s", rows);
	free(rows);
	/* The built-in workload counts no instructions: no MPKI. */
	rows = csv_rows(builtin, NULL);
	cr_assert_not_null(strstr(rows, ",,,,0,0.0000,0\n"), "%s", rows);
	free(rows);
}

Test(run_command, a_sweep_gives_each_configuration_its_own_run)
{
	static const char *const sweep[] = { "--csv",
					     "--sweep",
					     "tlb.l1d.entries=16,64",
					     "--sweep=tlb.l1d.policy=lru,plru",
					     "-",
					     NULL };
	static const char *const one[4][5] = {
		{ "--csv", "--tlb=16", "--set=tlb.l1d.policy=lru", "-", NULL },
		{ "--csv", "--tlb=16", "--set=tlb.l1d.policy=plru", "-", NULL },
		{ "--csv", "--tlb=64", "--set=tlb.l1d.policy=lru", "-", NULL },
		{ "--csv", "--tlb=64", "--set=tlb.l1d.policy=plru", "-", NULL },
	};
	char *text = sweep_trace(3000, 97), *rows, *expected;
	size_t used = 0;
	int i;

	/* One read of the trace, four runs: as four runs of their own. */
	rows = csv_rows(sweep, text);
	expected = calloc(1, strlen(rows) + 1);
	cr_assert_not_null(expected);
	for (i = 0; i < 4; i++) {
		char *row = csv_rows(one[i], text);

		cr_assert_leq(used + strlen(row), strlen(rows), "%s", rows);
		strcpy(expected + used, row);
		used += strlen(row);
		free(row);
	}
	cr_assert_str_eq(rows, expected);
	/* The configurations differ where they should. */
	cr_assert_neq(strstr(rows, ",16,4,lru,"), NULL, "%s", rows);
	cr_assert_neq(strstr(rows, ",64,4,plru,"), NULL, "%s", rows);
	free(rows);
	free(expected);
	free(text);
}

Test(run_command, a_bad_sweep_is_named)
{
	static const char *const bad_value[] = {
		"--sweep=tlb.l2.policy=lru,mru", NULL
	};
	static const char *const bad_geometry[] = {
		"--set=tlb.l2.ways=12", "--sweep=tlb.l2.entries=1536,1000", NULL
	};
	static const char *const scenario[] = { "--sweep=tlb.l1d.entries=4,8",
						"--format=native", "-", NULL };
	static const char *const twice[] = { "--sweep=tlb.l1d.entries=64,128",
					     "--sweep=tlb.l2.entries=0,16",
					     "--sweep=tlb.l1d.entries=256",
					     NULL };

	assert_usage_error(
		bad_value, NULL,
		"mmusim run: --sweep=tlb.l2.policy=lru,mru: tlb.l2.policy=mru: not roundrobin, lru, plru or random\n");
	assert_usage_error(
		bad_geometry, NULL,
		"mmusim run: --sweep: tlb.l2.entries=1000: tlb.l2: 1000 entries in 12 ways: the sets (entries / ways) must be a power of two\n");
	assert_usage_error(
		scenario, "begin\n",
		"mmusim run: --sweep applies to access traces and the built-in workload, not to native input\n");
	assert_usage_error(
		twice, NULL,
		"mmusim run: --sweep=tlb.l1d.entries=256: the key is swept already: give all its values in one --sweep\n");
}
