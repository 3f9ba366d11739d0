/* mmusim run --profile: gperftools' CPU profiler around the replay. */
#ifndef MMUSIM_SIM_RUN_PROFILE_H
#define MMUSIM_SIM_RUN_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

/* Whether this build links libprofiler (never under the sanitizers). */
bool run_profiler_available(void);

/*
 * Start sampling the whole process into @file: 0, or -errno with a
 * message in @why (@len bytes).
 */
int run_profile_start(const char *file, char *why, size_t len);

/* Stop sampling and write the profile. */
void run_profile_stop(void);

#endif
