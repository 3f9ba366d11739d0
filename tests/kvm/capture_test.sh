#!/usr/bin/env bash
# End to end: capture "kvm_sweep --fixture" with scripts/capture-kvmmmu.sh
# and replay the trace with no options.  Every walk agrees (the SMEP case
# by its mmusim-role marker, the guest by the mmusim-guest header), every
# SPTE of a walked page agrees with shadow_mmu's, and no get_page or
# prepare_zap_page disagrees with shadow_mmu's pages.
#
#   capture_test.sh SOURCE_DIR BUILD_DIR MMUSIM
#
# Exit 77 (ctest: Skipped) without root, /dev/kvm ($MMUSIM_KVM_DEVICE, as
# for kvm_test), tracefs or the kvmmmu events, or when kvm_sweep finds KVM
# unusable.
set -uo pipefail

src=$1
build=$2
mmusim=$3
tracefs=/sys/kernel/tracing

skip() {
	echo "skipped: $*"
	exit 77
}

[ "$(id -u)" = 0 ] || skip "not root"
kvm=${MMUSIM_KVM_DEVICE:-/dev/kvm}
[ -c "$kvm" ] || skip "no $kvm"
if [ ! -d "$tracefs/events" ]; then
	mount -t tracefs nodev "$tracefs" 2>/dev/null || skip "no tracefs"
fi
[ -d "$tracefs/events/kvmmmu" ] || skip "no kvmmmu events in $tracefs"

out=$(mktemp)
trap 'rm -f "$out"' EXIT
MMUSIM_BUILD=$build "$src/scripts/capture-kvmmmu.sh" "$out" >/dev/null
status=$?
[ $status -ne 77 ] || skip "kvm_sweep: KVM is not usable here"
[ $status -eq 0 ] || {
	echo "capture-kvmmmu.sh failed ($status)"
	exit 1
}

json=$("$mmusim" run --json "$out")
status=$?
fail=0
expect() {
	if ! grep -q -- "$1" <<<"$json"; then
		echo "expected $1 in the report"
		fail=1
	fi
}
expect '"disagree": 0, "incomplete": 0,'
expect '"guest_lines": 2, "role_lines": 6, "agree_inferred": 0,'
expect '"sptes": {"set_spte": [1-9][0-9]*, "agree": [1-9][0-9]*, "disagree": 0,'
expect '"pages": {"get_page": [1-9][0-9]*, "get_page_agree": [1-9][0-9]*, "get_page_disagree": 0,'
expect '"prepare_zap_disagree": 0,'
if [ $status -ne 0 ] || [ $fail -ne 0 ]; then
	echo "mmusim run exited $status:"
	echo "$json"
	exit 1
fi
echo "captured and replayed: $(grep -o '"walks": [0-9]*, "agree": [0-9]*' <<<"$json" | head -1)," \
	"$(grep -o '"sptes": {[^}]*}' <<<"$json")," \
	"$(grep -o '"pages": {[^}]*}' <<<"$json")"
