"""Flips one bit of the GNU build-id in FILE, a copy of the object at TREE
in a system copies table (.pyox-system-copies, whose last field is the
build-id in hex): the same size, another build.
Usage: flip_build_id.py TABLE TREE FILE"""
import sys

table, tree, path = sys.argv[1:]
build_id = next(bytes.fromhex(line.rstrip("\n").split("\t")[5])
                for line in open(table) if line.split("\t")[0] == tree)
data = bytearray(open(path, "rb").read())
at = data.index(build_id)
data[at] ^= 1
open(path, "wb").write(data)
