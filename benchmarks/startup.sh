#!/usr/bin/env bash
# Start-up cost: wall time of `storyplan --help` and `storyplan render`, and the import
# time of the heaviest modules (python -X importtime). Tracker SDKs must not appear.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
STORY=$($BIN/python -c 'import importlib.resources as r; print(r.files("storyplan.examples") / "login.md")')
runs=${RUNS:-5}

time_cmd() {
  local label=$1; shift
  local best=999999
  for _ in $(seq "$runs"); do
    local start end ms
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    ms=$(( (end - start) / 1000000 ))
    (( ms < best )) && best=$ms
  done
  printf '%-28s best of %d: %5d ms\n' "$label" "$runs" "$best"
}

time_cmd "storyplan --help" "$BIN/storyplan" --help
time_cmd "storyplan render login.md" "$BIN/storyplan" render "$STORY"

echo
echo "heaviest imports of 'storyplan render' (cumulative, microseconds):"
$BIN/python -X importtime -c "
from storyplan.cli import main
main(['render', '$STORY'])
" 2>&1 >/dev/null | grep 'import time:' | sort -t'|' -k2 -n -r | head -12
echo
sdk=$($BIN/python -X importtime -c "from storyplan.cli import main; main(['render', '$STORY'])" 2>&1 >/dev/null | grep -E '\| (github|gitlab|jira)$' || true)
if [ -n "$sdk" ]; then echo "tracker SDKs imported by render:"; echo "$sdk"; else echo "tracker SDKs imported by render: none"; fi
