"""Benchmark: the first import of extension modules that need shared
libraries, in two pyox programs, interleaved: what storing native code
compressed costs at run time (docs/performance.md, "Sizes").

Each run starts a program once and times, inside it, the first import of
_decimal (a 311 KB extension module), _hashlib (and the carried OpenSSL
libcrypto, 4.7 MB) and _sqlite3 (and libsqlite3, 1.4 MB); and, started
again, the first import of _ssl, which needs two carried libraries,
libssl (0.7 MB) and libcrypto, made side by side (runtime/lib/VfsHooks.cpp,
dlopenNode); medians of N runs. Build the programs with `pyox-inject build
--stdlib` from a pyox-inject that compresses them and one that does not
(an older build, with the same --template), or with two templates.

Usage: /usr/bin/python3.11 bench/runtime/bench_first_import.py N PROGRAM...
"""
import statistics
import subprocess
import sys

CODE = ("import time; t0 = time.perf_counter(); import _decimal; "
        "t1 = time.perf_counter(); import _hashlib; t2 = time.perf_counter(); "
        "import _sqlite3; t3 = time.perf_counter(); "
        "print((t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3)")
SSL_CODE = ("import time; t0 = time.perf_counter(); import _ssl; "
            "print((time.perf_counter() - t0) * 1e3)")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    runs, programs = int(sys.argv[1]), sys.argv[2:]
    times = {p: [] for p in programs}
    for _ in range(runs):
        for p in programs:
            row = []
            for code in (CODE, SSL_CODE):
                row += subprocess.run([p, "-I", "-c", code], capture_output=True,
                                      text=True, check=True,
                                      timeout=60).stdout.split()
            times[p].append([float(x) for x in row])
    print(f"first import, ms, median of {runs} interleaved runs")
    print("| program | _decimal | _hashlib + libcrypto | _sqlite3 + libsqlite3 "
          "| _ssl + libssl + libcrypto |")
    print("|---|---|---|---|---|")
    for p in programs:
        cols = [statistics.median(c) for c in zip(*times[p])]
        print(f"| {p} | " + " | ".join(f"{c:.2f}" for c in cols) + " |")


if __name__ == "__main__":
    main()
