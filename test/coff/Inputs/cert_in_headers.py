"""Makes a malformed PE image whose attribute certificate table starts at
offset 0, inside the headers, and whose sections have no raw data, so that
nothing in the file contradicts it: an injector that cut the file at the
certificate would cut its own headers. Usage: cert_in_headers.py IN OUT"""
import struct
import sys

data = bytearray(open(sys.argv[1], "rb").read())
pe = struct.unpack_from("<I", data, 0x3C)[0]
nsections, = struct.unpack_from("<H", data, pe + 6)
opt_size, = struct.unpack_from("<H", data, pe + 20)
opt = pe + 24
magic, = struct.unpack_from("<H", data, opt)
dirs = opt + (112 if magic == 0x20B else 96)
struct.pack_into("<II", data, dirs + 8 * 4, 0, 8)
table = opt + opt_size
for i in range(nsections):
    struct.pack_into("<I", data, table + 40 * i + 16, 0)  # SizeOfRawData
open(sys.argv[2], "wb").write(data)
