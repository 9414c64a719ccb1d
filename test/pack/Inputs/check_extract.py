"""Checks that `pyox-inject extract` gave back the same bytecode and files.

For each extracted .pyc, the code object must equal what python3.11's own
compiler makes of the original source (same co_filename, the root-relative
path). Resources and extension modules must be byte-identical to the files
they came from.
Usage: check_extract.py EXTRACTED_DIR ROOT [ROOT...]
"""
import marshal
import os
import sys

out_dir, roots = sys.argv[1], sys.argv[2:]


def original(rel):
    for root in roots:
        p = os.path.join(root, rel)
        if os.path.exists(p):
            return p
    return None


def same_code(a, b):
    if a != b or a.co_filename != b.co_filename:
        return False
    return all(same_code(x, y) for x, y in zip(a.co_consts, b.co_consts)
               if hasattr(x, "co_code"))


checked = {"bytecode": 0, "file": 0}
bad = []
for dirpath, dirs, files in os.walk(out_dir):
    for f in files:
        full = os.path.join(dirpath, f)
        rel = os.path.relpath(full, out_dir)
        if f.endswith(".pyc"):
            src_rel = rel[:-1]
            src = original(src_rel)
            if src is None:
                bad.append(f"{rel}: no source {src_rel}")
                continue
            with open(full, "rb") as fh:
                data = fh.read()
            got = marshal.loads(data[16:])
            with open(src, "rb") as fh:
                want = compile(fh.read(), src_rel, "exec", dont_inherit=True)
            if not same_code(got, want):
                bad.append(f"{rel}: bytecode differs from python3.11's")
            checked["bytecode"] += 1
        else:
            src = original(rel)
            if src is None:
                bad.append(f"{rel}: no original file")
                continue
            with open(full, "rb") as a, open(src, "rb") as b:
                if a.read() != b.read():
                    bad.append(f"{rel}: contents differ")
            checked["file"] += 1

print(f"checked {checked['bytecode']} bytecode files, {checked['file']} other files")
for b in bad[:20]:
    print(b)
print("extract check:", "OK" if not bad else f"FAILED ({len(bad)})")
sys.exit(1 if bad or not checked["bytecode"] else 0)
