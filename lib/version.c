/* The version and commit the build comes from (include/mmusim/version.h). */
#include <mmusim/version.h>

#ifndef MMUSIM_GIT_COMMIT
#error "MMUSIM_GIT_COMMIT comes from cmake/git_commit.cmake"
#endif

const char *mmusim_version(void)
{
	return MMUSIM_VERSION_STRING;
}

const char *mmusim_commit(void)
{
	return MMUSIM_GIT_COMMIT;
}
