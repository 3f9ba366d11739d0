/* gzip (zlib), zstd (libzstd) and xz (liblzma) streams, decompressed as read. */
#include <errno.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "sim/input/decompress.h"

/* Compressed bytes read from the source at a time. */
#define DECODER_IN_SIZE (256U << 10)

static const u8 gzip_magic[] = { 0x1f, 0x8b };
static const u8 zstd_magic[] = { 0x28, 0xb5, 0x2f, 0xfd };
static const u8 xz_magic[] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };
static_assert(sizeof(xz_magic) == INPUT_MAGIC_MAX, "the longest magic");

struct input_decoder {
	enum input_compression kind;
	input_raw_read raw;
	void *ctx;
	u8 *in;
	size_t in_pos, in_end;
	/* The source is at its end. */
	bool raw_eof;
	/* A stream ended and no byte of another has been decoded. */
	bool between_streams;
	bool done;
	z_stream gz;
	ZSTD_DCtx *zstd;
	lzma_stream xz;
};

static bool starts_with(const u8 *data, size_t len, const u8 *magic,
			size_t magic_len)
{
	return len >= magic_len && !memcmp(data, magic, magic_len);
}

enum input_compression input_compression_of(const u8 *data, size_t len)
{
	if (starts_with(data, len, gzip_magic, sizeof(gzip_magic)))
		return INPUT_GZIP;
	if (starts_with(data, len, zstd_magic, sizeof(zstd_magic)))
		return INPUT_ZSTD;
	if (starts_with(data, len, xz_magic, sizeof(xz_magic)))
		return INPUT_XZ;
	return INPUT_PLAIN;
}

const char *input_compression_name(enum input_compression c)
{
	switch (c) {
	case INPUT_PLAIN:
		return "plain";
	case INPUT_GZIP:
		return "gzip";
	case INPUT_ZSTD:
		return "zstd";
	case INPUT_XZ:
		return "xz";
	}
	return "?";
}

static int start_stream(struct input_decoder *d)
{
	switch (d->kind) {
	case INPUT_GZIP:
		/* 15: the largest window; +16: gzip header and trailer. */
		return inflateInit2(&d->gz, 15 + 16) == Z_OK ? 0 : -ENOMEM;
	case INPUT_ZSTD:
		d->zstd = ZSTD_createDCtx();
		return d->zstd ? 0 : -ENOMEM;
	case INPUT_XZ:
		/* LZMA_CONCATENATED: one stream after another, as xz -T. */
		return lzma_stream_decoder(&d->xz, UINT64_MAX,
					   LZMA_CONCATENATED) == LZMA_OK ?
			       0 :
			       -ENOMEM;
	case INPUT_PLAIN:
		break;
	}
	return -EINVAL;
}

struct input_decoder *input_decoder_new(enum input_compression c,
					input_raw_read raw, void *ctx,
					const void *first, size_t len)
{
	struct input_decoder *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->kind = c;
	d->raw = raw;
	d->ctx = ctx;
	d->xz = (lzma_stream)LZMA_STREAM_INIT;
	d->in = malloc(DECODER_IN_SIZE);
	if (!d->in || len > DECODER_IN_SIZE || start_stream(d)) {
		input_decoder_free(d);
		return NULL;
	}
	memcpy(d->in, first, len);
	d->in_end = len;
	return d;
}

void input_decoder_free(struct input_decoder *d)
{
	if (!d)
		return;
	if (d->kind == INPUT_GZIP)
		inflateEnd(&d->gz);
	ZSTD_freeDCtx(d->zstd);
	lzma_end(&d->xz);
	free(d->in);
	free(d);
}

/* More compressed bytes: 1, 0 at the end of the source, -1 with errno. */
static int fill(struct input_decoder *d)
{
	ssize_t n;

	if (d->in_pos < d->in_end)
		return 1;
	if (d->raw_eof)
		return 0;
	n = d->raw(d->ctx, d->in, DECODER_IN_SIZE);
	if (n < 0)
		return -1;
	d->in_pos = 0;
	d->in_end = n;
	if (!n)
		d->raw_eof = true;
	return n > 0;
}

static ssize_t bad(char *why, size_t why_len, const char *fmt, const char *s)
{
	snprintf(why, why_len, fmt, s);
	errno = EBADMSG;
	return -1;
}

/* What follows a gzip member must be another member. */
static ssize_t gzip_step(struct input_decoder *d, u8 *out, size_t len,
			 char *why, size_t why_len)
{
	size_t avail;
	int ret;

	if (d->between_streams) {
		/* inflate() checks the rest of the next member's header. */
		if (d->in[d->in_pos] != gzip_magic[0])
			return bad(why, why_len, "%s",
				   "gzip: bytes after the end of the stream");
		inflateReset(&d->gz);
		d->between_streams = false;
	}
	d->gz.next_in = d->in + d->in_pos;
	d->gz.avail_in = d->in_end - d->in_pos;
	d->gz.next_out = out;
	d->gz.avail_out = len;
	ret = inflate(&d->gz, Z_NO_FLUSH);
	d->in_pos = d->in_end - d->gz.avail_in;
	avail = len - d->gz.avail_out;
	if (ret == Z_STREAM_END)
		d->between_streams = true;
	else if (ret != Z_OK && ret != Z_BUF_ERROR)
		return bad(why, why_len, "gzip: damaged data (%s)",
			   d->gz.msg ? d->gz.msg : "inflate failed");
	return avail;
}

static ssize_t zstd_step(struct input_decoder *d, u8 *out, size_t len,
			 char *why, size_t why_len)
{
	ZSTD_inBuffer in = { d->in, d->in_end, d->in_pos };
	ZSTD_outBuffer o = { out, len, 0 };
	size_t ret = ZSTD_decompressStream(d->zstd, &o, &in);

	d->in_pos = in.pos;
	if (ZSTD_isError(ret))
		return bad(why, why_len, "zstd: damaged data (%s)",
			   ZSTD_getErrorName(ret));
	/* 0: a frame ended exactly here; the next may follow. */
	d->between_streams = !ret;
	return o.pos;
}

static ssize_t xz_step(struct input_decoder *d, u8 *out, size_t len, char *why,
		       size_t why_len)
{
	lzma_ret ret;

	d->xz.next_in = d->in + d->in_pos;
	d->xz.avail_in = d->in_end - d->in_pos;
	d->xz.next_out = out;
	d->xz.avail_out = len;
	ret = lzma_code(&d->xz, d->raw_eof ? LZMA_FINISH : LZMA_RUN);
	d->in_pos = d->in_end - d->xz.avail_in;
	if (ret == LZMA_STREAM_END) {
		d->done = true;
	} else if (ret == LZMA_BUF_ERROR && d->raw_eof) {
		return bad(
			why, why_len, "%s",
			"xz: the data end before the stream does (cut short?)");
	} else if (ret != LZMA_OK && ret != LZMA_BUF_ERROR) {
		return bad(why, why_len, "xz: damaged data (%s)",
			   ret == LZMA_MEM_ERROR     ? "out of memory" :
			   ret == LZMA_FORMAT_ERROR  ? "not an xz stream" :
			   ret == LZMA_OPTIONS_ERROR ? "unsupported options" :
						       "corrupt");
	}
	return len - d->xz.avail_out;
}

ssize_t input_decoder_read(struct input_decoder *d, void *buf, size_t len,
			   char *why, size_t why_len)
{
	ssize_t n;
	int ret;

	while (!d->done) {
		ret = fill(d);
		if (ret < 0)
			return -1;
		if (!ret) {
			/* The source ended: only between streams is that the end. */
			if (d->kind == INPUT_XZ) {
				n = xz_step(d, buf, len, why, why_len);
				if (n)
					return n;
				continue;
			}
			if (d->between_streams) {
				d->done = true;
				break;
			}
			return bad(
				why, why_len,
				"%s: the data end before the stream does (cut short?)",
				input_compression_name(d->kind));
		}
		if (d->kind == INPUT_GZIP)
			n = gzip_step(d, buf, len, why, why_len);
		else if (d->kind == INPUT_ZSTD)
			n = zstd_step(d, buf, len, why, why_len);
		else
			n = xz_step(d, buf, len, why, why_len);
		if (n)
			return n;
	}
	return 0;
}
