/* The input formats of mmusim run, and telling them apart. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/input/input.h"
#include "sim/run.h"

/*
 * Detection asks the formats in this order: native last, since a line
 * whose first word is a statement's is the weakest sign (a kvmmmu line's
 * COMM may be "read 1").
 */
const struct run_input_ops *const run_inputs[] = {
	&run_lackey_input,
	&run_kvmmmu_input,
	&run_native_input,
	&run_champsim_input,
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
