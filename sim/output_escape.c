/* Strings in mmusim's JSON and CSV output. */
#include <stdbool.h>
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

/* @s with each '"' doubled, without the quotes around it. */
static void csv_put_escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
}

void csv_put_quoted_cell(FILE *out, const char *s)
{
	fputc('"', out);
	csv_put_escaped(out, s);
	fputc('"', out);
}

void csv_put_joined_cell(FILE *out, const char *const *parts, int n)
{
	bool quote = n && *parts[0] == '#';
	int i;

	for (i = 0; i < n && !quote; i++)
		quote = strpbrk(parts[i], ",\"\r\n");
	if (quote)
		fputc('"', out);
	for (i = 0; i < n; i++) {
		if (i)
			fputc(' ', out);
		if (quote)
			csv_put_escaped(out, parts[i]);
		else
			fputs(parts[i], out);
	}
	if (quote)
		fputc('"', out);
}

void csv_put_cell(FILE *out, const char *s)
{
	csv_put_joined_cell(out, &s, 1);
}
