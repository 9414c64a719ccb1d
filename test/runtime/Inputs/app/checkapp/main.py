"""Each command-line word runs one check and prints what a test expects."""
import sys

# The program file: the root of the payload's paths (sys.executable is the
# python3 under it, ROOT/bin/python3).
ROOT = sys.meta_path[0].root


def info():
    import json
    import os
    import checkapp
    print("argv", sys.argv[1:])
    print("program", sys.argv[0] == ROOT, sys.executable == ROOT + "/bin/python3",
          os.path.samefile(sys.executable, ROOT))
    print("path", [p.replace(ROOT, "EXE") for p in sys.path])
    print("file", checkapp.__file__.replace(ROOT, "EXE"))
    print("json", json.__file__.replace(ROOT, "EXE"))
    print("os", os.__file__.replace(ROOT, "EXE"))
    print("loader", type(json.__spec__.loader).__name__)


def resources():
    import importlib.resources as r
    root = r.files("checkapp")
    print("read", root.joinpath("data", "greeting.txt").read_bytes())
    print("text", (root / "data" / "sub" / "inner.txt").read_text().strip())
    print("isdir", (root / "data").is_dir(), (root / "data" / "greeting.txt").is_file())
    print("list", sorted(p.name for p in (root / "data").iterdir()))
    print("missing", (root / "nope.txt").exists())
    with r.as_file(root / "data" / "greeting.txt") as f:
        print("as_file", open(f, "rb").read())
    print("legacy", r.read_text("checkapp.data", "greeting.txt").strip())


def metadata():
    import importlib.metadata as md
    print("version", md.version("checkapp"))
    eps = md.entry_points(group="console_scripts")
    print("entry", [e.value for e in eps if e.name == "checkapp"])
    print("files", [str(f) for f in md.files("checkapp")][:2])
    print("meta", md.metadata("checkapp")["Summary"])
    try:
        md.version("no-such-dist")
    except md.PackageNotFoundError:
        print("notfound ok")


def pkgutil_check():
    import pkgutil
    import checkapp
    top = {m.name for m in pkgutil.iter_modules()}
    print("top", "checkapp" in top, "json" in top, "checkns" in top)
    print("sub", sorted(m.name for m in pkgutil.iter_modules(checkapp.__path__)))
    print("data", pkgutil.get_data("checkapp", "data/greeting.txt"))
    walked = [m.name for m in pkgutil.walk_packages(checkapp.__path__, "checkapp.")]
    print("walk", "checkapp.work" in walked)


def namespace():
    import checkns.part
    print("ns", checkns.part.WHERE, checkns.part.__file__.replace(ROOT, "EXE"))


def path_directory():
    # A directory of the payload on sys.path holds modules under their own
    # names, as a directory on disk does; a namespace package there is a
    # portion (PEP 420).
    sys.path.insert(0, ROOT + "/checkns")
    import part
    print("pathdir", part.__name__, part.WHERE,
          part.__file__.replace(ROOT, "EXE"))
    sys.path.insert(0, ROOT + "/checkapp")
    import data
    print("portion", type(data.__loader__).__name__,
          [p.replace(ROOT, "EXE") for p in data.__path__])


def tb():
    import traceback
    from checkapp import fail
    try:
        fail.explode()
    except KeyError:
        traceback.print_exc(file=sys.stdout)
    import inspect
    print("getsource", inspect.getsource(fail.explode).splitlines()[0])


def uncaught():
    from checkapp import fail
    fail.explode()


def extensions():
    import _json, _decimal, _ctypes, _ssl
    for m in (_json, _decimal, _ctypes, _ssl):
        print("ext", m.__name__, m.__file__.replace(ROOT, "EXE"))
    import decimal
    print("decimal", decimal.Decimal(1) / decimal.Decimal(7))


def mp(method):
    import multiprocessing as mp
    from checkapp.work import square
    ctx = mp.get_context(method)
    with ctx.Pool(2) as pool:
        print("pool", method, pool.map(square, range(5)))


def third_party():
    import yaml
    print("yaml", yaml.__version__, yaml.__with_libyaml__)
    print("cload", yaml.load("a: [1, 2]", Loader=yaml.CLoader))
    import yaml._yaml as cy
    print("cext", cy.__file__.replace(ROOT, "EXE"))
    import wadllib
    print("wadllib", wadllib.__version__)
    import importlib.resources as r
    data = r.files("wadllib.tests.data").joinpath("launchpad-wadl.xml").read_bytes()
    print("wadl", data[:5], len(data) > 1000)
    import importlib.metadata as md
    print("pyyaml", md.version("PyYAML"))


def main():
    for word in sys.argv[1:]:
        if word.startswith("exit="):
            return int(word[5:])
        if word.startswith("mp="):
            mp(word[3:])
            continue
        {"info": info, "resources": resources, "metadata": metadata,
         "pkgutil": pkgutil_check, "namespace": namespace,
         "pathdir": path_directory, "tb": tb,
         "uncaught": uncaught, "extensions": extensions,
         "third-party": third_party}[word]()
    return 0
