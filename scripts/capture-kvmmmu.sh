#!/usr/bin/env bash
# Capture KVM's guest page walks (the kvmmmu walker tracepoints) while a
# workload runs, and save the trace text in tracefs format.
#
#   scripts/capture-kvmmmu.sh OUTPUT [COMMAND [ARG...]]
#
# Without COMMAND the workload is "kvm_sweep --fixture", a few accesses in
# a guest (kvm_sweep is looked for in $MMUSIM_BUILD, build/ and
# /tmp/kvm-build).  The events
# are enabled in a tracefs instance of their own, for the workload's
# process and its children only (a COMMAND may be a shell running
# several), and disabled again (the instance removed) on exit.  The
# buffer holds MMUSIM_TRACE_BUFFER_KB (8192) KB per CPU; an overflow is
# reported and makes the exit status 1.
#
# The first line of OUTPUT is "# mmusim-guest: vendor=V maxphyaddr=N
# gbpages=on|off" (docs/trace-formats.md), the guest's CPUID facts the
# trace lacks, so that mmusim run replays it with no options: from
# $MMUSIM_GUEST ("vendor=amd maxphyaddr=48 gbpages=off") when set, else
# from "kvm_sweep --guest-info" (the guest KVM_GET_SUPPORTED_CPUID gives),
# else the host's /proc/cpuinfo, with a warning.  The workload finds the
# instance's trace_marker in $MMUSIM_TRACE_MARKER, for its "mmusim-role:"
# lines (kvm_sweep writes one per case).  MMUSIM_TRACE_CMD=1 saves
# "trace-cmd report" text instead of tracefs's.
# kvm_tdp_mmu_spte_changed is enabled but fires only with the TDP MMU
# (kvm.tdp_mmu=Y): otherwise a note on standard error says so.  The kvm
# system's kvm_page_fault is enabled too: under TDP it is the NPT or EPT
# violation KVM handles (the GPA and the error code or exit
# qualification), under the shadow MMU the guest's #PF it intercepted
# (PVM's fault path traces none).
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

sweep=
for d in "${MMUSIM_BUILD:-}" "$root/build" /tmp/kvm-build; do
	if [ -n "$d" ] && [ -x "$d/tests/kvm/kvm_sweep" ]; then
		sweep=$d/tests/kvm/kvm_sweep
		break
	fi
done
if [ $# -eq 0 ]; then
	if [ -z "$sweep" ]; then
		echo "$0: no kvm_sweep found; build first or give a COMMAND" >&2
		exit 1
	fi
	set -- "$sweep" --fixture
fi

# The "mmusim-guest:" header.
if [ -n "${MMUSIM_GUEST:-}" ]; then
	guest="mmusim-guest: $MMUSIM_GUEST"
elif [ -n "$sweep" ] && guest=$("$sweep" --guest-info); then
	:
else
	vendor=intel
	grep -q '^vendor_id.*AuthenticAMD' /proc/cpuinfo && vendor=amd
	bits=$(sed -n 's/^address sizes[^0-9]*\([0-9]*\) bits physical.*/\1/p' /proc/cpuinfo | head -1)
	gb=off
	grep -q '^flags.* pdpe1gb' /proc/cpuinfo && gb=on
	guest="mmusim-guest: vendor=$vendor maxphyaddr=$bits gbpages=$gb"
	echo "$0: warning: the guest's CPUID is taken as the host's ($guest); set MMUSIM_GUEST if it differs" >&2
fi

tracefs=/sys/kernel/tracing
if [ ! -d "$tracefs/events" ]; then
	mount -t tracefs nodev "$tracefs"
fi
if [ ! -d "$tracefs/events/kvmmmu" ]; then
	echo "$0: no kvmmmu events in $tracefs (is kvm loaded?)" >&2
	exit 1
fi
# kvm_tdp_mmu_spte_changed fires only under the TDP MMU.
tdp_mmu=$(cat /sys/module/kvm/parameters/tdp_mmu 2>/dev/null || echo unknown)
if [ "$tdp_mmu" != Y ]; then
	echo "$0: note: kvm.tdp_mmu=$tdp_mmu: no kvm_tdp_mmu_spte_changed events (the shadow MMU's get_page, set_spte and prepare_zap_page are captured)" >&2
fi

# SYSTEM/EVENT, as under events/.
events="kvmmmu/kvm_mmu_pagetable_walk kvmmmu/kvm_mmu_paging_element
kvmmmu/kvm_mmu_walker_error kvmmmu/kvm_mmu_set_accessed_bit
kvmmmu/kvm_mmu_set_dirty_bit kvmmmu/kvm_mmu_get_page kvmmmu/kvm_mmu_set_spte
kvmmmu/kvm_mmu_prepare_zap_page kvmmmu/kvm_tdp_mmu_spte_changed
kvm/kvm_page_fault"
inst=$tracefs/instances/mmusim-capture-$$

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [ -d "$inst" ]; then
		echo 0 >"$inst/tracing_on" || true
		for e in $events; do
			echo 0 >"$inst/events/$e/enable" || true
		done
		rmdir "$inst" || true
	fi
}
trap cleanup EXIT

mkdir "$inst"
echo 0 >"$inst/tracing_on"
echo "${MMUSIM_TRACE_BUFFER_KB:-8192}" >"$inst/buffer_size_kb"
echo 1 >"$inst/options/event-fork"
for e in $events; do
	echo 1 >"$inst/events/$e/enable"
done
: >"$inst/trace"

# Only the workload's own process and those it starts (event-fork):
# set_event_pid is written by the shell that then becomes the workload.
status=0
MMUSIM_TRACE_MARKER=$inst/trace_marker \
	sh -c 'echo $$ >"$1/set_event_pid" && echo 1 >"$1/tracing_on" && shift && exec "$@"' \
	sh "$inst" "$@" || status=$?
echo 0 >"$inst/tracing_on"
for e in $events; do
	echo 0 >"$inst/events/$e/enable"
done

counts=$(sed -n 's/^# entries-in-buffer\/entries-written: \([0-9]*\)\/\([0-9]*\).*/\1 \2/p' "$inst/trace")
if [ "${MMUSIM_TRACE_CMD:-0}" = 1 ]; then
	# trace-cmd report's text instead (trace-cmd extract removes the
	# instance).
	dat=$(mktemp)
	trace-cmd extract -B "${inst##*/}" -o "$dat" >/dev/null 2>&1
	{
		echo "# $guest"
		trace-cmd report -i "$dat"
	} >"$out"
	rm -f "$dat"
else
	{
		echo "# $guest"
		cat "$inst/trace"
	} >"$out"
fi
chmod a+r "$out"
walks=$(grep -c 'kvm_mmu_pagetable_walk:' "$out" || true)
echo "$0: $walks walks, $(wc -c <"$out") bytes in $out" >&2
if [ -n "$counts" ] && [ "${counts% *}" != "${counts#* }" ]; then
	echo "$0: the buffer overflowed: ${counts% *} of ${counts#* } events kept; raise MMUSIM_TRACE_BUFFER_KB" >&2
	status=1
fi
exit $status
