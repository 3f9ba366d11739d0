/* Fixed-width integer names, bit helpers and invariant checks for every component. */
#ifndef MMUSIM_TYPES_H
#define MMUSIM_TYPES_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#define BIT(n) (1U << (n))
#define BIT_ULL(n) (1ULL << (n))
/* Bits h..l inclusive; h >= l. */
#define GENMASK(h, l) ((~0U << (l)) & (~0U >> (31 - (h))))
#define GENMASK_ULL(h, l) ((~0ULL << (l)) & (~0ULL >> (63 - (h))))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * KVM's hash_64(): the top @bits bits of @val times 2^64 / phi, for
 * tables of 2^@bits buckets.  1 <= @bits <= 64.
 */
#define GOLDEN_RATIO_64 0x61C8864680B583EBULL
static inline u64 hash_64(u64 val, unsigned int bits)
{
	return (val * GOLDEN_RATIO_64) >> (64 - bits);
}

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/*
 * MMU_WARN_ON() checks an internal invariant: a simulator bug, never bad
 * caller input.  Builds without NDEBUG (every preset but "release") abort
 * with the location, so that tests and fuzzers stop at the first broken
 * invariant; release builds type-check the expression and drop it.
 */
#ifndef NDEBUG
#define MMU_WARN_ON(x)                                                  \
	do {                                                            \
		if (unlikely(x)) {                                      \
			fprintf(stderr, "%s:%d: %s: MMU_WARN_ON(%s)\n", \
				__FILE__, __LINE__, __func__, #x);      \
			abort();                                        \
		}                                                       \
	} while (0)
#else
#define MMU_WARN_ON(x) ((void)sizeof(!!(x)))
#endif

#endif
