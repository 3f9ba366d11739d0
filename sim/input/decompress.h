/*
 * Compressed input, told by its content: gzip, zstd and xz streams are
 * decompressed as they are read, in fixed buffers, so memory stays flat
 * whatever the length.  Concatenated streams (pigz, zstd -T, xz -T) are
 * read one after the other.  The trace reader (trace_reader.c) puts this
 * layer under every format.
 */
#ifndef MMUSIM_SIM_INPUT_DECOMPRESS_H
#define MMUSIM_SIM_INPUT_DECOMPRESS_H

#include <stddef.h>
#include <sys/types.h>

#include "walker/types.h"

enum input_compression {
	INPUT_PLAIN,
	INPUT_GZIP,
	INPUT_ZSTD,
	INPUT_XZ,
};

/* Bytes it takes to tell a compressed stream by its magic number. */
#define INPUT_MAGIC_MAX 6

/*
 * The compression of the input that starts with @data (@len bytes, fewer
 * than INPUT_MAGIC_MAX only when that is all of it).
 */
enum input_compression input_compression_of(const u8 *data, size_t len);
const char *input_compression_name(enum input_compression c);

/* Where the compressed bytes come from: read(2)'s contract. */
typedef ssize_t (*input_raw_read)(void *ctx, void *buf, size_t len);

struct input_decoder;

/*
 * A decoder of @c reading through @raw(@ctx), that first decompresses
 * the @len bytes at @first (already read from the source).  NULL when
 * out of memory.
 */
struct input_decoder *input_decoder_new(enum input_compression c,
					input_raw_read raw, void *ctx,
					const void *first, size_t len);
void input_decoder_free(struct input_decoder *d);

/*
 * Up to @len decompressed bytes into @buf: > 0, 0 at the end of the last
 * stream, or -1 with errno set: EINTR (call again), EIO (the source
 * failed), EBADMSG (damaged or cut short, with the reason in @why).
 */
ssize_t input_decoder_read(struct input_decoder *d, void *buf, size_t len,
			   char *why, size_t why_len);

#endif
