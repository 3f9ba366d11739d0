/*
 * mmusim walk's CPU defaults (--vendor, --maxphyaddr, --gbpages), the
 * read32/read64 and expect32/expect64 statements, and --keep-going; and
 * the same statements in mmusim run, which runs scenario files through
 * the same interpreter.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "mmusim_cmd.h"

#ifndef MMUSIM_BIN
#error "MMUSIM_BIN must name the mmusim binary"
#endif

/* 4-level paging, GVA 0x400000 -> GPA 0x5000; PTE 1 has bit 40 set. */
#define FOUR_LEVEL(name)                 \
	"scenario " name "\n"            \
	"cr0 0x80010001\n"               \
	"cr4 0x20\n"                     \
	"efer 0x100\n"                   \
	"cr3 0x1000\n"                   \
	"write64 0x1000 0x2007\n"        \
	"write64 0x2000 0x3007\n"        \
	"write64 0x3010 0x4007\n"        \
	"write64 0x4000 0x5007\n"        \
	"write64 0x4008 0x10000006007\n" \
	"mem 0x5000 0x2000\n"

static void walk(const char *const *args, const char *text,
		 struct mmusim_cmd_result *r)
{
	mmusim_cmd_run(MMUSIM_BIN, "walk", args, text, strlen(text), r);
}

static void assert_has(const char *haystack, const char *needle)
{
	cr_assert_not_null(strstr(haystack, needle), "no '%s' in:\n%s", needle,
			   haystack);
}

Test(walk_options, maxphyaddr_is_the_default_of_every_scenario)
{
	static const char *const narrow[] = { "--maxphyaddr=36", NULL };
	/* The second scenario sets its own MAXPHYADDR, which wins. */
	static const char text[] = FOUR_LEVEL("a") "read 0x401000\n" FOUR_LEVEL(
		"b") "maxphyaddr 52\nread 0x401000\n";
	struct mmusim_cmd_result r;

	walk(NULL, text, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	assert_has(r.out, "a:12 read 0x401000 cpl0 -> ok");
	mmusim_cmd_result_free(&r);

	walk(narrow, text, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* Bit 40 is reserved above MAXPHYADDR 36: P|RSVD = 0x9. */
	assert_has(r.out, "a:12 read 0x401000 cpl0 -> #PF ec=0x9");
	assert_has(r.out, "b:25 read 0x401000 cpl0 -> ok");
	mmusim_cmd_result_free(&r);
}

Test(walk_options, gbpages_off_makes_a_1g_leaf_reserved)
{
	static const char *const off[] = { "--gbpages=off", NULL };
	static const char text[] = FOUR_LEVEL("g") "write64 0x2008 0x40000087\n"
						   "read 0x40000000\n";
	struct mmusim_cmd_result r;

	walk(NULL, text, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	assert_has(r.out, "g:13 read 0x40000000 cpl0 -> ok");
	mmusim_cmd_result_free(&r);
	walk(off, text, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	assert_has(r.out, "g:13 read 0x40000000 cpl0 -> #PF ec=0x9");
	mmusim_cmd_result_free(&r);
}

Test(walk_options, vendor_amd_refuses_ept)
{
	static const char *const amd[] = { "--vendor=amd", NULL };
	static const char text[] = FOUR_LEVEL("v") "nested ept eptp=0x1001e\n"
						   "read 0x400000\n";
	struct mmusim_cmd_result r;

	walk(amd, text, &r);
	cr_assert_eq(r.status, 2, "%s", r.out);
	assert_has(r.err, "<stdin>:13: ");
	assert_has(r.err, "vendor");
	mmusim_cmd_result_free(&r);
}

Test(walk_options, bad_cpu_defaults_are_usage_errors)
{
	static const char *const bad[][2] = {
		{ "--vendor=via", NULL },
		{ "--maxphyaddr=31", NULL },
		{ "--maxphyaddr=x", NULL },
		{ "--gbpages=maybe", NULL },
	};
	struct mmusim_cmd_result r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		walk(bad[i], "", &r);
		cr_expect_eq(r.status, 2, "%s", bad[i][0]);
		cr_expect_not_null(strstr(r.err, "mmusim walk: --"), "%s",
				   r.err);
		mmusim_cmd_result_free(&r);
	}
}

Test(walk_statements, read64_prints_memory_after_an_access)
{
	static const char text[] = FOUR_LEVEL("m") "read64 0x4000\n"
						   "write 0x400000\n"
						   "read64 0x4000\n"
						   "read32 0x4004\n";
	struct mmusim_cmd_result r;

	walk(NULL, text, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	assert_has(r.out, "m:12 read64 0x4000 = 0x5007\n");
	/* The write set A and D on the PTE. */
	assert_has(r.out, "m:14 read64 0x4000 = 0x5067\n");
	assert_has(r.out, "m:15 read32 0x4004 = 0x0\n");
	mmusim_cmd_result_free(&r);
}

Test(walk_statements, expect_checks_memory_and_fails_with_status_1)
{
	static const char pass[] = FOUR_LEVEL("e") "write 0x400000\n"
						   "expect64 0x4000 0x5067\n"
						   "expect32 0x3010 0x4027\n";
	static const char fail[] = FOUR_LEVEL("e") "read 0x400000\n"
						   "expect64 0x4000 0x5067\n"
						   "read 0x400000\n";
	struct mmusim_cmd_result r;

	walk(NULL, pass, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.err, "");
	mmusim_cmd_result_free(&r);

	walk(NULL, fail, &r);
	cr_assert_eq(r.status, 1, "%s", r.err);
	assert_has(r.err,
		   "<stdin>:13: expect64: 0x4000 holds 0x5027, not 0x5067\n");
	/* The first failure stops the file without --keep-going. */
	cr_assert_null(strstr(r.out, "e:14"), "%s", r.out);
	mmusim_cmd_result_free(&r);
}

Test(walk_statements, bad_memory_statements_are_errors)
{
	static const char *const bad[] = {
		FOUR_LEVEL("x") "read64 0x4004\n",
		FOUR_LEVEL("x") "expect32 0x4000 0x100000000\n",
		FOUR_LEVEL("x") "expect64 0x4000\n",
		FOUR_LEVEL("x") "read64 0x900000\n",
	};
	struct mmusim_cmd_result r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		walk(NULL, bad[i], &r);
		cr_expect_eq(r.status, 2, "%zu: %s", i, r.err);
		cr_expect_not_null(strstr(r.err, "<stdin>:12: "), "%zu: %s", i,
				   r.err);
		mmusim_cmd_result_free(&r);
	}
}

Test(walk_keep_going, a_bad_scenario_is_reported_and_the_next_runs)
{
	static const char *const keep[] = { "--keep-going", NULL };
	static const char text[] = FOUR_LEVEL(
		"bad") "frobnicate 1\n"
		       "read 0x400000\n" FOUR_LEVEL(
			       "refused") "cr0 0x80000000\n"
					  "read 0x400000\n"
					  "read 0x400000\n" FOUR_LEVEL(
						  "good") "read 0x400000\n";
	struct mmusim_cmd_result r;

	walk(NULL, text, &r);
	cr_assert_eq(r.status, 2);
	cr_assert_str_eq(r.out, "");
	mmusim_cmd_result_free(&r);

	walk(keep, text, &r);
	cr_assert_eq(r.status, 2, "%s", r.err);
	assert_has(r.err, "<stdin>:12: unknown statement 'frobnicate'");
	assert_has(r.err, "<stdin>:26: ");
	/* The rest of a bad scenario is skipped; the next one runs. */
	cr_assert_null(strstr(r.out, "bad:"), "%s", r.out);
	cr_assert_null(strstr(r.out, "refused:"), "%s", r.out);
	assert_has(r.out, "good:39 read 0x400000 cpl0 -> ok");
	mmusim_cmd_result_free(&r);
}

Test(walk_keep_going, only_failed_expects_exit_with_1)
{
	static const char *const keep[] = { "--keep-going", NULL };
	static const char text[] =
		FOUR_LEVEL("one") "expect64 0x4000 0x1\n" FOUR_LEVEL(
			"two") "read 0x400000\n";
	struct mmusim_cmd_result r;

	walk(keep, text, &r);
	cr_assert_eq(r.status, 1, "%s", r.err);
	assert_has(r.out, "two:24 read 0x400000 cpl0 -> ok");
	mmusim_cmd_result_free(&r);
}

Test(run_statements, run_checks_expect_and_ignores_read64)
{
	static const char *const args[] = { "--format=native", "-", NULL };
	static const char pass[] = FOUR_LEVEL("r") "write 0x400000\n"
						   "read64 0x4000\n"
						   "expect64 0x4000 0x5067\n";
	static const char fail[] = FOUR_LEVEL("r") "read 0x400000\n"
						   "expect64 0x4000 0x5067\n";
	struct mmusim_cmd_result r;

	mmusim_cmd_run(MMUSIM_BIN, "run", args, pass, strlen(pass), &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_null(strstr(r.out, "read64"), "%s", r.out);
	mmusim_cmd_result_free(&r);
	mmusim_cmd_run(MMUSIM_BIN, "run", args, fail, strlen(fail), &r);
	cr_assert_eq(r.status, 2, "%s", r.err);
	assert_has(r.err, ":13: expect64: 0x4000 holds 0x5027, not 0x5067");
	mmusim_cmd_result_free(&r);
}

Test(run_statements, a_file_starting_with_a_memory_check_is_native)
{
	static const char *const args[] = { "-", NULL };
	static const char text[] = "expect64 0x1000 0x5\n";
	struct mmusim_cmd_result r;

	mmusim_cmd_run(MMUSIM_BIN, "run", args, text, strlen(text), &r);
	cr_assert_eq(r.status, 2, "%s", r.err);
	assert_has(r.err, "<stdin>:1: 'expect64' before the first 'scenario'");
	mmusim_cmd_result_free(&r);
}

/*
 * MOV to CR4 setting PCIDE while CR3[11:0] != 0 is #GP(0): an error of
 * the cr4 line in mmusim walk and in mmusim run, whatever bits 11:0 hold
 * (PWT or PCD alone included, loaded by an access or not); PCIDE already
 * set, CR3[11:0] == 0, or a PCID written to CR3 after PCIDE are no fault.
 */
Test(pcide, setting_pcide_with_cr3_11_0_nonzero_is_gp)
{
	static const char *const run_args[] = { "--format=native", "-", NULL };
	static const struct {
		const char *before;
		unsigned int pcid;
	} bad[] = {
		{ "cr3 0x1008\nread 0\n", 0x8 },
		{ "cr3 0x1018\nread 0\n", 0x18 },
		{ "cr3 0x1001\n", 0x1 },
		{ "cr3 0x1fff\n", 0xfff },
	};
	static const char *const good[] = {
		/* CR3[11:0] == 0 when PCIDE is set, a PCID after. */
		"cr3 0x1000\ncr4 0x200a0\ncr3 0x1001\n",
		/* PCIDE already set: a CR4 write keeping it is no 0 -> 1. */
		"cr4 0x200a0\ncr3 0x1001\ncr4 0x220a0\n",
		/* Clearing PCIDE is no fault. */
		"cr3 0x1000\ncr4 0x200a0\ncr4 0xa0\n",
	};
	char text[512], message[160];
	struct mmusim_cmd_result r;
	size_t i;
	int line;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
			 "scenario p\ncr0 0x80010001\nefer 0x100\n"
			 "cr4 0xa0\n%scr4 0x200a0\nread 0\n",
			 bad[i].before);
		line = strstr(bad[i].before, "read") ? 7 : 6;
		snprintf(
			message, sizeof(message),
			"<stdin>:%d: cr4 0x200a0 sets PCIDE while CR3[11:0] is 0x%x, not 0 (#GP) (cr3 set on line 5)\n",
			line, bad[i].pcid);
		walk(NULL, text, &r);
		cr_assert_eq(r.status, 2, "%s", text);
		assert_has(r.err, message);
		mmusim_cmd_result_free(&r);
		mmusim_cmd_run(MMUSIM_BIN, "run", run_args, text, strlen(text),
			       &r);
		cr_assert_eq(r.status, 2, "%s", text);
		assert_has(r.err, message);
		mmusim_cmd_result_free(&r);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text),
			 "scenario p\ncr0 0x80010001\nefer 0x100\n%sread 0\n",
			 good[i]);
		walk(NULL, text, &r);
		cr_assert_eq(r.status, 0, "%s: %s", text, r.err);
		mmusim_cmd_result_free(&r);
		mmusim_cmd_run(MMUSIM_BIN, "run", run_args, text, strlen(text),
			       &r);
		cr_assert_eq(r.status, 0, "%s: %s", text, r.err);
		mmusim_cmd_result_free(&r);
	}
}

/*
 * An efer statement is no WRMSR: the settings before an access are loaded
 * together at the access, as on VM entry, so a change of EFER.LME while
 * CR0.PG is set is no #GP (unlike a cr4 setting PCIDE) and LMA follows
 * LME && PG.  A PAE guest goes to long mode, a long-mode guest back to
 * PAE, and LME set with paging off then PG set gives long mode, in
 * mmusim walk and mmusim run alike; only an LMA that disagrees with LME
 * is an error, of the access.
 */
Test(efer, lme_change_with_paging_on_is_loaded_as_on_vm_entry)
{
	static const char *const run_args[] = { "--format=native", "-", NULL };
	static const char pae[] = "L3@pdptr0=";
	static const char four_level[] = "L4@0x1000=";
	static const struct {
		const char *name;
		const char *efer_cr0[2];
		const char *walks[2];
	} good[] = {
		{ "lme-set-with-pg",
		  { "efer 0\ncr0 0x80010001\n", "efer 0x100\n" },
		  { pae, four_level } },
		{ "lme-cleared-with-pg",
		  { "efer 0x100\ncr0 0x80010001\n", "efer 0\n" },
		  { four_level, pae } },
		{ "lma-stated-with-pg",
		  { "efer 0\ncr0 0x80010001\n", "efer 0x500\n" },
		  { pae, four_level } },
		{ "lme-set-then-pg",
		  { "efer 0x100\ncr0 0x10001\n", "cr0 0x80010001\n" },
		  { "gpa=0x0 hpa=none refs=0", four_level } },
	};
	static const char bad[] =
		"scenario lma-without-lme\ncr4 0x20\ncr3 0x1000\n"
		"mem 0x1000 0x1000\nefer 0x100\ncr0 0x80010001\nread 0\n"
		"efer 0x400\nread 0\n";
	char text[512], line[64];
	const char *start, *end, *found;
	struct mmusim_cmd_result r;
	size_t i;
	int j;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text),
			 "scenario %s\ncr4 0x20\ncr3 0x1000\n"
			 "mem 0x1000 0x1000\n%sread 0\n%sread 0\n",
			 good[i].name, good[i].efer_cr0[0],
			 good[i].efer_cr0[1]);
		walk(NULL, text, &r);
		cr_assert_eq(r.status, 0, "%s: %s", text, r.err);
		for (j = 0; j < 2; j++) {
			snprintf(line, sizeof(line), "%s:%d read 0x0 cpl0 -> ",
				 good[i].name, j ? 9 : 7);
			start = strstr(r.out, line);
			cr_assert_not_null(start, "no '%s' in:\n%s", line,
					   r.out);
			end = strchr(start, '\n');
			found = strstr(start, good[i].walks[j]);
			cr_assert(found && end && found < end,
				  "no '%s' in '%s' of:\n%s", good[i].walks[j],
				  line, r.out);
		}
		mmusim_cmd_result_free(&r);
		mmusim_cmd_run(MMUSIM_BIN, "run", run_args, text, strlen(text),
			       &r);
		cr_assert_eq(r.status, 0, "%s: %s", text, r.err);
		mmusim_cmd_result_free(&r);
	}
	walk(NULL, bad, &r);
	cr_assert_eq(r.status, 2);
	assert_has(
		r.err,
		"<stdin>:9: efer 0x400 sets LMA without LME (efer set on line 8)\n");
	mmusim_cmd_result_free(&r);
	mmusim_cmd_run(MMUSIM_BIN, "run", run_args, bad, strlen(bad), &r);
	cr_assert_eq(r.status, 2);
	assert_has(
		r.err,
		"<stdin>:9: efer 0x400 sets LMA without LME (efer set on line 8)\n");
	mmusim_cmd_result_free(&r);
}
