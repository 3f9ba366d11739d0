#!/usr/bin/env bash
# scripts/check-source.sh on scratch trees: it refuses an include against
# the dependency direction walker <- mmu <- sim, naming file and line, and
# passes the includes that follow it.
set -uo pipefail
src=${1:?usage: check_source_test.sh SOURCE_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

# expect pass|fail WHAT [MESSAGE] -- PATH=LINE...: a fresh tree holding
# the script, .clang-format and the given one-line files.
expect() {
	local want=$1 what=$2 message=$3 tree=$tmp/tree got spec
	shift 4
	rm -rf "$tree"
	mkdir -p "$tree/scripts" "$tree/walker" "$tree/mmu" "$tree/sim"
	cp "$src/scripts/check-source.sh" "$tree/scripts/"
	cp "$src/.clang-format" "$tree/"
	for spec in "$@"; do
		printf '%s\n' "${spec#*=}" >"$tree/${spec%%=*}"
	done
	git -C "$tree" init -q && git -C "$tree" add -A
	bash "$tree/scripts/check-source.sh" 2>"$tmp/err"
	got=$?
	if [ "$want" = pass ] && [ $got -ne 0 ]; then
		echo "FAIL: $what: exit $got"; cat "$tmp/err"; failed=1
	elif [ "$want" = fail ] && [ $got -eq 0 ]; then
		echo "FAIL: $what: passed"; failed=1
	elif [ -n "$message" ] && ! grep -qF "$message" "$tmp/err"; then
		echo "FAIL: $what: no '$message' in:"; cat "$tmp/err"; failed=1
	else
		echo "ok: $what"
	fi
}

expect fail "walker/ includes from mmu/" "walker/a.c:2: includes mmu/mmu.h" -- \
	'walker/b.c=#include "walker/types.h"' \
	"walker/a.c=$(printf '#include "walker/walker.h"\n#include "mmu/mmu.h"')"
expect fail "walker/ includes from sim/" "walker/a.h:1: includes sim/run.h" -- \
	'walker/a.h=#include "sim/run.h"'
expect fail "mmu/ includes from sim/" "mmu/a.c:1: includes sim/vcpu.h" -- \
	'mmu/a.c=#include "sim/vcpu.h"'
expect pass "mmu/ includes from walker/" "" -- \
	'mmu/a.c=#include "walker/walker.h"'
expect pass "sim/ includes from mmu/ and walker/" "" -- \
	"sim/a.c=$(printf '#include "mmu/mmu.h"\n#include "walker/walker.h"')"
expect fail "another folder's internal header" "internal to walker/" -- \
	'mmu/a.c=#include "walker/walker_internal.h"'
exit $failed
