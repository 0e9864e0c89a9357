#!/usr/bin/env bash
# Installs what building and testing cinch needs on Debian 12.
# Engines and the v2 test bed are optional extras: pass --engines / --vm.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pkgs=(build-essential pkg-config libjson-c-dev libseccomp-dev busybox-static
      python3-pytest python3-pytest-timeout runc strace e2fsprogs util-linux iproute2 procps)
for a in "$@"; do
  case "$a" in
    --vm) pkgs+=(qemu-system-x86 cpio) ;;
    --engines) pkgs+=(podman containerd docker.io crun docker-compose) ;;
    --bench) pkgs+=(crun hyperfine) ;;
  esac
done
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
