/* mmusim merge: what its command, CSV and JSON files share. */
#ifndef MMUSIM_SIM_MERGE_INTERNAL_H
#define MMUSIM_SIM_MERGE_INTERNAL_H

#include <stdio.h>
#include <stdlib.h>

enum merge_format {
	MERGE_UNKNOWN,
	MERGE_CSV,
	MERGE_JSON,
};

/* One input file, read whole. */
struct merge_file {
	const char *name;
	char *text;
	size_t len;
	/* CSV: the union column of each of this file's header columns. */
	size_t *column_of;
	size_t nr_columns;
	/* --file-column: the name without directory and last suffix. */
	char *label;
};

/* A CSV row, its cells in its file's header order. */
struct merge_row {
	const struct merge_file *file;
	char **cells;
	size_t nr_cells;
};

/* A JSON run: @len bytes at @text, verbatim from its file. */
struct merge_run {
	const struct merge_file *file;
	const char *text;
	size_t len;
};

/* The growable arrays of struct merge. */
struct merge_list {
	void *items;
	size_t n;
	size_t cap;
};

struct merge {
	enum merge_format format;
	const char *first_name;
	/* --file-column=KEY: a first column, or member, naming each file. */
	const char *file_column;
	/* CSV: union columns (char *), comment lines (char *), rows. */
	struct merge_list columns;
	struct merge_list comments;
	struct merge_list rows;
	/* JSON: the runs of every file, in order. */
	struct merge_list runs;
	char error[512];
};

static inline void *merge_list_add(struct merge_list *l, size_t size)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *p = realloc(l->items, cap * size);

		if (!p)
			return NULL;
		l->items = p;
		l->cap = cap;
	}
	return (char *)l->items + l->n++ * size;
}

/* merge_csv.c */
void merge_row_free(struct merge_row *row);
size_t merge_union_column(struct merge *m, char *name);
int merge_csv_file(struct merge *m, struct merge_file *f);
void merge_csv_write(struct merge *m, FILE *out);

/* merge_json.c */
int merge_json_file(struct merge *m, struct merge_file *f);
void merge_json_write(struct merge *m, FILE *out);

#endif
