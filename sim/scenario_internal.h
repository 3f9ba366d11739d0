/* The scenario reader: what its line reader and statement parser share. */
#ifndef MMUSIM_SIM_SCENARIO_INTERNAL_H
#define MMUSIM_SIM_SCENARIO_INTERNAL_H

#include "sim/scenario.h"

/* A statement has at most 6 words; one more slot holds the first extra. */
#define SCENARIO_MAX_TOKENS 8

struct token {
	const char *s;
	size_t len;
};

struct line_tokens {
	struct token tok[SCENARIO_MAX_TOKENS];
	int n;
};

/* scenario.c */
/* An error at the line being parsed. */
int __attribute__((format(printf, 2, 3)))
scenario_syntax_error(struct scenario_reader *r, const char *fmt, ...);

/* scenario_parse.c */
/* 0 with *@stmt filled, 1 for a statement taken by r->run_stmt, < 0. */
int scenario_parse_statement(struct scenario_reader *r,
			     const struct line_tokens *lt,
			     struct scenario_stmt *stmt);

#endif
