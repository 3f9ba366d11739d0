/*
 * The scenario file reader: lines, split into words; scenario_parse.c
 * makes statements of them.
 */
#include <errno.h>
#include <string.h>

#include "sim/input_error.h"
#include "sim/scenario_internal.h"

static int __attribute__((format(printf, 3, 0)))
vreport(struct scenario_reader *r, unsigned long line, const char *fmt,
	va_list ap)
{
	r->status = input_verror(r->error, sizeof(r->error), r->filename, line,
				 fmt, ap);
	return r->status;
}

int scenario_error(struct scenario_reader *r, unsigned long line,
		   const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vreport(r, line, fmt, ap);
	va_end(ap);
	return ret;
}

int __attribute__((format(printf, 2, 3)))
scenario_syntax_error(struct scenario_reader *r, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vreport(r, r->line, fmt, ap);
	va_end(ap);
	return ret;
}

void scenario_reader_init(struct scenario_reader *r, FILE *file,
			  const char *filename)
{
	r->file = file;
	r->own_file = false;
	r->filename = filename;
	r->line = 0;
	r->in_scenario = false;
	r->eof = false;
	r->status = 0;
	r->buf[0] = '\0';
	r->error[0] = '\0';
	r->run_stmt = NULL;
	r->run_stmt_opaque = NULL;
	r->mid_line = false;
}

int scenario_reader_open(struct scenario_reader *r, const char *path)
{
	FILE *f;

	if (!strcmp(path, "-")) {
		scenario_reader_init(r, stdin, "<stdin>");
		return 0;
	}
	f = fopen(path, "r");
	scenario_reader_init(r, f, path);
	if (!f) {
		int err = errno;

		input_error(r->error, sizeof(r->error), path, 0, "%s",
			    strerror(err));
		r->status = -err;
		return -err;
	}
	r->own_file = true;
	return 0;
}

void scenario_reader_close(struct scenario_reader *r)
{
	if (r->own_file && r->file)
		fclose(r->file);
	r->file = NULL;
	r->own_file = false;
}

/*
 * Read one line into r->buf without its newline (and without a CR before
 * it): 1 when a line was read, 0 at the end of the input, < 0 on error.
 */
static int read_line(struct scenario_reader *r, size_t *len)
{
	size_t n = 0;
	int c;

	if (r->eof)
		return 0;
	for (;;) {
		c = getc_unlocked(r->file);
		if (c == EOF) {
			if (ferror(r->file)) {
				int err = errno;

				input_error(r->error, sizeof(r->error),
					    r->filename, r->line + 1,
					    "read error: %s", strerror(err));
				r->status = -EIO;
				return -EIO;
			}
			r->eof = true;
			if (!n)
				return 0;
			break;
		}
		if (c == '\n')
			break;
		if (n == SCENARIO_LINE_MAX) {
			r->line++;
			r->mid_line = true;
			return scenario_syntax_error(
				r, "line is longer than %d bytes",
				SCENARIO_LINE_MAX);
		}
		r->buf[n++] = c;
	}
	r->line++;
	if (n && r->buf[n - 1] == '\r')
		n--;
	r->buf[n] = '\0';
	*len = n;
	return 1;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Split r->buf into words, up to a '#' comment.  A comment may hold any
 * byte but NUL; the statement itself only printable ASCII.
 */
static int tokenize(struct scenario_reader *r, size_t len,
		    struct line_tokens *lt)
{
	const char *p = r->buf, *end;
	const char *nul = memchr(p, '\0', len);
	const char *hash;
	size_t i;

	if (nul)
		return scenario_syntax_error(r, "NUL byte at column %zu",
					     (size_t)(nul - p) + 1);
	hash = memchr(p, '#', len);
	end = hash ? hash : p + len;
	for (i = 0; p + i < end; i++) {
		unsigned char c = p[i];

		if (!is_space(c) && (c < 0x20 || c > 0x7e))
			return scenario_syntax_error(
				r, "unexpected byte 0x%02x at column %zu", c,
				i + 1);
	}

	lt->n = 0;
	while (p < end && lt->n < SCENARIO_MAX_TOKENS) {
		const char *start;

		while (p < end && is_space(*p))
			p++;
		if (p == end)
			break;
		start = p;
		while (p < end && !is_space(*p))
			p++;
		lt->tok[lt->n].s = start;
		lt->tok[lt->n].len = p - start;
		lt->n++;
	}
	return 0;
}

int scenario_read(struct scenario_reader *r, struct scenario_stmt *stmt)
{
	struct line_tokens lt;
	size_t len = 0;
	int ret;

	if (r->status)
		return r->status;
	for (;;) {
		ret = read_line(r, &len);
		if (ret <= 0)
			return ret;
		if (tokenize(r, len, &lt))
			return r->status;
		if (!lt.n)
			continue;
		memset(stmt, 0, sizeof(*stmt));
		stmt->line = r->line;
		ret = scenario_parse_statement(r, &lt, stmt);
		if (ret < 0)
			return r->status;
		if (ret == 0)
			return 1;
	}
}

int scenario_reader_skip_error(struct scenario_reader *r)
{
	int c;

	if (r->status == -EIO || !r->status)
		return r->status;
	if (r->mid_line) {
		do {
			c = getc_unlocked(r->file);
		} while (c != EOF && c != '\n');
		if (c == EOF)
			r->eof = true;
		r->mid_line = false;
	}
	r->status = 0;
	r->error[0] = '\0';
	return 0;
}
