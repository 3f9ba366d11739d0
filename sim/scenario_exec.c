/* The interpreter of scenario files (sim/scenario_exec.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim/memory_limit.h"
#include "sim/scenario_exec.h"

void scenario_exec_init(struct scenario_exec *x, struct sim_vcpu *vcpu,
			const struct scenario_exec_ops *ops, void *opaque)
{
	memset(x, 0, sizeof(*x));
	x->vcpu = vcpu;
	x->ops = ops;
	x->opaque = opaque;
}

void scenario_exec_destroy(struct scenario_exec *x)
{
	free(x->name);
	x->name = NULL;
	x->name_cap = 0;
}

static int set_name(struct scenario_exec *x, const char *name, size_t len)
{
	if (len + 1 > x->name_cap) {
		char *p = realloc(x->name, len + 1);

		if (!p)
			return -ENOMEM;
		x->name = p;
		x->name_cap = len + 1;
	}
	memcpy(x->name, name, len);
	x->name[len] = '\0';
	return 0;
}

/* The settings of --vendor, --maxphyaddr and --gbpages, as statements. */
static int apply_defaults(struct scenario_exec *x)
{
	const struct scenario_cpu_defaults *d = &x->defaults;
	int r = 0;

	if (d->have_vendor)
		r = sim_vcpu_set(x->vcpu, SIM_REG_VENDOR, d->amd);
	if (!r && d->have_maxphyaddr)
		r = sim_vcpu_set(x->vcpu, SIM_REG_MAXPHYADDR, d->maxphyaddr);
	if (!r && d->have_gbpages)
		r = sim_vcpu_set(x->vcpu, SIM_REG_GBPAGES, d->gbpages);
	if (r)
		snprintf(x->why, sizeof(x->why), "%s", x->vcpu->error);
	return r;
}

static int begin(struct scenario_exec *x, struct scenario_reader *r,
		 const struct scenario_stmt *stmt)
{
	int ret;

	if (set_name(x, stmt->begin.name, stmt->begin.len))
		return scenario_error(r, stmt->line, "out of memory");
	ret = x->ops->reset ? x->ops->reset(x) : sim_vcpu_reset(x->vcpu);
	if (ret)
		return scenario_error(r, stmt->line, "out of memory");
	memset(x->reg_line, 0, sizeof(x->reg_line));
	if (apply_defaults(x))
		return scenario_error(r, stmt->line, "%s", x->why);
	return 0;
}

/*
 * A MOV to CR4 that sets PCIDE while CR3[11:0] is not 0 takes #GP(0)
 * (Intel SDM vol. 3, 4.10.1 and MOV to CR4's exceptions).  The guest's
 * instructions run in statement order here, whenever the registers are
 * loaded: like INVPCID's #GP cases, the fault is an error of the line.
 */
static int check_mov_cr4(struct scenario_exec *x, struct scenario_reader *r,
			 const struct scenario_stmt *stmt)
{
	const struct sim_vcpu *vcpu = x->vcpu;
	u64 pcid = vcpu->cr3 & X86_CR3_PCID_MASK;

	if (stmt->set.reg != SIM_REG_CR4 ||
	    !(stmt->set.value & X86_CR4_PCIDE) || (vcpu->cr4 & X86_CR4_PCIDE) ||
	    !pcid)
		return 0;
	if (x->reg_line[SIM_REG_CR3])
		return scenario_error(
			r, stmt->line,
			"cr4 0x%" PRIx64
			" sets PCIDE while CR3[11:0] is 0x%" PRIx64
			", not 0 (#GP) (cr3 set on line %lu)",
			stmt->set.value, pcid, x->reg_line[SIM_REG_CR3]);
	return scenario_error(r, stmt->line,
			      "cr4 0x%" PRIx64
			      " sets PCIDE while CR3[11:0] is 0x%" PRIx64
			      ", not 0 (#GP)",
			      stmt->set.value, pcid);
}

static int set(struct scenario_exec *x, struct scenario_reader *r,
	       const struct scenario_stmt *stmt)
{
	int ret;

	ret = check_mov_cr4(x, r, stmt);
	if (ret)
		return ret;
	if (x->ops->set) {
		ret = x->ops->set(x, stmt->set.reg, stmt->set.value);
	} else {
		ret = sim_vcpu_set(x->vcpu, stmt->set.reg, stmt->set.value);
		if (ret)
			snprintf(x->why, sizeof(x->why), "%s", x->vcpu->error);
	}
	if (ret)
		return scenario_error(r, stmt->line, "%s", x->why);
	x->reg_line[stmt->set.reg] = stmt->line;
	return 0;
}

static int access(struct scenario_exec *x, struct scenario_reader *r,
		  const struct scenario_stmt *stmt)
{
	struct sim_vcpu *vcpu = x->vcpu;
	enum sim_reg reg;
	int ret;

	if (x->ops->access) {
		ret = x->ops->access(x, stmt);
	} else {
		ret = sim_vcpu_access(vcpu, &stmt->access, &x->res);
		if (ret)
			snprintf(x->why, sizeof(x->why), "%s", vcpu->error);
	}
	if (ret >= 0)
		return 0;
	if (ret != -EINVAL)
		return scenario_error(r, stmt->line, "%s", x->why);
	reg = vcpu->error_reg;
	if (reg < SIM_NR_REGS && x->reg_line[reg])
		return scenario_error(r, stmt->line, "%s (%s set on line %lu)",
				      vcpu->error, sim_reg_name(reg),
				      x->reg_line[reg]);
	return scenario_error(r, stmt->line, "%s", vcpu->error);
}

/* read32/read64 and expect32/expect64 of L1's memory. */
static int check_memory(struct scenario_exec *x, struct scenario_reader *r,
			const struct scenario_stmt *stmt)
{
	const char *what = stmt->kind == SCENARIO_STMT_EXPECT ? "expect" :
								"read";
	int bits = stmt->memory.size * 8;
	u64 value;
	int ret;

	ret = guest_memory_read(&x->vcpu->mem, stmt->memory.gpa,
				stmt->memory.size, &value);
	if (ret)
		return scenario_error(r, stmt->line, "%s%d: 0x%" PRIx64 ": %s",
				      what, bits, stmt->memory.gpa,
				      ret == -EFAULT ? "no memory there" :
						       strerror(-ret));
	if (stmt->kind == SCENARIO_STMT_READ_MEM) {
		if (x->ops->read_mem)
			x->ops->read_mem(x, stmt, value);
		return 0;
	}
	if (value == stmt->memory.value)
		return 0;
	x->failed_expects++;
	return scenario_error(r, stmt->line,
			      "expect%d: 0x%" PRIx64 " holds 0x%" PRIx64
			      ", not 0x%" PRIx64,
			      bits, stmt->memory.gpa, value,
			      stmt->memory.value);
}

int scenario_exec_stmt(struct scenario_exec *x, struct scenario_reader *r,
		       const struct scenario_stmt *stmt)
{
	struct sim_vcpu *vcpu = x->vcpu;
	char why[80];
	int ret;

	x->why[0] = '\0';
	switch (stmt->kind) {
	case SCENARIO_STMT_BEGIN:
		return begin(x, r, stmt);
	case SCENARIO_STMT_SET:
		return set(x, r, stmt);
	case SCENARIO_STMT_NESTED:
		if (sim_vcpu_set_nested(vcpu, &stmt->nested))
			return scenario_error(r, stmt->line, "%s", vcpu->error);
		x->reg_line[SIM_REG_NESTED] = stmt->line;
		if (x->ops->nested && x->ops->nested(x))
			return scenario_error(r, stmt->line, "%s", x->why);
		return 0;
	case SCENARIO_STMT_MEM:
		ret = sim_vcpu_back(vcpu, stmt->mem.gpa, stmt->mem.size);
		if (ret)
			return scenario_error(r, stmt->line,
					      "mem: backing 0x%" PRIx64
					      " bytes at 0x%" PRIx64 ": %s",
					      stmt->mem.size, stmt->mem.gpa,
					      sim_memory_error(vcpu->host, ret,
							       why,
							       sizeof(why)));
		return 0;
	case SCENARIO_STMT_WRITE:
		ret = x->ops->write ? x->ops->write(x, stmt->write.gpa,
						    stmt->write.size,
						    stmt->write.value) :
				      sim_vcpu_write(vcpu, stmt->write.gpa,
						     stmt->write.size,
						     stmt->write.value);
		if (ret)
			return scenario_error(
				r, stmt->line, "write%d: 0x%" PRIx64 ": %s",
				stmt->write.size * 8, stmt->write.gpa,
				x->why[0] ? x->why : strerror(-ret));
		return 0;
	case SCENARIO_STMT_ACCESS:
		return access(x, r, stmt);
	case SCENARIO_STMT_READ_MEM:
	case SCENARIO_STMT_EXPECT:
		return check_memory(x, r, stmt);
	}
	return scenario_error(r, stmt->line, "unknown statement kind %d",
			      stmt->kind);
}
