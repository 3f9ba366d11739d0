/* Running the mmusim binary from a test, as a user runs it. */
#ifndef MMUSIM_TESTS_SUPPORT_MMUSIM_CMD_H
#define MMUSIM_TESTS_SUPPORT_MMUSIM_CMD_H

#include <stddef.h>
#include <stdio.h>

/* What one run of mmusim left behind. */
struct mmusim_cmd_result {
	/* The exit status, or 128 + the signal that killed mmusim. */
	int status;
	char *out;
	size_t out_len;
	char *err;
};

/*
 * Run "@bin @command @args..." (@args NULL-terminated, or NULL) with the
 * @len bytes at @input on standard input, and collect its standard output
 * and error.  A failure to run it at all fails the test.
 */
void mmusim_cmd_run(const char *bin, const char *command,
		    const char *const *args, const char *input, size_t len,
		    struct mmusim_cmd_result *r);
void mmusim_cmd_result_free(struct mmusim_cmd_result *r);

/* All of @f from its start, NUL-terminated; its length in *@len if set. */
char *mmusim_cmd_read_stream(FILE *f, size_t *len);

#endif
