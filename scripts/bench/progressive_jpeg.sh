#!/usr/bin/env bash
# scripts/bench/progressive_jpeg.sh [RUNS]: progressive JPEGs in the worker's JPEG decoder,
# measured: the early stop, and the compact coefficient store against libjpeg's own arrays.
# Builds a helper (scripts/bench/progressive_jpeg/, against the worker library of this
# checkout) into build/bench-progressive-jpeg, makes eight photo-like progressive JPEGs there
# (24 and 12 megapixels, chroma 4:2:0 and 4:4:4, quality 92, libjpeg's default progression;
# kept for the next run), checks that every way gives the same rows, then decodes each 24 MP
# set of two files at the worker's scale for a 200x200 box (1/8) four ways: read whole or with
# the early stop, each with the compact store (as the worker does) and with libjpeg's own
# arrays (as it did before). hyperfine times one run of each per round, so the four alternate;
# RUNS rounds (default 10) after an unmeasured one; medians of wall and CPU (user + sys) time.
# Peak RSS is the helper process's own (getrusage), one run per way; it includes the two files
# read into memory. Writes bench-results/progressive_jpeg/ (table.md, results.json) for
# `scripts/bench/report --only progressive_jpeg`.
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
sets=(420-24mp 444-24mp)
modes=(whole whole-libjpeg early early-libjpeg)
for set in "${sets[@]}"; do
  files=$(printf '%s ' "$images/$set"-*.jpg)
  for mode in "${modes[@]}"; do
    # shellcheck disable=SC2086
    "$helper" "$mode" $files >"$rounds/$set-$mode.rss"
  done
done
for round in $(seq 0 "$runs"); do
  for set in "${sets[@]}"; do
    files=$(printf '%s ' "$images/$set"-*.jpg)
    commands=()
    for mode in "${modes[@]}"; do commands+=(-n "$mode" "$helper $mode $files"); done
    hyperfine --shell=none --runs 1 --style none --export-json "$rounds/$set-$round.json" \
      "${commands[@]}" >/dev/null
  done
  say "round $round of $runs done"
done

/usr/bin/python3 - "$THUMBPIPE_ROOT/scripts/bench/lib" "$rounds" "$runs" "${sets[@]}" <<'PY'
import json, statistics, sys
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[1])
import benchlib as bl  # noqa: E402

rounds, runs, sets = Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
# The command the report shows.
sys.argv = [str(Path(sys.argv[1]).parent / "progressive_jpeg.sh"), str(runs)]

labels = {"whole": ("read whole", "compact store"), "whole-libjpeg": ("read whole", "libjpeg's arrays"),
          "early": ("early stop", "compact store"), "early-libjpeg": ("early stop", "libjpeg's arrays")}
rows, data, targets = [], {}, []
for name in sets:
    wall, cpu = {}, {}
    for r in range(1, runs + 1):
        for result in json.loads((rounds / f"{name}-{r}.json").read_text())["results"]:
            wall.setdefault(result["command"], []).append(result["times"][0])
            cpu.setdefault(result["command"], []).append(result["user"] + result["system"])
    label = f"4:{name[1]}:{name[2]} {name[4:-2]} MP"
    for mode in ("whole", "whole-libjpeg", "early", "early-libjpeg"):
        _, rss_kb, coef = (rounds / f"{name}-{mode}.rss").read_text().split()
        w, c = statistics.median(wall[mode]), statistics.median(cpu[mode])
        entry = {"wall": w, "cpu": c, "peak_rss_mb": int(rss_kb) / 1024,
                 "coefficient_mb": int(coef) / 1e6, "walls": wall[mode], "cpus": cpu[mode]}
        data[f"{name}/{mode}"] = entry
        reading, arrays = labels[mode]
        if mode.endswith("libjpeg"):
            ours = data[f"{name}/{mode.removesuffix('-libjpeg')}"]
            ratio = f"x{ours['cpu'] / c:.2f}"
        else:
            ratio = ""
        rows.append([label, reading, arrays, f"{entry['peak_rss_mb']:.0f}",
                     f"{entry['coefficient_mb']:.1f}", f"{w:.3f}", f"{c:.3f}", ratio])
    compact, before = data[f"{name}/early"], data[f"{name}/early-libjpeg"]
    targets.append((f"decoding 2 progressive {label} files at 1/8 (as the worker does) in at most 64 MB",
                    f"{compact['peak_rss_mb']:.0f} MB (libjpeg's arrays: {before['peak_rss_mb']:.0f} MB)",
                    compact["peak_rss_mb"] <= 64))
    targets.append((f"CPU of that decode with the store / with libjpeg's arrays, {label}",
                    f"x{compact['cpu'] / before['cpu']:.2f} (read whole: "
                    f"x{data[f'{name}/whole']['cpu'] / data[f'{name}/whole-libjpeg']['cpu']:.2f})", None))
table = bl.markdown_table(["files", "scans", "coefficients in", "peak RSS MB", "coefficients MB",
                           "wall s", "CPU s", "CPU store / libjpeg"], rows)
notes = [f"Each run decodes the 2 files of a set (photo-like, quality 92, libjpeg's default "
         f"progression) at 1/8, the worker's scale for a 200x200 box, in one helper process "
         f"linked with the worker's decoder (`scripts/bench/progressive_jpeg/`). Medians of {runs} "
         "rounds after an unmeasured one, the four ways alternated in each round. \"libjpeg's "
         "arrays\" is the decoder as it was before the compact store. Peak RSS: the helper's "
         "ru_maxrss in one run of each way, with each file read whole into memory first (8 MB "
         "a 4:4:4 file, 7 MB a 4:2:0 one); coefficients MB: the most the compact store held, "
         "or the size of libjpeg's arrays."]
folder = bl.results_folder("progressive_jpeg")
bl.write_results(folder, "Progressive JPEG: the compact coefficient store", table,
                 {"results": data}, False, None, notes, targets)
PY
