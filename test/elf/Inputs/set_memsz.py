"""Writes a copy of a 64-bit little-endian ELF file whose writable PT_LOAD
has p_memsz set so that the segment ends at END (an address near the top of
the address space, as a fuzzer made one). Usage: set_memsz.py IN OUT END"""
import struct
import sys

data = bytearray(open(sys.argv[1], "rb").read())
phoff, = struct.unpack_from("<Q", data, 32)
phentsize, phnum = struct.unpack_from("<HH", data, 54)
for i in range(phnum):
    at = phoff + i * phentsize
    p_type, p_flags = struct.unpack_from("<II", data, at)
    if p_type == 1 and p_flags & 2:  # PT_LOAD, PF_W
        vaddr, = struct.unpack_from("<Q", data, at + 16)
        struct.pack_into("<Q", data, at + 40, int(sys.argv[3], 0) - vaddr)
open(sys.argv[2], "wb").write(data)
