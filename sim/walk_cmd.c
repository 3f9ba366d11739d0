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
#include "sim/input/trace_reader.h"

/* Exit status when every scenario ran but an expect32/expect64 failed. */
#define EXIT_EXPECT_FAILED 1

struct walk_state {
	struct sim_vcpu vcpu;
	struct scenario_exec exec;
	bool explain;
	/* --explain=svg: the grids go to one SVG document, not text. */
	bool svg;
	struct walk_svg drawing;
	/* --keep-going: a bad scenario is reported, the next one runs. */
	bool keep_going;
	/* Errors other than a failed expect32/expect64. */
	unsigned long bad_input;
	struct walk_line_buf out;
};

static void walk_usage(FILE *out)
{
	fprintf(out,
		"usage: mmusim walk [OPTIONS] [FILE...|-]\n"
		"Run the scenarios in each FILE (standard input for '-' or no FILE),\n"
		"plain or gzip/zstd/xz (told by content), and print one line per access:\n"
		"  NAME:LINE KIND ADDR cplN -> RESULT refs=N | ENTRY...\n"
		"\n"
		"  --explain   after each line, draw the walk: every entry with its\n"
		"              value before and after, and for a two-dimensional walk\n"
		"              the grid of guest levels x nested levels with the\n"
		"              number of each memory reference\n"
		"  --explain=svg   instead of the lines, write one SVG document with\n"
		"              the grid of every access, faulting entries marked\n"
		"  --keep-going  report a bad scenario (or a failed expect) and go on\n"
		"              with the next one\n"
		"  --vendor=intel|amd  --maxphyaddr=N  --gbpages=on|off\n"
		"              the CPU every scenario starts with (its own vendor,\n"
		"              maxphyaddr and gbpages statements still apply)\n"
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
	struct walk_state *st = x->opaque;
	char line[160];

	snprintf(line, sizeof(line), "%s:%lu read%d 0x%" PRIx64 " = 0x%" PRIx64,
		 x->name, stmt->line, stmt->memory.size * 8, stmt->memory.gpa,
		 value);
	if (st->svg)
		walk_svg_add_text(&st->drawing, line);
	else
		printf("%s\n", line);
}

static const struct scenario_exec_ops walk_exec_ops = {
	.access = walk_access,
	.read_mem = walk_read_mem,
};

/*
 * Run the scenarios of @path: 0 to go on with the next file, < 0 to stop
 * (the first error without --keep-going, or a read error).
 */
static int walk_file(struct walk_state *st, const char *path)
{
	struct trace_reader tr;
	struct scenario_reader r;
	struct scenario_stmt stmt;
	bool skipping = false;
	unsigned long expects;
	FILE *f = NULL;
	int ret;

	/*
	 * Through the trace reader, as mmusim run reads: gzip, zstd and xz
	 * are told by their content and decompressed as they are read.
	 */
	if (trace_reader_open(&tr, path) || !(f = trace_reader_fopen(&tr))) {
		fprintf(stderr, "mmusim walk: %s\n", tr.error);
		trace_reader_close(&tr);
		st->bad_input++;
		return st->keep_going ? 0 : -EINVAL;
	}
	scenario_reader_init(&r, f, tr.name);
	for (;;) {
		/* A decompression error names the line being read. */
		tr.line = r.line;
		ret = scenario_read(&r, &stmt);
		if (ret == 0)
			break;
		if (ret > 0 && skipping && stmt.kind != SCENARIO_STMT_BEGIN)
			continue;
		skipping = false;
		expects = st->exec.failed_expects;
		if (ret > 0)
			ret = scenario_exec_stmt(&st->exec, &r, &stmt);
		if (!ret)
			continue;
		/* The decoder's reason rather than "read error". */
		input_error_print(stderr, r.status == -EIO && tr.status ?
						  tr.error :
						  r.error);
		if (st->exec.failed_expects == expects)
			st->bad_input++;
		if (!st->keep_going || r.status == -EIO)
			break;
		/* Go on with the next scenario of this file. */
		skipping = true;
		ret = scenario_reader_skip_error(&r);
		if (ret)
			break;
	}
	fclose(f);
	trace_reader_close(&tr);
	return ret;
}

/* --vendor, --maxphyaddr, --gbpages: 0, or a usage error. */
static int parse_cpu_default(struct scenario_cpu_defaults *d, int c,
			     const char *arg)
{
	char why[80], *end;
	u64 v;

	switch (c) {
	case 'v':
		if (strcmp(arg, "intel") && strcmp(arg, "amd"))
			break;
		d->have_vendor = true;
		d->amd = !strcmp(arg, "amd");
		return 0;
	case 'p':
		v = strtoull(arg, &end, 0);
		if (!*arg || *end || *arg == '-' ||
		    sim_reg_check(SIM_REG_MAXPHYADDR, v, why, sizeof(why)))
			break;
		d->have_maxphyaddr = true;
		d->maxphyaddr = v;
		return 0;
	case 'g':
		if (strcmp(arg, "on") && strcmp(arg, "off"))
			break;
		d->have_gbpages = true;
		d->gbpages = !strcmp(arg, "on");
		return 0;
	}
	fprintf(stderr, "mmusim walk: --%s=%s: not %s\n",
		c == 'v' ? "vendor" :
		c == 'p' ? "maxphyaddr" :
			   "gbpages",
		arg,
		c == 'v' ? "intel or amd" :
		c == 'p' ? "a MAXPHYADDR from 32 to 52" :
			   "on or off");
	return EXIT_USAGE;
}

int walk_command(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "explain", optional_argument, NULL, 'e' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "vendor", required_argument, NULL, 'v' },
		{ "maxphyaddr", required_argument, NULL, 'p' },
		{ "gbpages", required_argument, NULL, 'g' },
		{ "max-memory", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char *const stdin_only[] = { "-" };
	struct walk_state st = { 0 };
	struct scenario_cpu_defaults defaults = { 0 };
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
		case 'k':
			st.keep_going = true;
			break;
		case 'v':
		case 'p':
		case 'g':
			if (parse_cpu_default(&defaults, c, optarg))
				return EXIT_USAGE;
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
	st.exec.defaults = defaults;
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
