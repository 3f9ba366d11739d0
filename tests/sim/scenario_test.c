/*
 * The scenario reader: every statement on good input, the exact
 * "FILE:LINE: message" of every error, and bytes that are not text.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sim/scenario.h"

#define MAX_STMTS 64

struct parsed {
	struct scenario_stmt stmts[MAX_STMTS];
	/* Copies of the scenario names, which live in the line buffer. */
	char names[MAX_STMTS][64];
	int n;
	int ret;
	char error[SCENARIO_ERROR_MAX];
};

/* Read @len bytes of @text named "t.scn" up to the end or the first error. */
static void parse_bytes(const char *text, size_t len, struct parsed *p)
{
	struct scenario_reader r;
	FILE *f;

	memset(p, 0, sizeof(*p));
	f = len ? fmemopen((void *)text, len, "r") : fopen("/dev/null", "r");
	cr_assert_not_null(f);
	scenario_reader_init(&r, f, "t.scn");
	for (;;) {
		struct scenario_stmt scratch;
		struct scenario_stmt *s = p->n < MAX_STMTS ? &p->stmts[p->n] :
							     &scratch;

		p->ret = scenario_read(&r, s);
		if (p->ret <= 0)
			break;
		if (p->n < MAX_STMTS && s->kind == SCENARIO_STMT_BEGIN)
			snprintf(p->names[p->n], sizeof(p->names[0]), "%.*s",
				 (int)s->begin.len, s->begin.name);
		p->n++;
	}
	strcpy(p->error, r.error);
	if (p->ret) {
		/* The first error is final. */
		struct scenario_stmt again;

		cr_assert_eq(scenario_read(&r, &again), p->ret);
		cr_assert_str_eq(r.error, p->error);
	}
	fclose(f);
}

static void parse(const char *text, struct parsed *p)
{
	parse_bytes(text, strlen(text), p);
}

static void assert_parses(const char *text, struct parsed *p)
{
	parse(text, p);
	cr_assert_eq(p->ret, 0, "input:\n%s\nerror: %s", text, p->error);
}

/* @text fails with exactly @message. */
static void assert_error(const char *text, const char *message)
{
	struct parsed p;

	parse(text, &p);
	cr_assert_eq(p.ret, -EINVAL, "input:\n%s\nreturned %d", text, p.ret);
	cr_assert_str_eq(p.error, message, "input:\n%s", text);
}

/* As assert_error(), for a statement inside a scenario on line 2. */
static void assert_stmt_error(const char *stmt, const char *message)
{
	char text[256];
	char expected[SCENARIO_ERROR_MAX];

	snprintf(text, sizeof(text), "scenario s\n%s\n", stmt);
	snprintf(expected, sizeof(expected), "t.scn:2: %s", message);
	assert_error(text, expected);
}

Test(scenario_reader, reads_every_statement)
{
	static const char text[] =
		"# a comment line\n"
		"\n"
		"scenario first-one\n"
		"vendor amd\n"
		"maxphyaddr 52\n"
		"gbpages off\n"
		"cr0 0x80010001\n"
		"cr3 4096\n"
		"cr4 0x20\n"
		"efer 0x500\n"
		"cpl 3\n"
		"ac 1\n"
		"pkru 0xfffffffc\n"
		"nested npt ncr3=0x10000 host=pae gmet nx=0\n"
		"mem 0x5000 0x2000\n"
		"write32 0x6004 0xffffffff\n"
		"write64 0x6008 0xffffffffffffffff\n"
		"read 0x400000\n"
		"write 0x400000 user\n"
		"fetch 0x400000 supervisor\n"
		"write 0x1000 implicit\n"
		"read 0x1000 supervisor implicit\n"
		"scenario second\n"
		"nested ept eptp=0x1005e execonly mbec huge-level=2\n"
		"nested none\n";
	struct parsed p;
	const struct scenario_stmt *s = p.stmts;

	assert_parses(text, &p);
	cr_assert_eq(p.n, 23);

	cr_assert_eq(s[0].kind, SCENARIO_STMT_BEGIN);
	cr_assert_eq(s[0].line, 3);
	cr_assert_str_eq(p.names[0], "first-one");

	cr_assert_eq(s[1].kind, SCENARIO_STMT_SET);
	cr_assert_eq(s[1].set.reg, SIM_REG_VENDOR);
	cr_assert_eq(s[1].set.value, 1);
	cr_assert_eq(s[2].set.reg, SIM_REG_MAXPHYADDR);
	cr_assert_eq(s[2].set.value, 52);
	cr_assert_eq(s[3].set.reg, SIM_REG_GBPAGES);
	cr_assert_eq(s[3].set.value, 0);
	cr_assert_eq(s[4].set.reg, SIM_REG_CR0);
	cr_assert_eq(s[4].set.value, 0x80010001);
	cr_assert_eq(s[5].set.reg, SIM_REG_CR3);
	cr_assert_eq(s[5].set.value, 4096);
	cr_assert_eq(s[6].set.reg, SIM_REG_CR4);
	cr_assert_eq(s[7].set.reg, SIM_REG_EFER);
	cr_assert_eq(s[7].set.value, 0x500);
	cr_assert_eq(s[8].set.reg, SIM_REG_CPL);
	cr_assert_eq(s[8].set.value, 3);
	cr_assert_eq(s[9].set.reg, SIM_REG_AC);
	cr_assert_eq(s[9].set.value, 1);
	cr_assert_eq(s[10].set.reg, SIM_REG_PKRU);
	cr_assert_eq(s[10].set.value, 0xfffffffc);
	cr_assert_eq(s[10].line, 13);

	cr_assert_eq(s[11].kind, SCENARIO_STMT_NESTED);
	cr_assert_eq(s[11].nested.kind, SIM_NESTED_NPT);
	cr_assert_eq(s[11].nested.ncr3, 0x10000);
	cr_assert_eq(s[11].nested.host_level, PT32E_ROOT_LEVEL);
	cr_assert(s[11].nested.gmet);
	cr_assert_not(s[11].nested.host_nx);

	cr_assert_eq(s[12].kind, SCENARIO_STMT_MEM);
	cr_assert_eq(s[12].mem.gpa, 0x5000);
	cr_assert_eq(s[12].mem.size, 0x2000);

	cr_assert_eq(s[13].kind, SCENARIO_STMT_WRITE);
	cr_assert_eq(s[13].write.size, 4);
	cr_assert_eq(s[13].write.gpa, 0x6004);
	cr_assert_eq(s[13].write.value, 0xffffffff);
	cr_assert_eq(s[14].write.size, 8);
	cr_assert_eq(s[14].write.value, ~0ULL);

	cr_assert_eq(s[15].kind, SCENARIO_STMT_ACCESS);
	cr_assert_eq(s[15].access.kind, SIM_ACCESS_READ);
	cr_assert_eq(s[15].access.addr, 0x400000);
	cr_assert_eq(s[15].access.priv, SIM_PRIV_CPL);
	cr_assert_not(s[15].access.implicit);
	cr_assert_eq(s[16].access.kind, SIM_ACCESS_WRITE);
	cr_assert_eq(s[16].access.priv, SIM_PRIV_USER);
	cr_assert_eq(s[17].access.kind, SIM_ACCESS_FETCH);
	cr_assert_eq(s[17].access.priv, SIM_PRIV_SUPERVISOR);
	cr_assert_eq(s[18].access.kind, SIM_ACCESS_WRITE);
	cr_assert(s[18].access.implicit);
	cr_assert_eq(s[18].access.priv, SIM_PRIV_CPL);
	cr_assert(s[19].access.implicit);
	cr_assert_eq(s[19].access.priv, SIM_PRIV_SUPERVISOR);

	cr_assert_str_eq(p.names[20], "second");
	cr_assert_eq(s[21].nested.kind, SIM_NESTED_EPT);
	cr_assert_eq(s[21].nested.eptp, 0x1005e);
	cr_assert(s[21].nested.execonly);
	cr_assert(s[21].nested.mbec);
	cr_assert_eq(s[21].nested.huge_page_level, 2);
	cr_assert_eq(s[22].nested.kind, SIM_NESTED_NONE);
	cr_assert_eq(s[22].line, 25);
}

Test(scenario_reader, defaults_of_nested_options)
{
	struct parsed p;

	assert_parses("scenario s\nnested ept eptp=0x1e\n"
		      "nested npt ncr3=0 host=4level\n",
		      &p);
	cr_assert_eq(p.stmts[1].nested.huge_page_level, PG_LEVEL_1G);
	cr_assert_not(p.stmts[1].nested.execonly);
	cr_assert_not(p.stmts[1].nested.mbec);
	cr_assert(p.stmts[2].nested.host_nx);
	cr_assert_not(p.stmts[2].nested.gmet);
	cr_assert_eq(p.stmts[2].nested.host_level, PT64_ROOT_4LEVEL);
}

Test(scenario_reader, numbers_in_hex_decimal_and_with_separators)
{
	static const struct {
		const char *text;
		u64 value;
	} cases[] = {
		{ "0", 0 },
		{ "007", 7 },
		{ "10", 10 },
		{ "0x10", 16 },
		{ "0X1f", 31 },
		{ "0xABCdef", 0xabcdef },
		{ "1_000_000", 1000000 },
		{ "0x1_0000_0000", 0x100000000ULL },
		{ "18446744073709551615", ~0ULL },
		{ "0xffff_ffff_ffff_ffff", ~0ULL },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char text[128];
		struct parsed p;

		snprintf(text, sizeof(text), "scenario s\ncr3 %s\n",
			 cases[i].text);
		assert_parses(text, &p);
		cr_assert_eq(p.stmts[1].set.value, cases[i].value, "%s",
			     cases[i].text);
	}
}

Test(scenario_reader, layout_comments_tabs_crlf_and_no_final_newline)
{
	static const char text[] = "  \t# indented comment\r\n"
				   "scenario\ts1 # trailing comment\r\n"
				   "\t cr3 \t 0x1000\t\r\n"
				   "#\n"
				   "\r\n"
				   "read 0x10#comment right after the value\n"
				   "write 0x20";
	struct parsed p;

	assert_parses(text, &p);
	cr_assert_eq(p.n, 4);
	cr_assert_str_eq(p.names[0], "s1");
	cr_assert_eq(p.stmts[0].line, 2);
	cr_assert_eq(p.stmts[1].set.value, 0x1000);
	cr_assert_eq(p.stmts[2].access.addr, 0x10);
	cr_assert_eq(p.stmts[2].line, 6);
	cr_assert_eq(p.stmts[3].access.kind, SIM_ACCESS_WRITE);
	cr_assert_eq(p.stmts[3].line, 7);
}

Test(scenario_reader, empty_inputs_read_nothing)
{
	struct parsed p;

	assert_parses("", &p);
	cr_assert_eq(p.n, 0);
	assert_parses("\n\n# only comments\n   \n", &p);
	cr_assert_eq(p.n, 0);
}

Test(scenario_reader, comments_may_hold_any_byte_but_nul)
{
	static const char text[] = "scenario s # caf\xc3\xa9 \x01\x7f\xff\r\n"
				   "read 0\n";
	struct parsed p;

	parse_bytes(text, sizeof(text) - 1, &p);
	cr_assert_eq(p.ret, 0, "%s", p.error);
	cr_assert_eq(p.n, 2);
}

Test(scenario_reader, name_characters)
{
	struct parsed p;

	assert_parses("scenario aZ09_.-+/x\n", &p);
	cr_assert_str_eq(p.names[0], "aZ09_.-+/x");
	assert_error(
		"scenario a:b\n",
		"t.scn:1: scenario: 'a:b' is not a name (letters, digits and _ . - + / only)");
	assert_error(
		"scenario \"a\"\n",
		"t.scn:1: scenario: '\"a\"' is not a name (letters, digits and _ . - + / only)");
}

Test(scenario_reader, statement_errors)
{
	assert_error("cr3 0\n", "t.scn:1: 'cr3' before the first 'scenario'");
	assert_error("\n# c\nread 0\n",
		     "t.scn:3: 'read' before the first 'scenario'");
	assert_error("frob 1\n", "t.scn:1: unknown statement 'frob'");
	assert_stmt_error("CR3 0", "unknown statement 'CR3'");
	assert_stmt_error("write16 0 0", "unknown statement 'write16'");
	assert_error("scenario\n", "t.scn:1: scenario: missing name");
	assert_error("scenario a b\n", "t.scn:1: scenario: unexpected 'b'");
}

Test(scenario_reader, setting_errors)
{
	assert_stmt_error("vendor", "vendor: missing value");
	assert_stmt_error("vendor arm", "vendor: 'arm' is not intel or amd");
	assert_stmt_error("vendor intel amd", "vendor: unexpected 'amd'");
	assert_stmt_error("gbpages yes", "gbpages: 'yes' is not on or off");
	assert_stmt_error("gbpages", "gbpages: missing value");
	assert_stmt_error("cr3", "cr3: missing value");
	assert_stmt_error("cr3 0x1000 junk", "cr3: unexpected 'junk'");
	assert_stmt_error("maxphyaddr 31",
			  "maxphyaddr 31 is out of range 32..52");
	assert_stmt_error("maxphyaddr 53",
			  "maxphyaddr 53 is out of range 32..52");
	assert_stmt_error("cr0 0x100000000",
			  "cr0 0x100000000: bits 63:32 are reserved");
	assert_stmt_error("cr4 0x8000000000000000",
			  "cr4 0x8000000000000000: bits 63:32 are reserved");
	assert_stmt_error("efer 0x100000500",
			  "efer 0x100000500: bits 63:32 are reserved");
	assert_stmt_error("cpl 4", "cpl 4 is out of range 0..3");
	assert_stmt_error("ac 2", "ac 2 is neither 0 nor 1");
	assert_stmt_error("pkru 0x100000000",
			  "pkru 0x100000000 does not fit 32 bits");
}

Test(scenario_reader, number_errors)
{
	assert_stmt_error("cr3 0xzz", "cr3: '0xzz' is not a number");
	assert_stmt_error("cr3 0x", "cr3: '0x' is not a number");
	assert_stmt_error("cr3 -1", "cr3: '-1' is not a number");
	assert_stmt_error("cr3 +1", "cr3: '+1' is not a number");
	assert_stmt_error("cr3 12a", "cr3: '12a' is not a number");
	assert_stmt_error("cr3 _1", "cr3: '_1' is not a number");
	assert_stmt_error("cr3 1_", "cr3: '1_' is not a number");
	assert_stmt_error("cr3 1__0", "cr3: '1__0' is not a number");
	assert_stmt_error("cr3 0x_1", "cr3: '0x_1' is not a number");
	assert_stmt_error("cr3 0x1g", "cr3: '0x1g' is not a number");
	assert_stmt_error("cr3 18446744073709551616",
			  "cr3: '18446744073709551616' does not fit 64 bits");
	assert_stmt_error(
		"cr3 0x1_0000_0000_0000_0000",
		"cr3: '0x1_0000_0000_0000_0000' does not fit 64 bits");
	/* Long tokens are quoted up to 40 characters. */
	assert_stmt_error(
		"cr3 0x0123456789abcdef0123456789abcdef0123456789",
		"cr3: '0x0123456789abcdef0123456789abcdef012345...' does not fit 64 bits");
}

Test(scenario_reader, nested_errors)
{
	assert_stmt_error("nested", "nested: missing stage (none, ept or npt)");
	assert_stmt_error("nested vmx",
			  "nested: 'vmx' is not none, ept or npt");
	assert_stmt_error("nested none eptp=0",
			  "nested none: unexpected 'eptp=0'");
	assert_stmt_error("nested ept", "nested ept: missing eptp=");
	assert_stmt_error("nested ept execonly", "nested ept: missing eptp=");
	assert_stmt_error(
		"nested ept eptp=0x1e ad",
		"nested ept: unknown option 'ad' (eptp=, execonly, mbec, huge-level=)");
	assert_stmt_error(
		"nested ept eptp=0x1e gmet",
		"nested ept: unknown option 'gmet' (eptp=, execonly, mbec, huge-level=)");
	assert_stmt_error(
		"nested ept eptp",
		"nested ept: unknown option 'eptp' (eptp=, execonly, mbec, huge-level=)");
	assert_stmt_error("nested ept eptp=",
			  "nested ept: 'eptp=' is not a number");
	assert_stmt_error("nested ept eptp=0x1e eptp=0x1e",
			  "nested ept: 'eptp=0x1e' repeats an option");
	assert_stmt_error("nested ept eptp=0x1e mbec mbec",
			  "nested ept: 'mbec' repeats an option");
	assert_stmt_error("nested ept eptp=0x1e huge-level=x",
			  "nested ept: 'huge-level=x' is not a number");
	assert_stmt_error("nested ept eptp=0x1e huge-level=0",
			  "nested ept: 'huge-level=0' is out of range 1..3");
	assert_stmt_error("nested ept eptp=0x1e huge-level=4",
			  "nested ept: 'huge-level=4' is out of range 1..3");
	assert_stmt_error(
		"nested ept eptp=0x1003",
		"nested ept: eptp 0x1003: memory type 3 is neither UC (0) nor WB (6)");
	assert_stmt_error(
		"nested ept eptp=0x1016",
		"nested ept: eptp 0x1016: page-walk length 3 is neither 4 nor 5 (bits 5:3 hold the length - 1)");
	assert_stmt_error("nested ept eptp=0x109e",
			  "nested ept: eptp 0x109e: bits 11:7 are reserved");
	assert_stmt_error("nested npt", "nested npt: missing ncr3=");
	assert_stmt_error("nested npt host=pae", "nested npt: missing ncr3=");
	assert_stmt_error("nested npt ncr3=0", "nested npt: missing host=");
	assert_stmt_error(
		"nested npt ncr3=0 host=3level",
		"nested npt: 'host=3level' is not host=2level, pae, 4level or 5level");
	assert_stmt_error(
		"nested npt ncr3=0 host=pae execonly",
		"nested npt: unknown option 'execonly' (ncr3=, host=, gmet, nx=)");
	assert_stmt_error("nested npt ncr3=0 host=pae nx=2",
			  "nested npt: 'nx=2' is not nx=0 or nx=1");
	assert_stmt_error("nested npt ncr3=0 host=pae host=pae",
			  "nested npt: 'host=pae' repeats an option");
	assert_stmt_error("nested npt ncr3=zz host=pae",
			  "nested npt: 'ncr3=zz' is not a number");
}

Test(scenario_reader, memory_errors)
{
	assert_stmt_error("mem", "mem: missing GPA");
	assert_stmt_error("mem 0x1000", "mem: missing size");
	assert_stmt_error("mem 0x1000 0", "mem: size 0");
	assert_stmt_error("mem 0x1000 1 2", "mem: unexpected '2'");
	assert_stmt_error("mem 0x10000000000000 1",
			  "mem: GPA 0x10000000000000 is not below 2^52");
	assert_stmt_error("mem 0xfffffffffffff 2",
			  "mem: 0x2 bytes at 0xfffffffffffff go past 2^52");
	assert_stmt_error("write64", "write64: missing GPA");
	assert_stmt_error("write64 0x1000", "write64: missing value");
	assert_stmt_error("write64 0x1004 1",
			  "write64: GPA 0x1004 is not 8-byte aligned");
	assert_stmt_error("write32 0x1002 1",
			  "write32: GPA 0x1002 is not 4-byte aligned");
	assert_stmt_error("write32 0x1000 0x100000000",
			  "write32: value 0x100000000 does not fit 32 bits");
	assert_stmt_error("write64 0x10000000000000 1",
			  "write64: GPA 0x10000000000000 is not below 2^52");
	assert_stmt_error("write64 0x1000 1 2", "write64: unexpected '2'");
	assert_stmt_error("write32 0x1000 x", "write32: 'x' is not a number");
}

Test(scenario_reader, access_errors)
{
	assert_stmt_error("read", "read: missing address");
	assert_stmt_error("fetch x", "fetch: 'x' is not a number");
	assert_stmt_error(
		"write 0 kernel",
		"write: unknown option 'kernel' (user, supervisor, implicit)");
	assert_stmt_error("read 0 user supervisor",
			  "read: 'supervisor' after user or supervisor");
	assert_stmt_error("read 0 user user",
			  "read: 'user' after user or supervisor");
	assert_stmt_error("read 0 implicit implicit",
			  "read: 'implicit' repeats an option");
	assert_stmt_error("fetch 0 implicit",
			  "fetch: implicit accesses are reads or writes");
	assert_stmt_error(
		"write 0 implicit user",
		"write: implicit accesses are supervisor accesses, not user");
}

Test(scenario_reader, bytes_that_are_not_text)
{
	static const char nul[] = "scenario s\nread 0\0x\n";
	static const char ctrl[] = "scenario s\nread\x01 0\n";
	static const char high[] = "scenario s\nread 0 \xff\n";
	static const char lone_cr[] = "scenario s\nread\r0\n";
	struct parsed p;

	parse_bytes(nul, sizeof(nul) - 1, &p);
	cr_assert_eq(p.ret, -EINVAL);
	cr_assert_str_eq(p.error, "t.scn:2: NUL byte at column 7");

	/* A NUL in a comment is an error too. */
	parse_bytes("scenario s # \0\n", 15, &p);
	cr_assert_str_eq(p.error, "t.scn:1: NUL byte at column 14");

	parse_bytes(ctrl, sizeof(ctrl) - 1, &p);
	cr_assert_str_eq(p.error, "t.scn:2: unexpected byte 0x01 at column 5");
	parse_bytes(high, sizeof(high) - 1, &p);
	cr_assert_str_eq(p.error, "t.scn:2: unexpected byte 0xff at column 8");
	parse_bytes(lone_cr, sizeof(lone_cr) - 1, &p);
	cr_assert_str_eq(p.error, "t.scn:2: unexpected byte 0x0d at column 5");
}

Test(scenario_reader, long_lines)
{
	size_t len = 3 * SCENARIO_LINE_MAX;
	char *text = malloc(len + 64);
	struct parsed p;
	size_t n;

	cr_assert_not_null(text);
	/* Exactly SCENARIO_LINE_MAX bytes is fine, comment included. */
	n = sprintf(text, "scenario s\n#");
	memset(text + n, 'x', SCENARIO_LINE_MAX - 1);
	n += SCENARIO_LINE_MAX - 1;
	n += sprintf(text + n, "\nread 0\n");
	parse_bytes(text, n, &p);
	cr_assert_eq(p.ret, 0, "%s", p.error);
	cr_assert_eq(p.n, 2);

	/* One more byte is not, even without a newline at the end. */
	n = sprintf(text, "scenario s\n");
	memset(text + n, ' ', len);
	parse_bytes(text, n + len, &p);
	cr_assert_eq(p.ret, -EINVAL);
	cr_assert_str_eq(p.error, "t.scn:2: line is longer than 4096 bytes");
	free(text);
}

Test(scenario_reader, open_and_read_errors)
{
	struct scenario_reader r;
	struct scenario_stmt s;

	cr_assert_eq(scenario_reader_open(&r, "/nonexistent/x.scn"), -ENOENT);
	cr_assert_str_eq(r.error,
			 "/nonexistent/x.scn: No such file or directory");
	scenario_reader_close(&r);

	/* A directory opens but cannot be read. */
	cr_assert_eq(scenario_reader_open(&r, "/"), 0);
	cr_assert_eq(scenario_read(&r, &s), -EIO);
	cr_assert_str_eq(r.error, "/:1: read error: Is a directory");
	scenario_reader_close(&r);
}

Test(scenario_reader, consumer_errors_are_final)
{
	struct scenario_reader r;
	struct scenario_stmt s;
	FILE *f = fmemopen("scenario s\nread 0\nread 1\n", 24, "r");

	cr_assert_not_null(f);
	scenario_reader_init(&r, f, "c.scn");
	cr_assert_eq(scenario_read(&r, &s), 1);
	cr_assert_eq(scenario_read(&r, &s), 1);
	cr_assert_eq(scenario_error(&r, s.line, "bad %s", "access"), -EINVAL);
	cr_assert_str_eq(r.error, "c.scn:2: bad access");
	cr_assert_eq(scenario_read(&r, &s), -EINVAL);
	cr_assert_str_eq(r.error, "c.scn:2: bad access");
	fclose(f);
}

/*
 * Random bytes, and random mixes of statement fragments, never crash or
 * hang the reader: each input ends at its end or at an error with a
 * "t.scn:LINE: " message.
 */
Test(scenario_reader, random_input_ends_cleanly)
{
	static const char *const pieces[] = {
		"scenario ",
		"s ",
		"cr3 ",
		"0x",
		"1000",
		"_",
		"\n",
		"\r\n",
		"#",
		" ",
		"\t",
		"\0",
		"nested ",
		"ept ",
		"npt ",
		"eptp=",
		"host=",
		"pae",
		"read ",
		"write64 ",
		"mem ",
		"user ",
		"implicit",
		"\xff",
		"ffffffffffffffffffff",
		"=",
		"-",
	};
	static char buf[8192];
	unsigned int seed = 12345;
	int iter;

	for (iter = 0; iter < 2000; iter++) {
		size_t len = 0, target = rand_r(&seed) % sizeof(buf);
		struct parsed p;

		if (iter % 2) {
			while (len < target)
				buf[len++] = rand_r(&seed);
		} else {
			while (len + 32 < target) {
				const char *piece = pieces[rand_r(&seed) %
							   ARRAY_SIZE(pieces)];
				size_t n = *piece ? strlen(piece) : 1;

				memcpy(buf + len, piece, n);
				len += n;
			}
		}
		parse_bytes(buf, len, &p);
		cr_assert(p.ret == 0 || p.ret == -EINVAL, "ret %d", p.ret);
		if (p.ret)
			cr_assert(!strncmp(p.error, "t.scn:", 6), "%s",
				  p.error);
	}
}
