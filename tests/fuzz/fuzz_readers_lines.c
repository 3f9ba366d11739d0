/*
 * fuzz_readers, modes 1 and 2: lackey and kvmmmu lines through the trace
 * reader (sim/input/trace_lackey.c, sim/input/trace_kvmmmu.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/run.h"
#include "sim/input/trace_kvmmmu.h"
#include "sim/input/trace_lackey.h"
#include "sim/input/trace_reader.h"
#include "tests/fuzz/fuzz_readers_internal.h"

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
	unsigned long max_line = readers_count_lines(data, size), calls = 0;
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
			readers_check_error("trace_read_line", r.error, r.line,
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
			readers_check_error("bad line", r.error, r.line,
					    max_line);
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

void fuzz_lackey(const u8 *data, size_t size, u8 sel)
{
	for_each_line(data, size, sel, lackey_line);
}

void fuzz_kvmmmu(const u8 *data, size_t size, u8 sel)
{
	for_each_line(data, size, sel, kvmmmu_line);
}
