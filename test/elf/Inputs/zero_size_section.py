"""Points a section of an ELF64 file at OFFSET with size 0: zero-size
sections may sit anywhere, inside an old payload segment too.

Usage: zero_size_section.py IN OUT SECTION OFFSET_OF_SECTION [DELTA]
(the section named SECTION gets the offset of section OFFSET_OF_SECTION
plus DELTA)."""
import struct
import sys

src, dst, name, where = sys.argv[1:5]
delta = int(sys.argv[5], 0) if len(sys.argv) > 5 else 0
b = bytearray(open(src, "rb").read())
shoff, = struct.unpack_from("<Q", b, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from("<HHH", b, 0x3A)


def header(i):
    return shoff + i * shentsize


str_off, = struct.unpack_from("<Q", b, header(shstrndx) + 0x18)


def name_of(i):
    n, = struct.unpack_from("<I", b, header(i))
    return b[str_off + n:b.index(0, str_off + n)].decode()


names = {name_of(i): i for i in range(shnum)}
target, = struct.unpack_from("<Q", b, header(names[where]) + 0x18)
struct.pack_into("<QQ", b, header(names[name]) + 0x18, target + delta, 0)
open(dst, "wb").write(b)
