/*
 * fuzz_readers' parts: the input's dispatch, the checks every mode shares
 * and compressed input (fuzz_readers.c), the scenario reader (mode 0,
 * fuzz_readers_scenario.c), the lackey and kvmmmu lines (modes 1 and 2,
 * fuzz_readers_lines.c), format detection and "mmusim run" (modes 3 and
 * 4, fuzz_readers_run.c).
 */
#ifndef MMUSIM_FUZZ_READERS_INTERNAL_H
#define MMUSIM_FUZZ_READERS_INTERNAL_H

#include <stddef.h>

#include "fuzz_check.h"
#include "walker/types.h"

#define NAME "fuzz.in"
/*
 * Bits 7:3 of byte 0: go on after a bad line (scenario reader, mmusim
 * run); take "invlpg" and "invept" (scenario reader), and refuse "invept"
 * from the callback; bits 7:6 are the mode's own (lackey: the largest
 * size; kvmmmu: flag names and trace-cmd lines printed back; detection:
 * where the prefixes end).
 */
#define RF_KEEP_GOING BIT(3)
#define RF_RUN_STMT BIT(4)
#define RF_REFUSE_INVEPT BIT(5)
#define RF_OPT_SHIFT 6

#define readers_fail(...) fuzz_fail("fuzz_readers", __VA_ARGS__)

#define READERS_CHECK(cond, ...) FUZZ_CHECK("fuzz_readers", cond, __VA_ARGS__)

/*
 * What the input gave: its errors, the statements read, the lines'
 * results, the format detected, a run's result and counters
 * (fuzz_check.h).
 */
extern u64 readers_digest;

unsigned long readers_count_lines(const u8 *data, size_t size);
void readers_check_error(const char *who, const char *err, unsigned long line,
			 unsigned long max_line);
bool readers_compressed(const u8 *data, size_t size);
unsigned long readers_decoded_lines(const u8 *data, size_t size, bool check);

void fuzz_scenario(const u8 *data, size_t size, u8 sel);
void fuzz_lackey(const u8 *data, size_t size, u8 sel);
void fuzz_kvmmmu(const u8 *data, size_t size, u8 sel);
void fuzz_detect(const u8 *data, size_t size, u8 sel);
void fuzz_run(const u8 *data, size_t size, u8 sel);

#endif
