/*
 * mmusim run over access traces (lackey, ChampSim): user accesses of one
 * process per file, on tables demand paging builds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/input/input.h"
#include "sim/input/trace_reader.h"
#include "sim/run.h"
#include "sim/run_sweep_access.h"

/* A user process: every page it touches is user, writable, executable. */
static bool user_protection(const struct run_demand *d, u64 gva, u64 *flags)
{
	(void)d;
	(void)gva;
	*flags = PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK;
	return true;
}

/* The accesses of @rec, in order, up to the first error. */
/* Each file is a process of its own: own CR3, own tables. */
static int start_process(struct run_sim *s, const char *name)
{
	unsigned int proc = 0;
	int ret;

	if (!s->demand.enabled) {
		ret = run_demand_init(s, 1, false, user_protection);
	} else {
		ret = run_demand_add_process(s, &proc);
		ret = ret ?: run_demand_switch(s, proc);
	}
	if (ret)
		return ret;
	snprintf(s->demand.procs[proc].name, sizeof(s->demand.procs[proc].name),
		 "%s", name);
	return 0;
}

/*
 * @rec through @s and every configuration of its sweep: parsed once, fed
 * to each, access by access.  An error (the same for all: the address
 * does not fit the mode) is @s's.
 */
static int sweep_records(struct run_sim *s, struct run_sweep_memo *memo,
			 const struct run_input_record *rec)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < rec->nr && ret >= 0; i++)
		ret = run_sweep_guest_access(s, memo, rec->acc[i].kind,
					     SIM_PRIV_USER, rec->acc[i].addr,
					     rec->acc[i].size,
					     !i && rec->instruction);
	return ret < 0 ? ret : 0;
}

static int read_records(struct run_sim *s, struct trace_reader *r, void *state,
			struct run_sweep_memo *memo)
{
	const struct run_input_ops *ops = s->cfg.input;
	struct run_input_record rec;
	u64 lines = s->st.lines;
	int ret;

	for (;;) {
		ret = ops->next(state, r, &rec);
		s->st.lines = lines + r->line;
		if (ret == 0)
			return 0;
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
		ret = sweep_records(s, memo, &rec);
		if (ret == -EINVAL) {
			trace_reader_record_error(r, "%s", s->error);
			ret = run_bad_line(s, r, ret);
		}
		if (ret < 0)
			return ret;
	}
}

int run_access_trace(struct run_sim *s, struct trace_reader *r)
{
	const struct run_input_ops *ops = s->cfg.input;
	struct run_sweep_memo memo;
	void *state = NULL;
	struct run_sim *t;
	int ret;

	for (t = s; t; t = t->sweep_next) {
		ret = start_process(t, r->name);
		if (ret)
			return ret;
	}
	if (ops->state_size) {
		state = calloc(1, ops->state_size);
		if (!state)
			return -ENOMEM;
	}
	run_sweep_memo_init(&memo);
	ret = read_records(s, r, state, &memo);
	run_sweep_sync(s, &memo);
	free(state);
	return ret;
}
