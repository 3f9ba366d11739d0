#!/usr/bin/env bash
# Capture KVM's guest page walks (the kvmmmu walker tracepoints) while a
# workload runs, and save the trace text in tracefs format.
#
#   scripts/capture-kvmmmu.sh OUTPUT [COMMAND [ARG...]]
#
# Without COMMAND the workload is "kvm_sweep --fixture", five accesses in
# a guest (kvm_sweep is looked for in $MMUSIM_BUILD, build/ and
# /tmp/kvm-build).  The events
# are enabled in a tracefs instance of their own, for the workload's
# process only, and disabled again (the instance removed) on exit.  The
# buffer holds MMUSIM_TRACE_BUFFER_KB (8192) KB per CPU; an overflow is
# reported and makes the exit status 1.
# Needs root, /dev/kvm and a kernel with the kvmmmu events.
set -euo pipefail

usage() {
	echo "usage: $0 OUTPUT [COMMAND [ARG...]]" >&2
	exit 2
}

[ $# -ge 1 ] || usage
out=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)

if [ $# -eq 0 ]; then
	sweep=
	for d in "${MMUSIM_BUILD:-}" "$root/build" /tmp/kvm-build; do
		if [ -n "$d" ] && [ -x "$d/tests/kvm/kvm_sweep" ]; then
			sweep=$d/tests/kvm/kvm_sweep
			break
		fi
	done
	if [ -z "$sweep" ]; then
		echo "$0: no kvm_sweep found; build first or give a COMMAND" >&2
		exit 1
	fi
	set -- "$sweep" --fixture
fi

tracefs=/sys/kernel/tracing
if [ ! -d "$tracefs/events" ]; then
	mount -t tracefs nodev "$tracefs"
fi
if [ ! -d "$tracefs/events/kvmmmu" ]; then
	echo "$0: no kvmmmu events in $tracefs (is kvm loaded?)" >&2
	exit 1
fi

events="kvm_mmu_pagetable_walk kvm_mmu_paging_element kvm_mmu_walker_error
kvm_mmu_set_accessed_bit kvm_mmu_set_dirty_bit"
inst=$tracefs/instances/mmusim-capture-$$

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [ -d "$inst" ]; then
		echo 0 >"$inst/tracing_on" || true
		for e in $events; do
			echo 0 >"$inst/events/kvmmmu/$e/enable" || true
		done
		rmdir "$inst" || true
	fi
}
trap cleanup EXIT

mkdir "$inst"
echo 0 >"$inst/tracing_on"
echo "${MMUSIM_TRACE_BUFFER_KB:-8192}" >"$inst/buffer_size_kb"
for e in $events; do
	echo 1 >"$inst/events/kvmmmu/$e/enable"
done
: >"$inst/trace"

# Only the workload's own process: set_event_pid is written by the shell
# that then becomes the workload.
status=0
sh -c 'echo $$ >"$1/set_event_pid" && echo 1 >"$1/tracing_on" && shift && exec "$@"' \
	sh "$inst" "$@" || status=$?
echo 0 >"$inst/tracing_on"
for e in $events; do
	echo 0 >"$inst/events/kvmmmu/$e/enable"
done

cp "$inst/trace" "$out"
chmod a+r "$out"
walks=$(grep -c 'kvm_mmu_pagetable_walk:' "$out" || true)
echo "$0: $walks walks, $(wc -c <"$out") bytes in $out" >&2
counts=$(sed -n 's/^# entries-in-buffer\/entries-written: \([0-9]*\)\/\([0-9]*\).*/\1 \2/p' "$out")
if [ -n "$counts" ] && [ "${counts% *}" != "${counts#* }" ]; then
	echo "$0: the buffer overflowed: ${counts% *} of ${counts#* } events kept; raise MMUSIM_TRACE_BUFFER_KB" >&2
	status=1
fi
exit $status
