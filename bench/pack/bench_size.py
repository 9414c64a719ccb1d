"""Benchmark: the size of pyox's single-file programs, and what it is made of.

Builds three apps with `pyox-inject build --stdlib` (import analysis from the
entry point, sources by default), checks that each prints what it should,
and prints its size with a breakdown read back from `pyox-inject list`:

  template    the pyox-run the program was made from (the executable part)
  bytecode    module and package entries (marshalled code: what the
              program imports at start stored raw, unmarshalled in place;
              what it imports later, if at all, zstd-compressed)
  sources     source entries (zstd, against their code)
  extensions  extension modules
  carried     shared libraries carried for them (.pyox-libs/)
  resources   other package data and distribution metadata
  index       the payload's header, tables, names and padding
  other       the rest of the file (section alignment, headers)

For each part stored compressed, its size before compression too. The apps:

  hello   print("hi")
  stdlib  the stdlib-heavy app of bench/peers (json, email, http.client,
          asyncio, decimal, sqlite3, xml.etree, argparse, logging)
  numpy   numpy's det and inv of a 2x2 matrix (Debian's python3-numpy,
          from /usr/lib/python3/dist-packages: BLAS, LAPACK, libgfortran
          and libquadmath are carried)

and, for reference, /usr/bin/python3.11 itself (without its standard
library). The stdlib app's build time (cold: --no-cache, median of --runs)
is printed next to `pack --stdlib --no-cache`'s (the whole standard library,
with sources), the baseline of issue 13's build-time goal, interleaved;
with --baseline-inject, also that of `pack --stdlib --no-cache` by another
pyox-inject (the one before a change: the goal is against it).

Usage: /usr/bin/python3.11 bench/pack/bench_size.py [--build BUILD]
           [--template PATH] [--runs N] [--apps hello,stdlib,numpy]
           [--baseline-inject PATH]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "peers"))
from bench_peers import STDLIB_APP  # noqa: E402  the same app as the peers'

DIST_PACKAGES = "/usr/lib/python3/dist-packages"

NUMPY_APP = """\
import numpy as np


def main():
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    print("numpy", round(float(np.linalg.det(a)), 6), np.linalg.inv(a).round(3).tolist())


if __name__ == "__main__":
    main()
"""

# name: (module, source, --entry, expected output, extra search roots)
APPS = {
    "hello": ("hello", 'print("hi")\n', "hello", "hi", []),
    "stdlib": ("stdapp", STDLIB_APP, "stdapp:main", "stdlib ok", []),
    "numpy": ("npapp", NUMPY_APP, "npapp:main",
              "numpy 5.0 [[0.6, -0.2], [-0.2, 0.4]]", [DIST_PACKAGES]),
}

PARTS = ("template", "bytecode", "sources", "extensions", "carried",
         "resources", "index", "other")

# "NAME  KIND  SIZE[ zstd of RAW]" (pyox-inject list)
ENTRY = re.compile(r"^(\S.*?)\s+([a-z]+)\s+(\d+)(?: zstd of (\d+))?$")
HEADER = re.compile(r"^# payload .*?, (\d+) bytes, (\d+) entries")


def part_of(name, kind):
    if kind in ("module", "package", "namespace"):
        return "bytecode"
    if kind == "source":
        return "sources"
    if kind == "extension":
        return "extensions"
    if kind == "resource" and name.startswith(".pyox-libs/"):
        return "carried"
    return "resources"


def breakdown(inject, program, template):
    """{part: (stored bytes, raw bytes)} of PROGRAM, from `pyox-inject list`."""
    out = subprocess.run([inject, "list", program], check=True,
                         capture_output=True, text=True).stdout
    parts = {p: [0, 0] for p in PARTS}
    payload = None
    entries = 0
    for line in out.splitlines():
        m = HEADER.match(line)
        if m:
            if payload is not None:
                sys.exit(f"{program}: more than one payload")
            payload = int(m.group(1))
            continue
        if line.startswith("#"):
            continue
        m = ENTRY.match(line)
        if not m:
            sys.exit(f"{program}: unexpected `list` line: {line!r}")
        name, kind, stored = m.group(1), m.group(2), int(m.group(3))
        raw = int(m.group(4)) if m.group(4) else stored
        p = parts[part_of(name, kind)]
        p[0] += stored
        p[1] += raw
        entries += 1
    if payload is None:
        sys.exit(f"{program}: no payload")
    template_size = os.path.getsize(template)
    parts["template"] = [template_size, template_size]
    data = sum(v[0] for k, v in parts.items() if k != "template")
    parts["index"] = [payload - data] * 2
    other = os.path.getsize(program) - template_size - payload
    parts["other"] = [other, other]
    return parts, entries


def timed(cmd, **kw):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, **kw)
    return time.perf_counter() - t


def mb(n):
    return f"{n / 1e6:.2f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--template", help="default: BUILD/bin/pyox-run")
    ap.add_argument("--runs", type=int, default=3,
                    help="cold builds of the stdlib app and of pack --stdlib")
    ap.add_argument("--apps", default=",".join(APPS))
    ap.add_argument("--baseline-inject",
                    help="also time pack --stdlib --no-cache with this pyox-inject")
    args = ap.parse_args()
    inject = os.path.join(args.build, "bin", "pyox-inject")
    template = args.template or os.path.join(args.build, "bin", "pyox-run")
    apps = args.apps.split(",")
    for a in apps:
        if a not in APPS:
            sys.exit(f"unknown app {a!r}; known: {', '.join(APPS)}")
    if "numpy" in apps and not os.path.isdir(os.path.join(DIST_PACKAGES, "numpy")):
        sys.exit("numpy app: Debian's python3-numpy is not installed "
                 "(bash scripts/install-deps.sh)")

    work = tempfile.mkdtemp(prefix="pyox-bench-size-")
    try:
        rows = {}
        build_times = {}
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        pack_payload = os.path.join(work, "stdlib.pyox")
        # The builds timed against each other, run in turn.
        baselines = {"pack --stdlib": [inject, "pack", "--stdlib", "--no-cache",
                                       "-o", pack_payload]}
        if args.baseline_inject:
            baselines["baseline pack --stdlib"] = [
                args.baseline_inject, "pack", "--stdlib", "--no-cache", "-o", pack_payload]
        for app in apps:
            module, source, entry, expected, roots = APPS[app]
            src = os.path.join(work, app)
            os.makedirs(src)
            with open(os.path.join(src, module + ".py"), "w") as f:
                f.write(source)
            program = os.path.join(work, app + ".bin")
            cmd = [inject, "build", "--stdlib", "--template", template,
                   "--path", src]
            for r in roots:
                cmd += ["--path", r]
            cmd += ["--entry", entry, "--no-cache", "-o", program]
            if app == "stdlib":
                timed_cmds = {"stdlib app": cmd, **baselines}
                if args.baseline_inject:
                    timed_cmds["baseline stdlib app"] = (
                        [args.baseline_inject] + cmd[1:-1] + [program + ".baseline"])
                times = {k: [] for k in timed_cmds}
                for _ in range(args.runs):
                    for k, c in timed_cmds.items():
                        times[k].append(timed(c, **quiet))
                build_times = {k: statistics.median(v) for k, v in times.items()}
            else:
                timed(cmd, **quiet)
            got = subprocess.run([program], capture_output=True, text=True,
                                 timeout=60)
            if got.returncode != 0 or got.stdout.strip() != expected:
                sys.exit(f"{app}: the program printed {got.stdout!r} "
                         f"(exit {got.returncode}), expected {expected!r}\n"
                         f"{got.stderr}")
            rows[app] = (os.path.getsize(program),) + breakdown(inject, program, template)

        print(f"pyox single-file sizes (MB = 10^6 bytes); template {template}")
        head = "| app | file | entries | " + " | ".join(PARTS) + " |"
        print(head)
        print("|" + "---|" * (head.count("|") - 1))
        for app in apps:
            size, parts, entries = rows[app]
            cells = []
            for p in PARTS:
                stored, raw = parts[p]
                cells.append(mb(stored) if stored == raw else f"{mb(stored)} ({mb(raw)})")
            print(f"| {app} | {mb(size)} | {entries} | " + " | ".join(cells) + " |")
        print("(a compressed part: stored (raw))")
        python = os.path.realpath("/usr/bin/python3.11")
        print(f"reference: {python} {mb(os.path.getsize(python))} MB "
              "(without its standard library)")
        goals = {"hello": 9e6, "numpy": 35e6}
        for app, goal in goals.items():
            if app in rows:
                size = rows[app][0]
                print(f"goal, {app} <= {mb(goal)} MB: {mb(size)} "
                      f"{'met' if size <= goal else 'MISSED'}")

        if build_times:
            b = build_times["stdlib app"]
            print(f"cold build (--no-cache, median of {args.runs}, interleaved): "
                  + ", ".join(f"{k} {v:.2f} s" for k, v in build_times.items()))
            for k in build_times:
                if k != "stdlib app":
                    print(f"ratio stdlib app / {k}: {b / build_times[k]:.2f}")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
