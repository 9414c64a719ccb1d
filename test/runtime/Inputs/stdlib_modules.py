"""`list OUT`: under python3.11, every stdlib module it can import (one
name a line). `check LIST`: in a pyox program, imports each and reports the
ones that fail or do not come from the payload (or the interpreter's
built-in and frozen modules)."""
import importlib
import os
import pkgutil
import sys
import sysconfig

# Never imported: they start programs (a browser, IDLE, a GUI) or print;
# or `pack --stdlib` leaves them out on purpose (tests, the host's
# sitecustomize).
SKIP = ("antigravity", "this", "idlelib", "tkinter", "turtledemo", "turtle",
        "test", "ensurepip", "__phello__", "__hello__", "sitecustomize")
# The stdlib's own test subpackages, which `pack --stdlib` leaves out at any
# depth (lib2to3.tests; ctypes.test, unittest.test, ... once Debian's
# libpython3.11-testsuite is installed).
TEST_PACKAGES = ("test", "tests", "idle_test")
# Known gaps, listed as such rather than as failures. (lib2to3 was one
# until pack learnt to generate its grammar pickles.)
KNOWN = ()


def skipped(name):
    return (name.endswith("__main__") or
            any(name == s or name.startswith(s + ".") for s in SKIP) or
            any(part in TEST_PACKAGES for part in name.split(".")[1:]))


def candidates():
    roots = [sysconfig.get_path("stdlib"), sysconfig.get_config_var("DESTSHARED")]
    for info in pkgutil.walk_packages(roots, onerror=lambda name: None):
        if not skipped(info.name):
            yield info.name


def importable(name):
    try:
        importlib.import_module(name)
        return True
    except BaseException:
        return False


if sys.argv[1] == "list":
    names = sorted({n for n in candidates() if importable(n)})
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(names) + "\n")
    print("listed", len(names) > 500)
else:
    names = open(sys.argv[2]).read().split()
    bad = []
    known = 0
    for name in names:
        if any(name == k or name.startswith(k + ".") for k in KNOWN):
            known += 1
            continue
        if not importable(name):
            bad.append(name + " (import failed)")
            continue
        spec = sys.modules[name].__spec__
        origin = spec.origin or ""
        if not (origin.startswith(sys.meta_path[0].root + "/") or origin in ("frozen", "built-in")
                or (spec.submodule_search_locations and origin == "")):
            bad.append(f"{name} from {origin}")
    for b in bad:
        print("bad", b)
    print("checked", len(names) - known, "modules, failures:", len(bad),
          "known gaps:", known)
