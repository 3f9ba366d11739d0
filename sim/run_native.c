/* mmusim run over scenario files (the format of mmusim walk) with caches. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "sim/memory_limit.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "sim/input/trace_reader.h"

struct native_state {
	struct run_sim *s;
	/* Line of the statement that last set each setting; 0: default. */
	unsigned long reg_line[SIM_NR_REGS];
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
static int do_set(struct native_state *ns, struct scenario_reader *r,
		  const struct scenario_stmt *stmt)
{
	struct run_sim *s = ns->s;
	enum sim_reg reg = stmt->set.reg;
	u64 old = reg_value(&s->vcpu, reg), value = stmt->set.value;
	bool flush = true;

	/* Under CR4.PCIDE, bit 63 of a MOV to CR3 is "no flush", not kept. */
	if (reg == SIM_REG_CR3 && (s->vcpu.cr4 & X86_CR4_PCIDE) &&
	    (value & X86_CR3_PCID_NOFLUSH)) {
		value &= ~X86_CR3_PCID_NOFLUSH;
		flush = false;
	}
	if (sim_vcpu_set(&s->vcpu, reg, value))
		return scenario_error(r, stmt->line, "%s", s->vcpu.error);
	ns->reg_line[reg] = stmt->line;
	switch (reg) {
	case SIM_REG_CR3:
		if (run_cr3_load(s, flush))
			return scenario_error(r, stmt->line, "%s", s->error);
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

static int do_access(struct native_state *ns, struct scenario_reader *r,
		     const struct scenario_stmt *stmt)
{
	struct run_sim *s = ns->s;
	const struct sim_access *a = &stmt->access;
	enum sim_reg reg;
	int ret;

	s->st.accesses++;
	if (a->kind == SIM_ACCESS_READ)
		s->st.reads++;
	else if (a->kind == SIM_ACCESS_WRITE)
		s->st.writes++;
	else
		s->st.fetches++;
	ret = run_access(s, a);
	if (ret >= 0)
		return 0;
	if (ret != -EINVAL)
		return scenario_error(r, stmt->line, "%s", s->error);
	reg = s->vcpu.error_reg;
	if (reg < SIM_NR_REGS && ns->reg_line[reg])
		return scenario_error(r, stmt->line, "%s (%s set on line %lu)",
				      s->vcpu.error, sim_reg_name(reg),
				      ns->reg_line[reg]);
	return scenario_error(r, stmt->line, "%s", s->vcpu.error);
}

static int do_statement(struct native_state *ns, struct scenario_reader *r,
			const struct scenario_stmt *stmt)
{
	struct run_sim *s = ns->s;
	char why[80];
	int ret;

	switch (stmt->kind) {
	case SCENARIO_STMT_BEGIN:
		if (run_vcpu_reset(s))
			return scenario_error(r, stmt->line, "out of memory");
		memset(ns->reg_line, 0, sizeof(ns->reg_line));
		return 0;
	case SCENARIO_STMT_SET:
		return do_set(ns, r, stmt);
	case SCENARIO_STMT_NESTED:
		if (sim_vcpu_set_nested(&s->vcpu, &stmt->nested))
			return scenario_error(r, stmt->line, "%s",
					      s->vcpu.error);
		ns->reg_line[SIM_REG_NESTED] = stmt->line;
		translation_caches_flush_nested(&s->caches);
		run_flush_all(s);
		return 0;
	case SCENARIO_STMT_MEM:
		ret = sim_vcpu_back(&s->vcpu, stmt->mem.gpa, stmt->mem.size);
		if (ret)
			return scenario_error(r, stmt->line,
					      "mem: backing 0x%" PRIx64
					      " bytes at 0x%" PRIx64 ": %s",
					      stmt->mem.size, stmt->mem.gpa,
					      sim_memory_error(s->vcpu.host,
							       ret, why,
							       sizeof(why)));
		return 0;
	case SCENARIO_STMT_WRITE:
		ret = run_guest_write(s, stmt->write.gpa, stmt->write.size,
				      stmt->write.value);
		if (ret)
			return scenario_error(
				r, stmt->line, "write%d: 0x%" PRIx64 ": %s",
				stmt->write.size * 8, stmt->write.gpa,
				s->error[0] ? s->error : strerror(-ret));
		return 0;
	case SCENARIO_STMT_ACCESS:
		return do_access(ns, r, stmt);
	}
	return scenario_error(r, stmt->line, "unknown statement kind %d",
			      stmt->kind);
}

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
			ret = do_statement(&ns, &r, &stmt);
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
	fclose(f);
	return ret;
}
