/* The result line and the --explain drawing of mmusim walk. */
#ifndef MMUSIM_SIM_WALK_OUTPUT_H
#define MMUSIM_SIM_WALK_OUTPUT_H

#include "sim/vcpu.h"

/* A growable text buffer, reused from one access to the next. */
struct walk_line_buf {
	char *s;
	size_t len;
	size_t cap;
};

void walk_line_buf_free(struct walk_line_buf *b);

/*
 * Replace @b's contents with the result line of @access (newline
 * included):
 *   NAME:LINE KIND ADDR cplN[ user|supervisor][ implicit] -> RESULT refs=N
 *   [ | ENTRY...]
 * See docs/walk-scenarios.md for the grammar.
 */
void walk_format_line(struct walk_line_buf *b, const char *name,
		      unsigned long line, const struct sim_vcpu *vcpu,
		      const struct sim_access *access,
		      const struct sim_result *res);

/* Replace @b's contents with the --explain drawing of @res. */
void walk_format_explain(struct walk_line_buf *b, const struct sim_vcpu *vcpu,
			 const struct sim_access *access,
			 const struct sim_result *res);

#endif
