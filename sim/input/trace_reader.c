/* Trace input: block reads, line splitting, and a stdio view for stdio readers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/input_error.h"
#include "sim/run.h"
#include "sim/input/trace_reader.h"

static void reader_init(struct trace_reader *r, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->name = name;
}

static int alloc_buf(struct trace_reader *r)
{
	/* One more byte: a line at the end of the buffer gets a NUL after it. */
	r->buf = malloc(TRACE_BUF_SIZE + 1);
	if (!r->buf) {
		input_error(r->error, sizeof(r->error), r->name, 0,
			    "out of memory");
		r->status = -ENOMEM;
		return -ENOMEM;
	}
	return 0;
}

int trace_reader_open(struct trace_reader *r, const char *path)
{
	int err;

	if (!strcmp(path, "-")) {
		reader_init(r, "<stdin>");
		r->fd = STDIN_FILENO;
		return alloc_buf(r);
	}
	reader_init(r, path);
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		err = errno;
		input_error(r->error, sizeof(r->error), path, 0, "%s",
			    strerror(err));
		r->status = -err;
		return -err;
	}
	r->own_fd = true;
	return alloc_buf(r);
}

int trace_reader_open_mem(struct trace_reader *r, const char *data, size_t len,
			  const char *name)
{
	reader_init(r, name);
	if (input_compression_of((const u8 *)data, len) != INPUT_PLAIN) {
		r->mem = malloc(len ?: 1);
		if (!r->mem) {
			r->status = -ENOMEM;
			return -ENOMEM;
		}
		memcpy(r->mem, data, len);
		r->mem_len = len;
		return alloc_buf(r);
	}
	r->buf = malloc(len + 1);
	if (!r->buf) {
		r->status = -ENOMEM;
		return -ENOMEM;
	}
	memcpy(r->buf, data, len);
	r->end = len;
	r->bytes = len;
	r->eof = true;
	return 0;
}

void trace_reader_close(struct trace_reader *r)
{
	if (r->own_fd && r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	r->own_fd = false;
	free(r->buf);
	r->buf = NULL;
	free(r->mem);
	r->mem = NULL;
	input_decoder_free(r->decoder);
	r->decoder = NULL;
}

static int __attribute__((format(printf, 3, 0)))
vreport(struct trace_reader *r, unsigned long line, const char *fmt, va_list ap)
{
	r->status = input_verror(r->error, sizeof(r->error), r->name, line, fmt,
				 ap);
	return r->status;
}

int trace_reader_error(struct trace_reader *r, unsigned long line,
		       const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vreport(r, line, fmt, ap);
	va_end(ap);
	return ret;
}

int trace_reader_error_at_byte(struct trace_reader *r, u64 offset,
			       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r->status = input_verror_at_byte(r->error, sizeof(r->error), r->name,
					 offset, fmt, ap);
	va_end(ap);
	return r->status;
}

int trace_reader_record_error(struct trace_reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (r->binary)
		r->status = input_verror_at_byte(r->error, sizeof(r->error),
						 r->name, r->record_offset, fmt,
						 ap);
	else
		r->status = input_verror(r->error, sizeof(r->error), r->name,
					 r->line, fmt, ap);
	va_end(ap);
	return r->status;
}

/* An error where the reader is: its next line, or next byte if binary. */
static void __attribute__((format(printf, 2, 3)))
error_here(struct trace_reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (r->binary)
		input_verror_at_byte(r->error, sizeof(r->error), r->name,
				     trace_reader_offset(r), fmt, ap);
	else
		input_verror(r->error, sizeof(r->error), r->name, r->line + 1,
			     fmt, ap);
	va_end(ap);
}

/* The source's bytes as they are: read(2) on the file, or the copy. */
static ssize_t raw_read(void *ctx, void *buf, size_t len)
{
	struct trace_reader *r = ctx;
	size_t n;

	if (r->fd >= 0)
		return read(r->fd, buf, len);
	n = r->mem_len - r->mem_pos;
	if (n > len)
		n = len;
	memcpy(buf, r->mem + r->mem_pos, n);
	r->mem_pos += n;
	return n;
}

/*
 * The first r->end bytes are in: from here on, decompress them if they
 * are a compressed stream.  0, or -1 with errno ENOMEM.
 */
static int start_decoding(struct trace_reader *r)
{
	enum input_compression c =
		input_compression_of((const u8 *)r->buf, r->end);

	r->probed = true;
	if (c == INPUT_PLAIN)
		return 0;
	r->decoder = input_decoder_new(c, raw_read, r, r->buf, r->end);
	if (!r->decoder) {
		errno = ENOMEM;
		return -1;
	}
	r->compression = c;
	r->end = 0;
	return 0;
}

/*
 * Read into the buffer: bytes > 0 of plain input, 0 at its end, or -1
 * with errno.  The first bytes are read until they tell the compression.
 */
static ssize_t read_plain(struct trace_reader *r, char *why, size_t why_len)
{
	size_t room = TRACE_BUF_SIZE - r->end;
	ssize_t n;

	if (r->decoder)
		return input_decoder_read(r->decoder, r->buf + r->end, room,
					  why, why_len);
	if (r->probed)
		return raw_read(r, r->buf + r->end, room);
	/* No more than the magic: the rest may go to a decoder's buffer. */
	for (;;) {
		n = raw_read(r, r->buf + r->end, INPUT_MAGIC_MAX - r->end);
		if (n < 0)
			return n;
		r->end += n;
		if (n && r->end < INPUT_MAGIC_MAX)
			continue;
		if (start_decoding(r))
			return -1;
		if (r->decoder)
			return read_plain(r, why, why_len);
		/* Plain: what was read is the input's first bytes. */
		n = r->end;
		r->end = 0;
		return n;
	}
}

/*
 * Move the unread bytes to the front and read more: 1 when bytes came,
 * 0 at the end of the input, < 0.
 */
static int refill(struct trace_reader *r)
{
	char why[TRACE_ERROR_MAX];
	ssize_t n;

	if (r->eof)
		return 0;
	if (r->pos) {
		memmove(r->buf, r->buf + r->pos, r->end - r->pos);
		r->end -= r->pos;
		r->pos = 0;
	}
	for (;;) {
		n = read_plain(r, why, sizeof(why));
		if (n > 0) {
			r->end += n;
			r->bytes += n;
			return 1;
		}
		if (n == 0) {
			r->eof = true;
			return 0;
		}
		if (errno == EINTR && !run_stop)
			continue;
		if (errno == EINTR) {
			error_here(r, "interrupted");
			return -EINTR;
		}
		if (errno == EBADMSG)
			error_here(r, "%s", why);
		else
			error_here(r, "read error: %s", strerror(errno));
		r->status = -EIO;
		return -EIO;
	}
}

int trace_read_bytes(struct trace_reader *r, size_t len, const u8 **data)
{
	int ret;

	if (r->status)
		return r->status;
	while (r->end - r->pos < len) {
		ret = refill(r);
		if (ret < 0)
			return ret;
		if (!ret)
			break;
	}
	if (r->end == r->pos)
		return 0;
	if (r->end - r->pos < len) {
		u64 offset = trace_reader_offset(r);
		size_t have = r->end - r->pos;

		/* The piece is dropped: the error is its only trace. */
		r->pos = r->end;
		return trace_reader_error_at_byte(
			r, offset,
			"the input ends %zu bytes into a record of %zu bytes",
			have, len);
	}
	r->record_offset = trace_reader_offset(r);
	*data = (const u8 *)r->buf + r->pos;
	r->pos += len;
	return 1;
}

int trace_reader_bytes(struct trace_reader *r, size_t want, const u8 **data,
		       size_t *len)
{
	int ret;

	if (r->status)
		return r->status;
	while (r->end - r->pos < want) {
		ret = refill(r);
		if (ret < 0)
			return ret;
		if (!ret)
			break;
	}
	*data = (const u8 *)r->buf + r->pos;
	*len = r->end - r->pos;
	return 0;
}

void trace_reader_consume(struct trace_reader *r, size_t n)
{
	MMU_WARN_ON(n > r->end - r->pos);
	r->pos += n;
}

int trace_read_line(struct trace_reader *r, const char **line, size_t *len)
{
	char *start, *nl;
	size_t n;
	int ret;

	if (r->status)
		return r->status;
	for (;;) {
		start = r->buf + r->pos;
		nl = memchr(start, '\n', r->end - r->pos);
		if (nl) {
			n = nl - start;
			r->pos += n + 1;
			if (n > TRACE_LINE_MAX + 1 ||
			    (n == TRACE_LINE_MAX + 1 && start[n - 1] != '\r'))
				return trace_reader_error(
					r, ++r->line,
					"line is longer than %d bytes",
					TRACE_LINE_MAX);
			break;
		}
		n = r->end - r->pos;
		if (n > TRACE_LINE_MAX) {
			r->mid_line = true;
			/* The rest of the line goes with trace_reader_skip_error(). */
			r->pos = r->end;
			return trace_reader_error(
				r, ++r->line, "line is longer than %d bytes",
				TRACE_LINE_MAX);
		}
		ret = refill(r);
		if (ret < 0)
			return ret;
		if (ret == 0) {
			start = r->buf + r->pos;
			n = r->end - r->pos;
			if (!n)
				return 0;
			r->pos = r->end;
			break;
		}
	}
	r->line++;
	if (n && start[n - 1] == '\r')
		n--;
	start[n] = '\0';
	*line = start;
	*len = n;
	return 1;
}

int trace_reader_skip_error(struct trace_reader *r)
{
	char *nl;
	int ret;

	if (!r->status || r->status == -EIO)
		return r->status;
	r->status = 0;
	r->error[0] = '\0';
	while (r->mid_line) {
		nl = memchr(r->buf + r->pos, '\n', r->end - r->pos);
		if (nl) {
			r->pos = nl - r->buf + 1;
			r->mid_line = false;
			break;
		}
		r->pos = r->end;
		ret = refill(r);
		if (ret < 0)
			return ret;
		if (!ret)
			r->mid_line = false;
	}
	return 0;
}

int trace_reader_peek(struct trace_reader *r, bool more, const char **data,
		      size_t *len)
{
	int ret;

	if (r->status)
		return r->status;
	if (more && !r->eof && r->end - r->pos < TRACE_BUF_SIZE) {
		ret = refill(r);
		if (ret < 0)
			return ret;
	}
	*data = r->buf + r->pos;
	*len = r->end - r->pos;
	return 0;
}

static ssize_t cookie_read(void *cookie, char *buf, size_t size)
{
	struct trace_reader *r = cookie;
	size_t n;
	int ret;

	if (r->pos == r->end) {
		ret = refill(r);
		if (ret == -EINTR)
			return 0;
		if (ret < 0)
			return -1;
		if (!ret)
			return 0;
	}
	n = r->end - r->pos;
	if (n > size)
		n = size;
	memcpy(buf, r->buf + r->pos, n);
	r->pos += n;
	return n;
}

FILE *trace_reader_fopen(struct trace_reader *r)
{
	cookie_io_functions_t io = { .read = cookie_read };
	FILE *f = fopencookie(r, "r", io);

	if (!f) {
		input_error(r->error, sizeof(r->error), r->name, 0, "%s",
			    strerror(errno));
		r->status = -ENOMEM;
	}
	return f;
}

char *trace_quote(char *buf, size_t size, const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len && i < TRACE_QUOTE_MAX && n + 5 < size; i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c <= 0x7e)
			buf[n++] = c;
		else
			n += snprintf(buf + n, size - n, "\\x%02x", c);
	}
	if (i < len && n + 4 < size) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}
