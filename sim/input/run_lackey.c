/* mmusim run over valgrind lackey traces: user accesses, demand paging. */
#include <errno.h>
#include <stdio.h>

#include "sim/input/input.h"
#include "sim/run.h"
#include "sim/input/trace_lackey.h"
#include "sim/input/trace_reader.h"

/* A user process: every page it touches is user, writable, executable. */
static bool lackey_protection(const struct run_demand *d, u64 gva, u64 *flags)
{
	(void)d;
	(void)gva;
	*flags = PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK;
	return true;
}

/* The page or two the access at @addr of @size bytes touches. */
static int access_bytes(struct run_sim *s, enum sim_access_kind kind, u64 addr,
			u32 size)
{
	struct sim_access a = {
		.kind = kind,
		.priv = SIM_PRIV_USER,
		.addr = addr,
	};
	u64 last = addr + size - 1;
	int r;

	s->st.accesses++;
	if (kind == SIM_ACCESS_READ)
		s->st.reads++;
	else if (kind == SIM_ACCESS_WRITE)
		s->st.writes++;
	else
		s->st.fetches++;

	r = run_access(s, &a);
	if (r < 0 || likely((last >> PAGE_SHIFT) == (addr >> PAGE_SHIFT)))
		return r;
	s->st.page_crossings++;
	a.addr = last & ~PAGE_OFFSET_MASK;
	return run_access(s, &a);
}

static int record_accesses(struct run_sim *s, const struct lackey_record *rec)
{
	int r;

	switch (rec->op) {
	case LACKEY_INSTR:
		return access_bytes(s, SIM_ACCESS_FETCH, rec->addr, rec->size);
	case LACKEY_LOAD:
		return access_bytes(s, SIM_ACCESS_READ, rec->addr, rec->size);
	case LACKEY_STORE:
		return access_bytes(s, SIM_ACCESS_WRITE, rec->addr, rec->size);
	case LACKEY_MODIFY:
		r = access_bytes(s, SIM_ACCESS_READ, rec->addr, rec->size);
		if (r < 0)
			return r;
		return access_bytes(s, SIM_ACCESS_WRITE, rec->addr, rec->size);
	}
	return -EINVAL;
}

int run_lackey(struct run_sim *s, struct trace_reader *r)
{
	struct lackey_record rec;
	char why[TRACE_ERROR_MAX];
	unsigned int proc = 0;
	const char *line;
	size_t len;
	int ret;

	/* Each file is a process of its own: own CR3, own tables. */
	if (!s->demand.enabled) {
		ret = run_demand_init(s, 1, false, lackey_protection);
	} else {
		ret = run_demand_add_process(s, &proc);
		ret = ret ?: run_demand_switch(s, proc);
	}
	if (ret)
		return ret;
	snprintf(s->demand.procs[proc].name, sizeof(s->demand.procs[proc].name),
		 "%s", r->name);
	for (;;) {
		ret = trace_read_line(r, &line, &len);
		if (ret == 0)
			return 0;
		s->st.lines++;
		if (ret < 0) {
			ret = run_bad_line(s, r, ret);
			if (ret)
				return ret;
			continue;
		}
		if (unlikely(run_stop))
			return -EINTR;
		if (unlikely(!(s->st.lines % RUN_PROGRESS_LINES)))
			run_progress(s, r->name);
		ret = lackey_parse_line(line, len, RUN_MAX_ACCESS_SIZE, &rec,
					why, sizeof(why));
		if (ret > 0) {
			ret = record_accesses(s, &rec);
			if (ret == 1)
				ret = 0;
			if (ret == -EINVAL)
				trace_reader_error(r, r->line, "%s", s->error);
			else if (ret < 0)
				return ret;
		} else if (ret < 0) {
			trace_reader_error(r, r->line, "%s", why);
		}
		if (ret) {
			ret = run_bad_line(s, r, ret);
			if (ret)
				return ret;
		}
	}
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
	.run = run_lackey,
};
