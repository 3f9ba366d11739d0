/*
 * fuzz_sweep: each configuration of a sweep (mmusim run --sweep) against
 * the same configuration run on its own.  A sweep feeds every
 * configuration the records of one read of the trace, counts once the
 * hits that every configuration makes (its memo, sim/run_sweep_access.h)
 * and lets configurations take the walks another made for the same
 * access (sim/run_sweep_walk.h); each configuration must still count
 * exactly what its own run counts.  tests/run/run_sweep_test.c checks
 * that on fixed traces; this target on traces and configurations from
 * its input.
 *
 * The input:
 *   byte 0     bits 1:0 the number of configurations less 2 (2 to 4, 3
 *              taken as 4); bit 2 lackey text rather than the binary
 *              trace; bits 4:3 the nested stage (none, EPT, NPT); bits
 *              6:5 the page size; bit 7 a 5-level guest;
 *   byte 1     bits 1:0 the MMU (none, none, tdp, shadow; shadow with a
 *              nested stage runs with none); bits 7:2 the stride that
 *              every page index below is a multiple of, less one: how
 *              many of the pages share a set;
 *   byte 2     bits 1:0 the table pages demand paging may take before it
 *              reclaims (the default, 16, 24, 48); bit 2 the trace's
 *              groups of 16 pages 1G apart rather than 2M, so that they
 *              need more tables;
 *   3 a configuration: its first-level data TLB, the other arrays, the
 *              seed of its random replacement;
 *   then 3 bytes an access (sweep_access() below), to the input's end.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "sim/caches_config.h"
#include "sim/input/binary_trace.h"
#include "sim/input/input.h"
#include "sim/input/trace_reader.h"
#include "sim/run.h"
#include "sim/run_mmu.h"

#define SWEEP_CHECK(cond, ...) FUZZ_CHECK("fuzz_sweep", cond, __VA_ARGS__)

#define SWEEP_MAX_CONFIGS 4
#define SWEEP_HEADER_BYTES 3
#define SWEEP_CONFIG_BYTES 3
#define SWEEP_ACCESS_BYTES 3
#define SWEEP_MAX_ACCESSES 2048
/* The trace's pages: 16 groups of 16 pages, 2M or 1G apart. */
#define SWEEP_PAGES 256
#define SWEEP_GROUP_PAGES 16
#define SWEEP_BASE 0x400000ULL

/*
 * The first-level data TLB: small, so that sets fill and evict on short
 * inputs, under each replacement policy and with 2M entries in the same
 * array.
 */
static const char *const l1d_rows[8][5] = {
	{ "tlb.l1d.entries=16", "tlb.l1d.policy=roundrobin" },
	{ "tlb.l1d.entries=16", "tlb.l1d.policy=lru" },
	{ "tlb.l1d.entries=8", "tlb.l1d.policy=plru" },
	{ "tlb.l1d.entries=32", "tlb.l1d.ways=32", "tlb.l1d.policy=random" },
	{ "tlb.l1d.entries=8", "tlb.l1d.ways=2", "tlb.l1d.policy=lru" },
	{ "tlb.l1d.entries=4", "tlb.l1d.ways=4", "tlb.l1d.policy=plru" },
	{ "tlb.l1d.entries=16", "tlb.l1d.sizes=4k,2m", "tlb.l1d.policy=lru" },
	{ "tlb.l1d.entries=12", "tlb.l1d.ways=3", "tlb.l1d.policy=roundrobin" },
};

/* The other arrays: the instruction TLB, an STLB, a 2M array, the PSC. */
static const char *const other_rows[8][4] = {
	{ NULL },
	{ "tlb.l2.entries=64" },
	{ "tlb.l1i.entries=8", "tlb.l1i.policy=lru" },
	{ "tlb.l1d.2m.entries=4", "tlb.l1d.2m.policy=plru" },
	{ "psc.pde.entries=2", "psc.pdpte.entries=1" },
	{ "tlb.l2.entries=32", "tlb.l2.ways=4", "tlb.l2.policy=random" },
	{ "tlb.l2.entries=0", "tlb.l1i.entries=8", "tlb.l1i.policy=plru" },
	{ "caches.model=ideal" },
};

static void assign(struct translation_caches_config *c, const char *set)
{
	char why[256];

	SWEEP_CHECK(!caches_config_assign(c, set, why, sizeof(why)), "%s: %s",
		    set, why);
}

static void configure(struct run_config *cfg, const u8 *p)
{
	const char *const *row;
	char why[256], seed[32];

	for (row = l1d_rows[p[0] % 8]; *row; row++)
		assign(&cfg->caches, *row);
	for (row = other_rows[p[1] % 8]; *row; row++)
		assign(&cfg->caches, *row);
	snprintf(seed, sizeof(seed), "caches.seed=%u", p[2]);
	assign(&cfg->caches, seed);
	SWEEP_CHECK(!caches_config_check(&cfg->caches, why, sizeof(why)),
		    "configuration %02x %02x %02x: %s", p[0], p[1], p[2], why);
}

/* The guest every configuration shares (mmusim run's options). */
static void run_options(struct run_config *cfg, const u8 *h, bool lackey)
{
	static const char *const mmus[4] = { "none", "none", "tdp", "shadow" };
	static const u64 table_pages[4] = { 0, 16, 24, 48 };
	u8 b0 = h[0], b1 = h[1];
	char why[160];

	run_config_init(cfg);
	cfg->input = lackey ? &run_lackey_input : &run_binary_input;
	cfg->nested = (b0 >> 3 & 3) % 3;
	cfg->page_size = b0 >> 5 & 3;
	cfg->nested_page_size = cfg->page_size;
	cfg->mode_level = b0 & 0x80 ? PT64_ROOT_5LEVEL : 0;
	/* shadow_mmu under a nested stage is not modelled: no MMU then. */
	cfg->mmu = run_mmu_find(cfg->nested && (b1 & 3) == 3 ? "none" :
							       mmus[b1 & 3],
				why, sizeof(why));
	SWEEP_CHECK(cfg->mmu, "run_mmu_find: %s", why);
	if (table_pages[h[2] & 3])
		cfg->max_table_pages = table_pages[h[2] & 3];
}

/*
 * An access: bits 1:0 of its first byte the kind (fetch, load, store,
 * and for the binary trace a switch of process or vCPU instead), bit 2
 * supervisor, bits 7:3 with its second byte the page index, times the
 * input's stride, within SWEEP_PAGES; its third byte the offset in the
 * page (in 16-byte steps, so that some cross into the next page) and the
 * size.
 */
struct sweep_access {
	/* 0, 1, 2: fetch, load, store. */
	unsigned int op;
	enum sim_access_kind kind;
	bool control;
	bool supervisor;
	u64 addr;
	u32 size;
	u32 arg;
};

static struct sweep_access sweep_access(const u8 *p, unsigned int stride,
					bool wide)
{
	static const enum sim_access_kind kinds[3] = { SIM_ACCESS_FETCH,
						       SIM_ACCESS_READ,
						       SIM_ACCESS_WRITE };
	unsigned int index = (p[0] >> 3 | p[1] << 5) * stride % SWEEP_PAGES;
	struct sweep_access a = { 0 };

	if ((p[0] & 3) == 3) {
		a.control = true;
		a.arg = p[1];
		return a;
	}
	a.op = p[0] & 3;
	a.kind = kinds[a.op];
	a.supervisor = p[0] & 4;
	a.addr = SWEEP_BASE + ((u64)(index % SWEEP_GROUP_PAGES) << PAGE_SHIFT) +
		 ((u64)(index / SWEEP_GROUP_PAGES)
		  << pt_level_shift(wide ? PG_LEVEL_1G : PG_LEVEL_2M)) +
		 ((u64)(p[2] & 0xf8) << 4);
	a.size = 1 + (p[2] & 7);
	return a;
}

static char *lackey_text(const u8 *p, size_t n, unsigned int stride, bool wide,
			 size_t *len)
{
	static const char *const ops[3] = { "I ", " L", " S" };
	size_t cap = n / SWEEP_ACCESS_BYTES * 32 + 1, used = 0;
	char *text = malloc(cap);

	SWEEP_CHECK(text, "out of memory");
	text[0] = 0;
	for (; n >= SWEEP_ACCESS_BYTES;
	     p += SWEEP_ACCESS_BYTES, n -= SWEEP_ACCESS_BYTES) {
		struct sweep_access a = sweep_access(p, stride, wide);

		if (a.control)
			continue;
		used += snprintf(text + used, cap - used, "%s %llx,%u\n",
				 ops[a.op], (unsigned long long)a.addr, a.size);
	}
	*len = used;
	return text;
}

static char *binary_trace(const u8 *p, size_t n, unsigned int stride, bool wide,
			  size_t *len)
{
	struct binary_trace_writer w;
	char *buf = NULL;
	FILE *f;

	f = open_memstream(&buf, len);
	SWEEP_CHECK(f, "open_memstream failed");
	SWEEP_CHECK(!binary_trace_writer_open(&w, f), "writer open failed");
	for (; n >= SWEEP_ACCESS_BYTES;
	     p += SWEEP_ACCESS_BYTES, n -= SWEEP_ACCESS_BYTES) {
		struct sweep_access a = sweep_access(p, stride, wide);
		int r;

		/* A few processes and vCPUs: their caches fill and flush. */
		if (a.control && a.arg & 0x80)
			r = binary_trace_write_vcpu(&w, a.arg % 3);
		else if (a.control)
			r = binary_trace_write_process(&w, 100 + a.arg % 4);
		else
			r = binary_trace_write_access(&w, a.kind, a.supervisor,
						      a.addr, a.size);
		SWEEP_CHECK(!r, "binary trace write failed: %d", r);
	}
	SWEEP_CHECK(!binary_trace_writer_close(&w), "writer close failed");
	fclose(f);
	return buf;
}

/* Run @text through @s (and the configurations chained to it). */
static int replay(struct run_sim *s, const char *text, size_t len, char *err,
		  size_t err_size)
{
	struct trace_reader r;
	int ret;

	SWEEP_CHECK(!trace_reader_open_mem(&r, text, len, "sweep"),
		    "trace_reader_open_mem failed");
	ret = s->cfg.input->run(s, &r);
	snprintf(err, err_size, "%s",
		 r.error[0] && r.status ? r.error : s->error);
	trace_reader_close(&r);
	return ret;
}

static struct run_sim swept[SWEEP_MAX_CONFIGS], alone;

static void fuzz_sweep(const u8 *data, size_t size)
{
	char sweep_err[512], alone_err[512];
	unsigned int i, nr, stride;
	struct run_config cfg;
	bool lackey, wide;
	size_t len;
	char *text;
	int ret, r;

	if (size < SWEEP_HEADER_BYTES)
		return;
	nr = 2 + (data[0] & 3);
	if (nr > SWEEP_MAX_CONFIGS)
		nr = SWEEP_MAX_CONFIGS;
	if (size < SWEEP_HEADER_BYTES + nr * SWEEP_CONFIG_BYTES)
		return;
	lackey = data[0] & 4;
	stride = 1 + (data[1] >> 2);
	wide = data[2] & 4;
	{
		const u8 *acc =
			data + SWEEP_HEADER_BYTES + nr * SWEEP_CONFIG_BYTES;
		size_t n = size - (size_t)(acc - data);

		if (n > SWEEP_MAX_ACCESSES * SWEEP_ACCESS_BYTES)
			n = SWEEP_MAX_ACCESSES * SWEEP_ACCESS_BYTES;
		text = lackey ? lackey_text(acc, n, stride, wide, &len) :
				binary_trace(acc, n, stride, wide, &len);
	}

	for (i = 0; i < nr; i++) {
		run_options(&cfg, data, lackey);
		configure(&cfg,
			  data + SWEEP_HEADER_BYTES + i * SWEEP_CONFIG_BYTES);
		SWEEP_CHECK(!run_sim_init(&swept[i], &cfg),
			    "run_sim_init failed");
		if (i)
			swept[i - 1].sweep_next = &swept[i];
	}
	ret = replay(&swept[0], text, len, sweep_err, sizeof(sweep_err));

	for (i = 0; i < nr; i++) {
		run_options(&cfg, data, lackey);
		configure(&cfg,
			  data + SWEEP_HEADER_BYTES + i * SWEEP_CONFIG_BYTES);
		SWEEP_CHECK(!run_sim_init(&alone, &cfg), "run_sim_init failed");
		r = replay(&alone, text, len, alone_err, sizeof(alone_err));
		/* The first configuration reads and reports for all. */
		SWEEP_CHECK(r == ret, "configuration %u: %d alone, %d swept", i,
			    r, ret);
		SWEEP_CHECK(!ret || !strcmp(alone_err, sweep_err),
			    "configuration %u: \"%s\" alone, \"%s\" swept", i,
			    alone_err, sweep_err);
		/* After an error the others stopped where the first did. */
		if (!ret) {
			swept[i].st.lines = swept[0].st.lines;
			alone.st.seconds = swept[i].st.seconds = 0;
			SWEEP_CHECK(!memcmp(&alone.st, &swept[i].st,
					    sizeof(alone.st)),
				    "configuration %u of %u counts other than "
				    "its own run (accesses %llu and %llu, "
				    "TLB misses %llu and %llu)",
				    i, nr,
				    (unsigned long long)alone.st.accesses,
				    (unsigned long long)swept[i].st.accesses,
				    (unsigned long long)alone.st.tlb_misses,
				    (unsigned long long)swept[i].st.tlb_misses);
		}
		run_sim_destroy(&alone);
	}
	for (i = 0; i < nr; i++)
		run_sim_destroy(&swept[i]);
	free(text);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	fuzz_sweep(data, size);
	return 0;
}
