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
#include "sim/input_error.h"
#include "sim/merge.h"
#include "sim/merge_internal.h"

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

		if (!name || merge_union_column(m, name) == SIZE_MAX) {
			free(name);
			return input_error(m->error, sizeof(m->error), f->name,
					   0, "out of memory");
		}
	}
	return format == MERGE_JSON ? merge_json_file(m, f) :
				      merge_csv_file(m, f);
}

static int merge_file(struct merge *m, struct merge_file *f)
{
	int ret = read_whole(m, f);

	return ret ? ret : merge_text(m, f);
}

static void merge_write(struct merge *m, FILE *out)
{
	if (m->format == MERGE_JSON)
		merge_json_write(m, out);
	else
		merge_csv_write(m, out);
}

static void merge_free(struct merge *m, struct merge_file *files, int n)
{
	struct merge_row *rows = m->rows.items;
	char **s;
	size_t i;
	int f;

	for (i = 0; i < m->rows.n; i++)
		merge_row_free(&rows[i]);
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
