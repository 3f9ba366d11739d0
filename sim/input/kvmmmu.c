/* KVM's walker tracepoints as mmusim run input (the replay: sim/run_kvmmmu.c). */
#include "sim/input/input.h"
#include "sim/input/trace_kvmmmu.h"
#include "sim/run.h"

const struct run_input_ops run_kvmmmu_input = {
	.name = "kvmmmu",
	.description = "KVM's walker tracepoints (tracefs or trace-cmd report)",
	.noun = "kvmmmu",
	.model = RUN_INPUT_WALKS,
	.options = RUN_INPUT_OPT_REPLAY,
	.detect_line = kvmmmu_is_trace_line,
	.run = run_kvmmmu,
};
