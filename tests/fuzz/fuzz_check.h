/*
 * What the fuzz targets share to stop on a failed check: one line on
 * standard error naming the target and what disagreed, then a trap that
 * libFuzzer reports as a crash and saves the input of.  Needs nothing of
 * the project, so that fuzz_api can use it beside the public headers only.
 */
#ifndef MMUSIM_FUZZ_CHECK_H
#define MMUSIM_FUZZ_CHECK_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * Whether @s is printable ASCII only, as every message must be.  No
 * coverage, for the reason fuzz_digest_bytes() has none: a message's bytes
 * are no input to steer, and the only other outcome is the caller's trap.
 */
static inline __attribute__((noinline, no_sanitize("coverage"))) bool
fuzz_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/*
 * What one input found, folded into a 64-bit FNV-1a hash.  With FUZZ_DIGEST
 * set in the environment, a target prints it after each input ("fuzz
 * digest: HEX").  scripts/fuzz.sh compares each seed's digest after other
 * inputs in one process with its digest alone: what a target or the
 * library keeps from one input for the next (a pool of host memory, caches)
 * must not change what an input finds, or a finding would not reproduce.
 */
#define FUZZ_DIGEST_INIT 0xcbf29ce484222325ULL
#define FUZZ_DIGEST_PRIME 0x100000001b3ULL

/*
 * No coverage: the loop's compares tell libFuzzer nothing.  Not inlined,
 * or the caller's instrumentation (added after inlining) takes its body:
 * the traced compares then were 5 % of fuzz_readers' time.
 */
static inline __attribute__((noinline, no_sanitize("coverage"))) uint64_t
fuzz_digest_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		h = (h ^ *b++) * FUZZ_DIGEST_PRIME;
	return h;
}

static inline uint64_t fuzz_digest_u64(uint64_t h, uint64_t v)
{
	return fuzz_digest_bytes(h, &v, sizeof(v));
}

static inline uint64_t fuzz_digest_str(uint64_t h, const char *s)
{
	return fuzz_digest_bytes(h, s, strlen(s) + 1);
}

static inline void fuzz_digest_print(uint64_t h)
{
	static int on = -1;

	if (on < 0)
		on = getenv("FUZZ_DIGEST") != NULL;
	if (on)
		fprintf(stderr, "fuzz digest: %016" PRIx64 "\n", h);
}

#endif
