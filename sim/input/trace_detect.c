/* Format detection for mmusim run. */
#include <string.h>

#include "sim/input/trace_detect.h"
#include "sim/input/trace_kvmmmu.h"
#include "sim/input/trace_lackey.h"

/* First words of the statements of a scenario file. */
static const char *const native_words[] = {
	"scenario", "vendor", "maxphyaddr", "gbpages", "cr0",
	"cr3",	    "cr4",    "efer",	    "cpl",     "ac",
	"pkru",	    "nested", "mem",	    "write32", "write64",
	"read",	    "write",  "fetch",	    "invlpg",  "invept",
};

static bool is_native(const char *s, size_t len)
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

static bool is_blank_or_comment(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '#')
			return true;
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	}
	return true;
}

enum run_format trace_detect(const char *data, size_t len, bool eof,
			     unsigned long *line)
{
	const char *p = data, *end = data + len, *nl;
	unsigned long n = 0;
	size_t l;

	*line = 0;
	while (p < end) {
		nl = memchr(p, '\n', end - p);
		if (!nl && !eof)
			break;
		l = (nl ? nl : end) - p;
		n++;
		if (l && p[l - 1] == '\r')
			l--;
		if (lackey_is_record(p, l) || lackey_is_valgrind_line(p, l))
			return RUN_FORMAT_LACKEY;
		if (kvmmmu_is_trace_line(p, l))
			return RUN_FORMAT_KVMMMU;
		if (!is_blank_or_comment(p, l)) {
			if (is_native(p, l))
				return RUN_FORMAT_NATIVE;
			*line = n;
			return RUN_FORMAT_AUTO;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return eof ? RUN_FORMAT_NATIVE : RUN_FORMAT_AUTO;
}
