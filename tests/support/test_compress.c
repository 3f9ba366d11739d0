/* Compressed copies of test data, made by the libraries mmusim reads with. */
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include <criterion/criterion.h>

#include "test_compress.h"

struct test_buf test_compress(enum input_compression c,
			      const struct test_buf *in)
{
	struct test_buf out = { .len = 0 };
	size_t cap = in->len + in->len / 2 + 4096;
	z_stream z;

	out.data = malloc(cap);
	cr_assert_not_null(out.data);
	switch (c) {
	case INPUT_GZIP:
		memset(&z, 0, sizeof(z));
		cr_assert_eq(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8,
					  Z_DEFAULT_STRATEGY),
			     Z_OK);
		z.next_in = (u8 *)in->data;
		z.avail_in = in->len;
		z.next_out = (u8 *)out.data;
		z.avail_out = cap;
		cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
		out.len = cap - z.avail_out;
		deflateEnd(&z);
		break;
	case INPUT_ZSTD:
		out.len = ZSTD_compress(out.data, cap, in->data, in->len, 3);
		cr_assert(!ZSTD_isError(out.len));
		break;
	case INPUT_XZ:
		cr_assert_eq(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL,
						     (const u8 *)in->data,
						     in->len, (u8 *)out.data,
						     &out.len, cap),
			     LZMA_OK);
		break;
	case INPUT_PLAIN:
		memcpy(out.data, in->data, in->len);
		out.len = in->len;
		break;
	}
	cr_assert_eq(input_compression_of((const u8 *)out.data, out.len), c);
	return out;
}
