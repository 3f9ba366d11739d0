/* mmusim run: demand paging, building guest and nested tables on faults. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/input/binary_trace.h"
#include "sim/run.h"

#define NESTED_NGPA_OFFSET (1ULL << 42)
#define TABLE_BASE 0x100000ULL
#define SMALL_TABLE_LIMIT 0x10000000ULL
#define SMALL_DATA_LIMIT 0x100000000ULL
#define LARGE_TABLE_LIMIT 0x100000000ULL
#define LARGE_DATA_LIMIT (1ULL << 40)
#define L1_LIMIT (1ULL << 40)
#define EPT_LEAF_MT (MTRR_TYPE_WRBACK << EPT_MT_SHIFT)
#define EPT_RWX (EPT_READABLE_MASK | EPT_WRITABLE_MASK | EPT_EXECUTABLE_MASK)
#define X86_NONLEAF (PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK)

/* The built-in workload's kernel: 2M, shared by every address space. */
#define KERNEL_BASE_64 0xffffffff80000000ULL
#define KERNEL_BASE_32 0xc0000000ULL
#define KERNEL_SIZE RUN_KERNEL_SIZE

static bool pt32(const struct run_demand *d)
{
	return d->level == PT32_ROOT_LEVEL;
}

static unsigned int guest_shift(const struct run_demand *d, int level)
{
	return __pt_level_shift(level, pt_level_bits(pt32(d)));
}

static unsigned int guest_index(const struct run_demand *d, u64 gva, int level)
{
	if (level == PT32E_ROOT_LEVEL && d->level == PT32E_ROOT_LEVEL)
		return pae_pdpte_index(gva);
	return __pt_index(gva, level, pt_level_bits(pt32(d)));
}

static unsigned int nested_shift(int level)
{
	return pt_level_shift(level);
}

/* A deterministic hash of a region for the "mixed" page-size policy. */
static u64 region_hash(u64 seed, u64 region)
{
	u64 x = region * 0x9e3779b97f4a7c15ULL + seed;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	return x;
}

/* The leaf level the policy gives the page at @addr. */
static int policy_level(enum run_page_size p, u64 seed, u64 addr,
			unsigned int shift2, bool gbpages)
{
	switch (p) {
	case RUN_PAGE_4K:
		return PG_LEVEL_4K;
	case RUN_PAGE_2M:
		return PG_LEVEL_2M;
	case RUN_PAGE_1G:
		return gbpages ? PG_LEVEL_1G : PG_LEVEL_2M;
	case RUN_PAGE_MIXED:
		if (gbpages && region_hash(seed, addr >> 30) % 8 == 0)
			return PG_LEVEL_1G;
		if (region_hash(seed + 1, addr >> shift2) % 4 == 0)
			return PG_LEVEL_2M;
		return PG_LEVEL_4K;
	}
	return PG_LEVEL_4K;
}

static int guest_read(struct run_sim *s, u64 ngpa, u64 *val)
{
	return guest_memory_read(&s->vcpu.mem, ngpa + s->demand.ngpa_offset,
				 pt32(&s->demand) ? 4 : 8, val);
}

static int guest_write(struct run_sim *s, u64 ngpa, u64 val)
{
	return run_guest_write(s, ngpa + s->demand.ngpa_offset,
			       pt32(&s->demand) ? 4 : 8, val);
}

static u64 tables_now(const struct run_sim *s)
{
	const struct run_demand *d = &s->demand;

	return (d->next_table - TABLE_BASE + d->next_l1 - TABLE_BASE) >>
	       PAGE_SHIFT;
}

static int alloc_l1_table(struct run_sim *s, u64 *gpa)
{
	struct run_demand *d = &s->demand;
	int r;

	if (d->next_l1 >= d->l1_limit ||
	    tables_now(s) >= s->cfg.max_table_pages)
		return -ENOSPC;
	*gpa = d->next_l1;
	r = guest_memory_back(&s->vcpu.mem, *gpa, PAGE_SIZE);
	if (r)
		return r;
	d->next_l1 += PAGE_SIZE;
	s->st.nested_tables++;
	return 0;
}

/*
 * Map the nGPA @ngpa in the nested tables, at the policy's leaf size, to
 * GPA @ngpa + ngpa_offset.  1 when mapped now, 0 when it was, < 0.
 */
static int ensure_nested(struct run_sim *s, u64 ngpa)
{
	struct run_demand *d = &s->demand;
	bool ept = s->cfg.nested == SIM_NESTED_EPT;
	u64 present = ept ? EPT_RWX : PT_PRESENT_MASK;
	u64 nonleaf = ept ? EPT_RWX : X86_NONLEAF;
	int level = d->nested_level, leaf;
	u64 table = d->nested_root;
	int r;

	leaf = policy_level(s->cfg.nested_page_size, s->cfg.seed ^ 0x5a5a, ngpa,
			    21, true);
	for (;; level--) {
		u64 ent = table + pt_index(ngpa, level) * 8;
		u64 e, base;

		r = guest_memory_read(&s->vcpu.mem, ent, 8, &e);
		if (r)
			return r;
		if (level == leaf) {
			if (e & present)
				return 0;
			base = ngpa & ~((1ULL << nested_shift(level)) - 1);
			e = (base + d->ngpa_offset) | nonleaf;
			if (ept)
				e |= EPT_LEAF_MT;
			if (level > PG_LEVEL_4K)
				e |= PT_PAGE_SIZE_MASK;
			s->st.nested_pages++;
			return run_guest_write(s, ent, 8, e) ?: 1;
		}
		if (!(e & present)) {
			r = alloc_l1_table(s, &table);
			if (r)
				return r;
			r = run_guest_write(s, ent, 8, table | nonleaf);
			if (r)
				return r;
			continue;
		}
		if (e & PT_PAGE_SIZE_MASK)
			return 0;
		table = e & PT_BASE_ADDR_MASK;
	}
}

/* A zeroed guest table page: its nGPA, backed (and nested-mapped). */
static int alloc_guest_table(struct run_sim *s, u64 *ngpa)
{
	struct run_demand *d = &s->demand;
	int r;

	if (d->next_table >= d->table_limit ||
	    tables_now(s) >= s->cfg.max_table_pages)
		return -ENOSPC;
	*ngpa = d->next_table;
	if (d->nested_level) {
		r = ensure_nested(s, *ngpa);
		if (r < 0)
			return r;
	}
	r = guest_memory_back(&s->vcpu.mem, *ngpa + d->ngpa_offset, PAGE_SIZE);
	if (r)
		return r;
	d->next_table += PAGE_SIZE;
	s->st.guest_tables++;
	return 0;
}

static int alloc_data(struct run_sim *s, int level, u64 *ngpa)
{
	struct run_demand *d = &s->demand;
	u64 size = 1ULL << guest_shift(d, level);
	u64 next = (d->next_data + size - 1) & ~(size - 1);

	if (next >= d->data_limit || size > d->data_limit - next)
		return -ENOSPC;
	*ngpa = next;
	d->next_data = next + size;
	s->st.guest_pages++;
	return 0;
}

/*
 * Map @gva in the tables at @root with leaf @flags.  1 when mapped now, 0
 * when a leaf maps it already, < 0 (-ENOSPC: out of table pages).
 */
static int ensure_guest(struct run_sim *s, u64 root, u64 gva, u64 flags)
{
	struct run_demand *d = &s->demand;
	u64 addr_mask = pt32(d) ? GENMASK_ULL(31, 12) : PT_BASE_ADDR_MASK;
	int level = d->level, leaf;
	u64 table = root, e;
	int r;

	leaf = policy_level(s->cfg.page_size, s->cfg.seed, gva,
			    guest_shift(d, 2), level >= PT64_ROOT_4LEVEL);
	if (level == PT32E_ROOT_LEVEL) {
		r = guest_read(s, root + guest_index(d, gva, level) * 8, &e);
		if (r)
			return r;
		table = e & addr_mask;
		level--;
	}
	for (;; level--) {
		u64 ent =
			table + guest_index(d, gva, level) * (pt32(d) ? 4 : 8);
		u64 page;

		r = guest_read(s, ent, &e);
		if (r)
			return r;
		if (level == leaf) {
			if (e & PT_PRESENT_MASK)
				return 0;
			r = alloc_data(s, level, &page);
			if (r)
				return r;
			e = page | flags | PT_PRESENT_MASK;
			if (level > PG_LEVEL_4K)
				e |= PT_PAGE_SIZE_MASK;
			return guest_write(s, ent, e) ?: 1;
		}
		if (!(e & PT_PRESENT_MASK)) {
			r = alloc_guest_table(s, &page);
			if (r)
				return r;
			r = guest_write(s, ent, page | X86_NONLEAF);
			if (r)
				return r;
			table = page;
			continue;
		}
		if (e & PT_PAGE_SIZE_MASK)
			return 0;
		table = e & addr_mask;
	}
}

static u64 kernel_base(const struct run_demand *d)
{
	return d->level >= PT64_ROOT_4LEVEL ? KERNEL_BASE_64 : KERNEL_BASE_32;
}

u64 run_demand_kernel_base(const struct run_demand *d)
{
	return kernel_base(d);
}

/* An address space: its root, with the kernel's top entry shared. */
static int create_space(struct run_sim *s, u64 *root)
{
	struct run_demand *d = &s->demand;
	unsigned int kidx = guest_index(d, kernel_base(d), d->level);
	unsigned int i;
	u64 e;
	int r;

	r = alloc_guest_table(s, root);
	if (r)
		return r;
	if (d->level == PT32E_ROOT_LEVEL) {
		/* The PDPTRs are loaded with CR3: all four exist from the start. */
		for (i = 0; i < 4; i++) {
			u64 pd;

			if (d->kernel && i == kidx && d->kernel_root != *root) {
				r = guest_read(s, d->kernel_root + i * 8, &e);
			} else {
				r = alloc_guest_table(s, &pd);
				e = pd | PT_PRESENT_MASK;
			}
			if (!r)
				r = guest_write(s, *root + i * 8, e);
			if (r)
				return r;
		}
		return 0;
	}
	if (!d->kernel || d->kernel_root == *root)
		return 0;
	r = guest_read(s, d->kernel_root + kidx * (pt32(d) ? 4 : 8), &e);
	if (r)
		return r;
	return guest_write(s, *root + kidx * (pt32(d) ? 4 : 8), e);
}

static int setup_regs(struct run_sim *s)
{
	struct run_demand *d = &s->demand;
	struct sim_vcpu *v = &s->vcpu;
	u64 cr4 = X86_CR4_PGE, efer = 0;
	struct sim_nested n = { .kind = s->cfg.nested };
	int r;

	switch (d->level) {
	case PT32_ROOT_LEVEL:
		cr4 |= X86_CR4_PSE;
		break;
	case PT32E_ROOT_LEVEL:
		cr4 |= X86_CR4_PAE;
		efer |= EFER_NX;
		break;
	case PT64_ROOT_5LEVEL:
		cr4 |= X86_CR4_LA57;
		/* fall through */
	default:
		cr4 |= X86_CR4_PAE;
		efer |= EFER_LME | EFER_NX;
		break;
	}
	r = sim_vcpu_set(v, SIM_REG_VENDOR, s->cfg.nested == SIM_NESTED_NPT);
	r = r	  ?:
		    sim_vcpu_set(v, SIM_REG_CR0,
				 X86_CR0_PE | X86_CR0_WP | X86_CR0_PG);
	r = r ?: sim_vcpu_set(v, SIM_REG_CR4, cr4);
	r = r ?: sim_vcpu_set(v, SIM_REG_EFER, efer);
	r = r ?: sim_vcpu_set(v, SIM_REG_CPL, 3);
	if (r)
		return r;
	if (n.kind == SIM_NESTED_EPT) {
		n.eptp = d->nested_root | EPTP_MT_WB | EPTP_AD_ENABLE_MASK |
			 ((u64)(d->nested_level - 1) << EPTP_PWL_SHIFT);
		n.huge_page_level = PG_LEVEL_1G;
	} else if (n.kind == SIM_NESTED_NPT) {
		n.ncr3 = d->nested_root;
		n.host_level = d->nested_level;
		n.host_nx = true;
	}
	return sim_vcpu_set_nested(v, &n);
}

/* Fresh memory, nested root, kernel and address spaces; CR3 of @cur. */
static int build(struct run_sim *s)
{
	struct run_demand *d = &s->demand;
	u64 kflags = PT_WRITABLE_MASK | PT_GLOBAL_MASK;
	unsigned int i;
	u64 gva;
	int r;

	d->next_table = TABLE_BASE;
	d->next_l1 = TABLE_BASE;
	d->next_data = d->table_limit;
	if (d->nested_level) {
		r = alloc_l1_table(s, &d->nested_root);
		if (r)
			return r;
	}
	r = setup_regs(s);
	if (r)
		return r;
	if (d->kernel) {
		r = create_space(s, &d->kernel_root);
		if (!pt32(d))
			kflags |= PT64_NX_MASK;
		for (gva = kernel_base(d);
		     r >= 0 && gva < kernel_base(d) + KERNEL_SIZE;
		     gva += PAGE_SIZE)
			r = ensure_guest(s, d->kernel_root, gva, kflags);
		if (r < 0)
			return r;
	}
	for (i = 0; i < d->nr_procs; i++) {
		r = create_space(s, &d->procs[i].root);
		if (r)
			return r;
	}
	return sim_vcpu_set(&s->vcpu, SIM_REG_CR3, d->procs[d->cur].root);
}

/* Room for one more process, named "process N" until its input names it. */
static int grow_procs(struct run_demand *d)
{
	struct run_process *p;
	unsigned int cap;

	if (d->nr_procs == d->procs_cap) {
		cap = d->procs_cap ? d->procs_cap * 2 : 4;
		p = realloc(d->procs, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		d->procs = p;
		d->procs_cap = cap;
	}
	p = &d->procs[d->nr_procs];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "process %u", d->nr_procs + 1);
	d->nr_procs++;
	return 0;
}

void run_demand_destroy(struct run_demand *d)
{
	free(d->procs);
	d->procs = NULL;
	d->nr_procs = d->procs_cap = 0;
}

int run_demand_init(struct run_sim *s, unsigned int nr_procs, bool kernel,
		    bool (*protection)(const struct run_demand *d, u64 gva,
				       u64 *flags))
{
	struct run_demand *d = &s->demand;
	unsigned int i;
	int r;

	if (!nr_procs)
		return -EINVAL;
	run_demand_destroy(d);
	memset(d, 0, sizeof(*d));
	for (i = 0; i < nr_procs; i++) {
		r = grow_procs(d);
		if (r)
			return r;
	}
	d->enabled = true;
	d->level = s->cfg.mode_level ?: PT64_ROOT_4LEVEL;
	d->nested_level = run_config_nested_levels(&s->cfg);
	d->ngpa_offset = d->nested_level ? NESTED_NGPA_OFFSET : 0;
	if (d->level >= PT64_ROOT_4LEVEL) {
		d->table_limit = LARGE_TABLE_LIMIT;
		d->data_limit = LARGE_DATA_LIMIT;
	} else {
		d->table_limit = SMALL_TABLE_LIMIT;
		d->data_limit = SMALL_DATA_LIMIT;
	}
	d->l1_limit = L1_LIMIT;
	d->kernel = kernel;
	d->protection = protection;
	r = build(s);
	/* Room for more than the first tables, or every fault starts over. */
	if (r == -ENOSPC ||
	    (!r && tables_now(s) * 2 > s->cfg.max_table_pages)) {
		snprintf(s->error, sizeof(s->error),
			 "demand paging: --max-table-pages=%" PRIu64
			 " is too small: the first tables take %" PRIu64
			 " pages (at most half of it)",
			 s->cfg.max_table_pages, tables_now(s));
		return -ENOSPC;
	}
	return r;
}

/* Out of table pages: drop every table and start over, as a reclaim. */
static int reclaim(struct run_sim *s)
{
	int r;

	s->st.reclaims++;
	r = run_vcpu_reset(s);
	if (r)
		return r;
	r = build(s);
	if (r == -ENOSPC) {
		snprintf(s->error, sizeof(s->error),
			 "demand paging: --max-table-pages=%" PRIu64
			 " is too small for one access",
			 s->cfg.max_table_pages);
		return -ENOSPC;
	}
	if (r)
		return r;
	return run_cr3_written(s);
}

int run_demand_add_process(struct run_sim *s, unsigned int *proc)
{
	struct run_demand *d = &s->demand;
	int r;

	r = grow_procs(d);
	if (r)
		return r;
	*proc = d->nr_procs - 1;
	r = create_space(s, &d->procs[*proc].root);
	if (r != -ENOSPC)
		return r;
	/* The tables are full: start over, this process included. */
	r = reclaim(s);
	return r;
}

int run_demand_switch(struct run_sim *s, unsigned int proc)
{
	struct run_demand *d = &s->demand;
	int r;

	if (proc >= d->nr_procs)
		return -EINVAL;
	run_account_switch(s);
	if (s->recorder) {
		r = binary_trace_write_process(s->recorder, proc);
		if (r)
			return r;
	}
	d->cur = proc;
	r = sim_vcpu_set(&s->vcpu, SIM_REG_CR3, d->procs[proc].root);
	return r ?: run_cr3_written(s);
}

/* Fix the fault of s->res by mapping what is missing; -ENOSPC reclaims. */
static int fix_once(struct run_sim *s)
{
	const struct walk_fault *f = &s->res.fault;
	struct run_demand *d = &s->demand;
	u64 flags;

	switch (f->kind) {
	case WALK_FAULT_PF:
		if (f->error_code & (PFERR_PRESENT_MASK | PFERR_RSVD_MASK))
			return 0;
		if (!d->protection || !d->protection(d, f->address, &flags))
			return 0;
		if (pt32(d))
			flags &= ~PT64_NX_MASK;
		return ensure_guest(s, d->procs[d->cur].root, f->address,
				    flags);
	case WALK_FAULT_EPT_VIOLATION:
		if (f->exit_qualification &
		    (EPT_VIOLATION_PROT_READ | EPT_VIOLATION_PROT_WRITE |
		     EPT_VIOLATION_PROT_EXEC | EPT_VIOLATION_PROT_USER_EXEC))
			return 0;
		return ensure_nested(s, f->address);
	case WALK_FAULT_NPF:
		if (f->error_code & (PFERR_PRESENT_MASK | PFERR_RSVD_MASK))
			return 0;
		return ensure_nested(s, f->address);
	default:
		return 0;
	}
}

int run_demand_fix(struct run_sim *s)
{
	int r = fix_once(s);

	if (r != -ENOSPC)
		return r;
	r = reclaim(s);
	return r ?: 1;
}

int run_demand_unmap(struct run_sim *s, u64 gva)
{
	struct run_demand *d = &s->demand;
	u64 addr_mask = pt32(d) ? GENMASK_ULL(31, 12) : PT_BASE_ADDR_MASK;
	u64 table = d->procs[d->cur].root, e;
	int level = d->level, r;

	for (;; level--) {
		bool pdpte = d->level == PT32E_ROOT_LEVEL &&
			     level == PT32E_ROOT_LEVEL;
		u64 ent =
			table + guest_index(d, gva, level) * (pt32(d) ? 4 : 8);

		r = guest_read(s, ent, &e);
		if (r || !(e & PT_PRESENT_MASK))
			return r;
		if (level == PG_LEVEL_4K || (!pdpte && (e & PT_PAGE_SIZE_MASK)))
			return guest_write(s, ent, 0);
		table = e & addr_mask;
	}
}
