/* Valgrind lackey --trace-mem=yes lines (docs/trace-formats.md). */
#ifndef MMUSIM_SIM_TRACE_LACKEY_H
#define MMUSIM_SIM_TRACE_LACKEY_H

#include <stddef.h>

#include "walker/types.h"

enum lackey_op {
	LACKEY_INSTR,
	LACKEY_LOAD,
	LACKEY_STORE,
	/* A load and a store of the same bytes. */
	LACKEY_MODIFY,
};

struct lackey_record {
	enum lackey_op op;
	u64 addr;
	u32 size;
};

/*
 * One line: 1 with *@rec filled for "I  ADDR,SIZE", " L ADDR,SIZE",
 * " S ADDR,SIZE" or " M ADDR,SIZE" (ADDR hexadecimal, SIZE decimal
 * 1..@max_size); 0 for a line to skip (blank, or valgrind's own
 * "==PID==", "--PID--" and "**PID**" lines); -EINVAL with a message in
 * @why.  Leading and trailing blanks are allowed around a record.
 */
int lackey_parse_line(const char *s, size_t len, u32 max_size,
		      struct lackey_record *rec, char *why, size_t why_len);

/* Is the line a record exactly as lackey prints it? (format detection) */
bool lackey_is_record(const char *s, size_t len);
/* Is it one of valgrind's "==PID==" lines? (format detection) */
bool lackey_is_valgrind_line(const char *s, size_t len);

#endif
