/* Telling the format of a trace from its first lines (docs/trace-formats.md). */
#ifndef MMUSIM_SIM_TRACE_DETECT_H
#define MMUSIM_SIM_TRACE_DETECT_H

#include <stddef.h>

#include "sim/run.h"

/*
 * The format of the input that starts with @data (@len bytes; @eof when
 * that is all of it): the first line that only one format has decides.
 * RUN_FORMAT_AUTO when no line decides, with *@line the first line that
 * fits no format (0 when only blank and comment lines were seen before
 * the end of @data).  Input with only blank and comment lines is native.
 */
enum run_format trace_detect(const char *data, size_t len, bool eof,
			     unsigned long *line);

#endif
