/*
 * Reading the options of an mmusim command: the messages for what
 * getopt_long() refuses, and duplicates that disagree.
 */
#ifndef MMUSIM_SIM_CMD_OPTIONS_H
#define MMUSIM_SIM_CMD_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>

/*
 * The optstring of every command: a leading ':' makes getopt_long()
 * return ':' for a missing value, so that it can be told from an unknown
 * option; options after a file are honoured (GNU permutation).
 */
#define CMD_OPTSTRING ":h"

/*
 * Print "@cmd: what is wrong" for @c, a getopt_long() return of '?' or
 * ':' with @longopts, to standard error: "--mode needs a value",
 * "--json takes no value" or "unknown option '--x' (see --help)".
 */
void cmd_option_error(const char *cmd, int argc, char **argv,
		      const struct option *longopts, int c);

/*
 * Records the value @arg (NULL: an option without a value) of option
 * @c (a val of @longopts) in @seen[@c], and refuses a second one that
 * differs: false after printing to standard error
 * "@cmd: --tlb given twice (--tlb=4, then --tlb=8)".  @seen has an entry for every val; NULL: not seen.
 */
bool cmd_option_once(const char *cmd, const struct option *longopts,
		     const char **seen, int c, const char *arg);

#endif
