/*
 * mmusim's binary access trace (docs/trace-formats.md, "binary"): a
 * versioned header, then records of one access, or of a switch of
 * process or vCPU, with addresses delta-encoded per kind of access.
 */
#ifndef MMUSIM_SIM_INPUT_BINARY_TRACE_H
#define MMUSIM_SIM_INPUT_BINARY_TRACE_H

#include <stdio.h>
#include <string.h>

#include "sim/vcpu.h"

/* The header: magic (a line of its own), version, flags, two zero bytes. */
#define BINARY_TRACE_MAGIC "mmusim-trace\n"
#define BINARY_TRACE_MAGIC_LEN 13
#define BINARY_TRACE_VERSION 1
#define BINARY_TRACE_HEADER_LEN 16
#define BINARY_TRACE_VERSION_OFFSET 13
#define BINARY_TRACE_FLAGS_OFFSET 14

/*
 * A record's first byte.  Bits 1:0: the kind, an access (read, write,
 * fetch, as enum sim_access_kind) or a control record.
 *
 * Access: bits 4:2 the size code (0: a LEB128 size follows; 1..6: that
 * size; 7: 8 bytes); bits 7:6 the address slot S.  Each kind of access
 * has BINARY_SLOTS slots, each the last address coded from it and that
 * access's size (all 0 at first).  With bit 5 ("next") the address is the
 * end of slot S's last access (its address plus its size), and nothing
 * follows; else the zigzag LEB128 difference from slot S's last address
 * follows.  The size (when coded 0) comes last.  Slot S then holds the
 * access.  The writer picks the slot; the reader only follows it.
 *
 * Control: bits 7:2 the operation, then its LEB128 operands: a process
 * switch (the process id), a vCPU switch (the vCPU id), a process name
 * (the process id, the length, that many bytes), the privilege of the
 * accesses that follow (0 user, 1 supervisor; user at first).
 */
#define BINARY_KIND_MASK GENMASK(1, 0)
#define BINARY_KIND_CONTROL 3
#define BINARY_SIZE_SHIFT 2
#define BINARY_SIZE_MASK GENMASK(4, 2)
#define BINARY_SIZE_LEB128 0
#define BINARY_SIZE_CODE_8 7
#define BINARY_NEXT BIT(5)
#define BINARY_SLOT_SHIFT 6
#define BINARY_SLOTS 4
#define BINARY_OP_SHIFT 2
static_assert(SIM_ACCESS_READ == 0 && SIM_ACCESS_WRITE == 1 &&
		      SIM_ACCESS_FETCH == 2,
	      "access kinds are the record kinds");

enum binary_control_op {
	BINARY_OP_PROCESS,
	BINARY_OP_VCPU,
	BINARY_OP_NAME,
	BINARY_OP_PRIVILEGE,
	BINARY_NR_OPS,
};

/* Longest process name a record carries. */
#define BINARY_NAME_MAX 63
/* Longest record: opcode, a 10-byte address, a 10-byte size; a name's. */
#define BINARY_RECORD_MAX (1 + 10 + 10)
#define BINARY_CONTROL_MAX (1 + 10)
#define BINARY_NAME_RECORD_MAX (1 + 5 + 1 + BINARY_NAME_MAX)

/* One decoded record. */
struct binary_record {
	/* enum sim_access_kind, or BINARY_KIND_CONTROL. */
	unsigned int kind;
	enum binary_control_op op;
	bool supervisor;
	u64 addr;
	u32 size;
	/* Control: the process or vCPU id, or the privilege. */
	u32 id;
	u8 name_len;
	char name[BINARY_NAME_MAX + 1];
};

/* The address slots of each kind of access. */
struct binary_slots {
	u64 addr[3][BINARY_SLOTS];
	u32 size[3][BINARY_SLOTS];
};

/* The decoder's state. */
struct binary_decoder {
	struct binary_slots slots;
	bool supervisor;
};

/*
 * Decode the record at @p (@len bytes available): its length, 0 when the
 * bytes end inside it, or -EINVAL with the reason in @why.
 */
int binary_decode(struct binary_decoder *d, const u8 *p, size_t len,
		  struct binary_record *rec, char *why, size_t why_len);

/* The 8 bytes after a record's first byte, as binary_decode_fast() reads them. */
#define BINARY_FAST_BYTES 8
/* LEB128's "more" bit, and its 7 bits of value, in each byte of a u64. */
#define BINARY_LEB128_MORE_BYTES 0x8080808080808080ULL
#define BINARY_LEB128_BITS_BYTES 0x7f7f7f7f7f7f7f7fULL
#define BINARY_LEB128_MORE BIT(7)

/* The size of an access of size code 1..7 (BINARY_SIZE_CODE_8 is 8). */
static inline u32 binary_size_of_code(unsigned int code)
{
	return code + (code == BINARY_SIZE_CODE_8);
}

static inline u64 binary_load_le64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/*
 * The value of the LEB128 bytes in @v (little-endian, the "more" bits
 * and the bytes past the last cleared): the 7-bit groups joined in
 * three steps, pairs of bytes, then of 14-bit groups, then of 28-bit.
 */
static inline u64 binary_leb128_join(u64 v)
{
	v &= BINARY_LEB128_BITS_BYTES;
	v = (v & 0x007f007f007f007fULL) | ((v & 0x7f007f007f007f00ULL) >> 1);
	v = (v & 0x00003fff00003fffULL) | ((v & 0x3fff00003fff0000ULL) >> 2);
	return (v & 0x000000000fffffffULL) | ((v & 0x0fffffff00000000ULL) >> 4);
}

/*
 * binary_decode() of the common records inline: an access whose address
 * is "next" or a difference of up to 8 bytes, and whose size is coded in
 * its first byte or is one byte after the difference (1..127).  The
 * caller has 1 + BINARY_FAST_BYTES bytes at @p, so that no record needs
 * a test of the bytes at hand.  Its length, or 0 for any other record
 * (binary_decode() then).  The difference and the size byte come from
 * one 64-bit load, the length of the difference from its first byte
 * without "more", not from a loop.
 */
static inline unsigned int binary_decode_fast(struct binary_decoder *d,
					      const u8 *p, unsigned int *kindp,
					      u64 *addrp, u32 *sizep)
{
	unsigned int kind = p[0] & BINARY_KIND_MASK;
	unsigned int code = (p[0] & BINARY_SIZE_MASK) >> BINARY_SIZE_SHIFT;
	unsigned int slot = p[0] >> BINARY_SLOT_SHIFT;
	unsigned int n = 0, end;
	u64 w, ends, delta, addr;
	u32 size;

	if (kind == BINARY_KIND_CONTROL)
		return 0;
	w = binary_load_le64(p + 1);
	addr = d->slots.addr[kind][slot];
	if (p[0] & BINARY_NEXT) {
		addr += d->slots.size[kind][slot];
	} else {
		/* The bytes of @w without "more": the first ends it. */
		ends = ~w & BINARY_LEB128_MORE_BYTES;
		if (unlikely(!ends))
			return 0;
		end = __builtin_ctzll(ends);
		n = end / 8 + 1;
		/* Bits 0..end of @w; 2 << 63 is 0, and then all 64 bits. */
		delta = binary_leb128_join(w & ((2ULL << end) - 1));
		addr += (u64)((s64)(delta >> 1) ^ -(s64)(delta & 1));
		w >>= (8 * n) & 63;
	}
	if (code == BINARY_SIZE_LEB128) {
		/* One byte of size, 1..127, after up to 7 of difference. */
		size = w & 0xff;
		if (unlikely(n == BINARY_FAST_BYTES || !size ||
			     (size & BINARY_LEB128_MORE)))
			return 0;
		n++;
	} else {
		size = binary_size_of_code(code);
	}
	d->slots.addr[kind][slot] = addr;
	d->slots.size[kind][slot] = size;
	*kindp = kind;
	*addrp = addr;
	*sizep = size;
	return n + 1;
}

/*
 * Check the header at @p (@len bytes): 0, or -EINVAL with the reason in
 * @why (a cut-short header, bad magic, an unknown version or flags).
 */
int binary_check_header(const u8 *p, size_t len, char *why, size_t why_len);

/* A writer of the format to a stdio stream. */
struct binary_trace_writer {
	FILE *f;
	struct binary_slots slots;
	/* The slot each kind replaces next when no slot is near. */
	u8 victim[3];
	bool supervisor;
	u64 records;
	u64 bytes;
	/* The process and vCPU of the records written last. */
	u32 pid;
	u32 vcpu;
	/* Processes whose name was written. */
	bool *named;
	u32 nr_named;
};

/* Write the header.  0 or -errno. */
int binary_trace_writer_open(struct binary_trace_writer *w, FILE *f);
/* Flush, free; 0 or -errno of the first failed write. */
int binary_trace_writer_close(struct binary_trace_writer *w);
int binary_trace_write_access(struct binary_trace_writer *w,
			      enum sim_access_kind kind, bool supervisor,
			      u64 addr, u32 size);
int binary_trace_write_process(struct binary_trace_writer *w, u32 pid);
int binary_trace_write_vcpu(struct binary_trace_writer *w, u32 vcpu);
/* Name @pid once: later calls for it do nothing. */
int binary_trace_write_name(struct binary_trace_writer *w, u32 pid,
			    const char *name);

#endif
