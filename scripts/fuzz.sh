#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS]: fuzzes the worker's decode-and-thumbnail path (Debian 12).
# Builds tests/fuzz with clang, libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer in
# build/fuzz, seeds it with every file under ../shared/corpus (or $THUMBPIPE_CORPUS_DIR) and a
# few tiny hand-made files, and fuzzes for SECONDS (default 60). What it learns is kept in
# build/fuzz/corpus for the next run. Exits 1 if the fuzzer found a crash, a sanitizer report,
# a leak, a timeout or ran out of memory; the input is written to build/fuzz/artifacts/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/setup.sh"

seconds=${1:-60}
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  say "usage: scripts/fuzz.sh [SECONDS] (a whole number of seconds, default 60)"
  exit 2
fi

dir="$THUMBPIPE_ROOT/build/fuzz"
images="${THUMBPIPE_CORPUS_DIR:-$THUMBPIPE_ROOT/../shared/corpus}"
# Large enough for whole files of most of the corpus (the big photos are cut, which is a test
# of its own); larger inputs would only slow every mutation down.
max_len=262144

ensure_packages "${THUMBPIPE_BUILD_PACKAGES[@]}" clang-14 libfuzzer-14-dev libclang-rt-14-dev \
  libjpeg-turbo-progs
build_thumbpipe "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
  -DTHUMBPIPE_FUZZ=ON -DBUILD_TESTING=OFF
fuzzer="$dir/bin/thumbnail_fuzzer"

# unhex HEX: the bytes written as hex digits (spaces allowed).
unhex() { printf "$(tr -d '[:space:]' <<<"$1" | sed 's/../\\x&/g')"; }

# Tiny files that reach each decoder and the EXIF reader in a few bytes, so that mutations
# start close to the interesting headers.
seeds="$dir/seeds"
rm -rf "$seeds"
mkdir -p "$seeds" "$dir/corpus" "$dir/artifacts"
printf 'P1\n3 2\n1 0 1\n0 1 0\n' >"$seeds/ascii.pbm"
printf 'P5\n2 2\n255\n\x00\x40\x80\xff' >"$seeds/grey.pgm"
printf 'P6\n1 1\n65535\n\x00\x01\x80\x00\xff\xff' >"$seeds/deep.ppm"
printf 'P7\nWIDTH 1\nHEIGHT 1\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n\x10\x20\x30\x40' \
  >"$seeds/rgba.pam"
# 1x1 24-bit BMP.
unhex '424d 3a000000 00000000 36000000 28000000 01000000 01000000 0100 1800 00000000
       04000000 130b0000 130b0000 00000000 00000000 ff000000' >"$seeds/pixel.bmp"
# 1x1 8-bit grey TIFF, uncompressed, Orientation 6.
unhex '49492a00 08000000 0a00
       0001 0300 01000000 01000000  0101 0300 01000000 01000000
       0201 0300 01000000 08000000  0301 0300 01000000 01000000
       0601 0300 01000000 01000000  1101 0400 01000000 86000000
       1201 0300 01000000 06000000  1501 0300 01000000 01000000
       1601 0300 01000000 01000000  1701 0400 01000000 01000000
       00000000 7f' >"$seeds/orientation6.tif"
# 1x1 GIF whose one pixel is the transparent colour; and a 2x2 screen with a 1x1 interlaced
# frame at (1,1), drawn with a local colour map.
unhex '47494638 39610100 01008000 00000000 ffffff21 f9040100 0000002c 00000000 01000100
       00020144 003b' >"$seeds/transparent.gif"
unhex '47494638 39610200 02000000 0021f904 00000000 002c0100 01000100 0100c0ff 00000000
       ff020144 003b' >"$seeds/offset-interlaced.gif"
# JPEG with nothing but an EXIF block (big-endian, Orientation 8).
unhex 'ffd8 ffe1 0022 457869660000 4d4d002a 00000008 0001 0112 0003 00000001 00080000
       00000000 ffd9' >"$seeds/exif-only.jpg"

# JPEG XL from cjxl, without loss: a 2x2 RGB bare codestream, and 2x2 grey+alpha in a
# container.
unhex 'ff0a0810 10505c08 08020100 74004b18 8b15525c 1f9a7109 868174a3 3d4c7600 51fcb15c fbcfb6fc
       f7db7c' >"$seeds/rgb.jxl"
unhex '0000000c 4a584c20 0d0a870a 00000014 66747970 6a786c20 00000000 6a786c20 0000002b 6a786c63
       ff0a0810 b0282e04 08081000 54004b18 8b15525c 163c86be 538acf46 c6759edf ffe703' \
  >"$seeds/grey-alpha.jxl"
# JPEG 2000 from opj_compress, one resolution level, its comment marker taken out: the same
# 2x2 RGB as a bare codestream, grey+alpha as JP2, and 4x4 sYCC 4:2:0 as JP2.
unhex 'ff4fff51 002f0000 00000002 00000002 00000000 00000000 00000002 00000002 00000000 00000000
       00030701 01070101 070101ff 52000c00 00000101 00040400 01ff5c00 044040ff 90000a00 00000000
       220001ff 93cfb418 08ce0365 f03fdf80 180a741f df801003 18ffd9' >"$seeds/rgb.j2k"
unhex '0000000c 6a502020 0d0a870a 00000014 66747970 6a703220 00000000 6a703220 0000002d 6a703268
       00000016 69686472 00000002 00000002 00020707 00000000 000f636f 6c720100 00000000 11000000
       6c6a7032 63ff4fff 51002c00 00000000 02000000 02000000 00000000 00000000 02000000 02000000
       00000000 00000207 01010701 01ff5200 0c000000 01000004 040001ff 5c000440 40ff9000 0a000000
       00001e00 01ff93df 802807b5 f05446df 80280c4b ed7a8bff d9' >"$seeds/grey-alpha.jp2"
unhex '0000000c 6a502020 0d0a870a 00000014 66747970 6a703220 00000000 6a703220 0000002d 6a703268
       00000016 69686472 00000004 00000004 00030707 00000000 000f636f 6c720100 00000000 12000000
       826a7032 63ff4fff 51002f00 00000000 04000000 04000000 00000000 00000000 04000000 04000000
       00000000 00000307 01010702 02070202 ff52000c 00000001 00000404 0001ff5c 00044040 ff90000a
       00000000 00310001 ff93df80 80120f3f 6200b74f 2079e635 553edfa6 cfc7d40a 07834c43 7fcfb414
       04d3e914 57ffd9' >"$seeds/sycc-420.jp2"

# Progressive JPEGs written by cjpeg: large enough (1608x1208) that a 200x200 thumbnail decodes
# them at 1/8, where the compact coefficient store drops what the 1x1 and 2x2 IDCTs do not
# read; with the default progression and with scripts of refinement scans (successive
# approximation on DC and AC), restart markers, 4:4:4, 4:2:0 and grey; and a small one decoded
# at full size. The pictures are smooth gradients with a few edges, so the files stay small.
ppm() {  # ppm WIDTH HEIGHT OUT: a colour test picture
  /usr/bin/python3 - "$@" <<'PY'
import sys
w, h, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rows = bytearray()
for y in range(h):
    for x in range(w):
        edge = 60 if (x // 200 + y // 150) % 2 else 0
        rows += bytes(((x * 255 // w + edge) % 256, (y * 255 // h) % 256, (x + y + edge) % 256))
with open(out, "wb") as f:
    f.write(b"P6\n%d %d\n255\n" % (w, h) + rows)
PY
}
ppm 1608 1208 "$seeds/big.ppm"
ppm 33 17 "$seeds/small.ppm"
cat >"$seeds/refine.scans" <<'SCANS'
0,1,2: 0-0, 0, 1; 0: 1-5, 0, 2; 2: 1-63, 0, 1; 1: 1-63, 0, 1; 0: 6-63, 0, 2;
0: 1-63, 2, 1; 0,1,2: 0-0, 1, 0; 2: 1-63, 1, 0; 1: 1-63, 1, 0; 0: 1-63, 1, 0;
SCANS
printf '0: 0-0, 0, 1; 0: 1-9, 0, 0; 0: 10-63, 0, 1; 0: 0-0, 1, 0; 0: 10-63, 1, 0;\n' \
  >"$seeds/refine-grey.scans"
cjpeg -quality 60 -progressive -sample 2x2 -outfile "$seeds/progressive-420.jpg" "$seeds/big.ppm"
cjpeg -quality 60 -progressive -sample 1x1 -restart 2 -outfile "$seeds/progressive-444-restart.jpg" \
  "$seeds/big.ppm"
cjpeg -quality 60 -scans "$seeds/refine.scans" -sample 2x2 -restart 1 \
  -outfile "$seeds/refined-420.jpg" "$seeds/big.ppm"
cjpeg -quality 60 -grayscale -scans "$seeds/refine-grey.scans" -outfile "$seeds/refined-grey.jpg" \
  "$seeds/big.ppm"
cjpeg -quality 90 -scans "$seeds/refine.scans" -sample 1x1 -outfile "$seeds/refined-small.jpg" \
  "$seeds/small.ppm"
rm -f "$seeds"/*.ppm "$seeds"/*.scans
# Small PNGs for the fast path of the PNG decoder: 16-bit RGBA, a 2-bit palette with tRNS, 4-bit
# grey with a colour key, 16-bit grey+alpha, RGB in 1-byte IDAT chunks; each row with another
# filter type.
/usr/bin/python3 - "$seeds" <<'PY'
import struct, sys, zlib
def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
def png(name, width, depth, colour, rows, extra=b"", piece=0):
    raw = b"".join(bytes([i % 5]) + row for i, row in enumerate(rows))
    data = zlib.compress(raw, 9)
    idat = b"".join(chunk(b"IDAT", data[i:i + (piece or len(data))])
                    for i in range(0, len(data), piece or len(data)))
    ihdr = struct.pack(">IIBBBBB", width, len(rows), depth, colour, 0, 0, 0)
    open(f"{sys.argv[1]}/{name}", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra
                                              + idat + chunk(b"IEND", b""))
png("rgba16.png", 3, 16, 6, [bytes((x * 37 + y * 11) % 256 for x in range(24)) for y in range(5)])
png("palette-trns.png", 5, 2, 3, [bytes([0x1b, 0xe4]) for _ in range(5)],
    chunk(b"PLTE", bytes(range(12))) + chunk(b"tRNS", b"\x00\x80"))
png("grey-key.png", 7, 4, 0, [bytes([0x12, 0x34, 0x56, 0x70]) for _ in range(5)],
    chunk(b"tRNS", b"\x00\x03"))
png("grey-alpha16.png", 2, 16, 4, [bytes(range(y, y + 8)) for y in range(5)])
png("rgb-split.png", 4, 8, 2, [bytes((x * 7 + y) % 256 for x in range(12)) for y in range(5)],
    piece=1)
PY

log="$dir/last-run.log"
before=$(ls "$dir/artifacts" | wc -l)
say "fuzzing for $seconds s (log: build/fuzz/last-run.log)"
status=0
# -close_fd_mask=2: the OpenCV adapter borrows stderr while it decodes; libFuzzer and the
# sanitizers keep their own copy of it, so no report is lost in there.
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$fuzzer" \
  -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len="$max_len" \
  -dict="$THUMBPIPE_ROOT/tests/fuzz/thumbnail_fuzzer.dict" -close_fd_mask=2 \
  -print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
  "$dir/corpus" "$seeds" "$images" >"$log" 2>&1 || status=$?

# The last status line: "#123456 pulse  cov: 4321 ft: 9876 corp: 1234/5678Kb ...".
last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -n 1)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
features=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
units=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
found=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log")
found=${found//$THUMBPIPE_ROOT\//}
after=$(ls "$dir/artifacts" | wc -l)

if [ "$status" -eq 0 ]; then
  verdict="nothing was found"
else
  verdict="the fuzzer stopped with status $status: $(grep -m 1 -E 'ERROR:|SUMMARY:|ALARM' "$log" || echo 'see the log')"
  verdict+="; input: ${found:-none written}"
  verdict+="; reproduce with: build/fuzz/bin/thumbnail_fuzzer ${found:-}"
fi
printf 'thumbpipe fuzz: %s s, %s executions (%s/s), %s coverage edges, %s features, %s inputs in the corpus, peak RSS %s MB; %s; build/fuzz/artifacts holds %s files (%s new).\n' \
  "$seconds" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${features:-?}" "${units:-?}" "${rss:-?}" \
  "$verdict" "$after" "$((after - before))"
[ "$status" -eq 0 ] || exit 1
