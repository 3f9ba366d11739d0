/* mmusim: the command-line front end. */
#include <stdio.h>
#include <string.h>

#include <mmusim/version.h>

#include "sim/commands.h"
#include "walker/types.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "format", format_command,
	  "print the reserved-bit and permission tables of an entry format" },
	{ "walk", walk_command,
	  "run scenario files: one page walk per access, one line per walk" },
	{ "run", run_command,
	  "replay access and walk traces, or a built-in workload: TLB, walks, faults" },
	{ "merge", merge_command,
	  "join the CSV or JSON results of sharded runs into one" },
	{ "convert", convert_command,
	  "write access traces as mmusim's compact binary trace" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: mmusim COMMAND [options]\n\ncommands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(out, "\n'mmusim COMMAND --help' describes each command;\n"
		     "'mmusim --version' prints the version and commit.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("mmusim %s (commit %s)\n", mmusim_version(),
		       mmusim_commit());
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);

	fprintf(stderr, "mmusim: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
