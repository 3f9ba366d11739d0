/* Valgrind lackey traces as mmusim run input: one record a line. */
#include <errno.h>

#include "sim/input/input.h"
#include "sim/input/trace_lackey.h"
#include "sim/input/trace_reader.h"
#include "sim/run.h"

static const enum sim_access_kind lackey_kinds[] = {
	[LACKEY_INSTR] = SIM_ACCESS_FETCH,
	[LACKEY_LOAD] = SIM_ACCESS_READ,
	[LACKEY_STORE] = SIM_ACCESS_WRITE,
	[LACKEY_MODIFY] = SIM_ACCESS_READ,
};

static int lackey_next(void *state, struct trace_reader *r,
		       struct run_input_record *rec)
{
	struct lackey_record lr;
	char why[TRACE_ERROR_MAX];
	const char *line;
	size_t len;
	int ret;

	(void)state;
	do {
		ret = trace_read_line(r, &line, &len);
		if (ret <= 0)
			return ret;
		ret = lackey_parse_line(line, len, RUN_MAX_ACCESS_SIZE, &lr,
					why, sizeof(why));
		if (ret < 0)
			return trace_reader_error(r, r->line, "%s", why);
	} while (!ret);
	rec->instruction = lr.op == LACKEY_INSTR;
	rec->nr = 1;
	rec->acc[0].kind = lackey_kinds[lr.op];
	rec->acc[0].addr = lr.addr;
	rec->acc[0].size = lr.size;
	/* A modify is a load and a store of the same bytes. */
	if (lr.op == LACKEY_MODIFY) {
		rec->acc[1] = rec->acc[0];
		rec->acc[1].kind = SIM_ACCESS_WRITE;
		rec->nr = 2;
	}
	return 1;
}

static bool lackey_detect_line(const char *s, size_t len)
{
	return lackey_is_record(s, len) || lackey_is_valgrind_line(s, len);
}

const struct run_input_ops run_lackey_input = {
	.name = "lackey",
	.description = "valgrind --tool=lackey --trace-mem=yes",
	.noun = "lackey input",
	.model = RUN_INPUT_ACCESSES,
	.options = RUN_INPUT_OPT_GUEST | RUN_INPUT_OPT_CACHES,
	.detect_line = lackey_detect_line,
	.run = run_access_trace,
	.next = lackey_next,
};
