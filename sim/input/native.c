/* Scenario files as mmusim run input (the reader is sim/scenario.c). */
#include <string.h>

#include "sim/input/input.h"
#include "sim/run.h"

/* First words of the statements of a scenario file. */
static const char *const native_words[] = {
	"scenario", "vendor",  "maxphyaddr", "gbpages", "cr0",	    "cr3",
	"cr4",	    "efer",    "cpl",	     "ac",	"pkru",	    "nested",
	"mem",	    "write32", "write64",    "read",	"write",    "fetch",
	"invlpg",   "invept",  "read32",     "read64",	"expect32", "expect64",
};

static bool native_detect_line(const char *s, size_t len)
{
	size_t i, n = 0;

	while (n < len && (s[n] == ' ' || s[n] == '\t'))
		n++;
	s += n;
	len -= n;
	for (n = 0; n < len && s[n] != ' ' && s[n] != '\t' && s[n] != '#';)
		n++;
	for (i = 0; i < ARRAY_SIZE(native_words); i++)
		if (strlen(native_words[i]) == n &&
		    !memcmp(native_words[i], s, n))
			return true;
	return false;
}

const struct run_input_ops run_native_input = {
	.name = "native",
	.description = "scenario files (the format of mmusim walk)",
	.noun = "native input",
	.model = RUN_INPUT_SCENARIO,
	.options = RUN_INPUT_OPT_CACHES,
	.detect_line = native_detect_line,
	.run = run_native,
};
