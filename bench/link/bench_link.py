"""Benchmark: linking the payload in (pyox-ld) against linking, then injecting.

Builds one program two ways, from the same object files and the same
standard-library payload (~12 MB):

  * link time:  clang -fuse-ld=lld --ld-path=build/bin/pyox-ld
                      -Wl,--pyox-payload=PAYLOAD ... -o OUT
  * post link:  clang -fuse-ld=lld ... -o OUT   (ld.lld)
                pyox-inject inject OUT PAYLOAD

The program is the shape of pyox-run: a C main that finds its payload
with the runtime locator, linked with all of the static libpython
(--whole-archive, --export-dynamic), so the link itself is realistic
(~7 MB of code and data). Compilation is not timed. Runs are interleaved,
the page cache is warm for all, and the medians are reported with the ratio
link-time / post-link (below 1: one step is faster than two). Every output
is run and must find the payload byte for byte.

Usage: /usr/bin/python3.11 bench/link/bench_link.py [--build DIR] [--runs N]
"""
import argparse
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time

HOST_C = r"""
#include "pyox/runtime.h"
#include <stdio.h>
int main(int argc, char **argv) {
  const void *data; size_t size; const char *error;
  if (pyox_find_payload(NULL, (const void *)&main, &data, &size, &error)) {
    fprintf(stderr, "%s\n", error);
    return 1;
  }
  if (argc > 1) {
    FILE *f = fopen(argv[1], "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f))
      return 2;
  }
  return 0;
}
"""


def timed(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t


def check(exe, payload, tmp):
    got = os.path.join(tmp, "got")
    subprocess.run([exe, got], check=True)
    with open(got, "rb") as a, open(payload, "rb") as b:
        if a.read() != b.read():
            sys.exit(f"{exe}: located payload differs from {payload}")


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(root, "build"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cc", default="clang-19")
    args = ap.parse_args()
    b = os.path.abspath(args.build)
    bindir, libdir = os.path.join(b, "bin"), os.path.join(b, "lib")
    inject = os.path.join(bindir, "pyox-inject")
    pyox_ld = os.path.join(bindir, "pyox-ld")

    with tempfile.TemporaryDirectory(prefix="pyox-bench-link-") as tmp:
        payload = os.path.join(b, "test", "stdlib.pyox")
        if not os.path.exists(payload):
            payload = os.path.join(tmp, "stdlib.pyox")
            subprocess.run([inject, "pack", "--stdlib", "-o", payload], check=True)
        host_c = os.path.join(tmp, "host.c")
        with open(host_c, "w") as f:
            f.write(HOST_C)
        host_o = os.path.join(tmp, "host.o")
        subprocess.run([args.cc, "-O2", "-c", "-I" + os.path.join(root, "runtime", "include"),
                        host_c, "-o", host_o], check=True)
        libpython = os.path.join(sysconfig.get_config_var("LIBPL"), "libpython3.11-pic.a")
        inputs = [host_o, os.path.join(libdir, "libpyox_locate.a"),
                  os.path.join(libdir, "libpyox_payload.a"),
                  "-Wl,--whole-archive", libpython, "-Wl,--no-whole-archive",
                  "-Wl,--export-dynamic", "-lexpat", "-lz", "-lm", "-ldl",
                  "-lpthread", "-lutil", "-lstdc++"]
        one_step = os.path.join(tmp, "one-step")
        two_step = os.path.join(tmp, "two-step")
        link_time = [args.cc, "-fuse-ld=lld", "--ld-path=" + pyox_ld,
                     "-Wl,--pyox-payload=" + payload] + inputs + ["-o", one_step]
        plain_link = [args.cc, "-fuse-ld=lld"] + inputs + ["-o", two_step]
        inject_cmd = [inject, "inject", two_step, payload]

        t_one, t_lld, t_inject = [], [], []
        for _ in range(args.runs + 1):  # the first round warms the caches
            t_one.append(timed(link_time))
            t_lld.append(timed(plain_link))
            t_inject.append(timed(inject_cmd))
        t_one, t_lld, t_inject = t_one[1:], t_lld[1:], t_inject[1:]
        check(one_step, payload, tmp)
        check(two_step, payload, tmp)

        one = statistics.median(t_one)
        lld = statistics.median(t_lld)
        inj = statistics.median(t_inject)
        two = statistics.median([a + c for a, c in zip(t_lld, t_inject)])
        size = os.path.getsize(payload)
        print(f"payload: {payload} ({size / 1e6:.1f} MB); program "
              f"{os.path.getsize(one_step) / 1e6:.1f} MB; median of {args.runs}")
        print(f"  pyox-ld --pyox-payload (one step):  {one * 1000:8.1f} ms")
        print(f"  ld.lld:                             {lld * 1000:8.1f} ms")
        print(f"  pyox-inject inject:                 {inj * 1000:8.1f} ms")
        print(f"  ld.lld + pyox-inject inject:        {two * 1000:8.1f} ms")
        print(f"  ratio one step / two steps:         {one / two:8.2f}")


if __name__ == "__main__":
    main()
