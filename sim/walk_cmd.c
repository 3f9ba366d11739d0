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
#include "sim/scenario.h"
#include "sim/walk_output.h"
#include "sim/walk_svg.h"

struct walk_state {
	struct sim_vcpu vcpu;
	bool explain;
	/* --explain=svg: the grids go to one SVG document, not text. */
	bool svg;
	struct walk_svg drawing;
	char *name;
	size_t name_cap;
	/* Line of the statement that last set each setting; 0: default. */
	unsigned long reg_line[SIM_NR_REGS];
	struct sim_result res;
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
		"Exit status: 0, or 2 for bad usage or bad input (FILE:LINE: message).\n",
		sim_max_memory() >> 20);
}

static int set_name(struct walk_state *st, const char *name, size_t len)
{
	if (len + 1 > st->name_cap) {
		char *p = realloc(st->name, len + 1);

		if (!p)
			return -ENOMEM;
		st->name = p;
		st->name_cap = len + 1;
	}
	memcpy(st->name, name, len);
	st->name[len] = '\0';
	return 0;
}

static int do_access(struct walk_state *st, struct scenario_reader *r,
		     const struct scenario_stmt *stmt)
{
	struct sim_vcpu *vcpu = &st->vcpu;
	int ret;

	ret = sim_vcpu_access(vcpu, &stmt->access, &st->res);
	if (ret) {
		enum sim_reg reg = vcpu->error_reg;

		if (reg < SIM_NR_REGS && st->reg_line[reg])
			return scenario_error(r, stmt->line,
					      "%s (%s set on line %lu)",
					      vcpu->error, sim_reg_name(reg),
					      st->reg_line[reg]);
		return scenario_error(r, stmt->line, "%s", vcpu->error);
	}
	if (st->svg) {
		walk_svg_add(&st->drawing, st->name, stmt->line, vcpu,
			     &stmt->access, &st->res);
		return 0;
	}
	walk_format_line(&st->out, st->name, stmt->line, vcpu, &stmt->access,
			 &st->res);
	fwrite(st->out.s, 1, st->out.len, stdout);
	if (st->explain) {
		walk_format_explain(&st->out, vcpu, &stmt->access, &st->res);
		fwrite(st->out.s, 1, st->out.len, stdout);
	}
	return 0;
}

static int do_statement(struct walk_state *st, struct scenario_reader *r,
			const struct scenario_stmt *stmt)
{
	struct sim_vcpu *vcpu = &st->vcpu;
	char why[80];
	int ret;

	switch (stmt->kind) {
	case SCENARIO_STMT_BEGIN:
		if (set_name(st, stmt->begin.name, stmt->begin.len) ||
		    sim_vcpu_reset(vcpu))
			return scenario_error(r, stmt->line, "out of memory");
		memset(st->reg_line, 0, sizeof(st->reg_line));
		return 0;
	case SCENARIO_STMT_SET:
		if (sim_vcpu_set(vcpu, stmt->set.reg, stmt->set.value))
			return scenario_error(r, stmt->line, "%s", vcpu->error);
		st->reg_line[stmt->set.reg] = stmt->line;
		return 0;
	case SCENARIO_STMT_NESTED:
		if (sim_vcpu_set_nested(vcpu, &stmt->nested))
			return scenario_error(r, stmt->line, "%s", vcpu->error);
		st->reg_line[SIM_REG_NESTED] = stmt->line;
		return 0;
	case SCENARIO_STMT_MEM:
		ret = sim_vcpu_back(vcpu, stmt->mem.gpa, stmt->mem.size);
		if (ret)
			return scenario_error(r, stmt->line,
					      "mem: backing 0x%" PRIx64
					      " bytes at 0x%" PRIx64 ": %s",
					      stmt->mem.size, stmt->mem.gpa,
					      sim_memory_error(vcpu->host, ret,
							       why,
							       sizeof(why)));
		return 0;
	case SCENARIO_STMT_WRITE:
		ret = sim_vcpu_write(vcpu, stmt->write.gpa, stmt->write.size,
				     stmt->write.value);
		if (ret)
			return scenario_error(r, stmt->line,
					      "write%d: 0x%" PRIx64 ": %s",
					      stmt->write.size * 8,
					      stmt->write.gpa, strerror(-ret));
		return 0;
	case SCENARIO_STMT_ACCESS:
		return do_access(st, r, stmt);
	}
	return scenario_error(r, stmt->line, "unknown statement kind %d",
			      stmt->kind);
}

static int walk_file(struct walk_state *st, const char *path)
{
	struct scenario_reader r;
	struct scenario_stmt stmt;
	int ret;

	if (scenario_reader_open(&r, path)) {
		fprintf(stderr, "mmusim walk: %s\n", r.error);
		return -EINVAL;
	}
	while ((ret = scenario_read(&r, &stmt)) > 0) {
		ret = do_statement(st, &r, &stmt);
		if (ret)
			break;
	}
	if (ret)
		input_error_print(stderr, r.error);
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
	for (i = 0; i < nr_files && !ret; i++)
		ret = walk_file(&st, files[i]);
	if (st.svg && !ret)
		walk_svg_write(&st.drawing, stdout);
	walk_svg_free(&st.drawing);
	sim_vcpu_destroy(&st.vcpu);
	free(st.name);
	walk_line_buf_free(&st.out);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "mmusim walk: writing the output: %s\n",
			strerror(errno));
		return EXIT_USAGE;
	}
	return ret ? EXIT_USAGE : 0;
}
