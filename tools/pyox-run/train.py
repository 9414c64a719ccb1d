"""The profile pyox-run's functions are laid out by (cmake/BoltTemplate.cmake).

Run by an instrumented copy of pyox-run that carries the standard library:
what every pyox program does, start up and import modules from the payload,
over the whole standard library, plus a little work with the modules most
programs use. Only the order of functions in the executable comes from it
(llvm-bolt -reorder-functions); the code itself is not changed."""
import pkgutil
import sys

# Not imported: they open a browser or a GUI, print, or run a program when
# imported.
SKIP = ("antigravity", "this", "idlelib", "tkinter", "turtledemo", "turtle")


def wanted(name):
    return not (name.endswith("__main__") or
                any(name == s or name.startswith(s + ".") for s in SKIP))


names = [m.name for m in pkgutil.walk_packages(sys.path, onerror=lambda n: None)
         if wanted(m.name)]
# Held by the main module, as a script's imports are: at exit the
# interpreter then finalizes them the way it finalizes a script's.
imported = {}
for name in names:
    try:
        imported[name] = __import__(name)
    except BaseException:
        pass

import collections, dataclasses, datetime, json, pathlib, re, textwrap

@dataclasses.dataclass
class Item:
    name: str
    size: int

items = [Item(n, len(n)) for n in names]
text = json.dumps([dataclasses.asdict(i) for i in items])
assert len(json.loads(text)) == len(items)
words = collections.Counter(re.findall(r"[a-z]+", text))
print(len(imported), len(words), datetime.date(2026, 1, 1).isoformat(),
      pathlib.PurePosixPath("/a/b").name, textwrap.shorten(text, 20))
