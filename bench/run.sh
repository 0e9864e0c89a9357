#!/usr/bin/env bash
# The benchmark harness: cinch against runc and crun (see docs/BENCHMARKS.md).
#
#   bench/run.sh [--full|--quick|--smoke] [bench.py options...]
#
#   --full   (default, what `make bench` runs) >= 100 interleaved lifecycle runs,
#            density at N = 10 and 100, enforcement, front end, the v2 guest;
#            writes docs/BENCHMARKS.md. About 10 minutes on 2 cores.
#   --quick  20 runs, N = 10, short enforcement windows, no guest; writes
#            build/bench/BENCHMARKS-quick.md unless --out is given.
#   --smoke  a few seconds: checks that the harness itself works; writes
#            build/bench/BENCHMARKS-smoke.md. Times nothing that is judged.
#
# Must run as root. Everything happens inside a private mount namespace with
# /sys/fs/cgroup/unified unmounted, so the three runtimes see one layout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
py=${PYTHON:-/usr/bin/python3}

mode=full
args=()
for a in "$@"; do
  case "$a" in
  --full | --quick | --smoke) mode=${a#--} ;;
  *) args+=("$a") ;;
  esac
done

[ "$(id -u)" = 0 ] || { echo "bench: must run as root" >&2; exit 1; }

mkdir -p "$repo/build/bench"
cc=${CC:-gcc}
if [ ! -x "$repo/build/bench/cbench" ] || [ "$here/cbench.c" -nt "$repo/build/bench/cbench" ]; then
  "$cc" -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$repo/build/bench/cbench" \
    "$here/cbench.c"
fi

out=()
case " ${args[*]:-} " in
*" --out "*) ;;
*) [ "$mode" = full ] || out=(--out "$repo/build/bench/BENCHMARKS-$mode.md") ;;
esac

if [ "${CBENCH_IN_NS:-}" != 1 ]; then
  # A private mount namespace: the unmount below and any mount a runtime
  # leaks by mistake vanish with it.
  exec env CBENCH_IN_NS=1 unshare -m --propagation private "$0" "--$mode" "$@"
fi

if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
  umount /sys/fs/cgroup/unified
fi
exec "$py" "$here/bench.py" --mode "$mode" "${out[@]}" "${args[@]}"
