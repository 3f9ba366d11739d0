/*
 * mmusim merge's CSV files: each read under the union of the header
 * columns, and the union written out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/input/trace_reader.h"
#include "sim/input_error.h"
#include "sim/merge_internal.h"
#include "sim/output_escape.h"

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
		slot = merge_list_add(&cells, sizeof(char *));
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

void merge_row_free(struct merge_row *row)
{
	while (row->nr_cells)
		free(row->cells[--row->nr_cells]);
	free(row->cells);
	row->cells = NULL;
}

/* The union column named @name, added if new; SIZE_MAX if out of memory. */
size_t merge_union_column(struct merge *m, char *name)
{
	char **cols = m->columns.items, **slot;
	size_t i;

	for (i = 0; i < m->columns.n; i++)
		if (!strcmp(cols[i], name))
			return i;
	slot = merge_list_add(&m->columns, sizeof(char *));
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
	slot = merge_list_add(&m->comments, sizeof(char *));
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
		f->column_of[i] = merge_union_column(m, head->cells[i]);
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

int merge_csv_file(struct merge *m, struct merge_file *f)
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
			merge_row_free(&row);
			if (ret)
				return ret;
			continue;
		}
		if (row.nr_cells != f->nr_columns) {
			input_error(m->error, sizeof(m->error), f->name,
				    row_line, "%zu cell%s, the header has %zu",
				    row.nr_cells, row.nr_cells == 1 ? "" : "s",
				    f->nr_columns);
			merge_row_free(&row);
			return -EINVAL;
		}
		slot = merge_list_add(&m->rows, sizeof(row));
		if (!slot) {
			merge_row_free(&row);
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

void merge_csv_write(struct merge *m, FILE *out)
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
