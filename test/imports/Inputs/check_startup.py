"""Every module a pruned program has in sys.modules at its first line is
built in or in its payload: the start-up set misses nothing.
usage: check_startup.py LISTING MODULES-FILE"""
import sys

listing, modules = sys.argv[1], open(sys.argv[2]).read().split()
packed, plain = set(), set()
for line in open(listing):
    parts = line.split()
    if len(parts) >= 2 and parts[1] in ("module", "package", "extension", "namespace"):
        packed.add(parts[0])
        if parts[1] == "module":
            plain.add(parts[0])
# A module that sets a submodule itself (os sets os.path) has it covered.
packed |= {m for m in modules if m.rpartition(".")[0] in plain}
missing = [m for m in modules
           if m not in sys.builtin_module_names and m not in packed
           and not m.startswith("_frozen_importlib") and m not in ("__main__", "_pyox")]
print("missing:", " ".join(missing) if missing else "none")
