/* Compressed copies of test data, made by the libraries mmusim reads with. */
#ifndef MMUSIM_TESTS_SUPPORT_TEST_COMPRESS_H
#define MMUSIM_TESTS_SUPPORT_TEST_COMPRESS_H

#include <stddef.h>

#include "sim/input/decompress.h"

struct test_buf {
	char *data;
	size_t len;
};

/*
 * @in as one stream of @c (INPUT_PLAIN: a copy), in a buffer to free();
 * the test fails if it cannot be made or does not read back as @c.
 */
struct test_buf test_compress(enum input_compression c,
			      const struct test_buf *in);

#endif
