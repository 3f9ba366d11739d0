/* mmusim run --profile=FILE: a gperftools CPU profile, or a usage error. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "mmusim_cmd.h"

#ifndef MMUSIM_BIN
#error "MMUSIM_BIN must name the mmusim binary"
#endif

static void run_with_profile(const char *path, struct mmusim_cmd_result *r)
{
	char opt[256];
	const char *const args[] = { opt, "--accesses=300000", NULL };

	snprintf(opt, sizeof(opt), "--profile=%s", path);
	mmusim_cmd_run(MMUSIM_BIN, "run", args, NULL, 0, r);
}

#ifdef MMUSIM_HAVE_PROFILER
/*
 * The file starts with gperftools' header: a zero count, three header
 * words, version 0 (docs of google-pprof's "legacy CPU profile" format).
 */
Test(run_profile, writes_a_gperftools_profile)
{
	char path[] = "/tmp/mmusim-profile-XXXXXX";
	struct mmusim_cmd_result r;
	uintptr_t header[3];
	FILE *f;
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
	run_with_profile(path, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "300000 accesses"), "%s", r.out);
	f = fopen(path, "rb");
	cr_assert_not_null(f);
	cr_assert_eq(fread(header, sizeof(header[0]), 3, f), 3,
		     "the profile is shorter than its header");
	cr_expect_eq(header[0], 0);
	cr_expect_eq(header[1], 3);
	cr_expect_eq(header[2], 0);
	fclose(f);
	unlink(path);
	mmusim_cmd_result_free(&r);
}

Test(run_profile, an_unwritable_file_is_a_usage_error)
{
	struct mmusim_cmd_result r;

	run_with_profile("/nonexistent/dir/profile", &r);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, "mmusim run: --profile="), "%s",
			   r.err);
	mmusim_cmd_result_free(&r);
}
#else
Test(run_profile, without_libprofiler_is_a_usage_error)
{
	struct mmusim_cmd_result r;

	run_with_profile("/tmp/mmusim-never-written", &r);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, "no gperftools libprofiler"), "%s",
			   r.err);
	mmusim_cmd_result_free(&r);
}
#endif
