/*
 * mmusim run over mmusim's binary access trace (sim/input/binary_trace.h),
 * and the recording side of mmusim convert.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/input/binary_trace.h"
#include "sim/input/input.h"
#include "sim/input/trace_reader.h"
#include "sim/input_error.h"
#include "sim/run.h"
#include "sim/run_sweep_access.h"

/* Bytes asked of the reader at a time: a record fits many times over. */
#define BINARY_CHUNK 4096

/* Every page a process touches is user, writable and executable. */
static bool binary_protection(const struct run_demand *d, u64 gva, u64 *flags)
{
	(void)d;
	(void)gva;
	*flags = PT_PRESENT_MASK | PT_WRITABLE_MASK | PT_USER_MASK;
	return true;
}

/*
 * The processes of one file: its process ids and the run's process each
 * is.  A file's ids are its own: two files are different processes.
 */
struct binary_pids {
	u32 *pid;
	unsigned int *proc;
	unsigned int nr, cap;
};

/*
 * A new process in @s and in every configuration of its sweep (the same
 * index in each: they make the same processes in the same order).
 */
static int add_process(struct run_sim *s, unsigned int *proc)
{
	struct run_sim *t;
	unsigned int p;
	int r;

	for (t = s; t; t = t->sweep_next) {
		r = run_demand_add_process(t, &p);
		if (r)
			return r;
		if (t == s)
			*proc = p;
		MMU_WARN_ON(p != *proc);
	}
	return 0;
}

/* The run's process of the file's process @pid, made if new (*@made). */
static int pid_process(struct run_sim *s, struct binary_pids *m, u32 pid,
		       unsigned int *proc, bool *made)
{
	unsigned int i;
	void *p;
	int r;

	*made = false;
	for (i = 0; i < m->nr; i++) {
		if (m->pid[i] == pid) {
			*proc = m->proc[i];
			return 0;
		}
	}
	if (m->nr == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 8;
		p = realloc(m->pid, m->cap * sizeof(*m->pid));
		if (!p)
			return -ENOMEM;
		m->pid = p;
		p = realloc(m->proc, m->cap * sizeof(*m->proc));
		if (!p)
			return -ENOMEM;
		m->proc = p;
	}
	r = add_process(s, proc);
	if (r)
		return r;
	m->pid[m->nr] = pid;
	m->proc[m->nr++] = *proc;
	*made = true;
	return 0;
}

static void name_process(struct run_sim *s, unsigned int proc, const char *name,
			 u32 pid, bool with_pid)
{
	struct run_sim *t;

	for (t = s; t; t = t->sweep_next) {
		char *dst = t->demand.procs[proc].name;
		size_t size = sizeof(t->demand.procs[proc].name);

		if (with_pid)
			snprintf(dst, size, "%s pid %u", name, pid);
		else
			snprintf(dst, size, "%s", name);
	}
}

/* Run @proc on the running vCPU of @s and of every configuration. */
static int switch_process(struct run_sim *s, unsigned int proc)
{
	struct run_sim *t;
	int r;

	for (t = s; t; t = t->sweep_next) {
		if (proc == t->demand.cur)
			continue;
		r = run_demand_switch(t, proc);
		if (r)
			return r;
	}
	return 0;
}

static int control(struct run_sim *s, struct binary_pids *pids,
		   const char *file, const struct binary_record *rec)
{
	struct run_sim *t;
	unsigned int proc;
	bool made;
	int r;

	switch (rec->op) {
	case BINARY_OP_VCPU:
		for (t = s; t; t = t->sweep_next) {
			r = run_vcpus_grow(t, rec->id + 1);
			r = r ?: run_vcpu_switch(t, rec->id);
			if (r)
				return r;
		}
		return 0;
	case BINARY_OP_PRIVILEGE:
		/* The decoder keeps it. */
		return 0;
	case BINARY_OP_PROCESS:
	case BINARY_OP_NAME:
		r = pid_process(s, pids, rec->id, &proc, &made);
		if (r)
			return r;
		if (made)
			name_process(s, proc, file, rec->id, true);
		if (rec->op == BINARY_OP_NAME) {
			name_process(s, proc, rec->name, 0, false);
			return 0;
		}
		return switch_process(s, proc);
	case BINARY_NR_OPS:
		break;
	}
	return -EINVAL;
}

/* The first process of the file: pid 0, on the running vCPU. */
static int first_process(struct run_sim *s, struct binary_pids *pids,
			 const char *file)
{
	unsigned int proc = 0;
	struct run_sim *t;
	bool made;
	int r;

	if (!s->demand.enabled) {
		for (t = s; t; t = t->sweep_next) {
			r = run_demand_init(t, 1, false, binary_protection);
			if (r)
				return r;
		}
		pids->pid = malloc(8 * sizeof(*pids->pid));
		pids->proc = malloc(8 * sizeof(*pids->proc));
		if (!pids->pid || !pids->proc)
			return -ENOMEM;
		pids->cap = 8;
		pids->pid[0] = 0;
		pids->proc[0] = 0;
		pids->nr = 1;
	} else {
		r = pid_process(s, pids, 0, &proc, &made);
		r = r ?: switch_process(s, proc);
		if (r)
			return r;
	}
	name_process(s, proc, file, 0, true);
	return 0;
}

static int records(struct run_sim *s, struct trace_reader *r,
		   struct binary_pids *pids, struct run_sweep_memo *memo)
{
	static const enum sim_privilege priv[2] = { SIM_PRIV_USER,
						    SIM_PRIV_SUPERVISOR };

	struct binary_decoder dec;
	struct binary_record rec;
	char why[TRACE_ERROR_MAX];
	/* The offset in the input of data[0]. */
	u64 offset = 0;
	/* The privilege of the accesses, priv[dec.supervisor]. */
	enum sim_privilege cur_priv = SIM_PRIV_USER;
	const u8 *data, *p, *end, *fast_end;
	size_t len, stop;
	int n, ret;

	memset(&dec, 0, sizeof(dec));
	r->binary = true;
	ret = trace_reader_bytes(r, BINARY_TRACE_HEADER_LEN, &data, &len);
	if (ret)
		return ret;
	p = data;
	if (binary_check_header(data, len, why, sizeof(why)))
		goto bad;
	trace_reader_consume(r, BINARY_TRACE_HEADER_LEN);
	offset = BINARY_TRACE_HEADER_LEN;
	ret = first_process(s, pids, r->name);
	if (ret)
		return ret;

	for (;;) {
		ret = trace_reader_bytes(r, BINARY_CHUNK, &data, &len);
		if (ret)
			return ret;
		if (!len)
			return 0;
		if (unlikely(run_stop))
			return -EINTR;
		/*
		 * Decode while the longest record fits in the bytes at hand:
		 * near their end, ask for more (all of them at the end of
		 * the input).
		 */
		if (r->eof)
			stop = len;
		else if (len >= BINARY_NAME_RECORD_MAX)
			stop = len - BINARY_NAME_RECORD_MAX + 1;
		else
			stop = 0;
		/* Before here binary_decode_fast() has all the bytes it reads. */
		fast_end =
			data +
			(len > BINARY_FAST_BYTES ? len - BINARY_FAST_BYTES : 0);
		for (p = data, end = data + stop; p < end;) {
			unsigned int kind, fast = 0;
			u64 addr;
			u32 size;

			s->st.lines++;
			if (likely(p < fast_end))
				fast = binary_decode_fast(&dec, p, &kind, &addr,
							  &size);
			if (likely(fast)) {
				ret = run_sweep_guest_access(
					s, memo, kind, cur_priv, addr, size,
					kind == SIM_ACCESS_FETCH);
				if (unlikely(ret < 0))
					goto access_error;
				p += fast;
				continue;
			}
			n = binary_decode(&dec, p, data + len - p, &rec, why,
					  sizeof(why));
			if (n < 0)
				goto bad;
			if (!n) {
				input_why(why, sizeof(why),
					  "the trace ends inside a record");
				goto bad;
			}
			/* Only binary_decode() changes dec.supervisor. */
			cur_priv = priv[dec.supervisor];
			if (rec.kind == BINARY_KIND_CONTROL) {
				/* A switch reads the counters, changes caches. */
				run_sweep_sync(s, memo);
				run_sweep_forget(memo);
				ret = control(s, pids, r->name, &rec);
			} else {
				ret = run_sweep_guest_access(
					s, memo, rec.kind, priv[rec.supervisor],
					rec.addr, rec.size,
					rec.kind == SIM_ACCESS_FETCH);
			}
			if (unlikely(ret < 0))
				goto access_error;
			p += n;
		}
		offset += p - data;
		trace_reader_consume(r, p - data);
		run_progress(s, r->name);
	}
bad:
	return trace_reader_error_at_byte(r, offset + (p - data), "%s", why);
access_error:
	if (ret != -EINVAL)
		return ret;
	return trace_reader_error_at_byte(r, offset + (p - data), "%s",
					  s->error);
}

static int run_binary(struct run_sim *s, struct trace_reader *r)
{
	struct binary_pids pids = { 0 };
	struct run_sweep_memo memo;
	int ret;

	run_sweep_memo_init(&memo);
	ret = records(s, r, &pids, &memo);
	run_sweep_sync(s, &memo);
	free(pids.pid);
	free(pids.proc);
	return ret;
}

static int binary_detect_bytes(const u8 *data, size_t len, bool eof)
{
	if (len < BINARY_TRACE_MAGIC_LEN)
		return eof || memcmp(data, BINARY_TRACE_MAGIC, len) ? 0 :
								      -EAGAIN;
	return !memcmp(data, BINARY_TRACE_MAGIC, BINARY_TRACE_MAGIC_LEN);
}

const struct run_input_ops run_binary_input = {
	.name = "binary",
	.description = "mmusim's binary access trace (mmusim convert)",
	.noun = "binary input",
	.model = RUN_INPUT_ACCESSES,
	.options = RUN_INPUT_OPT_GUEST | RUN_INPUT_OPT_CACHES,
	.detect_bytes = binary_detect_bytes,
	.run = run_binary,
};

/* mmusim convert: the accesses and switches of any access input. */

int run_record_access(struct run_sim *s, enum sim_access_kind kind,
		      enum sim_privilege priv, u64 addr, u32 size)
{
	const struct run_demand *d = &s->demand;
	struct binary_trace_writer *w = s->recorder;
	int r = 0;

	if (d->cur < d->nr_procs)
		r = binary_trace_write_name(w, d->cur, d->procs[d->cur].name);
	return r     ?:
		       binary_trace_write_access(w, kind,
						 priv == SIM_PRIV_SUPERVISOR,
						 addr, size);
}
