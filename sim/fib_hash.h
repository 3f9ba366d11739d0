#ifndef MMUSIM_SIM_FIB_HASH_H
#define MMUSIM_SIM_FIB_HASH_H

#include "walker/types.h"

/* 2^64 divided by the golden ratio, odd: Fibonacci hashing's multiplier. */
#define FIB_HASH_MULTIPLIER 0x9e3779b97f4a7c15ULL
static_assert(FIB_HASH_MULTIPLIER & 1,
	      "an odd multiplier maps keys one to one");

/*
 * The start slot of @key in an open-addressed table of a power-of-two
 * size (masked by the caller): Fibonacci hashing, whose high product
 * bits depend on every bit of @key, so keys that differ only in their
 * high bits (gfns, pids, page numbers) still spread.
 */
static inline u32 fib_hash(u64 key)
{
	return (key * FIB_HASH_MULTIPLIER) >> 32;
}

#endif
