"""Benchmark: `pyox-inject pack --stdlib` against `python3.11 -m compileall`.

Both compile the same standard-library sources at optimisation level 0 on
all cores: compileall (-q -f -j0) on a copy of the stdlib without the
directories pack leaves out (so it does not write into /usr/lib and compiles
the same set), pack straight from the stdlib into one payload. Runs are
interleaved and the median of each is reported, with the ratio
pack / compileall (goal: <= 1.0) and the payload size.

Usage: /usr/bin/python3.11 bench/pack/bench_pack.py [--pyox-inject PATH] [--runs N]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time

EXCLUDED = {"test", "idlelib", "tkinter", "turtledemo", "ensurepip",
            "sitecustomize.py", "__pycache__", "site-packages", "dist-packages",
            "lib-dynload"}


def timed(cmd, **kw):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, **kw)
    return time.perf_counter() - t


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--pyox-inject", default=os.path.join(here, "..", "..", "build", "bin", "pyox-inject"))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    stdlib = sysconfig.get_path("stdlib")
    work = tempfile.mkdtemp(prefix="pyox-bench-pack-")
    try:
        copy = os.path.join(work, "stdlib")
        shutil.copytree(stdlib, copy, symlinks=False,
                        ignore=lambda d, names: [n for n in names if n in EXCLUDED]
                        if d == stdlib else [n for n in names if n == "__pycache__"])
        payload = os.path.join(work, "stdlib.pyox")
        # --no-cache: compile every module, as compileall -f does;
        # --no-sources: write what compileall writes, bytecode (sources cost
        # a compression more: docs/performance.md, "Source lines").
        pack = [args.pyox_inject, "pack", "--stdlib", "--no-cache", "--no-sources",
                "-o", payload]
        compileall = [sys.executable, "-m", "compileall", "-q", "-f", "-j0", copy]
        # One untimed run of each warms the page cache.
        timed(pack)
        timed(compileall, stdout=subprocess.DEVNULL)
        pack_t, comp_t = [], []
        for _ in range(args.runs):
            pack_t.append(timed(pack))
            comp_t.append(timed(compileall, stdout=subprocess.DEVNULL))
        p, c = statistics.median(pack_t), statistics.median(comp_t)
        size = os.path.getsize(payload)
        py_files = sum(f.endswith(".py") for _, _, fs in os.walk(copy) for f in fs)
        print(f"sources: {py_files} .py files ({os.cpu_count()} cores), {args.runs} runs each, median")
        print(f"compileall -j0:  {c * 1000:8.1f} ms")
        print(f"pyox-inject pack:{p * 1000:8.1f} ms")
        print(f"ratio pack/compileall: {p / c:.2f}  (goal <= 1.0)")
        print(f"payload size: {size} bytes ({size / 2**20:.1f} MiB)")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
