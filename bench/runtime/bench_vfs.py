"""What the virtual filesystem costs (issue 10), in one run: the template
with the VFS (pyox-run) against the same template linked without it
(pyox-run-novfs: same sources, link line and BOLT layout, minus pyox_vfs),
each injected with the same payload (the stdlib and a package holding a
4 KiB resource). Runs are interleaved, in reverse order every other
round (so that no program always runs after the same one); figures are
medians.

  (a) start-up    APP -I -S -c pass, and (b) importing every stdlib module
                  (bench_runtime.py's script): both apps' ratios against
                  /usr/bin/python3.11 (goal: the VFS's no worse, +-1%)
  (c) disk        a Python loop of open + read(4096) + close of a 4 KiB file
                  on disk (TMPDIR), timed inside the program: VFS build vs
                  build without (goal <= 1.02)
  (d) VFS file    the same loop on the packed resource (a path under the
                  program) vs a 4 KiB file on tmpfs (/dev/shm), VFS build

(c) and (d) time two loops, each `N` iterations per round, rounds
alternating between the files: `os.open`/`os.read`/`os.close` ("os"), and
`open(path, "rb").read()` in a `with` ("io": adds fstat, ioctl and lseek
calls, and Python's buffered-IO objects). Per process the median round;
across processes the median of those.

Usage: /usr/bin/python3.11 bench/runtime/bench_vfs.py [BUILD_DIR] [--quick]
(default build/); needs pyox-inject, pyox-run and pyox-run-novfs
(`ninja -C BUILD_DIR pyox-inject pyox-run pyox-run-novfs`). --quick runs
each part a few times only: a smoke test of the script, not figures.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from bench_runtime import PYTHON, interleave, write_import_all

# Runs inside each app: ARGV = N ROUNDS NAME=PATH...; prints, as JSON, the
# median ns per iteration of each loop on each file.
FILE_LOOP = r'''
import os, statistics, sys, time

def os_loop(path, n, o=os.open, r=os.read, c=os.close, flags=os.O_RDONLY):
    t0 = time.perf_counter_ns()
    for _ in range(n):
        fd = o(path, flags)
        r(fd, 4096)
        c(fd)
    return time.perf_counter_ns() - t0

def io_loop(path, n):
    t0 = time.perf_counter_ns()
    for _ in range(n):
        with open(path, "rb") as f:
            f.read()
    return time.perf_counter_ns() - t0

n, rounds = int(sys.argv[1]), int(sys.argv[2])
files = [a.split("=", 1) for a in sys.argv[3:]]
files = [(k, v) for k, v in files]
if any(k == "vfs" for k, _ in files):
    import pyoxbench
    files = [(k, os.path.join(os.path.dirname(pyoxbench.__file__), "data.bin")
              if k == "vfs" else v) for k, v in files]
for _, p in files:  # every file must read back 4 KiB
    assert len(open(p, "rb").read()) == 4096, p
loops = [("os", os_loop), ("io", io_loop)]
times = {f"{k} {m}": [] for k, _ in files for m, _ in loops}
for r in range(rounds + 1):
    order = files[r % len(files):] + files[:r % len(files)]
    for k, p in order:
        for m, loop in loops:
            t = loop(p, n)
            if r:  # round 0 warms up (the VFS makes its memfd on first use)
                times[f"{k} {m}"].append(t / n)
print(__import__("json").dumps({k: statistics.median(v) for k, v in times.items()}))
'''


def build_app(build, template, src, out):
    subprocess.run([os.path.join(build, "bin", "pyox-inject"), "build", "--stdlib",
                    "--path", src, "--template", template, "-o", out], check=True)


def file_loops(app, script, n, rounds, files):
    r = subprocess.run([app, "-I", "-S", script, str(n), str(rounds)] +
                       [f"{k}={v}" for k, v in files],
                       check=True, capture_output=True, text=True)
    return json.loads(r.stdout)


def med(xs):
    return statistics.median(xs)


def main():
    args = [a for a in sys.argv[1:] if a != "--quick"]
    quick = "--quick" in sys.argv[1:]
    build = os.path.abspath(args[0] if args else "build")
    templates = [os.path.join(build, "bin", t) for t in ("pyox-run", "pyox-run-novfs")]
    for t in templates:
        if not os.path.exists(t):
            sys.exit(f"bench_vfs: {t} does not exist; build it with "
                     f"`ninja -C {build} pyox-run pyox-run-novfs`")
    runs_a, runs_b, procs, n, rounds = (
        (5, 2, 2, 200, 3) if quick else (200, 40, 15, 2000, 15))

    load0 = os.getloadavg()[0]
    tmp = tempfile.mkdtemp(prefix="pyox-bench-vfs-")  # TMPDIR: on disk here
    shm = tempfile.mkdtemp(prefix="pyox-bench-vfs-", dir="/dev/shm")
    try:
        data = os.urandom(4096)
        src = os.path.join(tmp, "src")
        os.makedirs(os.path.join(src, "pyoxbench"))
        open(os.path.join(src, "pyoxbench", "__init__.py"), "w").close()
        for d in (os.path.join(src, "pyoxbench"), tmp, shm):
            with open(os.path.join(d, "data.bin"), "wb") as f:
                f.write(data)
        vfs, novfs = (os.path.join(tmp, a) for a in ("app-vfs", "app-novfs"))
        for t, a in zip(templates, (vfs, novfs)):
            build_app(build, t, src, a)
        script, names = write_import_all(tmp)
        for exe in (vfs, novfs, PYTHON):  # all must run it cleanly (and warm caches)
            subprocess.run([exe, "-W", "ignore", "-S", script], check=True)

        # (a) and (b): three commands interleaved, each app against python3.11.
        (ta_vfs, ta_novfs, ta_py), _ = interleave(
            [[exe, "-I", "-S", "-c", "pass"] for exe in (vfs, novfs, PYTHON)], runs_a, True)
        (tb_vfs, tb_novfs, tb_py), (rb_vfs, rb_novfs, rb_py) = interleave(
            [[exe, "-W", "ignore", "-S", script] for exe in (vfs, novfs, PYTHON)], runs_b,
            True)

        # (c) and (d): whole processes interleaved, loops timed inside them.
        loop_py = os.path.join(tmp, "file_loop.py")
        with open(loop_py, "w") as f:
            f.write(FILE_LOOP)
        disk, tmpfs = os.path.join(tmp, "data.bin"), os.path.join(shm, "data.bin")
        per_vfs, per_novfs = [], []
        apps = [(vfs, [("disk", disk), ("tmpfs", tmpfs), ("vfs", "")], per_vfs),
                (novfs, [("disk", disk), ("tmpfs", tmpfs)], per_novfs)]
        for p in range(procs):  # in turn, the other one first every other time
            for app, files, out in (apps[::-1] if p % 2 else apps):
                out.append(file_loops(app, loop_py, n, rounds, files))
        loop_vfs = {k: med([p[k] for p in per_vfs]) for k in per_vfs[0]}
        loop_novfs = {k: med([p[k] for p in per_novfs]) for k in per_novfs[0]}

        print(f"load average (1 min) at the start {load0:.2f}, at the end"
              f" {os.getloadavg()[0]:.2f}")
        for label, (tv, tn, tp), goal in (
                ("(a) start-up -I -S -c pass", (ta_vfs, ta_novfs, ta_py), runs_a),
                (f"(b) import {len(names)} stdlib modules", (tb_vfs, tb_novfs, tb_py), runs_b)):
            v, nv, p = med(tv), med(tn), med(tp)
            paired = med([a / b for a, b in zip(tv, tn)])
            print(f"{label} ({goal} runs each): VFS {v*1e3:.2f} ms, no VFS {nv*1e3:.2f} ms,"
                  f" python3.11 {p*1e3:.2f} ms; ratios {v/p:.3f} with the VFS,"
                  f" {nv/p:.3f} without: {100*(v/nv-1):+.1f}% (goal within +-1%;"
                  f" fastest runs {100*(min(tv)/min(tn)-1):+.1f}%, median of"
                  f" consecutive pairs {100*(paired-1):+.1f}%)")
        print(f"    peak RSS after (b), largest of the runs: VFS {max(rb_vfs)/1024:.1f} MiB,"
              f" no VFS {max(rb_novfs)/1024:.1f} MiB, python3.11 {max(rb_py)/1024:.1f} MiB")
        print(f"file loops: {procs} processes each, {rounds} rounds of {n} iterations;"
              f" ns per open+read+close")
        for m in ("os", "io"):
            d, dn = loop_vfs[f"disk {m}"], loop_novfs[f"disk {m}"]
            t, tn = loop_vfs[f"tmpfs {m}"], loop_novfs[f"tmpfs {m}"]
            f = loop_vfs[f"vfs {m}"]
            paired = med([a[f"disk {m}"] / b[f"disk {m}"] for a, b in zip(per_vfs, per_novfs)])
            print(f"(c) disk  {m}: VFS build {d:.0f} ns, no VFS {dn:.0f} ns, ratio {d/dn:.3f}"
                  f" (goal <= 1.02; median of consecutive pairs {paired:.3f});"
                  f" tmpfs: {t:.0f} / {tn:.0f} ns, {t/tn:.3f}")
            print(f"(d) VFS file {m}: {f:.0f} ns, tmpfs file {t:.0f} ns (VFS build),"
                  f" ratio {f/t:.3f}")
    finally:
        shutil.rmtree(tmp)
        shutil.rmtree(shm)


if __name__ == "__main__":
    main()
