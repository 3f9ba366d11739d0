/* The mmusim subcommands: each takes argc/argv after the command name. */
#ifndef MMUSIM_COMMANDS_H
#define MMUSIM_COMMANDS_H

/* Exit status for bad command-line usage or bad input. */
#define EXIT_USAGE 2

int format_command(int argc, char **argv);
int walk_command(int argc, char **argv);
int run_command(int argc, char **argv);
int merge_command(int argc, char **argv);
int convert_command(int argc, char **argv);

#endif
