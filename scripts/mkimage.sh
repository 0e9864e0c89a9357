#!/usr/bin/env bash
# Builds cinch's built-in default image, `busybox`, from Debian's busybox-static:
# a rootfs with /bin/busybox, a symlink per applet, users and the usual empty dirs.
#
#   scripts/mkimage.sh DIR                  the default image
#   scripts/mkimage.sh --payload BIN DIR    the same plus BIN as /bin/payload and a
#                                           symlink per payload command (test rootfs)
#
# Idempotent: rerunning over an existing DIR only refreshes it.
set -euo pipefail

payload=
if [ "${1:-}" = --payload ]; then
  payload=$2
  shift 2
fi
[ $# -eq 1 ] || { echo "usage: $0 [--payload BIN] DIR" >&2; exit 2; }
dir=$1
busybox=$(realpath "${BUSYBOX:-/bin/busybox}")
[ -z "$payload" ] || payload=$(realpath "$payload")
[ -x "$busybox" ] || { echo "$0: $busybox not found (apt-get install busybox-static)" >&2; exit 1; }
# A dynamically linked busybox would not run inside an image with no libc.
if file -L "$busybox" 2>/dev/null | grep -q 'dynamically linked'; then
  echo "$0: $busybox is dynamically linked; install busybox-static" >&2
  exit 1
fi

mkdir -p "$dir"
cd "$dir"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp root home/app var/tmp run
chmod 1777 tmp var/tmp
chmod 700 root
install -m 0755 "$busybox" bin/busybox.new
mv -f bin/busybox.new bin/busybox

# Every applet lives in /bin: one directory on PATH is enough for tests and demos.
for applet in $(bin/busybox --list); do
  [ "$applet" = busybox ] && continue
  ln -sfn busybox "bin/$applet"
done

cat > etc/passwd <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
# app's supplementary groups: users (100) and extra (1001).
cat > etc/group <<'GROUP'
root:x:0:
users:x:100:app
app:x:1000:
extra:x:1001:app
nogroup:x:65534:
GROUP
echo cinch > etc/hostname
: > etc/resolv.conf
: > etc/hosts
chown -R 1000:1000 home/app 2>/dev/null || true

if [ -n "$payload" ]; then
  install -m 0755 "$payload" bin/payload.new
  mv -f bin/payload.new bin/payload
  for cmd in $(bin/payload --list); do
    ln -sfn payload "bin/$cmd"
  done
fi
