"""Writes a tree of N small modules under ROOT: packages of 100 modules
(pkgNNN/mNN.py) with an __init__.py each."""
import os
import sys

root, count = sys.argv[1], int(sys.argv[2])
for p in range((count + 99) // 100):
    d = os.path.join(root, f"pkg{p:03d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "__init__.py"), "w") as f:
        f.write(f"PACKAGE = {p}\n")
    for m in range(min(100, count - p * 100)):
        with open(os.path.join(d, f"m{m:02d}.py"), "w") as f:
            f.write(f"def f(x):\n    return x + {m}\n\nNAME = 'pkg{p:03d}.m{m:02d}'\n"
                    + "# a comment long enough to be worth compressing, " * 3 + "\n")
# An hour old, as an application's sources usually are: older than the
# source index's racy margin (lib/Pack/CompileCache.h).
old = os.path.getmtime(root) - 3600
for dirpath, _, names in os.walk(root):
    for n in names:
        os.utime(os.path.join(dirpath, n), (old, old))
