/*
 * The input layer of mmusim run: compressed input (gzip, zstd, xz) told
 * by its content, from memory, a file and a pipe, for every format;
 * compressed streams cut short or damaged; standard input with and
 * without "-".  The compressed fixtures are made here, by the
 * libraries, from the plain fixtures.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "mmusim_cmd.h"
#include "test_compress.h"
#include "sim/input/decompress.h"
#include "sim/input/trace_reader.h"
#include "sim/run.h"

static struct test_buf read_file(const char *path)
{
	struct test_buf b;
	FILE *f = fopen(path, "rb");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	b.data = mmusim_cmd_read_stream(f, &b.len);
	fclose(f);
	return b;
}

static const enum input_compression compressions[] = { INPUT_GZIP, INPUT_ZSTD,
						       INPUT_XZ };

struct fixture {
	const char *path;
	const struct run_input_ops *input;
};

static const struct fixture fixtures[] = {
	{ MMUSIM_TEST_DATA "/lackey-true.txt", &run_lackey_input },
	{ MMUSIM_KVM_DATA "/kvmmmu-sweep.txt", &run_kvmmmu_input },
	{ MMUSIM_SIM_DATA "/more.scn", &run_native_input },
};

static struct run_sim sim;

/* Run @b as @input from memory: the stats, and the return. */
static int run_mem(const struct run_input_ops *input, const struct test_buf *b,
		   struct run_stats *st, char *error, size_t len)
{
	struct run_config cfg;
	struct trace_reader r;
	int ret;

	run_config_init(&cfg);
	cfg.input = input;
	cfg.json = true;
	cr_assert_eq(run_sim_init(&sim, &cfg), 0);
	cr_assert_eq(trace_reader_open_mem(&r, b->data, b->len, "t"), 0);
	ret = input->run(&sim, &r);
	if (error)
		snprintf(error, len, "%s", r.error);
	*st = sim.st;
	trace_reader_close(&r);
	run_sim_destroy(&sim);
	return ret;
}

static void assert_same_run(const struct run_stats *a,
			    const struct run_stats *b, const char *what)
{
	cr_assert_gt(a->lines, 0, "%s", what);
	cr_assert_eq(a->lines, b->lines, "%s", what);
	cr_assert_eq(a->accesses, b->accesses, "%s", what);
	cr_assert_eq(a->walks, b->walks, "%s", what);
	cr_assert_eq(a->tlb_hits, b->tlb_hits, "%s", what);
	cr_assert_eq(a->faults, b->faults, "%s", what);
	cr_assert_eq(a->kvmmmu.walks, b->kvmmmu.walks, "%s", what);
	cr_assert_eq(a->kvmmmu.agree, b->kvmmmu.agree, "%s", what);
}

Test(compressed_input, every_format_reads_the_same_compressed_as_plain)
{
	static struct run_stats plain, packed;
	unsigned int f, c;
	char what[256];

	for (f = 0; f < ARRAY_SIZE(fixtures); f++) {
		struct test_buf b = read_file(fixtures[f].path);

		cr_assert_eq(run_mem(fixtures[f].input, &b, &plain, NULL, 0),
			     0);
		for (c = 0; c < ARRAY_SIZE(compressions); c++) {
			struct test_buf z = test_compress(compressions[c], &b);

			snprintf(what, sizeof(what), "%s as %s",
				 fixtures[f].path,
				 input_compression_name(compressions[c]));
			cr_assert_eq(run_mem(fixtures[f].input, &z, &packed,
					     what, sizeof(what)),
				     0, "%s", what);
			assert_same_run(&plain, &packed, what);
			free(z.data);
		}
		free(b.data);
	}
}

Test(compressed_input, concatenated_streams_are_read_one_after_another)
{
	static struct run_stats once, twice;
	struct test_buf b = read_file(fixtures[0].path), two, z;
	unsigned int c;

	for (c = 0; c < ARRAY_SIZE(compressions); c++) {
		z = test_compress(compressions[c], &b);
		two.len = 2 * z.len;
		two.data = malloc(two.len);
		cr_assert_not_null(two.data);
		memcpy(two.data, z.data, z.len);
		memcpy(two.data + z.len, z.data, z.len);
		cr_assert_eq(run_mem(&run_lackey_input, &z, &once, NULL, 0), 0);
		cr_assert_eq(run_mem(&run_lackey_input, &two, &twice, NULL, 0),
			     0, "%s", input_compression_name(compressions[c]));
		cr_assert_eq(twice.lines, 2 * once.lines);
		cr_assert_eq(twice.accesses, 2 * once.accesses);
		free(two.data);
		free(z.data);
	}
	free(b.data);
}

Test(compressed_input, a_stream_cut_short_is_an_error_at_the_line_it_cut)
{
	static struct run_stats st;
	char error[TRACE_ERROR_MAX], expected[128];
	u64 x = 1;
	struct test_buf b, z;
	unsigned int c, i;

	/* Scattered loads, long enough for several zstd blocks of 128 KiB. */
	b.data = malloc(40000 * 20);
	cr_assert_not_null(b.data);
	b.len = 0;
	for (i = 0; i < 40000; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		b.len += sprintf(b.data + b.len, " L %09llx,8\n",
				 (unsigned long long)(x >> 30));
	}
	for (c = 0; c < ARRAY_SIZE(compressions); c++) {
		z = test_compress(compressions[c], &b);
		z.len = z.len * 2 / 3;
		cr_assert_eq(run_mem(&run_lackey_input, &z, &st, error,
				     sizeof(error)),
			     -EIO, "%s",
			     input_compression_name(compressions[c]));
		/* The lines before the cut ran. */
		cr_assert_gt(st.accesses, 0);
		snprintf(
			expected, sizeof(expected),
			"t:%" PRIu64
			": %s: the data end before the stream does (cut short?)",
			st.lines + 1, input_compression_name(compressions[c]));
		cr_assert_str_eq(error, expected);
		free(z.data);
	}
	free(b.data);
}

Test(compressed_input, damaged_data_and_trailing_bytes_are_errors)
{
	static struct run_stats st;
	struct test_buf b = read_file(fixtures[0].path), z, tail;
	char error[TRACE_ERROR_MAX];
	unsigned int c;

	for (c = 0; c < ARRAY_SIZE(compressions); c++) {
		z = test_compress(compressions[c], &b);
		z.data[z.len / 2] ^= 0x55;
		cr_assert_eq(run_mem(&run_lackey_input, &z, &st, error,
				     sizeof(error)),
			     -EIO, "%s",
			     input_compression_name(compressions[c]));
		cr_assert_not_null(strstr(error, "damaged data"), "%s", error);
		free(z.data);
	}
	z = test_compress(INPUT_GZIP, &b);
	tail.len = z.len + 4;
	tail.data = malloc(tail.len);
	cr_assert_not_null(tail.data);
	memcpy(tail.data, z.data, z.len);
	memcpy(tail.data + z.len, "junk", 4);
	cr_assert_eq(run_mem(&run_lackey_input, &tail, &st, error,
			     sizeof(error)),
		     -EIO);
	cr_assert_not_null(strstr(error,
				  "gzip: bytes after the end of the stream"),
			   "%s", error);
	free(tail.data);
	free(z.data);
	free(b.data);
}

static char *run_piped(const char *args, const struct test_buf *input,
		       int *status);

/* @json without the file names, which differ from one run to another. */
static char *strip_names(char *json)
{
	char *p, *end;

	while ((p = strstr(json, "\"files\": ["))) {
		end = strchr(p, ']');
		cr_assert_not_null(end);
		memmove(p, end + 1, strlen(end + 1) + 1);
	}
	while ((p = strstr(json, "\"name\": \"")) ||
	       (p = strstr(json, "\"file\": \""))) {
		end = strchr(p + 9, '"');
		cr_assert_not_null(end);
		memmove(p, end + 1, strlen(end + 1) + 1);
	}
	return json;
}

/* "mmusim run --json --no-timing ARGS" on @input: the JSON, files left out. */
static char *run_json(const char *file, const struct test_buf *input)
{
	const char *args[] = { "--json", "--no-timing", file, NULL };
	struct mmusim_cmd_result r;

	mmusim_cmd_run(MMUSIM_BIN, "run", args, input ? input->data : NULL,
		       input ? input->len : 0, &r);
	/* 1: the kvmmmu fixture disagrees without its vendor's options. */
	cr_assert(r.status <= 1, "%s: status %d: %s", file, r.status, r.err);
	free(r.err);
	return strip_names(r.out);
}

Test(compressed_input, from_a_file_and_from_a_pipe_as_plain)
{
	char path[] = "/tmp/mmusim-input-test-XXXXXX";
	unsigned int f, c;
	char *plain, *got;
	int fd, status;

	for (f = 0; f < ARRAY_SIZE(fixtures); f++) {
		struct test_buf b = read_file(fixtures[f].path);

		plain = run_json(fixtures[f].path, NULL);
		for (c = 0; c < ARRAY_SIZE(compressions); c++) {
			struct test_buf z = test_compress(compressions[c], &b);

			strcpy(path, "/tmp/mmusim-input-test-XXXXXX");
			fd = mkstemp(path);
			cr_assert_geq(fd, 0);
			cr_assert_eq(write(fd, z.data, z.len), (ssize_t)z.len);
			close(fd);
			got = run_json(path, NULL);
			cr_assert_str_eq(
				got, plain, "%s as %s", fixtures[f].path,
				input_compression_name(compressions[c]));
			free(got);
			unlink(path);
			got = run_json("-", &z);
			cr_assert_str_eq(
				got, plain, "%s as %s on stdin",
				fixtures[f].path,
				input_compression_name(compressions[c]));
			free(got);
			got = strip_names(
				run_piped("--json --no-timing", &z, &status));
			cr_assert(WIFEXITED(status) &&
				  WEXITSTATUS(status) <= 1);
			cr_assert_str_eq(
				got, plain, "%s as %s on a pipe",
				fixtures[f].path,
				input_compression_name(compressions[c]));
			free(got);
			free(z.data);
		}
		free(plain);
		free(b.data);
	}
}

/* "mmusim run ARGS" with @input written into a pipe on its stdin. */
static char *run_piped(const char *args, const struct test_buf *input,
		       int *status)
{
	char out[] = "/tmp/mmusim-input-test-out-XXXXXX", cmd[512];
	FILE *p, *f;
	char *text;
	int fd;

	fd = mkstemp(out);
	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "'%s' run %s >'%s' 2>&1", MMUSIM_BIN, args,
		 out);
	p = popen(cmd, "w");
	cr_assert_not_null(p);
	cr_assert_eq(fwrite(input->data, 1, input->len, p), input->len);
	*status = pclose(p);
	f = fopen(out, "r");
	cr_assert_not_null(f);
	text = mmusim_cmd_read_stream(f, NULL);
	fclose(f);
	unlink(out);
	return text;
}

Test(standard_input, a_pipe_is_read_with_no_trace_and_with_dash)
{
	struct test_buf b = read_file(fixtures[0].path);
	struct test_buf z = test_compress(INPUT_XZ, &b);
	char *with_dash, *without, *plain;
	int status;

	with_dash = run_piped("--json --no-timing -", &z, &status);
	cr_assert_eq(status, 0, "%s", with_dash);
	without = run_piped("--json --no-timing", &z, &status);
	cr_assert_eq(status, 0, "%s", without);
	cr_assert_str_eq(without, with_dash);
	cr_assert_not_null(strstr(without, "\"format\": \"lackey\""));
	plain = run_json(fixtures[0].path, NULL);
	free(with_dash);
	with_dash = run_json("-", &b);
	cr_assert_str_eq(with_dash, plain);
	free(with_dash);
	free(without);
	free(plain);
	free(z.data);
	free(b.data);
}

Test(standard_input, a_redirected_file_is_read_with_no_trace)
{
	struct test_buf b = read_file(fixtures[0].path);
	const char *args[] = { "--json", "--no-timing", NULL };
	struct mmusim_cmd_result r;

	mmusim_cmd_run(MMUSIM_BIN, "run", args, b.data, b.len, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "\"format\": \"lackey\""));
	cr_assert_not_null(strstr(r.out, "\"lines\": 3000"));
	mmusim_cmd_result_free(&r);
	free(b.data);
}

Test(standard_input, an_empty_stdin_leaves_the_builtin_workload)
{
	const char *args[] = { "--json", "--no-timing", "--accesses=100",
			       NULL };
	struct mmusim_cmd_result r;

	mmusim_cmd_run(MMUSIM_BIN, "run", args, NULL, 0, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "\"format\": \"builtin\""));
	mmusim_cmd_result_free(&r);
}

Test(standard_input, an_empty_input_is_run_with_a_warning)
{
	const char *args[] = { "--no-timing", "-", NULL };
	struct mmusim_cmd_result r;

	mmusim_cmd_run(MMUSIM_BIN, "run", args, NULL, 0, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.err, "mmusim: <stdin>: warning: empty input\n");
	mmusim_cmd_result_free(&r);
}

/* One ChampSim input_instr record at @p: ip, 4 source, 2 destination. */
static void champsim_record(u8 *p, u64 ip, const u64 *src, const u64 *dst)
{
	int i, b;

	memset(p, 0, 64);
	for (b = 0; b < 8; b++) {
		p[b] = ip >> (8 * b);
		for (i = 0; i < 2; i++)
			p[16 + 8 * i + b] = dst[i] >> (8 * b);
		for (i = 0; i < 4; i++)
			p[32 + 8 * i + b] = src[i] >> (8 * b);
	}
}

/* @n records: a loop of 64 instructions, one load in 3, one store in 5. */
static struct test_buf champsim_trace(unsigned int n)
{
	struct test_buf b = { .len = 64 * n };
	unsigned int i;

	b.data = malloc(b.len);
	cr_assert_not_null(b.data);
	for (i = 0; i < n; i++) {
		u64 src[4] = { i % 3 ? 0 : 0x7ff000000ULL + i * 0x1040ULL };
		u64 dst[2] = { i % 5 ? 0 : 0x601000ULL + (i % 97) * 8 };

		champsim_record((u8 *)b.data + 64 * i, 0x400000 + (i % 64) * 4,
				src, dst);
	}
	return b;
}

Test(champsim, a_record_is_a_fetch_then_its_reads_then_its_writes)
{
	static struct run_stats st;
	u64 src[4] = { 0x10000, 0, 0x20008, 0 }, dst[2] = { 0, 0x10000 };
	u8 rec[64];
	struct test_buf b = { .data = (char *)rec, .len = sizeof(rec) };

	champsim_record(rec, 0x400000, src, dst);
	cr_assert_eq(run_mem(&run_champsim_input, &b, &st, NULL, 0), 0);
	cr_assert_eq(st.lines, 1);
	cr_assert_eq(st.instructions, 1);
	cr_assert_eq(st.fetches, 1);
	cr_assert_eq(st.reads, 2);
	cr_assert_eq(st.writes, 1);
	cr_assert_eq(st.accesses, 4);
	/*
	 * The store to 0x10000 comes after its load: the TLB entry the load
	 * made is clean, so the store walks again to set D.
	 */
	cr_assert_eq(st.tlb_rights_misses, 1);
	cr_assert_eq(st.tlb_misses, 3);
}

Test(champsim, told_from_its_first_records_and_text_is_not)
{
	struct test_buf b = champsim_trace(40);
	unsigned long line;

	cr_assert_eq(run_input_detect(b.data, b.len, true, &line),
		     &run_champsim_input);
	/* 16 records decide; fewer wait for more, or the end. */
	cr_assert_eq(run_input_detect(b.data, 16 * 64, false, &line),
		     &run_champsim_input);
	cr_assert_null(run_input_detect(b.data, 15 * 64, false, &line));
	cr_assert_eq(line, 0);
	cr_assert_eq(run_input_detect(b.data, 3 * 64, true, &line),
		     &run_champsim_input);
	cr_assert_eq(run_input_detect(" L 1000,8\n", 10, false, &line),
		     &run_lackey_input);
	/* A branch flag of 2 is no ChampSim record. */
	b.data[64 * 5 + 8] = 2;
	cr_assert_null(run_input_detect(b.data, b.len, true, &line));
	free(b.data);
}

Test(champsim, a_record_cut_short_is_an_error_at_its_byte_offset)
{
	static struct run_stats st;
	struct test_buf b = champsim_trace(20);
	char error[TRACE_ERROR_MAX];

	b.len = 64 * 7 + 10;
	cr_assert_eq(run_mem(&run_champsim_input, &b, &st, error,
			     sizeof(error)),
		     -EINVAL);
	cr_assert_str_eq(
		error,
		"t: byte 448: the input ends 10 bytes into a record of 64 bytes");
	cr_assert_eq(st.instructions, 7);
	free(b.data);
}

Test(champsim, compressed_on_a_pipe_with_instructions_and_mpki)
{
	struct test_buf b = champsim_trace(3000),
			z = test_compress(INPUT_XZ, &b);
	char *out;
	int status;

	out = run_piped("--json --no-timing", &z, &status);
	cr_assert_eq(status, 0, "%s", out);
	cr_assert_not_null(strstr(out, "\"format\": \"champsim\""), "%s", out);
	cr_assert_not_null(strstr(out, "\"instructions\": {\"total\": 3000, "),
			   "%s", out);
	free(out);
	out = run_piped("--no-timing --format=champsim -", &z, &status);
	cr_assert_eq(status, 0, "%s", out);
	cr_assert_not_null(strstr(out, "\n  instructions    3000: TLB misses "
				       "per 1000 (MPKI) "),
			   "%s", out);
	free(out);
	free(z.data);
	free(b.data);
}

Test(truncated_input, a_cut_trace_gets_its_message_its_summary_and_status_2)
{
	static const char *const plain[] = { "--no-timing", "-", NULL };
	static const char *const json[] = { "--json", "--no-timing", "-",
					    NULL };
	static const char *const keep[] = { "--keep-going", "--no-timing", "-",
					    NULL };
	/* valgrind killed in the middle of a line. */
	static const char cut[] = "I  04005c4,3\n L 7ff0003a0,8\n S 7ff0";
	struct test_buf b = { .data = (char *)cut, .len = sizeof(cut) - 1 }, z;
	struct mmusim_cmd_result r;

	mmusim_cmd_run(MMUSIM_BIN, "run", plain, b.data, b.len, &r);
	cr_assert_eq(r.status, 2);
	cr_assert_str_eq(r.err,
			 "mmusim: <stdin>:3: S record: missing ',SIZE' after "
			 "the address\n");
	cr_assert_not_null(strstr(r.out, "(lackey), stopped by bad input\n"));
	cr_assert_not_null(strstr(r.out, "\n  accesses        2: "), "%s",
			   r.out);
	mmusim_cmd_result_free(&r);

	mmusim_cmd_run(MMUSIM_BIN, "run", json, b.data, b.len, &r);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.out, "\"stopped\": true"), "%s", r.out);
	mmusim_cmd_result_free(&r);

	mmusim_cmd_run(MMUSIM_BIN, "run", keep, b.data, b.len, &r);
	cr_assert_eq(r.status, 1);
	cr_assert_not_null(strstr(r.out, "(1 bad lines skipped)"), "%s", r.out);
	mmusim_cmd_result_free(&r);

	/* A compressed trace cut short: the same, at the line it cut. */
	b = champsim_trace(4000);
	z = test_compress(INPUT_GZIP, &b);
	z.len /= 2;
	mmusim_cmd_run(MMUSIM_BIN, "run", plain, z.data, z.len, &r);
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert_not_null(strstr(r.err, ": gzip: the data end before the "
					 "stream does (cut short?)\n"),
			   "%s", r.err);
	cr_assert_not_null(strstr(r.out, "(champsim), stopped by bad input\n"),
			   "%s", r.out);
	mmusim_cmd_result_free(&r);
	free(z.data);
	free(b.data);
}

/* @n bytes of comment lines, then @rest. */
static struct test_buf after_comments(size_t n, const char *rest)
{
	struct test_buf b;
	size_t i;

	b.len = n + strlen(rest);
	b.data = malloc(b.len + 1);
	cr_assert_not_null(b.data);
	for (i = 0; i < n; i += 64) {
		memset(b.data + i, ' ', 64);
		memcpy(b.data + i, "# a comment", 11);
		b.data[i + 63] = '\n';
	}
	strcpy(b.data + n, rest);
	return b;
}

Test(format_detection, goes_past_more_than_a_mib_of_comments)
{
	static const char *const args[] = { "--json", "--no-timing", "-",
					    NULL };
	static const struct {
		const char *rest, *format;
	} cases[] = {
		{ "scenario a\ncr0 0x80010001\nread 0x1000\n", "native" },
		{ "cpus=1\n", "kvmmmu" },
	};
	struct mmusim_cmd_result r;
	unsigned int i;
	char want[64];

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		/* 3 MiB: three buffers of nothing but comments. */
		struct test_buf b = after_comments(3 << 20, cases[i].rest);

		mmusim_cmd_run(MMUSIM_BIN, "run", args, b.data, b.len, &r);
		cr_assert_eq(r.status, 0, "%s: %s", cases[i].format, r.err);
		snprintf(want, sizeof(want), "\"format\": \"%s\"",
			 cases[i].format);
		cr_assert_not_null(strstr(r.out, want), "%s", r.out);
		mmusim_cmd_result_free(&r);
		free(b.data);
	}
}

Test(format_detection, a_line_no_format_has_is_named_after_the_comments)
{
	static const char *const args[] = { "--no-timing", "-", NULL };
	struct test_buf b = after_comments(2 << 20, "hello world\n");
	struct mmusim_cmd_result r;
	char want[256];

	mmusim_cmd_run(MMUSIM_BIN, "run", args, b.data, b.len, &r);
	cr_assert_eq(r.status, 2);
	snprintf(want, sizeof(want),
		 "mmusim: <stdin>:%d: cannot tell the format from this line "
		 "('hello world'): no format has such a line; use "
		 "--format=lackey|kvmmmu|native|champsim|binary\n",
		 (2 << 20) / 64 + 1);
	cr_assert_str_eq(r.err, want);
	cr_assert_str_eq(r.out, "");
	mmusim_cmd_result_free(&r);
	free(b.data);
}

Test(format_detection, a_scenario_error_after_the_comments_has_its_line)
{
	static const char *const args[] = { "--no-timing", "-", NULL };
	struct test_buf b = after_comments(2 << 20, "scenario a\ncpl 4\n");
	struct mmusim_cmd_result r;
	char want[128];

	mmusim_cmd_run(MMUSIM_BIN, "run", args, b.data, b.len, &r);
	cr_assert_eq(r.status, 2);
	snprintf(want, sizeof(want),
		 "mmusim: <stdin>:%d: cpl 4 is out of range 0..3\n",
		 (2 << 20) / 64 + 2);
	cr_assert_str_eq(r.err, want);
	mmusim_cmd_result_free(&r);
	free(b.data);
}

Test(compressed_input, a_stream_cut_inside_a_skipped_long_line_stays_final)
{
	static struct run_stats st;
	char error[TRACE_ERROR_MAX];
	struct test_buf b, z;
	struct run_config cfg;
	struct trace_reader r;
	int ret;

	/* Line 2 is too long; the stream ends in its middle. */
	b.len = 12 + 3 * TRACE_LINE_MAX;
	b.data = malloc(b.len);
	cr_assert_not_null(b.data);
	memcpy(b.data, " L 1000,8\n L", 12);
	memset(b.data + 12, '0', b.len - 12);
	z = test_compress(INPUT_GZIP, &b);
	z.len -= 8;
	run_config_init(&cfg);
	cfg.input = &run_lackey_input;
	cfg.keep_going = true;
	cr_assert_eq(run_sim_init(&sim, &cfg), 0);
	cr_assert_eq(trace_reader_open_mem(&r, z.data, z.len, "t"), 0);
	ret = run_lackey_input.run(&sim, &r);
	snprintf(error, sizeof(error), "%s", r.error);
	st = sim.st;
	trace_reader_close(&r);
	run_sim_destroy(&sim);
	/* --keep-going skips the long line, not the damaged stream. */
	cr_assert_eq(ret, -EIO, "%d: %s", ret, error);
	cr_assert_str_eq(
		error,
		"t:3: gzip: the data end before the stream does (cut short?)");
	cr_assert_eq(st.bad_lines, 1);
	cr_assert_eq(st.accesses, 1);
	free(z.data);
	free(b.data);
}
