"""Writes a copy of a PE image with its optional header's FileAlignment
replaced. Usage: set_file_alignment.py IN OUT VALUE"""
import struct
import sys

data = bytearray(open(sys.argv[1], "rb").read())
pe = struct.unpack_from("<I", data, 0x3C)[0]
struct.pack_into("<I", data, pe + 24 + 36, int(sys.argv[3], 0))
open(sys.argv[2], "wb").write(data)
