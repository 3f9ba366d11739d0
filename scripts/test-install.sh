#!/usr/bin/env bash
# Install libmmusim from a configured build directory (default: build, the
# "default" preset) to a temporary prefix, then build the examples/
# against the installed package three times, through pkg-config (C and
# C++, make), through find_package(mmusim) (CMake) and the same with the
# static library (mmusim::mmusim_static), and run each build:
# what a program outside this tree sees (docs/library.md).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build}
[ -f "$build/CMakeCache.txt" ] || cmake --preset default
cmake --build "$build" >/dev/null

tmp=$(mktemp -d /tmp/mmusim-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name 'libmmusim.so' | head -1)")

# Nothing internal is installed, and the public headers are all there.
if find "$prefix/include" -name '*_internal.h' | grep -q .; then
	echo "test-install: internal headers were installed" >&2
	exit 1
fi
for h in mmusim.h mmu.h page_format.h sim.h types.h version.h walker.h; do
	[ -f "$prefix/include/mmusim/$h" ] || {
		echo "test-install: include/mmusim/$h missing" >&2
		exit 1
	}
done

trace=tests/run/data/lackey-true.txt
check() {
	local what=$1 dir=$2
	local out
	out=$(LD_LIBRARY_PATH=$libdir "$dir/walk2d")
	grep -q 'GPA 0x105010 refs=24$' <<<"$out" || {
		echo "test-install: $what: walk2d printed:" >&2
		echo "$out" >&2
		exit 1
	}
	out=$(LD_LIBRARY_PATH=$libdir "$dir/replay" "$trace")
	grep -q '^accesses [1-9][0-9]*, TLB hits [1-9]' <<<"$out" &&
		grep -q '^mmu tdp: .*sp_created=[1-9]' <<<"$out" || {
		echo "test-install: $what: replay printed:" >&2
		echo "$out" >&2
		exit 1
	}
	echo "test-install: $what: walk2d and replay ran"
}

mkdir -p "$tmp/pkg-config"
PKG_CONFIG_PATH=$libdir/pkgconfig make -s -C examples O="$tmp/pkg-config" \
	CFLAGS="-O2 -Wall -Wextra -Werror" CXXFLAGS="-O2 -Wall -Wextra -Werror"
check pkg-config "$tmp/pkg-config"

cmake -S examples -B "$tmp/find-package" -G Ninja \
	-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" \
	-DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" >/dev/null
cmake --build "$tmp/find-package" >/dev/null
check find_package "$tmp/find-package"

cmake -S examples -B "$tmp/static" -G Ninja -DMMUSIM_EXAMPLES_STATIC=ON \
	-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" \
	-DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" >/dev/null
cmake --build "$tmp/static" >/dev/null
if ldd "$tmp/static/walk2d" | grep -q libmmusim; then
	echo "test-install: static: walk2d links libmmusim.so" >&2
	exit 1
fi
libdir=/nonexistent check "find_package, static" "$tmp/static"
