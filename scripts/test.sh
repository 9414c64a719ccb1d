#!/usr/bin/env bash
# Runs every test: builds first (scripts/build.sh), then ctest runs the lit
# suite (and its program-running suites again with mapped code), the unit
# tests (plain and ASan/UBSan) and bounded fuzzer runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PYOX_BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh"
cd "$build"
exec ctest --output-on-failure -j"$(nproc)" "$@"
