#!/usr/bin/env bash
# Links the C host with a payload through one link-time path, four ways
# (default, --gc-sections, -static, both), runs each program and checks that
# it finds exactly the payload's bytes. One line per program; any failure
# prints FAIL and exits 1.
#
#   linkers.sh PATH DIR PAYLOAD
#
# PATH: object-LINKER (the `pyox-inject object` file, linked by cc
# -fuse-ld=LINKER: bfd, gold, lld, mold), pyox-ld (cc -fuse-ld=lld
# --ld-path=pyox-ld -Wl,--pyox-payload=), plugin-LINKER (bfd or gold with
# pyox-plugin.so). Environment: CC, PYOX_INCLUDE, LOCATE_LIBS, HOST_C,
# PLUGIN.
set -euo pipefail
MODE=$1 D=$2 P=$3
fail() { echo "FAIL: $*"; exit 1; }
mkdir -p "$D"
"$CC" -c $PYOX_INCLUDE "$HOST_C" -o "$D/host.o"

case $MODE in
object-*)
  pyox-inject object "$P" -o "$D/payload.o" --format elf
  LINK=(-fuse-ld="${MODE#object-}" "$D/payload.o") ;;
pyox-ld)
  LINK=(-fuse-ld=lld --ld-path="$(command -v pyox-ld)" -Wl,--pyox-payload="$P") ;;
plugin-*)
  LINK=(-fuse-ld="${MODE#plugin-}" -Wl,-plugin,"$PLUGIN",-plugin-opt=payload="$P") ;;
*) fail "unknown path $MODE" ;;
esac

for variant in default gc-sections static gc-sections+static; do
  flags=()
  [[ $variant == *gc-sections* ]] && flags+=(-Wl,--gc-sections)
  [[ $variant == *static* ]] && flags+=(-static)
  exe=$D/host.$variant
  rm -f "$exe" "$D/got"
  "$CC" "${flags[@]}" "$D/host.o" "${LINK[@]}" $LOCATE_LIBS -o "$exe" ||
    fail "$variant: link failed"
  if [[ $variant == *static* ]]; then
    readelf -d "$exe" 2>/dev/null | grep -q NEEDED && fail "$variant: not static"
  fi
  out=$("$exe" - "$D/got") || fail "$variant: $out"
  cmp -s "$D/got" "$P" || fail "$variant: located bytes differ from $P"
  echo "$MODE $variant: $out"
done
