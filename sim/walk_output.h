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

/* Append to @b; on failure to grow, @b is left as it was. */
void __attribute__((format(printf, 2, 3)))
walk_buf_printf(struct walk_line_buf *b, const char *fmt, ...);

/* A PAE PDPTE comes from the PDPTR registers, not from memory. */
bool walk_entry_is_pdptr(const struct walk_entry *e);

/* An entry the walker could not read: its table is not in memory. */
bool walk_entry_is_unbacked(const struct sim_vcpu *vcpu,
			    const struct walk_entry *e);

/*
 * The nested walk made for the table of guest entry @i, including the
 * partial walk that faulted before guest entry @i was read; NULL for a
 * one-dimensional walk.
 */
const struct walk_path *walk_table_walk(const struct walk_record *rec, int i);

/* Guest entries read, and the index of a table walk that faulted. */
int walk_guest_rows(const struct walk_record *rec);

/* "4-level paging", "5-level EPT", "PAE NPT", ...: the mode of @role. */
const char *walk_mode_name(const struct cpu_role *role);

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
