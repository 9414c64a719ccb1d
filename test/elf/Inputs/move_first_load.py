"""Writes a copy of a 64-bit little-endian ELF file whose first PT_LOAD has
p_offset OFF while its p_vaddr stays (as a fuzzer made one), padding the file
so that the segment still lies inside it. Usage: move_first_load.py IN OUT OFF"""
import struct
import sys

data = bytearray(open(sys.argv[1], "rb").read())
off = int(sys.argv[3], 0)
phoff, = struct.unpack_from("<Q", data, 32)
phentsize, phnum = struct.unpack_from("<HH", data, 54)
for i in range(phnum):
    at = phoff + i * phentsize
    if struct.unpack_from("<I", data, at)[0] == 1:  # the first PT_LOAD
        filesz, = struct.unpack_from("<Q", data, at + 32)
        struct.pack_into("<Q", data, at + 8, off)
        data += b"\0" * max(0, off + filesz - len(data))
        break
open(sys.argv[2], "wb").write(data)
