"""Every module a pruned program has in sys.modules at its first line is
built in or in its payload: the start-up set misses nothing; and none of
them has its code stored compressed (what starts is imported in place:
unmarshalled from raw bytes, or mapped, whose marshal data is compressed).
usage: check_startup.py LISTING MODULES-FILE"""
import sys

listing, modules = sys.argv[1], open(sys.argv[2]).read().split()
packed, plain, compressed, mapped = set(), set(), set(), set()
for line in open(listing):
    parts = line.split()
    if len(parts) >= 2 and parts[1] in ("module", "package", "extension", "namespace"):
        packed.add(parts[0])
        if parts[1] == "module":
            plain.add(parts[0])
        if parts[1] in ("module", "package") and "zstd" in parts:
            compressed.add(parts[0])
    elif len(parts) >= 2 and parts[1] == "mapped":
        mapped.add(parts[0])
# A module that sets a submodule itself (os sets os.path) has it covered.
packed |= {m for m in modules if m.rpartition(".")[0] in plain}
missing = [m for m in modules
           if m not in sys.builtin_module_names and m not in packed
           and not m.startswith("_frozen_importlib") and m not in ("__main__", "_pyox")]
print("missing:", " ".join(missing) if missing else "none")
# Frozen modules come from the interpreter itself (FrozenImporter), not
# from the payload, whose copy pack compresses.
import _imp
frozen = set(_imp._frozen_module_names())
late = sorted(m for m in modules
              if m in compressed and m not in frozen and m not in mapped)
print("compressed at start:", " ".join(late) if late else "none")
