/*
 * fuzz_results: the readers of the files that configure and collect
 * experiments, on any bytes.  Byte 0 picks the reader (bit 0) and its
 * options (bits 7:1); the rest of the input is the text:
 *
 *   0  a --config file of mmusim run (caches_config_read_stream(),
 *      sim/caches_config.c): every key it accepts, printed back as
 *      "KEY = VALUE" lines and read again over the defaults, must give
 *      the same values; every line of the file that sets a key, given
 *      alone as --set KEY=VALUE over the same configuration, must be
 *      taken as well;
 *      with bit 1 set, each line is a --sweep KEY=V1,V2 of mmusim run
 *      instead (run_sweep_add(), sim/run_sweep.c), up to the first one
 *      refused: every configuration of the sweep is the defaults with
 *      each key set to its value as --set sets it, and reads back as
 *      itself;
 *   1  mmusim merge (merge_texts(), sim/merge_cmd.c) of 1 to 4 CSV or
 *      JSON texts (the input split at each 0xff byte), with
 *      --file-column=file when bit 1 is set: the merge of the output
 *      must be the output again, byte for byte, and a CSV output has no
 *      more rows than the inputs have lines.
 *
 * For both: any bytes give a result or exactly one clean error, in
 * bounded time and memory; an error is "NAME:LINE: message" with a line
 * of that input, in printable ASCII, and a refused merge writes nothing.
 * Only a NUL byte, which makes the input no text, may be reported
 * without a line ("NAME: message").
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "sim/caches.h"
#include "sim/caches_config.h"
#include "sim/merge.h"
#include "sim/run_sweep.h"
#include "walker/types.h"

#define NAME "fuzz.in"
#define MERGE_MAX_INPUTS 4
#define MERGE_SPLIT 0xff
#define SEL_MERGE BIT(0)
#define SEL_FILE_COLUMN BIT(1)
#define SEL_SWEEP BIT(1)

#define results_fail(...) fuzz_fail("fuzz_results", __VA_ARGS__)

#define RESULTS_CHECK(cond, ...) FUZZ_CHECK("fuzz_results", cond, __VA_ARGS__)

/* Lines of a text as its reader counts them (at least 1: "empty"). */
static unsigned long count_lines(const char *data, size_t size)
{
	unsigned long n = 0;
	size_t i;

	for (i = 0; i < size; i++)
		n += data[i] == '\n';
	if (size && data[size - 1] != '\n')
		n++;
	return n ? n : 1;
}

/*
 * @err must read "@name:LINE: message", LINE in 1..@max_line, in
 * printable ASCII (one message: no newline); "@name: message" only
 * when @may_skip_line.
 */
static void check_error(const char *err, const char *name,
			unsigned long max_line, bool may_skip_line)
{
	size_t n = strlen(name);
	unsigned long got = 0;
	const char *p;

	RESULTS_CHECK(fuzz_printable(err),
		      "error '%s' has bytes that are not printable ASCII", err);
	RESULTS_CHECK(!strncmp(err, name, n) && err[n] == ':',
		      "error '%s' does not start with '%s:'", err, name);
	p = err + n + 1;
	if (may_skip_line && p[0] == ' ' && p[1])
		return;
	RESULTS_CHECK(*p >= '1' && *p <= '9', "error '%s' has no line number",
		      err);
	while (*p >= '0' && *p <= '9')
		got = got * 10 + (*p++ - '0');
	RESULTS_CHECK(p[0] == ':' && p[1] == ' ' && p[2],
		      "error '%s' is not 'NAME:LINE: message'", err);
	RESULTS_CHECK(got >= 1 && got <= max_line,
		      "error '%s' names line %lu of %lu", err, got, max_line);
}

/* ---- --config files ---- */

/* Every key of @cfg as "KEY = VALUE" lines, in @buf (malloc'd). */
static char *config_print(const struct translation_caches_config *cfg,
			  size_t *len)
{
	char value[CACHES_VALUE_MAX], *buf = NULL;
	const char *key;
	unsigned int i;
	FILE *out = open_memstream(&buf, len);

	RESULTS_CHECK(out, "open_memstream failed");
	for (i = 0; (key = caches_config_key(i)); i++) {
		caches_config_value(cfg, i, value, sizeof(value));
		fprintf(out, "%s = %s\n", key, value);
	}
	RESULTS_CHECK(!fclose(out), "writing the configuration failed");
	return buf;
}

static int config_read(struct translation_caches_config *cfg, const char *text,
		       size_t len, struct caches_config_changes *lines,
		       char *why, size_t why_size)
{
	FILE *f = fmemopen((void *)text, len, "r");
	int ret;

	RESULTS_CHECK(f, "fmemopen failed");
	ret = caches_config_read_stream(cfg, f, NAME, lines, why, why_size);
	fclose(f);
	return ret;
}

/* Each assignment line of the accepted @text, alone, as --set takes it. */
static void config_lines_as_set(const char *text, size_t len)
{
	struct translation_caches_config cfg;
	char why[512], *copy = strndup(text, len), *line, *save, *hash;

	RESULTS_CHECK(copy, "out of memory");
	translation_caches_config_init(&cfg);
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		len = strlen(line);
		while (len && strchr(" \t\r", line[len - 1]))
			line[--len] = '\0';
		line += strspn(line, " \t");
		if (!*line)
			continue;
		RESULTS_CHECK(
			!caches_config_assign(&cfg, line, why, sizeof(why)),
			"the file took '%s', --set refuses it: %s", line, why);
	}
	free(copy);
}

/*
 * Every array whose geometry the file left other than the defaults has
 * the line that last changed it noted, and each noted line is one of the
 * file's @nr_lines.
 */
static void check_changed_lines(const struct translation_caches_config *cfg,
				const struct caches_config_changes *lines,
				unsigned long nr_lines)
{
	struct translation_caches_config defaults;
	struct caches_config_changes changed = { 0 };
	unsigned int i;

	translation_caches_config_init(&defaults);
	caches_config_note_changes(&changed, &defaults, cfg, 1);
	for (i = 0; i < CACHES_CONFIG_ARRAYS; i++) {
		RESULTS_CHECK(!changed.source[i] || lines->source[i],
			      "array %u changed, but no line is noted", i);
		RESULTS_CHECK(lines->source[i] <= nr_lines,
			      "array %u noted at line %lu of %lu", i,
			      lines->source[i], nr_lines);
	}
}

static void fuzz_config(const char *data, size_t size)
{
	struct translation_caches_config cfg, again;
	struct caches_config_changes lines = { 0 };
	char why[512] = "", why2[512] = "", *printed, *reprinted;
	size_t len, len2;

	translation_caches_config_init(&cfg);
	if (config_read(&cfg, data, size, &lines, why, sizeof(why))) {
		check_error(why, NAME, count_lines(data, size), false);
		return;
	}
	RESULTS_CHECK(!memchr(data, '\0', size),
		      "a file with a NUL byte was taken");
	check_changed_lines(&cfg, &lines, count_lines(data, size));
	config_lines_as_set(data, size);
	printed = config_print(&cfg, &len);
	translation_caches_config_init(&again);
	RESULTS_CHECK(!config_read(&again, printed, len, NULL, why2,
				   sizeof(why2)),
		      "the configuration printed back is refused: %s", why2);
	reprinted = config_print(&again, &len2);
	RESULTS_CHECK(len == len2 && !memcmp(printed, reprinted, len),
		      "the configuration read back differs:\n%s\nagain:\n%s",
		      printed, reprinted);
	free(printed);
	free(reprinted);
}

/* A message about an option: one line of printable ASCII. */
static void check_option_error(const char *why)
{
	RESULTS_CHECK(*why && fuzz_printable(why),
		      "option error '%s' is empty or not printable ASCII", why);
}

static void fuzz_sweep(const char *data, size_t size)
{
	struct translation_caches_config base, cfg, ref;
	char why[512], label[512], *copy = strndup(data, size), *line, *save;
	char *printed, *expected;
	struct run_sweep *sw = calloc(1, sizeof(*sw));
	unsigned int k, i, n;
	size_t len, len2;

	RESULTS_CHECK(copy && sw, "out of memory");
	translation_caches_config_init(&base);
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (run_sweep_add(sw, line, &base, why, sizeof(why))) {
			check_option_error(why);
			break;
		}
	}
	n = run_sweep_size(sw);
	RESULTS_CHECK(n >= 1 && n <= RUN_SWEEP_MAX_CONFIGS, "%u configurations",
		      n);
	for (k = 0; k < n; k++) {
		unsigned int stride = n;

		cfg = base;
		if (run_sweep_config(sw, k, &cfg, why, sizeof(why))) {
			check_option_error(why);
			continue;
		}
		run_sweep_label(sw, k, label, sizeof(label));
		check_option_error(label[0] ? label : "-");
		/* Key i varies with stride n / (values of keys 0..i). */
		ref = base;
		for (i = 0; i < sw->nr_keys; i++) {
			stride /= sw->keys[i].nr_values;
			RESULTS_CHECK(
				!caches_config_set(
					&ref, sw->keys[i].key,
					sw->keys[i]
						.values[k / stride %
							sw->keys[i].nr_values],
					why, sizeof(why)),
				"a swept value is refused: %s", why);
		}
		printed = config_print(&cfg, &len);
		expected = config_print(&ref, &len2);
		RESULTS_CHECK(
			len == len2 && !memcmp(printed, expected, len),
			"configuration %u (%s) is not its keys' values:\n%s\nexpected:\n%s",
			k, label, printed, expected);
		free(printed);
		free(expected);
	}
	free(sw);
	free(copy);
}

/* ---- mmusim merge ---- */

/* Records of a CSV text that are not '#' lines before the header. */
static size_t csv_rows(const char *s, size_t len)
{
	size_t i, records = 0, comments = 0;
	bool quoted = false, line_start = true, header = false;

	for (i = 0; i < len; i++) {
		if (line_start && !header && s[i] == '#') {
			comments++;
			i += strcspn(s + i, "\n");
			records++;
			continue;
		}
		line_start = false;
		if (s[i] == '"')
			quoted = !quoted;
		else if (s[i] == '\n' && !quoted) {
			records++;
			header = true;
			line_start = true;
		}
	}
	RESULTS_CHECK(records > comments, "a CSV output without a header");
	return records - comments - 1;
}

static int merge(const struct merge_input *in, int n, const char *file_column,
		 char **out, size_t *len, char *why, size_t why_size)
{
	FILE *f = open_memstream(out, len);
	int ret;

	RESULTS_CHECK(f, "open_memstream failed");
	ret = merge_texts(in, n, file_column, f, why, why_size);
	RESULTS_CHECK(!fclose(f), "writing the merge failed");
	return ret;
}

static void fuzz_merge(const char *data, size_t size, u8 sel)
{
	static const char *const names[MERGE_MAX_INPUTS] = {
		"a/fuzz0.csv", "fuzz1.in", "fuzz2", "b/fuzz3.json"
	};
	struct merge_input in[MERGE_MAX_INPUTS];
	const char *p = data, *end = data + size, *sep;
	char why[512] = "", why2[512] = "", *out = NULL, *again = NULL;
	size_t len, len2;
	unsigned long lines = 0;
	int n = 0, i, ret;

	for (;;) {
		sep = memchr(p, MERGE_SPLIT, end - p);
		in[n].name = names[n];
		in[n].text = p;
		in[n].len = (sep && n + 1 < MERGE_MAX_INPUTS ? sep : end) - p;
		lines += count_lines(p, in[n].len);
		p += in[n++].len + 1;
		if (p > end)
			break;
	}
	ret = merge(in, n, sel & SEL_FILE_COLUMN ? "file" : NULL, &out, &len,
		    why, sizeof(why));
	if (ret) {
		RESULTS_CHECK(!len, "a refused merge wrote %zu bytes", len);
		for (i = 0; i < n; i++) {
			size_t nl = strlen(in[i].name);

			if (!strncmp(why, in[i].name, nl) && why[nl] == ':')
				break;
		}
		RESULTS_CHECK(i < n, "error '%s' names no input", why);
		check_error(why, in[i].name, count_lines(in[i].text, in[i].len),
			    memchr(in[i].text, '\0', in[i].len));
		free(out);
		return;
	}
	RESULTS_CHECK(len && out[len - 1] == '\n',
		      "the merge does not end its last line");
	if (*out != '[')
		RESULTS_CHECK(csv_rows(out, len) <= lines,
			      "%zu rows from %lu lines", csv_rows(out, len),
			      lines);
	in[0] = (struct merge_input){ .name = "merged",
				      .text = out,
				      .len = len };
	ret = merge(in, 1, NULL, &again, &len2, why2, sizeof(why2));
	RESULTS_CHECK(!ret, "the merge's output is refused: %s\n%.*s", why2,
		      (int)len, out);
	RESULTS_CHECK(len == len2 && !memcmp(out, again, len),
		      "the merge of the merge differs:\n%.*s\nagain:\n%.*s",
		      (int)len, out, (int)len2, again);
	free(out);
	free(again);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u8 sel;

	if (!size)
		return 0;
	sel = data[0];
	if (sel & SEL_MERGE)
		fuzz_merge((const char *)data + 1, size - 1, sel);
	else if (size > 1 && (sel & SEL_SWEEP))
		fuzz_sweep((const char *)data + 1, size - 1);
	else if (size > 1)
		fuzz_config((const char *)data + 1, size - 1);
	return 0;
}
