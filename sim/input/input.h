/*
 * The inputs of mmusim run: one struct run_input_ops per format, and the
 * table of them (sim/input/registry.c), as sim/run_mmu.c has for MMUs.
 *
 * To add a format: write sim/input/FORMAT.c with its parser and a
 * `const struct run_input_ops run_FORMAT_input` (name, model, options,
 * detection, driver), declare it below, add one row to the table in
 * registry.c (a text format's place is its rank in line detection;
 * binary formats are asked first), add the file to sim/CMakeLists.txt,
 * and describe the format in docs/trace-formats.md.  The fuzzer
 * (tests/fuzz/fuzz_readers_run.c) runs every row of the table; give it
 * corpus files in tests/fuzz/corpus/fuzz_readers/.
 *
 * A format of guest accesses is the easy case (sim/input/champsim.c is
 * one): .model = RUN_INPUT_ACCESSES, .run = run_access_trace, and a
 * .next that hands out one record (the accesses of one line or
 * instruction) at a time, with .state_size bytes of state of its own
 * per file (previous addresses of a delta encoding, say).  A binary
 * format reads with trace_read_bytes() and reports bad records with
 * trace_reader_record_error() (byte offsets); a text one reads with
 * trace_read_line().  Compressed input (gzip, zstd, xz) is undone
 * below every format by the trace reader.
 */
#ifndef MMUSIM_SIM_INPUT_INPUT_H
#define MMUSIM_SIM_INPUT_INPUT_H

#include <stddef.h>

#include "sim/vcpu.h"
#include "walker/types.h"

struct run_sim;
struct trace_reader;

/* Most accesses in one record: a ChampSim instruction has 1 + 4 + 2. */
#define RUN_INPUT_MAX_ACCESSES 8

/* One user access (CPL 3) of @size bytes of an access trace. */
struct run_input_access {
	enum sim_access_kind kind;
	u64 addr;
	u32 size;
};

/*
 * One record of an access trace: the accesses of a line or instruction,
 * in order.  @instruction: the record is one instruction (counted for
 * misses per 1000 instructions).
 */
struct run_input_record {
	bool instruction;
	unsigned int nr;
	struct run_input_access acc[RUN_INPUT_MAX_ACCESSES];
};

/* What an input drives, which decides the report it gets. */
enum run_input_model {
	/* Guest accesses on the tables demand paging builds (--mode, --nested). */
	RUN_INPUT_ACCESSES,
	/* The input sets up the guest, its memory and tables itself. */
	RUN_INPUT_SCENARIO,
	/* Walks KVM recorded, each replayed on its own and judged. */
	RUN_INPUT_WALKS,
};

/* Groups of mmusim run options (docs/mmusim-run.md) an input takes. */
/* --mode, --nested, --nested-levels, --page-size, --nested-page-size,
 * --max-table-pages, --seed: the guest demand paging builds. */
#define RUN_INPUT_OPT_GUEST BIT(0)
/* --tlb, --psc, --ntlb, --mmu */
#define RUN_INPUT_OPT_CACHES BIT(1)
/* --mode, --walks, --cr0, --cr4, --efer, --maxphyaddr, --vendor, --gbpages */
#define RUN_INPUT_OPT_REPLAY BIT(2)
/* --accesses */
#define RUN_INPUT_OPT_BUILTIN BIT(3)

/*
 * One input format.  @detect_line: is @line (without its newline) one
 * that only this format has?  With neither it nor @detect_bytes, the
 * format is never detected.  @run
 * reads the whole of @r into @s: 0, or < 0 with the reader's error
 * (r->error when r->status) or s->error set.
 *
 * An access trace (model RUN_INPUT_ACCESSES) has @run = run_access_trace(),
 * which makes each file a process of its own on demand-paged tables and
 * feeds it the records @next hands out: 1 with *@rec filled, 0 at the
 * end of the input, < 0 with r->error set (-EINVAL: a bad record, which
 * --keep-going skips; others are final).  @state is the format's own,
 * @state_size bytes, zeroed for each file.
 */
struct run_input_ops {
	/* --format=NAME, and input.format in the report. */
	const char *name;
	/* What it is, for --help. */
	const char *description;
	/* How a message names this input: "lackey input". */
	const char *noun;
	enum run_input_model model;
	/* RUN_INPUT_OPT_*: the options that mean something for it. */
	unsigned int options;
	bool (*detect_line)(const char *line, size_t len);
	/*
	 * Binary formats: do the first @len bytes (@eof: all of the input)
	 * look like this format?  1 yes, 0 no, -EAGAIN: not enough bytes to
	 * say.  Asked before any line is.
	 */
	int (*detect_bytes)(const u8 *data, size_t len, bool eof);
	int (*run)(struct run_sim *s, struct trace_reader *r);
	size_t state_size;
	int (*next)(void *state, struct trace_reader *r,
		    struct run_input_record *rec);
};

/* @run of access traces (sim/input/access_trace.c). */
int run_access_trace(struct run_sim *s, struct trace_reader *r);

extern const struct run_input_ops run_binary_input;
extern const struct run_input_ops run_native_input;
extern const struct run_input_ops run_lackey_input;
extern const struct run_input_ops run_kvmmmu_input;
extern const struct run_input_ops run_champsim_input;
/* No trace: the built-in workload (run_builtin()), not in the table. */
extern const struct run_input_ops run_builtin_input;

/* The formats a trace may have, in the order detection asks them. */
extern const struct run_input_ops *const run_inputs[];
extern const unsigned int run_nr_inputs;

/* The format called @name, or NULL. */
const struct run_input_ops *run_input_find(const char *name);

/*
 * The names of the formats in @buf, separated by @sep, the last two by
 * @last ("a|b|c", or "a, b or c").  Returns @buf.
 */
char *run_input_names(char *buf, size_t size, const char *sep,
		      const char *last);

/*
 * The format of the input that starts with @data (@len bytes; @eof when
 * that is all of it): the first line that only one format has decides.
 * NULL when no line decides, with *@line the first line that fits no
 * format (0 when only blank and comment lines were seen before the end
 * of @data).  Input with only blank and comment lines is native.
 */
const struct run_input_ops *run_input_detect(const char *data, size_t len,
					     bool eof, unsigned long *line);

/*
 * Tell the format of @r's input from its first bytes, reading no more
 * than it takes (the reader keeps them): 0 with *@input set, or < 0 with
 * r->error set ("NAME:LINE: cannot tell the format ..." for a line no
 * format has).  Blank and comment lines decide nothing, however many.
 */
int run_input_detect_reader(struct trace_reader *r,
			    const struct run_input_ops **input);

#endif
