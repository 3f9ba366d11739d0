/* mmusim merge's readers and writer, on texts in memory. */
#ifndef MMUSIM_SIM_MERGE_H
#define MMUSIM_SIM_MERGE_H

#include <stddef.h>
#include <stdio.h>

/* One input of a merge: @len bytes at @text, named @name in messages. */
struct merge_input {
	const char *name;
	const char *text;
	size_t len;
};

/*
 * Merge @nr inputs as mmusim merge does its files (CSV or JSON, the
 * first column or member @file_column unless NULL) and write the result
 * on @out.  0, or -EINVAL with "NAME:LINE: message" in @why and nothing
 * written.
 */
int merge_texts(const struct merge_input *inputs, int nr,
		const char *file_column, FILE *out, char *why, size_t why_size);

#endif
