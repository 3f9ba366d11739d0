/* Reading scenario files: one statement a line (docs/walk-scenarios.md). */
#ifndef MMUSIM_SIM_SCENARIO_H
#define MMUSIM_SIM_SCENARIO_H

#include <stdarg.h>
#include <stdio.h>

#include "sim/vcpu.h"

/* Longest line accepted, comment included, without its newline. */
#define SCENARIO_LINE_MAX 4096
#define SCENARIO_ERROR_MAX 512

enum scenario_stmt_kind {
	/* "scenario NAME": a fresh vCPU and memory. */
	SCENARIO_STMT_BEGIN,
	/* A setting of enum sim_reg: vendor, maxphyaddr, cr0, cpl, ... */
	SCENARIO_STMT_SET,
	SCENARIO_STMT_NESTED,
	SCENARIO_STMT_MEM,
	/* write32 or write64. */
	SCENARIO_STMT_WRITE,
	SCENARIO_STMT_ACCESS,
	/* read32 or read64 GPA: print L1's memory there. */
	SCENARIO_STMT_READ_MEM,
	/* expect32 or expect64 GPA VALUE: L1's memory there must hold VALUE. */
	SCENARIO_STMT_EXPECT,
};

/*
 * One statement.  @name points into the reader's line buffer and is valid
 * until the next scenario_read(); every other member is a copy.
 */
struct scenario_stmt {
	enum scenario_stmt_kind kind;
	unsigned long line;
	union {
		struct {
			const char *name;
			size_t len;
		} begin;
		struct {
			enum sim_reg reg;
			u64 value;
		} set;
		struct sim_nested nested;
		struct {
			u64 gpa;
			u64 size;
		} mem;
		struct {
			u64 gpa;
			u64 value;
			int size;
		} write;
		struct sim_access access;
		/* SCENARIO_STMT_READ_MEM (no @value) and SCENARIO_STMT_EXPECT. */
		struct {
			u64 gpa;
			u64 value;
			int size;
		} memory;
	};
};

/*
 * Statements only "mmusim run" reads: they act on caches that "mmusim walk"
 * does not have, so the reader hands them to a callback of the consumer
 * (scenario_reader.run_stmt) instead of returning them.  Without the
 * callback they are unknown statements.
 */
enum scenario_run_stmt_kind {
	/* "invlpg ADDR": INVLPG of a linear address. */
	SCENARIO_RUN_INVLPG,
	/* "invept": INVEPT/INVLPGA of every nested translation. */
	SCENARIO_RUN_INVEPT,
	/* "invpcid TYPE [PCID [ADDR]]": INVPCID, types 0..3. */
	SCENARIO_RUN_INVPCID,
};

struct scenario_run_stmt {
	enum scenario_run_stmt_kind kind;
	unsigned long line;
	u64 addr;
	/* invpcid: the type and the descriptor's PCID (12 bits). */
	unsigned int type;
	u16 pcid;
};

/*
 * A pull reader over a FILE: scenario_read() hands out one statement at a
 * time and checks everything a statement says on its own (syntax, ranges,
 * alignment); what depends on other statements is the consumer's to check,
 * reported with scenario_error() in the same "FILE:LINE: message" form.
 * The first error is final: every later call returns it again.
 */
struct scenario_reader {
	FILE *file;
	bool own_file;
	const char *filename;
	unsigned long line;
	bool in_scenario;
	bool eof;
	int status;
	char buf[SCENARIO_LINE_MAX + 1];
	char error[SCENARIO_ERROR_MAX];
	/*
	 * mmusim run: where "invlpg" and "invept" go, called from
	 * scenario_read() in statement order; it returns 0 to go on or the
	 * return of scenario_error() to stop.  NULL rejects them.
	 */
	int (*run_stmt)(struct scenario_reader *r,
			const struct scenario_run_stmt *stmt, void *opaque);
	void *run_stmt_opaque;
	/* The last error was a line too long: the rest of it is unread. */
	bool mid_line;
};

/* Read @file, named @filename in messages; the caller keeps @file. */
void scenario_reader_init(struct scenario_reader *r, FILE *file,
			  const char *filename);
/*
 * Open @path ("-" for stdin, named "<stdin>").  -errno with r->error set
 * ("PATH: No such file or directory") when it cannot be opened.
 */
int scenario_reader_open(struct scenario_reader *r, const char *path);
void scenario_reader_close(struct scenario_reader *r);

/*
 * The next statement: 1 with *@stmt filled, 0 at the end of the input,
 * -EINVAL (bad input) or -EIO (read error) with r->error set.
 */
int scenario_read(struct scenario_reader *r, struct scenario_stmt *stmt);

/*
 * Forget the last error and go on at the next line, as "mmusim run
 * --keep-going" does: 0, or the error again when it is final (a read
 * error).
 */
int scenario_reader_skip_error(struct scenario_reader *r);

/*
 * Report an error found by the consumer at @line: sets r->error to
 * "FILE:LINE: message", makes it final, and returns -EINVAL.
 */
int scenario_error(struct scenario_reader *r, unsigned long line,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
