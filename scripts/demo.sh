#!/usr/bin/env bash
# The seed scenario on the built-in busybox image: a fork bomb contained, a
# CPU hog held to half a CPU, a memory hog OOM-killed and reported.
set -euo pipefail
cd "$(dirname "$0")/.."
C=(build/cinch --root "${CINCH_DEMO_ROOT:-/run/cinch-demo}")
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
cleanup() { "${C[@]}" rm -f forky miner >/dev/null 2>&1 || true; }
trap cleanup EXIT

say "a container on the built-in image"
"${C[@]}" run --rm busybox sh -c 'echo "hello from $(hostname), I am pid $$"; id'

say "a fork bomb under --pids-limit 100 -m 256M --cpus 0.5"
"${C[@]}" run -d --name forky --pids-limit 100 -m 256M --cpus 0.5 busybox \
  sh -c 'bomb() { bomb | bomb & }; bomb; sleep 1000' >/dev/null
sleep 3
"${C[@]}" stats --no-stream forky
/bin/true && echo "the host can still fork"
"${C[@]}" rm -f forky >/dev/null

say "a CPU hog under --cpus 0.5"
"${C[@]}" run -d --name miner --cpus 0.5 busybox sh -c 'while :; do :; done' >/dev/null
sleep 3
"${C[@]}" stats --no-stream miner
"${C[@]}" rm -f miner >/dev/null

say "a memory hog under -m 64M"
set +e
"${C[@]}" run --rm -m 64M --memory-swap 64M busybox sh -c 'tail /dev/zero'
echo "exit status: $?"
set -e
dmesg 2>/dev/null | grep -i 'killed process' | tail -1 || true
