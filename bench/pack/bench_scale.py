"""Benchmark: payloads of 10,000 to 100,000 modules (issue 14, "Scale").

Generates trees of N small modules (packages of 100: an __init__.py, 98
modules and a data file each, plus a few large resources), then, in one
run:

  1. pack time per module at each size (`pack --no-cache`, the compile
     cache off so that every module is compiled), interleaved runs,
     medians, and each size's per-module time against their mean (goal:
     within +-20%); peak RSS of `pack` at each size;
  2. payload ready: `pyox-bench-open` (open + validate + one lookup) on the
     payloads of 1,000 and 100,000 modules (goal at 100k: <= 0.2 ms);
  3. importing the same 1,000 modules in a program whose payload holds
     1,000 or 100,000 of them (plus the stdlib), timed inside the program,
     interleaved (goal: ratio 100k / 1k <= 1.05).

Usage: /usr/bin/python3.11 bench/pack/bench_scale.py [BUILD_DIR] [--runs N]
       [--sizes 10000,50000,100000] [--work DIR] [--parts 1,2,3]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

PER_PACKAGE = 100  # files per package directory (modules + __init__ + data)


def generate(root, modules):
    """A tree of MODULES modules: packages of 98 modules, an __init__.py and
    a data file each, and three 1 MiB resources in the first package."""
    if os.path.isdir(root):
        return
    tmp = root + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    for p in range(max(1, modules // PER_PACKAGE)):
        d = os.path.join(tmp, f"gen{p:04d}")
        os.makedirs(d)
        with open(os.path.join(d, "__init__.py"), "w") as f:
            f.write(f"PACKAGE = {p}\n")
        for m in range(PER_PACKAGE - 2):
            with open(os.path.join(d, f"m{m:03d}.py"), "w") as f:
                f.write(f"import os\n\n\ndef f(x):\n    return x + {m}\n\n"
                        f"NAME = 'gen{p:04d}.m{m:03d}'\n")
        with open(os.path.join(d, "data.txt"), "w") as f:
            f.write(f"data of package {p}\n" * 4)
    for i in range(3):
        with open(os.path.join(tmp, "gen0000", f"large{i}.bin"), "wb") as f:
            f.write(os.urandom(1 << 20))
    os.rename(tmp, root)


def run_measured(cmd):
    """(wall seconds, peak RSS in KiB) of CMD."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench_scale: {' '.join(cmd)} failed")
    return elapsed, usage.ru_maxrss


IMPORT_SCRIPT = """
import resource, sys, time
f = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
c = time.process_time()
t = time.perf_counter()
for p in range(10):
    for m in range(98):
        __import__(f"gen{p:04d}.m{m:03d}")
    __import__(f"gen{p:04d}")
t = time.perf_counter() - t
c = time.process_time() - c
print(t, c, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f)
"""


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?",
                    default=os.path.join(here, "..", "..", "build"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sizes", default="10000,50000,100000")
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(),
                                                   "pyox-bench-scale"))
    ap.add_argument("--parts", default="1,2,3",
                    help="which measurements to make (numbered as above)")
    args = ap.parse_args()
    parts = {int(p) for p in args.parts.split(",")}
    inject = os.path.join(args.build, "bin", "pyox-inject")
    bench_open = os.path.join(args.build, "bench", "pyox-bench-open")
    sizes = [int(s) for s in args.sizes.split(",")]
    os.makedirs(args.work, exist_ok=True)
    trees = {n: os.path.join(args.work, f"tree{n}") for n in sizes + [1000]}
    for n, root in trees.items():
        generate(root, n)

    if 1 in parts:
        pack_per_module(args, inject, sizes, trees)
    if 2 in parts:
        payload_ready(args, inject, bench_open, sizes, trees)
    if 3 in parts:
        import_ratio(args, inject, sizes, trees)


def pack_per_module(args, inject, sizes, trees):
    """1. Pack time per module and peak RSS, interleaved."""
    times = {n: [] for n in sizes}
    rss = {n: [] for n in sizes}
    for _ in range(args.runs):
        for n in sizes:
            out = os.path.join(args.work, f"p{n}.pyox")
            t, kib = run_measured([inject, "pack", "--no-cache", "--path",
                                   trees[n], "-o", out])
            times[n].append(t)
            rss[n].append(kib)
    per = {n: statistics.median(times[n]) / n * 1e6 for n in sizes}
    mean = statistics.mean(per.values())
    print(f"1. pack (with sources, the default), --no-cache, medians of "
          f"{args.runs} interleaved runs:")
    for n in sizes:
        size = os.path.getsize(os.path.join(args.work, f"p{n}.pyox"))
        print(f"   {n:>7} modules: {statistics.median(times[n]):7.2f} s, "
              f"{per[n]:5.1f} us/module ({100 * (per[n] / mean - 1):+5.1f}% "
              f"of the mean; goal +-20%), peak RSS "
              f"{max(rss[n]) / 1024:6.1f} MiB, payload {size / 2**20:.1f} MiB")


def payload_ready(args, inject, bench_open, sizes, trees):
    """2. Payload ready."""
    small = os.path.join(args.work, "p1000.pyox")
    run_measured([inject, "pack", "--no-cache", "--stdlib", "--path",
                  trees[1000], "-o", small])
    big = os.path.join(args.work, f"p{max(sizes)}s.pyox")
    run_measured([inject, "pack", "--no-cache", "--stdlib", "--path",
                  trees[max(sizes)], "-o", big])
    print("2. payload ready (open + validate + one lookup; pyox-bench-open):")
    for label, path in (("1k + stdlib", small), (f"{max(sizes) // 1000}k + stdlib", big)):
        out = subprocess.run([bench_open, path], capture_output=True,
                             text=True, check=True).stdout.strip()
        print(f"   {label}: {out}")


def import_ratio(args, inject, sizes, trees):
    """3. Import 1,000 modules from a small and a large payload."""
    progs = {}
    for label, n in (("1k", 1000), ("big", max(sizes))):
        progs[label] = os.path.join(args.work, f"prog-{label}")
        run_measured([inject, "build", "--no-cache", "--stdlib", "--path",
                      trees[n], "-o", progs[label]])
    secs = {k: [] for k in progs}
    faults = {k: [] for k in progs}
    cpu = {k: [] for k in progs}
    for _ in range(max(args.runs * 4, 10)):
        for label, prog in progs.items():
            out = subprocess.run([prog, "-I", "-S", "-c", IMPORT_SCRIPT],
                                 capture_output=True, text=True, check=True)
            t, c, f = out.stdout.split()
            secs[label].append(float(t))
            cpu[label].append(float(c))
            faults[label].append(int(f))
    a = statistics.median(secs["1k"])
    b = statistics.median(secs["big"])
    # Each round's own ratio (the two runs of a round are back to back, so
    # they share the machine's load): their spread says what the median's
    # ratio is worth.
    rounds = sorted(y / x for x, y in zip(secs["1k"], secs["big"]))
    q = statistics.quantiles(rounds, n=4)
    print(f"3. import 1,000 modules: from a 1k payload {a * 1e3:.2f} ms, "
          f"from a {max(sizes) // 1000}k payload {b * 1e3:.2f} ms, ratio "
          f"{b / a:.3f} (goal <= 1.05; medians of {len(secs['1k'])} "
          f"interleaved runs); per-round ratios: quartiles {q[0]:.3f} / "
          f"{q[1]:.3f} / {q[2]:.3f}, range {rounds[0]:.3f}-{rounds[-1]:.3f}")
    ca = statistics.median(cpu["1k"])
    cb = statistics.median(cpu["big"])
    print(f"   CPU time of the imports (less sensitive to other processes): "
          f"{ca * 1e3:.2f} / {cb * 1e3:.2f} ms, ratio {cb / ca:.3f}")
    # Page faults during the imports do not depend on the machine's load:
    # what the larger index costs in memory touched, if anything.
    print(f"   minor page faults during the imports: "
          f"{statistics.median(faults['1k']):.0f} (1k payload), "
          f"{statistics.median(faults['big']):.0f} "
          f"({max(sizes) // 1000}k payload)")


if __name__ == "__main__":
    main()
