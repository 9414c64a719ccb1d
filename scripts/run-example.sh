#!/usr/bin/env bash
# The main job: packs the example application with the standard library and
# shows what went in.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PYOX_BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh" pyox-inject
out="$build/example"
mkdir -p "$out"
"$build/bin/pyox-inject" pack --stdlib --path "$root/examples/hello" \
  --entry hello:main -o "$out/hello.pyox"
"$build/bin/pyox-inject" verify "$out/hello.pyox"
"$build/bin/pyox-inject" list "$out/hello.pyox" | grep -E '^(#|hello)'
