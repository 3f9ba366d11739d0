/*
 * The version and commit the programs report: the ones libmmusim was built
 * with (project() in CMakeLists.txt and the configure-time commit).
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <mmusim/version.h>

#include "mmusim_cmd.h"

#ifndef MMUSIM_BIN
#error "MMUSIM_BIN must name the mmusim binary"
#endif

static void assert_version_line(const char *bin, const char *program)
{
	struct mmusim_cmd_result r;
	char expected[256];

	mmusim_cmd_run(bin, "--version", NULL, NULL, 0, &r);
	snprintf(expected, sizeof(expected), "%s %s (commit %s)\n", program,
		 MMUSIM_VERSION_STRING, mmusim_commit());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, expected);
	cr_assert_str_eq(r.err, "");
	mmusim_cmd_result_free(&r);
}

Test(version, library_reports_the_version_of_its_headers)
{
	char expected[64];

	snprintf(expected, sizeof(expected), "%d.%d.%d", MMUSIM_VERSION_MAJOR,
		 MMUSIM_VERSION_MINOR, MMUSIM_VERSION_PATCH);
	cr_assert_str_eq(mmusim_version(), expected);
	cr_assert_str_eq(MMUSIM_VERSION_STRING, expected);
	cr_assert_neq(mmusim_commit()[0], '\0');
}

Test(version, mmusim_prints_version_and_commit)
{
	assert_version_line(MMUSIM_BIN, "mmusim");
}

#ifdef MMUSIM_BENCH_BIN
Test(version, mmusim_bench_prints_version_and_commit)
{
	assert_version_line(MMUSIM_BENCH_BIN, "mmusim-bench");
}
#endif

Test(version, run_json_carries_version_and_commit)
{
	static const char *const args[] = { "--json", "--accesses=100", NULL };
	struct mmusim_cmd_result r;
	char expected[256];

	mmusim_cmd_run(MMUSIM_BIN, "run", args, NULL, 0, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(expected, sizeof(expected),
		 "\n  \"mmusim\": {\"version\": \"%s\", \"commit\": \"%s\"},\n",
		 MMUSIM_VERSION_STRING, mmusim_commit());
	cr_assert_not_null(strstr(r.out, expected), "%s", r.out);
	mmusim_cmd_result_free(&r);
}
