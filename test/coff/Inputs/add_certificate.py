"""Gives a PE image an attribute certificate table, as signtool would (a
WIN_CERTIFICATE at the end of the file, 8-byte aligned, named by data
directory 4), with dummy PKCS#7 bytes: enough for the injector to find and
drop it. Usage: add_certificate.py IN OUT"""
import struct
import sys

data = bytearray(open(sys.argv[1], "rb").read())
data += b"\0" * (-len(data) % 8)
pe = struct.unpack_from("<I", data, 0x3C)[0]
opt = pe + 24
magic, = struct.unpack_from("<H", data, opt)
dirs = opt + (112 if magic == 0x20B else 96)
cert = struct.pack("<IHH", 8 + 64, 0x200, 2) + b"\x30" * 64
struct.pack_into("<II", data, dirs + 8 * 4, len(data), len(cert))
data += cert
open(sys.argv[2], "wb").write(data)
