#!/usr/bin/env bash
# The main job: builds a single-file executable of examples/hello plus the
# standard library (pyox-inject build = pack + inject into pyox-run), then
# runs it from an empty directory with no access to the host's Python files
# needed: everything is imported from the payload inside the executable.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PYOX_BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh" pyox-inject pyox-run
out="$build/example"
mkdir -p "$out"
"$build/bin/pyox-inject" build --stdlib --path "$root/examples/hello" \
  --entry hello:main -o "$out/hello"
ls -l "$out/hello"
cd "$(mktemp -d)"
"$out/hello" "${1:-pyox}"
