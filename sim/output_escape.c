/* Strings in mmusim's JSON and CSV output. */
#include <string.h>

#include "sim/output_escape.h"

void json_put_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void csv_put_quoted_cell(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

void csv_put_cell(FILE *out, const char *s)
{
	/* A line starting with '#' before a header is a comment to merge. */
	if (!strpbrk(s, ",\"\r\n") && *s != '#')
		fputs(s, out);
	else
		csv_put_quoted_cell(out, s);
}
