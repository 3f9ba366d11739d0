/*
 * ChampSim traces as mmusim run input: binary input_instr records
 * (ChampSim's inc/trace_instruction.h), usually xz-compressed.  Each
 * record is one instruction: a fetch at its ip, a read per source memory
 * operand, a write per destination memory operand, in that order.
 */
#include <errno.h>
#include <string.h>

#include "sim/input/input.h"
#include "sim/input/trace_reader.h"
#include "sim/run.h"

#define CHAMPSIM_NUM_INSTR_DESTINATIONS 2
#define CHAMPSIM_NUM_INSTR_SOURCES 4

/* Offsets in a record; every field little-endian. */
#define CHAMPSIM_IP 0
#define CHAMPSIM_IS_BRANCH 8
#define CHAMPSIM_BRANCH_TAKEN 9
#define CHAMPSIM_DEST_REGS 10
#define CHAMPSIM_SRC_REGS (CHAMPSIM_DEST_REGS + CHAMPSIM_NUM_INSTR_DESTINATIONS)
#define CHAMPSIM_DEST_MEM (CHAMPSIM_SRC_REGS + CHAMPSIM_NUM_INSTR_SOURCES)
#define CHAMPSIM_SRC_MEM \
	(CHAMPSIM_DEST_MEM + 8 * CHAMPSIM_NUM_INSTR_DESTINATIONS)
#define CHAMPSIM_RECORD_SIZE (CHAMPSIM_SRC_MEM + 8 * CHAMPSIM_NUM_INSTR_SOURCES)
static_assert(CHAMPSIM_DEST_MEM == 16, "u64 ip; u8 2 + 2 + 4");
static_assert(CHAMPSIM_RECORD_SIZE == 64, "sizeof(struct input_instr)");
static_assert(1 + CHAMPSIM_NUM_INSTR_SOURCES +
			      CHAMPSIM_NUM_INSTR_DESTINATIONS <=
		      RUN_INPUT_MAX_ACCESSES,
	      "a record's accesses fit a run_input_record");

/*
 * Bytes of an access: ChampSim does not record sizes, so an access is
 * one byte and never crosses a page.
 */
#define CHAMPSIM_ACCESS_SIZE 1

/* Records that detection looks at. */
#define CHAMPSIM_DETECT_RECORDS 16

static u64 get_le64(const u8 *p)
{
	u64 v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* Bits 63:47 all equal: an address a 4-level guest can have. */
static bool is_canonical_48(u64 addr)
{
	u64 top = addr >> 47;

	return !top || top == (~0ULL >> 47);
}

/*
 * Could @p be a record ChampSim's tracer wrote?  Branch flags 0 or 1
 * (taken only for a branch), a canonical ip that is not 0, canonical
 * memory operands, and a zero byte (text has none).
 */
static bool champsim_plausible(const u8 *p)
{
	u64 ip = get_le64(p + CHAMPSIM_IP);
	int i;

	if (p[CHAMPSIM_IS_BRANCH] > 1 || p[CHAMPSIM_BRANCH_TAKEN] > 1 ||
	    (p[CHAMPSIM_BRANCH_TAKEN] && !p[CHAMPSIM_IS_BRANCH]))
		return false;
	if (!ip || !is_canonical_48(ip))
		return false;
	for (i = 0; i < CHAMPSIM_NUM_INSTR_DESTINATIONS; i++)
		if (!is_canonical_48(get_le64(p + CHAMPSIM_DEST_MEM + 8 * i)))
			return false;
	for (i = 0; i < CHAMPSIM_NUM_INSTR_SOURCES; i++)
		if (!is_canonical_48(get_le64(p + CHAMPSIM_SRC_MEM + 8 * i)))
			return false;
	return memchr(p, 0, CHAMPSIM_RECORD_SIZE) != NULL;
}

/*
 * The first CHAMPSIM_DETECT_RECORDS records decide.  Text is turned away
 * as soon as its first 8 bytes show: as an ip they are not canonical.
 */
static int champsim_detect_bytes(const u8 *data, size_t len, bool eof)
{
	size_t n = len / CHAMPSIM_RECORD_SIZE, i;

	if (n > CHAMPSIM_DETECT_RECORDS)
		n = CHAMPSIM_DETECT_RECORDS;
	for (i = 0; i < n; i++)
		if (!champsim_plausible(data + i * CHAMPSIM_RECORD_SIZE))
			return 0;
	if (n == CHAMPSIM_DETECT_RECORDS || (eof && n))
		return 1;
	if (eof)
		return 0;
	if (!n && len >= sizeof(u64) &&
	    (!get_le64(data) || !is_canonical_48(get_le64(data))))
		return 0;
	return -EAGAIN;
}

static void add_access(struct run_input_record *rec, enum sim_access_kind kind,
		       u64 addr)
{
	struct run_input_access *a = &rec->acc[rec->nr++];

	a->kind = kind;
	a->addr = addr;
	a->size = CHAMPSIM_ACCESS_SIZE;
}

static int champsim_next(void *state, struct trace_reader *r,
			 struct run_input_record *rec)
{
	const u8 *p;
	u64 addr;
	int ret, i;

	(void)state;
	r->binary = true;
	ret = trace_read_bytes(r, CHAMPSIM_RECORD_SIZE, &p);
	if (ret <= 0)
		return ret;
	/* A record counts as a line of the report. */
	r->line++;
	rec->nr = 0;
	rec->instruction = true;
	add_access(rec, SIM_ACCESS_FETCH, get_le64(p + CHAMPSIM_IP));
	for (i = 0; i < CHAMPSIM_NUM_INSTR_SOURCES; i++) {
		addr = get_le64(p + CHAMPSIM_SRC_MEM + 8 * i);
		if (addr)
			add_access(rec, SIM_ACCESS_READ, addr);
	}
	for (i = 0; i < CHAMPSIM_NUM_INSTR_DESTINATIONS; i++) {
		addr = get_le64(p + CHAMPSIM_DEST_MEM + 8 * i);
		if (addr)
			add_access(rec, SIM_ACCESS_WRITE, addr);
	}
	return 1;
}

const struct run_input_ops run_champsim_input = {
	.name = "champsim",
	.description = "ChampSim input_instr records (binary, usually .xz)",
	.noun = "champsim input",
	.model = RUN_INPUT_ACCESSES,
	.options = RUN_INPUT_OPT_GUEST | RUN_INPUT_OPT_CACHES,
	.detect_bytes = champsim_detect_bytes,
	.run = run_access_trace,
	.next = champsim_next,
};
