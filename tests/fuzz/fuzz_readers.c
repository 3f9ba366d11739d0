/*
 * fuzz_readers: every input reader of mmusim walk and mmusim run on any
 * bytes.  Byte 0 picks the reader (bits 2:0, % 5) and its options (bits
 * 7:3); the rest of the input is the file:
 *
 *   0  the scenario reader (sim/scenario.c), over fmemopen() and over the
 *      trace reader's stdio view, which must give the same statements and
 *      errors; every statement, printed back in canonical form and read
 *      again, must give itself;
 *   1  valgrind lackey lines (sim/input/trace_lackey.c) through the trace
 *      reader (sim/input/trace_reader.c), against a reference parser
 *      written from docs/trace-formats.md;
 *   2  kvmmmu lines (sim/input/trace_kvmmmu.c) through the trace reader:
 *      every walk event printed back as the kernel prints it must parse
 *      to the same values;
 *   3  format detection (sim/input/registry.c): what it decides on a
 *      prefix of the input it must decide on the whole;
 *   4  a whole "mmusim run" of the input by any row of the input table
 *      (sim/input/input.h), detected or picked, with options from 4 more
 *      bytes, with no MMU, tdp_mmu or shadow_mmu behind the vCPU;
 *   5, 6, 7  as 0, 1, 2.
 *
 * For every reader: any bytes give statements or a clean error, in
 * bounded time and memory; an error is "NAME:LINE: message" with the line
 * it is about, in printable ASCII.  A run that reports "a simulator bug"
 * (the MMU disagreeing with the guest's walk) or an MMU that makes no
 * progress is a crash.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "sim/input/decompress.h"
#include "sim/input/trace_reader.h"
#include "tests/fuzz/fuzz_readers_internal.h"

enum reader_mode {
	RM_SCENARIO,
	RM_LACKEY,
	RM_KVMMMU,
	RM_DETECT,
	RM_RUN,
	RM_COUNT,
};

u64 readers_digest;

/*
 * Lines of the input as the readers count them.  memchr(), not a loop of
 * compares: libFuzzer traced each byte's compare with '\n', 3.5 %
 * of the target's time, and that tells it nothing.
 */
unsigned long readers_count_lines(const u8 *data, size_t size)
{
	const u8 *p = data, *end = data + size, *nl;
	unsigned long n = 0;

	while (p < end && (nl = memchr(p, '\n', end - p))) {
		n++;
		p = nl + 1;
	}
	return n + (p < end);
}

/*
 * @err must read "NAME:LINE: message" with LINE == @line (any line in
 * 1..@max_line when @line is 0), a message, and printable ASCII only.
 */
void readers_check_error(const char *who, const char *err, unsigned long line,
			 unsigned long max_line)
{
	size_t n = strlen(NAME);
	unsigned long got = 0;
	const char *p;

	readers_digest = fuzz_digest_str(readers_digest, err);
	READERS_CHECK(!strncmp(err, NAME ":", n + 1),
		      "%s: error '%s' does not start with '" NAME ":'", who,
		      err);
	p = err + n + 1;
	READERS_CHECK(*p >= '1' && *p <= '9',
		      "%s: error '%s' has no line number", who, err);
	while (*p >= '0' && *p <= '9')
		got = got * 10 + (*p++ - '0');
	READERS_CHECK(p[0] == ':' && p[1] == ' ' && p[2],
		      "%s: error '%s' is not 'NAME:LINE: message'", who, err);
	READERS_CHECK(got >= 1 && got <= max_line,
		      "%s: error '%s' names line %lu of %lu", who, err, got,
		      max_line);
	READERS_CHECK(
		!line || got == line,
		"%s: error '%s' names line %lu, the reader is at line %lu", who,
		err, got, line);
	READERS_CHECK(fuzz_printable(err),
		      "%s: error '%s' has bytes that are not printable ASCII",
		      who, err);
}

/*
 * A gzip, zstd or xz stream: the trace reader decodes it under every
 * reader (sim/input/decompress.c), so the plain-text references of the
 * line and scenario modes do not apply.  Its lines instead: each one as
 * trace_read_line() promises, a damaged or cut stream a final error at
 * the line being read, and a bounded number of lines (4 KB of input
 * cannot decode to more than a few MB).
 */
#define DECODED_MAX_LINES (1UL << 22)

unsigned long readers_decoded_lines(const u8 *data, size_t size, bool check)
{
	unsigned long lines = 0;
	struct trace_reader r;
	const char *line;
	size_t len;
	int ret;

	READERS_CHECK(!trace_reader_open_mem(&r, (const char *)data, size,
					     NAME),
		      "trace_reader_open_mem failed");
	while ((ret = trace_read_line(&r, &line, &len)) != 0) {
		READERS_CHECK(++lines <= DECODED_MAX_LINES,
			      "decoded input: more than %lu lines",
			      DECODED_MAX_LINES);
		if (ret == 1) {
			READERS_CHECK(len <= TRACE_LINE_MAX && !line[len] &&
					      !memchr(line, '\n', len),
				      "decoded line %lu: %zu bytes", r.line,
				      len);
			continue;
		}
		/* A read error is at the line being read, after r.line. */
		if (check)
			readers_check_error("decoded input", r.error,
					    ret == -EIO ? r.line + 1 : r.line,
					    ret == -EIO ? r.line + 1 : lines);
		/*
		 * Skipping the rest of a long line may meet a damaged stream:
		 * then that error, final, is what skipping gives.
		 */
		if (ret == -EINVAL)
			ret = trace_reader_skip_error(&r);
		if (!ret)
			continue;
		READERS_CHECK(ret == -EIO, "trace_read_line() = %d (%s)", ret,
			      r.error);
		READERS_CHECK(trace_read_line(&r, &line, &len) < 0,
			      "decoded input: a read error is not final");
		/* Its message names the line being read when it came. */
		if (r.line + 1 > lines)
			lines = r.line + 1;
		break;
	}
	trace_reader_close(&r);
	readers_digest = fuzz_digest_u64(readers_digest, lines);
	return lines;
}

bool readers_compressed(const u8 *data, size_t size)
{
	return input_compression_of(data, size) != INPUT_PLAIN;
}

/*
 * A run of the input allocates and frees a vCPU, caches and an MMU of a
 * few MB; ASan's default 256 MB quarantine makes each input fault in
 * fresh pages (a third of an input's time went to the kernel).  32 MB
 * still holds the last inputs' memory for use-after-free reports.
 * ASAN_OPTIONS overrides.
 */
const char *__asan_default_options(void);

const char *__asan_default_options(void)
{
	return "quarantine_size_mb=32";
}

static void fuzz_readers(const u8 *data, size_t size)
{
	enum reader_mode mode;
	u8 sel;

	if (!size)
		return;
	sel = data[0];
	data++;
	size--;
	mode = sel % 8 % RM_COUNT;
	/* The plain-text references do not apply to a stream it decodes. */
	if (mode != RM_DETECT && mode != RM_RUN &&
	    readers_compressed(data, size)) {
		readers_decoded_lines(data, size, true);
		return;
	}
	switch (mode) {
	case RM_SCENARIO:
		fuzz_scenario(data, size, sel);
		break;
	case RM_LACKEY:
		fuzz_lackey(data, size, sel);
		break;
	case RM_KVMMMU:
		fuzz_kvmmmu(data, size, sel);
		break;
	case RM_DETECT:
		fuzz_detect(data, size, sel);
		break;
	default:
		fuzz_run(data, size, sel);
		break;
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	readers_digest = FUZZ_DIGEST_INIT;
	fuzz_readers(data, size);
	fuzz_digest_print(readers_digest);
	return 0;
}
