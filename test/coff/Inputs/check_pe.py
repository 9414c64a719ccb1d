"""Checks the PE headers pyox-inject rewrites, independently of it.

Recomputes the CheckSum (the imagehlp algorithm), checks that SizeOfImage
covers the last section, that SizeOfInitializedData counts .pyox, that the
certificate table is gone, and prints the .pyox section header for FileCheck.

Usage: check_pe.py FILE
"""
import struct
import sys

data = open(sys.argv[1], "rb").read()
pe = struct.unpack_from("<I", data, 0x3C)[0]
assert data[pe:pe + 4] == b"PE\0\0"
nsec, = struct.unpack_from("<H", data, pe + 6)
optsize, = struct.unpack_from("<H", data, pe + 20)
opt = pe + 24
magic, = struct.unpack_from("<H", data, opt)
init_data, = struct.unpack_from("<I", data, opt + 8)
sec_align, file_align, = struct.unpack_from("<II", data, opt + 32)
size_image, size_headers, checksum = struct.unpack_from("<III", data, opt + 56)
dirs = opt + (112 if magic == 0x20B else 96)
cert_off, cert_size = struct.unpack_from("<II", data, dirs + 8 * 4)

s = 0
for i in range(0, len(data), 2):
    if opt + 64 <= i < opt + 68:
        continue
    s += data[i] | (data[i + 1] << 8 if i + 1 < len(data) else 0)
    s = (s & 0xFFFF) + (s >> 16)
s = (s & 0xFFFF) + (s >> 16)
want = (s + len(data)) & 0xFFFFFFFF
if want != checksum:
    sys.exit("FAIL: CheckSum 0x%x, computed 0x%x" % (checksum, want))

table = opt + optsize
end = 0
pyox = None
for i in range(nsec):
    name, vsize, va, rawsize, rawptr = struct.unpack_from("<8sIIII", data, table + 40 * i)
    chars, = struct.unpack_from("<I", data, table + 40 * i + 36)
    end = max(end, va + max(vsize, 1))
    if name.rstrip(b"\0") == b".pyox":
        pyox = (i, vsize, va, rawsize, rawptr, chars)
        if i != nsec - 1:
            sys.exit("FAIL: .pyox is not the last section")
        if rawptr + rawsize > len(data) or rawptr % file_align or va % sec_align:
            sys.exit("FAIL: .pyox raw data or address misplaced")
if table + 40 * nsec > size_headers:
    sys.exit("FAIL: the section table overruns SizeOfHeaders")
if size_image != (end + sec_align - 1) // sec_align * sec_align:
    sys.exit("FAIL: SizeOfImage 0x%x, sections end at 0x%x" % (size_image, end))
if cert_off or cert_size:
    sys.exit("FAIL: a certificate table is still there")
print("checksum ok, %d sections, SizeOfInitializedData 0x%x" % (nsec, init_data))
if pyox:
    print(".pyox index %d vsize 0x%x rawsize 0x%x characteristics 0x%x" %
          (pyox[0], pyox[1], pyox[3], pyox[5]))
else:
    print("no .pyox")
