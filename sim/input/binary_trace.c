/* Encoding and decoding mmusim's binary access trace. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/input/binary_trace.h"
#include "sim/input_error.h"

#define LEB128_MAX 10
#define LEB128_BITS GENMASK(6, 0)

static u64 zigzag(s64 v)
{
	return ((u64)v << 1) ^ (u64)(v >> 63);
}

static s64 unzigzag(u64 v)
{
	return (s64)(v >> 1) ^ -(s64)(v & 1);
}

/*
 * A LEB128 number at @p: its length, 0 when @len ends inside it, -1 when
 * it is longer than 64 bits.
 */
static inline int leb128(const u8 *p, size_t len, u64 *v)
{
	u64 x = 0;
	size_t i;

	for (i = 0; i < len && i < LEB128_MAX; i++) {
		x |= (u64)(p[i] & LEB128_BITS) << (7 * i);
		if (!(p[i] & BINARY_LEB128_MORE)) {
			/* The tenth byte holds bit 63 only. */
			if (i == LEB128_MAX - 1 && p[i] > 1)
				return -1;
			*v = x;
			return i + 1;
		}
	}
	return i == LEB128_MAX ? -1 : 0;
}

int binary_check_header(const u8 *p, size_t len, char *why, size_t why_len)
{
	if (len < BINARY_TRACE_HEADER_LEN)
		return input_why(why, why_len,
				 "the header is cut short (%zu of %d bytes)",
				 len, BINARY_TRACE_HEADER_LEN);
	if (memcmp(p, BINARY_TRACE_MAGIC, BINARY_TRACE_MAGIC_LEN))
		return input_why(why, why_len,
				 "not an mmusim binary trace (bad magic)");
	if (p[BINARY_TRACE_VERSION_OFFSET] != BINARY_TRACE_VERSION)
		return input_why(why, why_len,
				 "version %u; this mmusim reads version %d",
				 p[BINARY_TRACE_VERSION_OFFSET],
				 BINARY_TRACE_VERSION);
	if (p[BINARY_TRACE_FLAGS_OFFSET] || p[BINARY_TRACE_FLAGS_OFFSET + 1])
		return input_why(why, why_len,
				 "unknown flags 0x%02x%02x in the header",
				 p[BINARY_TRACE_FLAGS_OFFSET + 1],
				 p[BINARY_TRACE_FLAGS_OFFSET]);
	return 0;
}

static int decode_control(const u8 *p, size_t len, struct binary_record *rec,
			  char *why, size_t why_len)
{
	size_t n = 1;
	u64 id, name_len;
	int m;

	rec->op = p[0] >> BINARY_OP_SHIFT;
	if (rec->op >= BINARY_NR_OPS)
		return input_why(why, why_len, "unknown control record %u",
				 rec->op);
	m = leb128(p + n, len - n, &id);
	if (m <= 0)
		goto number;
	n += m;
	if (id > UINT32_MAX || (rec->op == BINARY_OP_VCPU && id > 255) ||
	    (rec->op == BINARY_OP_PRIVILEGE && id > 1))
		return input_why(why, why_len,
				 "%s id %" PRIu64 " is out of range",
				 rec->op == BINARY_OP_VCPU	? "vCPU" :
				 rec->op == BINARY_OP_PRIVILEGE ? "privilege" :
								  "process",
				 id);
	rec->id = id;
	if (rec->op != BINARY_OP_NAME)
		return n;
	m = leb128(p + n, len - n, &name_len);
	if (m <= 0)
		goto number;
	n += m;
	if (name_len > BINARY_NAME_MAX)
		return input_why(why, why_len,
				 "process name of %" PRIu64
				 " bytes (at most %d)",
				 name_len, BINARY_NAME_MAX);
	if (len - n < name_len)
		return 0;
	memcpy(rec->name, p + n, name_len);
	rec->name[name_len] = '\0';
	rec->name_len = name_len;
	return n + name_len;
number:
	if (m < 0)
		return input_why(why, why_len, "a number longer than 64 bits");
	return 0;
}

int binary_decode(struct binary_decoder *d, const u8 *p, size_t len,
		  struct binary_record *rec, char *why, size_t why_len)
{
	unsigned int code, kind, slot;
	size_t n = 1;
	u64 delta = 0, size, base;
	int m;

	if (!len)
		return 0;
	kind = p[0] & BINARY_KIND_MASK;
	rec->kind = kind;
	if (kind == BINARY_KIND_CONTROL) {
		m = decode_control(p, len, rec, why, why_len);
		if (m > 0 && rec->op == BINARY_OP_PRIVILEGE)
			d->supervisor = rec->id;
		return m;
	}
	rec->supervisor = d->supervisor;
	slot = p[0] >> BINARY_SLOT_SHIFT;
	base = d->slots.addr[kind][slot];
	if (p[0] & BINARY_NEXT) {
		base += d->slots.size[kind][slot];
	} else {
		m = leb128(p + n, len - n, &delta);
		if (m <= 0)
			goto number;
		n += m;
	}
	code = (p[0] & BINARY_SIZE_MASK) >> BINARY_SIZE_SHIFT;
	if (code == BINARY_SIZE_LEB128) {
		m = leb128(p + n, len - n, &size);
		if (m <= 0)
			goto number;
		n += m;
		if (!size || size > 4096)
			return input_why(why, why_len,
					 "access size %" PRIu64
					 " is out of range 1..4096",
					 size);
	} else {
		size = binary_size_of_code(code);
	}
	rec->addr = base + (u64)unzigzag(delta);
	rec->size = size;
	d->slots.addr[kind][slot] = rec->addr;
	d->slots.size[kind][slot] = size;
	return n;
number:
	if (m < 0)
		return input_why(why, why_len, "a number longer than 64 bits");
	return 0;
}

/* Writing. */

static int put(struct binary_trace_writer *w, const u8 *buf, size_t n)
{
	if (fwrite(buf, 1, n, w->f) != n)
		return -errno ?: -EIO;
	w->bytes += n;
	w->records++;
	return 0;
}

static size_t put_leb128(u8 *p, u64 v)
{
	size_t n = 0;

	do {
		p[n] = v & LEB128_BITS;
		v >>= 7;
		if (v)
			p[n] |= BINARY_LEB128_MORE;
		n++;
	} while (v);
	return n;
}

int binary_trace_writer_open(struct binary_trace_writer *w, FILE *f)
{
	u8 header[BINARY_TRACE_HEADER_LEN] = { 0 };

	memset(w, 0, sizeof(*w));
	w->f = f;
	memcpy(header, BINARY_TRACE_MAGIC, BINARY_TRACE_MAGIC_LEN);
	header[BINARY_TRACE_VERSION_OFFSET] = BINARY_TRACE_VERSION;
	if (fwrite(header, 1, sizeof(header), f) != sizeof(header))
		return -errno ?: -EIO;
	w->bytes = sizeof(header);
	return 0;
}

int binary_trace_writer_close(struct binary_trace_writer *w)
{
	int r = fflush(w->f) || ferror(w->f) ? -(errno ?: EIO) : 0;

	free(w->named);
	w->named = NULL;
	return r;
}

/* Differences up to this many bits take at most 3 LEB128 bytes. */
#define BINARY_NEAR_BITS 20

static u64 distance(u64 a, u64 b)
{
	return a > b ? a - b : b - a;
}

int binary_trace_write_access(struct binary_trace_writer *w,
			      enum sim_access_kind kind, bool supervisor,
			      u64 addr, u32 size)
{
	struct binary_slots *sl = &w->slots;
	u8 buf[BINARY_CONTROL_MAX + BINARY_RECORD_MAX];
	unsigned int code = BINARY_SIZE_LEB128, slot, best = 0, i;
	bool next = false;
	size_t n = 0;
	u64 d, best_d = UINT64_MAX;

	if (supervisor != w->supervisor) {
		w->supervisor = supervisor;
		buf[n++] = BINARY_KIND_CONTROL | BINARY_OP_PRIVILEGE
							 << BINARY_OP_SHIFT;
		buf[n++] = supervisor;
	}
	if (size == 8)
		code = BINARY_SIZE_CODE_8;
	else if (size >= 1 && size <= 6)
		code = size;
	/* The slot whose last access ends here, else the nearest one. */
	for (i = 0; i < BINARY_SLOTS; i++) {
		if (sl->addr[kind][i] + sl->size[kind][i] == addr) {
			best = i;
			best_d = 0;
			next = true;
			break;
		}
		d = distance(sl->addr[kind][i], addr);
		if (d < best_d) {
			best = i;
			best_d = d;
		}
	}
	slot = best;
	if (best_d >> BINARY_NEAR_BITS)
		slot = w->victim[kind]++ % BINARY_SLOTS;
	buf[n] = kind | code << BINARY_SIZE_SHIFT | slot << BINARY_SLOT_SHIFT;
	if (next) {
		buf[n++] |= BINARY_NEXT;
	} else {
		n++;
		n += put_leb128(buf + n,
				zigzag((s64)(addr - sl->addr[kind][slot])));
	}
	if (code == BINARY_SIZE_LEB128)
		n += put_leb128(buf + n, size);
	sl->addr[kind][slot] = addr;
	sl->size[kind][slot] = size;
	return put(w, buf, n);
}

static int write_control(struct binary_trace_writer *w,
			 enum binary_control_op op, u32 id)
{
	u8 buf[1 + LEB128_MAX];
	size_t n = 1;

	buf[0] = BINARY_KIND_CONTROL | op << BINARY_OP_SHIFT;
	n += put_leb128(buf + n, id);
	return put(w, buf, n);
}

int binary_trace_write_process(struct binary_trace_writer *w, u32 pid)
{
	w->pid = pid;
	return write_control(w, BINARY_OP_PROCESS, pid);
}

int binary_trace_write_vcpu(struct binary_trace_writer *w, u32 vcpu)
{
	w->vcpu = vcpu;
	return write_control(w, BINARY_OP_VCPU, vcpu);
}

int binary_trace_write_name(struct binary_trace_writer *w, u32 pid,
			    const char *name)
{
	u8 buf[BINARY_NAME_RECORD_MAX];
	size_t len = strnlen(name, BINARY_NAME_MAX), n = 1;
	bool *named;

	if (pid < w->nr_named && w->named[pid])
		return 0;
	if (pid >= w->nr_named) {
		named = realloc(w->named, (pid + 1) * sizeof(*named));
		if (!named)
			return -ENOMEM;
		memset(named + w->nr_named, 0,
		       (pid + 1 - w->nr_named) * sizeof(*named));
		w->named = named;
		w->nr_named = pid + 1;
	}
	w->named[pid] = true;
	buf[0] = BINARY_KIND_CONTROL | BINARY_OP_NAME << BINARY_OP_SHIFT;
	n += put_leb128(buf + n, pid);
	n += put_leb128(buf + n, len);
	memcpy(buf + n, name, len);
	return put(w, buf, n + len);
}
