"""Imports each extension module named in the file given (one a line) and
prints those that fail: run by old-glibc-carried.test on glibc 2.31, where
an object whose glibc needs were not lowered cannot load."""
import importlib
import sys
import warnings

warnings.simplefilter("ignore")
names = open(sys.argv[1]).read().split()
failed = []
for name in names:
    try:
        importlib.import_module(name)
    except ImportError as e:
        failed.append(name)
        print(name, e, file=sys.stderr)
print(f"imported {len(names) - len(failed)} of {len(names)}; not: "
      + " ".join(failed))
