/*
 * fuzz_readers, modes 3 and 4: format detection (sim/input/registry.c)
 * and a whole "mmusim run" (sim/run.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/run.h"
#include "sim/scenario.h"
#include "sim/input/input.h"
#include "sim/input/trace_reader.h"
#include "tests/fuzz/fuzz_readers_internal.h"

/* ---- 3: format detection ---- */

void fuzz_detect(const u8 *data, size_t size, u8 sel)
{
	unsigned long max_line = readers_count_lines(data, size), line, pline;
	const struct run_input_ops *full, *part;
	size_t cut;
	int i;

	full = run_input_detect((const char *)data, size, true, &line);
	READERS_CHECK(!full || run_input_find(full->name) == full,
		      "run_input_detect() = %p, not a row of the table",
		      (const void *)full);
	readers_digest = fuzz_digest_str(readers_digest,
					 full ? full->name : "undecided");
	readers_digest = fuzz_digest_u64(readers_digest, line);
	/* With all the input there, only a line no format has is undecided. */
	READERS_CHECK(!full == (line != 0) && line <= max_line,
		      "run_input_detect(eof) = %s with line %lu of %lu",
		      full ? full->name : "none", line, max_line);

	/* Any prefix decides as the whole, or waits for more. */
	for (i = 0; i < 4; i++) {
		cut = i == 3 ? size : (size * (i + 1 + (sel >> 6))) / 7;
		part = run_input_detect((const char *)data, cut, false, &pline);
		if (!part && !pline)
			continue;
		READERS_CHECK(
			part == full && pline == line,
			"run_input_detect(%zu of %zu bytes) = %s line %lu, "
			"the whole input %s line %lu",
			cut, size, part ? part->name : "none", pline,
			full ? full->name : "none", line);
	}
}

/* ---- 4: mmusim run ---- */

/*
 * Scenario input backs memory with "mem" and "write": run it only when it
 * asks for little, so that one input stays small.
 */
#define RUN_NATIVE_MAX_MEM (1ULL << 20)

static bool native_is_small(const u8 *data, size_t size)
{
	struct scenario_reader r;
	struct scenario_stmt st;
	u64 total = 0;
	FILE *f;
	int ret;

	/*
	 * A "mem" statement starts with that word: without it there is
	 * nothing to count, and reading the input for nothing was a tenth
	 * of the target's time.
	 */
	if (!size || !memmem(data, size, "mem", 3))
		return true;
	f = fmemopen((void *)data, size, "r");
	READERS_CHECK(f, "fmemopen: %s", strerror(errno));
	scenario_reader_init(&r, f, NAME);
	while ((ret = scenario_read(&r, &st)) > 0 ||
	       (ret < 0 && !scenario_reader_skip_error(&r))) {
		if (ret > 0 && st.kind == SCENARIO_STMT_MEM)
			total += st.mem.size > RUN_NATIVE_MAX_MEM ?
					 RUN_NATIVE_MAX_MEM + 1 :
					 st.mem.size;
		if (total > RUN_NATIVE_MAX_MEM)
			break;
	}
	fclose(f);
	return total <= RUN_NATIVE_MAX_MEM;
}

/* What the run's options may be for @format (sim/run_cmd_options.c's rules). */
static void run_options(struct run_config *cfg,
			const struct run_input_ops *input, u8 sel,
			const u8 *opt)
{
	/*
	 * One input in four runs under an MMU, which checks every TLB miss
	 * against the walk; an MMU's setup costs about 0.1 ms under ASan.
	 */
	static const char *const mmus[16] = {
		"none", "none", "none", "shadow", "none", "none",
		"none", "tdp",	"none", "none",	  "none", "tdp",
		"none", "none", "none", "shadow",
	};
	static const u8 levels[4] = { 0, PT64_ROOT_5LEVEL, PT32E_ROOT_LEVEL,
				      PT32_ROOT_LEVEL };
	char why[160];

	run_config_init(cfg);
	cfg->input = input;
	cfg->json = true;
	cfg->keep_going = sel & RF_KEEP_GOING;
	/* Small caches: they fill and evict even on short inputs. */
	cfg->caches.l1d[CACHES_L1_MAIN].entries = opt[0] & 1 ? 0 :
						  opt[0] & 2 ? 64 :
							       16;
	translation_caches_config_psc(&cfg->caches, opt[0] & 4 ? 0 : 4);
	cfg->caches.ntlb.entries = opt[0] & 8 ? 0 : 8;
	if (input->options & RUN_INPUT_OPT_CACHES) {
		cfg->mmu = run_mmu_find(mmus[opt[0] >> 4], why, sizeof(why));
		READERS_CHECK(cfg->mmu, "run_mmu_find: %s", why);
	} else {
		cfg->mmu = run_mmu_find("none", why, sizeof(why));
	}
	if (input->options & RUN_INPUT_OPT_GUEST) {
		cfg->mode_level = levels[opt[1] >> 3 & 3];
		cfg->nested = (opt[1] >> 5 & 3) % 3;
		cfg->nested_level = opt[1] & 0x80 ? PT64_ROOT_5LEVEL :
						    PT64_ROOT_4LEVEL;
		cfg->page_size = opt[2] & 3;
		cfg->nested_page_size = opt[2] >> 2 & 3;
		if (cfg->mode_level && cfg->mode_level < PT64_ROOT_4LEVEL &&
		    cfg->page_size == RUN_PAGE_1G)
			cfg->page_size = RUN_PAGE_2M;
		cfg->seed = opt[3];
		cfg->max_table_pages = 16 << (opt[2] >> 4 & 7);
	} else if (input->options & RUN_INPUT_OPT_REPLAY) {
		cfg->mode_level = levels[opt[1] >> 2 & 3];
		if (!cfg->mode_level && (opt[1] & 0x40))
			cfg->mode_level = PT64_ROOT_4LEVEL;
		cfg->mode_ept = opt[1] & 0x80;
		cfg->amd = opt[2] & 1;
		cfg->no_gbpages = opt[2] & 2;
		cfg->maxphyaddr = opt[2] & 4 ? 32 + opt[3] % 21 : 0;
		if (opt[2] & 8) {
			cfg->have_cr0 = true;
			cfg->cr0 = X86_CR0_PE | X86_CR0_PG |
				   (opt[3] & 1 ? X86_CR0_WP : 0);
		}
		if (opt[2] & 16) {
			cfg->have_cr4 = true;
			cfg->cr4 = (opt[3] & 2 ? X86_CR4_PAE : 0) |
				   (opt[3] & 4 ? X86_CR4_PSE : 0) |
				   (opt[3] & 8 ? X86_CR4_SMEP : 0) |
				   (opt[3] & 16 ? X86_CR4_SMAP : 0) |
				   (opt[3] & 32 ? X86_CR4_LA57 : 0);
		}
		if (opt[2] & 32) {
			cfg->have_efer = true;
			cfg->efer = (opt[3] & 64 ? EFER_LME : 0) |
				    (opt[3] & 128 ? EFER_NX : 0);
		}
	}
}

/*
 * A failure the simulator itself calls its bug: true when it is one the
 * docs explain (then the run proves nothing), a crash otherwise.
 */
static bool known_simulator_bug(const struct run_sim *s)
{
	const struct sim_vcpu *v = &s->vcpu;
	const char *err = s->error;

	/* The MMU's messages quote no input, only numbers. */
	if (strncmp(err, "mmu ", 4) ||
	    (!strstr(err, "simulator bug") && !strstr(err, "made no progress")))
		return false;
	/*
	 * Shadow paging with CR0.WP=0 and SMAP departs from the CPU on
	 * purpose (docs/mmu.md).
	 */
	if (s->cfg.mmu && !strcmp(s->cfg.mmu->name, "shadow") &&
	    !(v->cr0 & X86_CR0_WP) && (v->cr4 & X86_CR4_SMAP))
		return true;
	readers_fail("mmusim run --mmu=%s: %s",
		     s->cfg.mmu ? s->cfg.mmu->name : "?", err);
}

/*
 * @err must read "NAME: byte OFFSET: message" (binary input) with OFFSET
 * within the @bytes the reader decoded, and printable ASCII only.
 */
static void check_byte_error(const char *who, const char *err, u64 bytes)
{
	static const char prefix[] = NAME ": byte ";
	u64 got = 0;
	const char *p;

	READERS_CHECK(!strncmp(err, prefix, sizeof(prefix) - 1),
		      "%s: error '%s' does not start with '%s'", who, err,
		      prefix);
	p = err + sizeof(prefix) - 1;
	READERS_CHECK(*p >= '0' && *p <= '9',
		      "%s: error '%s' has no byte offset", who, err);
	while (*p >= '0' && *p <= '9')
		got = got * 10 + (*p++ - '0');
	READERS_CHECK(p[0] == ':' && p[1] == ' ' && p[2],
		      "%s: error '%s' is not 'NAME: byte N: message'", who,
		      err);
	READERS_CHECK(got <= bytes, "%s: error '%s' is past byte %" PRIu64, who,
		      err, bytes);
	READERS_CHECK(fuzz_printable(err),
		      "%s: error '%s' has bytes that are not printable ASCII",
		      who, err);
}

/*
 * The input: detected from the bytes, as --format=auto; or, when bits
 * 1:0 of option byte 1 are both set, the row of the table that option
 * byte 3 picks, as --format=NAME.
 */
static const struct run_input_ops *run_input(const u8 *data, size_t size,
					     const u8 *opt)
{
	unsigned long line;

	if ((opt[1] & 3) == 3)
		return run_inputs[opt[3] % run_nr_inputs];
	return run_input_detect((const char *)data, size, true, &line);
}

void fuzz_run(const u8 *data, size_t size, u8 sel)
{
	const struct run_input_ops *input;
	unsigned long max_line;
	struct trace_reader r;
	struct run_config cfg;
	struct run_sim *s;
	u8 opt[4] = { 0 };
	size_t n = size < 4 ? size : 4;
	const char *err, *name;
	int ret;

	memcpy(opt, data, n);
	data += n;
	size -= n;
	/* Compressed, the lines are those of the text it decodes to. */
	max_line = readers_compressed(data, size) ?
			   readers_decoded_lines(data, size, false) :
			   readers_count_lines(data, size);

	input = run_input(data, size, opt);
	if (!input)
		return;
	/* native_is_small() reads plain text only. */
	if (input->model == RUN_INPUT_SCENARIO &&
	    (readers_compressed(data, size) || !native_is_small(data, size)))
		return;
	name = input->name;

	run_options(&cfg, input, sel, opt);
	s = malloc(sizeof(*s));
	READERS_CHECK(s, "out of memory");
	READERS_CHECK(!run_sim_init(s, &cfg), "run_sim_init failed");
	/* --keep-going shows the first bad lines on stderr: show none. */
	s->st.bad_lines = 1ULL << 40;
	READERS_CHECK(!trace_reader_open_mem(&r, (const char *)data, size,
					     NAME),
		      "trace_reader_open_mem failed");
	s->file = r.name;
	ret = input->run(s, &r);
	READERS_CHECK(ret <= 0, "run %s = %d", name, ret);
	/* What mmusim run prints (run_cmd.c's run_file()). */
	err = r.error[0] && r.status ? r.error : s->error;
	readers_digest = fuzz_digest_u64(readers_digest, ret);
	readers_digest = fuzz_digest_str(readers_digest, ret ? err : "");
	/* The counters: those before the kvmmmu ones are u64s, no timing. */
	readers_digest = fuzz_digest_bytes(readers_digest, &s->st,
					   offsetof(struct run_stats, kvmmmu));
	if (ret && !known_simulator_bug(s)) {
		/*
		 * A bad line names its line; what fails the run as a whole
		 * need not: an MMU's hook, or demand paging with too few
		 * table pages for one access.
		 */
		bool whole = !strncmp(err, "mmu ", 4) ||
			     !strncmp(err, "demand paging:", 14) ||
			     (!s->st.lines && !r.status);

		if (!whole && r.binary)
			check_byte_error(name, err, r.bytes);
		else if (!whole)
			readers_check_error(name, err, 0, max_line);
		/*
		 * A damaged compressed stream cannot be read past, nor can
		 * a binary trace: its records have no marks to start again
		 * from, and the binary trace's addresses are deltas.
		 */
		READERS_CHECK(!cfg.keep_going || whole || r.status == -EIO ||
				      r.binary,
			      "run %s stopped with --keep-going: %s", name,
			      err);
	}
	/* A binary format's lines are its records: one byte at least. */
	READERS_CHECK(s->st.lines <= (r.binary ? r.bytes : max_line),
		      "run %s: %" PRIu64 " lines of %lu", name, s->st.lines,
		      r.binary ? (unsigned long)r.bytes : max_line);
	trace_reader_close(&r);
	run_sim_destroy(s);
	free(s);
}
