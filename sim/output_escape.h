/*
 * Strings in mmusim's JSON and CSV output, quoted one way everywhere
 * (mmusim run's report and sweep CSV, its per-process JSON, mmusim merge).
 */
#ifndef MMUSIM_SIM_OUTPUT_ESCAPE_H
#define MMUSIM_SIM_OUTPUT_ESCAPE_H

#include <stdio.h>

/*
 * @s as a JSON string.  Quotes and backslashes are escaped, and every
 * byte outside printable ASCII is written as \u00XX, so that the output
 * is valid JSON (ASCII) whatever bytes a file or process name holds.
 */
void json_put_string(FILE *out, const char *s);

/*
 * @s as a CSV cell (RFC 4180): quoted when it holds , " CR or LF, or
 * starts with '#' (which would start a comment line, to mmusim merge).
 */
void csv_put_cell(FILE *out, const char *s);
/* @s as a quoted CSV cell, whatever it holds. */
void csv_put_quoted_cell(FILE *out, const char *s);
/*
 * The @n strings @parts, separated by spaces, as one CSV cell, quoted
 * as csv_put_cell() quotes their concatenation.
 */
void csv_put_joined_cell(FILE *out, const char *const *parts, int n);

#endif
