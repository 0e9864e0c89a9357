#!/bin/busybox sh
# PID 1 of the cgroup v2 test guest (run by static busybox from the initramfs).
#
# It stays in the initramfs for the whole run; only the test runner moves to
# the host's root (in a mount namespace of its own), so that whatever happens
# to the runner (a crash, a missing file on the host, a wedged pytest) this
# script still reports on the second serial port and powers the machine off.
# The host (run-v2.sh) reads that port:
#   BOOT <seconds>        the guest is up, the tests start
#   SUMMARY tests=N failures=N errors=N skipped=N
#   RC <pytest exit status>
#   FAIL <reason>         the guest could not run the tests at all
#   DONE                  the last line; without it the run failed
# The settings (repo path, pytest arguments...) come from /vm.conf, written by
# the host.

/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

. /vm.conf

report() { echo "$*" >/dev/ttyS1; }
say() { echo "cinch-vm: $*" >/dev/console; }
die() {
	say "FAIL: $*"
	report "FAIL $*"
	report "DONE"
	sync
	poweroff -f
}

# Every module the tests may need, loaded up front: the runner lives on the
# host's root, and a module the kernel requests later would be looked up in
# the initramfs, which is no place to discover a missing one.
for m in $VM_MODULES; do
	modprobe "$m" 2>/dev/null || say "warning: module $m did not load"
done

R=/newroot
mkdir -p /host /rw $R
# The host's root, read-only: the tests see the host's Python, pytest, runc,
# repo and test rootfs at the same paths as on the host.
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot /host ||
	die "cannot mount the host root over 9p"

# A writable overlay on top of the read-only host root, with its upper layer in
# guest memory: whatever the runner writes (anywhere) lands in the guest and
# vanishes at poweroff, and nothing fails with EROFS just because a tool wants
# to write a cache file. If overlayfs refuses the 9p lower layer, fall back to
# the read-only root with tmpfs on the writable places.
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
if mount -t overlay overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work $R; then
	ROOTKIND=overlay
else
	say "warning: overlay over 9p refused; read-only root"
	mount --bind /host $R
	ROOTKIND=readonly
fi

mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm $R/dev/mqueue
mount -t devpts -o newinstance,ptmxmode=0666,gid=5,mode=620 devpts $R/dev/pts
ln -sf pts/ptmx $R/dev/ptmx 2>/dev/null
# What udev makes on a host and devtmpfs does not (shells use /dev/fd/N).
ln -sfn /proc/self/fd $R/dev/fd
ln -sf /proc/self/fd/0 $R/dev/stdin
ln -sf /proc/self/fd/1 $R/dev/stdout
ln -sf /proc/self/fd/2 $R/dev/stderr
mount -t tmpfs -o mode=1777 tmpfs $R/dev/shm
mount -t mqueue mqueue $R/dev/mqueue
mount -t tmpfs -o mode=1777 tmpfs $R/tmp
mount -t tmpfs -o mode=0755 tmpfs $R/run
mount -t tmpfs -o mode=1777 tmpfs $R/var/tmp
# A checkout under one of those (CI may clone into /tmp) would be hidden:
# bind it back from the host root, read-only like the rest of the host.
case "$VM_REPO" in
/tmp/* | /run/* | /var/tmp/*)
	mkdir -p "$R$VM_REPO"
	mount --bind "/host$VM_REPO" "$R$VM_REPO" || die "cannot bind the checkout $VM_REPO"
	;;
esac

# Pure cgroup v2, every controller the kernel has enabled for children of the
# root. The runner itself goes into a leaf, as on a systemd host, so the
# root's children may have controllers (no internal processes).
mount -t cgroup2 -o "${VM_CGROUP_OPTS:-nsdelegate}" cgroup2 $R/sys/fs/cgroup || die "cannot mount cgroup2"
CG=$R/sys/fs/cgroup
for c in $(cat $CG/cgroup.controllers); do
	echo "+$c" >$CG/cgroup.subtree_control || say "warning: cannot enable controller $c"
done
mkdir -p $CG/cinch-vm.scope
echo $$ >$CG/cinch-vm.scope/cgroup.procs

# The disks: vda holds an ext4 file system (a real block device for io.max
# and buffered writeback), vdb is swap (for memory.swap.max).
mkdir -p $R/run/cinch-vm/disk
if [ -b /dev/vda ]; then
	mount -t ext4 /dev/vda $R/run/cinch-vm/disk || say "warning: cannot mount /dev/vda"
	chmod 1777 $R/run/cinch-vm/disk
fi
[ -b /dev/vdb ] && { swapon /dev/vdb || say "warning: swapon /dev/vdb failed"; }

# Freeze the binary under test at the moment the run started: the host tree
# may be rebuilt while the guest runs, and 9p would show a half-written file.
if [ -f /under-test ] && [ "$ROOTKIND" = overlay ]; then
	cp /under-test "$R$VM_CINCH" && chmod 0755 "$R$VM_CINCH"
fi

ip link set lo up 2>/dev/null
hostname cinch-v2
read up _ </proc/uptime
report "BOOT $up"
say "booted in ${up}s: $(uname -r), root $ROOTKIND, controllers: $(cat $CG/cgroup.subtree_control)"

# The runner: the host's own Python and pytest on that root, with a clean
# environment. No pytest cache and no bytecode: the repo is the host's.
# Not a plain chroot: the kernel refuses CLONE_NEWUSER to a chrooted caller
# (root dir != its mount namespace's root), so user-namespace containers
# would fail. In a mount namespace of its own the runner moves the new root
# onto "/" and chroots into that (what switch_root does), so its root is the
# namespace's root; this PID 1 stays in the initramfs to report and power
# off. Shared propagation, as systemd sets up on every host: tests that
# expect a host mount to reach a container (rslave) rely on it.
unshare -m --propagation private sh -c \
	'cd "$0" && mount --move . / && mount --make-rshared . && exec chroot . "$@"' $R \
	/usr/bin/env -i \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root LANG=C.UTF-8 TERM=dumb PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
	CINCH="$VM_CINCH" CINCH_VM=1 PYTHONPATH="$VM_REPO/tests/vm" \
	CINCH_TEST_BLOCKDEV=/dev/vda CINCH_TEST_DISKDIR=/run/cinch-vm/disk \
	/bin/sh -c 'cd "$1" && shift && exec "$@"' sh "$VM_REPO" \
	/usr/bin/python3 -m pytest -p no:cacheprovider --junitxml=/run/cinch-vm/junit.xml \
	$VM_PYTEST_ARGS </dev/null >/dev/console 2>&1
rc=$?

J=$R/run/cinch-vm/junit.xml
attr() { sed -n 's/.*<testsuite [^>]* '"$1"'="\([0-9]*\)".*/\1/p' $J | head -n1; }
if [ -f $J ]; then
	report "SUMMARY tests=$(attr tests) failures=$(attr failures) errors=$(attr errors) skipped=$(attr skipped)"
fi
[ -f $R/run/cinch-vm/selection ] && report "SELECTED $(cat $R/run/cinch-vm/selection)"
report "RC $rc"
report "DONE"
swapoff -a 2>/dev/null
sync
poweroff -f
