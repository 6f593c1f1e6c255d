"""Shared machinery of the benchmark scripts in scripts/bench/.

Imports only the standard library at module level: the scripts call prepare() first, which
installs the Debian packages (numpy, Pillow, OpenCV, matplotlib, the peers) and builds
thumbpipe, and import the heavy modules only after that.
"""

import argparse
import atexit
import datetime
import hashlib
import json
import math
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO = BENCH_DIR.parent.parent
RESULTS = REPO / "bench-results"
CORPORA = RESULTS / "corpora"
SHARED_CORPUS = REPO.parent / "shared" / "corpus"
# scripts/bench/all measures a copy of the build (so that a rebuild meanwhile changes nothing).
THUMBPIPE = Path(os.environ.get("THUMBPIPE_BENCH_BIN") or REPO / "build" / "release" / "bin" / "thumbpipe")
PYTHON = "/usr/bin/python3"
ORIGINAL = BENCH_DIR / "original.py"
SETUP_SH = REPO / "scripts" / "lib" / "setup.sh"

# What every benchmark needs beside thumbpipe's own build packages.
BENCH_PACKAGES = [
    "libvips-tools", "imagemagick", "graphicsmagick", "python3-pil", "python3-numpy",
    "python3-matplotlib", "python3-opencv", "time", "findutils",
]

# The mixed corpus: formats with weights (a photo library is mostly JPEG), sizes in megapixels.
MIXED_FORMATS = "jpeg:4,progressive:2,png:1,png-alpha:1,webp:2"
FORMATS = ["jpeg", "progressive", "png", "png-alpha", "webp"]
# Formats a corpus may hold besides, without a preset of their own: progressive JPEG with full
# chroma (Pillow's "progressive" is 4:2:0).
MORE_FORMATS = ["progressive-444"]
EXTENSIONS = {"jpeg": ".jpg", "progressive": ".jpg", "progressive-444": ".jpg", "png": ".png",
              "png-alpha": ".png", "webp": ".webp"}

# Named corpora: (full, quick) generation parameters.
PRESETS = {
    "mixed": ({"count": 40, "megapixels": "6,12,24", "formats": MIXED_FORMATS},
              {"count": 10, "megapixels": "1,2,3", "formats": MIXED_FORMATS}),
    **{fmt: ({"count": 8, "megapixels": "12", "formats": fmt},
             {"count": 4, "megapixels": "2", "formats": fmt}) for fmt in FORMATS},
    "tiny": ({"count": 20000, "megapixels": "tiny", "formats": "png"},
             {"count": 2000, "megapixels": "tiny", "formats": "png"}),
}
CORPUS_SEED = 20130210

# Real photographs and artwork, from Debian packages (installed by load_corpus): wallpapers
# (photos and renderings; baseline and progressive JPEG, PNG with and without alpha, WebP)
# and scikit-image's sample pictures. Only images Pillow loads whole and at
# least REAL_MIN_SIDE pixels on each side are taken (a few samples are test patterns of 10x10).
REAL_PACKAGES = ["lomiri-wallpapers", "lomiri-wallpapers-16.04", "lomiri-wallpapers-20.04",
                 "sway-backgrounds", "mate-backgrounds", "gnome-backgrounds", "python3-skimage"]
# The quick variant: the smaller packages only.
REAL_QUICK_PACKAGES = ["lomiri-wallpapers-20.04", "sway-backgrounds"]
REAL_MIN_SIDE = 100
REAL_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".gif"}


def say(*parts):
    print("bench:", *parts, file=sys.stderr, flush=True)


def rel(path):
    """A path as the repository's documents show it: relative to the repository root."""
    path = Path(path).resolve()
    try:
        return os.path.relpath(path, REPO)
    except ValueError:
        return str(path)


def display(path):
    """Like rel(), but a temporary folder is shown as such rather than by its location, and a
    system path outside the repository's parent as it is."""
    path = Path(os.path.abspath(path))
    tmp = Path(tempfile.gettempdir()).resolve()
    if tmp in path.resolve().parents or path.resolve() == tmp:
        return "$TMPDIR/" + os.path.relpath(path.resolve(), tmp)
    if REPO.parent in path.resolve().parents:
        return rel(path)
    return str(path)


# ---------------------------------------------------------------- preparation


def prepare(extra_packages=(), build=True):
    """Installs the Debian packages and builds thumbpipe (Release) through scripts/lib/setup.sh."""
    script = r'''
set -e
source "$0"
ensure_packages "${THUMBPIPE_BUILD_PACKAGES[@]}" "$@"
if [ "$BENCH_BUILD" = 1 ]; then
  build_thumbpipe "$THUMBPIPE_ROOT/build/release" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF
fi
'''
    env = dict(os.environ, BENCH_BUILD="1" if build else "0")
    packages = list(dict.fromkeys(BENCH_PACKAGES + list(extra_packages)))
    if subprocess.run(["bash", "-c", script, str(SETUP_SH), *packages], env=env).returncode != 0:
        sys.exit("bench: preparation failed (packages or thumbpipe build)")
    if build and not THUMBPIPE.exists():
        sys.exit(f"bench: {rel(THUMBPIPE)} is missing after the build")


def build_helper():
    """Builds the decode-floor helper into bench-results/bin/ when its source is newer."""
    source = BENCH_DIR / "lib" / "decode_floor.cc"
    binary = RESULTS / "bin" / "decode_floor"
    sources = [source, *(REPO / "worker" / "decoders" / "png").glob("*")]
    if binary.exists() and binary.stat().st_mtime >= max(s.stat().st_mtime for s in sources):
        return binary
    binary.parent.mkdir(parents=True, exist_ok=True)
    flags = subprocess.run(["pkg-config", "--cflags", "opencv4", "libjpeg", "libpng", "libisal", "zlib"],
                           capture_output=True, text=True, check=True).stdout.split()
    libs = subprocess.run(["pkg-config", "--libs", "libjpeg", "libpng", "libisal", "zlib"],
                          capture_output=True, text=True, check=True).stdout.split()
    # It times thumbpipe's own inflate and unfiltering (decode_floor --png): their sources too.
    png = REPO / "worker" / "decoders" / "png"
    cmd = ["g++", "-O2", "-std=c++20", "-Wno-deprecated-enum-enum-conversion", f"-I{REPO}", "-o",
           str(binary), str(source), str(png / "inflater.cc"), str(png / "unfilter.cc"), *flags,
           "-lopencv_imgcodecs", "-lopencv_imgproc", "-lopencv_core", *libs]
    say("building", rel(binary))
    if subprocess.run(cmd).returncode != 0:
        sys.exit("bench: building the decode-floor helper failed")
    return binary


# ---------------------------------------------------------------- command line


def parser(description, corpus=True, runs=(5, 3)):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true",
                   help="small corpus and few runs: a smoke test of about a minute")
    p.add_argument("--workers", "-j", type=int, default=len(os.sched_getaffinity(0)),
                   help="processes per tool (default: the CPUs available)")
    p.add_argument("--size", default="200x200", help="box the thumbnails fit in (default 200x200)")
    p.add_argument("--runs", type=int, default=None,
                   help=f"measured runs per tool after the warm-up (default {runs[0]}, quick {runs[1]})")
    p.add_argument("--warmup", type=int, default=1, help="unmeasured runs first (default 1)")
    if corpus:
        p.add_argument("--corpus", default="mixed",
                       help="a preset (" + ", ".join(PRESETS) + ", real), 'shared' (../shared/corpus) "
                            "or a folder (default mixed)")
    p.add_argument("--no-prepare", action="store_true",
                   help="skip package installation and the thumbpipe build")
    p.set_defaults(_runs=runs)
    return p


def finish_args(args):
    if args.runs is None:
        args.runs = args._runs[1] if args.quick else args._runs[0]
    box = re.fullmatch(r"(\d+)x(\d+)", args.size)
    if not box:
        sys.exit("bench: --size must be WxH, e.g. 200x200")
    args.box = (int(box.group(1)), int(box.group(2)))
    return args


def command_line():
    """This script's command line as the documents show it (relative paths)."""
    words = [rel(sys.argv[0])]
    for word in sys.argv[1:]:
        words.append(display(word) if os.path.isabs(word) else word)
    return " ".join(shlex.quote(w) for w in words)


# ---------------------------------------------------------------- temporary folders

_temporaries = []


# When the last script deleted its temporary files, and how many: wait_for_quiet_disk reads it.
_DELETIONS = RESULTS / ".last-deletion.json"
# How long ext4 without a journal counts a freed inode as recent, at most (six minutes while
# its inode table block is being written), with a little to spare.
_RECENT_S = 370


def remove_folders(paths):
    """Deletes `paths` and records when and how many files that was (see wait_for_quiet_disk)."""
    deleted = 0
    for path in paths:
        path = Path(path)
        if path.exists():
            deleted += sum(len(files) + len(dirs) for _, dirs, files in os.walk(path))
        shutil.rmtree(path, ignore_errors=True)
    if deleted:
        try:
            _DELETIONS.parent.mkdir(parents=True, exist_ok=True)
            _DELETIONS.write_text(json.dumps({"time": time.time(), "files": deleted}))
        except OSError:
            pass


def _cleanup():
    # Under `all`, the folders are listed for it to delete at the very end instead, so that no
    # script's clean-up slows the file creation of the next one (see wait_for_quiet_disk).
    deferred = os.environ.get("THUMBPIPE_BENCH_DEFER_CLEANUP")
    if deferred:
        with open(deferred, "a") as listing:
            listing.writelines(f"{path}\n" for path in _temporaries if path.exists())
        return
    remove_folders(_temporaries)


atexit.register(_cleanup)
for _signal in (signal.SIGTERM, signal.SIGHUP):
    signal.signal(_signal, lambda number, frame: sys.exit(128 + number))


def temporary_folder(prefix="thumbpipe-bench-"):
    path = Path(tempfile.mkdtemp(prefix=prefix))
    _temporaries.append(path)
    return path


def file_creation_cost(folder, count=2000):
    """Microseconds to create a new file with 4 KiB in it, from `count` files made in a new
    folder under `folder` (kept: deleting them is what makes creation slow, see below)."""
    probe = Path(folder) / f"probe-{time.monotonic_ns()}"
    probe.mkdir(parents=True)
    data = b"\0" * 4096
    started = time.perf_counter()
    for i in range(count):
        fd = os.open(probe / f"{i:05d}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, data)
        os.close(fd)
    return (time.perf_counter() - started) / count * 1e6


def wait_for_quiet_disk(folder, slow_us=60, patience_s=480):
    """On ext4 without a journal, a new inode skips every inode freed in the last minute (six
    while the inode table is being written), and new folders tend to land in the block
    groups that have just been emptied: after a mass deletion (another benchmark's clean-up,
    a test suite), each new file can cost hundreds of microseconds for minutes. That would
    measure the file system's memory of someone else's files, so this waits, up to
    `patience_s`, until creating a file in `folder` costs under `slow_us`. Returns the last
    probe in µs."""
    deadline = time.monotonic() + patience_s
    # A probe in one folder can miss the block groups that other new folders land in, and an
    # inode freed minutes ago counts as recent again while its inode table block is being
    # written: after a script of ours deleted files, first wait out the kernel's six minutes.
    try:
        last = json.loads(_DELETIONS.read_text())
        ago = time.time() - last["time"]
        if last["files"] >= 1000 and ago < _RECENT_S:
            wait = min(_RECENT_S - ago, patience_s)
            say(f"{last['files']} files were deleted {ago:.0f} s ago; waiting {wait:.0f} s "
                "for file creation to be fast again")
            time.sleep(wait)
    except (OSError, ValueError, KeyError):
        pass
    cost = file_creation_cost(folder)
    if cost >= slow_us:
        say(f"file creation costs {cost:.0f} µs a file (files were deleted recently); "
            f"waiting up to {patience_s} s for it to settle")
        while cost >= slow_us and time.monotonic() < deadline:
            time.sleep(20)
            cost = file_creation_cost(folder)
        say(f"file creation is back to {cost:.0f} µs a file" if cost < slow_us else
            f"file creation still costs {cost:.0f} µs a file; measuring anyway")
    return cost


# ---------------------------------------------------------------- corpora


class Corpus:
    """A folder of images and the list of them (paths relative to the folder)."""

    def __init__(self, name, root, images, label=None, info=None):
        self.name = name
        self.root = Path(root)
        self.images = list(images)
        self.label = label or display(root)
        self.info = info or {}

    def write_list(self, path, separator="\0"):
        Path(path).write_bytes(b"".join(os.fsencode(p) + separator.encode() for p in self.images))
        return path

    def describe(self):
        text = f"`{self.label}`: {len(self.images)} images"
        if self.info.get("description"):
            text += f" ({self.info['description']})"
        return text


def corpus_params(preset=None, quick=False, **overrides):
    params = dict(PRESETS[preset][1 if quick else 0]) if preset else {}
    params.update({k: v for k, v in overrides.items() if v is not None})
    params.setdefault("seed", CORPUS_SEED)
    return params


def corpus_folder(name, params):
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:10]
    return CORPORA / f"{name}-{digest}"


def load_corpus(spec, quick=False):
    """A Corpus from a preset name (generated on first use), 'real' (copied from Debian
    packages on first use), 'shared', or a folder."""
    if spec == "real":
        return load_real_corpus(quick)
    if spec in PRESETS:
        params = corpus_params(spec, quick)
        name = spec + ("-quick" if quick else "")
        folder = corpus_folder(name, params)
        if not (folder / "corpus.json").exists():
            generate(folder, params)
        info = json.loads((folder / "corpus.json").read_text())
        return Corpus(name, folder, [f["path"] for f in info["files"]], rel(folder), info)
    root = SHARED_CORPUS if spec == "shared" else Path(spec)
    if not root.is_dir():
        sys.exit(f"bench: no corpus preset or folder {spec!r}")
    return stage_images(root, "shared" if spec == "shared" else root.name)


def stage_images(root, name):
    """Copies the images of a folder that is not ours (Pillow loads them fully and thumbpipe
    makes a thumbnail of them) into a temporary folder, so that every tool gets the same
    images and no tool stumbles on a non-image (a bad file ends a whole xargs batch)."""
    from PIL import Image  # noqa: deferred: installed by prepare()

    root = Path(root).resolve()
    scratch = temporary_folder()
    manifest = scratch / "probe.txt"
    subprocess.run([str(THUMBPIPE), "-q", "-j", str(len(os.sched_getaffinity(0))), "--output",
                    str(scratch / "probe"), "--manifest", str(manifest), str(root)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    thumbnailed = {src for _, src in read_manifest(manifest)} if manifest.exists() else set()
    stage = scratch / name
    images = []
    for path in sorted(thumbnailed):
        try:
            with Image.open(path) as image:
                image.load()
        except Exception:  # noqa: BLE001 - any failure means: not an image for every tool
            continue
        relative = os.path.relpath(path, root)
        target = stage / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        images.append(relative)
    shutil.rmtree(scratch / "probe", ignore_errors=True)
    info = {"staged": True, "description": f"the images of `{rel(root)}` that Pillow loads and thumbpipe "
                           "thumbnails, copied to a temporary folder"}
    return Corpus(name, stage, images, rel(root), info)


def ensure_packages(packages):
    """Installs the Debian packages that are missing, through scripts/lib/setup.sh."""
    script = 'set -e; source "$0"; ensure_packages "$@"'
    if subprocess.run(["bash", "-c", script, str(SETUP_SH), *packages]).returncode != 0:
        sys.exit("bench: installing " + ", ".join(packages) + " failed")


def package_version(package):
    return subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                          capture_output=True, text=True, check=True).stdout.strip()


def real_kind(image, path):
    """The corpus's name for the format of an image Pillow opened: jpeg, progressive, png,
    png-alpha, webp, or Pillow's own name in lower case."""
    fmt = (image.format or "?").lower()
    if fmt == "jpeg":
        return "progressive" if image.info.get("progressive") or image.info.get("progression") else "jpeg"
    if fmt == "png":
        alpha = "A" in image.mode or "transparency" in image.info
        return "png-alpha" if alpha else "png"
    return fmt


def load_real_corpus(quick=False):
    """The 'real' preset: the pictures of REAL_PACKAGES, copied (never measured in /usr/share)
    into bench-results/corpora/real-DIGEST/PACKAGE/NAME, named by a digest of the packages'
    versions and the selection rule, and reused while it exists."""
    packages = REAL_QUICK_PACKAGES if quick else REAL_PACKAGES
    ensure_packages(packages)
    params = {"packages": {p: package_version(p) for p in packages}, "min_side": REAL_MIN_SIDE,
              "extensions": sorted(REAL_EXTENSIONS)}
    name = "real" + ("-quick" if quick else "")
    folder = corpus_folder(name, params)
    if not (folder / "corpus.json").exists():
        copy_real_images(folder, params)
    info = json.loads((folder / "corpus.json").read_text())
    return Corpus(name, folder, [f["path"] for f in info["files"]], rel(folder), info)


def copy_real_images(folder, params):
    from PIL import Image  # noqa: deferred: installed by prepare()

    if folder.exists():
        shutil.rmtree(folder)
    staging = folder.with_name(folder.name + ".partial")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    files = []
    for package in params["packages"]:
        listed = subprocess.run(["dpkg-query", "-L", package], capture_output=True, text=True,
                                check=True).stdout.splitlines()
        sources = sorted(Path(p) for p in listed
                         if Path(p).suffix.lower() in REAL_EXTENSIONS and Path(p).is_file()
                         and not Path(p).is_symlink())
        if not sources:
            continue
        # Names relative to the package's common folder, one folder per package: no two
        # packages' "background.png" can collide.
        common = Path(os.path.commonpath([str(p.parent) for p in sources]))
        for source in sources:
            try:
                with Image.open(source) as image:
                    image.load()
                    width, height = image.size
                    kind = real_kind(image, source)
            except Exception:  # noqa: BLE001 - any failure: not a picture every tool can read
                continue
            if min(width, height) < params["min_side"]:
                continue
            relative = Path(package) / source.relative_to(common)
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            files.append({"path": str(relative), "format": kind, "width": width, "height": height,
                          "megapixels": round(width * height / 1e6, 2),
                          "bytes": source.stat().st_size, "package": package})
    summary = {}
    for entry in files:
        row = summary.setdefault(entry["format"], {"count": 0, "megapixels": 0.0})
        row["count"] += 1
        row["megapixels"] = round(row["megapixels"] + entry["megapixels"], 2)
    total_mp = sum(f["megapixels"] for f in files)
    described = (f"real photographs and artwork from Debian packages, {total_mp:.0f} MP in all: "
                 + ", ".join(f"{row['count']} {fmt} ({row['megapixels']:.0f} MP)"
                             for fmt, row in sorted(summary.items(), key=lambda kv: -kv[1]["count"])))
    info = {"params": params, "description": described, "files": files, "formats": summary,
            "megapixels": round(total_mp, 2), "bytes": sum(f["bytes"] for f in files)}
    (staging / "corpus.json").write_text(json.dumps(info, indent=1))
    staging.rename(folder)
    say(f"copied {len(files)} real images ({info['bytes'] / 1e6:.1f} MB, {total_mp:.0f} MP) "
        f"into {rel(folder)}")


def parse_formats(text):
    formats = []
    for part in text.split(","):
        fmt, _, weight = part.partition(":")
        if fmt not in FORMATS + MORE_FORMATS:
            sys.exit(f"bench: unknown format {fmt!r} (known: {', '.join(FORMATS + MORE_FORMATS)})")
        formats += [fmt] * (int(weight) if weight else 1)
    return formats


def generate(folder, params):
    """Writes a seeded corpus of photo-like images into `folder` (replacing it)."""
    import multiprocessing

    tiny = params["megapixels"] == "tiny"
    formats = parse_formats(params["formats"])
    megapixels = [None] if tiny else [m if "x" in m else float(m)
                                      for m in str(params["megapixels"]).split(",")]
    count = int(params["count"])
    per_folder = int(params.get("per_folder", 200))
    jobs = []
    for index in range(count):
        fmt = formats[index % len(formats)]
        mp = megapixels[index % len(megapixels)]
        if tiny:
            name = f"{index // per_folder:03d}/{index:05d}{EXTENSIONS[fmt]}"
        elif isinstance(mp, str):
            name = f"set-{index // 10:02d}/{index:04d}-{fmt}-{mp}{EXTENSIONS[fmt]}"
        else:
            mp_text = f"{mp:g}".replace(".", "p")
            name = f"set-{index // 10:02d}/{index:04d}-{fmt}-{mp_text}mp{EXTENSIONS[fmt]}"
        jobs.append((str(folder / name), fmt, mp, params["seed"], index))
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    say(f"generating {count} images into {rel(folder)}")
    started = time.time()
    worker = _write_tiny if tiny else _write_photo
    with multiprocessing.get_context("fork").Pool(len(os.sched_getaffinity(0))) as pool:
        files = pool.map(worker, jobs, chunksize=max(1, count // 64))
    for entry in files:
        entry["path"] = os.path.relpath(entry.pop("file"), folder)
    if not tiny:
        described = f"{params['formats']} at {params['megapixels']} MP"
    elif params["formats"] == "png":
        described = "64x64 PNG"
    else:
        described = f"64x64 {params['formats']}"
    if tiny and "per_folder" in params:
        described += f", {(count + per_folder - 1) // per_folder} folders of {per_folder}"
    info = {"params": params, "description": described, "files": files,
            "bytes": sum(f["bytes"] for f in files)}
    (folder / "corpus.json").write_text(json.dumps(info, indent=1))
    say(f"generated {count} images ({info['bytes'] / 1e6:.1f} MB) in {time.time() - started:.0f} s")


def photo_size(megapixels, rng):
    """Width and height of a photo of about `megapixels`, 3:2 or 4:3, landscape or portrait;
    or exactly WxH when given so."""
    if isinstance(megapixels, str):
        width, height = megapixels.split("x")
        return int(width), int(height)
    aspect = (3 / 2, 4 / 3)[int(rng.integers(0, 2))]
    height = int(round(math.sqrt(megapixels * 1e6 / aspect)))
    width = int(round(height * aspect))
    return (width, height) if rng.uniform() < 0.75 else (height, width)


def photo_pixels(rng, width, height, alpha=False):
    """A photo-like picture: smooth light, objects with edges, surface texture and sensor noise,
    so that it compresses like a real photograph (neither flat nor pure noise)."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    def upsample(a, resample=Image.BICUBIC):
        return np.asarray(Image.fromarray(a, mode="F").resize((width, height), resample))

    def colour(lo=40, hi=220, chroma=70):
        return np.clip(rng.uniform(lo, hi) + rng.uniform(-chroma, chroma, 3), 0, 255)

    # Light: a smooth field of a few muted colours.
    light = np.stack([[colour() for _ in range(4)] for _ in range(3)]).astype(np.uint8)
    img = np.asarray(Image.fromarray(light).resize((width, height), Image.BICUBIC), dtype=np.float32)
    # Objects: hard- and soft-edged shapes drawn at a quarter of the resolution.
    sw, sh = max(1, width // 4), max(1, height // 4)
    canvas = Image.new("RGBA", (sw, sh), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    for _ in range(int(rng.integers(8, 16))):
        x0, y0 = rng.uniform(-0.2, 1.0) * sw, rng.uniform(-0.2, 1.0) * sh
        x1, y1 = x0 + rng.uniform(0.03, 0.5) * sw, y0 + rng.uniform(0.03, 0.5) * sh
        fill = tuple(int(c) for c in colour(20, 235, 60)) + (255,)
        kind = int(rng.integers(0, 3))
        if kind == 0:
            draw.ellipse([x0, y0, x1, y1], fill=fill)
        elif kind == 1:
            draw.rectangle([x0, y0, x1, y1], fill=fill)
        else:
            draw.polygon([(rng.uniform(x0, x1), rng.uniform(y0, y1)) for _ in range(6)], fill=fill)
    canvas = canvas.filter(ImageFilter.GaussianBlur(0.5)).resize((width, height), Image.BILINEAR)
    shapes = np.asarray(canvas, dtype=np.float32)
    cover = shapes[..., 3:4] * (1.0 / 255.0)
    img = img * (1 - cover) + shapes[..., :3] * cover
    del shapes, cover
    # Texture: octaves of smooth noise on the luminance; then grain and blotchy chroma noise.
    lum = np.zeros((height, width), np.float32)
    for div, amp in ((64, 14.0), (16, 8.0), (4, 5.0)):
        lum += upsample(rng.standard_normal((max(2, height // div), max(2, width // div)),
                                            dtype=np.float32)) * amp
    lum += rng.standard_normal((height, width), dtype=np.float32) * 4.0
    img += lum[..., None]
    del lum
    chroma = rng.standard_normal(((height + 1) // 2, (width + 1) // 2, 3), dtype=np.float32) * 2.0
    img += np.repeat(np.repeat(chroma, 2, axis=0), 2, axis=1)[:height, :width]
    del chroma
    rgb = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    del img
    if not alpha:
        return rgb
    # Alpha: opaque subject, soft transparent surroundings (a cut-out).
    mask = Image.new("L", (sw, sh), 0)
    md = ImageDraw.Draw(mask)
    md.ellipse([sw * rng.uniform(0.05, 0.3), sh * rng.uniform(0.05, 0.3),
                sw * rng.uniform(0.7, 0.95), sh * rng.uniform(0.7, 0.95)], fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(max(1, sw // 60))).resize((width, height), Image.BILINEAR)
    return np.dstack([rgb, np.asarray(mask)])


def _write_photo(job):
    import numpy as np
    from PIL import Image

    path, fmt, megapixels, seed, index = job
    rng = np.random.default_rng([seed, index])
    width, height = photo_size(megapixels, rng)
    pixels = photo_pixels(rng, width, height, alpha=fmt == "png-alpha")
    write_image(Image.fromarray(pixels), path, fmt)
    return {"file": path, "format": fmt, "width": width, "height": height,
            "bytes": os.path.getsize(path)}


def write_image(image, path, fmt):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if fmt == "jpeg":
        image.save(path, "JPEG", quality=92)
    elif fmt == "progressive":
        image.save(path, "JPEG", quality=92, progressive=True)
    elif fmt == "progressive-444":
        image.save(path, "JPEG", quality=92, progressive=True, subsampling=0)
    elif fmt in ("png", "png-alpha"):
        image.save(path, "PNG")
    elif fmt == "webp":
        image.save(path, "WEBP", quality=85)


def _write_tiny(job):
    import numpy as np
    from PIL import Image

    path, fmt, _, seed, index = job
    rng = np.random.default_rng([seed, index])
    y, x = np.mgrid[0:64, 0:64].astype(np.float32)
    a, b, c = rng.uniform(-2, 2, 3)
    base = (x * a + y * b)[..., None] + rng.uniform(40, 200, 3) + c
    pixels = np.clip(base + rng.normal(0, 4, (64, 64, 3)), 0, 255).astype(np.uint8)
    write_image(Image.fromarray(pixels), path, fmt)
    return {"file": path, "format": fmt, "width": 64, "height": 64, "bytes": os.path.getsize(path)}


# ---------------------------------------------------------------- measuring


class Run:
    def __init__(self, wall, user, sys_, maxrss_kb, status, log, usage=None):
        self.wall, self.user, self.sys, self.status, self.log = wall, user, sys_, status, log
        self.cpu = user + sys_
        self.rss_mb = maxrss_kb / 1024.0
        # From the same wait4(): context switches (voluntary: waiting for something;
        # involuntary: preempted) and minor page faults, summed over the waited-for processes.
        self.voluntary_switches = usage.ru_nvcsw if usage else None
        self.involuntary_switches = usage.ru_nivcsw if usage else None
        self.minor_faults = usage.ru_minflt if usage else None

    def as_dict(self):
        return {"wall": self.wall, "user": self.user, "sys": self.sys, "cpu": self.cpu,
                "peak_rss_mb": self.rss_mb, "status": self.status,
                "voluntary_switches": self.voluntary_switches,
                "involuntary_switches": self.involuntary_switches,
                "minor_faults": self.minor_faults}


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env.update(extra)
    return env


class PeakRss:
    """Runs a command under /usr/bin/time, which reports the command's peak RSS (the largest of
    it and its waited-for descendants). wait4()'s own ru_maxrss cannot be used for a command
    started from this script: Linux counts into it the resident size of the process that exec'd
    the command, a (v)fork of this Python, which after building a corpus holds hundreds of
    megabytes. /usr/bin/time forks the command from its own small process. Its CPU time is in
    wait4's figures too, and is negligible."""

    def __init__(self, cmd):
        fd, self.path = tempfile.mkstemp(prefix="bench-rss-")
        os.close(fd)
        self.cmd = ["/usr/bin/time", "-f", "%M", "-o", self.path, "--", *cmd]

    def kib(self):
        try:
            lines = Path(self.path).read_text().split()
            return int(lines[-1]) if lines and lines[-1].isdigit() else 0
        finally:
            os.unlink(self.path)


def measure(cmd, cwd=None, env=None, stdin=None, log=None):
    """Runs `cmd` and returns its wall time, the user+sys CPU of it and all its waited-for
    descendants (wait4), and their peak RSS (the largest of any one process, PeakRss)."""
    peak = PeakRss(cmd)
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as inp, \
            open(log, "wb") if log else open(os.devnull, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(peak.cmd, cwd=cwd, env=env or clean_env(), stdin=inp, stdout=out,
                                stderr=out)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(wall, usage.ru_utime, usage.ru_stime, peak.kib(), proc.returncode, log, usage)


def measure_sampled(cmd, cwd=None, env=None, stdin=None, log=None, interval=0.005):
    """measure(), plus a breakdown per process name from polling /proc: the largest VmHWM
    seen, and RssAnon/RssFile/RssShmem when RSS was highest (sampled, so approximate)."""
    processes = {}
    peak = PeakRss(cmd)

    def descendants(root):
        children = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
        found, stack = [], [root]
        while stack:
            pid = stack.pop()
            found.append(pid)
            stack.extend(children.get(pid, []))
        return found

    def sample(pid):
        try:
            text = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        kb = lambda key: int(fields.get(key, "0 kB").split()[0])  # noqa: E731
        name = fields.get("Name", "?").strip()
        entry = processes.setdefault((pid, name), {"name": name, "hwm_mb": 0, "rss_mb": 0})
        entry["hwm_mb"] = max(entry["hwm_mb"], kb("VmHWM") / 1024)
        if kb("VmRSS") / 1024 >= entry["rss_mb"]:
            entry.update(rss_mb=kb("VmRSS") / 1024, anon_mb=kb("RssAnon") / 1024,
                         file_mb=kb("RssFile") / 1024, shmem_mb=kb("RssShmem") / 1024)

    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as inp, \
            open(log, "wb") if log else open(os.devnull, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(peak.cmd, cwd=cwd, env=env or clean_env(), stdin=inp, stdout=out,
                                stderr=out)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            for child in descendants(proc.pid):
                sample(child)
            time.sleep(interval)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    run = Run(wall, usage.ru_utime, usage.ru_stime, peak.kib(), proc.returncode, log, usage)
    by_name = {}
    for entry in processes.values():
        best = by_name.get(entry["name"])
        if best is None or entry["hwm_mb"] > best["hwm_mb"]:
            by_name[entry["name"]] = entry
    run.processes = by_name
    return run


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def summarize(runs):
    """Medians (and the spread of the wall time) of a list of Runs."""
    walls = [r.wall for r in runs]
    return {"runs": len(runs), "wall": median(walls), "wall_min": min(walls), "wall_max": max(walls),
            "cpu": median([r.cpu for r in runs]), "user": median([r.user for r in runs]),
            "sys": median([r.sys for r in runs]), "peak_rss_mb": median([r.rss_mb for r in runs]),
            "voluntary_switches": median([getattr(r, "voluntary_switches", None) for r in runs]),
            "involuntary_switches": median([getattr(r, "involuntary_switches", None) for r in runs]),
            "minor_faults": median([getattr(r, "minor_faults", None) for r in runs]),
            "walls": walls}


class OtherWork:
    """What else ran on the machine while a benchmark measured, so that wall-time targets are
    judged only on an otherwise idle machine (the load average cannot tell: the benchmark keeps
    the CPUs busy itself). start() and stop() read the busy time of all CPUs from /proc/stat
    (user, nice, system, irq and softirq, and steal: time the hypervisor gave to others, which
    slows the runs just the same) and the CPU time of this process and of every child it waited
    for (getrusage RUSAGE_SELF and RUSAGE_CHILDREN, which hold the measured runs' wait4() times).
    The busy time less our own is other work: `cpu_s` in CPU-seconds, `cpus` in CPUs on average
    over the wall time between the two. Work done for the runs but charged to none of their
    processes (kernel threads writing their files back, interrupts) counts as other work, so the
    figure errs towards "busy". `quiet`: at most QUIET_CPUS of it.
    """

    QUIET_CPUS = 0.1

    def __init__(self):
        self.wall = self.busy_s = self.own_s = self.cpu_s = self.cpus = None
        self.runs_cpu_s = None  # the measured runs' own wait4() times, part of own_s, if given
        self._started = None

    @staticmethod
    def _sample():
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[1:9])
        busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
        own = sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                     resource.getrusage(resource.RUSAGE_CHILDREN)))
        return time.perf_counter(), busy, own

    def start(self):
        self._started = self._sample()
        return self

    def stop(self):
        (wall0, busy0, own0), (wall1, busy1, own1) = self._started, self._sample()
        self.wall, self.busy_s, self.own_s = wall1 - wall0, busy1 - busy0, own1 - own0
        # /proc/stat counts in clock ticks, getrusage more finely: on an idle machine the
        # difference can come out a little below zero.
        self.cpu_s = max(0.0, self.busy_s - self.own_s)
        self.cpus = self.cpu_s / self.wall if self.wall > 0 else 0.0
        return self

    @property
    def quiet(self):
        return self.cpus is not None and self.cpus <= self.QUIET_CPUS

    def text(self):
        if self.cpus is None:
            return "other work not measured (no measured runs)"
        return f"other work {self.cpus:.2f} CPUs"

    def verdict_note(self):
        """What a wall-time target's measured text ends with: the other work, and whether the
        target was judged."""
        if self.quiet:
            return f"; {self.text()}"
        return f"; not judged: {self.text()} on {os.cpu_count()}"

    def as_dict(self):
        return {"wall_s": self.wall, "busy_cpu_s": self.busy_s, "own_cpu_s": self.own_s,
                "runs_cpu_s": self.runs_cpu_s, "other_cpu_s": self.cpu_s, "other_cpus": self.cpus,
                "cpus": os.cpu_count(), "quiet_cpus": self.QUIET_CPUS}


# ---------------------------------------------------------------- the tools


def read_manifest(path):
    """(thumbnail name, source path) pairs of a manifest, with thumbpipe's escapes undone."""
    pairs = []
    for line in Path(path).read_bytes().split(b"\n"):
        if not line:
            continue
        name, _, source = line.partition(b": ")
        pairs.append((name.decode(), os.fsdecode(_unescape(source))))
    return pairs


def _unescape(raw):
    out, i = bytearray(), 0
    while i < len(raw):
        if raw[i:i + 1] == b"\\" and i + 1 < len(raw):
            nxt = raw[i + 1:i + 2]
            if nxt == b"n":
                out += b"\n"
                i += 2
                continue
            if nxt == b"\\":
                out += b"\\"
                i += 2
                continue
            if nxt == b"x" and i + 3 < len(raw):
                out.append(int(raw[i + 2:i + 4], 16))
                i += 4
                continue
        out += raw[i:i + 1]
        i += 1
    return bytes(out)


class Tool:
    """One thumbnailer: how to run it over a corpus and where its thumbnails land."""
    name = ""
    batch = False  # fed file lists through xargs

    def __init__(self, workers, box, batch_size=None):
        self.workers, self.box, self.batch_size = workers, box, batch_size

    @property
    def box_text(self):
        return f"{self.box[0]}x{self.box[1]}"

    def command(self, corpus, out):
        raise NotImplementedError

    def run(self, corpus, out, log=None, sampled=False):
        """One measured run into `out`, a folder that must not exist yet. Nothing is deleted
        between runs: on ext4 without a journal, inodes freed in the last minutes are skipped
        when new files are made, so deleting the last run's thumbnails would slow the next."""
        out.mkdir(parents=True)
        cmd, cwd, env, stdin = self.command(corpus, out)
        return (measure_sampled if sampled else measure)(cmd, cwd=cwd, env=env, stdin=stdin, log=log)

    def describe(self, corpus, out):
        """The command as the documents show it: OUT for the tool's output folder, the corpus
        by its label (CORPUS for a temporary copy), other paths relative to the repository."""
        cmd, _, env, stdin = self.command(corpus, out)
        extra = {k: v for k, v in env.items() if os.environ.get(k) != v and k in
                 ("VIPS_CONCURRENCY", "MAGICK_THREAD_LIMIT", "OMP_NUM_THREADS")}
        root = str(corpus.root)
        label = "CORPUS" if corpus.info.get("staged") else corpus.label
        words = [f"{k}={v}" for k, v in sorted(extra.items())]
        for word in cmd:
            word = word.replace(str(out), "OUT").replace(root, label)
            if os.path.isabs(word) and (REPO in Path(word).parents):
                word = rel(word)
            words.append(word)
        text = " ".join(shlex.quote(w) for w in words)
        return f"cd {label} && <image list> | {text}" if stdin else text

    def outputs(self, corpus, out):
        """{image path relative to the corpus: thumbnail file} for the thumbnails it made."""
        raise NotImplementedError

    def count(self, corpus, out):
        return len(self.outputs(corpus, out))

    def xargs(self, corpus, out, tool_cmd):
        """A command that feeds the corpus's images to `tool_cmd` in batches, `workers` at a
        time. The batch tool's exit status is softened to 1 so that xargs, which stops at the
        first 255, always works through the whole list."""
        size = self.batch_size or max(1, min(32, len(corpus.images) // (4 * self.workers)))
        listing = corpus.write_list(out.parent / f"{out.name}.list")
        cmd = ["xargs", "-0", "-P", str(self.workers), "-n", str(size),
               "sh", "-c", '"$@" || exit 1', "sh", *tool_cmd]
        return cmd, str(corpus.root), listing

    def by_stem(self, corpus, out):
        stems = {}
        for image in corpus.images:
            stems.setdefault(Path(image).stem, []).append(image)
        found = {}
        for stem, images in stems.items():
            thumb = out / f"{stem}.png"
            if len(images) == 1 and thumb.exists():
                found[images[0]] = thumb
        return found


class Thumbpipe(Tool):
    name = "thumbpipe"

    def command(self, corpus, out):
        return ([str(THUMBPIPE), "-q", "-j", str(self.workers), "--size", self.box_text,
                 "--output", str(out / "thumbnails"), "--manifest", str(out / "processed.txt"),
                 str(corpus.root)], None, clean_env(), None)

    def outputs(self, corpus, out):
        manifest = out / "processed.txt"
        if not manifest.exists():
            return {}
        root = corpus.root.resolve()
        return {os.path.relpath(src, root): out / "thumbnails" / name
                for name, src in read_manifest(manifest)}


class PythonPort(Thumbpipe):
    name = "python-port"

    def command(self, corpus, out):
        return ([PYTHON, str(ORIGINAL), str(corpus.root), str(self.workers), "--size", self.box_text,
                 "--output", str(out / "thumbnails"), "--manifest", str(out / "processed.txt")],
                None, clean_env(), None)


class Vips(Tool):
    name = "vipsthumbnail"
    batch = True

    def command(self, corpus, out):
        cmd, cwd, stdin = self.xargs(corpus, out, [
            "vipsthumbnail", "--size", self.box_text + ">", "-o", str(out / "%s.png")])
        return cmd, cwd, clean_env(VIPS_CONCURRENCY="1"), stdin

    def outputs(self, corpus, out):
        return self.by_stem(corpus, out)


class ImageMagick(Tool):
    name = "imagemagick"
    batch = True

    def command(self, corpus, out):
        cmd, cwd, stdin = self.xargs(corpus, out, [
            "mogrify", "-path", str(out), "-format", "png", "-define", f"jpeg:size={self.box_text}",
            "-auto-orient", "-thumbnail", self.box_text + ">"])
        return cmd, cwd, clean_env(MAGICK_THREAD_LIMIT="1", OMP_NUM_THREADS="1"), stdin

    def outputs(self, corpus, out):
        return self.by_stem(corpus, out)


class GraphicsMagick(Tool):
    name = "graphicsmagick"
    batch = True

    def command(self, corpus, out):
        cmd, cwd, stdin = self.xargs(corpus, out, [
            "gm", "mogrify", "-output-directory", str(out), "-create-directories", "-format", "png",
            "-size", self.box_text, "-auto-orient", "-thumbnail", self.box_text + ">"])
        return cmd, cwd, clean_env(OMP_NUM_THREADS="1"), stdin

    def outputs(self, corpus, out):
        found = {}
        for image in corpus.images:
            thumb = out / Path(image).with_suffix(".png")
            if thumb.exists():
                found[image] = thumb
        return found


TOOLS = {cls.name: cls for cls in (Thumbpipe, Vips, ImageMagick, GraphicsMagick, PythonPort)}


def make_tools(names, workers, box):
    tools = []
    for name in names:
        if name not in TOOLS:
            sys.exit(f"bench: unknown tool {name!r} (known: {', '.join(TOOLS)})")
        tools.append(TOOLS[name](workers, box))
    return tools


def alternate(tools, corpus, work, runs, warmup, check=None, other=None):
    """Runs every tool `warmup + runs` times, alternated (A B C A B C ...), each into a fresh
    folder; returns {tool name: [measured Runs]} and {tool name: thumbnails of the last run}.
    `other`, an OtherWork, measures what else ran on the machine during the measured rounds."""
    results = {t.name: [] for t in tools}
    counts = {}
    total = warmup + runs
    for round_ in range(total):
        if other is not None and round_ == warmup:
            other.start()
        for tool in tools:
            out = work / tool.name / f"run-{round_}"
            log = work / tool.name / f"run-{round_}.log"
            run = tool.run(corpus, out, log=log)
            counts[tool.name] = tool.count(corpus, out)
            phase = "warm-up" if round_ < warmup else f"run {round_ - warmup + 1}/{runs}"
            say(f"{tool.name:15s} {phase:9s} {run.wall:8.2f} s wall {run.cpu:8.2f} s cpu "
                f"{run.rss_mb:7.1f} MB  {counts[tool.name]} thumbnails"
                + ("" if run.status == 0 else f"  (exit {run.status})"))
            if round_ >= warmup:
                results[tool.name].append(run)
    if other is not None and runs > 0:
        other.stop()
        other.runs_cpu_s = sum(r.cpu for rs in results.values() for r in rs)
        say(f"{other.text()} during the measured runs ({other.busy_s:.1f} CPU-s busy, "
            f"{other.own_s:.1f} of them ours, {other.runs_cpu_s:.1f} in the runs)")
    return results, counts


# ---------------------------------------------------------------- reporting


def machine():
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    osname = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                osname = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "available_cpus": len(os.sched_getaffinity(0)),
            "ram_gib": round(mem_gib, 1), "os": osname, "kernel": platform.release()}


def versions():
    def first_line(cmd, pattern=None):
        try:
            text = subprocess.run(cmd, capture_output=True, text=True).stdout + ""
        except OSError:
            return "missing"
        for line in text.splitlines():
            if not pattern or re.search(pattern, line):
                return line.strip()
        return "unknown"

    def python_module(module, attribute="__version__"):
        code = f"import {module}; print({module}.{attribute})"
        return first_line([PYTHON, "-c", code])

    return {
        "thumbpipe": first_line([str(THUMBPIPE), "--version"]),
        "thumbpipe commit": os.environ.get("THUMBPIPE_BENCH_COMMIT") or
        first_line(["git", "-C", str(REPO), "describe", "--always", "--dirty"]) + " (working tree)",
        "vipsthumbnail": first_line(["vipsthumbnail", "--version"]),
        "imagemagick": first_line(["convert", "-version"], "^Version").replace("Version: ", ""),
        "graphicsmagick": first_line(["gm", "-version"], "^GraphicsMagick"),
        "python": first_line([PYTHON, "--version"]),
        "pillow": python_module("PIL"),
        "opencv (python)": python_module("cv2"),
    }


def results_folder(name, *parts, quick=False):
    """bench-results/NAME/... for measurements, bench-results/quick/NAME/... for smoke tests
    (so a quick run never replaces a measurement)."""
    folder = RESULTS.joinpath(*(["quick"] if quick else []), name, *parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_results(folder, title, table, data, quick, args=None, notes=(), targets=(), after="",
                  other=None):
    """Writes table.md (what the report assembles) and results.json into `folder`, and prints
    the table. `targets`: (target, measured text, ok) rows, shown as pass/fail. `other`: the
    OtherWork of the measured runs, given beside the load average."""
    now = datetime.datetime.now().astimezone()
    meta = {"title": title, "command": command_line(), "date": now.isoformat(timespec="seconds"),
            "quick": quick, "invoked_by": os.environ.get("THUMBPIPE_BENCH_INVOKED_BY"),
            "machine": machine(), "versions": versions(),
            "load_average_before": _initial_load, "load_average_after": os.getloadavg()}
    if other is not None and other.cpus is not None:
        meta["other_work"] = other.as_dict()
    if args is not None:
        meta.update({"workers": args.workers, "size": args.size,
                     "runs": getattr(args, "runs", None), "warmup": getattr(args, "warmup", None)})
    targets = [list(t) for t in targets]
    meta["where"] = f"{folder.parent.name if folder.parent not in (RESULTS, RESULTS / 'quick') else ''} " \
        f"{folder.name}".strip().replace("-quick", "")
    (folder / "results.json").write_text(json.dumps({"meta": meta, "targets": targets, **data},
                                                    indent=1, default=str))
    header = [f"### {title}", "",
              f"`{meta['command']}` on {now:%Y-%m-%d %H:%M %Z}"
              + (" (**quick mode**: a smoke test, not a measurement)" if quick else "")
              + f"; load average {load_text(_initial_load)} before, "
              + f"{load_text(meta['load_average_after'])} after"
              + (f"; {other_work_text(meta['other_work'])} during the measured runs"
                 if "other_work" in meta else "") + ".", ""]
    body = table.rstrip() + "\n"
    if targets:
        body += "\nTargets:\n\n" + targets_table(targets)
    if after:
        body += "\n" + after.rstrip() + "\n"
    text = "\n".join(header + ["\n\n".join(notes)]).rstrip() + "\n\n" + body
    (folder / "table.md").write_text(text)
    print(text)


_initial_load = os.getloadavg()


def load_text(load):
    return "/".join(f"{x:.2f}" for x in load)


def other_work_text(other_work):
    """'other work 0.03 CPUs (of 2)' from the other_work entry of a result's meta."""
    return f"other work {other_work['other_cpus']:.2f} CPUs (of {other_work['cpus']})"


def markdown_table(headers, rows, align=None):
    align = align or ["l"] + ["r"] * (len(headers) - 1)
    marks = {"l": "---", "r": "---:", "c": ":---:"}
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(marks[a] for a in align) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def verdict(ok):
    return "**pass**" if ok else "**FAIL**"


def targets_table(rows):
    """rows: (target, measured text, ok or None) -> a Markdown table."""
    return markdown_table(["target", "measured", "result"],
                          [(t, m, "info" if ok is None else verdict(ok)) for t, m, ok in rows],
                          ["l", "l", "c"])


def fmt_ratio(x):
    return "n/a" if x is None or math.isnan(x) else f"{x:.2f}x"


def chart(path, draw):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    draw(fig, ax)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
