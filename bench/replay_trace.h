/* The lackey traces of the replay benchmark, written from a seed. */
#ifndef MMUSIM_BENCH_REPLAY_TRACE_H
#define MMUSIM_BENCH_REPLAY_TRACE_H

#include "walker/types.h"

/* The buffer the traces are written and read through; a line's bound. */
#define REPLAY_BUF_SIZE (1 << 20)
#define REPLAY_LINE_MAX 64

/*
 * Write @lines lines of the program-like trace (docs/performance.md,
 * "replay") to the new file @path, adding its size to *@bytes.  0 or
 * -errno.
 */
int replay_write_trace(const char *path, u64 lines, u64 *bytes);
/*
 * The same for the walk-heavy trace: one access a line, about a fifth of
 * them TLB misses with the default TLB (issue 15).
 */
int replay_write_walk_trace(const char *path, u64 lines, u64 *bytes);

#endif
