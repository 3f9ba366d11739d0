/* mmusim run --profile (docs/performance.md, "Profiling mmusim run"). */
#include <errno.h>
#include <stdio.h>

#include "sim/run_profile.h"

#ifdef MMUSIM_HAVE_PROFILER
#include <gperftools/profiler.h>

bool run_profiler_available(void)
{
	return true;
}

int run_profile_start(const char *file, char *why, size_t len)
{
	if (!ProfilerStart(file)) {
		snprintf(why, len, "--profile=%s: cannot write the profile",
			 file);
		return -EIO;
	}
	return 0;
}

void run_profile_stop(void)
{
	ProfilerStop();
}
#else
bool run_profiler_available(void)
{
	return false;
}

int run_profile_start(const char *file, char *why, size_t len)
{
	snprintf(why, len,
		 "--profile=%s: this build has no gperftools libprofiler",
		 file);
	return -EOPNOTSUPP;
}

void run_profile_stop(void)
{
}
#endif
