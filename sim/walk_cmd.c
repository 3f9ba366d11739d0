/* mmusim walk: run scenario files, one result line per access. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cmd_options.h"
#include "sim/commands.h"
#include "sim/input_error.h"
#include "sim/memory_limit.h"
#include "sim/scenario_exec.h"
#include "sim/walk_output.h"
#include "sim/walk_svg.h"

/* Exit status when every scenario ran but an expect32/expect64 failed. */
#define EXIT_EXPECT_FAILED 1

struct walk_state {
	struct sim_vcpu vcpu;
	struct scenario_exec exec;
	bool explain;
	/* --explain=svg: the grids go to one SVG document, not text. */
	bool svg;
	struct walk_svg drawing;
	/* Errors other than a failed expect32/expect64. */
	unsigned long bad_input;
	struct walk_line_buf out;
};

static void walk_usage(FILE *out)
{
	fprintf(out,
		"usage: mmusim walk [--explain[=svg]] [--max-memory=SIZE] [FILE...|-]\n"
		"Run the scenarios in each FILE (standard input for '-' or no FILE)\n"
		"and print one line per access:\n"
		"  NAME:LINE KIND ADDR cplN -> RESULT refs=N | ENTRY...\n"
		"\n"
		"  --explain   after each line, draw the walk: every entry with its\n"
		"              value before and after, and for a two-dimensional walk\n"
		"              the grid of guest levels x nested levels with the\n"
		"              number of each memory reference\n"
		"  --explain=svg   instead of the lines, write one SVG document with\n"
		"              the grid of every access, faulting entries marked\n"
		"  --max-memory=SIZE   host memory a scenario's guest may take, such as\n"
		"              512M or 4G (default: a quarter of RAM, %" PRIu64
		" MiB)\n"
		"\n"
		"The scenario format and the result grammar are in docs/walk-scenarios.md.\n"
		"Exit status: 0; 1 when an expect32/expect64 statement found another\n"
		"value; 2 for bad usage or bad input (FILE:LINE: message).\n",
		sim_max_memory() >> 20);
}

/* After each access: its result line, and with --explain the drawing. */
static int walk_access(struct scenario_exec *x,
		       const struct scenario_stmt *stmt)
{
	struct walk_state *st = x->opaque;
	struct sim_vcpu *vcpu = x->vcpu;
	int ret;

	ret = sim_vcpu_access(vcpu, &stmt->access, &x->res);
	if (ret)
		return ret;
	if (st->svg) {
		walk_svg_add(&st->drawing, x->name, stmt->line, vcpu,
			     &stmt->access, &x->res);
		return 0;
	}
	walk_format_line(&st->out, x->name, stmt->line, vcpu, &stmt->access,
			 &x->res);
	fwrite(st->out.s, 1, st->out.len, stdout);
	if (st->explain) {
		walk_format_explain(&st->out, vcpu, &stmt->access, &x->res);
		fwrite(st->out.s, 1, st->out.len, stdout);
	}
	return 0;
}

/* read32/read64: "NAME:LINE read64 GPA = VALUE". */
static void walk_read_mem(struct scenario_exec *x,
			  const struct scenario_stmt *stmt, u64 value)
{
	printf("%s:%lu read%d 0x%" PRIx64 " = 0x%" PRIx64 "\n", x->name,
	       stmt->line, stmt->memory.size * 8, stmt->memory.gpa, value);
}

static const struct scenario_exec_ops walk_exec_ops = {
	.access = walk_access,
	.read_mem = walk_read_mem,
};

/* Run the scenarios of @path: 0, or < 0 at the first error. */
static int walk_file(struct walk_state *st, const char *path)
{
	struct scenario_reader r;
	struct scenario_stmt stmt;
	unsigned long expects = st->exec.failed_expects;
	int ret;

	if (scenario_reader_open(&r, path)) {
		fprintf(stderr, "mmusim walk: %s\n", r.error);
		st->bad_input++;
		return -EINVAL;
	}
	while ((ret = scenario_read(&r, &stmt)) > 0) {
		ret = scenario_exec_stmt(&st->exec, &r, &stmt);
		if (ret)
			break;
	}
	if (ret) {
		input_error_print(stderr, r.error);
		if (st->exec.failed_expects == expects)
			st->bad_input++;
	}
	scenario_reader_close(&r);
	return ret;
}

int walk_command(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "explain", optional_argument, NULL, 'e' },
		{ "max-memory", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char *const stdin_only[] = { "-" };
	struct walk_state st = { 0 };
	char *const *files;
	char why[80];
	u64 max_memory;
	int nr_files, c, i, ret = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, CMD_OPTSTRING, longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'e':
			if (optarg && !strcmp(optarg, "svg")) {
				st.svg = true;
			} else if (optarg && strcmp(optarg, "text")) {
				fprintf(stderr,
					"mmusim walk: --explain=%s: not text or svg\n",
					optarg);
				return EXIT_USAGE;
			}
			st.explain = true;
			break;
		case 'm':
			if (sim_parse_max_memory(optarg, &max_memory, why,
						 sizeof(why))) {
				fprintf(stderr,
					"mmusim walk: --max-memory=%s: %s\n",
					optarg, why);
				return EXIT_USAGE;
			}
			sim_set_max_memory(max_memory);
			break;
		case 'h':
			walk_usage(stdout);
			return 0;
		default:
			cmd_option_error("mmusim walk", argc, argv, longopts,
					 c);
			return EXIT_USAGE;
		}
	}
	files = argv + optind;
	nr_files = argc - optind;
	if (!nr_files) {
		files = stdin_only;
		nr_files = 1;
	}

	if (sim_vcpu_init(&st.vcpu)) {
		fprintf(stderr, "mmusim walk: out of memory\n");
		return EXIT_USAGE;
	}
	scenario_exec_init(&st.exec, &st.vcpu, &walk_exec_ops, &st);
	for (i = 0; i < nr_files && !ret; i++)
		ret = walk_file(&st, files[i]);
	if (st.svg && !ret)
		walk_svg_write(&st.drawing, stdout);
	walk_svg_free(&st.drawing);
	scenario_exec_destroy(&st.exec);
	sim_vcpu_destroy(&st.vcpu);
	walk_line_buf_free(&st.out);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "mmusim walk: writing the output: %s\n",
			strerror(errno));
		return EXIT_USAGE;
	}
	if (st.bad_input)
		return EXIT_USAGE;
	return st.exec.failed_expects ? EXIT_EXPECT_FAILED : 0;
}
