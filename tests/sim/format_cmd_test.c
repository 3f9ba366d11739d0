/* mmusim format, run as a user runs it: tables printed, bad options refused. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#define OUTPUT_MAX 8192

/* Run "mmusim format ARGS 2>&1"; return its exit status, output in @out. */
static int run_format(const char *args, char *out)
{
	char cmd[512];
	size_t n;
	FILE *p;
	int status;

	snprintf(cmd, sizeof(cmd), "%s format %s 2>&1", MMUSIM_BIN, args);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, OUTPUT_MAX - 1, p);
	out[n] = '\0';
	status = pclose(p);
	cr_assert(WIFEXITED(status), "mmusim did not exit normally");
	return WEXITSTATUS(status);
}

Test(format_cmd, four_level_intel_prints_golden_rsvd_rows)
{
	char out[OUTPUT_MAX];

	cr_assert_eq(run_format("--mode=4level --nx --wp", out), 0);
	cr_assert(
		strstr(out,
		       "level 4 PML4E    0x000fc00000000080  0x000fc00000000080"),
		"%s", out);
	cr_assert(
		strstr(out,
		       "level 3 PDPTE    0x000fc00000000000  0x000fc0003fffe000"),
		"%s", out);
	cr_assert(
		strstr(out,
		       "5555 3333 5f5f 3f3f 5555 3333 5f5f 3f3f 00ff 33ff 0fff 3fff"),
		"%s", out);
}

Test(format_cmd, ept_prints_bad_mt_xwr)
{
	char out[OUTPUT_MAX];

	cr_assert_eq(run_format("--mode=ept4", out), 0);
	cr_assert(strstr(out, "bad_mt_xwr             0xff545454ffff5454"),
		  "%s", out);
	cr_assert_eq(run_format("--mode=ept4 --execonly", out), 0);
	cr_assert(strstr(out, "bad_mt_xwr             0xff444444ffff4444"),
		  "%s", out);
}

Test(format_cmd, kvm_algorithm_and_legacy_print_same_tables)
{
	char out[OUTPUT_MAX];

	cr_assert_eq(
		run_format(
			"--mode=4level --nx --wp --smep --smap --kvm-algorithm --legacy",
			out),
		0);
	cr_assert(
		strstr(out,
		       "f5f5 f3f3 5f5f 3f3f 5555 3333 5f5f 3f3f f0ff f3ff 0fff 3fff"),
		"%s", out);
	cr_assert(strstr(out,
			 "f0 f3 0f 3f 00 33 0f 3f f5 f7 5f 7f f5 f7 5f 7f"),
		  "%s", out);
}

Test(format_cmd, pke_with_write_protect_prints_pkru_mask)
{
	char out[OUTPUT_MAX];

	cr_assert_eq(run_format("--mode=4level --pke --wp", out), 0);
	cr_assert(strstr(out, "pkru_mask              0x0000dd00"), "%s", out);
}

Test(format_cmd, maxphyaddr_out_of_range_is_refused)
{
	char out[OUTPUT_MAX];

	cr_assert_eq(run_format("--maxphyaddr=53", out), 2);
	cr_assert(strstr(out, "--maxphyaddr: '53' is not a number in 32..52"),
		  "%s", out);
	cr_assert_eq(run_format("--maxphyaddr=4x", out), 2);
}

Test(format_cmd, unknown_mode_and_option_are_refused)
{
	char out[OUTPUT_MAX];

	cr_assert_eq(run_format("--mode=6level", out), 2);
	cr_assert(strstr(out, "unknown mode '6level'"), "%s", out);
	cr_assert_eq(run_format("--bogus", out), 2);
	cr_assert(strstr(out, "unknown option '--bogus'"), "%s", out);
	cr_assert_eq(run_format("stray", out), 2);
	cr_assert(strstr(out, "unexpected argument 'stray'"), "%s", out);
}
