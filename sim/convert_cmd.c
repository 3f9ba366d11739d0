/*
 * mmusim convert: any access trace to mmusim's binary trace
 * (docs/trace-formats.md, "binary").  The input's own reader drives a run
 * whose accesses and switches are written out instead of simulated
 * (struct run_sim.recorder), so every access format converts, and the
 * binary trace replays to the same report.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/commands.h"
#include "sim/input/binary_trace.h"
#include "sim/input/input.h"
#include "sim/input/trace_reader.h"
#include "sim/input_error.h"
#include "sim/run.h"

#define CONVERT_OUT_BUF (1 << 20)

static void convert_usage(FILE *out)
{
	fprintf(out,
		"usage: mmusim convert IN... OUT\n"
		"Write the access traces IN (any format mmusim run reads that holds\n"
		"accesses: lackey, ChampSim, binary; '-' for standard input) to OUT\n"
		"as mmusim's binary trace, each IN a process of its own, as mmusim run\n"
		"replays them.\n"
		"OUT '-' is standard output.  See docs/trace-formats.md.\n");
}

/* The input's format, told from its first lines; NULL after a message. */
static const struct run_input_ops *detect(struct trace_reader *r)
{
	const struct run_input_ops *input = NULL;
	unsigned long line;
	const char *data;
	char names[80];
	size_t len;

	while (!input) {
		if (trace_reader_peek(r, true, &data, &len)) {
			input_error_print(stderr, r->error);
			return NULL;
		}
		input = run_input_detect(data, len, r->eof, &line);
		if (!input && !line && !r->eof && len < TRACE_BUF_SIZE)
			continue;
		if (!input) {
			run_input_names(names, sizeof(names), ", ", " or ");
			input_error(r->error, sizeof(r->error), r->name, line,
				    "cannot tell the format%s (%s)",
				    line ? " from this line" : "", names);
			input_error_print(stderr, r->error);
			return NULL;
		}
	}
	if (input->model != RUN_INPUT_ACCESSES) {
		input_error(
			r->error, sizeof(r->error), r->name, 0,
			"%s input holds no access trace: it has no binary form",
			input->name);
		input_error_print(stderr, r->error);
		return NULL;
	}
	return input;
}

static int convert_file(struct run_sim *s, const char *path)
{
	const struct run_input_ops *input;
	struct trace_reader r;
	int ret;

	if (trace_reader_open(&r, path)) {
		input_error_print(stderr, r.error);
		trace_reader_close(&r);
		return -ENOENT;
	}
	input = detect(&r);
	if (!input) {
		trace_reader_close(&r);
		return -EINVAL;
	}
	s->cfg.input = input;
	s->file = r.name;
	ret = input->run(s, &r);
	if (ret) {
		if (!r.error[0] || !r.status)
			input_error(r.error, sizeof(r.error), r.name, 0, "%s",
				    s->error[0] ? s->error : strerror(-ret));
		input_error_print(stderr, r.error);
	}
	trace_reader_close(&r);
	return ret;
}

int convert_command(int argc, char **argv)
{
	struct binary_trace_writer w;
	struct run_config cfg;
	const char *out_path;
	struct run_sim *s;
	FILE *out;
	int i, ret = 0;

	if (argc == 2 &&
	    (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		convert_usage(stdout);
		return 0;
	}
	if (argc < 3) {
		convert_usage(stderr);
		return EXIT_USAGE;
	}
	out_path = argv[argc - 1];
	out = strcmp(out_path, "-") ? fopen(out_path, "wb") : stdout;
	if (!out) {
		fprintf(stderr, "mmusim convert: %s: %s\n", out_path,
			strerror(errno));
		return EXIT_USAGE;
	}
	setvbuf(out, NULL, _IOFBF, CONVERT_OUT_BUF);
	s = malloc(sizeof(*s));
	run_config_init(&cfg);
	if (!s || run_sim_init(s, &cfg)) {
		fprintf(stderr, "mmusim convert: out of memory\n");
		free(s);
		return EXIT_USAGE;
	}
	ret = binary_trace_writer_open(&w, out);
	s->recorder = &w;
	for (i = 1; i < argc - 1 && !ret; i++)
		ret = convert_file(s, argv[i]);
	s->recorder = NULL;
	if (!ret && binary_trace_writer_close(&w))
		ret = -EIO;
	else if (ret)
		binary_trace_writer_close(&w);
	if (out != stdout && fclose(out))
		ret = ret ?: -EIO;
	if (ret == -EIO)
		fprintf(stderr, "mmusim convert: %s: write error\n", out_path);
	if (ret && out != stdout)
		unlink(out_path);
	run_sim_destroy(s);
	free(s);
	return ret ? EXIT_USAGE : 0;
}
