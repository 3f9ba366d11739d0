/* The one form of messages about input (sim/input_error.h). */
#include <errno.h>
#include <inttypes.h>

#include "sim/input_error.h"

/* The message after the @n bytes of place already in @buf. */
static int add_message(char *buf, size_t size, int n, const char *fmt,
		       va_list ap)
{
	if (n < 0 || (size_t)n >= size)
		n = 0;
	vsnprintf(buf + n, size - n, fmt, ap);
	return -EINVAL;
}

int input_verror(char *buf, size_t size, const char *name, unsigned long line,
		 const char *fmt, va_list ap)
{
	int n;

	if (line)
		n = snprintf(buf, size, "%s:%lu: ", name, line);
	else
		n = snprintf(buf, size, "%s: ", name);
	return add_message(buf, size, n, fmt, ap);
}

int input_error(char *buf, size_t size, const char *name, unsigned long line,
		const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = input_verror(buf, size, name, line, fmt, ap);
	va_end(ap);
	return ret;
}

int input_verror_at_byte(char *buf, size_t size, const char *name, u64 offset,
			 const char *fmt, va_list ap)
{
	int n = snprintf(buf, size, "%s: byte %" PRIu64 ": ", name, offset);

	return add_message(buf, size, n, fmt, ap);
}

int input_why(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void input_error_print(FILE *out, const char *msg)
{
	fprintf(out, INPUT_PROGRAM ": %s\n", msg);
}
