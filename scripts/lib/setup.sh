# Shared by scripts/run.sh, scripts/test.sh and the benchmarks: installs the Debian packages
# thumbpipe needs and builds it. Source it; it defines functions only.

THUMBPIPE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# What building and testing thumbpipe needs on Debian 12.
THUMBPIPE_BUILD_PACKAGES=(
  cmake ninja-build g++ pkg-config ccache
  libopencv-dev libboost-dev libfmt-dev libcli11-dev libssl-dev nlohmann-json3-dev
  libjpeg62-turbo-dev libpng-dev zlib1g-dev libwebp-dev libtiff-dev libgif-dev libisal-dev
  libheif-dev libjxl-dev libopenjp2-7-dev libsystemd-dev libsqlite3-dev libmagickcore-6.q16-dev
  liblcms2-dev libgs-common
  libgtest-dev libgmock-dev
)
# What the tests need besides: a terminal to watch the progress line in; heif-enc, cjxl and
# opj_compress to make HEIF, JPEG XL and JPEG 2000 files; Pillow to write the long-tail formats
# (TGA, ICO, PCX, SGI, XBM) with an encoder other than the decoder's; avifenc and Pillow with
# colord's profiles to make colour-managed images; a single-node Slurm (slurm-wlm, munge; ss from
# iproute2) to run the job array of deploy/slurm on; python3-yaml to read deploy/kubernetes.
THUMBPIPE_TEST_PACKAGES=(tmux libheif-examples libjxl-tools libopenjp2-tools libavif-bin python3-pil
  colord-data slurm-wlm munge iproute2 python3-yaml)

say() { printf 'thumbpipe: %s\n' "$*" >&2; }

# ensure_packages PKG...: installs whichever of PKG are missing, with sudo unless root.
ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { say "need root or sudo to install: ${missing[*]}"; return 1; }
    sudo=(sudo)
  fi
  say "installing Debian packages: ${missing[*]}"
  local log
  log=$(mktemp)
  if ! { "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
         "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    say "package installation failed"
    return 1
  fi
  rm -f "$log"
}

# build_thumbpipe DIR [CMAKE_ARGS...]: configures DIR if it has never been, then builds it.
# Output is shown only when something fails.
build_thumbpipe() {
  local dir=$1
  shift
  local log
  log=$(mktemp)
  if [ ! -f "$dir/build.ninja" ]; then
    say "configuring $dir"
    if ! cmake -S "$THUMBPIPE_ROOT" -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache "$@" >"$log" 2>&1; then
      cat "$log" >&2
      rm -f "$log"
      rm -f "$dir/build.ninja"
      say "configuration failed"
      return 1
    fi
  fi
  if ! cmake --build "$dir" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    say "build failed"
    return 1
  fi
  rm -f "$log"
}
