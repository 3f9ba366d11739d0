#!/usr/bin/env bash
# Capture KVM's TDP MMU (kvm_tdp_mmu_spte_changed, kvm_page_fault) in a
# nested guest: boot a Linux kernel with KVM in QEMU's TCG, whose emulated
# CPU has SVM with nested paging, load kvm_amd there (kvm.tdp_mmu=Y) and
# run scripts/capture-kvmmmu.sh in it, with two workloads: "kvm_sweep
# --fixture" (KVM's walks of a 64-bit guest's tables, 4K TDP mappings)
# and kvm_tdp_sizes (TDP faults on 4K, 2M and 1G host pages, MMU-notifier
# zaps and a memslot deleted and added back).
#
#   tests/kvm/tcg/capture-tdp.sh OUTPUT
#
# The kernel and its modules are $MMUSIM_TCG_ROOT/boot/vmlinuz-VERSION
# (the newest) and $MMUSIM_TCG_ROOT/lib/modules/VERSION: the installed
# ones by default, or a Debian linux-image package unpacked with
# "dpkg-deb -x PACKAGE.deb DIR" and MMUSIM_TCG_ROOT=DIR.  kvm_sweep and
# kvm_tdp_sizes are taken from $MMUSIM_BUILD (default build/).
# $MMUSIM_TCG_CPU is QEMU's -cpu: "max,la57=off,phys-bits=48" by default,
# TCG's CPU with SVM and NPT, 4-level paging (so a 4-level NPT, as on the
# EPYC hosts of the other captures) and MAXPHYADDR 48 (kvm_sweep's guest
# memory has an alias at 1 << 47, which KVM refuses beyond the host's
# MAXPHYADDR).  $MMUSIM_TCG_MEM (3072) is QEMU's -m in MiB: the guest
# kernel reserves a 1G and two 2M hugetlb pages for kvm_tdp_sizes at boot,
# and with 2048 no 1G-aligned gigabyte is free then.  $MMUSIM_TCG_TIMEOUT
# (900) is the seconds after which QEMU is killed.
#
# The initramfs holds busybox (static), bash, kvm_sweep and kvm_tdp_sizes
# (with the shared libraries they need), the capture script and the
# modules kvm_amd needs.
# The guest's init writes "mmusim-tcg: ..." lines on the console (ttyS0)
# and the trace on the second serial port (ttyS1, a file here).
# Exit status: 0 when the capture succeeded, 1 when it or the guest
# failed (the guest's console is shown), 77 when something it needs is missing
# here or in the emulated CPU (the reason is printed).
set -euo pipefail

usage() {
	echo "usage: $0 OUTPUT" >&2
	exit 2
}

skip() {
	echo "$0: skipped: $*" >&2
	exit 77
}

[ $# -eq 1 ] || usage
out=$1
root=$(cd "$(dirname "$0")/../../.." && pwd)
build=${MMUSIM_BUILD:-$root/build}
sysroot=${MMUSIM_TCG_ROOT:-}
cpu=${MMUSIM_TCG_CPU:-max,la57=off,phys-bits=48}
mem=${MMUSIM_TCG_MEM:-3072}
limit=${MMUSIM_TCG_TIMEOUT:-900}

for tool in qemu-system-x86_64 busybox cpio gzip timeout ldd; do
	command -v "$tool" >/dev/null || skip "no $tool (apt-get install qemu-system-x86 busybox-static cpio)"
done
busybox=$(command -v busybox)
# The guest has no libc of its own to run a dynamic busybox with.
if ldd "$busybox" >/dev/null 2>&1; then
	skip "$busybox is not static (apt-get install busybox-static)"
fi
sweep=$build/tests/kvm/kvm_sweep
sizes=$build/tests/kvm/kvm_tdp_sizes
for f in "$sweep" "$sizes"; do
	[ -x "$f" ] || skip "no $f (build first, or set MMUSIM_BUILD)"
done

# The first of its arguments that exists (a glob that matched nothing
# stays as it is).
first_existing() {
	for f in "$@"; do
		[ -e "$f" ] && echo "$f" && return
	done
	true
}

kernel=$(printf '%s\n' "$sysroot"/boot/vmlinuz-* | sort -V | tail -1)
[ -e "$kernel" ] || skip "no $sysroot/boot/vmlinuz-* (apt-get install linux-image-amd64, or unpack it and set MMUSIM_TCG_ROOT)"
version=${kernel##*/vmlinuz-}
moddir=$sysroot/lib/modules/$version/kernel
[ -r "$kernel" ] || skip "$kernel is not readable"

# kvm_amd and what it depends on, in load order (each module's
# "depends=" in its .modinfo).
modules="virt/lib/irqbypass drivers/crypto/ccp/ccp arch/x86/kvm/kvm arch/x86/kvm/kvm-amd"
for m in $modules; do
	f=$(first_existing "$moddir/$m".ko*)
	[ -n "$f" ] || skip "no $moddir/$m.ko (a kernel with CONFIG_KVM_AMD=m is needed)"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rd=$work/initramfs
mkdir -p "$rd"/{bin,sbin,dev,proc,sys,tmp,modules} \
	"$rd/mmusim/scripts" "$rd/mmusim/build/tests/kvm"

# A binary and the shared libraries ldd names, at the same paths.
copy_with_libs() {
	cp -L "$1" "$rd$2"
	ldd "$1" | grep -o '/[^ ]*' | while read -r lib; do
		mkdir -p "$rd$(dirname "$lib")"
		cp -L "$lib" "$rd$lib"
	done
}
cp "$busybox" "$rd/bin/busybox"
copy_with_libs "$(command -v bash)" /bin/bash
copy_with_libs "$sweep" /mmusim/build/tests/kvm/kvm_sweep
copy_with_libs "$sizes" /mmusim/build/tests/kvm/kvm_tdp_sizes
cp "$root/scripts/capture-kvmmmu.sh" "$rd/mmusim/scripts/"
for m in $modules; do
	f=$(first_existing "$moddir/$m".ko*)
	case $f in
	*.ko) cp "$f" "$rd/modules/" ;;
	*.ko.xz) xz -dc "$f" >"$rd/modules/$(basename "$m").ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$rd/modules/$(basename "$m").ko" ;;
	*) skip "$f: unknown module compression" ;;
	esac
done

# The guest's init: a "mmusim-tcg: skip|fail REASON" or
# "mmusim-tcg: status N" line on the console, the trace on ttyS1.
cat >"$rd/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mkdir -p /usr/bin
ln -s /bin/busybox /usr/bin/env
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tracefs nodev /sys/kernel/tracing
end() {
	echo "mmusim-tcg: $*"
	sync
	reboot -f
}
grep -q '^flags.* svm' /proc/cpuinfo || end skip "the emulated CPU has no svm"
grep -q '^flags.* npt' /proc/cpuinfo || end skip "the emulated CPU has no npt"
for m in irqbypass ccp kvm kvm-amd; do
	insmod /modules/$m.ko || end fail "insmod $m.ko failed"
done
[ -c /dev/kvm ] || end fail "kvm_amd loaded but no /dev/kvm"
echo "mmusim-tcg: kvm.tdp_mmu=$(cat /sys/module/kvm/parameters/tdp_mmu) kvm_amd.npt=$(cat /sys/module/kvm_amd/parameters/npt)"
[ "$(cat /sys/module/kvm/parameters/tdp_mmu)" = Y ] || end fail "kvm.tdp_mmu is not Y"
[ "$(cat /sys/module/kvm_amd/parameters/npt)" = Y ] || end fail "kvm_amd.npt is not Y"
status=0
bin=/mmusim/build/tests/kvm
MMUSIM_BUILD=/mmusim/build /mmusim/scripts/capture-kvmmmu.sh /tmp/trace.txt \
	sh -c "$bin/kvm_sweep --fixture && $bin/kvm_tdp_sizes" || status=$?
stty -F /dev/ttyS1 raw -echo
cat /tmp/trace.txt >/dev/ttyS1
end status $status
INIT
chmod +x "$rd/init"
(cd "$rd" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.gz"

console=$work/console.txt
trace=$work/trace.txt
: >"$trace"
start=$(date +%s)
qstatus=0
timeout "$limit" qemu-system-x86_64 -accel tcg -cpu "$cpu" -m "$mem" \
	-smp 1 -no-reboot -display none -monitor none \
	-serial "file:$console" -serial "file:$trace" \
	-kernel "$kernel" -initrd "$work/initramfs.gz" \
	-append "console=ttyS0 panic=-1 quiet loglevel=4 hugepagesz=1G hugepages=1 hugepagesz=2M hugepages=2" ||
	qstatus=$?
secs=$(($(date +%s) - start))
[ -f "$console" ] || : >"$console"

result=$(sed -n 's/\r$//; s/^mmusim-tcg: //p' "$console")
line=$(tail -1 <<<"$result")
echo "$0: $kernel, -cpu $cpu, ${secs} s in QEMU: $(grep '^kvm\.' <<<"$result" || echo 'no kvm parameters')" >&2
case $line in
"skip "*)
	skip "${line#skip }"
	;;
"status "*)
	status=${line#status }
	tr -d '\r' <"$trace" >"$out"
	chmod a+r "$out"
	grep 'capture-kvmmmu.sh:' "$console" | tr -d '\r' >&2 || true
	echo "$0: $(grep -c 'kvm_tdp_mmu_spte_changed:' "$out" || true) kvm_tdp_mmu_spte_changed," \
		"$(grep -c 'kvm_page_fault:' "$out" || true) kvm_page_fault," \
		"$(grep -c 'kvm_mmu_pagetable_walk:' "$out" || true) walks in $out" >&2
	[ "$status" = 0 ] || {
		echo "$0: the capture failed in the guest (exit $status); its console:" >&2
		tr -d '\r' <"$console" | tail -40 >&2
		exit 1
	}
	exit 0
	;;
esac
if [ "$qstatus" = 124 ]; then
	echo "$0: QEMU killed after $limit s" >&2
fi
echo "$0: the guest failed (QEMU exit $qstatus): ${line:-no result line}; its console:" >&2
tr -d '\r' <"$console" | tail -40 >&2
exit 1
