/*
 * What the fuzz targets share to stop on a failed check: one line on
 * standard error naming the target and what disagreed, then a trap that
 * libFuzzer reports as a crash and saves the input of.  Needs nothing of
 * the project, so that fuzz_api can use it beside the public headers only.
 */
#ifndef MMUSIM_FUZZ_CHECK_H
#define MMUSIM_FUZZ_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static inline void __attribute__((noreturn, format(printf, 2, 3)))
fuzz_fail(const char *target, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", target);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	__builtin_trap();
}

/* Stop @target with the message after @cond unless @cond holds. */
#define FUZZ_CHECK(target, cond, ...)                     \
	do {                                              \
		if (!(cond))                              \
			fuzz_fail((target), __VA_ARGS__); \
	} while (0)

/* Whether @s is printable ASCII only, as every message must be. */
static inline bool fuzz_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

#endif
