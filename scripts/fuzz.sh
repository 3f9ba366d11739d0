#!/usr/bin/env bash
# Build the fuzz preset and fuzz each target for a bounded time on a copy of
# its seed corpus, after replaying its saved crashes (and, for fuzz_mmu and
# fuzz_readers, checking that each seed finds the same alone as after the
# others):
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# SECONDS (or $FUZZ_SECONDS) is per target, 25 by default; the targets are
# fuzz_spte, fuzz_walk, fuzz_readers, fuzz_sweep, fuzz_mmu, fuzz_api and
# fuzz_results.  Any crash,
# sanitizer report, leak or timeout fails the script and leaves the
# reproducer in the work directory it prints.
#
# Long campaigns run in the background, niced, on a corpus that is kept
# from one campaign of a target to the next (docs/fuzzing.md):
#   scripts/fuzz.sh --long TARGET [RUNS]   start one (RUNS: 10000000)
#   scripts/fuzz.sh --status [TARGET]      how far each one is
#   scripts/fuzz.sh --stop TARGET          stop one; its corpus stays
# $FUZZ_CAMPAIGNS is their directory (fuzz-campaigns/), $FUZZ_NICE their
# niceness (19).
set -euo pipefail
cd "$(dirname "$0")/.."

campaigns=${FUZZ_CAMPAIGNS:-fuzz-campaigns}

# The targets that print a digest of what each input found (FUZZ_DIGEST,
# tests/fuzz/fuzz_check.h) and keep state across inputs (host memory's
# pool of arenas).
digest_targets=" fuzz_mmu fuzz_readers "

# schedule_options TARGET sets schedule to the target's libFuzzer
# options for its schedule.  The entropic schedule keeps as rare the 100
# rarest features and every other seen at most 255 times (its default
# threshold), and looks up in that list each feature an execution
# touches: with the thousands of features of fuzz_mmu and fuzz_readers,
# that was more than half of their time.  A threshold of 8 keeps the list
# short and the schedule entropic, and reached more coverage in the same
# CPU time (docs/fuzzing.md, "Cost per execution").
schedule_options() {
	schedule=()
	case $1 in
	fuzz_mmu | fuzz_readers) schedule=(-entropic_feature_frequency_threshold=8) ;;
	esac
}

# The digest of each input a libFuzzer log ran, one a line, or "differs"
# when it ran more than once (libFuzzer runs an input again to look for a
# leak when it allocated more than it freed) and found something else.
digests_by_input() {
	awk '/^Running: / { if (n++) print d; d = ""; next }
	     /^fuzz digest: / { d = d == "" || d == $3 ? $3 : "differs" }
	     END { if (n) print d }' "$@"
}

# isolation_check BIN LOG INPUT...: each input's digest after the others
# in one process, in order and then in reverse, must be its digest in a
# process of its own: state one input leaves must not change what the
# next one finds, or a finding would not reproduce alone.
isolation_check() {
	local bin=$1 log=$2 i n f alone
	local -a inputs together
	shift 2
	inputs=("$@")
	for ((i = $# - 1; i >= 0; i--)); do
		inputs+=("${inputs[i]}")
	done
	if ! FUZZ_DIGEST=1 "$bin" "${inputs[@]}" >"$log" 2>&1; then
		echo "fuzz: $bin fails on the inputs in one process ($log)" >&2
		return 1
	fi
	mapfile -t together < <(digests_by_input "$log")
	n=${#inputs[@]}
	if [ ${#together[@]} -ne "$n" ]; then
		echo "fuzz: $bin ran ${#together[@]} of $n inputs ($log)" >&2
		return 1
	fi
	for ((i = 0; i < $#; i++)); do
		f=${inputs[i]}
		alone=$(FUZZ_DIGEST=1 "$bin" "$f" 2>&1 | digests_by_input)
		if [ "$alone" != "${together[i]}" ] ||
			[ "$alone" != "${together[n - 1 - i]}" ]; then
			echo "fuzz: $f finds $alone alone, ${together[i]} and ${together[n - 1 - i]} after other inputs ($log)" >&2
			return 1
		fi
	done
}

# The last "#RUNS ... exec/s: N" line of a libFuzzer log, or "starting".
campaign_progress() {
	local line
	line=$(grep -a -E '^#[0-9]+' "$1" 2>/dev/null | tail -1) || true
	echo "${line:-starting}"
}

campaign_status() {
	local dir t pid state
	shopt -s nullglob
	for dir in "$campaigns"/*/; do
		t=$(basename "$dir")
		[ $# -eq 0 ] || [ "$t" = "$1" ] || continue
		[ -f "$dir/commit" ] || continue
		pid=$(cat "$dir/pid" 2>/dev/null || echo 0)
		if [ -f "$dir/result" ]; then
			state=$(cat "$dir/result")
		elif kill -0 "$pid" 2>/dev/null; then
			state="running (pid $pid): $(campaign_progress "$dir/fuzz.log")"
		else
			state="stopped: $(campaign_progress "$dir/fuzz.log")"
		fi
		echo "$t at $(cat "$dir/commit"): $state"
	done
	shopt -u nullglob
}

# Runs in the background: replay the saved crashes, then fuzz on the kept
# corpus (seeded from tests/fuzz/corpus) until RUNS executions or a finding.
campaign_run() {
	local t=$1 runs=$2 dir=$3 status=0 crashes dict=() execs rate
	shopt -s nullglob
	crashes=(tests/fuzz/crashes/"$t"/*)
	shopt -u nullglob
	if [ ${#crashes[@]} -gt 0 ] &&
		! "$dir/$t" "${crashes[@]}" >"$dir/replay.log" 2>&1; then
		echo "FAILED: a saved crash fails again ($dir/replay.log)" >"$dir/result"
		return
	fi
	[ -f tests/fuzz/"$t".dict ] && dict=(-dict=tests/fuzz/"$t".dict)
	schedule_options "$t"
	"$dir/$t" -runs="$runs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
		"${schedule[@]}" \
		"${dict[@]}" "$dir/corpus" tests/fuzz/corpus/"$t" \
		>"$dir/fuzz.log" 2>&1 || status=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/fuzz.log")
	if [ $status -eq 0 ]; then
		echo "done: ${execs:-?} executions, ${rate:-?} exec/s, 0 findings, $(date -u +%FT%TZ)" >"$dir/result"
	else
		echo "FINDING after ${execs:-?} executions (exit $status): artifacts in $dir/artifacts/, log $dir/fuzz.log" >"$dir/result"
	fi
}

campaign_start() {
	local t=$1 runs=${2:-10000000} dir commit
	dir=$campaigns/$t
	if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
		echo "fuzz: a $t campaign is running already:" >&2
		campaign_status "$t" >&2
		exit 1
	fi
	scripts/bootstrap.sh
	cmake --preset fuzz -DMMUSIM_FUZZ_STRICT_ARCH=OFF
	cmake --build --preset fuzz --target "$t"
	mkdir -p "$dir/corpus" "$dir/artifacts"
	rm -f "$dir/result" "$dir/fuzz.log"
	# The campaign runs its own copy: a rebuild cannot change it midway.
	cp build-fuzz/fuzz/"$t" "$dir/$t"
	commit=$(git rev-parse --short=12 HEAD)
	git diff --quiet HEAD -- . || commit="$commit+dirty"
	echo "$commit" >"$dir/commit"
	nohup nice -n "${FUZZ_NICE:-19}" "$PWD/scripts/fuzz.sh" --run-campaign "$t" "$runs" "$dir" \
		</dev/null >/dev/null 2>&1 &
	echo $! >"$dir/pid"
	echo "fuzz: $t campaign of $runs runs at $commit in $dir (pid $!);"
	echo "fuzz: scripts/fuzz.sh --status $t to watch it, --stop $t to stop it"
}

case "${1:-}" in
-h | --help)
	sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"
	exit 0
	;;
--long)
	[ $# -ge 2 ] || { echo "usage: scripts/fuzz.sh --long TARGET [RUNS]" >&2; exit 2; }
	campaign_start "$2" "${3:-}"
	exit 0
	;;
--status)
	shift
	campaign_status "$@"
	exit 0
	;;
--stop)
	[ $# -ge 2 ] || { echo "usage: scripts/fuzz.sh --stop TARGET" >&2; exit 2; }
	pid=$(cat "$campaigns/$2/pid" 2>/dev/null || echo 0)
	# The campaign's shell, then its fuzzer, by their own ids.
	pkill -P "$pid" 2>/dev/null || true
	kill "$pid" 2>/dev/null || true
	for _ in 1 2 3 4 5; do
		kill -0 "$pid" 2>/dev/null || break
		sleep 1
	done
	campaign_status "$2"
	exit 0
	;;
--run-campaign)
	campaign_run "$2" "$3" "$4"
	exit 0
	;;
-*)
	echo "fuzz: unknown option '$1' (see scripts/fuzz.sh --help)" >&2
	exit 2
	;;
esac

seconds=${FUZZ_SECONDS:-25}
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
	seconds=$1
	shift
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_spte fuzz_walk fuzz_readers fuzz_sweep fuzz_mmu fuzz_api fuzz_results)

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

	if [[ $digest_targets == *" $t "* ]]; then
		echo "== fuzz: $t finds the same on each seed alone and after the others"
		if ! isolation_check "$bin" "$dir/isolation.log" tests/fuzz/corpus/"$t"/*; then
			echo "fuzz: $t: state leaks from one input to the next" >&2
			failed=$((failed + 1))
			continue
		fi
	fi

	dict=()
	[ -f tests/fuzz/"$t".dict ] && dict=(-dict=tests/fuzz/"$t".dict)
	schedule_options "$t"
	echo "== fuzz: $t for ${seconds}s"
	if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
		"${schedule[@]}" \
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
