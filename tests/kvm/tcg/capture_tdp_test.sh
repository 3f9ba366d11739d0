#!/usr/bin/env bash
# Capture KVM's TDP MMU in a nested TCG guest with
# tests/kvm/tcg/capture-tdp.sh (opt-in), or take the capture TRACE kept
# from it, and replay the trace with no options.  The trace must hold
# kvm_tdp_mmu_spte_changed and kvm_page_fault events and leaf SPTEs at
# levels 1, 2 and 3 (4K, 2M and 1G); no walk of it may disagree or be
# incomplete, and of KVM's SPTEs at least one must agree with tdp_mmu's
# and none disagree.
#
#   capture_tdp_test.sh SOURCE_DIR BUILD_DIR MMUSIM [TRACE]
#
# Without TRACE: exit 77 (ctest: Skipped) unless MMUSIM_TCG_CAPTURE=1
# asks for the capture (the boot takes 30-60 s), or when capture-tdp.sh
# cannot run here.
set -uo pipefail

src=$1
build=$2
mmusim=$3
kept=${4:-}

out=$(mktemp)
trap 'rm -f "$out"' EXIT
if [ -n "$kept" ]; then
	case $kept in
	*.xz) xz -dc "$kept" >"$out" ;;
	*) cat "$kept" >"$out" ;;
	esac || {
		echo "cannot read $kept"
		exit 1
	}
else
	if [ "${MMUSIM_TCG_CAPTURE:-0}" != 1 ]; then
		echo "skipped: set MMUSIM_TCG_CAPTURE=1 to boot the nested TCG guest"
		exit 77
	fi
	MMUSIM_BUILD=$build "$src/tests/kvm/tcg/capture-tdp.sh" "$out"
	status=$?
	[ $status -ne 77 ] || exit 77
	[ $status -eq 0 ] || {
		echo "capture-tdp.sh failed ($status)"
		exit 1
	}
fi

fail=0
for e in kvm_tdp_mmu_spte_changed kvm_page_fault; do
	if ! grep -q " $e: " "$out"; then
		echo "no $e event in the trace"
		fail=1
	fi
done
# KVM's leaf SPTEs by level: present (SPTE_MMU_PRESENT, bit 11) and at
# level 1 or with PS (bit 7).  kvm_tdp_sizes maps 4K, 2M and 1G pages.
spte_mmu_present=$((1 << 11))
spte_ps=$((1 << 7))
leaves=$(grep -o ' kvm_tdp_mmu_spte_changed: .*' "$out" |
	while read -r _ _ _ _ _ _ _ level _ _ _ new; do
		v=$((16#$new))
		if ((v & spte_mmu_present)) && { [ "$level" = 1 ] || ((v & spte_ps)); }; then
			echo "$level"
		fi
	done | sort | uniq -c)
for level in 1 2 3; do
	if ! grep -q " $level\$" <<<"$leaves"; then
		echo "no level-$level leaf SPTE in the trace"
		fail=1
	fi
done
json=$("$mmusim" run --json "$out")
status=$?
if ! grep -q '"disagree": 0, "incomplete": 0,' <<<"$json"; then
	echo "a walk disagrees or is incomplete"
	fail=1
fi
tdp=$(grep -o '"tdp_sptes": {[^}]*}' <<<"$json")
if ! grep -q '"agree": [1-9][0-9]*, "disagree": 0,' <<<"$tdp"; then
	echo "no SPTE of KVM's agrees with tdp_mmu's, or one disagrees: ${tdp:-no tdp_sptes}"
	fail=1
fi
if [ $status -ne 0 ] || [ $fail -ne 0 ]; then
	echo "mmusim run exited $status:"
	echo "$json"
	exit 1
fi
echo "leaf SPTEs set: $(awk '{ printf "%slevel %s: %s", sep, $2, $1; sep = ", " }' <<<"$leaves")"
echo "replayed: $(grep -o '"walks": [0-9]*, "agree": [0-9]*' <<<"$json" | head -1), $tdp"
