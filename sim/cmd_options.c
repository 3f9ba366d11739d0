/* Reading the options of an mmusim command (sim/cmd_options.h). */
#include <stdio.h>
#include <string.h>

#include "sim/cmd_options.h"

static const struct option *long_option(const struct option *longopts, int val)
{
	for (; longopts->name; longopts++)
		if (longopts->val == val && !longopts->flag)
			return longopts;
	return NULL;
}

void cmd_option_error(const char *cmd, int argc, char **argv,
		      const struct option *longopts, int c)
{
	const char *given = optind > 0 && optind <= argc ? argv[optind - 1] :
							   "";
	const struct option *o = NULL;

	/* optopt of a short option is its letter: only "--" names a long one. */
	if (!strncmp(given, "--", 2) && optopt)
		o = long_option(longopts, optopt);
	if (o && c == ':')
		fprintf(stderr, "%s: --%s needs a value (--%s=VALUE)\n", cmd,
			o->name, o->name);
	else if (o && o->has_arg == no_argument)
		fprintf(stderr, "%s: --%s takes no value\n", cmd, o->name);
	else if (c == ':')
		fprintf(stderr, "%s: '%s' needs a value (see --help)\n", cmd,
			given);
	else
		fprintf(stderr, "%s: unknown option '%s' (see --help)\n", cmd,
			given);
}

bool cmd_option_once(const char *cmd, const struct option *longopts,
		     const char **seen, int c, const char *arg)
{
	const struct option *o = long_option(longopts, c);
	const char *value = arg ? arg : "";

	if (seen[c] && strcmp(seen[c], value)) {
		if (o && o->has_arg != no_argument)
			fprintf(stderr,
				"%s: --%s given twice (--%s=%s, then --%s=%s)\n",
				cmd, o->name, o->name, seen[c], o->name, value);
		else
			fprintf(stderr, "%s: an option given twice\n", cmd);
		return false;
	}
	seen[c] = value;
	return true;
}
