/* mmusim merge's JSON files: each checked, its runs copied into one array. */
#include <string.h>

#include "sim/input_error.h"
#include "sim/merge_internal.h"
#include "sim/output_escape.h"

/* Nesting of JSON arrays and objects; deeper input is refused. */
#define MERGE_JSON_MAX_DEPTH 128

/* ---- JSON (RFC 8259), checked, and copied run by run ---- */

struct json_cursor {
	struct merge *m;
	const struct merge_file *f;
	const char *p;
	const char *end;
	unsigned long line;
	/* The depth of the run object's own members. */
	int run_depth;
};

static int json_fail(struct json_cursor *c, const char *what)
{
	/* The file's last line, not the empty one after its newline. */
	if (c->p >= c->end)
		return input_error(c->m->error, sizeof(c->m->error), c->f->name,
				   c->line -
					   (c->line > 1 && c->end[-1] == '\n'),
				   "%s, at the end of the file", what);
	/* A message is one line of printable ASCII: other bytes in hex. */
	if ((unsigned char)*c->p < 0x20 || (unsigned char)*c->p > 0x7e)
		return input_error(c->m->error, sizeof(c->m->error), c->f->name,
				   c->line, "%s, at byte 0x%02x", what,
				   (unsigned char)*c->p);
	return input_error(c->m->error, sizeof(c->m->error), c->f->name,
			   c->line, "%s, at '%c'", what, *c->p);
}

static void json_ws(struct json_cursor *c)
{
	while (c->p < c->end && strchr(" \t\r\n", *c->p) && *c->p) {
		c->line += *c->p == '\n';
		c->p++;
	}
}

static bool json_literal(struct json_cursor *c, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n))
		return false;
	c->p += n;
	return true;
}

static int json_string(struct json_cursor *c)
{
	static const char hex[] = "0123456789abcdefABCDEF";
	int i;

	for (c->p++; c->p < c->end && *c->p != '"'; c->p++) {
		if ((unsigned char)*c->p < 0x20)
			return json_fail(c, "a control character in a string");
		if (*c->p != '\\')
			continue;
		c->p++;
		if (c->p < c->end && *c->p == 'u') {
			for (i = 1; i <= 4; i++)
				if (c->p + i >= c->end ||
				    !strchr(hex, c->p[i]) || !c->p[i])
					return json_fail(c, "a bad \\u escape");
			c->p += 4;
		} else if (c->p >= c->end || !strchr("\"\\/bfnrt", *c->p) ||
			   !*c->p) {
			return json_fail(c, "a bad escape in a string");
		}
	}
	if (c->p >= c->end)
		return json_fail(c, "a string is not closed");
	c->p++;
	return 0;
}

static bool json_digits(struct json_cursor *c)
{
	const char *start = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > start;
}

static int json_number(struct json_cursor *c)
{
	if (*c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (!json_digits(c))
		return json_fail(c, "a bad number");
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (!json_digits(c))
			return json_fail(c, "a bad number");
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (!json_digits(c))
			return json_fail(c, "a bad number");
	}
	return 0;
}

static int json_value(struct json_cursor *c, int depth);

/* The members of an object or elements of an array, after its '{' or '['. */
static int json_container(struct json_cursor *c, int depth, char close)
{
	const char *name;
	int ret;

	if (depth >= MERGE_JSON_MAX_DEPTH)
		return json_fail(c, "arrays and objects nested too deep");
	c->p++;
	json_ws(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			json_ws(c);
			if (c->p >= c->end || *c->p != '"')
				return json_fail(c, "expected a member name");
			name = c->p + 1;
			ret = json_string(c);
			if (ret)
				return ret;
			if (depth == c->run_depth && c->m->file_column &&
			    (size_t)(c->p - 1 - name) ==
				    strlen(c->m->file_column) &&
			    !memcmp(name, c->m->file_column, c->p - 1 - name))
				return input_error(
					c->m->error, sizeof(c->m->error),
					c->f->name, c->line,
					"a run already has the member '%s' of --file-column",
					c->m->file_column);
			json_ws(c);
			if (c->p >= c->end || *c->p != ':')
				return json_fail(c, "expected ':'");
			c->p++;
		}
		ret = json_value(c, depth + 1);
		if (ret)
			return ret;
		json_ws(c);
		if (c->p < c->end && *c->p == close) {
			c->p++;
			return 0;
		}
		if (c->p >= c->end || *c->p != ',')
			return json_fail(c, close == '}' ?
						    "expected ',' or '}'" :
						    "expected ',' or ']'");
		c->p++;
	}
}

static int json_value(struct json_cursor *c, int depth)
{
	json_ws(c);
	if (c->p >= c->end)
		return json_fail(c, "expected a value");
	switch (*c->p) {
	case '{':
		return json_container(c, depth, '}');
	case '[':
		return json_container(c, depth, ']');
	case '"':
		return json_string(c);
	case 't':
	case 'f':
	case 'n':
		if (json_literal(c, "true") || json_literal(c, "false") ||
		    json_literal(c, "null"))
			return 0;
		return json_fail(c, "expected a value");
	}
	if (*c->p == '-' || (*c->p >= '0' && *c->p <= '9'))
		return json_number(c);
	return json_fail(c, "expected a value");
}

/* One run: an object, checked, kept as its text. */
static int json_run(struct json_cursor *c, int depth)
{
	struct merge_run *run;
	const char *start;
	int ret;

	json_ws(c);
	if (c->p >= c->end || *c->p != '{')
		return json_fail(c, "a run is not a JSON object");
	start = c->p;
	c->run_depth = depth;
	ret = json_container(c, depth, '}');
	if (ret)
		return ret;
	run = merge_list_add(&c->m->runs, sizeof(*run));
	if (!run)
		return json_fail(c, "out of memory");
	run->file = c->f;
	run->text = start;
	run->len = c->p - start;
	return 0;
}

int merge_json_file(struct merge *m, struct merge_file *f)
{
	struct json_cursor c = { m, f, f->text, f->text + f->len, 1, -1 };
	int ret;

	json_ws(&c);
	if (*c.p == '[') {
		c.p++;
		json_ws(&c);
		if (c.p < c.end && *c.p == ']') {
			c.p++;
		} else {
			for (;;) {
				ret = json_run(&c, 1);
				if (ret)
					return ret;
				json_ws(&c);
				if (c.p < c.end && *c.p == ']') {
					c.p++;
					break;
				}
				if (c.p >= c.end || *c.p != ',')
					return json_fail(&c,
							 "expected ',' or ']'");
				c.p++;
			}
		}
	} else {
		ret = json_run(&c, 0);
		if (ret)
			return ret;
	}
	json_ws(&c);
	if (c.p < c.end)
		return json_fail(&c, "text after the runs");
	return 0;
}

void merge_json_write(struct merge *m, FILE *out)
{
	const struct merge_run *runs = m->runs.items;
	size_t i;

	fputs("[", out);
	for (i = 0; i < m->runs.n; i++) {
		const char *text = runs[i].text;
		size_t len = runs[i].len;

		fputs(i ? ",\n" : "\n", out);
		if (m->file_column) {
			/* The member first, then the run's own after its '{'. */
			fputc('{', out);
			json_put_string(out, m->file_column);
			fputs(": ", out);
			json_put_string(out, runs[i].file->label);
			text++;
			len--;
			if (text[strspn(text, " \t\r\n")] != '}')
				fputs(", ", out);
		}
		fwrite(text, 1, len, out);
	}
	fputs(m->runs.n ? "\n]\n" : "]\n", out);
}
