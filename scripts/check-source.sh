#!/usr/bin/env bash
# Source hygiene: kernel-style formatting, no *_internal.h included from
# outside the folder that owns it, and includes only down the dependency
# direction walker <- mmu <- sim.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
mapfile -t sources < <(git ls-files '*.c' '*.h')

# "#include "walker/walker_internal.h"" may appear only under walker/.
for f in "${sources[@]}"; do
	dir=${f%%/*}
	while IFS= read -r line; do
		inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$line")
		owner=${inc%%/*}
		if [ "$owner" = "$inc" ]; then
			echo "$f: '$inc': include internal headers with their folder" >&2
			status=1
		elif [ "$owner" != "$dir" ]; then
			echo "$f: includes $inc, which is internal to $owner/" >&2
			status=1
		fi
	done < <(grep -E '^#include "[^"]*_internal\.h"' "$f" || true)
done

# walker/ includes nothing from mmu/ or sim/, and mmu/ nothing from sim/.
for f in "${sources[@]}"; do
	case $f in
	walker/*) above='mmu|sim' ;;
	mmu/*) above='sim' ;;
	*) continue ;;
	esac
	while IFS= read -r line; do
		echo "$f:${line%%:*}: includes ${line#*:}, from a layer above ${f%%/*}/ (walker <- mmu <- sim)" >&2
		status=1
	done < <(grep -nE "^#include \"($above)/" "$f" | sed -E 's/^([0-9]+):#include "([^"]+)".*/\1:\2/' || true)
done

if command -v clang-format >/dev/null; then
	if ! clang-format --dry-run --Werror "${sources[@]}" 2>/tmp/clang-format.$$; then
		head -40 /tmp/clang-format.$$ >&2
		echo "check-source: run 'clang-format -i' on the files above" >&2
		status=1
	fi
	rm -f /tmp/clang-format.$$
fi
exit $status
