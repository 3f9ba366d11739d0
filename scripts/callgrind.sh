#!/usr/bin/env bash
# Instructions per operation of mmusim-bench candidates, counted by
# valgrind --tool=callgrind (docs/performance.md):
#
#   scripts/callgrind.sh [-n N] [-b BUILD_DIR] [-o OUT_DIR] BENCH [GLOBS]
#
# For each candidate of BENCH (perm, spte, walk, fault) matching GLOBS (as
# --filter; default: all), runs "mmusim-bench BENCH --fixed" twice under
# callgrind, with --iterations=0 (setup and teardown only) and with
# --iterations=N, and prints (Ir(N) - Ir(0)) / N.  The loop that feeds
# the candidate (a load or two and a counter) is included.  The callgrind
# files stay in OUT_DIR for callgrind_annotate.
set -euo pipefail
cd "$(dirname "$0")/.."

n=100000
build="build-release"
out=
usage() {
	echo "usage: scripts/callgrind.sh [-n N] [-b BUILD_DIR] [-o OUT_DIR] BENCH [GLOBS]" >&2
	exit 2
}
while getopts "n:b:o:h" opt; do
	case $opt in
	n) n=$OPTARG ;;
	b) build=$OPTARG ;;
	o) out=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	usage
fi
bench=$1
filter=${2:-*}
# The replay bench's work is mmusim run in a child process, which this
# count of the bench's own process would leave out.
if [ "$bench" = replay ]; then
	echo "callgrind.sh: replay: its mmusim run is a child process; count it with" >&2
	echo "  valgrind --tool=callgrind $build/mmusim run --no-timing TRACE" >&2
	exit 2
fi
case $n in
'' | *[!0-9]* | 0)
	echo "callgrind.sh: -n $n: want a positive count" >&2
	exit 2
	;;
esac

bin=$build/mmusim-bench
if [ ! -x "$bin" ]; then
	echo "callgrind.sh: $bin: not built (cmake --preset release && cmake --build --preset release)" >&2
	exit 2
fi
command -v valgrind >/dev/null || {
	echo "callgrind.sh: valgrind not installed" >&2
	exit 2
}
[ -n "$out" ] || out=$(mktemp -d /tmp/mmusim-callgrind.XXXXXX)
mkdir -p "$out"

# Total Ir of one run: the "summary:" line of the callgrind file.
count() {
	local file=$1
	shift
	valgrind --tool=callgrind --callgrind-out-file="$file" "$bin" "$@" \
		>/dev/null 2>"$file.log" || {
		cat "$file.log" >&2
		return 1
	}
	awk '/^summary:/ { print $2 }' "$file"
}

mapfile -t candidates < <("$bin" "$bench" --list --filter="$filter" | awk '{ print $2 }')
[ ${#candidates[@]} -gt 0 ] || {
	echo "callgrind.sh: no $bench candidate matches '$filter'" >&2
	exit 2
}

printf "%-22s %14s %14s %12s\n" candidate "Ir(setup)" "Ir(N=$n)" "Ir/op"
for c in "${candidates[@]}"; do
	base=$(count "$out/$bench.$c.0.out" "$bench" --fixed --iterations=0 --filter="$c")
	total=$(count "$out/$bench.$c.$n.out" "$bench" --fixed --iterations="$n" --filter="$c")
	# %.0f: mawk's %d stops at 2147483647, a count that -n can pass.
	awk -v c="$c" -v b="$base" -v t="$total" -v n="$n" \
		'BEGIN { printf "%-22s %14.0f %14.0f %12.1f\n", c, b, t, (t - b) / n }'
done
echo "callgrind files: $out (callgrind_annotate $out/$bench.CANDIDATE.$n.out)"
