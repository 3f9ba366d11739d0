/* mmusim/walker.h: struct sim_vcpu behind an opaque handle. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib_internal.h"
#include "sim/vcpu.h"

static_assert(MMUSIM_REG_VENDOR == (int)SIM_REG_VENDOR, "registers");
static_assert(MMUSIM_REG_MAXPHYADDR == (int)SIM_REG_MAXPHYADDR, "registers");
static_assert(MMUSIM_REG_GBPAGES == (int)SIM_REG_GBPAGES, "registers");
static_assert(MMUSIM_REG_CR0 == (int)SIM_REG_CR0, "registers");
static_assert(MMUSIM_REG_CR3 == (int)SIM_REG_CR3, "registers");
static_assert(MMUSIM_REG_CR4 == (int)SIM_REG_CR4, "registers");
static_assert(MMUSIM_REG_EFER == (int)SIM_REG_EFER, "registers");
static_assert(MMUSIM_REG_CPL == (int)SIM_REG_CPL, "registers");
static_assert(MMUSIM_REG_AC == (int)SIM_REG_AC, "registers");
static_assert(MMUSIM_REG_PKRU == (int)SIM_REG_PKRU, "registers");
static_assert(MMUSIM_ACCESS_READ == (int)SIM_ACCESS_READ, "access kinds");
static_assert(MMUSIM_ACCESS_WRITE == (int)SIM_ACCESS_WRITE, "access kinds");
static_assert(MMUSIM_ACCESS_FETCH == (int)SIM_ACCESS_FETCH, "access kinds");
static_assert(MMUSIM_NESTED_NONE == (int)SIM_NESTED_NONE, "nested kinds");
static_assert(MMUSIM_NESTED_EPT == (int)SIM_NESTED_EPT, "nested kinds");
static_assert(MMUSIM_NESTED_NPT == (int)SIM_NESTED_NPT, "nested kinds");
static_assert(MMUSIM_MAX_LEVELS == WALK_MAX_LEVELS, "walk levels");
static_assert(MMUSIM_CR0_PE == X86_CR0_PE && MMUSIM_CR0_WP == X86_CR0_WP &&
		      MMUSIM_CR0_PG == X86_CR0_PG,
	      "CR0 bits");
static_assert(MMUSIM_CR4_PSE == X86_CR4_PSE && MMUSIM_CR4_PAE == X86_CR4_PAE &&
		      MMUSIM_CR4_LA57 == X86_CR4_LA57 &&
		      MMUSIM_CR4_SMEP == X86_CR4_SMEP &&
		      MMUSIM_CR4_SMAP == X86_CR4_SMAP &&
		      MMUSIM_CR4_PKE == X86_CR4_PKE,
	      "CR4 bits");
static_assert(MMUSIM_EFER_LME == EFER_LME && MMUSIM_EFER_LMA == EFER_LMA &&
		      MMUSIM_EFER_NX == EFER_NX,
	      "EFER bits");
static_assert(MMUSIM_PTE_PRESENT == PT_PRESENT_MASK &&
		      MMUSIM_PTE_WRITABLE == PT_WRITABLE_MASK &&
		      MMUSIM_PTE_USER == PT_USER_MASK &&
		      MMUSIM_PTE_ACCESSED == PT_ACCESSED_MASK &&
		      MMUSIM_PTE_DIRTY == PT_DIRTY_MASK &&
		      MMUSIM_PTE_LARGE == PT_PAGE_SIZE_MASK &&
		      MMUSIM_PTE_NX == PT64_NX_MASK,
	      "x86 entry bits");
static_assert(MMUSIM_EPT_READ == EPT_READABLE_MASK &&
		      MMUSIM_EPT_WRITE == EPT_WRITABLE_MASK &&
		      MMUSIM_EPT_EXEC == EPT_EXECUTABLE_MASK,
	      "EPT entry bits");

struct mmusim_vcpu {
	struct sim_vcpu vcpu;
	struct sim_result res;
};

mmusim_vcpu *mmusim_vcpu_create(void)
{
	mmusim_vcpu *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	if (sim_vcpu_init(&v->vcpu)) {
		free(v);
		return NULL;
	}
	return v;
}

void mmusim_vcpu_destroy(mmusim_vcpu *v)
{
	if (!v)
		return;
	sim_vcpu_destroy(&v->vcpu);
	free(v);
}

int mmusim_vcpu_set(mmusim_vcpu *v, enum mmusim_reg reg, uint64_t value)
{
	if ((unsigned int)reg > MMUSIM_REG_PKRU) {
		snprintf(v->vcpu.error, sizeof(v->vcpu.error),
			 "unknown register %d", (int)reg);
		return -EINVAL;
	}
	v->vcpu.error[0] = '\0';
	return sim_vcpu_set(&v->vcpu, (enum sim_reg)reg, value);
}

int mmusim_vcpu_set_nested(mmusim_vcpu *v, const struct mmusim_nested *nested)
{
	struct sim_nested n = {
		.kind = (enum sim_nested_kind)nested->kind,
	};

	switch (nested->kind) {
	case MMUSIM_NESTED_NONE:
		break;
	case MMUSIM_NESTED_EPT:
		n.eptp = nested->root;
		n.execonly = nested->ept_execonly;
		n.huge_page_level = PG_LEVEL_1G;
		break;
	case MMUSIM_NESTED_NPT:
		n.ncr3 = nested->root;
		n.host_level = nested->npt_host_levels;
		n.host_nx = nested->npt_host_nx;
		break;
	default:
		snprintf(v->vcpu.error, sizeof(v->vcpu.error),
			 "unknown nested stage %d", (int)nested->kind);
		return -EINVAL;
	}
	v->vcpu.error[0] = '\0';
	return sim_vcpu_set_nested(&v->vcpu, &n);
}

int mmusim_vcpu_back(mmusim_vcpu *v, uint64_t gpa, uint64_t size)
{
	return sim_vcpu_back(&v->vcpu, gpa, size);
}

int mmusim_vcpu_write(mmusim_vcpu *v, uint64_t gpa, int size, uint64_t value)
{
	return sim_vcpu_write(&v->vcpu, gpa, size, value);
}

int mmusim_vcpu_read(mmusim_vcpu *v, uint64_t gpa, int size, uint64_t *value)
{
	return guest_memory_read(&v->vcpu.mem, gpa, size, value);
}

static void export_path(struct mmusim_walk_path *out, const struct walk_path *p)
{
	int i;

	out->nr_entries = p->nr_entries;
	for (i = 0; i < p->nr_entries; i++) {
		out->entries[i].level = p->entries[i].level;
		out->entries[i].addr = p->entries[i].pte_addr;
		out->entries[i].gpa = p->entries[i].pte_gpa;
		out->entries[i].before = p->entries[i].before;
		out->entries[i].after = p->entries[i].after;
	}
}

static void export_walk(struct mmusim_walk *out, const struct sim_result *res)
{
	const struct walk_record *rec = &res->rec;
	int i;

	memset(out, 0, sizeof(*out));
	out->faulted = res->outcome != SIM_OK;
	if (res->outcome == SIM_CR3_LOAD_GP) {
		/* The #GP of MOV to CR3: no walk, no address. */
		out->fault.kind = MMUSIM_FAULT_GP;
		out->fault.vector = GP_VECTOR;
		return;
	}
	if (out->faulted)
		lib_fault_export(&out->fault, &res->fault);
	out->two_dimensional = rec->two_dimensional;
	out->refs = rec->refs;
	if (!out->faulted) {
		out->gpa = rec->gpa;
		out->hpa = rec->hpa;
		out->leaf_level = rec->leaf_level;
	}
	export_path(&out->guest, &rec->guest);
	for (i = 0; i < rec->guest.nr_entries && rec->two_dimensional; i++)
		export_path(&out->table_walks[i], &rec->table_walks[i]);
	if (rec->two_dimensional)
		export_path(&out->final_walk, &rec->final_walk);
}

int mmusim_vcpu_access(mmusim_vcpu *v, enum mmusim_access_kind kind,
		       uint64_t gva, bool user, struct mmusim_walk *walk)
{
	struct sim_access a = {
		.kind = (enum sim_access_kind)kind,
		.priv = user ? SIM_PRIV_USER : SIM_PRIV_CPL,
		.addr = gva,
	};
	int r;

	if ((unsigned int)kind > MMUSIM_ACCESS_FETCH) {
		snprintf(v->vcpu.error, sizeof(v->vcpu.error),
			 "unknown access kind %d", (int)kind);
		return -EINVAL;
	}
	v->vcpu.error[0] = '\0';
	r = sim_vcpu_access(&v->vcpu, &a, &v->res);
	if (r)
		return r;
	if (walk)
		export_walk(walk, &v->res);
	return v->res.outcome != SIM_OK;
}

const char *mmusim_vcpu_error(const mmusim_vcpu *v)
{
	return v->vcpu.error;
}
