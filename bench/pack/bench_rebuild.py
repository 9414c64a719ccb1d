"""Benchmark: a warm rebuild after a one-line edit vs. a cold build.

The app: a small package of a few modules plus the whole standard library
(`pyox-inject build --stdlib=all --path APP --entry app.cli:main`), i.e.
pack and inject into a fresh copy of the pyox-run template; with --pruned,
`--stdlib` (only what the import analysis reaches, the default). Per round, interleaved:
  cold       `build --no-cache` (every module compiled: the build without
             the compile cache);
  cold+fill  `build` into an empty cache directory (compiles and stores);
  warm       one line of one module changed, `build` with a warm cache
             (one module recompiled, every other result from the cache;
             unchanged sources known by their stat, not read);
  no-op      `build` again, nothing changed (the output left as it is);
  hashed     like warm, without the source index (every source read and
             hashed: what the stat-first check saves).
Medians; ratio warm / cold (goal <= 0.1) and absolute milliseconds.

Usage: /usr/bin/python3.11 bench/pack/bench_rebuild.py [--build DIR] [--runs N]
       [--pruned]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time

APP = {
    "app/__init__.py": "",
    "app/__main__.py": "from app.cli import main\nmain()\n",
    "app/cli.py": "import argparse, json\nfrom app import model\n\n"
                  "def main():\n    p = argparse.ArgumentParser()\n"
                  "    p.add_argument('n', type=int, nargs='?', default=3)\n"
                  "    print(json.dumps(model.table(p.parse_args().n)))\n",
    "app/model.py": "import dataclasses\n\n@dataclasses.dataclass\n"
                    "class Row:\n    k: int\n    v: int\n\n"
                    "def table(n):\n    return [dataclasses.asdict(Row(i, i * i)) for i in range(n)]\n",
}


def timed(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(here, "..", "..", "build"))
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--pruned", action="store_true",
                    help="the standard library pruned by the import analysis")
    args = ap.parse_args()
    tool = os.path.join(args.build, "bin", "pyox-inject")
    work = tempfile.mkdtemp(prefix="pyox-bench-rebuild-")
    try:
        root = os.path.join(work, "src")
        for rel, text in APP.items():
            os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
            with open(os.path.join(root, rel), "w") as f:
                f.write(text)
        stdlib = "--stdlib" if args.pruned else "--stdlib=all"
        base = [tool, "build", stdlib, "--path", root, "--entry", "app.cli:main"]
        warm_cache = os.path.join(work, "warm-cache")
        out = lambda name: os.path.join(work, name)
        # Untimed: warm the page cache and fill the warm cache.
        timed(base + ["--no-cache", "-o", out("app0")])
        timed(base + ["--cache-dir", warm_cache, "-o", out("app0")])
        cold, fill, warm, noop, hashed = [], [], [], [], []
        for i in range(args.runs):
            cold.append(timed(base + ["--no-cache", "-o", out(f"cold{i}")]))
            # A fresh directory per run: deleting the last one just before
            # makes ext4 slower to allocate inodes (recently_deleted()).
            fill.append(timed(base + ["--cache-dir", out(f"fill-cache{i}"), "-o", out(f"fill{i}")]))
            with open(os.path.join(root, "app", "model.py"), "a") as f:
                f.write(f"EDIT_{i} = {i}\n")  # the one-line change
            warm.append(timed(base + ["--cache-dir", warm_cache, "-o", out(f"warm{i}")]))
            noop.append(timed(base + ["--cache-dir", warm_cache, "-o", out(f"warm{i}")]))
            with open(os.path.join(root, "app", "model.py"), "a") as f:
                f.write(f"EDIT_B{i} = {i}\n")
            shutil.rmtree(os.path.join(warm_cache, "v1", "sources"))
            hashed.append(timed(base + ["--cache-dir", warm_cache, "-o", out(f"hashed{i}")]))
            for name in (f"cold{i}", f"fill{i}", f"warm{i}", f"hashed{i}"):
                os.unlink(out(name))
        run = subprocess.run([out("app0"), "4"], check=True, capture_output=True, text=True)
        c, f_, w, n, h = (statistics.median(x) for x in (cold, fill, warm, noop, hashed))
        print(f"app: {len(APP)} modules + the standard library "
              f"({'pruned' if args.pruned else 'all of it'}), build (pack + inject), "
              f"{args.runs} interleaved runs each, median ({os.cpu_count()} cores)")
        print(f"cold build, --no-cache:          {c * 1000:8.1f} ms")
        print(f"cold build into an empty cache:  {f_ * 1000:8.1f} ms")
        print(f"warm rebuild after a 1-line edit:{w * 1000:8.1f} ms")
        print(f"  the same, every source hashed: {h * 1000:8.1f} ms (no source index)")
        print(f"no-op rebuild (nothing changed): {n * 1000:8.1f} ms (output left alone)")
        print(f"ratio warm/cold: {w / c:.3f}  (goal <= 0.1); warm/cold+fill: {w / f_:.3f}; "
              f"no-op/cold: {n / c:.3f}")
        print(f"(the app runs: {run.stdout.strip()[:60]})")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
