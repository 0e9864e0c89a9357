#!/usr/bin/env bash
# `make check`: every suite, even after one fails, then one summary line.
# Suites: unit (plain and ASan/UBSan), integration on this host, the same
# integration suite in a cgroup v2 guest, the engines.
set -uo pipefail
cd "$(dirname "$0")/.."
MAKE=${MAKE:-make}
log=$(mktemp -d /tmp/cinch-check.XXXXXX)
trap 'rm -rf "$log"' EXIT
passed=0 failed=0 skipped=0 bad=()

count() { # file -> adds the last "N passed", "N failed", "N skipped" of its summary lines
  local f=$1 p q s
  p=$(grep -Eo '[0-9]+ passed' "$f" | awk '{s+=$1} END {print s+0}')
  q=$(grep -Eo '[0-9]+ (failed|error|errors)' "$f" | awk '{s+=$1} END {print s+0}')
  s=$(grep -Eo '[0-9]+ skipped' "$f" | awk '{s+=$1} END {print s+0}')
  echo "$p $q $s"
}

suite() { # name, make target
  local name=$1 target=$2 rc
  echo "=== $name"
  $MAKE --no-print-directory "$target" 2>&1 | tee "$log/$name"
  rc=${PIPESTATUS[0]}
  # Only the summary lines count: unit prints one per test program, pytest one per run.
  # The v2 runner restates the guest's pytest line as "v2: ..."; count that one only.
  if grep -qE '^v2: [0-9]+ passed' "$log/$name"; then
    grep -E '^v2: [0-9]+ passed' "$log/$name" > "$log/$name.sum"
  else
    grep -E '(passed|failed|error)' "$log/$name" | grep -E '^([a-z_/.]+: |=* ?)[0-9]+ (passed|failed)|^[0-9]+ (passed|failed)|in [0-9.]+s' > "$log/$name.sum" || true
  fi
  read -r p q s < <(count "$log/$name.sum")
  passed=$((passed + p)) failed=$((failed + q)) skipped=$((skipped + s))
  if [ "$rc" -ne 0 ]; then
    bad+=("$name")
    [ "$q" -eq 0 ] && failed=$((failed + 1)) # a suite that broke without counting still fails
  fi
  echo "=== $name: exit $rc ($p passed, $q failed, $s skipped)"
}

suite unit unit
suite integration integration
suite v2 check-v2
suite engines check-engines

echo
[ ${#bad[@]} -gt 0 ] && echo "failing suites: ${bad[*]}"
echo "check: $passed passed, $failed failed, $skipped skipped"
[ ${#bad[@]} -eq 0 ]
