/*
 * mmusim's binary trace: encoding against decoding on seeded random
 * records, replay of processes and vCPUs, truncated and damaged input,
 * and mmusim convert's round trip (convert, then replay: the same report).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "mmusim_cmd.h"
#include "run_setup.h"
#include "sim/caches_config.h"
#include "sim/input/binary_trace.h"
#include "sim/input/input.h"
#include "sim/input/trace_reader.h"
#include "sim/run.h"

static struct run_sim sim;

/* A trace written by @fill through the writer: its bytes in *@len. */
static char *write_trace(void (*fill)(struct binary_trace_writer *w),
			 size_t *len)
{
	struct binary_trace_writer w;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	cr_assert_not_null(f);
	cr_assert_eq(binary_trace_writer_open(&w, f), 0);
	fill(&w);
	cr_assert_eq(binary_trace_writer_close(&w), 0);
	cr_assert_eq(fclose(f), 0);
	return buf;
}

/* Replay @len bytes at @data as binary input: the input's return. */
static int replay(const char *data, size_t len, char *error, size_t size)
{
	struct run_config cfg;
	struct trace_reader r;
	int ret;

	run_config_init(&cfg);
	cfg.input = &run_binary_input;
	cr_assert_eq(run_sim_init(&sim, &cfg), 0);
	cr_assert_eq(trace_reader_open_mem(&r, data, len, "t"), 0);
	ret = run_binary_input.run(&sim, &r);
	if (error)
		snprintf(error, size, "%s", r.error[0] ? r.error : sim.error);
	trace_reader_close(&r);
	return ret;
}

static u64 rng = 0x62696e617279ULL;

static u64 next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

#define NR_RANDOM 20000

struct sent {
	bool control;
	unsigned int kind;
	bool supervisor;
	u64 addr;
	u32 size;
};

static struct sent sent[NR_RANDOM];

/* Sizes and addresses of every shape: near, far, next, wide, huge. */
static void fill_random(struct binary_trace_writer *w)
{
	static const u32 sizes[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 4096 };
	u64 prev = 0;
	int i;

	for (i = 0; i < NR_RANDOM; i++) {
		struct sent *e = &sent[i];
		u64 x = next_random();

		e->kind = x % 3;
		e->supervisor = (x >> 2) % 16 == 0;
		e->size = sizes[(x >> 8) % ARRAY_SIZE(sizes)];
		switch ((x >> 16) % 5) {
		case 0:
			e->addr = prev + (i ? sent[i - 1].size : 0);
			break;
		case 1:
			e->addr = prev + ((x >> 24) & 0xff) - 0x80;
			break;
		case 2:
			e->addr = next_random();
			break;
		case 3:
			e->addr = 0x7f0000000000ULL + ((x >> 24) & 0xfffff);
			break;
		default:
			e->addr = (x >> 63) ? ~0ULL - (x & 0xfff) : x & 0xfff;
			break;
		}
		prev = e->addr;
		cr_assert_eq(binary_trace_write_access(w, e->kind,
						       e->supervisor, e->addr,
						       e->size),
			     0);
	}
}

Test(binary_trace, random_records_decode_to_what_was_written)
{
	struct binary_decoder dec;
	struct binary_record rec;
	char why[200];
	size_t len, pos = BINARY_TRACE_HEADER_LEN;
	char *buf = write_trace(fill_random, &len);
	int i, n;

	memset(&dec, 0, sizeof(dec));
	cr_assert_eq(
		binary_check_header((const u8 *)buf, len, why, sizeof(why)), 0);
	for (i = 0; i < NR_RANDOM; i++) {
		do {
			n = binary_decode(&dec, (const u8 *)buf + pos,
					  len - pos, &rec, why, sizeof(why));
			cr_assert_gt(n, 0, "record %d: %d %s", i, n, why);
			pos += n;
			/* Privilege switches come before the access. */
		} while (rec.kind == BINARY_KIND_CONTROL &&
			 rec.op == BINARY_OP_PRIVILEGE);
		cr_assert_eq(rec.kind, sent[i].kind, "record %d", i);
		cr_assert_eq(rec.addr, sent[i].addr, "record %d", i);
		cr_assert_eq(rec.size, sent[i].size, "record %d", i);
		cr_assert_eq(rec.supervisor, sent[i].supervisor, "record %d",
			     i);
	}
	cr_assert_eq(pos, len);
	free(buf);
}

Test(binary_trace, the_fast_decoder_agrees_with_the_decoder)
{
	struct binary_decoder a, b;
	struct binary_record rec;
	char why[200];
	size_t len, pos = BINARY_TRACE_HEADER_LEN;
	char *buf = write_trace(fill_random, &len);
	unsigned int kind;
	u64 addr;
	u32 size;
	int n, fast = 0;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	while (pos < len) {
		const u8 *p = (const u8 *)buf + pos;

		n = 0;
		if (len - pos > BINARY_FAST_BYTES)
			n = binary_decode_fast(&a, p, &kind, &addr, &size);
		if (n) {
			fast++;
			cr_assert_eq(binary_decode(&b, p, len - pos, &rec, why,
						   sizeof(why)),
				     n);
			cr_assert_eq(rec.kind, kind);
			cr_assert_eq(rec.addr, addr);
			cr_assert_eq(rec.size, size);
		} else {
			n = binary_decode(&b, p, len - pos, &rec, why,
					  sizeof(why));
			cr_assert_gt(n, 0);
			cr_assert_eq(binary_decode(&a, p, len - pos, &rec, why,
						   sizeof(why)),
				     n);
		}
		pos += n;
	}
	cr_assert_gt(fast, NR_RANDOM / 2);
	free(buf);
}

#define NR_MUTATED 20000

/*
 * Records of every form with random bytes after their first byte: "next"
 * or a difference of 1 to 10 bytes, a size code or a size of 1 to 3
 * bytes (0 and over 4096 too), at the end of the bytes or not.  Where the
 * fast decoder takes a record, the decoder takes it the same, from the
 * same state.
 */
Test(binary_trace, the_fast_decoder_agrees_on_any_bytes)
{
	struct binary_decoder a, b;
	struct binary_record rec;
	u8 buf[BINARY_RECORD_MAX + 4];
	char why[200];
	unsigned int kind;
	int i, j, n, m, fast = 0;
	u64 addr;
	u32 size;

	memset(&a, 0, sizeof(a));
	for (i = 0; i < NR_MUTATED; i++) {
		u64 x = next_random();
		/* Continuation bits for the first 1..10 bytes after it. */
		unsigned int more = x % 11;
		size_t len = 1 + (x >> 8) % (sizeof(buf) - 1);

		buf[0] = x >> 16;
		for (j = 1; j < (int)sizeof(buf); j++) {
			u64 y = next_random();

			/* Zeros often: a size of 0, a difference of 0. */
			buf[j] = y % 8 ? (y >> 8) & 0x7f : 0;
			if (j < (int)more || (x >> 24) % 4 == 0)
				buf[j] |= (y >> 16) & 0x80;
		}
		b = a;
		n = 0;
		if (len > BINARY_FAST_BYTES)
			n = binary_decode_fast(&a, buf, &kind, &addr, &size);
		/* Nothing taken: the state is as it was. */
		if (!n)
			cr_assert_eq(memcmp(&a.slots, &b.slots,
					    sizeof(a.slots)),
				     0, "record %d", i);
		m = binary_decode(&b, buf, len, &rec, why, sizeof(why));
		if (!n) {
			if (m > 0)
				a = b;
			continue;
		}
		fast++;
		cr_assert_eq(m, n, "record %d: %d %s", i, m, why);
		cr_assert_eq(rec.kind, kind, "record %d", i);
		cr_assert_eq(rec.addr, addr, "record %d", i);
		cr_assert_eq(rec.size, size, "record %d", i);
		cr_assert_eq(memcmp(&a.slots, &b.slots, sizeof(a.slots)), 0,
			     "record %d", i);
	}
	cr_assert_gt(fast, NR_MUTATED / 4);
}

/*
 * Two vCPUs, two processes: vCPU 0 runs pid 7 on 0x1000, vCPU 1 runs
 * pid 9 on the same address and then pid 7, as the binary format says.
 */
static void fill_vcpus(struct binary_trace_writer *w)
{
	cr_assert_eq(binary_trace_write_name(w, 0, "init"), 0);
	cr_assert_eq(binary_trace_write_access(w, SIM_ACCESS_READ, false,
					       0x1000, 8),
		     0);
	cr_assert_eq(binary_trace_write_vcpu(w, 1), 0);
	cr_assert_eq(binary_trace_write_process(w, 9), 0);
	cr_assert_eq(binary_trace_write_access(w, SIM_ACCESS_READ, false,
					       0x1000, 8),
		     0);
	cr_assert_eq(binary_trace_write_process(w, 0), 0);
	cr_assert_eq(binary_trace_write_access(w, SIM_ACCESS_WRITE, false,
					       0x1008, 8),
		     0);
	cr_assert_eq(binary_trace_write_vcpu(w, 0), 0);
	cr_assert_eq(binary_trace_write_access(w, SIM_ACCESS_FETCH, true,
					       0x1010, 4),
		     0);
}

Test(binary_trace, processes_and_vcpus_replay_as_recorded)
{
	struct run_counts c;
	size_t len;
	char *buf = write_trace(fill_vcpus, &len);
	u64 requests;

	cr_assert_eq(replay(buf, len, NULL, 0), 0, "%s", sim.error);
	cr_assert_eq(sim.nr_vcpus, 2);
	cr_assert_eq(sim.demand.nr_procs, 2);
	cr_assert_str_eq(sim.demand.procs[0].name, "init");
	cr_assert_str_eq(sim.demand.procs[1].name, "t pid 9");
	cr_assert_eq(sim.st.accesses, 4);
	cr_assert_eq(sim.st.fetches, 1);
	/* Pid 9 is a new process: its own tables, a fault of its own. */
	cr_assert_eq(sim.st.faults, 2);
	/* The switches to pid 9 and back to pid 0 on vCPU 1. */
	cr_assert_eq(sim.st.cr3_writes, 2);
	run_vcpu_counts(&sim, 1, &c, &requests);
	cr_assert_eq(c.accesses, 2);
	cr_assert_eq(c.tlb_misses, 2);
	run_vcpu_counts(&sim, 0, &c, &requests);
	cr_assert_eq(c.accesses, 2);
	/* vCPU 0's TLB kept 0x1000's page for the supervisor fetch. */
	cr_assert_eq(c.tlb_misses, 1);
	cr_assert_eq(c.tlb_hits, 1);
	run_sim_destroy(&sim);
	free(buf);
}

static void fill_small(struct binary_trace_writer *w)
{
	cr_assert_eq(binary_trace_write_access(w, SIM_ACCESS_READ, false,
					       0x7ff000123456ULL, 8),
		     0);
	cr_assert_eq(binary_trace_write_vcpu(w, 3), 0);
	cr_assert_eq(binary_trace_write_access(w, SIM_ACCESS_WRITE, false,
					       0x1000, 100),
		     0);
}

Test(binary_trace, a_truncated_trace_names_the_byte_of_the_cut_record)
{
	size_t len, cut, starts[] = { 16, 24, 26 };
	char *buf = write_trace(fill_small, &len);
	char error[600], want[300];
	unsigned int i;

	/* read: 1 + 7 bytes; vcpu: 2; write: 1 + 2 (delta) + 1 (size 100). */
	cr_assert_eq(len, 30);
	for (cut = 0; cut < len; cut++) {
		int ret = replay(buf, cut, error, sizeof(error));

		if (cut < BINARY_TRACE_HEADER_LEN) {
			snprintf(
				want, sizeof(want),
				"t: byte 0: the header is cut short (%zu of 16 bytes)",
				cut);
		} else {
			for (i = 0;
			     i + 1 < ARRAY_SIZE(starts) && starts[i + 1] <= cut;
			     i++)
				;
			snprintf(want, sizeof(want),
				 "t: byte %zu: the trace ends inside a record",
				 starts[i]);
			/* Cut between records: a shorter trace. */
			if (cut == starts[i]) {
				cr_assert_eq(ret, 0, "cut at %zu: %s", cut,
					     error);
				run_sim_destroy(&sim);
				continue;
			}
		}
		cr_assert_eq(ret, -EINVAL, "cut at %zu", cut);
		cr_assert_str_eq(error, want, "cut at %zu", cut);
		run_sim_destroy(&sim);
	}
	cr_assert_eq(replay(buf, len, error, sizeof(error)), 0, "%s", error);
	run_sim_destroy(&sim);
	free(buf);
}

Test(binary_trace, a_bad_header_or_record_is_an_error_at_its_byte)
{
	static const struct {
		const char *bytes;
		size_t len;
		const char *message;
	} cases[] = {
		{ "mmusim-trace\n\x02\0\0", 16,
		  "t: byte 0: version 2; this mmusim reads version 1" },
		{ "mmusim-trace\n\x01\x01\0", 16,
		  "t: byte 0: unknown flags 0x0001 in the header" },
		{ "mmusim-trice\n\x01\0\0", 16,
		  "t: byte 0: not an mmusim binary trace (bad magic)" },
		{ "mmusim-trace\n\x01\0\0\x13", 17,
		  "t: byte 16: unknown control record 4" },
		{ "mmusim-trace\n\x01\0\0\x07\xac\x02", 19,
		  "t: byte 16: vCPU id 300 is out of range" },
		{ "mmusim-trace\n\x01\0\0\x0f\x02", 18,
		  "t: byte 16: privilege id 2 is out of range" },
		{ "mmusim-trace\n\x01\0\0\x0b\x00\x41", 19,
		  "t: byte 16: process name of 65 bytes (at most 63)" },
		{ "mmusim-trace\n\x01\0\0\x00\x00\x00", 19,
		  "t: byte 16: access size 0 is out of range 1..4096" },
		{ "mmusim-trace\n\x01\0\0\x00\x00\x81\x40", 20,
		  "t: byte 16: access size 8193 is out of range 1..4096" },
		{ "mmusim-trace\n\x01\0\0\x04\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02",
		  27, "t: byte 16: a number longer than 64 bits" },
	};
	char error[600];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		cr_assert_eq(replay(cases[i].bytes, cases[i].len, error,
				    sizeof(error)),
			     -EINVAL, "case %u", i);
		cr_assert_str_eq(error, cases[i].message, "case %u", i);
		run_sim_destroy(&sim);
	}
}

Test(binary_trace, a_bad_header_stops_the_run_even_with_keep_going)
{
	static const char bad[] = "mmusim-trice\n\x01\0\0";
	const char *args[] = { "--format=binary", "--keep-going", "-", NULL };
	struct mmusim_cmd_result r;

	mmusim_cmd_run(MMUSIM_BIN, "run", args, bad, sizeof(bad) - 1, &r);
	/* Nothing after a bad header can be read: no line to skip to. */
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert_not_null(
		strstr(r.err,
		       ": byte 0: not an mmusim binary trace (bad magic)"),
		"%s", r.err);
	cr_assert_not_null(strstr(r.out, "stopped by bad input"), "%s", r.out);
	mmusim_cmd_result_free(&r);
}

static char *temp_path(const char *suffix)
{
	char *path = NULL;

	cr_assert_gt(asprintf(&path, "/tmp/mmusim-binary-test-%d%s",
			      (int)getpid(), suffix),
		     0);
	return path;
}

/* The report without its first line and its "lines" line. */
static const char *report_body(const char *out)
{
	const char *p = strstr(out, "\n  accesses ");

	cr_assert_not_null(p, "%s", out);
	return p;
}

Test(binary_trace, convert_then_replay_gives_the_same_report)
{
	const char *lackey = MMUSIM_TEST_DATA "/lackey-true.txt";
	char *out = temp_path(".mmt");
	const char *const convert[] = { lackey, lackey, out, NULL };
	const char *const run_lackey[] = { "--no-timing", "--mmu=shadow",
					   lackey, lackey, NULL };
	const char *const run_binary[] = { "--no-timing", "--mmu=shadow", out,
					   NULL };
	struct mmusim_cmd_result c, a, b;
	FILE *f;
	long size;

	mmusim_cmd_run(MMUSIM_BIN, "convert", convert, NULL, 0, &c);
	cr_assert_eq(c.status, 0, "%s", c.err);
	f = fopen(out, "rb");
	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	/* bin/true's 3000 lines, twice: 85,576 bytes of text. */
	cr_assert_lt(size * 5, 85576, "%ld bytes", size);

	mmusim_cmd_run(MMUSIM_BIN, "run", run_lackey, NULL, 0, &a);
	mmusim_cmd_run(MMUSIM_BIN, "run", run_binary, NULL, 0, &b);
	cr_assert_eq(a.status, 0, "%s", a.err);
	cr_assert_eq(b.status, 0, "%s", b.err);
	cr_assert_str_eq(report_body(a.out), report_body(b.out));
	cr_assert_not_null(strstr(b.out, "(binary)\n"));
	cr_assert_not_null(strstr(b.out, "\n    " MMUSIM_TEST_DATA
					 "/lackey-true.txt cr3 "));
	mmusim_cmd_result_free(&a);
	mmusim_cmd_result_free(&b);
	mmusim_cmd_result_free(&c);
	unlink(out);
	free(out);
}

Test(binary_trace, convert_refuses_walks_and_scenarios)
{
	char *out = temp_path(".refused");
	const char *const kvm[] = { MMUSIM_KVM_DATA "/kvmmmu-sweep.txt", out,
				    NULL };
	struct mmusim_cmd_result r;

	mmusim_cmd_run(MMUSIM_BIN, "convert", kvm, NULL, 0, &r);
	cr_assert_eq(r.status, 2);
	cr_assert_str_eq(
		r.err,
		"mmusim: " MMUSIM_KVM_DATA
		"/kvmmmu-sweep.txt: kvmmmu input holds no access trace: it has no binary form\n");
	cr_assert_eq(access(out, F_OK), -1);
	mmusim_cmd_result_free(&r);
	free(out);
}

/* Each summary of a sweep, from its accesses line to the next summary. */
static void assert_same_summaries(char *a, char *b)
{
	char *pa = a, *pb = b, *ea, *eb;
	int n = 0;

	for (;;) {
		pa = strstr(pa, "\n  accesses ");
		pb = strstr(pb, "\n  accesses ");
		if (!pa || !pb)
			break;
		ea = strstr(pa, "\nmmusim run: ");
		eb = strstr(pb, "\nmmusim run: ");
		if (ea)
			*ea = '\0';
		if (eb)
			*eb = '\0';
		cr_assert_str_eq(pa, pb, "summary %d", n);
		n++;
		if (!ea || !eb)
			break;
		pa = ea + 1;
		pb = eb + 1;
	}
	cr_assert_eq(n, 2);
	cr_assert_null(pa ? strstr(pa + 1, "\n  accesses ") : NULL);
}

Test(binary_trace, a_sweep_over_a_binary_trace_matches_the_text)
{
	const char *lackey = MMUSIM_TEST_DATA "/lackey-true.txt";
	char *out = temp_path(".sweep.mmt");
	const char *const convert[] = { lackey, out, NULL };
	const char *const run_lackey[] = { "--no-timing",
					   "--sweep=tlb.l1d.entries=4,1024",
					   lackey, NULL };
	const char *const run_binary[] = { "--no-timing",
					   "--sweep=tlb.l1d.entries=4,1024",
					   out, NULL };
	struct mmusim_cmd_result c, a, b;

	mmusim_cmd_run(MMUSIM_BIN, "convert", convert, NULL, 0, &c);
	cr_assert_eq(c.status, 0, "%s", c.err);
	mmusim_cmd_run(MMUSIM_BIN, "run", run_lackey, NULL, 0, &a);
	mmusim_cmd_run(MMUSIM_BIN, "run", run_binary, NULL, 0, &b);
	cr_assert_eq(a.status, 0, "%s", a.err);
	cr_assert_eq(b.status, 0, "%s", b.err);
	assert_same_summaries(a.out, b.out);
	mmusim_cmd_result_free(&a);
	mmusim_cmd_result_free(&b);
	mmusim_cmd_result_free(&c);
	unlink(out);
	free(out);
}

/*
 * A sweep over a binary trace against each configuration run alone: the
 * reader hands every access and every switch of process, vCPU or
 * privilege to each configuration.  Every count, in total and per
 * process and vCPU, must be what the configuration's own run gives; also
 * when a bad record stops the trace after the accesses before it.
 */
#define SWEEP_ACCESSES 5000
#define SWEEP_CONFIGS 4

static void fill_sweep(struct binary_trace_writer *w)
{
	u64 x = 12345;
	int i;

	for (i = 0; i < SWEEP_ACCESSES; i++) {
		u64 page, offset;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		if (i % 700 == 350)
			cr_assert_eq(binary_trace_write_process(w, i / 700 % 3),
				     0);
		if (i % 1100 == 1099)
			cr_assert_eq(binary_trace_write_vcpu(w, i / 1100 % 2),
				     0);
		/* Mostly a few hot pages, now and then one of 512. */
		page = (x >> 60) < 12 ? (x >> 33) % 24 : (x >> 33) % 512;
		page = (page & 63) | (page >> 6) << 9;
		offset = (x >> 20) % PAGE_SIZE;
		/* Now and then at the end of the page: some cross it. */
		if ((x >> 44) % 16 == 0)
			offset = PAGE_SIZE - 4;
		cr_assert_eq(binary_trace_write_access(
				     w, (x >> 16) % 3, (x >> 40) % 64 == 0,
				     0x400000 + (page << PAGE_SHIFT) + offset,
				     1 + (x >> 8) % 8),
			     0);
	}
}

/*
 * Accesses as programs make them: fetches that stay in one page of code
 * for a while, reads and writes that stay in one page of data for a
 * shorter while, now and then as the supervisor, so that most accesses
 * are of a page every configuration has as its side's last hit
 * (sim/run_sweep_access.h).  In between: switches, page crossings,
 * first writes to pages read before, and pages of one set of the small
 * TLBs taking each other's place.
 */
static void fill_sweep_runs(struct binary_trace_writer *w)
{
	u64 x = 54321, code = 0, data = 64;
	bool supervisor = false;
	int i;

	for (i = 0; i < SWEEP_ACCESSES; i++) {
		unsigned int kind = SIM_ACCESS_FETCH;
		u64 *page = &code, offset;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		if (i % 700 == 350)
			cr_assert_eq(binary_trace_write_process(w, i / 700 % 3),
				     0);
		if (i % 1100 == 1099)
			cr_assert_eq(binary_trace_write_vcpu(w, i / 1100 % 2),
				     0);
		if ((x >> 56) % 32 == 0)
			supervisor = !supervisor;
		if ((x >> 16) % 2) {
			kind = (x >> 17) % 3 ? SIM_ACCESS_READ :
					       SIM_ACCESS_WRITE;
			page = &data;
		}
		/* A new page: code now and then, data more often. */
		if ((x >> 60) < (page == &code ? 1 : 3))
			*page = (page == &code ? 0 : 64) + (x >> 33) % 40;
		offset = (x >> 20) % PAGE_SIZE;
		if ((x >> 44) % 64 == 0)
			offset = PAGE_SIZE - 4;
		cr_assert_eq(binary_trace_write_access(
				     w, kind, supervisor,
				     0x400000 + (*page << PAGE_SHIFT) + offset,
				     1 + (x >> 8) % 8),
			     0);
	}
}

static void sweep_init(struct run_sim *s, const char *const *sets)
{
	struct run_config cfg;

	run_config_init(&cfg);
	cfg.input = &run_binary_input;
	init_run_sim_with_sets(s, &cfg, sets);
}

/* Replay @len bytes at @data through @s: @ret and @error expected. */
static void sweep_replay(struct run_sim *s, const char *data, size_t len,
			 int ret, const char *error)
{
	struct trace_reader r;

	cr_assert_eq(trace_reader_open_mem(&r, data, len, "t"), 0);
	cr_assert_eq(run_binary_input.run(s, &r), ret, "%s", r.error);
	if (error)
		cr_assert_str_eq(r.error, error);
	trace_reader_close(&r);
}

/* The --set keys of each configuration of a sweep. */
typedef const char *const sweep_sets[SWEEP_CONFIGS][4];

static const sweep_sets sweep_policies = {
	{ "tlb.l1d.entries=16", "tlb.l1d.policy=roundrobin", NULL },
	{ "tlb.l1d.entries=16", "tlb.l1d.policy=lru", NULL },
	{ "tlb.l1d.entries=8", "tlb.l1d.policy=plru", NULL },
	{ "tlb.l1d.entries=32", "tlb.l1d.policy=random", NULL },
};

/*
 * @len bytes at @data replayed @files times, as mmusim run replays that
 * many files (each with processes of its own), through a sweep of
 * @sets and through each configuration alone.
 */
static void sweep_equals_separate_runs(const char *data, size_t len, int ret,
				       const char *error,
				       const sweep_sets *sets,
				       unsigned int files)
{
	static struct run_sim swept[SWEEP_CONFIGS], alone;
	struct run_counts a, b;
	unsigned int i, p, f;
	u64 fa, fb;

	for (i = 0; i < SWEEP_CONFIGS; i++) {
		sweep_init(&swept[i], (*sets)[i]);
		if (i)
			swept[i - 1].sweep_next = &swept[i];
	}
	for (f = 0; f < files; f++)
		sweep_replay(&swept[0], data, len, ret, error);
	for (i = 0; i < SWEEP_CONFIGS; i++) {
		sweep_init(&alone, (*sets)[i]);
		for (f = 0; f < files; f++)
			sweep_replay(&alone, data, len, ret, error);
		cr_assert_gt(alone.st.walks, 100);
		cr_assert_gt(alone.st.tlb_hits, 500);
		cr_assert_gt(alone.st.page_crossings, 10);
		/* The reader counts lines once; mmusim run copies them. */
		swept[i].st.lines = swept[0].st.lines;
		alone.st.seconds = swept[i].st.seconds = 0;
		cr_assert_eq(memcmp(&alone.st, &swept[i].st, sizeof(alone.st)),
			     0, "configuration %u differs from its own run", i);
		cr_assert_eq(alone.demand.nr_procs, 3 * files);
		cr_assert_eq(swept[i].demand.nr_procs, 3 * files);
		for (p = 0; p < alone.demand.nr_procs; p++) {
			run_process_counts(&alone, p, &a);
			run_process_counts(&swept[i], p, &b);
			cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0,
				     "configuration %u, process %u", i, p);
		}
		cr_assert_eq(alone.nr_vcpus, 2);
		cr_assert_eq(swept[i].nr_vcpus, 2);
		for (p = 0; p < alone.nr_vcpus; p++) {
			run_vcpu_counts(&alone, p, &a, &fa);
			run_vcpu_counts(&swept[i], p, &b, &fb);
			cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0,
				     "configuration %u, vCPU %u", i, p);
			cr_assert_eq(fa, fb);
		}
		run_sim_destroy(&alone);
	}
	for (i = 0; i < SWEEP_CONFIGS; i++)
		run_sim_destroy(&swept[i]);
}

Test(binary_trace, each_configuration_of_a_sweep_counts_what_its_own_run_does)
{
	/* A read of size 0 (a difference of 0, the size after it). */
	static const char bad[] = { 0x00, 0x00, 0x00 };
	char error[64];
	size_t len;
	char *buf = write_trace(fill_sweep, &len);

	sweep_equals_separate_runs(buf, len, 0, NULL, &sweep_policies, 1);
	buf = realloc(buf, len + sizeof(bad));
	cr_assert_not_null(buf);
	memcpy(buf + len, bad, sizeof(bad));
	snprintf(error, sizeof(error),
		 "t: byte %zu: access size 0 is out of range 1..4096", len);
	sweep_equals_separate_runs(buf, len + sizeof(bad), -EINVAL, error,
				   &sweep_policies, 1);
	free(buf);
}

/*
 * The same with accesses that stay in a page, which a sweep counts once
 * for every configuration while each has the page as its last hit: also
 * with a split L1, a unified L1 whose LRU sets both sides' last hits
 * share, an STLB, large-page arrays and a cache model other than the
 * hierarchy.
 */
Test(binary_trace, a_sweep_of_accesses_in_one_page_counts_what_each_run_does)
{
	static const sweep_sets mixed = {
		{ "tlb.l1d.entries=8", "tlb.l1d.policy=lru", "tlb.l1d.ways=8",
		  NULL },
		{ "tlb.l1d.entries=16", "tlb.l1i.entries=8",
		  "tlb.l1i.policy=plru", NULL },
		{ "tlb.l1d.entries=16", "tlb.l2.entries=64",
		  "tlb.l1d.2m.entries=4", NULL },
		{ "caches.model=ideal", NULL },
	};
	size_t len;
	char *buf = write_trace(fill_sweep_runs, &len);

	sweep_equals_separate_runs(buf, len, 0, NULL, &sweep_policies, 1);
	sweep_equals_separate_runs(buf, len, 0, NULL, &mixed, 1);
	free(buf);
}

/*
 * Two files in a sweep: what a configuration counted of the first is
 * its own before the second's first process is switched to, per
 * process as in total.
 */
Test(binary_trace, a_sweep_of_two_files_counts_what_each_run_does)
{
	size_t len;
	char *buf = write_trace(fill_sweep_runs, &len);

	sweep_equals_separate_runs(buf, len, 0, NULL, &sweep_policies, 2);
	free(buf);
}
