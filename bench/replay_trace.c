/*
 * The lackey traces of the replay benchmark (bench/replay_bench.c),
 * deterministic from their seed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench/harness.h"
#include "bench/replay_trace.h"

#define REPLAY_SEED 0x6c61636b6579ULL

/*
 * The process the trace comes from: a 4-level user address space.  Text
 * is run in loops of REPLAY_LOOP bytes; data is the heap read and written
 * in sequence, an array walked with a stride of a page and a cache line,
 * the stack, and random accesses in an mmap region.
 */
#define REPLAY_TEXT 0x400000ULL
#define REPLAY_TEXT_SIZE (256ULL << 10)
#define REPLAY_LOOP 256
#define REPLAY_HEAP 0x100000000ULL
#define REPLAY_HEAP_SIZE (32ULL << 20)
#define REPLAY_ARRAY 0x200000000ULL
#define REPLAY_ARRAY_SIZE (2ULL << 20)
#define REPLAY_STRIDE (4096 + 64)
#define REPLAY_MMAP 0x7f0000000000ULL
#define REPLAY_MMAP_SIZE (8ULL << 20)
#define REPLAY_STACK_TOP 0x7ffffffff000ULL
#define REPLAY_STACK_SIZE (64ULL << 10)

/*
 * The walk-heavy trace: 45% fetches in one page of text, 30% reads in
 * one page of stack, 25% 8-byte reads at random in REPLAY_WALK_SIZE of
 * heap, eight times what the default 2048-entry TLB maps.  The hot
 * accesses cycle through REPLAY_WALK_PAGE_BYTES of their page, so that
 * none crosses into the next.
 */
#define REPLAY_WALK_SEED (REPLAY_SEED + 1)
#define REPLAY_WALK_SIZE (32ULL << 20)
#define REPLAY_WALK_PAGE 4096ULL
#define REPLAY_WALK_PAGE_BYTES 4000

/* The generator: deterministic from REPLAY_SEED. */
struct replay_gen {
	u64 rng;
	u64 func;
	u64 ip;
	u64 heap;
	u64 array;
	u64 sp;
	/* Lines written so far. */
	u64 n;
};

/* "%08llx": lackey prints at least 8 hex digits. */
static char *put_hex(char *p, u64 v)
{
	char digits[16];
	int n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (n < 8)
		digits[n++] = '0';
	while (n)
		*p++ = digits[--n];
	return p;
}

/* One lackey record in @p: "I  ADDR,SIZE" or " L ADDR,SIZE". */
static size_t replay_line(struct replay_gen *g, char *p)
{
	char *start = p;
	u64 r = bench_rand64(&g->rng);
	unsigned int size = 8;
	u64 addr;

	if (r % 100 < 60) {
		/* An instruction: loops, now and then another function. */
		size = 1 + (r >> 8) % 7;
		addr = g->ip;
		g->ip += size;
		if (g->ip >= g->func + REPLAY_LOOP) {
			if (!((r >> 16) & 15))
				g->func = REPLAY_TEXT +
					  ((r >> 20) %
					   (REPLAY_TEXT_SIZE / REPLAY_LOOP)) *
						  REPLAY_LOOP;
			g->ip = g->func;
		}
		*p++ = 'I';
		*p++ = ' ';
		*p++ = ' ';
	} else {
		unsigned int where = (r >> 8) % 100, op = (r >> 16) % 10;

		if (where < 45) {
			addr = REPLAY_HEAP + g->heap;
			g->heap = (g->heap + 8) % REPLAY_HEAP_SIZE;
		} else if (where < 60) {
			addr = REPLAY_ARRAY + g->array;
			g->array =
				(g->array + REPLAY_STRIDE) % REPLAY_ARRAY_SIZE;
			g->array &= ~7ULL;
		} else if (where < 85) {
			/* Calls and returns move the stack pointer. */
			if (!((r >> 24) & 63))
				g->sp = REPLAY_STACK_TOP -
					((r >> 32) % REPLAY_STACK_SIZE);
			addr = (g->sp + ((r >> 40) & 0xff)) & ~7ULL;
		} else {
			addr = REPLAY_MMAP +
			       ((r >> 24) % REPLAY_MMAP_SIZE & ~7ULL);
		}
		if ((r >> 48) % 8 == 0)
			size = 4;
		*p++ = ' ';
		*p++ = op < 6 ? 'L' : op < 9 ? 'S' : 'M';
		*p++ = ' ';
	}
	p = put_hex(p, addr);
	*p++ = ',';
	*p++ = '0' + size;
	*p++ = '\n';
	return p - start;
}

/* Line g->n of the walk-heavy trace in @p. */
static size_t replay_walk_line(struct replay_gen *g, char *p)
{
	char *start = p;
	u64 r = bench_rand64(&g->rng) % 100;
	unsigned int size = 8;
	u64 addr;

	if (r < 45) {
		size = 4;
		addr = REPLAY_TEXT + g->n * size % REPLAY_WALK_PAGE_BYTES;
		*p++ = 'I';
		*p++ = ' ';
	} else {
		if (r < 75)
			addr = REPLAY_STACK_TOP - REPLAY_WALK_PAGE +
			       g->n * size % REPLAY_WALK_PAGE_BYTES;
		else
			addr = REPLAY_HEAP +
			       (bench_rand64(&g->rng) % REPLAY_WALK_SIZE &
				~7ULL);
		*p++ = ' ';
		*p++ = 'L';
	}
	*p++ = ' ';
	p = put_hex(p, addr);
	*p++ = ',';
	*p++ = '0' + size;
	*p++ = '\n';
	return p - start;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		buf += n;
		len -= n;
	}
	return 0;
}

/* @lines lines from @line to the new file @path; their size in *@bytes. */
static int write_lines(const char *path, u64 lines, struct replay_gen *g,
		       size_t (*line)(struct replay_gen *g, char *p),
		       u64 *bytes)
{
	char *buf = malloc(REPLAY_BUF_SIZE);
	size_t used = 0;
	int fd, r = 0;
	u64 i;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	for (i = 0; i < lines && !r; i++, g->n++) {
		used += line(g, buf + used);
		if (used > REPLAY_BUF_SIZE - REPLAY_LINE_MAX) {
			r = write_all(fd, buf, used);
			*bytes += used;
			used = 0;
		}
	}
	if (!r)
		r = write_all(fd, buf, used);
	*bytes += used;
	if (close(fd) && !r)
		r = -EIO;
	free(buf);
	return r;
}

int replay_write_trace(const char *path, u64 lines, u64 *bytes)
{
	struct replay_gen g = {
		.rng = REPLAY_SEED,
		.func = REPLAY_TEXT,
		.ip = REPLAY_TEXT,
		.sp = REPLAY_STACK_TOP - 512,
	};

	return write_lines(path, lines, &g, replay_line, bytes);
}

int replay_write_walk_trace(const char *path, u64 lines, u64 *bytes)
{
	struct replay_gen g = { .rng = REPLAY_WALK_SEED };

	return write_lines(path, lines, &g, replay_walk_line, bytes);
}
