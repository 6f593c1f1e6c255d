#!/usr/bin/env bash
# scripts/bench/progressive_jpeg.sh [RUNS]: the early stop for progressive JPEGs, measured.
# Builds a helper (scripts/bench/progressive_jpeg/, against the worker library of this
# checkout) into build/bench-progressive-jpeg, makes eight photo-like progressive JPEGs there
# (24 and 12 megapixels, chroma 4:2:0 and 4:4:4, quality 92, libjpeg's default progression;
# kept for the next run), checks that the early stop gives the rows of the whole decode, then
# decodes each set of two files at the worker's scale for a 200x200 box (1/8), read whole and
# with the early stop. hyperfine times one run of each per round, so the two alternate; RUNS
# rounds (default 10) after an unmeasured one; medians of wall and CPU (user + sys) time.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/setup.sh"

runs=${1:-10}
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  say "usage: scripts/bench/progressive_jpeg.sh [RUNS] (a whole number, default 10)"
  exit 2
fi
dir="$THUMBPIPE_ROOT/build/bench-progressive-jpeg"
ensure_packages "${THUMBPIPE_BUILD_PACKAGES[@]}" hyperfine python3

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ ! -f "$dir/build.ninja" ]; then
  cmake -S "$THUMBPIPE_ROOT/scripts/bench/progressive_jpeg" -B "$dir" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >"$log" 2>&1 ||
    { cat "$log" >&2; rm -f "$dir/build.ninja"; say "configuration failed"; exit 1; }
fi
cmake --build "$dir" --target progressive_jpeg >"$log" 2>&1 ||
  { cat "$log" >&2; say "build failed"; exit 1; }
helper="$dir/progressive_jpeg"
images="$dir/images"
"$helper" make "$images"
"$helper" check "$images"/*.jpg

rounds="$dir/rounds"
rm -rf "$rounds"
mkdir -p "$rounds"
sets=(420-24mp 420-12mp 444-24mp 444-12mp)
for round in $(seq 0 "$runs"); do
  for set in "${sets[@]}"; do
    files=$(printf '%s ' "$images/$set"-*.jpg)
    hyperfine --shell=none --runs 1 --style none --export-json "$rounds/$set-$round.json" \
      -n "whole" "$helper whole $files" -n "early" "$helper early $files" >/dev/null
  done
  say "round $round of $runs done"
done

python3 - "$rounds" "$runs" "${sets[@]}" <<'PY'
import json, statistics, sys
from pathlib import Path

rounds, runs, sets = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
print(f"medians of {runs} rounds (round 0 unmeasured); each run decodes the 2 files of a set")
print(f"{'set':<14} {'mode':<6} {'wall s':>8} {'CPU s':>8}   whole/early")
for name in sets:
    wall, cpu = {}, {}
    for r in range(1, runs + 1):
        for result in json.loads((rounds / f"{name}-{r}.json").read_text())["results"]:
            wall.setdefault(result["command"], []).append(result["times"][0])
            cpu.setdefault(result["command"], []).append(result["user"] + result["system"])
    w = {mode: statistics.median(v) for mode, v in wall.items()}
    c = {mode: statistics.median(v) for mode, v in cpu.items()}
    for mode in ("whole", "early"):
        ratio = f"   wall x{w['whole'] / w['early']:.2f}, CPU x{c['whole'] / c['early']:.2f}" if mode == "early" else ""
        label = f"4:{name[1]}:{name[2]} {name[4:].upper()}"
        print(f"{label:<14} {mode:<6} {w[mode]:8.3f} {c[mode]:8.3f}{ratio}")
PY
