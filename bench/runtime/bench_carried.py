"""Benchmark of issue 12: what carrying shared libraries costs a program, in
one run. The same `--stdlib` program (python3 mode) is built three times
from one template: carrying its libraries (the default: OpenSSL, SQLite,
liblzma, libffi... loaded when an extension module needs them, from the
file the build read when this system has it unchanged: docs/runtime.md,
"System copies"), carrying them with `--no-system-copies` (every extension
module and library from memory, as on a system that lacks them), and with
`--exclude-lib '*'` (the system's libraries, as before issue 12).
Interleaved with python3.11 (each round in a new random order, seeded: in
a fixed rotation the programs' neighbours were fixed too, and the one run
after the program that decodes 11 MiB of libraries into memory files was
measured differently from the others), medians:

  (a) start-up             -I -S -c pass
  (b) import the stdlib    -W ignore -S SCRIPT (one import per stdlib module
                           python3.11 imports, as bench_runtime.py)
  (e) the carried modules  -I -S -c "import ssl, hashlib, sqlite3, lzma, bz2,
                           ctypes, uuid, readline, curses, dbm.ndbm"
  (d) peak RSS after (b) and (e)

Goal (issue 12): (a) and (b) no worse carrying than with the system's
libraries: libraries are only loaded when an extension needs them. (e) is
what loading them costs: from memory, a zstd decompression into a memory
file each, against the system's page cache; with system copies, a CRC32C
of each file the system has.

Usage: /usr/bin/python3.11 bench/runtime/bench_carried.py [BUILD_DIR]
       [--runs N]   (default 21 rounds of (b) and (e), 10x as many of (a))
"""
import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_runtime import PYTHON, interleave, write_import_all  # noqa: E402

CARRIED = "import ssl, hashlib, sqlite3, lzma, bz2, ctypes, uuid, readline, curses, dbm.ndbm"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--runs", type=int, default=21)
    args = ap.parse_args()
    inject = os.path.join(os.path.abspath(args.build), "bin", "pyox-inject")
    tmp = tempfile.mkdtemp(prefix="pyox-bench-carried-")
    try:
        carried, memory, system = (os.path.join(tmp, n) for n in ("carried", "memory", "system"))
        subprocess.run([inject, "build", "--stdlib", "-o", carried], check=True)
        subprocess.run([inject, "build", "--stdlib", "--no-system-copies", "-o", memory],
                       check=True)
        subprocess.run([inject, "build", "--stdlib", "--exclude-lib", "*", "-o", system],
                       check=True)
        sizes = {p: os.path.getsize(p) for p in (carried, system)}
        script, names = write_import_all(tmp)
        exes = [carried, memory, system, PYTHON]
        for exe in exes:  # each must run both cleanly (and warm the caches)
            subprocess.run([exe, "-W", "ignore", "-S", script], check=True)
            subprocess.run([exe, "-I", "-S", "-c", CARRIED], check=True)

        rows = []
        for label, argv, runs in (
                ("(a) start-up", ["-I", "-S", "-c", "pass"], 10 * args.runs),
                ("(b) import the stdlib", ["-W", "ignore", "-S", script], args.runs),
                ("(e) the carried modules", ["-I", "-S", "-c", CARRIED], args.runs)):
            times, rss = interleave([[e] + argv for e in exes], runs,
                                    shuffle=random.Random(20261202))
            med = [statistics.median(t) for t in times]
            fast = [min(t) for t in times]
            cpu = [statistics.median(c) for c in interleave.cpu]
            peak = [max(r) / 1024 for r in rss]
            rows.append((label, med, fast, peak, cpu))

        print(f"runs: {args.runs} rounds of (b) and (e), {10 * args.runs} of (a);"
              f" {len(names)} modules in (b); load average {os.getloadavg()[0]:.2f}")
        print(f"sizes: carried {sizes[carried] / 1e6:.1f} MB, system's {sizes[system] / 1e6:.1f} MB")
        print("| measure | carried | from memory | system's | python3.11 |"
              " carried / system's | from memory / system's | fastest runs |")
        print("|---|---|---|---|---|---|---|---|")
        for label, med, fast, peak, cpu in rows:
            print(f"| {label} | {med[0] * 1e3:.2f} ms | {med[1] * 1e3:.2f} ms |"
                  f" {med[2] * 1e3:.2f} ms | {med[3] * 1e3:.2f} ms |"
                  f" {med[0] / med[2]:.3f} | {med[1] / med[2]:.3f} |"
                  f" {fast[0] / fast[2]:.3f} / {fast[1] / fast[2]:.3f} |")
            # CPU time (user + system): less of the other tenants' noise.
            print(f"| {label[:3]} CPU time | {cpu[0] * 1e3:.2f} ms | {cpu[1] * 1e3:.2f} ms |"
                  f" {cpu[2] * 1e3:.2f} ms | {cpu[3] * 1e3:.2f} ms |"
                  f" {cpu[0] / cpu[2]:.3f} | {cpu[1] / cpu[2]:.3f} | |")
        for label, _, _, peak, _ in rows[1:]:
            print(f"| (d) peak RSS after {label[:3]} | {peak[0]:.1f} MiB | {peak[1]:.1f} MiB |"
                  f" {peak[2]:.1f} MiB | {peak[3]:.1f} MiB | {peak[0] / peak[2]:.3f} |"
                  f" {peak[1] / peak[2]:.3f} | |")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
