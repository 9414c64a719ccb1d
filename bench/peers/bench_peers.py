"""Benchmark of issue 16: pyox against its peers, PyInstaller and Nuitka, each
in single-file (onefile) mode, building the same applications, in one run.

The peers and the third-party app's packages are pinned in requirements.txt
and installed with pip from PyPI into a virtual environment of this script's
own, BUILD/bench/peers/venv, made by /usr/bin/python3.11 (Debian's, the
Python pyox embeds); Nuitka compiles with the system's gcc (through ccache
when it is on PATH, as Nuitka does by default) and needs Debian's patchelf.

Applications (the same source files for all three tools):
  hello   print("hi")
  stdlib  imports json, email, http.client, asyncio, decimal, sqlite3,
          xml.etree, argparse and logging, prints one line and exits
  flask   a Flask app answering one request through its test client; pyox
          finds Flask and what it imports in the venv's site-packages by
          its import analysis (--path SITE, as PyInstaller and Nuitka do)
Per application and tool, in turn (interleaved):
  cold build     everything fresh: an empty output directory and empty
                 caches (pyox: an empty --cache-dir; PyInstaller: --clean,
                 its own PYINSTALLER_CONFIG_DIR; Nuitka: empty NUITKA_CACHE_DIR
                 and CCACHE_DIR)
  rebuild        one line appended to the app's module, then the same build
                 command with everything the cold build left (caches, work
                 directories); medians of --rebuilds rounds
  start-up       wall time of running the executable to its exit; medians
                 (and the fastest) of --runs interleaved rounds
  peak RSS       ru_maxrss of those runs (wait4: the largest single process
                 of the tree: a peer's bootloader and its Python child are
                 not added up)
  size           of the single file
pyox builds each app twice: as `build` does by default (pyox), and with
--mapped-code (pyox-mapped: the code of the modules imported at start laid
out for the template, a faster start for a larger file). Ratios are pyox /
peer for both. The goals of issue 16: start-up <= 0.5 against both
peers, a rebuild faster than both, a file no larger than PyInstaller's.

Usage: /usr/bin/python3.11 bench/peers/bench_peers.py [--build DIR] [--runs N]
       [--rebuilds N] [--apps hello,stdlib,flask] [--quick] [--keep]
--quick: one run and one rebuild each, hello only (the lit test's mode).
"""
import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "runtime"))
from bench_runtime import PYTHON, interleave  # noqa: E402  (the same timer)

REQUIREMENTS = os.path.join(HERE, "requirements.txt")
TOOLS = ("pyox", "pyox-mapped", "pyinstaller", "nuitka")
PEERS = TOOLS[2:]

STDLIB_APP = """\
import argparse, asyncio, decimal, email.message, email.parser, http.client
import json, logging, sqlite3, xml.etree.ElementTree


def main():
    print("stdlib ok")


if __name__ == "__main__":
    main()
"""

FLASK_APP = """\
from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    return "hello from flask"


def main():
    response = app.test_client().get("/")
    print(response.status_code, response.get_data(as_text=True))


if __name__ == "__main__":
    main()
"""

# name: (module, source, pyox --entry, expected output, needs the venv's Flask)
APPS = {
    "hello": ("hello", 'print("hi")\n', "hello", "hi", False),
    "stdlib": ("stdapp", STDLIB_APP, "stdapp:main", "stdlib ok", False),
    "flask": ("flaskapp", FLASK_APP, "flaskapp:main", "200 hello from flask", True),
}

def ensure_venv(root):
    """BUILD/bench/peers/venv with the pinned requirements; its path."""
    venv = os.path.join(root, "venv")
    if not os.path.exists(os.path.join(venv, "bin", "python")):
        subprocess.run([PYTHON, "-m", "venv", "--clear", venv], check=True)
    r = subprocess.run([os.path.join(venv, "bin", "python"), "-m", "pip", "install",
                        "--disable-pip-version-check", "-q", "-r", REQUIREMENTS])
    if r.returncode != 0:
        sys.exit(f"bench_peers: pip could not install {REQUIREMENTS} into {venv}"
                 " (is PyPI reachable? pip's message is above)")
    return venv


class Build:
    """One application built by one tool: its command, directories, output."""

    def __init__(self, tool, app, work, src, venv, inject):
        module, _, entry, _, needs_flask = APPS[app]
        self.tool, self.app = tool, app
        self.state = os.path.join(work, tool, app)  # output, work dirs, caches
        self.env = dict(os.environ)
        script = os.path.join(src, module + ".py")
        if tool in ("pyox", "pyox-mapped"):
            self.exe = os.path.join(self.state, "out", app)
            self.cmd = [inject, "build", "--stdlib", "--path", src]
            if tool == "pyox-mapped":
                self.cmd.append("--mapped-code")
            if needs_flask:
                site = os.path.join(venv, "lib", "python3.11", "site-packages")
                self.cmd += ["--path", site]
            self.cmd += ["--entry", entry, "--cache-dir", os.path.join(self.state, "cache"),
                         "-o", self.exe]
        elif tool == "pyinstaller":
            self.exe = os.path.join(self.state, "dist", app)
            self.cmd = [os.path.join(venv, "bin", "pyinstaller"), "--onefile", "--noconfirm",
                        "--log-level", "WARN", "--distpath", os.path.dirname(self.exe),
                        "--workpath", os.path.join(self.state, "work"),
                        "--specpath", os.path.join(self.state, "spec"), "-n", app, script]
            self.env["PYINSTALLER_CONFIG_DIR"] = os.path.join(self.state, "cache")
        else:
            self.exe = os.path.join(self.state, "out", app)
            self.cmd = [os.path.join(venv, "bin", "python"), "-m", "nuitka", "--onefile",
                        "--assume-yes-for-downloads", "--quiet",
                        "--output-dir=" + os.path.dirname(self.exe),
                        "--output-filename=" + app, script]
            self.env["NUITKA_CACHE_DIR"] = os.path.join(self.state, "cache", "nuitka")
            self.env["CCACHE_DIR"] = os.path.join(self.state, "cache", "ccache")

    def run(self, cold):
        """Builds; returns the wall time in seconds."""
        cmd = self.cmd
        if cold:
            shutil.rmtree(self.state, ignore_errors=True)
            if self.tool == "pyinstaller":
                cmd = cmd + ["--clean"]
        os.makedirs(os.path.dirname(self.exe), exist_ok=True)
        t0 = time.perf_counter()
        r = subprocess.run(cmd, env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        elapsed = time.perf_counter() - t0
        if r.returncode != 0 or not os.path.exists(self.exe):
            sys.exit(f"bench_peers: {self.tool} failed to build {self.app}:\n"
                     f"$ {' '.join(cmd)}\n{r.stdout[-4000:]}")
        return elapsed


@contextlib.contextmanager
def stdout_to_devnull():
    """The programs' output, not the table, goes to /dev/null while timed."""
    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.close(null)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--runs", type=int, default=30, help="start-up rounds")
    ap.add_argument("--rebuilds", type=int, default=3, help="rebuild rounds")
    ap.add_argument("--apps", default="hello,stdlib,flask")
    ap.add_argument("--quick", action="store_true",
                    help="one run and one rebuild each, hello only")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    if args.quick:
        args.runs, args.rebuilds, args.apps = 1, 1, "hello"
    apps = args.apps.split(",")
    for app in apps:
        if app not in APPS:
            sys.exit(f"bench_peers: unknown app '{app}' (known: {', '.join(APPS)})")
    build = os.path.abspath(args.build)
    inject = os.path.join(build, "bin", "pyox-inject")
    if not os.path.exists(inject):
        sys.exit(f"bench_peers: {inject} does not exist; build pyox first")
    for tool in ("patchelf", "gcc"):
        if not shutil.which(tool):
            sys.exit(f"bench_peers: Nuitka needs {tool} (bash scripts/install-deps.sh)")

    root = os.path.join(build, "bench", "peers")
    load0 = os.getloadavg()
    t_start = time.perf_counter()
    venv = ensure_venv(root)
    work = os.path.join(root, "work")
    shutil.rmtree(work, ignore_errors=True)
    try:
        results = {}  # (app, tool) -> dict of figures
        for app in apps:
            module, source, _, expect, _ = APPS[app]
            src = os.path.join(work, "src", app)
            os.makedirs(src)
            path = os.path.join(src, module + ".py")
            with open(path, "w") as f:
                f.write(source)
            builds = [Build(t, app, work, src, venv, inject) for t in TOOLS]
            cold = [b.run(cold=True) for b in builds]
            rebuilds = [[] for _ in builds]
            for i in range(args.rebuilds):
                with open(path, "a") as f:
                    f.write(f"EDIT_{i} = {i}\n")  # the one-line change
                for j, b in enumerate(builds):
                    rebuilds[j].append(b.run(cold=False))
            for b in builds:  # each must work (and this warms the caches)
                out = subprocess.run([b.exe], capture_output=True, text=True)
                if out.returncode != 0 or out.stdout.strip() != expect:
                    sys.exit(f"bench_peers: {b.tool}'s {app} printed {out.stdout!r}"
                             f" (exit {out.returncode}), expected {expect!r}:\n{out.stderr}")
            with stdout_to_devnull():
                times, rss = interleave([[b.exe] for b in builds], args.runs)
            for j, b in enumerate(builds):
                results[app, b.tool] = {
                    "start": statistics.median(times[j]), "fastest": min(times[j]),
                    "rss": statistics.median(rss[j]) / 1024, "rss_max": max(rss[j]) / 1024,
                    "size": os.path.getsize(b.exe) / 1e6,
                    "cold": cold[j], "rebuild": statistics.median(rebuilds[j]),
                }
        report(results, apps, args, load0, time.perf_counter() - t_start)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def report(results, apps, args, load0, elapsed):
    pins = [l.strip() for l in open(REQUIREMENTS)
            if l.split("==")[0] in ("pyinstaller", "nuitka", "flask")]
    print(f"pyox vs {', '.join(pins)}, onefile; {args.runs} interleaved start-up runs,"
          f" {args.rebuilds} rebuild(s); {os.cpu_count()} cores; load"
          f" {load0[0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end;"
          f" {elapsed:.0f} s")
    print()
    print("| app | tool | start-up ms (median / fastest) | peak RSS MiB (median / largest)"
          " | size MB | cold build s | rebuild s |")
    print("|---|---|---|---|---|---|---|")
    for app in apps:
        for tool in TOOLS:
            r = results[app, tool]
            print(f"| {app} | {tool} | {r['start']*1e3:.1f} / {r['fastest']*1e3:.1f}"
                  f" | {r['rss']:.1f} / {r['rss_max']:.1f} | {r['size']:.1f}"
                  f" | {r['cold']:.2f} | {r['rebuild']:.2f} |")
    print()
    print("| app | pyox / peer | start-up | peak RSS | size | cold build | rebuild |")
    print("|---|---|---|---|---|---|---|")
    ratio = lambda app, us, peer, k: results[app, us][k] / results[app, peer][k]
    # pyox as built by default, then with --mapped-code (pyox-mapped).
    variants = (("pyox", ""), ("pyox-mapped", " --mapped-code"))
    for us, label in variants:
        for app in apps:
            for peer in PEERS:
                print(f"| {app} |{label} / {peer} | " + " | ".join(
                    f"{ratio(app, us, peer, k):.3f}"
                    for k in ("start", "rss", "size", "cold", "rebuild")) + " |")
    print()
    verdict = lambda ok: "met" if ok else "MISSED"
    for us, label in variants:
        for app in apps:
            s = [ratio(app, us, p, "start") for p in PEERS]
            r = [ratio(app, us, p, "rebuild") for p in PEERS]
            z = ratio(app, us, "pyinstaller", "size")
            print(f"goals, {app}{label}: start-up <= 0.5 of both: {s[0]:.3f}, {s[1]:.3f}"
                  f" {verdict(max(s) <= 0.5)}; rebuild faster than both: {r[0]:.3f},"
                  f" {r[1]:.3f} {verdict(max(r) < 1)}; size <= PyInstaller's: {z:.3f}"
                  f" {verdict(z <= 1)}")


if __name__ == "__main__":
    main()
