/* The input formats of mmusim run, and telling them apart. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/input/input.h"
#include "sim/input/trace_reader.h"
#include "sim/input_error.h"
#include "sim/run.h"

/*
 * Detection asks the formats in this order: native last, since a line
 * whose first word is a statement's is the weakest sign (a kvmmmu line's
 * COMM may be "read 1").
 */
const struct run_input_ops *const run_inputs[] = {
	&run_lackey_input,   &run_kvmmmu_input, &run_native_input,
	&run_champsim_input, &run_binary_input,
};
const unsigned int run_nr_inputs = ARRAY_SIZE(run_inputs);

const struct run_input_ops run_builtin_input = {
	.name = "builtin",
	.noun = "the built-in workload",
	.model = RUN_INPUT_ACCESSES,
	.options = RUN_INPUT_OPT_GUEST | RUN_INPUT_OPT_CACHES |
		   RUN_INPUT_OPT_BUILTIN,
};

const struct run_input_ops *run_input_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < run_nr_inputs; i++)
		if (!strcmp(name, run_inputs[i]->name))
			return run_inputs[i];
	return NULL;
}

char *run_input_names(char *buf, size_t size, const char *sep, const char *last)
{
	size_t n = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < run_nr_inputs && n < size; i++)
		n += snprintf(buf + n, size - n, "%s%s",
			      !i		     ? "" :
			      i + 1 == run_nr_inputs ? last :
						       sep,
			      run_inputs[i]->name);
	return buf;
}

static bool is_blank_or_comment(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '#')
			return true;
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	}
	return true;
}

/* The format that claims the line, or NULL. */
static const struct run_input_ops *detect_line(const char *s, size_t len)
{
	unsigned int i;

	for (i = 0; i < run_nr_inputs; i++)
		if (run_inputs[i]->detect_line &&
		    run_inputs[i]->detect_line(s, len))
			return run_inputs[i];
	return NULL;
}

/*
 * The binary format the first bytes have: its ops, NULL for none, or
 * @more when one of them needs more bytes to say.
 */
static const struct run_input_ops *detect_bytes(const char *data, size_t len,
						bool eof, bool *more)
{
	unsigned int i;
	int ret;

	*more = false;
	for (i = 0; i < run_nr_inputs; i++) {
		if (!run_inputs[i]->detect_bytes)
			continue;
		ret = run_inputs[i]->detect_bytes((const u8 *)data, len, eof);
		if (ret > 0)
			return run_inputs[i];
		if (ret == -EAGAIN)
			*more = true;
	}
	return NULL;
}

const struct run_input_ops *run_input_detect(const char *data, size_t len,
					     bool eof, unsigned long *line)
{
	const char *p = data, *end = data + len, *nl;
	const struct run_input_ops *ops;
	unsigned long n = 0;
	bool more;
	size_t l;

	*line = 0;
	ops = detect_bytes(data, len, eof, &more);
	if (ops || more)
		return ops;
	while (p < end) {
		nl = memchr(p, '\n', end - p);
		if (!nl && !eof)
			break;
		l = (nl ? nl : end) - p;
		n++;
		if (l && p[l - 1] == '\r')
			l--;
		ops = detect_line(p, l);
		if (ops)
			return ops;
		if (!is_blank_or_comment(p, l)) {
			*line = n;
			return NULL;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return eof ? &run_native_input : NULL;
}

/* Line @line (counted from 1) of @data, and its length. */
static const char *nth_line(const char *data, size_t len, unsigned long line,
			    size_t *line_len)
{
	const char *p = data, *end = data + len, *nl;

	while (--line && (nl = memchr(p, '\n', end - p)))
		p = nl + 1;
	nl = memchr(p, '\n', end - p);
	*line_len = (nl ? nl : end) - p;
	if (*line_len && p[*line_len - 1] == '\r')
		(*line_len)--;
	return p;
}

/*
 * A buffer full of blank and comment lines decides nothing: go past its
 * whole lines (the reader counts them), so that what follows decides.
 */
static int skip_undecided_lines(struct trace_reader *r, const char *data,
				size_t len)
{
	const char *last = memrchr(data, '\n', len), *line;
	size_t line_len, target;
	int ret;

	if (!last)
		return trace_reader_error(
			r, r->line + 1,
			"cannot tell the format: the line is longer than %d bytes",
			TRACE_LINE_MAX);
	target = r->pos + (last - data) + 1;
	while (r->pos < target) {
		ret = trace_read_line(r, &line, &line_len);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int run_input_detect_reader(struct trace_reader *r,
			    const struct run_input_ops **input)
{
	char names[80], quote[4 * TRACE_QUOTE_MAX + 8];
	unsigned long line;
	const char *data, *s;
	size_t len, n;
	int ret;

	/* Read only as much as it takes to decide: input may come slowly. */
	for (;;) {
		ret = trace_reader_peek(r, true, &data, &len);
		if (ret)
			return ret;
		*input = run_input_detect(data, len, r->eof, &line);
		if (*input)
			return 0;
		if (line)
			break;
		if (len < TRACE_BUF_SIZE)
			continue;
		ret = skip_undecided_lines(r, data, len);
		if (ret)
			return ret;
	}
	s = nth_line(data, len, line, &n);
	return trace_reader_error(
		r, r->line + line,
		"cannot tell the format from this line ('%s'): no format has such a line; use --format=%s",
		trace_quote(quote, sizeof(quote), s, n),
		run_input_names(names, sizeof(names), "|", "|"));
}
