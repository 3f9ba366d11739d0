/* Parsing valgrind lackey --trace-mem=yes output. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/input_error.h"
#include "sim/input/trace_lackey.h"
#include "sim/input/trace_reader.h"

static const signed char hex_value[256] = {
	['0'] = 1,  ['1'] = 2,	['2'] = 3,  ['3'] = 4,	['4'] = 5,  ['5'] = 6,
	['6'] = 7,  ['7'] = 8,	['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
	['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12,
	['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "==123==", "--123--", "**123**" at the start of the line. */
bool lackey_is_valgrind_line(const char *s, size_t len)
{
	size_t i = 2;
	char c;

	if (len < 5)
		return false;
	c = s[0];
	if ((c != '=' && c != '-' && c != '*') || s[1] != c)
		return false;
	while (i < len && is_digit(s[i]))
		i++;
	return i > 2 && i + 1 < len && s[i] == c && s[i + 1] == c;
}

static const char op_names[] = { [LACKEY_INSTR] = 'I',
				 [LACKEY_LOAD] = 'L',
				 [LACKEY_STORE] = 'S',
				 [LACKEY_MODIFY] = 'M' };

/* The record after its letter: "ADDR,SIZE" with blanks around. */
static int parse_operands(const char *p, const char *end, u32 max_size,
			  struct lackey_record *rec, char *why, size_t why_len)
{
	char op = op_names[rec->op], q[4 * TRACE_QUOTE_MAX + 8];
	const char *start;
	u64 v = 0, size = 0;
	int digit;

	while (p < end && is_blank(*p))
		p++;
	start = p;
	while (p < end && (digit = hex_value[(unsigned char)*p])) {
		if (v >> 60)
			goto too_wide;
		v = (v << 4) | (digit - 1);
		p++;
	}
	if (p == start) {
		if (p == end || *p == ',')
			return input_why(why, why_len,
					 "%c record: missing address", op);
		goto not_hex;
	}
	if (p == end)
		return input_why(why, why_len,
				 "%c record: missing ',SIZE' after the address",
				 op);
	if (*p != ',')
		goto not_hex;
	rec->addr = v;

	start = ++p;
	while (p < end && is_digit(*p)) {
		size = size * 10 + (*p - '0');
		if (size > max_size)
			break;
		p++;
	}
	if (p < end && is_digit(*p)) {
		while (p < end && is_digit(*p))
			p++;
		return input_why(why, why_len,
				 "%c record: size %s is out of range 1..%u", op,
				 trace_quote(q, sizeof(q), start, p - start),
				 max_size);
	}
	if (p == start)
		return input_why(why, why_len,
				 "%c record: size '%s' is not a decimal number",
				 op,
				 trace_quote(q, sizeof(q), start, end - start));
	if (!size)
		return input_why(why, why_len,
				 "%c record: size 0 is out of range 1..%u", op,
				 max_size);
	rec->size = size;
	while (p < end && is_blank(*p))
		p++;
	if (p < end)
		return input_why(why, why_len,
				 "%c record: unexpected '%s' after the size",
				 op, trace_quote(q, sizeof(q), p, end - p));
	return 1;

not_hex:
	while (p < end && *p != ',' && !is_blank(*p))
		p++;
	return input_why(why, why_len,
			 "%c record: address '%s' is not hexadecimal", op,
			 trace_quote(q, sizeof(q), start, p - start));
too_wide:
	while (p < end && hex_value[(unsigned char)*p])
		p++;
	return input_why(why, why_len,
			 "%c record: address '%s' does not fit 64 bits", op,
			 trace_quote(q, sizeof(q), start, p - start));
}

static int op_of(char c)
{
	switch (c) {
	case 'I':
		return LACKEY_INSTR;
	case 'L':
		return LACKEY_LOAD;
	case 'S':
		return LACKEY_STORE;
	case 'M':
		return LACKEY_MODIFY;
	}
	return -1;
}

/*
 * The two forms lackey prints, "I  ADDR,SIZE" and " X ADDR,SIZE", parsed
 * straight: 1, or 0 to leave the line to the general parse.
 */
static inline int parse_fast(const char *s, size_t len, u32 max_size,
			     struct lackey_record *rec)
{
	const char *p = s + 3, *end = s + len, *comma = end - 1;
	u64 v = 0, size = 0, mul = 1;
	int digit, op;

	if (s[0] == 'I' && s[1] == ' ')
		op = LACKEY_INSTR;
	else if (s[0] == ' ' && (op = op_of(s[1])) > LACKEY_INSTR)
		;
	else
		return 0;
	/* The size, read backwards from the end up to the comma. */
	while (comma > p && *comma >= '0' && *comma <= '9' && mul <= 100000) {
		size += (*comma-- - '0') * mul;
		mul *= 10;
	}
	if (*comma != ',' || comma == end - 1 || !size || size > max_size ||
	    comma == p || comma - p > 16)
		return 0;
	for (; p < comma; p++) {
		digit = hex_value[(unsigned char)*p];
		if (!digit)
			return 0;
		v = (v << 4) | (digit - 1);
	}
	rec->op = op;
	rec->addr = v;
	rec->size = size;
	return 1;
}

/* The general parse: blanks anywhere, and the messages. */
static int __attribute__((noinline))
parse_slow(const char *s, size_t len, u32 max_size, struct lackey_record *rec,
	   char *why, size_t why_len)
{
	const char *p = s, *end = s + len, *nul;
	char q[4 * TRACE_QUOTE_MAX + 8];
	int op, r;

	if (len > 3 && s[2] == ' ') {
		if (s[0] == 'I' && s[1] == ' ') {
			rec->op = LACKEY_INSTR;
			p = s + 3;
			goto operands;
		}
		if (s[0] == ' ' && (op = op_of(s[1])) > LACKEY_INSTR) {
			rec->op = op;
			p = s + 3;
			goto operands;
		}
	}

	while (p < end && is_blank(*p))
		p++;
	if (p == end)
		return 0;
	if (lackey_is_valgrind_line(p, end - p))
		return 0;
	op = op_of(*p);
	if (op < 0 || p + 1 == end || !is_blank(p[1])) {
		nul = memchr(s, '\0', len);
		if (nul)
			return input_why(why, why_len, "NUL byte at column %zu",
					 (size_t)(nul - s) + 1);
		return input_why(
			why, why_len,
			"'%s' is not a lackey line (an I, L, S or M record, or valgrind's ==PID== line)",
			trace_quote(q, sizeof(q), p, end - p));
	}
	rec->op = op;
	p++;
operands:
	r = parse_operands(p, end, max_size, rec, why, why_len);
	if (r < 0 && (nul = memchr(s, '\0', len)))
		return input_why(why, why_len, "NUL byte at column %zu",
				 (size_t)(nul - s) + 1);
	return r;
}

int lackey_parse_line(const char *s, size_t len, u32 max_size,
		      struct lackey_record *rec, char *why, size_t why_len)
{
	if (likely(len > 4 && s[2] == ' ' && parse_fast(s, len, max_size, rec)))
		return 1;
	return parse_slow(s, len, max_size, rec, why, why_len);
}

bool lackey_is_record(const char *s, size_t len)
{
	struct lackey_record rec;
	char why[8];
	size_t i = 3;

	if (len < 6 || s[2] != ' ')
		return false;
	if (!(s[0] == 'I' && s[1] == ' ') &&
	    !(s[0] == ' ' && op_of(s[1]) > LACKEY_INSTR))
		return false;
	/* Exactly one separator after the letter's column: no blanks. */
	if (is_blank(s[i]))
		return false;
	return lackey_parse_line(s, len, ~0U, &rec, why, sizeof(why)) == 1;
}
