/*
 * mmusim run: several vCPUs of one guest, each with its own translation
 * caches and CR3, sharing memory, tables and the MMU (docs/mmusim-run.md,
 * "vCPUs").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/input/binary_trace.h"
#include "sim/run.h"

int run_vcpus_init(struct run_sim *s)
{
	s->vcpus = calloc(1, sizeof(*s->vcpus));
	if (!s->vcpus)
		return -ENOMEM;
	s->nr_vcpus = 1;
	s->cur_vcpu = 0;
	return 0;
}

void run_vcpus_destroy(struct run_sim *s)
{
	unsigned int i;

	for (i = 0; i < s->nr_vcpus; i++)
		if (i != s->cur_vcpu)
			cache_model_destroy(&s->vcpus[i].caches);
	free(s->vcpus);
	s->vcpus = NULL;
	s->nr_vcpus = 0;
}

int run_vcpus_grow(struct run_sim *s, unsigned int n)
{
	const struct run_config *cfg = &s->cfg;
	struct run_vcpu *v;
	int r;

	if (n > RUN_MAX_VCPUS)
		return -EINVAL;
	if (n <= s->nr_vcpus)
		return 0;
	v = realloc(s->vcpus, n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->vcpus = v;
	while (s->nr_vcpus < n) {
		v = &s->vcpus[s->nr_vcpus];
		memset(v, 0, sizeof(*v));
		v->flush_requests_seen = run_remote_flush_requests(s);
		r = cache_model_init(&v->caches, &cfg->caches);
		if (r)
			return r;
		s->nr_vcpus++;
	}
	return 0;
}

u64 run_remote_flush_requests(const struct run_sim *s)
{
	const struct run_mmu_ops *ops = s->cfg.mmu;

	return ops && ops->remote_flushes && s->mmu ?
		       ops->remote_flushes(s->mmu) :
		       0;
}

int run_vcpu_switch(struct run_sim *s, unsigned int vcpu)
{
	struct run_demand *d = &s->demand;
	struct run_vcpu *from, *to;
	int r;

	if (vcpu >= s->nr_vcpus)
		return -EINVAL;
	if (vcpu == s->cur_vcpu)
		return 0;
	if (s->recorder) {
		r = binary_trace_write_vcpu(s->recorder, vcpu);
		if (r)
			return r;
	}
	run_account_switch(s);
	from = &s->vcpus[s->cur_vcpu];
	to = &s->vcpus[vcpu];
	from->caches = s->caches;
	from->proc = d->cur;
	from->flush_requests_seen = s->remote_flush_snap;
	s->caches = to->caches;
	s->cur_vcpu = vcpu;
	/*
	 * KVM's kvm_flush_remote_tlbs() makes every vCPU flush its TLB, all
	 * PCIDs and globals, and its EPT/NPT contexts, before it enters the
	 * guest again.  A waiting vCPU runs nothing in between, so its caches
	 * are flushed when it runs next: once for any number of requests.
	 */
	if (to->flush_requests_seen != s->remote_flush_snap) {
		cache_model_flush_nested(&s->caches);
		cache_model_flush(&s->caches, true);
	}
	if (!d->enabled || to->proc == d->cur)
		return 0;
	d->cur = to->proc;
	r = sim_vcpu_set(&s->vcpu, SIM_REG_CR3, d->procs[d->cur].root);
	return r ?: run_mmu_cr3(s);
}

void run_vcpus_flush_waiting(struct run_sim *s)
{
	unsigned int i;

	for (i = 0; i < s->nr_vcpus; i++) {
		if (i == s->cur_vcpu)
			continue;
		cache_model_flush_nested(&s->vcpus[i].caches);
		cache_model_flush(&s->vcpus[i].caches, true);
	}
}

void run_vcpus_shootdown(struct run_sim *s, unsigned int proc, u64 gva)
{
	unsigned int i;

	for (i = 0; i < s->nr_vcpus; i++) {
		if (i == s->cur_vcpu || s->vcpus[i].proc != proc)
			continue;
		s->st.invlpg++;
		cache_model_invlpg(&s->vcpus[i].caches, gva);
	}
}
