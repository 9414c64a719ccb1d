"""Imports the modules named by the first argument, then prints, for each
shared object named by the others (a file name, as ld.so names it; a
versioned file such as libsqlite3.so.0.8.6 counts for libsqlite3.so.0),
where the process mapped it from: `memory` (a pyox memfd) or the file's
path. Usage: PROGRAM loaded_from.py "mod1,mod2" NAME..."""
import importlib
import sys

for mod in sys.argv[1].split(","):
    importlib.import_module(mod)
found = {}
for line in open("/proc/self/maps"):
    parts = line.split(None, 5)
    if len(parts) < 6:
        continue
    path = parts[5].strip().removesuffix(" (deleted)")
    if path.startswith("/memfd:pyox:"):
        base, where = path[len("/memfd:pyox:"):], "memory"
    else:
        base, where = path.rsplit("/", 1)[-1], path
    for name in sys.argv[2:]:
        if base == name or base.startswith(name + "."):
            found.setdefault(name, set()).add(where)
for name in sys.argv[2:]:
    print(name, " ".join(sorted(found.get(name, {"not loaded"}))))
