/* fuzz_readers, mode 0: scenario files (sim/scenario.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scenario.h"
#include "sim/input/trace_reader.h"
#include "tests/fuzz/fuzz_readers_internal.h"

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
		readers_check_error("scenario_read", r.error, r.line,
				    sr->max_line);
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

void fuzz_scenario(const u8 *data, size_t size, u8 sel)
{
	unsigned long lines = readers_count_lines(data, size);
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
			     readers_count_lines((const u8 *)a.stmts.s,
						 a.stmts.len),
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
