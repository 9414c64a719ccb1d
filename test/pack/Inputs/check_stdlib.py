"""Checks a `pyox-inject list` of a --stdlib payload against the stdlib on disk.

Every module python3.11 can find in STDLIB (without importing anything) must
be in the payload, minus the documented exclusions, and every extension
module in DYNLOAD must be there as an extension entry.
Usage: check_stdlib.py LIST STDLIB DYNLOAD
"""
import importlib.machinery
import os
import pkgutil
import sys

EXCLUDED_TOP = {"test", "idlelib", "tkinter", "turtledemo", "ensurepip", "sitecustomize"}
EXCLUDED_SUB = {"test", "tests", "idle_test"}

listing, stdlib, dynload = sys.argv[1:4]
payload = {}
for line in open(listing, encoding="utf-8"):
    if line.startswith("#"):
        continue
    name, kind, size = line.split()[:3]  # a compressed source adds "zstd of N"
    if kind != "source":  # a module's source shares its name
        payload[name] = kind


def walk(path, prefix, depth):
    for info in pkgutil.iter_modules([path], prefix):
        short = info.name.rsplit(".", 1)[-1]
        if depth == 0 and short in EXCLUDED_TOP:
            continue
        if depth > 0 and info.ispkg and short in EXCLUDED_SUB:
            continue
        yield info.name, info.ispkg
        if info.ispkg:
            yield from walk(os.path.join(path, short), info.name + ".", depth + 1)


expected = dict(walk(stdlib, "", 0))
missing = sorted(n for n in expected if n not in payload)
wrong_kind = sorted(n for n, pkg in expected.items()
                    if n in payload and payload[n] != ("package" if pkg else "module"))
extensions = set()
for f in os.listdir(dynload):
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        if f.endswith(suffix):
            extensions.add(f[: -len(suffix)])
            break
missing_ext = sorted(e for e in extensions if payload.get(e) != "extension")
excluded_present = sorted(n for n in payload if n.split(".")[0] in EXCLUDED_TOP
                          and payload[n] in ("module", "package"))

print(f"stdlib modules on disk: {len(expected)}, extensions: {len(extensions)}, "
      f"payload entries: {len(payload)}")
for label, names in (("missing", missing), ("wrong kind", wrong_kind),
                     ("missing extension", missing_ext),
                     ("excluded but present", excluded_present)):
    if names:
        print(f"{label}: {' '.join(names[:20])}")
ok = not (missing or wrong_kind or missing_ext or excluded_present)
print("stdlib check:", "OK" if ok else "FAILED")
sys.exit(0 if ok else 1)
