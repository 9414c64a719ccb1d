"""Runtime benchmarks of issue 4, as ratios against /usr/bin/python3.11 in
one run (interleaved runs, medians; the fastest runs' ratio is printed as well):

  (a) start-up:  APP -I -S -c pass          vs python3.11 -I -S -c pass
  (b) stdlib:    APP -S SCRIPT              vs python3.11 -S SCRIPT
                 (SCRIPT: one `import` line per stdlib module both import);
                 then the ratio without the app's code loading time
                 (Finder.code_load_stats())
  (c) locate, validate and ready the payload (pyox-bench-locate)
  (d) peak RSS after (b): the largest ru_maxrss of the runs (and the medians)

Usage: /usr/bin/python3.11 bench/runtime/bench_runtime.py [BUILD_DIR]
(default build/); needs pyox-inject, pyox-run and bench/pyox-bench-locate.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

PYTHON = "/usr/bin/python3.11"
HERE = os.path.dirname(os.path.abspath(__file__))
MODULES = os.path.join(HERE, "..", "..", "test", "runtime", "Inputs", "stdlib_modules.py")


def run_timed(cmd):
    t0 = time.perf_counter()
    pid = os.posix_spawn(cmd[0], cmd, os.environ)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {cmd} failed")
    return elapsed, usage.ru_maxrss


def interleave(cmds, runs, alternate=False):
    """Runs each of CMDS RUNS times, in turn (in reverse order every other
    round if ALTERNATE, so that no command always follows the same one);
    per command, its wall times and peak RSS values (KiB)."""
    times, rss = [[] for _ in cmds], [[] for _ in cmds]
    for n in range(runs):
        order = list(enumerate(cmds))
        for i, cmd in (order[::-1] if alternate and n % 2 else order):
            e, r = run_timed(cmd)
            times[i].append(e)
            rss[i].append(r)
    return times, rss


def compare(a, b, runs):
    (ta, tb), (ra, rb) = interleave([a, b], runs)
    return ((statistics.median(ta), min(ta)), (statistics.median(tb), min(tb)),
            (max(ra), statistics.median(ra)), (max(rb), statistics.median(rb)))


def write_import_all(tmp):
    """Writes TMP/import_all.py, one `import` line per stdlib module that
    python3.11 imports; returns its path and the module names."""
    listing = os.path.join(tmp, "modules")
    subprocess.run([PYTHON, "-I", "-S", MODULES, "list", listing], check=True,
                   stdout=subprocess.DEVNULL)
    names = [n for n in open(listing).read().split()
             if n.replace(".", "_").isidentifier()]
    script = os.path.join(tmp, "import_all.py")
    with open(script, "w") as f:
        f.write("".join(f"import {n}\n" for n in names))
    return script, names


def timing(label, app, py, goal):
    # Medians are the figure; the fastest runs are printed too, because on
    # a shared machine noise only ever adds time.
    print(f"{label} app {app[0]*1e3:7.2f} ms  python3.11 {py[0]*1e3:7.2f} ms"
          f"  ratio {app[0]/py[0]:.3f}  (goal <= {goal}; fastest runs {app[1]*1e3:.2f} /"
          f" {py[1]*1e3:.2f} ms, {app[1]/py[1]:.3f})")


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    tmp = tempfile.mkdtemp(prefix="pyox-bench-")
    try:
        app = os.path.join(tmp, "app")
        subprocess.run([os.path.join(build, "bin", "pyox-inject"), "build", "--stdlib",
                        "-o", app], check=True)

        # The module list: what python3.11 imports, and the app too.
        script, names = write_import_all(tmp)
        for exe in (app, PYTHON):  # both must run it cleanly (and warm caches)
            subprocess.run([exe, "-W", "ignore", "-S", script], check=True)

        a_app, a_py, _, _ = compare([app, "-I", "-S", "-c", "pass"],
                                    [PYTHON, "-I", "-S", "-c", "pass"], 200)
        b_app, b_py, rss_app, rss_py = compare([app, "-W", "ignore", "-S", script],
                                               [PYTHON, "-W", "ignore", "-S", script], 20)

        # What (b) would be if loading code cost nothing: the app's own
        # measure of the time it spends making code objects (checksum,
        # unmarshal, file names), subtracted from its wall time.
        stats = os.path.join(tmp, "import_all_stats.py")
        with open(stats, "w") as f:
            f.write(open(script).read() + "import sys\n"
                    "print(*sys.meta_path[0].code_load_stats(), file=sys.stderr)\n")
        walls, loads, pys = [], [], []
        for _ in range(11):
            t0 = time.perf_counter()
            r = subprocess.run([app, "-W", "ignore", "-S", stats], check=True,
                               stderr=subprocess.PIPE, text=True)
            walls.append(time.perf_counter() - t0)
            modules, seconds = r.stderr.split()[-2:]
            loads.append(float(seconds))
            pys.append(run_timed([PYTHON, "-W", "ignore", "-S", script])[0])
        wall, load, py = (statistics.median(x) for x in (walls, loads, pys))

        locate = os.path.join(tmp, "locate")
        subprocess.run([os.path.join(build, "bin", "pyox-inject"), "inject",
                        os.path.join(build, "bench", "pyox-bench-locate"),
                        os.path.join(build, "test", "stdlib.pyox") if os.path.exists(
                            os.path.join(build, "test", "stdlib.pyox")) else app,
                        "-o", locate], check=True)
        out = subprocess.run([locate], check=True, capture_output=True, text=True).stdout.split()
        first_us, warm_us = float(out[2]), float(out[4])

        print(f"modules imported in (b): {len(names)}")
        timing("(a) start-up      ", a_app, a_py, "0.9")
        timing("(b) import stdlib ", b_app, b_py, "0.70")
        print(f"    code loading in (b): {modules} code objects, {load*1e3:.1f} ms of"
              f" {wall*1e3:.1f} ms (python3.11 {py*1e3:.1f} ms); ratio {wall/py:.3f},"
              f" {(wall-load)/py:.3f} if loading cost nothing (11 more runs)")
        print(f"(c) locate+validate+ready  first {first_us:.1f} us  warm {warm_us:.1f} us"
              f"  (goal <= 100 us)")
        print(f"(d) peak RSS after (b)  app {rss_app[0]/1024:.1f} MiB  python3.11 {rss_py[0]/1024:.1f} MiB"
              f"  ratio {rss_app[0]/rss_py[0]:.3f}  (goal <= 1.0; largest of the runs;"
              f" medians {rss_app[1]/1024:.2f} / {rss_py[1]/1024:.2f} MiB, {rss_app[1]/rss_py[1]:.3f})")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
