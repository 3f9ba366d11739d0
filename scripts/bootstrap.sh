#!/usr/bin/env bash
# Install the Debian packages mmusim needs, and only those that are missing.
# Makes no apt call at all when everything is present.
set -euo pipefail

packages=(
	build-essential cmake ninja-build pkg-config git
	clang libclang-rt-14-dev
	libxxhash-dev libcriterion-dev
	zlib1g-dev libzstd-dev liblzma-dev
	libgoogle-perftools-dev google-perftools
	valgrind
	python3-matplotlib
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "bootstrap: all ${#packages[@]} packages present"
	exit 0
fi

echo "bootstrap: installing ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
	sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
