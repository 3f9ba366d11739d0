/*
 * mmusim run: the counters of each process and each vCPU, split off the
 * totals at every switch (docs/mmusim-run.md, "Processes" and "vCPUs").
 */
#include <inttypes.h>

#include "sim/output_escape.h"
#include "sim/run.h"

void run_account_switch(struct run_sim *s)
{
	struct run_demand *d = &s->demand;
	struct run_counts *snap = &s->split_snap;
	struct run_counts *p = d->cur < d->nr_procs ? &d->procs[d->cur].counts :
						      NULL;
	struct run_vcpu *v = &s->vcpus[s->cur_vcpu];
	u64 flushes = run_remote_flush_requests(s);

#define ACCOUNT(f)                                 \
	do {                                       \
		if (p)                             \
			p->f += s->st.f - snap->f; \
		v->counts.f += s->st.f - snap->f;  \
		snap->f = s->st.f;                 \
	} while (0)
	RUN_SPLIT_COUNTERS(ACCOUNT);
#undef ACCOUNT
	v->remote_flush_requests += flushes - s->remote_flush_snap;
	s->remote_flush_snap = flushes;
}

void run_process_counts(const struct run_sim *s, unsigned int proc,
			struct run_counts *out)
{
	const struct run_demand *d = &s->demand;
	bool running = proc == d->cur;

#define COUNT(f)                           \
	out->f = d->procs[proc].counts.f + \
		 (running ? s->st.f - s->split_snap.f : 0)
	RUN_SPLIT_COUNTERS(COUNT);
#undef COUNT
}

void run_vcpu_counts(const struct run_sim *s, unsigned int vcpu,
		     struct run_counts *out, u64 *remote_flush_requests)
{
	const struct run_vcpu *v = &s->vcpus[vcpu];
	bool running = vcpu == s->cur_vcpu;

#define COUNT(f) \
	out->f = v->counts.f + (running ? s->st.f - s->split_snap.f : 0)
	RUN_SPLIT_COUNTERS(COUNT);
#undef COUNT
	*remote_flush_requests = v->remote_flush_requests;
	if (running)
		*remote_flush_requests +=
			run_remote_flush_requests(s) - s->remote_flush_snap;
}

static double percent(u64 part, u64 whole)
{
	return whole ? 100.0 * part / whole : 0.0;
}

void run_report_split_text(FILE *out, const struct run_sim *s)
{
	const struct run_demand *d = &s->demand;
	struct run_counts c;
	unsigned int i;

	u64 requests, total = run_remote_flush_requests(s);

	if (s->nr_vcpus > 1) {
		fprintf(out,
			"  vCPUs           %u: MMU flush requests %" PRIu64
			", remote TLB flushes %" PRIu64 "\n",
			s->nr_vcpus, total, total * (s->nr_vcpus - 1));
		for (i = 0; i < s->nr_vcpus; i++) {
			run_vcpu_counts(s, i, &c, &requests);
			fprintf(out,
				"    vCPU %-17u accesses %" PRIu64
				", TLB hits %" PRIu64
				" (%.2f%%), misses %" PRIu64 ", walks %" PRIu64
				", refs %" PRIu64 ", faults %" PRIu64
				", remote TLB flushes sent %" PRIu64 "\n",
				i, c.accesses, c.tlb_hits,
				percent(c.tlb_hits, c.translations),
				c.tlb_misses, c.walks,
				c.guest_refs + c.nested_refs, c.faults,
				requests * (s->nr_vcpus - 1));
		}
	}
	if (!d->nr_procs)
		return;
	fprintf(out, "  processes       %u\n", d->nr_procs);
	for (i = 0; i < d->nr_procs; i++) {
		run_process_counts(s, i, &c);
		fprintf(out,
			"    %-22s cr3 0x%" PRIx64 ": accesses %" PRIu64
			", TLB hits %" PRIu64 " (%.2f%%), misses %" PRIu64
			", walks %" PRIu64 ", refs %" PRIu64 ", faults %" PRIu64
			"\n",
			d->procs[i].name, d->procs[i].root, c.accesses,
			c.tlb_hits, percent(c.tlb_hits, c.translations),
			c.tlb_misses, c.walks, c.guest_refs + c.nested_refs,
			c.faults);
	}
}

static void json_counts(FILE *out, const struct run_counts *c)
{
#define JSON_COUNT(f) fprintf(out, ", \"" #f "\": %" PRIu64, c->f)
	RUN_SPLIT_COUNTERS(JSON_COUNT);
#undef JSON_COUNT
}

void run_report_split_json(FILE *out, const struct run_sim *s)
{
	const struct run_demand *d = &s->demand;
	struct run_counts c;
	unsigned int i;
	u64 requests;

	fprintf(out, "  \"processes\": [");
	for (i = 0; i < d->nr_procs; i++) {
		run_process_counts(s, i, &c);
		fprintf(out, "%s\n    {\"name\": ", i ? "," : "");
		json_put_string(out, d->procs[i].name);
		fprintf(out, ", \"cr3\": \"0x%" PRIx64 "\"", d->procs[i].root);
		json_counts(out, &c);
		fprintf(out, "}");
	}
	fprintf(out, "%s],\n", d->nr_procs ? "\n  " : "");

	fprintf(out, "  \"vcpus\": [");
	for (i = 0; i < s->nr_vcpus; i++) {
		run_vcpu_counts(s, i, &c, &requests);
		fprintf(out, "%s\n    {\"id\": %u", i ? "," : "", i);
		json_counts(out, &c);
		fprintf(out,
			", \"remote_flush_requests\": %" PRIu64
			", \"remote_tlb_flushes\": %" PRIu64 "}",
			requests, requests * (s->nr_vcpus - 1));
	}
	fprintf(out, "\n  ],\n");
}
