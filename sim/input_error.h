/*
 * Messages about input, in the one form every reader uses:
 * "NAME:LINE: message" for text, "NAME: byte OFFSET: message" for binary
 * input, "NAME: message" for the input as a whole.  Readers keep the
 * message; the command prints it with the program name in front
 * ("mmusim: NAME:LINE: message", docs/mmusim-run.md).
 */
#ifndef MMUSIM_SIM_INPUT_ERROR_H
#define MMUSIM_SIM_INPUT_ERROR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "walker/types.h"

#define INPUT_PROGRAM "mmusim"

/*
 * "NAME:LINE: " and the message in @buf (@size bytes); LINE 0 leaves
 * the line out.  Returns -EINVAL.
 */
int input_verror(char *buf, size_t size, const char *name, unsigned long line,
		 const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
int input_error(char *buf, size_t size, const char *name, unsigned long line,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* "NAME: byte OFFSET: " and the message in @buf.  Returns -EINVAL. */
int input_verror_at_byte(char *buf, size_t size, const char *name, u64 offset,
			 const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

/*
 * The message alone, for parsers of one line whose caller knows where
 * the line is.  Returns -EINVAL.
 */
int input_why(char *why, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "mmusim: MESSAGE" on @out: an input error as the user sees it. */
void input_error_print(FILE *out, const char *msg);

#endif
