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
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "sim/input/decompress.h"
#include "sim/input/input.h"
#include "sim/input/trace_kvmmmu.h"
#include "sim/input/trace_lackey.h"
#include "sim/input/trace_reader.h"
#include "walker/types.h"

#define NAME "fuzz.in"

enum reader_mode {
	RM_SCENARIO,
	RM_LACKEY,
	RM_KVMMMU,
	RM_DETECT,
	RM_RUN,
	RM_COUNT,
};

/*
 * Bits 7:3 of byte 0: go on after a bad line (scenario reader, mmusim
 * run); take "invlpg" and "invept" (scenario reader), and refuse "invept"
 * from the callback; bits 7:6 are the mode's own (lackey: the largest
 * size; kvmmmu: flag names and trace-cmd lines printed back; detection:
 * where the prefixes end).
 */
#define RF_KEEP_GOING BIT(3)
#define RF_RUN_STMT BIT(4)
#define RF_REFUSE_INVEPT BIT(5)
#define RF_OPT_SHIFT 6

#define readers_fail(...) fuzz_fail("fuzz_readers", __VA_ARGS__)

#define READERS_CHECK(cond, ...) FUZZ_CHECK("fuzz_readers", cond, __VA_ARGS__)

/*
 * What the input gave: its errors, the statements read, the lines'
 * results, the format detected, a run's result and counters
 * (fuzz_check.h).
 */
static u64 readers_digest;

/*
 * Lines of the input as the readers count them.  memchr(), not a loop of
 * compares: libFuzzer traced each byte's compare with '\n', 3.5 %
 * of the target's time, and that tells it nothing.
 */
static unsigned long count_lines(const u8 *data, size_t size)
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
static void check_error(const char *who, const char *err, unsigned long line,
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

/* ---- growing text buffers ---- */

struct text {
	char *s;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3)))
text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->s ? t->s + t->len : NULL,
			      t->s ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		READERS_CHECK(n >= 0, "vsnprintf failed");
		if (t->s && t->len + n < t->cap) {
			t->len += n;
			return;
		}
		t->cap = (t->cap + n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		READERS_CHECK(t->s, "out of memory");
		if (!t->len)
			t->s[0] = '\0';
	}
}

static void text_free(struct text *t)
{
	free(t->s);
	memset(t, 0, sizeof(*t));
}

/* ---- 0: scenario files ---- */

static const char *const npt_host_names[] = {
	[PT32_ROOT_LEVEL] = "2level",
	[PT32E_ROOT_LEVEL] = "pae",
	[PT64_ROOT_4LEVEL] = "4level",
	[PT64_ROOT_5LEVEL] = "5level",
};

/* What a statement says, as a statement that says it. */
static void render_stmt(struct text *t, const struct scenario_stmt *st)
{
	const struct sim_nested *n = &st->nested;
	const struct sim_access *a = &st->access;

	switch (st->kind) {
	case SCENARIO_STMT_BEGIN:
		READERS_CHECK(st->begin.len > 0 && st->begin.len < 4096,
			      "scenario: a name of %zu bytes", st->begin.len);
		text_add(t, "scenario %.*s\n", (int)st->begin.len,
			 st->begin.name);
		return;
	case SCENARIO_STMT_SET:
		READERS_CHECK((unsigned int)st->set.reg < SIM_REG_NESTED,
			      "a setting of register %d", st->set.reg);
		READERS_CHECK(
			!sim_reg_check(st->set.reg, st->set.value, NULL, 0),
			"line %lu: %s 0x%" PRIx64
			" was read, but sim_reg_check() refuses it",
			st->line, sim_reg_name(st->set.reg), st->set.value);
		if (st->set.reg == SIM_REG_VENDOR)
			text_add(t, "vendor %s\n",
				 st->set.value ? "amd" : "intel");
		else if (st->set.reg == SIM_REG_GBPAGES)
			text_add(t, "gbpages %s\n",
				 st->set.value ? "on" : "off");
		else
			text_add(t, "%s 0x%" PRIx64 "\n",
				 sim_reg_name(st->set.reg), st->set.value);
		return;
	case SCENARIO_STMT_NESTED:
		READERS_CHECK(!sim_nested_check(n, NULL, 0),
			      "line %lu: a nested stage sim_nested_check() "
			      "refuses",
			      st->line);
		if (n->kind == SIM_NESTED_NONE) {
			text_add(t, "nested none\n");
		} else if (n->kind == SIM_NESTED_EPT) {
			READERS_CHECK(n->huge_page_level >= PG_LEVEL_4K &&
					      n->huge_page_level <= PG_LEVEL_1G,
				      "nested ept: huge-level %u",
				      n->huge_page_level);
			text_add(t,
				 "nested ept eptp=0x%" PRIx64
				 "%s%s huge-level=%u\n",
				 n->eptp, n->execonly ? " execonly" : "",
				 n->mbec ? " mbec" : "", n->huge_page_level);
		} else {
			READERS_CHECK(n->kind == SIM_NESTED_NPT &&
					      n->host_level >=
						      PT32_ROOT_LEVEL &&
					      n->host_level <= PT64_ROOT_5LEVEL,
				      "nested: kind %d, host level %u", n->kind,
				      n->host_level);
			text_add(t,
				 "nested npt ncr3=0x%" PRIx64
				 " host=%s%s nx=%d\n",
				 n->ncr3, npt_host_names[n->host_level],
				 n->gmet ? " gmet" : "", n->host_nx);
		}
		return;
	case SCENARIO_STMT_MEM:
		READERS_CHECK(st->mem.size && st->mem.gpa < BIT_ULL(52) &&
				      st->mem.size <= BIT_ULL(52) - st->mem.gpa,
			      "mem 0x%" PRIx64 " 0x%" PRIx64
			      " reaches past 2^52",
			      st->mem.gpa, st->mem.size);
		text_add(t, "mem 0x%" PRIx64 " 0x%" PRIx64 "\n", st->mem.gpa,
			 st->mem.size);
		return;
	case SCENARIO_STMT_WRITE:
		READERS_CHECK((st->write.size == 4 || st->write.size == 8) &&
				      !(st->write.gpa & (st->write.size - 1)) &&
				      st->write.gpa < BIT_ULL(52) &&
				      (st->write.size == 8 ||
				       !(st->write.value >> 32)),
			      "write%d 0x%" PRIx64 " 0x%" PRIx64
			      ": bad size, alignment or value",
			      st->write.size * 8, st->write.gpa,
			      st->write.value);
		text_add(t, "write%d 0x%" PRIx64 " 0x%" PRIx64 "\n",
			 st->write.size * 8, st->write.gpa, st->write.value);
		return;
	case SCENARIO_STMT_ACCESS:
		READERS_CHECK(
			(unsigned int)a->kind <= SIM_ACCESS_FETCH &&
				(unsigned int)a->priv <= SIM_PRIV_SUPERVISOR &&
				!(a->implicit && (a->kind == SIM_ACCESS_FETCH ||
						  a->priv == SIM_PRIV_USER)),
			"line %lu: access kind %d priv %d implicit %d",
			st->line, a->kind, a->priv, a->implicit);
		text_add(t, "%s 0x%" PRIx64 "%s%s\n",
			 sim_access_kind_name(a->kind), a->addr,
			 a->priv == SIM_PRIV_USER	? " user" :
			 a->priv == SIM_PRIV_SUPERVISOR ? " supervisor" :
							  "",
			 a->implicit ? " implicit" : "");
		return;
	case SCENARIO_STMT_READ_MEM:
	case SCENARIO_STMT_EXPECT:
		READERS_CHECK(
			(st->memory.size == 4 || st->memory.size == 8) &&
				!(st->memory.gpa & (st->memory.size - 1)) &&
				st->memory.gpa < BIT_ULL(52) &&
				(st->memory.size == 8 ||
				 !(st->memory.value >> 32)),
			"memory check %d 0x%" PRIx64 " 0x%" PRIx64
			": bad size, alignment or value",
			st->memory.size * 8, st->memory.gpa, st->memory.value);
		if (st->kind == SCENARIO_STMT_READ_MEM)
			text_add(t, "read%d 0x%" PRIx64 "\n",
				 st->memory.size * 8, st->memory.gpa);
		else
			text_add(t, "expect%d 0x%" PRIx64 " 0x%" PRIx64 "\n",
				 st->memory.size * 8, st->memory.gpa,
				 st->memory.value);
		return;
	}
	readers_fail("line %lu: statement kind %d", st->line, st->kind);
}

struct scn_run {
	struct text log;
	/* Only the statements, for the round trip. */
	struct text stmts;
	unsigned long max_line;
	unsigned long last_line;
	bool refuse_invept;
};

static int on_run_stmt(struct scenario_reader *r,
		       const struct scenario_run_stmt *rs, void *opaque)
{
	struct scn_run *sr = opaque;

	READERS_CHECK(rs->line == r->line && r->in_scenario,
		      "run statement of line %lu read at line %lu (%s a "
		      "scenario)",
		      rs->line, r->line, r->in_scenario ? "in" : "outside");
	if (rs->kind == SCENARIO_RUN_INVLPG) {
		text_add(&sr->log, "%lu invlpg 0x%" PRIx64 "\n", rs->line,
			 rs->addr);
		text_add(&sr->stmts, "invlpg 0x%" PRIx64 "\n", rs->addr);
		return 0;
	}
	if (rs->kind == SCENARIO_RUN_INVPCID) {
		/*
		 * Type 0 has a PCID and an address, type 1 a PCID, types 2
		 * and 3 neither (sim/scenario.h).
		 */
		READERS_CHECK(rs->type <= 3 &&
				      !(rs->pcid & ~X86_CR3_PCID_MASK) &&
				      (rs->type <= 1 || !rs->pcid) &&
				      (!rs->type || !rs->addr),
			      "invpcid type %u, PCID 0x%x, address 0x%" PRIx64,
			      rs->type, rs->pcid, rs->addr);
		text_add(&sr->log, "%lu invpcid %u 0x%x 0x%" PRIx64 "\n",
			 rs->line, rs->type, rs->pcid, rs->addr);
		if (rs->type == 0)
			text_add(&sr->stmts, "invpcid 0 0x%x 0x%" PRIx64 "\n",
				 rs->pcid, rs->addr);
		else if (rs->type == 1)
			text_add(&sr->stmts, "invpcid 1 0x%x\n", rs->pcid);
		else
			text_add(&sr->stmts, "invpcid %u\n", rs->type);
		return 0;
	}
	READERS_CHECK(rs->kind == SCENARIO_RUN_INVEPT, "run statement kind %d",
		      rs->kind);
	if (sr->refuse_invept)
		return scenario_error(r, rs->line, "invept refused");
	text_add(&sr->log, "%lu invept\n", rs->line);
	text_add(&sr->stmts, "invept\n");
	return 0;
}

/*
 * Read @f to the end (or the first error unless @keep_going) into
 * sr->log.  Every call of scenario_read() reads at least one line, so
 * more calls than lines is a reader that does not move on.
 */
static void read_scenarios(FILE *f, struct scn_run *sr, u8 sel)
{
	struct scenario_reader r;
	struct scenario_stmt st;
	unsigned long calls = 0;
	int ret;

	scenario_reader_init(&r, f, NAME);
	if (sel & RF_RUN_STMT) {
		r.run_stmt = on_run_stmt;
		r.run_stmt_opaque = sr;
	}
	for (;;) {
		READERS_CHECK(++calls <= sr->max_line + 2,
			      "scenario_read(): %lu calls for %lu lines", calls,
			      sr->max_line);
		memset(&st, 0xa5, sizeof(st));
		ret = scenario_read(&r, &st);
		if (!ret)
			break;
		if (ret > 0) {
			READERS_CHECK(ret == 1, "scenario_read() = %d", ret);
			READERS_CHECK(st.line == r.line && st.line >= 1 &&
					      st.line <= sr->max_line &&
					      st.line > sr->last_line,
				      "statement of line %lu at reader line "
				      "%lu, after line %lu, of %lu",
				      st.line, r.line, sr->last_line,
				      sr->max_line);
			sr->last_line = st.line;
			text_add(&sr->log, "%lu ", st.line);
			render_stmt(&sr->log, &st);
			render_stmt(&sr->stmts, &st);
			continue;
		}
		READERS_CHECK(ret == -EINVAL && r.status == -EINVAL,
			      "scenario_read() = %d, status %d (%s)", ret,
			      r.status, r.error);
		check_error("scenario_read", r.error, r.line, sr->max_line);
		READERS_CHECK(r.line > sr->last_line || !r.line,
			      "error at line %lu after a statement of line %lu",
			      r.line, sr->last_line);
		sr->last_line = r.line;
		text_add(&sr->log, "error %s\n", r.error);
		/* The first error is final. */
		READERS_CHECK(scenario_read(&r, &st) == -EINVAL &&
				      r.status == -EINVAL,
			      "the error of line %lu is not final", r.line);
		if (!(sel & RF_KEEP_GOING))
			break;
		READERS_CHECK(
			!scenario_reader_skip_error(&r) && !r.status &&
				!r.error[0],
			"scenario_reader_skip_error() did not forget '%s'",
			r.error);
	}
	/* The end is final too. */
	if (!ret)
		READERS_CHECK(!scenario_read(&r, &st),
			      "scenario_read() goes on after the end");
}

static void scn_run_init(struct scn_run *sr, unsigned long max_line, u8 sel)
{
	memset(sr, 0, sizeof(*sr));
	sr->max_line = max_line;
	sr->refuse_invept = sel & RF_REFUSE_INVEPT;
}

static void scn_run_free(struct scn_run *sr)
{
	text_free(&sr->log);
	text_free(&sr->stmts);
}

static void fuzz_scenario(const u8 *data, size_t size, u8 sel)
{
	unsigned long lines = count_lines(data, size);
	struct scn_run a, b, rt;
	struct trace_reader tr;
	FILE *f;

	/* 1: fmemopen() (glibc refuses an empty buffer: read /dev/null). */
	scn_run_init(&a, lines, sel);
	f = size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");
	READERS_CHECK(f, "fmemopen: %s", strerror(errno));
	read_scenarios(f, &a, sel);
	fclose(f);

	/* 2: the stdio view of a trace reader, as mmusim run reads. */
	scn_run_init(&b, lines, sel);
	READERS_CHECK(!trace_reader_open_mem(&tr, (const char *)data, size,
					     NAME),
		      "trace_reader_open_mem failed");
	f = trace_reader_fopen(&tr);
	READERS_CHECK(f, "trace_reader_fopen: %s", tr.error);
	read_scenarios(f, &b, sel);
	fclose(f);
	trace_reader_close(&tr);

	READERS_CHECK(a.log.len == b.log.len &&
			      (!a.log.len ||
			       !memcmp(a.log.s, b.log.s, a.log.len)),
		      "fmemopen() and trace_reader_fopen() read differently:\n"
		      "--- fmemopen\n%s--- trace_reader_fopen\n%s",
		      a.log.s ? a.log.s : "", b.log.s ? b.log.s : "");

	if (a.log.len)
		readers_digest =
			fuzz_digest_bytes(readers_digest, a.log.s, a.log.len);

	/*
	 * 3: the statements printed back form a file that reads as the same
	 * statements (one a line, no errors).
	 */
	if (a.stmts.len) {
		scn_run_init(&rt,
			     count_lines((const u8 *)a.stmts.s, a.stmts.len),
			     sel & ~(RF_KEEP_GOING | RF_REFUSE_INVEPT));
		f = fmemopen(a.stmts.s, a.stmts.len, "r");
		READERS_CHECK(f, "fmemopen: %s", strerror(errno));
		read_scenarios(f, &rt,
			       sel & ~(RF_KEEP_GOING | RF_REFUSE_INVEPT));
		fclose(f);
		READERS_CHECK(rt.stmts.len == a.stmts.len &&
				      !memcmp(rt.stmts.s, a.stmts.s,
					      a.stmts.len),
			      "statements printed back read differently:\n"
			      "--- read\n%s--- read back\n%s",
			      a.stmts.s, rt.stmts.s ? rt.stmts.s : "");
		scn_run_free(&rt);
	}
	scn_run_free(&a);
	scn_run_free(&b);
}

/* ---- lines through the trace reader (modes 1 and 2) ---- */

/*
 * The trace reader's line splitting, restated: @off is where the next line
 * starts; 1 with the line, or -1 for a line longer than TRACE_LINE_MAX
 * (then @off moves past it), 0 at the end.
 */
static int ref_next_line(const u8 *data, size_t size, size_t *off,
			 const u8 **line, size_t *len)
{
	const u8 *start = data + *off, *nl;
	size_t n;

	if (*off >= size)
		return 0;
	nl = memchr(start, '\n', size - *off);
	if (nl) {
		n = nl - start;
		*off += n + 1;
		if (n > TRACE_LINE_MAX + 1 ||
		    (n == TRACE_LINE_MAX + 1 && start[n - 1] != '\r'))
			return -1;
	} else {
		n = size - *off;
		*off = size;
		if (n > TRACE_LINE_MAX)
			return -1;
	}
	if (n && start[n - 1] == '\r')
		n--;
	*line = start;
	*len = n;
	return 1;
}

typedef void (*line_fn)(struct trace_reader *r, const char *line, size_t len,
			u8 sel, unsigned long max_line);

/*
 * Every line of the input through @fn, with the reader's lines checked
 * against ref_next_line().  @fn reports a bad line with
 * trace_reader_error(); errors are skipped as --keep-going does.
 */
static void for_each_line(const u8 *data, size_t size, u8 sel, line_fn fn)
{
	unsigned long max_line = count_lines(data, size), calls = 0;
	struct trace_reader r;
	const u8 *ref_line = NULL;
	size_t ref_off = 0, ref_len = 0, len;
	const char *line;
	int ret, ref;

	READERS_CHECK(!trace_reader_open_mem(&r, (const char *)data, size,
					     NAME),
		      "trace_reader_open_mem failed");
	for (;;) {
		READERS_CHECK(++calls <= max_line + 2,
			      "trace_read_line(): %lu calls for %lu lines",
			      calls, max_line);
		ret = trace_read_line(&r, &line, &len);
		ref = ref_next_line(data, size, &ref_off, &ref_line, &ref_len);
		if (!ret) {
			READERS_CHECK(!ref,
				      "trace_read_line() ends early, "
				      "at line %lu",
				      r.line);
			break;
		}
		if (ret < 0) {
			READERS_CHECK(
				ret == -EINVAL && ref < 0,
				"trace_read_line() = %d at line %lu (%s), "
				"expected %s",
				ret, r.line, r.error,
				ref ? "a line" : "the end");
			check_error("trace_read_line", r.error, r.line,
				    max_line);
			READERS_CHECK(!trace_reader_skip_error(&r),
				      "trace_reader_skip_error() failed");
			continue;
		}
		READERS_CHECK(ret == 1 && ref == 1 && len == ref_len &&
				      !memcmp(line, ref_line, len) &&
				      !line[len] && len <= TRACE_LINE_MAX,
			      "trace_read_line() line %lu: got %zu bytes, "
			      "expected %s of %zu bytes",
			      r.line, len, ref == 1 ? "a line" : "an error",
			      ref_len);
		fn(&r, line, len, sel, max_line);
		readers_digest = fuzz_digest_u64(readers_digest, r.status);
		if (r.status) {
			check_error("bad line", r.error, r.line, max_line);
			READERS_CHECK(!trace_reader_skip_error(&r),
				      "trace_reader_skip_error() failed");
		}
	}
	trace_reader_close(&r);
}

/* ---- 1: lackey ---- */

static bool is_blank(u8 c)
{
	return c == ' ' || c == '\t';
}

static int hex_digit(u8 c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "==PID==", "--PID--", "**PID**" at @s. */
static bool ref_valgrind_line(const u8 *s, size_t len)
{
	size_t i = 2;

	if (len < 5 || (s[0] != '=' && s[0] != '-' && s[0] != '*') ||
	    s[1] != s[0])
		return false;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	return i > 2 && i + 1 < len && s[i] == s[0] && s[i + 1] == s[0];
}

/*
 * The lackey grammar of docs/trace-formats.md: blanks, a letter I L S M,
 * blanks (at least one), ADDR (hex, at most 64 bits, leading zeros
 * allowed), ',', SIZE (decimal, 1..@max_size), blanks.  0 for a blank or
 * valgrind line, 1 for a record, -1 otherwise.
 */
static int ref_lackey(const u8 *s, size_t len, u32 max_size,
		      struct lackey_record *rec)
{
	const u8 *p = s, *end = s + len;
	u64 addr = 0, size = 0;
	bool digits = false;
	int d;

	while (p < end && is_blank(*p))
		p++;
	if (p == end)
		return 0;
	if (ref_valgrind_line(p, end - p))
		return 0;
	switch (*p) {
	case 'I':
		rec->op = LACKEY_INSTR;
		break;
	case 'L':
		rec->op = LACKEY_LOAD;
		break;
	case 'S':
		rec->op = LACKEY_STORE;
		break;
	case 'M':
		rec->op = LACKEY_MODIFY;
		break;
	default:
		return -1;
	}
	p++;
	if (p == end || !is_blank(*p))
		return -1;
	while (p < end && is_blank(*p))
		p++;
	for (; p < end && (d = hex_digit(*p)) >= 0; p++) {
		if (addr >> 60)
			return -1;
		addr = addr << 4 | d;
		digits = true;
	}
	if (!digits || p == end || *p != ',')
		return -1;
	p++;
	digits = false;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		size = size * 10 + (*p - '0');
		if (size > max_size)
			return -1;
		digits = true;
	}
	if (!digits || !size)
		return -1;
	while (p < end && is_blank(*p))
		p++;
	if (p != end)
		return -1;
	rec->addr = addr;
	rec->size = size;
	return 1;
}

/* Exactly as lackey prints a record: "I  ADDR,SIZE" or " X ADDR,SIZE". */
static bool ref_lackey_is_record(const u8 *s, size_t len)
{
	struct lackey_record rec;

	if (len < 6 || s[2] != ' ' || is_blank(s[3]))
		return false;
	if (!(s[0] == 'I' && s[1] == ' ') &&
	    !(s[0] == ' ' && (s[1] == 'L' || s[1] == 'S' || s[1] == 'M')))
		return false;
	return ref_lackey(s, len, ~0U, &rec) == 1;
}

static const u32 lackey_max_sizes[4] = { RUN_MAX_ACCESS_SIZE, 8, 1, ~0U };

static void lackey_line(struct trace_reader *r, const char *line, size_t len,
			u8 sel, unsigned long max_line)
{
	u32 max_size = lackey_max_sizes[(sel >> RF_OPT_SHIFT) & 3];
	struct lackey_record rec, want;
	char why[TRACE_ERROR_MAX / 2];
	const u8 *s = (const u8 *)line;
	int got, ref;
	const void *nul;

	(void)max_line;
	memset(&rec, 0xa5, sizeof(rec));
	memset(&want, 0, sizeof(want));
	why[0] = '\0';
	got = lackey_parse_line(line, len, max_size, &rec, why, sizeof(why));
	ref = ref_lackey(s, len, max_size, &want);
	READERS_CHECK(got == (ref < 0 ? -EINVAL : ref),
		      "lackey_parse_line(\"%.*s\") = %d (%s), the grammar "
		      "says %d",
		      (int)len, line, got, got < 0 ? why : "", ref);
	if (got == 1)
		READERS_CHECK(
			rec.op == want.op && rec.addr == want.addr &&
				rec.size == want.size,
			"lackey_parse_line(\"%.*s\"): op %d addr 0x%" PRIx64
			" size %u, expected op %d addr 0x%" PRIx64 " size %u",
			(int)len, line, rec.op, rec.addr, rec.size, want.op,
			want.addr, want.size);
	READERS_CHECK(lackey_is_record(line, len) ==
			      ref_lackey_is_record(s, len),
		      "lackey_is_record(\"%.*s\") = %d", (int)len, line,
		      lackey_is_record(line, len));
	READERS_CHECK(lackey_is_valgrind_line(line, len) ==
			      ref_valgrind_line(s, len),
		      "lackey_is_valgrind_line(\"%.*s\") = %d", (int)len, line,
		      lackey_is_valgrind_line(line, len));
	if (got >= 0)
		return;
	READERS_CHECK(why[0] && strlen(why) < sizeof(why) - 1 &&
			      fuzz_printable(why),
		      "lackey_parse_line: message '%s'", why);
	nul = memchr(line, '\0', len);
	if (nul) {
		char want_why[64];

		snprintf(want_why, sizeof(want_why), "NUL byte at column %zu",
			 (size_t)((const char *)nul - line) + 1);
		READERS_CHECK(!strcmp(why, want_why),
			      "lackey_parse_line: '%s' for a line with a NUL "
			      "(expected '%s')",
			      why, want_why);
	}
	trace_reader_error(r, r->line, "%s", why);
}

/* ---- 2: kvmmmu ---- */

static bool is_ident(u8 c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* kvmmmu_pferr_flags() in a buffer of every size: always a prefix. */
static void check_pferr_flags(u32 pferr)
{
	char full[2][96], small[96];
	size_t len;
	int newer;

	for (newer = 0; newer <= 1; newer++) {
		kvmmmu_pferr_flags(pferr, newer, full[newer], sizeof(full[0]));
		READERS_CHECK(strlen(full[newer]) < 80,
			      "kvmmmu_pferr_flags(0x%x): '%s'", pferr,
			      full[newer]);
		for (len = 1; len <= strlen(full[newer]) + 1; len++) {
			memset(small, 'x', sizeof(small));
			kvmmmu_pferr_flags(pferr, newer, small, len);
			READERS_CHECK(memchr(small, '\0', len) &&
					      !strncmp(small, full[newer],
						       strlen(small)),
				      "kvmmmu_pferr_flags(0x%x, %zu bytes): "
				      "'%.*s' is not a prefix of '%s'",
				      pferr, len, (int)len, small, full[newer]);
		}
	}
}

/* Print @ev back as the kernel does and parse it: the same values. */
static void kvmmmu_round_trip(const struct kvmmmu_event *ev, bool newer,
			      bool trace_cmd)
{
	char line[512], flags[96];
	struct kvmmmu_event back;
	char why[TRACE_ERROR_MAX / 2];
	const char *prefix = trace_cmd ? " CPU 0/KVM-%ld [001] 12.345678: " :
					 "  qemu-system-x86-%ld    [001] ..... "
					 " 1404.389656: ";
	int n, r;

	n = snprintf(line, sizeof(line), prefix, ev->pid);
	switch (ev->kind) {
	case KVMMMU_EV_WALK:
		kvmmmu_pferr_flags(ev->pferr, newer, flags, sizeof(flags));
		snprintf(line + n, sizeof(line) - n,
			 "kvm_mmu_pagetable_walk: addr %" PRIx64 " pferr %x %s",
			 ev->addr, ev->pferr, flags);
		break;
	case KVMMMU_EV_ELEMENT:
		snprintf(line + n, sizeof(line) - n,
			 "kvm_mmu_paging_element: pte %" PRIx64 " level %d",
			 ev->pte, ev->level);
		break;
	case KVMMMU_EV_ERROR:
		kvmmmu_pferr_flags(ev->pferr, newer, flags, sizeof(flags));
		snprintf(line + n, sizeof(line) - n,
			 "kvm_mmu_walker_error: pferr %x %s", ev->pferr, flags);
		break;
	case KVMMMU_EV_ACCESSED:
	case KVMMMU_EV_DIRTY:
		snprintf(line + n, sizeof(line) - n, "%s: gpa %" PRIx64,
			 ev->kind == KVMMMU_EV_ACCESSED ?
				 "kvm_mmu_set_accessed_bit" :
				 "kvm_mmu_set_dirty_bit",
			 ev->gpa);
		break;
	default:
		return;
	}
	r = kvmmmu_parse_line(line, strlen(line), &back, why, sizeof(why));
	READERS_CHECK(!r && back.kind == ev->kind && back.pid == ev->pid &&
			      back.addr == ev->addr &&
			      back.pferr == ev->pferr && back.pte == ev->pte &&
			      back.level == ev->level && back.gpa == ev->gpa,
		      "kvmmmu event printed back as '%s' parses as %d (%s): "
		      "kind %d pid %ld addr 0x%" PRIx64
		      " pferr 0x%x pte 0x%" PRIx64 " level %d gpa 0x%" PRIx64,
		      line, r, r ? why : "", back.kind, back.pid, back.addr,
		      back.pferr, back.pte, back.level, back.gpa);
	READERS_CHECK(kvmmmu_is_trace_line(line, strlen(line)),
		      "kvmmmu_is_trace_line('%s') is false", line);
}

#define NOT_A_TRACE_LINE \
	"is not a trace line (COMM-PID [CPU] FLAGS TIMESTAMP: EVENT: ...)"

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static void kvmmmu_line(struct trace_reader *r, const char *line, size_t len,
			u8 sel, unsigned long max_line)
{
	struct kvmmmu_event ev;
	char why[TRACE_ERROR_MAX];
	bool trace_line = kvmmmu_is_trace_line(line, len);
	int got;

	(void)max_line;
	why[0] = '\0';
	memset(&ev, 0xa5, sizeof(ev));
	got = kvmmmu_parse_line(line, len, &ev, why, sizeof(why));
	if (got) {
		/* In run_kvmmmu()'s buffer, every message is whole. */
		READERS_CHECK(got == -EINVAL && why[0] && fuzz_printable(why) &&
				      strlen(why) < sizeof(why) - 1,
			      "kvmmmu_parse_line(\"%.*s\") = %d, message '%s'",
			      (int)len, line, got, why);
		/* A line detection takes for kvmmmu has the event prefix. */
		READERS_CHECK(!trace_line || !ends_with(why, NOT_A_TRACE_LINE),
			      "kvmmmu_is_trace_line(\"%.*s\") but '%s'",
			      (int)len, line, why);
		trace_reader_error(r, r->line, "%s", why);
		return;
	}
	READERS_CHECK((unsigned int)ev.kind <= KVMMMU_EV_OTHER,
		      "kvmmmu_parse_line: kind %d", ev.kind);
	/* A "# mmusim-guest:" header line names no task either. */
	if (ev.kind == KVMMMU_EV_NONE || ev.kind == KVMMMU_EV_LOST ||
	    (ev.kind == KVMMMU_EV_GUEST && !ev.name)) {
		READERS_CHECK(ev.pid == -1 && !ev.name,
			      "kvmmmu_parse_line(\"%.*s\"): a header with pid "
			      "%ld",
			      (int)len, line, ev.pid);
		return;
	}
	READERS_CHECK(ev.pid >= 0 && ev.pid <= 999999999 && ev.name &&
			      ev.name >= line && ev.name_len &&
			      ev.name + ev.name_len < line + len &&
			      ev.name[ev.name_len] == ':',
		      "kvmmmu_parse_line(\"%.*s\"): pid %ld, name at %td, "
		      "%zu bytes",
		      (int)len, line, ev.pid, ev.name ? ev.name - line : -1,
		      ev.name_len);
	for (size_t i = 0; i < ev.name_len; i++)
		READERS_CHECK(is_ident(ev.name[i]),
			      "kvmmmu_parse_line(\"%.*s\"): event name '%.*s'",
			      (int)len, line, (int)ev.name_len, ev.name);
	if (ev.kind == KVMMMU_EV_ELEMENT)
		READERS_CHECK(ev.level >= 1 && ev.level <= 5,
			      "kvm_mmu_paging_element: level %d", ev.level);
	if (ev.kind == KVMMMU_EV_WALK || ev.kind == KVMMMU_EV_ERROR)
		check_pferr_flags(ev.pferr);
	kvmmmu_round_trip(&ev, sel & BIT(RF_OPT_SHIFT), sel & BIT(7));
}

/* ---- 3: format detection ---- */

static void fuzz_detect(const u8 *data, size_t size, u8 sel)
{
	unsigned long max_line = count_lines(data, size), line, pline;
	const struct run_input_ops *full, *part;
	size_t cut;
	int i;

	full = run_input_detect((const char *)data, size, true, &line);
	READERS_CHECK(!full || run_input_find(full->name) == full,
		      "run_input_detect() = %p, not a row of the table",
		      (const void *)full);
	readers_digest = fuzz_digest_str(readers_digest,
					 full ? full->name : "undecided");
	readers_digest = fuzz_digest_u64(readers_digest, line);
	/* With all the input there, only a line no format has is undecided. */
	READERS_CHECK(!full == (line != 0) && line <= max_line,
		      "run_input_detect(eof) = %s with line %lu of %lu",
		      full ? full->name : "none", line, max_line);

	/* Any prefix decides as the whole, or waits for more. */
	for (i = 0; i < 4; i++) {
		cut = i == 3 ? size : (size * (i + 1 + (sel >> 6))) / 7;
		part = run_input_detect((const char *)data, cut, false, &pline);
		if (!part && !pline)
			continue;
		READERS_CHECK(
			part == full && pline == line,
			"run_input_detect(%zu of %zu bytes) = %s line %lu, "
			"the whole input %s line %lu",
			cut, size, part ? part->name : "none", pline,
			full ? full->name : "none", line);
	}
}

/* ---- 4: mmusim run ---- */

/*
 * Scenario input backs memory with "mem" and "write": run it only when it
 * asks for little, so that one input stays small.
 */
#define RUN_NATIVE_MAX_MEM (1ULL << 20)

static bool native_is_small(const u8 *data, size_t size)
{
	struct scenario_reader r;
	struct scenario_stmt st;
	u64 total = 0;
	FILE *f;
	int ret;

	/*
	 * A "mem" statement starts with that word: without it there is
	 * nothing to count, and reading the input for nothing was a tenth
	 * of the target's time.
	 */
	if (!size || !memmem(data, size, "mem", 3))
		return true;
	f = fmemopen((void *)data, size, "r");
	READERS_CHECK(f, "fmemopen: %s", strerror(errno));
	scenario_reader_init(&r, f, NAME);
	while ((ret = scenario_read(&r, &st)) > 0 ||
	       (ret < 0 && !scenario_reader_skip_error(&r))) {
		if (ret > 0 && st.kind == SCENARIO_STMT_MEM)
			total += st.mem.size > RUN_NATIVE_MAX_MEM ?
					 RUN_NATIVE_MAX_MEM + 1 :
					 st.mem.size;
		if (total > RUN_NATIVE_MAX_MEM)
			break;
	}
	fclose(f);
	return total <= RUN_NATIVE_MAX_MEM;
}

/* What the run's options may be for @format (sim/run_cmd_options.c's rules). */
static void run_options(struct run_config *cfg,
			const struct run_input_ops *input, u8 sel,
			const u8 *opt)
{
	/*
	 * One input in four runs under an MMU, which checks every TLB miss
	 * against the walk; an MMU's setup costs about 0.1 ms under ASan.
	 */
	static const char *const mmus[16] = {
		"none", "none", "none", "shadow", "none", "none",
		"none", "tdp",	"none", "none",	  "none", "tdp",
		"none", "none", "none", "shadow",
	};
	static const u8 levels[4] = { 0, PT64_ROOT_5LEVEL, PT32E_ROOT_LEVEL,
				      PT32_ROOT_LEVEL };
	char why[160];

	run_config_init(cfg);
	cfg->input = input;
	cfg->json = true;
	cfg->keep_going = sel & RF_KEEP_GOING;
	/* Small caches: they fill and evict even on short inputs. */
	cfg->caches.l1d[CACHES_L1_MAIN].entries = opt[0] & 1 ? 0 :
						  opt[0] & 2 ? 64 :
							       16;
	translation_caches_config_psc(&cfg->caches, opt[0] & 4 ? 0 : 4);
	cfg->caches.ntlb.entries = opt[0] & 8 ? 0 : 8;
	if (input->options & RUN_INPUT_OPT_CACHES) {
		cfg->mmu = run_mmu_find(mmus[opt[0] >> 4], why, sizeof(why));
		READERS_CHECK(cfg->mmu, "run_mmu_find: %s", why);
	} else {
		cfg->mmu = run_mmu_find("none", why, sizeof(why));
	}
	if (input->options & RUN_INPUT_OPT_GUEST) {
		cfg->mode_level = levels[opt[1] >> 3 & 3];
		cfg->nested = (opt[1] >> 5 & 3) % 3;
		cfg->nested_level = opt[1] & 0x80 ? PT64_ROOT_5LEVEL :
						    PT64_ROOT_4LEVEL;
		cfg->page_size = opt[2] & 3;
		cfg->nested_page_size = opt[2] >> 2 & 3;
		if (cfg->mode_level && cfg->mode_level < PT64_ROOT_4LEVEL &&
		    cfg->page_size == RUN_PAGE_1G)
			cfg->page_size = RUN_PAGE_2M;
		cfg->seed = opt[3];
		cfg->max_table_pages = 16 << (opt[2] >> 4 & 7);
	} else if (input->options & RUN_INPUT_OPT_REPLAY) {
		cfg->mode_level = levels[opt[1] >> 2 & 3];
		if (!cfg->mode_level && (opt[1] & 0x40))
			cfg->mode_level = PT64_ROOT_4LEVEL;
		cfg->mode_ept = opt[1] & 0x80;
		cfg->amd = opt[2] & 1;
		cfg->no_gbpages = opt[2] & 2;
		cfg->maxphyaddr = opt[2] & 4 ? 32 + opt[3] % 21 : 0;
		if (opt[2] & 8) {
			cfg->have_cr0 = true;
			cfg->cr0 = X86_CR0_PE | X86_CR0_PG |
				   (opt[3] & 1 ? X86_CR0_WP : 0);
		}
		if (opt[2] & 16) {
			cfg->have_cr4 = true;
			cfg->cr4 = (opt[3] & 2 ? X86_CR4_PAE : 0) |
				   (opt[3] & 4 ? X86_CR4_PSE : 0) |
				   (opt[3] & 8 ? X86_CR4_SMEP : 0) |
				   (opt[3] & 16 ? X86_CR4_SMAP : 0) |
				   (opt[3] & 32 ? X86_CR4_LA57 : 0);
		}
		if (opt[2] & 32) {
			cfg->have_efer = true;
			cfg->efer = (opt[3] & 64 ? EFER_LME : 0) |
				    (opt[3] & 128 ? EFER_NX : 0);
		}
	}
}

/*
 * A failure the simulator itself calls its bug: true when it is one the
 * docs explain (then the run proves nothing), a crash otherwise.
 */
static bool known_simulator_bug(const struct run_sim *s)
{
	const struct sim_vcpu *v = &s->vcpu;
	const char *err = s->error;

	/* The MMU's messages quote no input, only numbers. */
	if (strncmp(err, "mmu ", 4) ||
	    (!strstr(err, "simulator bug") && !strstr(err, "made no progress")))
		return false;
	/*
	 * Shadow paging with CR0.WP=0 and SMAP departs from the CPU on
	 * purpose (docs/mmu.md).
	 */
	if (s->cfg.mmu && !strcmp(s->cfg.mmu->name, "shadow") &&
	    !(v->cr0 & X86_CR0_WP) && (v->cr4 & X86_CR4_SMAP))
		return true;
	readers_fail("mmusim run --mmu=%s: %s",
		     s->cfg.mmu ? s->cfg.mmu->name : "?", err);
}

/*
 * The input: detected from the bytes, as --format=auto; or, when bits
 * 1:0 of option byte 1 are both set, the row of the table that option
 * byte 3 picks, as --format=NAME.
 */
/*
 * A gzip, zstd or xz stream: the trace reader decodes it under every
 * reader (sim/input/decompress.c), so the plain-text references of the
 * line and scenario modes do not apply.  Its lines instead: each one as
 * trace_read_line() promises, a damaged or cut stream a final error at
 * the line being read, and a bounded number of lines (4 KB of input
 * cannot decode to more than a few MB).
 */
#define DECODED_MAX_LINES (1UL << 22)

static unsigned long decoded_lines(const u8 *data, size_t size, bool check)
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
			check_error("decoded input", r.error,
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

/*
 * @err must read "NAME: byte OFFSET: message" (binary input) with OFFSET
 * within the @bytes the reader decoded, and printable ASCII only.
 */
static void check_byte_error(const char *who, const char *err, u64 bytes)
{
	static const char prefix[] = NAME ": byte ";
	u64 got = 0;
	const char *p;

	READERS_CHECK(!strncmp(err, prefix, sizeof(prefix) - 1),
		      "%s: error '%s' does not start with '%s'", who, err,
		      prefix);
	p = err + sizeof(prefix) - 1;
	READERS_CHECK(*p >= '0' && *p <= '9',
		      "%s: error '%s' has no byte offset", who, err);
	while (*p >= '0' && *p <= '9')
		got = got * 10 + (*p++ - '0');
	READERS_CHECK(p[0] == ':' && p[1] == ' ' && p[2],
		      "%s: error '%s' is not 'NAME: byte N: message'", who,
		      err);
	READERS_CHECK(got <= bytes, "%s: error '%s' is past byte %" PRIu64, who,
		      err, bytes);
	READERS_CHECK(fuzz_printable(err),
		      "%s: error '%s' has bytes that are not printable ASCII",
		      who, err);
}

static bool compressed(const u8 *data, size_t size)
{
	return input_compression_of(data, size) != INPUT_PLAIN;
}

static const struct run_input_ops *run_input(const u8 *data, size_t size,
					     const u8 *opt)
{
	unsigned long line;

	if ((opt[1] & 3) == 3)
		return run_inputs[opt[3] % run_nr_inputs];
	return run_input_detect((const char *)data, size, true, &line);
}

static void fuzz_run(const u8 *data, size_t size, u8 sel)
{
	const struct run_input_ops *input;
	unsigned long max_line;
	struct trace_reader r;
	struct run_config cfg;
	struct run_sim *s;
	u8 opt[4] = { 0 };
	size_t n = size < 4 ? size : 4;
	const char *err, *name;
	int ret;

	memcpy(opt, data, n);
	data += n;
	size -= n;
	/* Compressed, the lines are those of the text it decodes to. */
	max_line = compressed(data, size) ? decoded_lines(data, size, false) :
					    count_lines(data, size);

	input = run_input(data, size, opt);
	if (!input)
		return;
	/* native_is_small() reads plain text only. */
	if (input->model == RUN_INPUT_SCENARIO &&
	    (compressed(data, size) || !native_is_small(data, size)))
		return;
	name = input->name;

	run_options(&cfg, input, sel, opt);
	s = malloc(sizeof(*s));
	READERS_CHECK(s, "out of memory");
	READERS_CHECK(!run_sim_init(s, &cfg), "run_sim_init failed");
	/* --keep-going shows the first bad lines on stderr: show none. */
	s->st.bad_lines = 1ULL << 40;
	READERS_CHECK(!trace_reader_open_mem(&r, (const char *)data, size,
					     NAME),
		      "trace_reader_open_mem failed");
	s->file = r.name;
	ret = input->run(s, &r);
	READERS_CHECK(ret <= 0, "run %s = %d", name, ret);
	/* What mmusim run prints (run_cmd.c's run_file()). */
	err = r.error[0] && r.status ? r.error : s->error;
	readers_digest = fuzz_digest_u64(readers_digest, ret);
	readers_digest = fuzz_digest_str(readers_digest, ret ? err : "");
	/* The counters: those before the kvmmmu ones are u64s, no timing. */
	readers_digest = fuzz_digest_bytes(readers_digest, &s->st,
					   offsetof(struct run_stats, kvmmmu));
	if (ret && !known_simulator_bug(s)) {
		/*
		 * A bad line names its line; what fails the run as a whole
		 * need not: an MMU's hook, or demand paging with too few
		 * table pages for one access.
		 */
		bool whole = !strncmp(err, "mmu ", 4) ||
			     !strncmp(err, "demand paging:", 14) ||
			     (!s->st.lines && !r.status);

		if (!whole && r.binary)
			check_byte_error(name, err, r.bytes);
		else if (!whole)
			check_error(name, err, 0, max_line);
		/*
		 * A damaged compressed stream cannot be read past, nor can
		 * a binary trace: its records have no marks to start again
		 * from, and the binary trace's addresses are deltas.
		 */
		READERS_CHECK(!cfg.keep_going || whole || r.status == -EIO ||
				      r.binary,
			      "run %s stopped with --keep-going: %s", name,
			      err);
	}
	/* A binary format's lines are its records: one byte at least. */
	READERS_CHECK(s->st.lines <= (r.binary ? r.bytes : max_line),
		      "run %s: %" PRIu64 " lines of %lu", name, s->st.lines,
		      r.binary ? (unsigned long)r.bytes : max_line);
	trace_reader_close(&r);
	run_sim_destroy(s);
	free(s);
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
	if (mode != RM_DETECT && mode != RM_RUN && compressed(data, size)) {
		decoded_lines(data, size, true);
		return;
	}
	switch (mode) {
	case RM_SCENARIO:
		fuzz_scenario(data, size, sel);
		break;
	case RM_LACKEY:
		for_each_line(data, size, sel, lackey_line);
		break;
	case RM_KVMMMU:
		for_each_line(data, size, sel, kvmmmu_line);
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
