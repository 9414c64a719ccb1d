"""What compressed bytecode costs when a program imports it (docs/format.md,
"Compressed bytecode"). With an entry point, `pyox-inject build` stores the
code of the modules a program imports only later (inside a function) zstd-
compressed (`--compress-bytecode=later`, the default); this program's
main() imports twenty standard modules (~300 with what they import) in a
function, so all of them come from compressed code. It is built twice,
with the default and with `--compress-bytecode=none`, and the time of
main()'s imports (measured inside the program: time.perf_counter around
the import statement) is compared over interleaved runs: medians, the
ratio, and the two files' sizes.

Usage: /usr/bin/python3.11 bench/runtime/bench_later.py [BUILD_DIR] [--runs N]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

APP = '''\
import time


def main():
    t = time.perf_counter()
    import difflib, email.message, http.client, argparse, json, decimal
    import xml.etree.ElementTree, logging, csv, pprint, textwrap, string
    import fractions, statistics, calendar, zipfile, tarfile, configparser
    import unittest, asyncio
    print(f"{(time.perf_counter() - t) * 1000:.3f}")
'''


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build", nargs="?", default="build")
    parser.add_argument("--runs", type=int, default=31)
    args = parser.parse_args()
    inject = os.path.join(args.build, "bin", "pyox-inject")
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "later_app.py"), "w") as f:
            f.write(APP)
        progs = {}
        for mode in ("later", "none"):
            progs[mode] = os.path.join(tmp, mode)
            subprocess.run([inject, "build", "--stdlib", "--path", tmp,
                            "--entry", "later_app:main", "-q",
                            f"--compress-bytecode={mode}", "-o", progs[mode]],
                           check=True)
        times = {mode: [] for mode in progs}
        for n in range(args.runs):
            order = list(progs) if n % 2 == 0 else list(progs)[::-1]
            for mode in order:
                out = subprocess.run([progs[mode]], capture_output=True,
                                     text=True, check=True, timeout=60).stdout
                times[mode].append(float(out))
        later, none = (statistics.median(times[m]) for m in ("later", "none"))
        print(f"imports made in main(), median of {args.runs} interleaved runs:")
        print(f"| bytecode | import time (ms) | fastest | file (MB) |")
        print(f"|---|---|---|---|")
        for mode in ("later", "none"):
            size = os.path.getsize(progs[mode]) / 1e6
            print(f"| {mode} | {statistics.median(times[mode]):.2f} | "
                  f"{min(times[mode]):.2f} | {size:.2f} |")
        print(f"ratio later / none: {later / none:.3f} "
              f"(+{later - none:.2f} ms)")


if __name__ == "__main__":
    sys.exit(main())
