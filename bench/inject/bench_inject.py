"""Benchmark: post-link injection, `pyox-inject inject` against postject.

Injects the same ~12 MB standard-library payload into the same two hosts
(~16 KB and ~8 MB) with

  * pyox-inject inject HOST PAYLOAD -o OUT
  * postject 1.0.0-alpha.6 (node; LIEF rebuilds the whole ELF file), on a
    fresh copy of HOST each time (the copy is not timed)
  * cp of a file the size of pyox's output: the I/O floor on this machine

Runs are interleaved, the page cache is warm for all of them, and the median
of each is reported with the ratios pyox/postject (goal <= 0.2) and pyox/cp
(goal <= 3). Then the refresh: injecting the payload again into each tool's
output (postject --overwrite), with the file growth and the number of
warnings `readelf -W -a` prints for each result. Every pyox output is run and
must find the payload byte for byte.

postject is installed with npm into bench/inject/.postject on first use.

Usage: /usr/bin/python3.11 bench/inject/bench_inject.py [--build DIR] [--runs N]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

POSTJECT = "postject@1.0.0-alpha.6"
# postject refuses binaries without its sentinel; the hosts carry it.
SENTINEL = "POSTJECT_SENTINEL_fce680ab2cc467b6e072b8b5df1996b2:0"

# The ~8 MB host finds its payload with the runtime locator; the ~16 KB one is
# a plain C program (the locator and payload reader alone are ~20 KB), whose
# output is checked with `pyox-inject verify` and by running it.
SMALL_C = r"""
#include <stdio.h>
const char postject_sentinel[] = "%(sentinel)s";
int main(void) { return postject_sentinel[0] == 0; }
"""

HOST_C = r"""
#include "pyox/runtime.h"
#include <stdio.h>
#include <string.h>
const char postject_sentinel[] = "%(sentinel)s";
/* Filler that makes the host the size under test. */
const unsigned char filler[%(filler)d] = {1};
int main(int argc, char **argv) {
  const void *data; size_t size; const char *error;
  if (pyox_find_payload(NULL, (const void *)&main, &data, &size, &error)) {
    fprintf(stderr, "%%s\n", error);
    return 1;
  }
  if (argc > 1) {
    FILE *f = fopen(argv[1], "wb");
    fwrite(data, 1, size, f);
    fclose(f);
  }
  return filler[0] + postject_sentinel[0] == 0;
}
"""


def timed(cmd, **kw):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, **kw)
    return time.perf_counter() - t


def readelf_warnings(path):
    r = subprocess.run(["readelf", "-W", "-a", path], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    return len([l for l in r.stderr.splitlines() if l.strip()])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(root, "build"))
    ap.add_argument("--payload", help="default: BUILD/test/stdlib.pyox")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cc", default="clang-19")
    args = ap.parse_args()
    tool = os.path.join(args.build, "bin", "pyox-inject")
    payload = args.payload or os.path.join(args.build, "test", "stdlib.pyox")
    if not os.path.exists(payload):
        payload = os.path.join(tempfile.gettempdir(), "pyox-bench-stdlib.pyox")
        subprocess.run([tool, "pack", "--stdlib", "-o", payload], check=True)

    pj_dir = os.path.join(here, ".postject")
    cli = os.path.join(pj_dir, "node_modules", "postject", "dist", "cli.js")
    if not os.path.exists(cli):
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix",
                        pj_dir, POSTJECT], check=True, stdout=subprocess.DEVNULL)
    node = shutil.which("node") or shutil.which("nodejs")

    work = tempfile.mkdtemp(prefix="pyox-bench-inject-")
    try:
        hosts = {}
        for label, filler in (("16 KB", 0), ("8 MB", 8 << 20)):
            src = os.path.join(work, f"host{filler}.c")
            with open(src, "w") as f:
                f.write((HOST_C if filler else SMALL_C) %
                        {"sentinel": SENTINEL, "filler": filler})
            exe = os.path.join(work, f"host{filler}")
            libs = [os.path.join(args.build, "lib", "libpyox_locate.a"),
                    os.path.join(args.build, "lib", "libpyox_payload.a"),
                    "-lstdc++"] if filler else []
            subprocess.run([args.cc, "-O2", "-I", os.path.join(root, "runtime", "include"),
                            src] + libs + ["-o", exe], check=True)
            hosts[label] = exe

        print(f"payload: {os.path.getsize(payload) / 1e6:.1f} MB, {args.runs} runs each, "
              f"median, warm page cache")
        print(f"{'host':>18} {'pyox-inject':>12} {'postject':>10} {'cp':>8} {'cp+fsync':>9}"
              f" {'pyox/postject':>14} {'pyox/cp':>8} {'pyox/(cp+fsync)':>16}")
        for label, host in hosts.items():
            out_pyox = os.path.join(work, "out-pyox")
            out_pj = os.path.join(work, "out-postject")
            out_cp = os.path.join(work, "out-cp")
            pyox_cmd = [tool, "inject", host, payload, "-o", out_pyox]
            pj_cmd = [node, cli, out_pj, "PYOX", payload]
            t_pyox, t_pj, t_cp, t_sync = [], [], [], []
            for i in range(args.runs + 1):  # the first round warms up
                for path in (out_pyox, out_cp):
                    if os.path.exists(path):
                        os.unlink(path)
                a = timed(pyox_cmd)
                shutil.copyfile(host, out_pj)
                b = timed(pj_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                c = timed(["cp", out_pyox, out_cp])
                os.unlink(out_cp)
                # pyox-inject fsyncs before its rename (an atomic, durable
                # replace); this is the I/O floor for that.
                d = timed(["sh", "-c", 'cp "$0" "$1" && sync "$1"', out_pyox, out_cp])
                if i:
                    t_pyox.append(a)
                    t_pj.append(b)
                    t_cp.append(c)
                    t_sync.append(d)
            if label == "8 MB":
                got = os.path.join(work, "got")
                subprocess.run([out_pyox, got], check=True)
                with open(got, "rb") as f1, open(payload, "rb") as f2:
                    if f1.read() != f2.read():
                        sys.exit(f"{out_pyox}: the host found different bytes")
            else:
                subprocess.run([out_pyox], check=True)
                subprocess.run([tool, "verify", out_pyox], check=True, stdout=subprocess.DEVNULL)
            p, q, c, d = (statistics.median(t) for t in (t_pyox, t_pj, t_cp, t_sync))
            name = f"{label} ({os.path.getsize(host) // 1024} KiB)"
            print(f"{name:>18} {p * 1000:9.1f} ms {q * 1000:7.1f} ms {c * 1000:5.1f} ms"
                  f" {d * 1000:6.1f} ms {p / q:14.3f} {p / c:8.2f} {p / d:16.2f}")

            # Refresh: the same payload again into each tool's own output.
            size_pyox, size_pj = os.path.getsize(out_pyox), os.path.getsize(out_pj)
            subprocess.run([tool, "inject", out_pyox, payload], check=True)
            subprocess.run([node, cli, out_pj, "PYOX", payload, "--overwrite"], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            print(f"{'':>18} refresh: pyox-inject {size_pyox} -> {os.path.getsize(out_pyox)} bytes"
                  f" ({os.path.getsize(out_pyox) - size_pyox:+d}), readelf warnings"
                  f" {readelf_warnings(out_pyox)}; postject --overwrite {size_pj} ->"
                  f" {os.path.getsize(out_pj)} bytes ({os.path.getsize(out_pj) - size_pj:+d}),"
                  f" readelf warnings {readelf_warnings(out_pj)}")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
