#!/usr/bin/env bash
# Build the fuzz preset and fuzz each target for a bounded time on a copy of
# its seed corpus, after replaying its saved crashes:
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# SECONDS (or $FUZZ_SECONDS) is per target, 25 by default; the targets are
# fuzz_spte, fuzz_walk, fuzz_readers and fuzz_mmu.  Any crash, sanitizer
# report, leak or timeout fails the script and leaves the reproducer in the
# work directory it prints.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-25}
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
	seconds=$1
	shift
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_spte fuzz_walk fuzz_readers fuzz_mmu)

scripts/bootstrap.sh
cmake --preset fuzz -DMMUSIM_FUZZ_STRICT_ARCH=OFF
cmake --build --preset fuzz --target "${targets[@]}"

work=$(mktemp -d "${TMPDIR:-/tmp}/mmusim-fuzz.XXXXXX")
failed=0
for t in "${targets[@]}"; do
	bin=build-fuzz/fuzz/$t
	dir=$work/$t
	mkdir -p "$dir/corpus" "$dir/artifacts"
	cp tests/fuzz/corpus/"$t"/* "$dir/corpus/"

	# Every saved crash must run clean (fixed bugs, or known ones the
	# targets tolerate; see tests/fuzz/crashes/README.md).
	shopt -s nullglob
	crashes=(tests/fuzz/crashes/"$t"/*)
	shopt -u nullglob
	if [ ${#crashes[@]} -gt 0 ]; then
		echo "== fuzz: $t replays ${#crashes[@]} saved crash(es)"
		if ! "$bin" "${crashes[@]}" >"$dir/replay.log" 2>&1; then
			grep -m1 -A8 -E '^fuzz_|ERROR|runtime error' "$dir/replay.log" >&2 ||
				tail -40 "$dir/replay.log" >&2
			echo "fuzz: $t: a saved crash fails again ($dir/replay.log)" >&2
			failed=$((failed + 1))
			continue
		fi
	fi

	dict=()
	[ -f tests/fuzz/"$t".dict ] && dict=(-dict=tests/fuzz/"$t".dict)
	echo "== fuzz: $t for ${seconds}s"
	if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
		"${dict[@]}" "$dir/corpus" >"$dir/fuzz.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log")
		rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/fuzz.log")
		echo "fuzz: $t: $runs runs, $rate exec/s, no crash"
	else
		grep -m1 -A30 -E '^fuzz_|ERROR|runtime error' "$dir/fuzz.log" >&2 ||
			tail -40 "$dir/fuzz.log" >&2
		echo "fuzz: $t: CRASH; reproducer in $dir/artifacts/, log $dir/fuzz.log" >&2
		failed=$((failed + 1))
	fi
done

if [ $failed -eq 0 ]; then
	rm -rf "$work"
else
	echo "fuzz: work directory kept: $work" >&2
fi
echo "fuzz: $((${#targets[@]} - failed)) passed, $failed failed"
[ $failed -eq 0 ]
