#!/usr/bin/env bash
# The life cycle of one injected ELF file, for the lit tests in test/elf:
#   cycle.sh TARGET PAYLOAD_A PAYLOAD_B [EXE]
# TARGET is a freshly linked host (or, with EXE, the shared library EXE
# loads). PAYLOAD_B must be smaller than PAYLOAD_A. Every step checks its
# result and prints one line; any failed check exits 1 with a reason, so the
# test fails when a behaviour breaks. Uses pyox-inject, readelf,
# llvm-readobj, strip, llvm-strip and eu-elflint from PATH.
set -euo pipefail
T=$1 A=$2 B=$3 EXE=${4:-}
D=$T.cycle
rm -rf "$D" && mkdir -p "$D/run"
W=$D/$(basename "$T")
PAGE=4096

fail() { echo "FAIL: $*"; exit 1; }
size() { stat -c %s "$1"; }

# run FILE NAME OUT: runs FILE (or EXE with FILE as its library), prints the
# line of the image that was injected, writes the payload it found to OUT.
run() {
  local out
  if [ -n "$EXE" ]; then
    cp "$1" "$D/run/$(basename "$T")"
    out=$(LD_LIBRARY_PATH=$D/run "$EXE" "$2" /dev/null "$3" || true)
    grep '^lib:' <<<"$out" || fail "no lib line from $EXE: $out"
  else
    out=$("$1" "$2" "$3" || true)
    grep '^exe:' <<<"$out" || fail "no output from $1: $out"
  fi
}
# expect FILE NAME PAYLOAD: the image finds exactly PAYLOAD's bytes.
expect() {
  rm -f "$D/got"
  run "$1" "$2" "$D/got" >"$D/line"
  grep -q found "$D/line" || fail "$1: $(cat "$D/line")"
  cmp -s "$D/got" "$3" || fail "$1: located bytes differ from $3"
}
no_warnings() {
  local r
  r=$(readelf -W -a "$1" 2>&1 >/dev/null)
  [ -z "$r" ] || fail "readelf warns about $1: $r"
  r=$(llvm-readobj --all "$1" 2>&1 >/dev/null || echo "exit status $?")
  [ -z "$r" ] || fail "llvm-readobj warns about $1: $r"
}
# eu-elflint's report on a file, which must be the original's.
lint() {
  command -v eu-elflint >/dev/null || return 0
  eu-elflint --gnu-ld "$1" 2>&1 | grep -v -e '^No errors$' || true
}

S0=$(size "$T")
cp "$T" "$W"
run "$W" - "$D/none" | grep -q 'not found' || fail "pristine host finds a payload"
echo "pristine: no payload"

pyox-inject inject "$W" "$A"
expect "$W" - "$A"
echo "inject: $(cat "$D/line")"
S1=$(size "$W")
no_warnings "$W"
echo "readelf, llvm-readobj: no warnings"
lint "$T" | sed "s|$T|FILE|g" >"$D/lint.orig"
lint "$W" | sed "s|$W|FILE|g" >"$D/lint.new"
diff "$D/lint.orig" "$D/lint.new" >/dev/null || fail "eu-elflint: $(diff "$D/lint.orig" "$D/lint.new")"
echo "eu-elflint: nothing new"

cp "$W" "$D/before-refresh"
pyox-inject inject "$W" "$A"
[ "$(size "$W")" = "$S1" ] || fail "refresh with the same payload: $S1 -> $(size "$W") bytes"
cmp -s "$W" "$D/before-refresh" || fail "refresh with the same payload changed the file"
expect "$W" - "$A"
echo "refresh: same size, same bytes"

pyox-inject inject "$W" "$B"
[ "$(size "$W")" -lt "$S1" ] || fail "smaller payload did not shrink the file ($S1 -> $(size "$W"))"
expect "$W" - "$B"
no_warnings "$W"
echo "refresh smaller: file shrank, finds the new payload"

pyox-inject inject "$W" "$A" --name second -o "$D/named"
[ -x "$D/named" ] || fail "-o output lost the executable mode"
expect "$D/named" second "$A"
expect "$D/named" - "$B"
pyox-inject list "$D/named" | grep -q "payload 'second'" || fail "list does not show 'second'"
pyox-inject verify "$D/named" >/dev/null || fail "verify rejects $D/named"
echo "named: both payloads found"

cp "$D/named" "$D/gnu-stripped"
strip "$D/gnu-stripped"
expect "$D/gnu-stripped" - "$B"
expect "$D/gnu-stripped" second "$A"
no_warnings "$D/gnu-stripped"
pyox-inject inject "$D/gnu-stripped" "$A"
expect "$D/gnu-stripped" - "$A"
echo "GNU strip: payloads kept, refresh works"

if ! llvm-strip -o "$D/llvm-stripped" "$T" 2>/dev/null; then
  # llvm-objcopy rejects some originals (bfd -static: .rela.plt links to
  # .symtab); nothing pyox can change.
  echo "llvm-strip: refuses the original too, skipped"
else
cp "$D/named" "$D/llvm-stripped"
llvm-strip "$D/llvm-stripped"
expect "$D/llvm-stripped" - "$B"
expect "$D/llvm-stripped" second "$A"
no_warnings "$D/llvm-stripped"
pyox-inject inject "$D/llvm-stripped" "$A"
expect "$D/llvm-stripped" - "$A"
echo "llvm-strip: payloads kept, refresh works"
fi

pyox-inject remove "$D/named" --name second
expect "$D/named" - "$B"
run "$D/named" second "$D/none" | grep -q 'not found' || fail "removed payload still found"
pyox-inject remove "$D/named"
run "$D/named" - "$D/none" | grep -q 'not found' || fail "removed payload still found"
S3=$(size "$D/named")
[ "$S3" -le $((S0 + PAGE)) ] || fail "remove: $S0 -> $S3 bytes, more than a page"
no_warnings "$D/named"
cmp -s "$D/named" "$T" && echo "remove: working, identical to the original" ||
  echo "remove: working, $((S3 - S0)) bytes over the original"
