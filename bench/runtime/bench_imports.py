"""Where a pyox program's imports take longer or shorter than python3.11's:
the same import statement run with `-X importtime` in a pyox program built
without --entry (so that it takes -X and -c) and in /usr/bin/python3.11 -S
with PYTHONPATH set to where the app's packages are; N interleaved runs,
medians of each module's self time, then the totals and the modules whose
medians differ most, either way. An extension module's row holds the
loading of its shared objects (decompressed into memfds by pyox, mapped
from disk by python3.11); a pure-Python module's, its unmarshalling and
execution; a garbage collection counts for the module it interrupts, so
single rows move between runs: compare the large differences.

Build the program from the same roots the app is imported from, e.g. for
bench/peers's Flask app (its venv, made by bench_peers.py):

  SITE=build/bench/peers/venv/lib/python3.11/site-packages
  build/bin/pyox-inject build --stdlib --path APPDIR --path $SITE \\
      --package flask --package werkzeug --package jinja2 --package click \\
      --package itsdangerous --package markupsafe --package blinker \\
      --package flaskapp -o /tmp/flaskpy
  /usr/bin/python3.11 bench/runtime/bench_imports.py --runs 15 \\
      --pythonpath APPDIR:$SITE /tmp/flaskpy "import flaskapp"

Usage: /usr/bin/python3.11 bench/runtime/bench_imports.py [--runs N]
       [--pythonpath DIRS] [--rows N] PROGRAM CODE
"""
import argparse
import collections
import os
import statistics
import subprocess

PYTHON = "/usr/bin/python3.11"


def self_times(cmd, env):
    """Module name -> self time (us) of one `-X importtime` run of CMD."""
    err = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, check=True,
                         timeout=120).stderr
    times = collections.Counter()
    for line in err.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, _, name = line.split(":", 1)[1].split("|")
        times[name.strip()] += int(own)
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--pythonpath", default="",
                    help="PYTHONPATH for python3.11 (the app's roots)")
    ap.add_argument("--rows", type=int, default=12)
    ap.add_argument("program")
    ap.add_argument("code")
    args = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=args.pythonpath)
    cmds = {"pyox": [args.program, "-S", "-X", "importtime", "-c", args.code],
            "python3.11": [PYTHON, "-S", "-X", "importtime", "-c", args.code]}
    runs = {k: [] for k in cmds}
    for n in range(args.runs):
        for k in (list(cmds) if n % 2 else list(cmds)[::-1]):
            runs[k].append(self_times(cmds[k], env))
    med = {}
    for k, rs in runs.items():
        names = set().union(*rs)
        med[k] = {m: statistics.median(r[m] for r in rs) for m in names}
    a, b = med["pyox"], med["python3.11"]
    print(f"import self times, medians of {args.runs} interleaved runs, ms")
    print(f"total: pyox {sum(a.values()) / 1e3:.1f}, "
          f"python3.11 -S {sum(b.values()) / 1e3:.1f} "
          f"({len(a)} and {len(b)} modules)")
    diff = sorted((a.get(m, 0) - b.get(m, 0), m) for m in set(a) | set(b))
    print("| module | pyox | python3.11 | difference |")
    print("|---|---|---|---|")
    rows = diff[::-1][:args.rows] + diff[:args.rows][::-1]
    for d, m in rows:
        print(f"| {m} | {a.get(m, 0) / 1e3:.2f} | {b.get(m, 0) / 1e3:.2f} "
              f"| {d / 1e3:+.2f} |")


if __name__ == "__main__":
    main()
