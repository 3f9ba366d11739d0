/*
 * mmusim walk, run as a program: the result lines of hand-checked
 * scenarios in data/, the --explain drawing, the grammar of every line,
 * and the messages and exit status of bad input.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "mmusim_cmd.h"
#include "test_compress.h"
#include "sim/commands.h"
#include "walker/types.h"

#ifndef MMUSIM_BIN
#error "MMUSIM_BIN must name the mmusim binary"
#endif
#ifndef MMUSIM_TEST_DATA
#error "MMUSIM_TEST_DATA must name tests/sim/data"
#endif

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	buf = mmusim_cmd_read_stream(f, NULL);
	fclose(f);
	return buf;
}

/* Run "mmusim walk ARGS..." with @input (@len bytes) on standard input. */
static void run_walk(const char *const *args, const char *input, size_t len,
		     struct mmusim_cmd_result *r)
{
	mmusim_cmd_run(MMUSIM_BIN, "walk", args, input, len, r);
}

static void run_text(const char *text, struct mmusim_cmd_result *r)
{
	run_walk(NULL, text, strlen(text), r);
}

/* data/NAME.scn run with @option (or none) prints data/NAME@suffix. */
static void assert_matches_expected(const char *name, const char *option,
				    const char *suffix)
{
	char scn[512], expected_path[512];
	const char *args[3] = { NULL };
	char *expected;
	struct mmusim_cmd_result r;
	int n = 0;

	snprintf(scn, sizeof(scn), "%s/%s.scn", MMUSIM_TEST_DATA, name);
	snprintf(expected_path, sizeof(expected_path), "%s/%s%s",
		 MMUSIM_TEST_DATA, name, suffix);
	if (option)
		args[n++] = option;
	/* Messages name the file as given; run from the data directory. */
	cr_assert_eq(chdir(MMUSIM_TEST_DATA), 0);
	args[n] = strrchr(scn, '/') + 1;
	run_walk(args, NULL, 0, &r);
	expected = read_file(expected_path);
	cr_assert_str_eq(r.err, "", "stderr: %s", r.err);
	cr_assert_eq(r.status, 0);
	cr_assert_str_eq(r.out, expected, "mmusim walk %s %s:\n%s",
			 option ? option : "", args[n], r.out);
	free(expected);
	mmusim_cmd_result_free(&r);
}

Test(walk_command, four_level_with_ad_updates_pf_and_gp)
{
	assert_matches_expected("four_level", NULL, ".expected");
}

Test(walk_command, pae_pdptrs_and_cr3_load_gp)
{
	assert_matches_expected("pae", NULL, ".expected");
}

Test(walk_command, ept_4x4_walk_has_24_references)
{
	assert_matches_expected("ept", NULL, ".expected");
}

Test(walk_command, npt_faults_set_bit_33_or_32)
{
	assert_matches_expected("npt", NULL, ".expected");
}

Test(walk_command, explain_draws_the_2d_grid)
{
	assert_matches_expected("ept", "--explain", ".explain.expected");
}

Test(walk_command, explain_draws_1d_and_pae_walks)
{
	assert_matches_expected("pae", "--explain", ".explain.expected");
}

/*
 * The result grammar of docs/walk-scenarios.md, as one regular
 * expression, over every line the data files produce.
 */
static const char line_grammar[] =
	"^[A-Za-z0-9_.+/-]+:[1-9][0-9]* (read|write|fetch) 0x[0-9a-f]+ cpl[0-3]"
	"( user| supervisor)?( implicit)? -> "
	"(ok( ngpa=0x[0-9a-f]+)? gpa=0x[0-9a-f]+ hpa=(0x[0-9a-f]+|none)"
	"|#PF ec=0x[0-9a-f]+ cr2=0x[0-9a-f]+"
	"|#GP( cr3-load=(rsvd|unbacked))?"
	"|EPT-violation qual=0x[0-9a-f]+ gpa=0x[0-9a-f]+( gva=0x[0-9a-f]+)?( cr3-load)?"
	"|EPT-misconfig gpa=0x[0-9a-f]+( cr3-load)?"
	"|NPF ec=0x[0-9a-f]+ gpa=0x[0-9a-f]+( cr3-load)?)"
	" refs=[0-9]+"
	"( \\| n?L[1-5]@(0x[0-9a-f]+|pdptr[0-3])=(0x[0-9a-f]+|unbacked)"
	"( n?L[1-5]@(0x[0-9a-f]+|pdptr[0-3])=(0x[0-9a-f]+|unbacked))*)?$";

static void assert_lines_match_grammar(const char *out)
{
	regex_t re;
	const char *p = out;
	int lines = 0;

	cr_assert_eq(regcomp(&re, line_grammar, REG_EXTENDED | REG_NOSUB), 0);
	while (*p) {
		const char *nl = strchr(p, '\n');
		char line[4096];

		cr_assert_not_null(nl, "last line without a newline");
		cr_assert_lt((size_t)(nl - p), sizeof(line));
		memcpy(line, p, nl - p);
		line[nl - p] = '\0';
		cr_assert_eq(regexec(&re, line, 0, NULL, 0), 0,
			     "line does not match the grammar:\n%s", line);
		lines++;
		p = nl + 1;
	}
	cr_assert_gt(lines, 0);
	regfree(&re);
}

Test(walk_command, every_line_matches_the_grammar)
{
	static const char *const args[] = {
		MMUSIM_TEST_DATA "/four_level.scn", MMUSIM_TEST_DATA "/pae.scn",
		MMUSIM_TEST_DATA "/ept.scn",	    MMUSIM_TEST_DATA "/npt.scn",
		MMUSIM_TEST_DATA "/more.scn",	    NULL,
	};
	struct mmusim_cmd_result r;

	run_walk(args, NULL, 0, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	assert_lines_match_grammar(r.out);
	mmusim_cmd_result_free(&r);
}

Test(walk_command, more_outcomes_match_expected)
{
	assert_matches_expected("more", NULL, ".expected");
}

Test(walk_command, files_and_stdin_in_order)
{
	static const char *const args[] = { "-", MMUSIM_TEST_DATA "/pae.scn",
					    NULL };
	static const char input[] = "scenario from-stdin\nread 0x1234";
	struct mmusim_cmd_result r;

	run_walk(args, input, strlen(input), &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(
		!strncmp(r.out,
			 "from-stdin:2 read 0x1234 cpl0 -> ok gpa=0x1234 hpa=none refs=0\n"
			 "pae:17 read 0x200abc",
			 80),
		"%s", r.out);
	mmusim_cmd_result_free(&r);

	/* No file at all reads standard input too. */
	run_walk(NULL, input, strlen(input), &r);
	cr_assert_eq(r.status, 0);
	cr_assert_str_eq(
		r.out,
		"from-stdin:2 read 0x1234 cpl0 -> ok gpa=0x1234 hpa=none refs=0\n");
	mmusim_cmd_result_free(&r);
}

static const enum input_compression compressions[] = { INPUT_GZIP, INPUT_ZSTD,
						       INPUT_XZ };

/* data/@name.scn compressed as @c, and the lines it prints plain. */
static void compressed_scenario(const char *name, enum input_compression c,
				struct test_buf *z, char **expected)
{
	char path[512];
	struct test_buf plain;

	snprintf(path, sizeof(path), "%s/%s.scn", MMUSIM_TEST_DATA, name);
	plain.data = read_file(path);
	plain.len = strlen(plain.data);
	*z = test_compress(c, &plain);
	free(plain.data);
	snprintf(path, sizeof(path), "%s/%s.expected", MMUSIM_TEST_DATA, name);
	*expected = read_file(path);
}

Test(walk_command, compressed_files_and_pipes_print_as_plain)
{
	static const char *const names[] = { "four_level", "ept", "more" };
	char path[] = "/tmp/mmusim-walk-XXXXXX";
	const char *args[] = { path, NULL };
	struct mmusim_cmd_result r;
	struct test_buf z;
	char *expected;
	size_t n, c;
	int fd;

	for (n = 0; n < ARRAY_SIZE(names); n++) {
		for (c = 0; c < ARRAY_SIZE(compressions); c++) {
			const char *what =
				input_compression_name(compressions[c]);

			compressed_scenario(names[n], compressions[c], &z,
					    &expected);
			/* From a pipe. */
			run_walk(NULL, z.data, z.len, &r);
			cr_assert_str_eq(r.err, "", "%s %s: %s", names[n], what,
					 r.err);
			cr_assert_eq(r.status, 0);
			cr_assert_str_eq(r.out, expected, "%s %s", names[n],
					 what);
			mmusim_cmd_result_free(&r);

			/* From a file, whatever its name. */
			fd = mkstemp(path);
			cr_assert_geq(fd, 0);
			cr_assert_eq(write(fd, z.data, z.len), (ssize_t)z.len);
			close(fd);
			run_walk(args, NULL, 0, &r);
			unlink(path);
			strcpy(path, "/tmp/mmusim-walk-XXXXXX");
			cr_assert_eq(r.status, 0, "%s %s: %s", names[n], what,
				     r.err);
			cr_assert_str_eq(r.out, expected, "%s %s", names[n],
					 what);
			mmusim_cmd_result_free(&r);
			free(z.data);
			free(expected);
		}
	}
}

/*
 * A compressed scenario cut in half stops with the decoder's reason at a
 * line after every result printed, each of which is the plain file's.
 */
Test(walk_command, a_compressed_stream_cut_short_is_an_error_at_its_line)
{
	struct mmusim_cmd_result r;
	struct test_buf z;
	unsigned long line, last = 0;
	const char *p;
	char *expected, tail[128];
	size_t c;

	for (c = 0; c < ARRAY_SIZE(compressions); c++) {
		const char *what = input_compression_name(compressions[c]);

		compressed_scenario("more", compressions[c], &z, &expected);
		run_walk(NULL, z.data, z.len / 2, &r);
		cr_assert_eq(r.status, EXIT_USAGE, "%s", what);
		cr_assert_eq(sscanf(r.err, "mmusim: <stdin>:%lu: %127[^\n]",
				    &line, tail),
			     2, "%s: %s", what, r.err);
		cr_assert(strstr(tail, what) == tail, "%s: %s", what, r.err);
		cr_assert(strstr(tail, "cut short") || strstr(tail, "damaged"),
			  "%s: %s", what, r.err);
		cr_assert(!strncmp(r.out, expected, strlen(r.out)),
			  "%s: not the plain file's lines:\n%s", what, r.out);
		/* Result lines are "NAME:LINE ...": each before the error. */
		for (p = r.out; *p; p = strchr(p, '\n') + 1) {
			cr_assert_eq(sscanf(strchr(p, ':') + 1, "%lu", &last),
				     1);
			cr_assert_lt(last, line, "%s: %s", what, r.err);
		}
		mmusim_cmd_result_free(&r);
		free(z.data);
		free(expected);
	}
}

/* @text on standard input stops at "<stdin>:@message", exit status 2. */
static void assert_walk_error(const char *text, const char *message)
{
	struct mmusim_cmd_result r;
	char expected[512];

	run_text(text, &r);
	snprintf(expected, sizeof(expected), "mmusim: <stdin>:%s\n", message);
	cr_assert_eq(r.status, EXIT_USAGE, "status %d for:\n%s", r.status,
		     text);
	cr_assert_str_eq(r.err, expected, "for:\n%s", text);
	mmusim_cmd_result_free(&r);
}

Test(walk_command, errors_found_when_registers_apply)
{
	assert_walk_error(
		"scenario s\ncr0 0x80000000\nread 0\n",
		"3: cr0 0x80000000 sets PG without PE (cr0 set on line 2)");
	assert_walk_error(
		"scenario s\ncr0 0x80000001\nefer 0x100\nread 0\n",
		"4: long mode (EFER.LME and CR0.PG) needs CR4.PAE, cr4 is 0x0");
	assert_walk_error(
		"scenario s\nefer 0x400\nread 0\n",
		"3: efer 0x400 sets LMA without LME (efer set on line 2)");
	assert_walk_error(
		"scenario s\ncr0 0x80000001\ncr4 0x20\ncr3 0x100001020\n"
		"\nread 0\n",
		"6: cr3 0x100001020 does not fit 32 bits (PAE paging) (cr3 set on line 4)");
	assert_walk_error(
		"scenario s\nmaxphyaddr 36\ncr0 0x80000001\n"
		"cr4 0x20\nefer 0x100\ncr3 0x1000000000\nread 0\n",
		"7: cr3 0x1000000000: bits 63:36 are reserved (MAXPHYADDR 36) (cr3 set on line 6)");
	assert_walk_error(
		"scenario s\nnested ept eptp=0x1e\nvendor amd\nread 0\n",
		"4: nested ept needs vendor intel (nested set on line 2)");
	assert_walk_error(
		"scenario s\nnested npt ncr3=0 host=4level\nread 0\n",
		"3: nested npt needs vendor amd (nested set on line 2)");
	assert_walk_error(
		"scenario s\nvendor amd\nnested npt ncr3=0x400000000000 host=4level\n"
		"read 0\n",
		"4: ncr3 0x400000000000: bits 63:46 are reserved (MAXPHYADDR 46) (nested set on line 3)");
	assert_walk_error(
		"scenario s\nread 0x100000000\n",
		"2: address 0x100000000 does not fit 32 bits (paging off)");
}

Test(walk_command, output_stops_at_the_first_error)
{
	struct mmusim_cmd_result r;

	run_text("scenario a\nread 1\nread 2\nbogus\nread 3\n", &r);
	cr_assert_eq(r.status, EXIT_USAGE);
	cr_assert_str_eq(r.out,
			 "a:2 read 0x1 cpl0 -> ok gpa=0x1 hpa=none refs=0\n"
			 "a:3 read 0x2 cpl0 -> ok gpa=0x2 hpa=none refs=0\n");
	cr_assert_str_eq(r.err,
			 "mmusim: <stdin>:4: unknown statement 'bogus'\n");
	mmusim_cmd_result_free(&r);
}

Test(walk_command, usage_and_missing_files)
{
	static const char *const help[] = { "--help", NULL };
	static const char *const bad_option[] = { "--frob", NULL };
	static const char *const missing[] = { "/nonexistent.scn", NULL };
	struct mmusim_cmd_result r;

	run_walk(help, NULL, 0, &r);
	cr_assert_eq(r.status, 0);
	cr_assert(!strncmp(r.out, "usage: mmusim walk", 18));
	mmusim_cmd_result_free(&r);

	run_walk(bad_option, NULL, 0, &r);
	cr_assert_eq(r.status, EXIT_USAGE);
	cr_assert_str_eq(r.err,
			 "mmusim walk: unknown option '--frob' (see --help)\n");
	mmusim_cmd_result_free(&r);

	run_walk(missing, NULL, 0, &r);
	cr_assert_eq(r.status, EXIT_USAGE);
	cr_assert_str_eq(
		r.err,
		"mmusim walk: /nonexistent.scn: No such file or directory\n");
	mmusim_cmd_result_free(&r);
}

/*
 * Random bytes, and random statements that make sense on their own,
 * never crash mmusim: every run ends with status 0 or 2 and, for 2, one
 * "<stdin>:LINE: message" line.
 */
Test(walk_command, random_input_never_crashes, .timeout = 120)
{
	static const char *const stmts[] = {
		"scenario r\n",
		"cr0 0x80010001\n",
		"cr0 0x80000001\n",
		"cr4 0x20\n",
		"cr4 0x1020\n",
		"cr4 0x300030\n",
		"efer 0x100\n",
		"efer 0xd00\n",
		"cr3 0x1000\n",
		"cr3 0x1020\n",
		"cpl 3\n",
		"ac 1\n",
		"pkru 0xc\n",
		"vendor amd\n",
		"vendor intel\n",
		"gbpages off\n",
		"maxphyaddr 36\n",
		"nested none\n",
		"nested ept eptp=0x1005e\n",
		"nested ept eptp=0x1001e execonly mbec huge-level=1\n",
		"nested npt ncr3=0x1000 host=4level\n",
		"nested npt ncr3=0x1020 host=pae gmet\n",
		"nested npt ncr3=0x1000 host=2level nx=0\n",
		"write64 0x1000 0x1007\n",
		"write64 0x1000 0x10e7\n",
		"write64 0x1020 0x1001\n",
		"write64 0x1008 0x8000000000001067\n",
		"write64 0x1000 0x1637\n",
		"write32 0x1000 0x1087\n",
		"write64 0x1ff8 0xffffffffffffffff\n",
		"mem 0 0x10000\n",
		"read 0\n",
		"write 0x1000\n",
		"fetch 0x1ff8\n",
		"read 0xffffffff implicit\n",
		"write 0x7fc0001000 user\n",
		"read 0xffff800000000000 supervisor\n",
	};
	static char buf[16384];
	unsigned int seed = 4242;
	int iter;

	for (iter = 0; iter < 200; iter++) {
		size_t len = 0;
		struct mmusim_cmd_result r;

		if (iter % 4 == 0) {
			size_t target = rand_r(&seed) % 4096;

			while (len < target)
				buf[len++] = rand_r(&seed);
		} else {
			len = sprintf(buf, "scenario r\n");
			while (len + 64 < sizeof(buf) && rand_r(&seed) % 200) {
				const char *s =
					stmts[rand_r(&seed) % ARRAY_SIZE(stmts)];

				memcpy(buf + len, s, strlen(s));
				len += strlen(s);
			}
		}
		run_walk(NULL, buf, len, &r);
		cr_assert(r.status == 0 || r.status == EXIT_USAGE,
			  "status %d, stderr %s", r.status, r.err);
		if (r.status) {
			cr_assert(!strncmp(r.err, "mmusim: <stdin>:", 16), "%s",
				  r.err);
			cr_assert_eq(strchr(r.err, '\n'),
				     r.err + strlen(r.err) - 1, "%s", r.err);
		} else {
			cr_assert_str_eq(r.err, "");
		}
		mmusim_cmd_result_free(&r);
	}
}

/* Many scenarios in one input: one line per access, quickly. */
Test(walk_command, many_scenarios, .timeout = 60)
{
	static const char scenario[] = "scenario s%d\n"
				       "cr0 0x80010001\n"
				       "cr4 0x20\n"
				       "efer 0x100\n"
				       "cr3 0x1000\n"
				       "write64 0x1000 0x2007\n"
				       "write64 0x2000 0x3007\n"
				       "write64 0x3000 0x4007\n"
				       "write64 0x4000 0x5007\n"
				       "write 0x%x\n";
	size_t cap = 20000 * 256, len = 0, lines = 0, i;
	char *text = malloc(cap);
	struct mmusim_cmd_result r;

	cr_assert_not_null(text);
	for (i = 0; i < 20000; i++)
		len += snprintf(text + len, cap - len, scenario, (int)i,
				(unsigned int)(i % 512) * 8);
	run_walk(NULL, text, len, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	for (i = 0; i < r.out_len; i++)
		lines += r.out[i] == '\n';
	cr_assert_eq(lines, 20000);
	cr_assert(strstr(r.out,
			 "s19999:200000 write 0xf8 cpl0 -> ok gpa=0x50f8"));
	free(text);
	mmusim_cmd_result_free(&r);
}
