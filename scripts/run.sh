#!/usr/bin/env bash
# scripts/run.sh ROOT [WORKERS] [options]: installs what thumbpipe needs (Debian 12), builds a
# Release build in build/release when it is missing or out of date, and runs thumbpipe with
# the given arguments in the current folder.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/setup.sh"

ensure_packages "${THUMBPIPE_BUILD_PACKAGES[@]}"
build_thumbpipe "$THUMBPIPE_ROOT/build/release" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF
exec "$THUMBPIPE_ROOT/build/release/bin/thumbpipe" "$@"
