# MMUSIM_GIT_COMMIT: the commit the build comes from, as of configure time
# (re-run cmake after committing), "-dirty" when the tree had changes,
# "unknown" outside a git checkout; read-only git commands only.
execute_process(
  COMMAND git rev-parse --short HEAD
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
  OUTPUT_VARIABLE MMUSIM_GIT_COMMIT
  OUTPUT_STRIP_TRAILING_WHITESPACE
  ERROR_QUIET
  RESULT_VARIABLE MMUSIM_GIT_COMMIT_RESULT)
if(NOT MMUSIM_GIT_COMMIT_RESULT EQUAL 0 OR MMUSIM_GIT_COMMIT STREQUAL "")
  set(MMUSIM_GIT_COMMIT "unknown")
else()
  execute_process(
    COMMAND git --no-optional-locks status --porcelain
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    OUTPUT_VARIABLE MMUSIM_GIT_CHANGES
    ERROR_QUIET)
  if(NOT MMUSIM_GIT_CHANGES STREQUAL "")
    string(APPEND MMUSIM_GIT_COMMIT "-dirty")
  endif()
endif()
