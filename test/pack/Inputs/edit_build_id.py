"""Rewrites the CPython build a template records (its sys.version, in
section .cpython_build) as another build of the same length: the patch
level and the build time change.
usage: edit_build_id.py TEMPLATE OUT"""
import sys

src, out = sys.argv[1:3]
data = open(src, "rb").read()
old = sys.version.encode()
assert data.count(old) == 1, "the template records this python3.11's build once"
new = old.replace(b"3.11.", b"3.11.9", 1)[: len(old)]
new = new.replace(b":", b";", 1)  # another build time, same length
open(out, "wb").write(data.replace(old, new))
print("recorded", new.decode())
