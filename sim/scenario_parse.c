/* The scenario statements: each parsed from the words of its line. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "sim/scenario_internal.h"
#include "sim/vcpu.h"

/* Longest piece of a token quoted back in a message. */
#define QUOTE_MAX 40
#define GPA_LIMIT_BITS 52

/*
 * @t is @word: compared byte by byte up to @word's NUL, the first differing
 * byte ending it.  Not memcmp(): a statement's keyword is looked for among
 * a few dozen words, and under a sanitizer every call of it is
 * intercepted, which cost more than the comparisons (docs/fuzzing.md).
 */
static bool tok_is(const struct token *t, const char *word)
{
	size_t i;

	for (i = 0; i < t->len; i++) {
		if (!word[i] || t->s[i] != word[i])
			return false;
	}
	return word[t->len] == '\0';
}

/* For "%.*s%s" in messages: at most QUOTE_MAX characters, then "...". */
#define QUOTE(t)                                                    \
	(int)((t)->len > QUOTE_MAX ? QUOTE_MAX : (t)->len), (t)->s, \
		(t)->len > QUOTE_MAX ? "..." : ""

/*
 * A number: decimal, or hexadecimal after "0x"; a '_' may separate two
 * digits.  0, -EINVAL when not a number, -ERANGE past 64 bits.
 */
static int parse_number(const char *s, size_t len, u64 *val)
{
	unsigned int base = 10, digit;
	bool have_digit = false;
	size_t i = 0;
	u64 v = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	for (; i < len; i++) {
		char c = s[i];

		if (c == '_') {
			if (!have_digit || i + 1 == len || s[i + 1] == '_')
				return -EINVAL;
			continue;
		}
		if (c >= '0' && c <= '9')
			digit = c - '0';
		else if (c >= 'a' && c <= 'f')
			digit = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			digit = c - 'A' + 10;
		else
			return -EINVAL;
		if (digit >= base)
			return -EINVAL;
		if (v > (UINT64_MAX - digit) / base)
			return -ERANGE;
		v = v * base + digit;
		have_digit = true;
	}
	if (!have_digit)
		return -EINVAL;
	*val = v;
	return 0;
}

/* A number for @what; @what names the statement (and the option). */
static int parse_value(struct scenario_reader *r, const char *what,
		       const struct token *t, size_t skip, u64 *val)
{
	int err = parse_number(t->s + skip, t->len - skip, val);

	if (err == -ERANGE)
		return scenario_syntax_error(
			r, "%s: '%.*s%s' does not fit 64 bits", what, QUOTE(t));
	if (err)
		return scenario_syntax_error(r, "%s: '%.*s%s' is not a number",
					     what, QUOTE(t));
	return 0;
}

static int expect_end(struct scenario_reader *r, const struct line_tokens *lt,
		      int n, const char *what)
{
	if (lt->n > n)
		return scenario_syntax_error(r, "%s: unexpected '%.*s%s'", what,
					     QUOTE(&lt->tok[n]));
	return 0;
}

static int expect_arg(struct scenario_reader *r, const struct line_tokens *lt,
		      int i, const char *what, const char *arg)
{
	if (lt->n <= i)
		return scenario_syntax_error(r, "%s: missing %s", what, arg);
	return 0;
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
	       c == '+' || c == '/';
}

static int parse_begin(struct scenario_reader *r, const struct line_tokens *lt,
		       struct scenario_stmt *stmt)
{
	const struct token *t = &lt->tok[1];
	size_t i;

	if (expect_arg(r, lt, 1, "scenario", "name") ||
	    expect_end(r, lt, 2, "scenario"))
		return -EINVAL;
	for (i = 0; i < t->len; i++)
		if (!is_name_char(t->s[i]))
			return scenario_syntax_error(
				r,
				"scenario: '%.*s%s' is not a name (letters, digits and _ . - + / only)",
				QUOTE(t));
	stmt->kind = SCENARIO_STMT_BEGIN;
	stmt->begin.name = t->s;
	stmt->begin.len = t->len;
	r->in_scenario = true;
	return 0;
}

static const struct {
	const char *name;
	enum sim_reg reg;
} number_settings[] = {
	{ "maxphyaddr", SIM_REG_MAXPHYADDR },
	{ "cr0", SIM_REG_CR0 },
	{ "cr3", SIM_REG_CR3 },
	{ "cr4", SIM_REG_CR4 },
	{ "efer", SIM_REG_EFER },
	{ "cpl", SIM_REG_CPL },
	{ "ac", SIM_REG_AC },
	{ "pkru", SIM_REG_PKRU },
};

/*
 * "vendor intel|amd" and "gbpages on|off": a setting that is one of two
 * words, @word0 for 0 and @word1 for 1.
 */
static int parse_word_setting(struct scenario_reader *r,
			      const struct line_tokens *lt,
			      struct scenario_stmt *stmt, enum sim_reg reg,
			      const char *word0, const char *word1,
			      const char *choices)
{
	const char *what = sim_reg_name(reg);
	const struct token *t = &lt->tok[1];

	if (expect_arg(r, lt, 1, what, "value") || expect_end(r, lt, 2, what))
		return -EINVAL;
	stmt->kind = SCENARIO_STMT_SET;
	stmt->set.reg = reg;
	if (tok_is(t, word0))
		stmt->set.value = 0;
	else if (tok_is(t, word1))
		stmt->set.value = 1;
	else
		return scenario_syntax_error(r, "%s: '%.*s%s' is not %s", what,
					     QUOTE(t), choices);
	return 0;
}

static int parse_number_setting(struct scenario_reader *r,
				const struct line_tokens *lt,
				struct scenario_stmt *stmt, enum sim_reg reg)
{
	const char *what = sim_reg_name(reg);
	char why[SCENARIO_ERROR_MAX / 2];
	u64 value;

	if (expect_arg(r, lt, 1, what, "value") ||
	    parse_value(r, what, &lt->tok[1], 0, &value) ||
	    expect_end(r, lt, 2, what))
		return -EINVAL;
	if (sim_reg_check(reg, value, why, sizeof(why)))
		return scenario_syntax_error(r, "%s", why);
	stmt->kind = SCENARIO_STMT_SET;
	stmt->set.reg = reg;
	stmt->set.value = value;
	return 0;
}

enum nested_option {
	OPT_EPTP,
	OPT_EXECONLY,
	OPT_MBEC,
	OPT_HUGE_LEVEL,
	OPT_NCR3,
	OPT_HOST,
	OPT_GMET,
	OPT_NX,
	NR_NESTED_OPTIONS,
};

/* The options of "nested ept" and "nested npt"; "key=" takes a value. */
static const struct {
	const char *key;
	bool has_value;
	enum sim_nested_kind kind;
} nested_options[NR_NESTED_OPTIONS] = {
	[OPT_EPTP] = { "eptp", true, SIM_NESTED_EPT },
	[OPT_EXECONLY] = { "execonly", false, SIM_NESTED_EPT },
	[OPT_MBEC] = { "mbec", false, SIM_NESTED_EPT },
	[OPT_HUGE_LEVEL] = { "huge-level", true, SIM_NESTED_EPT },
	[OPT_NCR3] = { "ncr3", true, SIM_NESTED_NPT },
	[OPT_HOST] = { "host", true, SIM_NESTED_NPT },
	[OPT_GMET] = { "gmet", false, SIM_NESTED_NPT },
	[OPT_NX] = { "nx", true, SIM_NESTED_NPT },
};

static const struct {
	const char *name;
	u8 level;
} npt_host_modes[] = {
	{ "2level", PT32_ROOT_LEVEL },
	{ "pae", PT32E_ROOT_LEVEL },
	{ "4level", PT64_ROOT_4LEVEL },
	{ "5level", PT64_ROOT_5LEVEL },
};

/* Which option of @kind @t is ("key" or "key=VALUE"), with its value. */
static int find_nested_option(const struct token *t, enum sim_nested_kind kind,
			      struct token *val)
{
	int i;

	for (i = 0; i < NR_NESTED_OPTIONS; i++) {
		size_t len = strlen(nested_options[i].key);

		if (nested_options[i].kind != kind || t->len < len ||
		    memcmp(t->s, nested_options[i].key, len))
			continue;
		if (!nested_options[i].has_value && t->len == len)
			return i;
		if (nested_options[i].has_value && t->len > len &&
		    t->s[len] == '=') {
			val->s = t->s + len + 1;
			val->len = t->len - len - 1;
			return i;
		}
	}
	return -1;
}

static int set_nested_option(struct scenario_reader *r, const char *what,
			     struct sim_nested *n, int opt,
			     const struct token *t, const struct token *val)
{
	size_t skip = t->len - val->len;
	size_t m;
	u64 v;

	switch (opt) {
	case OPT_EPTP:
		return parse_value(r, what, t, skip, &n->eptp);
	case OPT_EXECONLY:
		n->execonly = true;
		return 0;
	case OPT_MBEC:
		n->mbec = true;
		return 0;
	case OPT_HUGE_LEVEL:
		if (parse_value(r, what, t, skip, &v))
			return -EINVAL;
		if (v < PG_LEVEL_4K || v > PG_LEVEL_1G)
			return scenario_syntax_error(
				r, "%s: '%.*s%s' is out of range %d..%d", what,
				QUOTE(t), PG_LEVEL_4K, PG_LEVEL_1G);
		n->huge_page_level = v;
		return 0;
	case OPT_NCR3:
		return parse_value(r, what, t, skip, &n->ncr3);
	case OPT_HOST:
		for (m = 0; m < ARRAY_SIZE(npt_host_modes); m++) {
			if (tok_is(val, npt_host_modes[m].name)) {
				n->host_level = npt_host_modes[m].level;
				return 0;
			}
		}
		return scenario_syntax_error(
			r,
			"%s: '%.*s%s' is not host=2level, pae, 4level or 5level",
			what, QUOTE(t));
	case OPT_GMET:
		n->gmet = true;
		return 0;
	case OPT_NX:
		if (tok_is(val, "0"))
			n->host_nx = false;
		else if (tok_is(val, "1"))
			n->host_nx = true;
		else
			return scenario_syntax_error(
				r, "%s: '%.*s%s' is not nx=0 or nx=1", what,
				QUOTE(t));
		return 0;
	}
	return -EINVAL;
}

/*
 * nested none
 * nested ept eptp=V [execonly] [mbec] [huge-level=N]
 * nested npt ncr3=V host=2level|pae|4level|5level [gmet] [nx=0|1]
 */
static int parse_nested(struct scenario_reader *r, const struct line_tokens *lt,
			struct scenario_stmt *stmt)
{
	struct sim_nested *n = &stmt->nested;
	bool seen[NR_NESTED_OPTIONS] = { false };
	char why[SCENARIO_ERROR_MAX / 2];
	const char *what;
	bool ept;
	int i;

	if (expect_arg(r, lt, 1, "nested", "stage (none, ept or npt)"))
		return -EINVAL;
	memset(n, 0, sizeof(*n));
	stmt->kind = SCENARIO_STMT_NESTED;
	if (tok_is(&lt->tok[1], "none")) {
		n->kind = SIM_NESTED_NONE;
		return expect_end(r, lt, 2, "nested none");
	} else if (tok_is(&lt->tok[1], "ept")) {
		n->kind = SIM_NESTED_EPT;
		n->huge_page_level = PG_LEVEL_1G;
		what = "nested ept";
	} else if (tok_is(&lt->tok[1], "npt")) {
		n->kind = SIM_NESTED_NPT;
		n->host_nx = true;
		what = "nested npt";
	} else {
		return scenario_syntax_error(
			r, "nested: '%.*s%s' is not none, ept or npt",
			QUOTE(&lt->tok[1]));
	}
	ept = n->kind == SIM_NESTED_EPT;

	for (i = 2; i < lt->n; i++) {
		const struct token *t = &lt->tok[i];
		struct token val = { t->s + t->len, 0 };
		int opt = find_nested_option(t, n->kind, &val);

		if (opt < 0)
			return scenario_syntax_error(
				r,
				ept ? "%s: unknown option '%.*s%s' (eptp=, execonly, mbec, huge-level=)" :
				      "%s: unknown option '%.*s%s' (ncr3=, host=, gmet, nx=)",
				what, QUOTE(t));
		if (seen[opt])
			return scenario_syntax_error(
				r, "%s: '%.*s%s' repeats an option", what,
				QUOTE(t));
		seen[opt] = true;
		if (set_nested_option(r, what, n, opt, t, &val))
			return -EINVAL;
	}
	if (ept && !seen[OPT_EPTP])
		return scenario_syntax_error(r, "%s: missing eptp=", what);
	if (!ept && !seen[OPT_NCR3])
		return scenario_syntax_error(r, "%s: missing ncr3=", what);
	if (!ept && !seen[OPT_HOST])
		return scenario_syntax_error(r, "%s: missing host=", what);
	if (sim_nested_check(n, why, sizeof(why)))
		return scenario_syntax_error(r, "%s: %s", what, why);
	return 0;
}

/*
 * A GPA below 2^52 for @what.  *@gpa is written even on failure: the
 * errors' return values come from another file, so gcc -O3 cannot tell
 * that callers never use it then.
 */
static int parse_gpa(struct scenario_reader *r, const struct line_tokens *lt,
		     int i, const char *what, u64 *gpa)
{
	*gpa = 0;
	if (expect_arg(r, lt, i, what, "GPA") ||
	    parse_value(r, what, &lt->tok[i], 0, gpa))
		return -EINVAL;
	if (*gpa >> GPA_LIMIT_BITS)
		return scenario_syntax_error(r,
					     "%s: GPA 0x%" PRIx64
					     " is not below 2^%d",
					     what, *gpa, GPA_LIMIT_BITS);
	return 0;
}

/* mem GPA SIZE */
static int parse_mem(struct scenario_reader *r, const struct line_tokens *lt,
		     struct scenario_stmt *stmt)
{
	u64 gpa, size;

	if (parse_gpa(r, lt, 1, "mem", &gpa) ||
	    expect_arg(r, lt, 2, "mem", "size") ||
	    parse_value(r, "mem", &lt->tok[2], 0, &size) ||
	    expect_end(r, lt, 3, "mem"))
		return -EINVAL;
	if (!size)
		return scenario_syntax_error(r, "mem: size 0");
	if (size > (1ULL << GPA_LIMIT_BITS) - gpa)
		return scenario_syntax_error(r,
					     "mem: 0x%" PRIx64
					     " bytes at 0x%" PRIx64
					     " go past 2^%d",
					     size, gpa, GPA_LIMIT_BITS);
	stmt->kind = SCENARIO_STMT_MEM;
	stmt->mem.gpa = gpa;
	stmt->mem.size = size;
	return 0;
}

/* A 4- or 8-byte access to guest memory: GPA aligned, VALUE fits SIZE. */
static int check_gpa_value(struct scenario_reader *r, const char *what, u64 gpa,
			   u64 value, int size)
{
	if (gpa & (size - 1))
		return scenario_syntax_error(r,
					     "%s: GPA 0x%" PRIx64
					     " is not %d-byte aligned",
					     what, gpa, size);
	if (size == 4 && (value >> 32))
		return scenario_syntax_error(r,
					     "%s: value 0x%" PRIx64
					     " does not fit 32 bits",
					     what, value);
	return 0;
}

/* write32 GPA VALUE, write64 GPA VALUE */
static int parse_write(struct scenario_reader *r, const struct line_tokens *lt,
		       struct scenario_stmt *stmt, int size)
{
	const char *what = size == 4 ? "write32" : "write64";
	u64 gpa, value;

	if (parse_gpa(r, lt, 1, what, &gpa) ||
	    expect_arg(r, lt, 2, what, "value") ||
	    parse_value(r, what, &lt->tok[2], 0, &value) ||
	    expect_end(r, lt, 3, what))
		return -EINVAL;
	if (check_gpa_value(r, what, gpa, value, size))
		return -EINVAL;
	stmt->kind = SCENARIO_STMT_WRITE;
	stmt->write.gpa = gpa;
	stmt->write.value = value;
	stmt->write.size = size;
	return 0;
}

/* read32 GPA, read64 GPA, expect32 GPA VALUE, expect64 GPA VALUE */
static int parse_memory_check(struct scenario_reader *r,
			      const struct line_tokens *lt,
			      struct scenario_stmt *stmt, bool expect, int size)
{
	const char *what = expect ? (size == 4 ? "expect32" : "expect64") :
				    (size == 4 ? "read32" : "read64");
	int end = expect ? 3 : 2;
	u64 gpa, value = 0;

	if (parse_gpa(r, lt, 1, what, &gpa))
		return -EINVAL;
	if (expect && (expect_arg(r, lt, 2, what, "value") ||
		       parse_value(r, what, &lt->tok[2], 0, &value)))
		return -EINVAL;
	if (expect_end(r, lt, end, what))
		return -EINVAL;
	if (check_gpa_value(r, what, gpa, value, size))
		return -EINVAL;
	stmt->kind = expect ? SCENARIO_STMT_EXPECT : SCENARIO_STMT_READ_MEM;
	stmt->memory.gpa = gpa;
	stmt->memory.value = value;
	stmt->memory.size = size;
	return 0;
}

/* read|write|fetch ADDR [user|supervisor] [implicit] */
static int parse_access(struct scenario_reader *r, const struct line_tokens *lt,
			struct scenario_stmt *stmt, enum sim_access_kind kind)
{
	struct sim_access *a = &stmt->access;
	const char *what = sim_access_kind_name(kind);
	int i;

	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->priv = SIM_PRIV_CPL;
	if (expect_arg(r, lt, 1, what, "address") ||
	    parse_value(r, what, &lt->tok[1], 0, &a->addr))
		return -EINVAL;
	for (i = 2; i < lt->n; i++) {
		const struct token *t = &lt->tok[i];

		if (tok_is(t, "user") || tok_is(t, "supervisor")) {
			if (a->priv != SIM_PRIV_CPL)
				return scenario_syntax_error(
					r,
					"%s: '%.*s%s' after user or supervisor",
					what, QUOTE(t));
			a->priv = tok_is(t, "user") ? SIM_PRIV_USER :
						      SIM_PRIV_SUPERVISOR;
		} else if (tok_is(t, "implicit")) {
			if (a->implicit)
				return scenario_syntax_error(
					r, "%s: 'implicit' repeats an option",
					what);
			a->implicit = true;
		} else {
			return scenario_syntax_error(
				r,
				"%s: unknown option '%.*s%s' (user, supervisor, implicit)",
				what, QUOTE(t));
		}
	}
	if (a->implicit && kind == SIM_ACCESS_FETCH)
		return scenario_syntax_error(
			r, "fetch: implicit accesses are reads or writes");
	if (a->implicit && a->priv == SIM_PRIV_USER)
		return scenario_syntax_error(
			r,
			"%s: implicit accesses are supervisor accesses, not user",
			what);
	stmt->kind = SCENARIO_STMT_ACCESS;
	return 0;
}

/*
 * invpcid TYPE [PCID [ADDR]]: type 0 takes a PCID and an address, type 1
 * a PCID, types 2 and 3 neither.  A descriptor with bits 63:12 of its
 * PCID set is refused, as the CPU's #GP.
 */
static int parse_invpcid(struct scenario_reader *r,
			 const struct line_tokens *lt,
			 struct scenario_run_stmt *rs)
{
	const char *what = "invpcid";
	u64 type, pcid = 0;
	int args;

	rs->kind = SCENARIO_RUN_INVPCID;
	if (expect_arg(r, lt, 1, what, "type") ||
	    parse_value(r, what, &lt->tok[1], 0, &type))
		return -EINVAL;
	if (type > 3)
		return scenario_syntax_error(r,
					     "invpcid: type %" PRIu64
					     " is out of range 0..3",
					     type);
	args = type == 0 ? 3 : type == 1 ? 2 : 1;
	if (args >= 2 && (expect_arg(r, lt, 2, what, "PCID") ||
			  parse_value(r, what, &lt->tok[2], 0, &pcid)))
		return -EINVAL;
	if (pcid & ~X86_CR3_PCID_MASK)
		return scenario_syntax_error(r,
					     "invpcid: PCID 0x%" PRIx64
					     " does not fit 12 bits",
					     pcid);
	if (args == 3 && (expect_arg(r, lt, 3, what, "address") ||
			  parse_value(r, what, &lt->tok[3], 0, &rs->addr)))
		return -EINVAL;
	rs->type = type;
	rs->pcid = pcid;
	return expect_end(r, lt, args + 1, what);
}

/*
 * invlpg ADDR, invept, invpcid ...: handed to r->run_stmt.  1 when the
 * callback took the statement, or its error.
 */
static int parse_run_stmt(struct scenario_reader *r,
			  const struct line_tokens *lt)
{
	bool invlpg = tok_is(&lt->tok[0], "invlpg");
	bool invpcid = tok_is(&lt->tok[0], "invpcid");
	struct scenario_run_stmt rs = { .line = r->line };
	const char *what = invlpg ? "invlpg" : invpcid ? "invpcid" : "invept";

	if (!r->in_scenario)
		return scenario_syntax_error(
			r, "'%s' before the first 'scenario'", what);
	if (invpcid) {
		if (parse_invpcid(r, lt, &rs))
			return -EINVAL;
	} else if (invlpg) {
		rs.kind = SCENARIO_RUN_INVLPG;
		if (expect_arg(r, lt, 1, what, "address") ||
		    parse_value(r, what, &lt->tok[1], 0, &rs.addr) ||
		    expect_end(r, lt, 2, what))
			return -EINVAL;
	} else {
		rs.kind = SCENARIO_RUN_INVEPT;
		if (expect_end(r, lt, 1, what))
			return -EINVAL;
	}
	if (r->run_stmt(r, &rs, r->run_stmt_opaque)) {
		if (!r->status)
			return scenario_syntax_error(r, "%s failed", what);
		return r->status;
	}
	return 1;
}

int scenario_parse_statement(struct scenario_reader *r,
			     const struct line_tokens *lt,
			     struct scenario_stmt *stmt)
{
	const struct token *t = &lt->tok[0];
	size_t i;

	if (tok_is(t, "scenario"))
		return parse_begin(r, lt, stmt);
	if (r->run_stmt && (tok_is(t, "invlpg") || tok_is(t, "invept") ||
			    tok_is(t, "invpcid")))
		return parse_run_stmt(r, lt);

	for (i = 0; i < ARRAY_SIZE(number_settings); i++)
		if (tok_is(t, number_settings[i].name))
			break;
	if (i == ARRAY_SIZE(number_settings) && !tok_is(t, "vendor") &&
	    !tok_is(t, "gbpages") && !tok_is(t, "nested") &&
	    !tok_is(t, "mem") && !tok_is(t, "write32") &&
	    !tok_is(t, "write64") && !tok_is(t, "read") &&
	    !tok_is(t, "write") && !tok_is(t, "fetch") &&
	    !tok_is(t, "read32") && !tok_is(t, "read64") &&
	    !tok_is(t, "expect32") && !tok_is(t, "expect64"))
		return scenario_syntax_error(r, "unknown statement '%.*s%s'",
					     QUOTE(t));
	if (!r->in_scenario)
		return scenario_syntax_error(
			r, "'%.*s%s' before the first 'scenario'", QUOTE(t));

	if (i < ARRAY_SIZE(number_settings))
		return parse_number_setting(r, lt, stmt,
					    number_settings[i].reg);
	if (tok_is(t, "vendor"))
		return parse_word_setting(r, lt, stmt, SIM_REG_VENDOR, "intel",
					  "amd", "intel or amd");
	if (tok_is(t, "gbpages"))
		return parse_word_setting(r, lt, stmt, SIM_REG_GBPAGES, "off",
					  "on", "on or off");
	if (tok_is(t, "nested"))
		return parse_nested(r, lt, stmt);
	if (tok_is(t, "mem"))
		return parse_mem(r, lt, stmt);
	if (tok_is(t, "write32"))
		return parse_write(r, lt, stmt, 4);
	if (tok_is(t, "write64"))
		return parse_write(r, lt, stmt, 8);
	if (tok_is(t, "read32") || tok_is(t, "read64"))
		return parse_memory_check(r, lt, stmt, false,
					  tok_is(t, "read32") ? 4 : 8);
	if (tok_is(t, "expect32") || tok_is(t, "expect64"))
		return parse_memory_check(r, lt, stmt, true,
					  tok_is(t, "expect32") ? 4 : 8);
	if (tok_is(t, "read"))
		return parse_access(r, lt, stmt, SIM_ACCESS_READ);
	if (tok_is(t, "write"))
		return parse_access(r, lt, stmt, SIM_ACCESS_WRITE);
	return parse_access(r, lt, stmt, SIM_ACCESS_FETCH);
}
