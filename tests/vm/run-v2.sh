#!/usr/bin/env bash
# Runs the integration suite on a real, pure cgroup v2 kernel: Debian's own
# kernel package booted under qemu, with the host's root shared read-only
# over 9p so that the guest runs the very same pytest files, conftest and
# Python as the host.
#
# Why this shape (see tests/vm/init.sh for the guest side):
# - The host's root over 9p, read-only, under an overlay whose upper layer is
#   guest memory: same paths, same tools, no copy to keep in sync, and the
#   guest can neither write to the host nor fail on EROFS; the binary under
#   test is snapshotted into the initramfs at start (a rebuild on the host
#   during the run cannot hand the guest half a file).
# - The runner gets its own mount namespace whose root is that overlay (moved
#   onto "/"), not a chroot: the kernel refuses user namespaces to a chrooted
#   caller. PID 1 stays in the initramfs, so a crashed runner is still
#   reported, on a second serial port that only PID 1 writes.
# - Software emulation (tcg). This host's /dev/kvm is PVM (kvm-pvm, nested
#   without hardware virtualisation): it boots only PVM-built guest kernels;
#   Debian's kernel hangs after "Probing EDD", and -cpu host/max abort on MSR
#   0x10a. CINCH_VM_ACCEL=auto tries KVM first for hosts where it works.
#
#   tests/vm/run-v2.sh [pytest arguments]
#       default: -q -rfEs -p v2_select tests/integration (the cgroup subset)
#
# Environment:
#   CINCH            binary under test (default: build/cinch of this repo)
#   CINCH_VM_CACHE   where the kernel package is kept (default /var/cache/cinch-vm)
#   CINCH_VM_ACCEL   tcg (default), kvm, or auto (kvm, then tcg if it does not boot)
#   CINCH_VM_SUITE   v2 (default: the tests that depend on the cgroup version) or full
#   CINCH_VM_TIMEOUT whole run, seconds (default 600, full: 2400); CINCH_VM_BOOT_TIMEOUT (60)
#   CINCH_VM_TEST_TIMEOUT  per test, seconds (default 150, needs pytest-timeout)
#   CINCH_VM_MEM (MiB, default 2560), CINCH_VM_CPUS (default 2)
#
# The last line is "v2: N passed, N failed, N skipped" and the exit status
# follows the guest's pytest. A guest that panics, hangs, times out or never
# reports fails the run with a message saying which.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${CINCH_VM_CACHE:-/var/cache/cinch-vm}
accel=${CINCH_VM_ACCEL:-tcg}
run_timeout=${CINCH_VM_TIMEOUT:-600}
boot_timeout=${CINCH_VM_BOOT_TIMEOUT:-60}
test_timeout=${CINCH_VM_TEST_TIMEOUT:-150}
mem=${CINCH_VM_MEM:-2560}
cpus=${CINCH_VM_CPUS:-2}
cinch=${CINCH:-$repo/build/cinch}
modules="virtio_pci virtio_blk virtio_rng 9pnet_virtio 9p overlay loop crc32c_generic
	 crc32c_intel ext4 veth bridge dummy tun"

fail() {
	echo "v2: FAILED: $*" >&2
	exit 1
}

# `make check` installs only the base set; the test bed brings its own.
if ! command -v qemu-system-x86_64 >/dev/null || ! command -v cpio >/dev/null ||
	! /usr/bin/python3 -c 'import pytest_timeout' 2>/dev/null; then
	"$repo/scripts/install-deps.sh" --vm || echo "v2: note: scripts/install-deps.sh --vm failed" >&2
fi
for tool in qemu-system-x86_64 cpio xz busybox mkfs.ext4 mkswap apt-get dpkg-deb; do
	command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps.sh --vm)"
done
busybox --list | grep -x depmod >/dev/null || fail "busybox has no depmod (need busybox-static)"
[ -x "$cinch" ] || fail "no binary under test at $cinch (make build/cinch)"
cinch=$(readlink -f "$cinch")

# The default is the subset whose outcome can depend on the cgroup version
# (tests/vm/v2_select.py): the whole suite does not fit in 10 minutes under
# emulation. CINCH_VM_SUITE=full runs every test (and allows 40 minutes).
suite=${CINCH_VM_SUITE:-v2}
if [ $# -eq 0 ]; then
	case "$suite" in
	full) set -- -q -rfEs tests/integration ;;
	v2) set -- -q -rfEs -p v2_select tests/integration ;;
	*) fail "CINCH_VM_SUITE must be v2 or full, not '$suite'" ;;
	esac
fi
[ "$suite" = full ] && run_timeout=${CINCH_VM_TIMEOUT:-2400}
if /usr/bin/python3 -c 'import pytest_timeout' 2>/dev/null; then
	set -- --timeout="$test_timeout" "$@"
else
	echo "v2: note: pytest-timeout is missing, a hung test ends only at the run timeout" >&2
fi

# --- The kernel: Debian's current linux-image-amd64, cached outside the repo.
# Offline, the newest package already in the cache is used.
mkdir -p "$cache"
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1 || true)
deb=
if [ -n "$kpkg" ]; then
	deb=$(ls -t "$cache/${kpkg}"_*.deb 2>/dev/null | head -n1 || true)
	if [ -z "$deb" ]; then
		echo "v2: downloading $kpkg into $cache"
		# apt's sandbox user cannot write to a root-owned cache; download into a
		# temp dir the same user owns, then move it in one step so a second run
		# never sees half a package.
		dl=$(mktemp -d "$cache/.dl.XXXXXX")
		(cd "$dl" && apt-get download -q "$kpkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
		mv "$dl"/*.deb "$cache"/ 2>/dev/null || true
		rm -rf "$dl"
		deb=$(ls -t "$cache/${kpkg}"_*.deb 2>/dev/null | head -n1 || true)
	fi
fi
[ -n "$deb" ] || deb=$(ls -t "$cache"/linux-image-*-amd64_*.deb 2>/dev/null | head -n1 || true)
[ -n "$deb" ] || fail "cannot obtain the kernel package (apt-get download ${kpkg:-linux-image-amd64})"

kdir=$cache/$(basename "$deb" .deb)
if [ ! -e "$kdir/.done" ]; then
	# Unpacked into a private dir and renamed in one step, so a concurrent
	# run never sees (or removes) half of it.
	[ -d "$kdir" ] && rm -rf "$kdir"
	ktmp=$(mktemp -d "$kdir.XXXXXX")
	dpkg-deb -x "$deb" "$ktmp"
	kver=$(ls "$ktmp/lib/modules")
	busybox depmod -b "$ktmp" "$kver"
	# The bzImage is xz-compressed; decompressing it under emulation costs
	# 10-20 s of every boot. The kernel has PVH (an ELF entry qemu can start
	# directly), so keep the plain vmlinux next to it; vmlinuz stays the
	# fallback when this fails.
	vz=$ktmp/boot/vmlinuz-$kver
	off=$(grep -abo $'\xfd7zXZ\x00' "$vz" | head -n1 | cut -d: -f1 || true)
	# (xz stops after the stream; tail's SIGPIPE is not a failure.)
	if [ -n "$off" ] && { tail -c +$((off + 1)) "$vz" || true; } |
		xz -dc --single-stream >"$ktmp/boot/vmlinux" 2>/dev/null &&
		printf '\177ELF' | cmp -s -n 4 - "$ktmp/boot/vmlinux"; then :; else
		rm -f "$ktmp/boot/vmlinux"
	fi
	touch "$ktmp/.done"
	mv -T "$ktmp" "$kdir" 2>/dev/null || rm -rf "$ktmp"
fi
kver=$(ls "$kdir/lib/modules")
vmlinuz=$kdir/boot/vmlinuz-$kver
[ -f "$kdir/boot/vmlinux" ] && vmlinuz=$kdir/boot/vmlinux
moddir=$kdir/lib/modules/$kver
[ -f "$vmlinuz" ] || fail "no kernel image in $deb"

# --- A work dir for this run (initramfs, disks, logs); removed on exit, and
# qemu with it.
work=$(mktemp -d /tmp/cinch-vm.XXXXXX)
qpid=
cleanup() {
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill "$qpid" 2>/dev/null || true
		sleep 1
		kill -9 "$qpid" 2>/dev/null || true
	fi
	[ -n "$qpid" ] && wait "$qpid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- The initramfs: busybox, the modules (with what they depend on), the
# binary under test frozen now, the init script and its settings.
ird=$work/initramfs
mkdir -p "$ird"/{bin,dev,proc,sys,lib/modules/"$kver"}
cp "$(command -v busybox)" "$ird/bin/busybox"
cp "$here/init.sh" "$ird/init"
chmod 0755 "$ird/init"
# A snapshot, checked: on a shared machine another `make` may be relinking it.
for try in 1 2 3 4 5 6; do
	cp "$cinch" "$ird/under-test"
	"$ird/under-test" --version >/dev/null 2>&1 && break
	[ "$try" = 6 ] && fail "$cinch does not run (--version fails)"
	echo "v2: $cinch does not run yet (being rebuilt?); retrying" >&2
	sleep 5
done
want=()
for m in $modules; do
	line=$(grep -E "(^|/)${m//_/[_-]}\.ko(\.[a-z]+)?:" "$moddir/modules.dep" | head -n1 || true)
	[ -n "$line" ] || fail "module $m is not in $kver"
	want+=(${line/:/})
done
for f in $(printf '%s\n' "${want[@]}" | sort -u); do
	mkdir -p "$ird/lib/modules/$kver/$(dirname "$f")"
	cp "$moddir/$f" "$ird/lib/modules/$kver/$f"
done
cp "$moddir"/modules.{dep,alias,symbols,builtin,order} "$ird/lib/modules/$kver/" 2>/dev/null || true
{
	printf 'VM_REPO=%q\n' "$repo"
	printf 'VM_CINCH=%q\n' "$cinch"
	printf 'VM_MODULES=%q\n' "$(echo $modules)"
	printf 'VM_PYTEST_ARGS=%q\n' "$*"
	printf 'VM_CGROUP_OPTS=%q\n' "${CINCH_VM_CGROUP_OPTS:-nsdelegate}"
} >"$ird/vm.conf"
# Not compressed: gunzip under emulation is slower than loading the bytes.
(cd "$ird" && find . | cpio -o -H newc --quiet) >"$work/initrd"

# --- The disks: an ext4 disk (a real block device for io.max and buffered
# writeback) and a swap disk (memory.swap.max). Sparse files, formatted here
# because mkfs under emulation is slow.
truncate -s 1G "$work/data.img"
mkfs.ext4 -q -F -E lazy_itable_init=1,lazy_journal_init=1 "$work/data.img"
truncate -s 512M "$work/swap.img"
mkswap -q "$work/swap.img" >/dev/null

# --- Boot, watch, judge.
boot() { # $1 = accelerator
	local a=$1 cpu=max
	[ "$a" = kvm ] && cpu=${CINCH_VM_KVM_CPU:-host,-arch-capabilities}
	: >"$work/result"
	: >"$work/console.log"
	qemu-system-x86_64 -accel "$a" -cpu "$cpu" -m "$mem" -smp "$cpus" \
		-nodefaults -no-user-config -display none -no-reboot \
		-kernel "$vmlinuz" -initrd "$work/initrd" \
		-append "console=ttyS0 quiet loglevel=4 panic=-1 oops=panic cgroup_no_v1=all ${CINCH_VM_APPEND:-mitigations=off}" \
		-serial "file:$work/console.log" -serial "file:$work/result" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-drive "file=$work/data.img,if=virtio,format=raw,cache=unsafe" \
		-drive "file=$work/swap.img,if=virtio,format=raw,cache=unsafe" \
		-device virtio-rng-pci \
		</dev/null >"$work/qemu.log" 2>&1 &
	qpid=$!
	# Stream the guest console while waiting.
	tail -n +1 -f --pid="$qpid" "$work/console.log" &
	local tpid=$! start=$SECONDS booted=
	while kill -0 "$qpid" 2>/dev/null; do
		if [ -z "$booted" ] && grep -q '^BOOT ' "$work/result"; then
			booted=1
			echo "v2: guest booted after $((SECONDS - start))s wall ($a)"
		fi
		if [ -z "$booted" ] && [ $((SECONDS - start)) -ge "$boot_timeout" ]; then
			echo "v2: guest did not boot within ${boot_timeout}s ($a)" >&2
			kill "$qpid" 2>/dev/null || true
			break
		fi
		if [ $((SECONDS - start)) -ge "$run_timeout" ]; then
			echo "v2: run timed out after ${run_timeout}s ($a); killing the guest" >&2
			kill "$qpid" 2>/dev/null || true
			break
		fi
		grep -q '^DONE' "$work/result" && sleep 2 && break
		sleep 1
	done
	kill "$qpid" 2>/dev/null || true
	wait "$qpid" 2>/dev/null || true
	qpid=
	sleep 0.5
	kill "$tpid" 2>/dev/null || true
	wait "$tpid" 2>/dev/null || true
	tr -d '\r' <"$work/result" >"$work/result.txt"
	[ -n "$booted" ]
}

echo "v2: kernel $kver, ${mem} MiB, $cpus vCPUs, accel $accel"
case "$accel" in
auto)
	if [ -w /dev/kvm ] && boot kvm; then :; else
		echo "v2: KVM did not boot; falling back to tcg" >&2
		boot tcg || true
	fi
	;;
kvm | tcg) boot "$accel" || true ;;
*) fail "CINCH_VM_ACCEL must be tcg, kvm or auto, not '$accel'" ;;
esac

# The guest's console stays where the next run replaces it, outside the repo.
cp "$work/console.log" "$cache/last-console.log" 2>/dev/null &&
	echo "v2: guest console log: $cache/last-console.log"
res=$work/result.txt
if ! grep -q '^DONE' "$res"; then
	if grep -q 'Kernel panic' "$work/console.log"; then
		grep -m1 -A3 'Kernel panic' "$work/console.log" >&2
		fail "the guest kernel panicked"
	fi
	grep -q '^BOOT' "$res" || fail "the guest did not boot (see above; qemu said: $(tail -n3 "$work/qemu.log" | tr '\n' ' '))"
	fail "the guest hung or timed out before reporting (limit ${run_timeout}s)"
fi
reason=$(sed -n 's/^FAIL //p' "$res" | head -n1)
[ -z "$reason" ] || fail "in the guest: $reason"
rc=$(sed -n 's/^RC \([0-9]*\)$/\1/p' "$res" | head -n1)
[ -n "$rc" ] || fail "the guest reported no exit status"
summary=$(grep '^SUMMARY ' "$res" | head -n1 || true)
[ -n "$summary" ] || fail "pytest exited $rc in the guest without a test report"
num() { echo "$summary" | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }
tests=$(num tests) failures=$(num failures) errors=$(num errors) skipped=$(num skipped)
passed=$((tests - failures - errors - skipped))
line="v2: $passed passed, $((failures + errors)) failed, $skipped skipped"
[ "$errors" -gt 0 ] && line="$line ($errors of the failures are errors)"
sel=$(sed -n 's/^SELECTED \([0-9]* [0-9]*\)$/\1/p' "$res" | head -n1)
if [ -n "$sel" ]; then
	echo "v2: the cgroup subset: ${sel% *} of ${sel#* } tests (CINCH_VM_SUITE=full runs all)"
fi
echo "$line"
case "$rc" in
0) exit 0 ;;
5) fail "no tests were collected in the guest" ;;
*) exit "$rc" ;;
esac
