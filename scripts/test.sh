#!/usr/bin/env bash
# Build one preset and run its whole test suite: scripts/test.sh [PRESET...]
# (default: the "default" preset, gcc with -Werror).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
[ $# -gt 0 ] || set -- default
for preset in "$@"; do
	echo "== test: preset $preset"
	cmake --preset "$preset"
	cmake --build --preset "$preset"
	ctest --preset "$preset"
done
