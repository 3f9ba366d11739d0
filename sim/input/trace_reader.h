/* Reading trace files line by line, in large blocks, with bounded memory. */
#ifndef MMUSIM_SIM_TRACE_READER_H
#define MMUSIM_SIM_TRACE_READER_H

#include <stdarg.h>
#include <stdio.h>

#include "sim/input/decompress.h"
#include "walker/types.h"

/* Longest line accepted, without its newline. */
#define TRACE_LINE_MAX 4096
#define TRACE_BUF_SIZE (1U << 20)
#define TRACE_ERROR_MAX 512

/*
 * A reader of one input: a file descriptor read in TRACE_BUF_SIZE blocks,
 * or a copy of a string (for tests).  Input that starts as a gzip, zstd
 * or xz stream is decompressed as it is read (sim/input/decompress.h):
 * the parsers see the plain bytes.  trace_read_line() hands out one line
 * at a time, pointing into the buffer, without its newline (nor a CR
 * before it); the last line needs no newline.  Lines are counted from 1.
 * A line may hold any byte, NUL included: the parsers judge them.
 *
 * The first error is final, as in the scenario reader, until
 * trace_reader_skip_error() forgets it (mmusim run --keep-going).
 */
struct trace_reader {
	int fd;
	bool own_fd;
	const char *name;
	char *buf;
	size_t pos;
	size_t end;
	bool eof;
	unsigned long line;
	/* Plain bytes read into @buf so far. */
	u64 bytes;
	/* The first bytes have been seen; @decoder when they were compressed. */
	bool probed;
	enum input_compression compression;
	struct input_decoder *decoder;
	/* Compressed input from memory (trace_reader_open_mem()). */
	char *mem;
	size_t mem_len, mem_pos;
	/* Errors give byte offsets, not lines (binary formats set it). */
	bool binary;
	/* Where the last record of trace_read_bytes() starts. */
	u64 record_offset;
	int status;
	/* The last error was a line too long: the rest of it is unread. */
	bool mid_line;
	char error[TRACE_ERROR_MAX];
};

/*
 * Open @path ("-" for standard input, named "<stdin>").  -errno with
 * r->error set ("PATH: No such file or directory").
 */
int trace_reader_open(struct trace_reader *r, const char *path);
/* Read the @len bytes at @data, named @name in messages.  -ENOMEM. */
int trace_reader_open_mem(struct trace_reader *r, const char *data, size_t len,
			  const char *name);
void trace_reader_close(struct trace_reader *r);

/*
 * The next line: 1 with *@line and *@len set, 0 at the end of the input,
 * < 0 with r->error set: -EINVAL for a line longer than TRACE_LINE_MAX,
 * -EIO for a read error, -EINTR when run_stop was set while waiting.
 */
int trace_read_line(struct trace_reader *r, const char **line, size_t *len);

/*
 * The start of the input, without consuming it: what is buffered, after
 * one more read when @more and there is room (at most TRACE_BUF_SIZE
 * bytes in all).  r->eof tells whether that is all of it.  0 or < 0 as
 * above.
 */
int trace_reader_peek(struct trace_reader *r, bool more, const char **data,
		      size_t *len);

/*
 * Binary input: the unread bytes, at least @want of them unless the input
 * ends first (@want at most TRACE_BUF_SIZE / 2), without consuming them.
 * 0 with *@data and *@len set, or < 0 as above.
 */
int trace_reader_bytes(struct trace_reader *r, size_t want, const u8 **data,
		       size_t *len);
/* Consume @n of the bytes trace_reader_bytes() handed out. */
void trace_reader_consume(struct trace_reader *r, size_t n);

/*
 * A stdio stream over the rest of the input, the bytes already buffered
 * first, for readers that take a FILE.  NULL with r->error set.
 */
FILE *trace_reader_fopen(struct trace_reader *r);

/* "NAME:LINE: message" in r->error, final; returns -EINVAL. */
int trace_reader_error(struct trace_reader *r, unsigned long line,
		       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * "NAME: byte OFFSET: message" in r->error, final; returns -EINVAL.  For
 * binary input.
 */
int trace_reader_error_at_byte(struct trace_reader *r, u64 offset,
			       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Offset in the plain input of the next byte not handed out yet. */
static inline u64 trace_reader_offset(const struct trace_reader *r)
{
	return r->bytes - (r->end - r->pos);
}

/*
 * Take @len bytes of binary input: 1 with *@data pointing at them (valid
 * until the next call), 0 at the end of the input, -EINVAL when the input
 * ends after only some of them (r->error set), or < 0 as
 * trace_read_line().
 */
int trace_read_bytes(struct trace_reader *r, size_t len, const u8 **data);

/*
 * The record just read is bad: "NAME:LINE: message", or for binary
 * input "NAME: byte OFFSET: message" at the record's start.  -EINVAL.
 */
int trace_reader_record_error(struct trace_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Forget the last error and go on at the next line; -EIO stays final. */
int trace_reader_skip_error(struct trace_reader *r);

/* Longest piece of input quoted back in a message. */
#define TRACE_QUOTE_MAX 40

/*
 * @s (@len bytes) for a message in @buf: at most TRACE_QUOTE_MAX bytes
 * then "...", bytes that are not printable ASCII as \xNN.  Returns @buf.
 */
char *trace_quote(char *buf, size_t size, const char *s, size_t len);

#endif
