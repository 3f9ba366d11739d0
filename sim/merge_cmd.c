/*
 * mmusim merge: join the CSV or JSON results of sharded runs into one,
 * on standard output.  CSV files are joined under the union of their
 * header columns (cells a file lacks stay empty); JSON files, each an
 * array of runs or one run, into one array.  Nothing is written unless
 * every file is good.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cmd_options.h"
#include "sim/commands.h"
#include "sim/input/trace_reader.h"
#include "sim/input_error.h"
#include "sim/merge.h"
#include "sim/output_escape.h"

/* Nesting of JSON arrays and objects; deeper input is refused. */
#define MERGE_JSON_MAX_DEPTH 128

enum merge_format {
	MERGE_UNKNOWN,
	MERGE_CSV,
	MERGE_JSON,
};

/* One input file, read whole. */
struct merge_file {
	const char *name;
	char *text;
	size_t len;
	/* CSV: the union column of each of this file's header columns. */
	size_t *column_of;
	size_t nr_columns;
	/* --file-column: the name without directory and last suffix. */
	char *label;
};

/* A CSV row, its cells in its file's header order. */
struct merge_row {
	const struct merge_file *file;
	char **cells;
	size_t nr_cells;
};

/* A JSON run: @len bytes at @text, verbatim from its file. */
struct merge_run {
	const struct merge_file *file;
	const char *text;
	size_t len;
};

/* The growable arrays of struct merge. */
struct merge_list {
	void *items;
	size_t n;
	size_t cap;
};

struct merge {
	enum merge_format format;
	const char *first_name;
	/* --file-column=KEY: a first column, or member, naming each file. */
	const char *file_column;
	/* CSV: union columns (char *), comment lines (char *), rows. */
	struct merge_list columns;
	struct merge_list comments;
	struct merge_list rows;
	/* JSON: the runs of every file, in order. */
	struct merge_list runs;
	char error[512];
};

static void *list_add(struct merge_list *l, size_t size)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *p = realloc(l->items, cap * size);

		if (!p)
			return NULL;
		l->items = p;
		l->cap = cap;
	}
	return (char *)l->items + l->n++ * size;
}

static void merge_usage(FILE *out)
{
	fprintf(out,
		"usage: mmusim merge [--file-column=KEY] FILE...\n"
		"Join the results of sharded runs into one, on standard output:\n"
		"  CSV files (a header row, one row per run): one header, the union\n"
		"      of the files' columns in order of first appearance, every\n"
		"      row; cells a file has no column for stay empty; '#' comment\n"
		"      lines before a header are kept, each once\n"
		"  JSON files (an array of runs, or one run object): one array of\n"
		"      every run, in file order\n"
		"FILE '-' is standard input.  All files must be CSV or all JSON.\n"
		"\n"
		"  --file-column=KEY   a first column KEY (a first member of each run)\n"
		"              naming the file each row came from, without its\n"
		"              directory and last suffix: skylake for "
		"shards/skylake.csv\n"
		"\n"
		"The workflow is in docs/experiments.md.\n"
		"Exit status: 0, or 2 for bad usage or bad input (FILE:LINE: "
		"message).\n");
}

static int read_whole(struct merge *m, struct merge_file *f)
{
	FILE *in = strcmp(f->name, "-") ? fopen(f->name, "rb") : stdin;
	size_t cap = 0, n;
	char *p;

	if (!in)
		return input_error(m->error, sizeof(m->error), f->name, 0, "%s",
				   strerror(errno));
	f->len = 0;
	for (;;) {
		if (f->len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			p = realloc(f->text, cap);
			if (!p) {
				if (in != stdin)
					fclose(in);
				return input_error(m->error, sizeof(m->error),
						   f->name, 0, "out of memory");
			}
			f->text = p;
		}
		n = fread(f->text + f->len, 1, cap - f->len - 1, in);
		f->len += n;
		if (!n)
			break;
	}
	f->text[f->len] = '\0';
	n = ferror(in);
	if (in != stdin)
		fclose(in);
	if (n)
		return input_error(m->error, sizeof(m->error), f->name, 0,
				   "reading: %s", strerror(EIO));
	return 0;
}

/* ---- CSV (RFC 4180: quoted cells may hold commas, quotes, newlines) ---- */

/*
 * Read the record at *@pp (line *@line) into @row's cells, and move
 * past it.  Returns 0, or -EINVAL with the message in @m.
 */
static int csv_record(struct merge *m, const struct merge_file *f,
		      const char **pp, unsigned long *line,
		      struct merge_row *row)
{
	const char *p = *pp, *end = f->text + f->len;
	struct merge_list cells = { 0 };
	unsigned long start_line = *line;

	for (;;) {
		const char *q = p;
		char *cell, **slot;
		size_t n = 0;

		if (*p == '"') {
			/* Find the closing quote first: the cell is no longer. */
			for (q = p + 1; q < end; q++) {
				if (*q == '"' && q + 1 < end && q[1] == '"')
					q++;
				else if (*q == '"')
					break;
			}
			if (q == end) {
				input_error(m->error, sizeof(m->error), f->name,
					    start_line,
					    "a quoted cell is not closed");
				goto fail;
			}
			cell = malloc(q - p);
			if (!cell)
				goto nomem;
			for (p++; p < q; p++) {
				*line += *p == '\n';
				cell[n++] = *p;
				p += *p == '"';
			}
			p++;
			if (p < end && *p != ',' && *p != '\n' && *p != '\r') {
				free(cell);
				input_error(
					m->error, sizeof(m->error), f->name,
					*line,
					"text after the closing quote of a cell");
				goto fail;
			}
		} else {
			while (q < end && *q != ',' && *q != '\n' && *q != '\r')
				q++;
			if (memchr(p, '"', q - p)) {
				input_error(m->error, sizeof(m->error), f->name,
					    *line,
					    "a quote inside an unquoted cell");
				goto fail;
			}
			cell = malloc(q - p + 1);
			if (!cell)
				goto nomem;
			memcpy(cell, p, q - p);
			n = q - p;
			p = q;
		}
		cell[n] = '\0';
		slot = list_add(&cells, sizeof(char *));
		if (!slot) {
			free(cell);
			goto nomem;
		}
		*slot = cell;
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '\r')
			p++;
		if (p < end && *p == '\n')
			p++;
		else if (p < end) {
			input_error(m->error, sizeof(m->error), f->name, *line,
				    "a carriage return inside a cell");
			goto fail;
		}
		(*line)++;
		break;
	}
	row->cells = cells.items;
	row->nr_cells = cells.n;
	*pp = p;
	return 0;
nomem:
	input_error(m->error, sizeof(m->error), f->name, *line,
		    "out of memory");
fail:
	while (cells.n)
		free(((char **)cells.items)[--cells.n]);
	free(cells.items);
	return -EINVAL;
}

static void row_free(struct merge_row *row)
{
	while (row->nr_cells)
		free(row->cells[--row->nr_cells]);
	free(row->cells);
	row->cells = NULL;
}

/* The union column named @name, added if new; SIZE_MAX if out of memory. */
static size_t union_column(struct merge *m, char *name)
{
	char **cols = m->columns.items, **slot;
	size_t i;

	for (i = 0; i < m->columns.n; i++)
		if (!strcmp(cols[i], name))
			return i;
	slot = list_add(&m->columns, sizeof(char *));
	if (!slot)
		return SIZE_MAX;
	*slot = name;
	return m->columns.n - 1;
}

static int add_comment(struct merge *m, const char *p, size_t n)
{
	char **lines = m->comments.items, **slot;
	size_t i;

	for (i = 0; i < m->comments.n; i++)
		if (strlen(lines[i]) == n && !memcmp(lines[i], p, n))
			return 0;
	slot = list_add(&m->comments, sizeof(char *));
	if (!slot || !(*slot = strndup(p, n))) {
		if (slot)
			m->comments.n--;
		return -ENOMEM;
	}
	return 0;
}

static int csv_header(struct merge *m, struct merge_file *f,
		      struct merge_row *head, unsigned long line)
{
	/* A column name in a message, in printable ASCII. */
	char q[4 * TRACE_QUOTE_MAX + 8];
	size_t i, j;

	f->column_of = calloc(head->nr_cells, sizeof(*f->column_of));
	if (!f->column_of)
		return input_error(m->error, sizeof(m->error), f->name, line,
				   "out of memory");
	f->nr_columns = head->nr_cells;
	for (i = 0; i < head->nr_cells; i++) {
		if (!head->cells[i][0])
			return input_error(m->error, sizeof(m->error), f->name,
					   line,
					   "header column %zu has no name",
					   i + 1);
		if (m->file_column && !strcmp(head->cells[i], m->file_column))
			return input_error(
				m->error, sizeof(m->error), f->name, line,
				"the header already has the column '%s' of --file-column",
				m->file_column);
		for (j = 0; j < i; j++)
			if (!strcmp(head->cells[i], head->cells[j]))
				return input_error(
					m->error, sizeof(m->error), f->name,
					line, "column '%s' twice in the header",
					trace_quote(q, sizeof(q),
						    head->cells[i],
						    strlen(head->cells[i])));
	}
	for (i = 0; i < head->nr_cells; i++) {
		f->column_of[i] = union_column(m, head->cells[i]);
		if (f->column_of[i] == SIZE_MAX)
			return input_error(m->error, sizeof(m->error), f->name,
					   line, "out of memory");
		/* The union owns the names it took; drop the duplicates. */
		if (((char **)m->columns.items)[f->column_of[i]] !=
		    head->cells[i])
			free(head->cells[i]);
		head->cells[i] = NULL;
	}
	free(head->cells);
	head->cells = NULL;
	head->nr_cells = 0;
	return 0;
}

static int csv_file(struct merge *m, struct merge_file *f)
{
	const char *p = f->text, *end = f->text + f->len;
	unsigned long line = 1;
	bool have_header = false;
	int ret;

	/*
	 * mmusim run ends every CSV line with a newline: a last line without
	 * one was cut short, and could still parse as a row or a header with
	 * a cell cut in two.
	 */
	if (f->len && end[-1] != '\n') {
		const char *q;

		for (q = p; (q = memchr(q, '\n', end - q)); q++)
			line++;
		return input_error(m->error, sizeof(m->error), f->name, line,
				   "no newline at the end of the file (cut "
				   "short?)");
	}
	while (p < end) {
		struct merge_row row = { .file = f }, *slot;
		unsigned long row_line = line;

		/* Blank lines are skipped; '#' lines before the header kept. */
		if (*p == '\n' || (*p == '\r' && p[1] == '\n')) {
			p += *p == '\r' ? 2 : 1;
			line++;
			continue;
		}
		if (*p == '#' && !have_header) {
			const char *nl = memchr(p, '\n', end - p);
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

			/* As the writer ends it: "\n", without any CR. */
			while (n && p[n - 1] == '\r')
				n--;
			if (add_comment(m, p, n))
				return input_error(m->error, sizeof(m->error),
						   f->name, line,
						   "out of memory");
			p = nl ? nl + 1 : end;
			line++;
			continue;
		}
		ret = csv_record(m, f, &p, &line, &row);
		if (ret)
			return ret;
		if (!have_header) {
			have_header = true;
			ret = csv_header(m, f, &row, row_line);
			row_free(&row);
			if (ret)
				return ret;
			continue;
		}
		if (row.nr_cells != f->nr_columns) {
			input_error(m->error, sizeof(m->error), f->name,
				    row_line, "%zu cell%s, the header has %zu",
				    row.nr_cells, row.nr_cells == 1 ? "" : "s",
				    f->nr_columns);
			row_free(&row);
			return -EINVAL;
		}
		slot = list_add(&m->rows, sizeof(row));
		if (!slot) {
			row_free(&row);
			return input_error(m->error, sizeof(m->error), f->name,
					   row_line, "out of memory");
		}
		*slot = row;
	}
	/* At the last line: only '#' and blank lines (format_of() saw one). */
	if (!have_header)
		return input_error(m->error, sizeof(m->error), f->name,
				   line - 1,
				   "no header row by the end of the file");
	return 0;
}

static void csv_write(struct merge *m, FILE *out)
{
	char **cols = m->columns.items, **comments = m->comments.items;
	const struct merge_row *rows = m->rows.items;
	size_t i, j, k;

	for (i = 0; i < m->comments.n; i++)
		fprintf(out, "%s\n", comments[i]);
	for (i = 0; i < m->columns.n; i++) {
		if (i)
			fputc(',', out);
		/* Output starting with '[' or '{' would read back as JSON. */
		if (!i && !m->comments.n &&
		    strchr("[{", cols[0][strspn(cols[0], " \t")]))
			csv_put_quoted_cell(out, cols[0]);
		else
			csv_put_cell(out, cols[i]);
	}
	fputc('\n', out);
	for (i = 0; i < m->rows.n; i++) {
		const struct merge_row *r = &rows[i];

		/* A lone empty cell would be a blank line, which is skipped. */
		if (m->columns.n == 1 && !*r->cells[0]) {
			fputs("\"\"\n", out);
			continue;
		}
		/* Each union column's cell, looked up in the row's file. */
		for (j = 0; j < m->columns.n; j++) {
			if (j)
				fputc(',', out);
			if (!j && m->file_column)
				csv_put_cell(out, r->file->label);
			for (k = 0; k < r->file->nr_columns; k++)
				if (r->file->column_of[k] == j)
					csv_put_cell(out, r->cells[k]);
		}
		fputc('\n', out);
	}
}

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
	run = list_add(&c->m->runs, sizeof(*run));
	if (!run)
		return json_fail(c, "out of memory");
	run->file = c->f;
	run->text = start;
	run->len = c->p - start;
	return 0;
}

static int json_file(struct merge *m, struct merge_file *f)
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

static void json_write(struct merge *m, FILE *out)
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

/* ---- The command ---- */

static enum merge_format format_of(const struct merge_file *f)
{
	size_t i = 0;

	while (i < f->len && strchr(" \t\r\n", f->text[i]))
		i++;
	if (i == f->len)
		return MERGE_UNKNOWN;
	return f->text[i] == '[' || f->text[i] == '{' ? MERGE_JSON : MERGE_CSV;
}

/* Parse @f's text (read whole, NUL-terminated) into @m. */
static int merge_text(struct merge *m, struct merge_file *f)
{
	enum merge_format format;

	if (memchr(f->text, '\0', f->len))
		return input_error(m->error, sizeof(m->error), f->name, 0,
				   "a NUL byte: not a CSV or JSON text");
	if (m->file_column) {
		const char *base = strrchr(f->name, '/'), *dot;

		base = base ? base + 1 : f->name;
		dot = strrchr(base, '.');
		f->label = strndup(base, dot && dot != base ?
						 (size_t)(dot - base) :
						 strlen(base));
		if (!f->label)
			return input_error(m->error, sizeof(m->error), f->name,
					   0, "out of memory");
	}
	format = format_of(f);
	if (format == MERGE_UNKNOWN)
		return input_error(m->error, sizeof(m->error), f->name, 1,
				   "empty: no CSV header and no JSON run");
	if (m->format == MERGE_UNKNOWN) {
		m->format = format;
		m->first_name = f->name;
	} else if (format != m->format) {
		return input_error(m->error, sizeof(m->error), f->name, 1,
				   "%s, but %s is %s",
				   format == MERGE_JSON ? "JSON" : "CSV",
				   m->first_name,
				   m->format == MERGE_JSON ? "JSON" : "CSV");
	}
	if (format == MERGE_CSV && m->file_column && !m->columns.n) {
		char *name = strdup(m->file_column);

		if (!name || union_column(m, name) == SIZE_MAX) {
			free(name);
			return input_error(m->error, sizeof(m->error), f->name,
					   0, "out of memory");
		}
	}
	return format == MERGE_JSON ? json_file(m, f) : csv_file(m, f);
}

static int merge_file(struct merge *m, struct merge_file *f)
{
	int ret = read_whole(m, f);

	return ret ? ret : merge_text(m, f);
}

static void merge_write(struct merge *m, FILE *out)
{
	if (m->format == MERGE_JSON)
		json_write(m, out);
	else
		csv_write(m, out);
}

static void merge_free(struct merge *m, struct merge_file *files, int n)
{
	struct merge_row *rows = m->rows.items;
	char **s;
	size_t i;
	int f;

	for (i = 0; i < m->rows.n; i++)
		row_free(&rows[i]);
	s = m->columns.items;
	for (i = 0; i < m->columns.n; i++)
		free(s[i]);
	s = m->comments.items;
	for (i = 0; i < m->comments.n; i++)
		free(s[i]);
	free(m->rows.items);
	free(m->columns.items);
	free(m->comments.items);
	free(m->runs.items);
	for (f = 0; f < n; f++) {
		free(files[f].text);
		free(files[f].column_of);
		free(files[f].label);
	}
	free(files);
}

int merge_command(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "file-column", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct merge m = { 0 };
	struct merge_file *files;
	int c, i, nr_files, ret = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, CMD_OPTSTRING, longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'f':
			if (!*optarg) {
				fprintf(stderr,
					"mmusim merge: --file-column needs a name\n");
				return EXIT_USAGE;
			}
			m.file_column = optarg;
			break;
		case 'h':
			merge_usage(stdout);
			return 0;
		default:
			cmd_option_error("mmusim merge", argc, argv, longopts,
					 c);
			return EXIT_USAGE;
		}
	}
	nr_files = argc - optind;
	if (!nr_files) {
		fprintf(stderr, "mmusim merge: no FILE to merge\n");
		merge_usage(stderr);
		return EXIT_USAGE;
	}
	files = calloc(nr_files, sizeof(*files));
	if (!files) {
		fprintf(stderr, "mmusim merge: out of memory\n");
		return EXIT_USAGE;
	}
	for (i = 0; i < nr_files && !ret; i++) {
		files[i].name = argv[optind + i];
		ret = merge_file(&m, &files[i]);
	}
	if (ret) {
		input_error_print(stderr, m.error);
	} else {
		merge_write(&m, stdout);
		if (fflush(stdout) || ferror(stdout)) {
			fprintf(stderr,
				"mmusim merge: writing the output: %s\n",
				strerror(errno));
			ret = -EIO;
		}
	}
	merge_free(&m, files, nr_files);
	return ret ? EXIT_USAGE : 0;
}

int merge_texts(const struct merge_input *inputs, int nr,
		const char *file_column, FILE *out, char *why, size_t why_size)
{
	struct merge m = { .file_column = file_column };
	struct merge_file *files = calloc(nr > 0 ? nr : 1, sizeof(*files));
	int i, ret = 0;

	if (!files)
		return input_error(why, why_size, "merge", 0, "out of memory");
	for (i = 0; i < nr && !ret; i++) {
		files[i].name = inputs[i].name;
		files[i].len = inputs[i].len;
		files[i].text = malloc(inputs[i].len + 1);
		if (!files[i].text) {
			ret = input_error(m.error, sizeof(m.error),
					  inputs[i].name, 0, "out of memory");
			break;
		}
		memcpy(files[i].text, inputs[i].text, inputs[i].len);
		files[i].text[inputs[i].len] = '\0';
		ret = merge_text(&m, &files[i]);
	}
	if (ret)
		snprintf(why, why_size, "%s", m.error);
	else
		merge_write(&m, out);
	merge_free(&m, files, nr);
	return ret;
}
