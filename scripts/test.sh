#!/usr/bin/env bash
# scripts/test.sh [--sanitize] [CTEST_ARGS...]: installs what thumbpipe needs (Debian 12),
# builds a test build (warnings are errors) and runs the whole suite through CTest.
#   --sanitize   build and test with AddressSanitizer and UndefinedBehaviorSanitizer
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/setup.sh"

dir="$THUMBPIPE_ROOT/build/test"
cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTHUMBPIPE_WERROR=ON)
if [ "${1:-}" = "--sanitize" ]; then
  shift
  dir="$THUMBPIPE_ROOT/build/sanitize"
  cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTHUMBPIPE_WERROR=ON -DTHUMBPIPE_SANITIZE=address,undefined)
fi

ensure_packages "${THUMBPIPE_BUILD_PACKAGES[@]}" "${THUMBPIPE_TEST_PACKAGES[@]}"
build_thumbpipe "$dir" "${cmake_args[@]}"
cd "$dir"
exec ctest --output-on-failure -j "$(nproc)" "$@"
