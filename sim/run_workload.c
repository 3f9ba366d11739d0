/*
 * The built-in workload of mmusim run (docs/mmusim-run.md): a guest with
 * several processes, each with its own CR3, and a shared kernel, making a
 * seeded mix of instruction fetches and sequential, strided, random and
 * stack accesses, with a few unmaps and faults.
 */
#include <errno.h>

#include "sim/run.h"

#define NR_PROCS 4
#define SLICE 25000
#define UNMAP_PERIOD 100000
#define FAULT_PERIOD 200000

#define TEXT_SIZE 0x40000ULL
#define HEAP_SIZE 0x800000ULL
#define MMAP_SIZE 0x2000000ULL
#define STACK_SIZE 0x10000ULL
#define STRIDE (PAGE_SIZE + 64)

struct layout {
	u64 text;
	u64 heap;
	u64 mmap;
	u64 stack_top;
	u64 kernel;
};

struct proc {
	u64 loop_start;
	u64 pc;
	u64 heap_off;
	u64 stride_off;
};

/* What the workload schedules per vCPU: its process and its time slice. */
struct wl_vcpu {
	u64 done;
	u64 next_switch;
};

struct workload {
	struct run_sim *s;
	struct layout l;
	struct proc procs[NR_PROCS];
	/* The running vCPU's process. */
	unsigned int cur;
	u64 rng;
	u64 done;
	struct wl_vcpu vcpus[RUN_MAX_VCPUS];
};

static void layout_for(const struct run_demand *d, struct layout *l)
{
	/* Each region in its own 1G (4M) region: a leaf has one protection. */
	if (d->level >= PT64_ROOT_4LEVEL) {
		l->text = 0x400000;
		l->heap = 0x100000000ULL;
		l->mmap = 0x7f0000000000ULL;
		l->stack_top = 0x7ffffffff000ULL;
	} else {
		l->text = 0x8000000;
		l->heap = 0x10000000;
		l->mmap = 0x40000000;
		l->stack_top = 0xbffff000;
	}
	l->kernel = run_demand_kernel_base(d);
}

static bool in(u64 addr, u64 base, u64 size)
{
	return addr - base < size;
}

/* Text is read-only; heap, mmap and stack are writable, not executable. */
static bool builtin_protection(const struct run_demand *d, u64 gva, u64 *flags)
{
	struct layout l;

	layout_for(d, &l);
	*flags = PT_PRESENT_MASK | PT_USER_MASK;
	if (in(gva, l.text, TEXT_SIZE))
		return true;
	*flags |= PT_WRITABLE_MASK | PT64_NX_MASK;
	return in(gva, l.heap, HEAP_SIZE) || in(gva, l.mmap, MMAP_SIZE) ||
	       in(gva, l.stack_top - STACK_SIZE, STACK_SIZE);
}

/* xorshift64*: deterministic for a seed. */
static u64 next_random(struct workload *wl)
{
	u64 x = wl->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	wl->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static int one_access(struct workload *wl, enum sim_access_kind kind,
		      enum sim_privilege priv, u64 addr)
{
	struct run_sim *s = wl->s;
	struct sim_access a = { .kind = kind, .priv = priv, .addr = addr };
	int r;

	run_count_guest_access(s, kind);
	wl->done++;
	wl->vcpus[s->cur_vcpu].done++;
	r = run_access(s, &a);
	return r < 0 ? r : 0;
}

/* One data access of the current process, by the mix of the workload. */
static int data_access(struct workload *wl)
{
	struct proc *p = &wl->procs[wl->cur];
	u64 x = next_random(wl), addr;
	unsigned int pick = x % 100;
	bool write = (x >> 8) % 10 < 3;
	enum sim_privilege priv = SIM_PRIV_USER;

	if (pick < 40) {
		p->heap_off = (p->heap_off + 8) % HEAP_SIZE;
		addr = wl->l.heap + p->heap_off;
	} else if (pick < 55) {
		p->stride_off = (p->stride_off + STRIDE) % HEAP_SIZE;
		addr = wl->l.heap + p->stride_off;
	} else if (pick < 70) {
		addr = wl->l.mmap + ((x >> 16) % MMAP_SIZE & ~7ULL);
	} else if (pick < 95) {
		addr = wl->l.stack_top - 8 - ((x >> 16) % 4096 & ~7ULL);
		write = (x >> 8) % 2;
	} else {
		/* A system call: the kernel touches its own data. */
		addr = wl->l.kernel + ((x >> 16) % RUN_KERNEL_SIZE & ~7ULL);
		priv = SIM_PRIV_SUPERVISOR;
	}
	return one_access(wl, write ? SIM_ACCESS_WRITE : SIM_ACCESS_READ, priv,
			  addr);
}

static int fetch(struct workload *wl)
{
	struct proc *p = &wl->procs[wl->cur];
	u64 x;

	p->pc += 4;
	if (p->pc - p->loop_start >= 256) {
		p->pc = p->loop_start;
		x = next_random(wl);
		/* Now and then, another loop elsewhere in the text. */
		if (x % 64 == 0) {
			p->loop_start =
				wl->l.text + ((x >> 8) % TEXT_SIZE & ~255ULL);
			p->pc = p->loop_start;
		}
	}
	return one_access(wl, SIM_ACCESS_FETCH, SIM_PRIV_USER, p->pc);
}

/*
 * munmap() of one page of the mmap region: clear the PTE, INVLPG, and
 * the other vCPUs running the process do the same (a TLB shootdown).
 */
static int unmap(struct workload *wl)
{
	u64 addr =
		wl->l.mmap + (next_random(wl) % MMAP_SIZE & ~PAGE_OFFSET_MASK);
	int r = run_demand_unmap(wl->s, addr);

	r = r ?: run_invlpg(wl->s, addr);
	if (!r)
		run_vcpus_shootdown(wl->s, wl->cur, addr);
	return r;
}

/*
 * The vCPUs take turns of RUN_VCPU_QUANTUM accesses; each runs its
 * processes in turn, SLICE accesses of its own each, vCPU V starting on
 * process V.
 */
static int schedule(struct workload *wl, u64 *next_vcpu)
{
	struct run_sim *s = wl->s;
	struct wl_vcpu *v;
	int r;

	if (s->nr_vcpus > 1 && wl->done >= *next_vcpu) {
		*next_vcpu += RUN_VCPU_QUANTUM;
		r = run_vcpu_switch(s, (s->cur_vcpu + 1) % s->nr_vcpus);
		if (r)
			return r;
		wl->cur = s->demand.cur;
	}
	v = &wl->vcpus[s->cur_vcpu];
	if (v->done < v->next_switch)
		return 0;
	v->next_switch += SLICE;
	wl->cur = (wl->cur + 1) % NR_PROCS;
	return run_demand_switch(s, wl->cur);
}

/* Faults no demand paging fixes: a bad write, a bad read, a bad address. */
static int bad_accesses(struct workload *wl)
{
	int r;

	r = one_access(wl, SIM_ACCESS_WRITE, SIM_PRIV_USER, wl->l.text + 0x100);
	r = r ?: one_access(wl, SIM_ACCESS_READ, SIM_PRIV_USER, wl->l.kernel);
	if (!r && wl->s->demand.level >= PT64_ROOT_4LEVEL)
		r = one_access(wl, SIM_ACCESS_READ, SIM_PRIV_USER,
			       0x8000000000000000ULL);
	return r;
}

int run_builtin(struct run_sim *s)
{
	struct workload wl = { .s = s };
	u64 total = s->cfg.builtin_accesses;
	u64 next_vcpu = RUN_VCPU_QUANTUM, next_unmap = UNMAP_PERIOD;
	u64 next_fault = FAULT_PERIOD;
	unsigned int i;
	int r;

	r = run_demand_init(s, NR_PROCS, true, builtin_protection);
	r = r ?: run_vcpus_grow(s, s->cfg.nr_vcpus ?: 1);
	if (r)
		return r;
	for (i = 0; i < s->nr_vcpus; i++) {
		wl.vcpus[i].next_switch = SLICE;
		if (i != s->cur_vcpu)
			s->vcpus[i].proc = i % NR_PROCS;
	}
	layout_for(&s->demand, &wl.l);
	wl.rng = s->cfg.seed * 0x9e3779b97f4a7c15ULL + 1;
	for (i = 0; i < NR_PROCS; i++) {
		wl.procs[i].loop_start = wl.l.text + i * 0x1000;
		wl.procs[i].pc = wl.procs[i].loop_start;
	}

	while (wl.done < total && !r) {
		if (run_stop)
			return -EINTR;
		r = schedule(&wl, &next_vcpu);
		if (r)
			break;
		if (wl.done >= next_unmap) {
			next_unmap += UNMAP_PERIOD;
			r = unmap(&wl);
		}
		if (wl.done >= next_fault) {
			next_fault += FAULT_PERIOD;
			r = r ?: bad_accesses(&wl);
		}
		r = r ?: fetch(&wl);
		if (!r && next_random(&wl) % 2)
			r = data_access(&wl);
		if (!(wl.done % RUN_PROGRESS_LINES))
			run_progress(s, "built-in workload");
	}
	return r;
}
