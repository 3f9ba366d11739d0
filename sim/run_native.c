/* mmusim run over scenario files (the format of mmusim walk) with caches. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "sim/run.h"
#include "sim/scenario_exec.h"
#include "sim/input/trace_reader.h"

struct native_state {
	struct run_sim *s;
	struct scenario_exec exec;
};

static int on_run_stmt(struct scenario_reader *r,
		       const struct scenario_run_stmt *stmt, void *opaque)
{
	struct native_state *ns = opaque;
	struct run_sim *s = ns->s;

	switch (stmt->kind) {
	case SCENARIO_RUN_INVLPG:
		if (run_invlpg(s, stmt->addr))
			return scenario_error(r, stmt->line, "invlpg: %s",
					      s->error);
		return 0;
	case SCENARIO_RUN_INVEPT:
		run_invept(s);
		return 0;
	case SCENARIO_RUN_INVPCID:
		if (run_invpcid(s, stmt->type, stmt->pcid, stmt->addr))
			return scenario_error(r, stmt->line, "%s", s->error);
		return 0;
	}
	return scenario_error(r, stmt->line, "unknown statement kind %d",
			      stmt->kind);
}

static u64 reg_value(const struct sim_vcpu *v, enum sim_reg reg)
{
	switch (reg) {
	case SIM_REG_VENDOR:
		return v->cpu.amd;
	case SIM_REG_MAXPHYADDR:
		return v->cpu.maxphyaddr;
	case SIM_REG_GBPAGES:
		return v->cpu.gbpages;
	case SIM_REG_CR0:
		return v->cr0;
	case SIM_REG_CR4:
		return v->cr4;
	case SIM_REG_EFER:
		return v->efer;
	default:
		return 0;
	}
}

/* A setting: CR3 flushes the non-global TLB; paging bits flush it all. */
static int native_set(struct scenario_exec *x, enum sim_reg reg, u64 value)
{
	struct native_state *ns = x->opaque;
	struct run_sim *s = ns->s;
	u64 old = reg_value(&s->vcpu, reg);
	bool flush = true;

	/* Under CR4.PCIDE, bit 63 of a MOV to CR3 is "no flush", not kept. */
	if (reg == SIM_REG_CR3 && (s->vcpu.cr4 & X86_CR4_PCIDE) &&
	    (value & X86_CR3_PCID_NOFLUSH)) {
		value &= ~X86_CR3_PCID_NOFLUSH;
		flush = false;
	}
	if (sim_vcpu_set(&s->vcpu, reg, value)) {
		snprintf(x->why, sizeof(x->why), "%s", s->vcpu.error);
		return -EINVAL;
	}
	switch (reg) {
	case SIM_REG_CR3:
		if (run_cr3_load(s, flush)) {
			snprintf(x->why, sizeof(x->why), "%s", s->error);
			return -EINVAL;
		}
		break;
	case SIM_REG_VENDOR:
	case SIM_REG_MAXPHYADDR:
	case SIM_REG_GBPAGES:
	case SIM_REG_CR0:
	case SIM_REG_CR4:
	case SIM_REG_EFER:
		if (old != value)
			run_flush_all(s);
		break;
	default:
		break;
	}
	return 0;
}

static int native_access(struct scenario_exec *x,
			 const struct scenario_stmt *stmt)
{
	struct native_state *ns = x->opaque;
	struct run_sim *s = ns->s;
	const struct sim_access *a = &stmt->access;
	int ret;

	run_count_guest_access(s, a->kind);
	ret = run_access(s, a);
	if (ret < 0 && ret != -EINVAL)
		snprintf(x->why, sizeof(x->why), "%s", s->error);
	return ret;
}

static int native_reset(struct scenario_exec *x)
{
	struct native_state *ns = x->opaque;

	return run_vcpu_reset(ns->s);
}

/* A new nested stage: every nested translation is stale. */
static int native_nested(struct scenario_exec *x)
{
	struct native_state *ns = x->opaque;

	cache_model_flush_nested(&ns->s->caches);
	run_flush_all(ns->s);
	return 0;
}

/* Guest writes go through the MMU, which may shadow the page. */
static int native_write(struct scenario_exec *x, u64 gpa, int size, u64 value)
{
	struct native_state *ns = x->opaque;
	int ret = run_guest_write(ns->s, gpa, size, value);

	if (ret && ns->s->error[0])
		snprintf(x->why, sizeof(x->why), "%s", ns->s->error);
	return ret;
}

static const struct scenario_exec_ops native_exec_ops = {
	.reset = native_reset,
	.set = native_set,
	.nested = native_nested,
	.write = native_write,
	.access = native_access,
};

int run_native(struct run_sim *s, struct trace_reader *tr)
{
	struct native_state ns = { .s = s };
	u64 lines = s->st.lines;
	struct scenario_reader r;
	struct scenario_stmt stmt;
	FILE *f;
	int ret;

	f = trace_reader_fopen(tr);
	if (!f)
		return -ENOMEM;
	scenario_exec_init(&ns.exec, &s->vcpu, &native_exec_ops, &ns);
	scenario_reader_init(&r, f, tr->name);
	/* Lines detection went past (comments) count as read. */
	r.line = tr->line;
	r.run_stmt = on_run_stmt;
	r.run_stmt_opaque = &ns;
	for (;;) {
		ret = scenario_read(&r, &stmt);
		s->st.lines = lines + r.line;
		if (ret == 0)
			break;
		if (ret > 0)
			ret = scenario_exec_stmt(&ns.exec, &r, &stmt);
		if (run_stop)
			break;
		if (ret == 0) {
			if (!(r.line % RUN_PROGRESS_LINES))
				run_progress(s, tr->name);
			continue;
		}
		snprintf(tr->error, sizeof(tr->error), "%s", r.error);
		tr->status = -EINVAL;
		if (r.status == -EIO || !s->cfg.keep_going) {
			ret = r.status ? r.status : ret;
			break;
		}
		run_bad_line(s, tr, -EINVAL);
		scenario_reader_skip_error(&r);
	}
	if (run_stop)
		ret = -EINTR;
	scenario_exec_destroy(&ns.exec);
	fclose(f);
	return ret;
}
