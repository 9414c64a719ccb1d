"""Runtime benchmarks of issues 4 and 15, as ratios against
/usr/bin/python3.11 in one run (interleaved runs, medians; the fastest runs'
ratio is printed as well). APP is built with mapped code (--mapped-code,
docs/format.md "Mapped code"), APP-M with --no-mapped-code (unmarshalling):

  (a) start-up:  APP -I -S -c pass          vs python3.11 -I -S -c pass
  (b) stdlib:    APP -S SCRIPT              vs python3.11 -S SCRIPT
                 (SCRIPT: one `import` line per stdlib module both import),
                 and vs python3.11 importing the same modules' .pyc from a
                 zip file (zipimport, the stdlib's own single-file
                 importer; ZIP_STORED, and ZIP_DEFLATED as the embeddable
                 distribution's python311.zip is);
                 then each app's code loading time (Finder.code_load_stats())
                 and the ratio without it
  (c) locate, validate and ready the payload (pyox-bench-locate)
  (d) peak RSS after (b): the largest ru_maxrss of the runs (and the medians)

Usage: /usr/bin/python3.11 bench/runtime/bench_runtime.py [BUILD_DIR]
(default build/); needs pyox-inject, pyox-run and bench/pyox-bench-locate.
"""
import os
import random
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
    run_timed.cpu = usage.ru_utime + usage.ru_stime  # see compare()
    return elapsed, usage.ru_maxrss


def interleave(cmds, runs, alternate=False, shuffle=None):
    """Runs each of CMDS RUNS times, in turn (in reverse order every other
    round if ALTERNATE, so that no command always follows the same one; in
    an order SHUFFLE, a random.Random, draws anew each round, so that no two
    commands are always neighbours either); per command, its wall times and
    peak RSS values (KiB)."""
    times, rss = [[] for _ in cmds], [[] for _ in cmds]
    interleave.cpu = [[] for _ in cmds]
    for n in range(runs):
        order = list(enumerate(cmds))
        if shuffle:
            shuffle.shuffle(order)
        elif alternate and n % 2:
            order.reverse()
        for i, cmd in order:
            e, r = run_timed(cmd)
            times[i].append(e)
            rss[i].append(r)
            interleave.cpu[i].append(run_timed.cpu)
    return times, rss


def compare(cmds, runs):
    """Per command: (median time, fastest time, median CPU time), (largest
    RSS, median RSS). CPU time (user + system) is printed too because on a
    loaded machine wall times mostly measure the other processes."""
    times, rss = interleave(cmds, runs, shuffle=random.Random(20261202))
    return ([(statistics.median(t), min(t), statistics.median(c))
             for t, c in zip(times, interleave.cpu)],
            [(max(r), statistics.median(r)) for r in rss])


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


def write_zip_import_all(tmp, build, app, script, compression):
    """A zip of the app's modules as .pyc files (pyox-inject extract: the
    same bytecode) and of its package data (lib2to3 reads its grammar with
    get_data), and SCRIPT importing from it first."""
    import zipfile
    tree = os.path.join(tmp, "extracted")
    if not os.path.isdir(tree):
        subprocess.run([os.path.join(build, "bin", "pyox-inject"), "extract", app,
                        "-o", tree], check=True)
    archive = os.path.join(tmp, f"stdlib-{compression}.zip")
    with zipfile.ZipFile(archive, "w", compression) as z:
        for root, _, files in os.walk(tree):
            for f in sorted(files):
                if not f.endswith((".py", ".so")):
                    path = os.path.join(root, f)
                    z.write(path, os.path.relpath(path, tree))
    zscript = os.path.join(tmp, f"zip_import_all_{compression}.py")
    with open(zscript, "w") as f:
        f.write(f"import sys\nsys.path.insert(0, {archive!r})\n" + open(script).read())
    return zscript


def timing(label, app, py, goal, name="app", versus="python3.11"):
    # Medians are the figure; the fastest runs are printed too, because on
    # a shared machine noise only ever adds time.
    print(f"{label} {name} {app[0]*1e3:7.2f} ms  {versus} {py[0]*1e3:7.2f} ms"
          f"  ratio {app[0]/py[0]:.3f}  (goal <= {goal}; fastest runs {app[1]*1e3:.2f} /"
          f" {py[1]*1e3:.2f} ms, {app[1]/py[1]:.3f}; CPU time {app[2]*1e3:.1f} /"
          f" {py[2]*1e3:.1f} ms, {app[2]/py[2]:.3f})")


def code_loading(app, script, tmp, runs=11):
    """Medians of APP's wall time running SCRIPT, of its code loading time
    (code_load_stats), and the code objects it made and of them mapped."""
    stats = os.path.join(tmp, "import_all_stats.py")
    with open(stats, "w") as f:
        f.write(open(script).read() + "import sys\n"
                "print(*sys.meta_path[0].code_load_stats(), file=sys.stderr)\n")
    walls, loads = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        r = subprocess.run([app, "-W", "ignore", "-S", stats], check=True,
                           stderr=subprocess.PIPE, text=True)
        walls.append(time.perf_counter() - t0)
        modules, seconds, mapped = r.stderr.split()[-3:]
        loads.append(float(seconds))
    return statistics.median(walls), statistics.median(loads), modules, mapped


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    tmp = tempfile.mkdtemp(prefix="pyox-bench-")
    try:
        inject = os.path.join(build, "bin", "pyox-inject")
        app, app_m = os.path.join(tmp, "app"), os.path.join(tmp, "app-m")
        subprocess.run([inject, "build", "--stdlib", "--mapped-code", "-o", app], check=True)
        subprocess.run([inject, "build", "--stdlib", "--no-mapped-code", "-o", app_m],
                       check=True)

        # The module list: what python3.11 imports, and the apps too.
        script, names = write_import_all(tmp)
        import zipfile
        zscript = write_zip_import_all(tmp, build, app_m, script, zipfile.ZIP_STORED)
        dscript = write_zip_import_all(tmp, build, app_m, script, zipfile.ZIP_DEFLATED)
        for exe, s in ((app, script), (app_m, script), (PYTHON, script), (PYTHON, zscript),
                       (PYTHON, dscript)):
            # All must run it cleanly (and warm caches).
            subprocess.run([exe, "-W", "ignore", "-S", s], check=True)

        (a_app, a_app_m, a_py), _ = compare(
            [[app, "-I", "-S", "-c", "pass"], [app_m, "-I", "-S", "-c", "pass"],
             [PYTHON, "-I", "-S", "-c", "pass"]], 200)
        (b_app, b_app_m, b_py, b_zip, b_dzip), (r_app, r_app_m, r_py, _, _) = compare(
            [[app, "-W", "ignore", "-S", script], [app_m, "-W", "ignore", "-S", script],
             [PYTHON, "-W", "ignore", "-S", script], [PYTHON, "-W", "ignore", "-S", zscript],
             [PYTHON, "-W", "ignore", "-S", dscript]],
            20)

        # What (b) would be if loading code cost nothing: each app's own
        # measure of the time it spends making code objects (checksum,
        # unmarshal or mapped-code preparation, file names), subtracted
        # from its wall time.
        loading = [code_loading(a, script, tmp) for a in (app, app_m)]
        py = statistics.median(run_timed([PYTHON, "-W", "ignore", "-S", script])[0]
                               for _ in range(11))

        locate = os.path.join(tmp, "locate")
        subprocess.run([inject, "inject", os.path.join(build, "bench", "pyox-bench-locate"),
                        os.path.join(build, "test", "stdlib.pyox") if os.path.exists(
                            os.path.join(build, "test", "stdlib.pyox")) else app,
                        "-o", locate], check=True)
        out = subprocess.run([locate], check=True, capture_output=True, text=True).stdout.split()
        first_us, warm_us = float(out[2]), float(out[4])

        print(f"modules imported in (b): {len(names)}")
        timing("(a) start-up      ", a_app, a_py, "0.85")
        timing("(a) start-up      ", a_app_m, a_py, "0.85", "app-m")
        timing("(b) import stdlib ", b_app, b_py, "0.78")
        timing("(b) import stdlib ", b_app_m, b_py, "0.78", "app-m")
        timing("(b) import stdlib ", b_app, b_zip, "0.55", versus="zipimport")
        timing("(b) import stdlib ", b_app_m, b_zip, "0.55", "app-m", "zipimport")
        timing("(b) import stdlib ", b_app, b_dzip, "0.55", versus="zipimport-deflated")
        print(f"    zipimport vs python3.11: ratio {b_zip[0]/b_py[0]:.3f} stored,"
              f" {b_dzip[0]/b_py[0]:.3f} deflated (CPU time {b_zip[2]/b_py[2]:.3f},"
              f" {b_dzip[2]/b_py[2]:.3f})")
        for label, (wall, load, modules, mapped) in zip(("app  ", "app-m"), loading):
            print(f"    code loading in (b), {label}: {modules} code objects ({mapped} mapped),"
                  f" {load*1e3:.1f} ms of {wall*1e3:.1f} ms (python3.11 {py*1e3:.1f} ms);"
                  f" ratio {wall/py:.3f}, {(wall-load)/py:.3f} if loading cost nothing"
                  f" (11 more runs)")
        print(f"(c) locate+validate+ready  first {first_us:.1f} us  warm {warm_us:.1f} us"
              f"  (goal <= 100 us)")
        for name, r in (("app", r_app), ("app-m", r_app_m)):
            print(f"(d) peak RSS after (b)  {name} {r[0]/1024:.1f} MiB  python3.11"
                  f" {r_py[0]/1024:.1f} MiB  ratio {r[0]/r_py[0]:.3f}  (goal <= 1.0; largest"
                  f" of the runs; medians {r[1]/1024:.2f} / {r_py[1]/1024:.2f} MiB,"
                  f" {r[1]/r_py[1]:.3f})")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
