"""Prints what test/coff/Inputs/host.c prints for a payload file."""
import sys
import zlib

data = open(sys.argv[1], "rb").read()
print("payload %d bytes crc32 %08x" % (len(data), zlib.crc32(data)))
