"""Makes the ad-hoc signature of a thin Mach-O look like a certificate
signature (CS_ADHOC cleared in the CodeDirectory flags), for the warning
test. Usage: set_cert_signature.py IN OUT"""
import struct
import sys

data = bytearray(open(sys.argv[1], "rb").read())
ncmds = struct.unpack_from("<I", data, 16)[0]
off = 32
for _ in range(ncmds):
    cmd, size = struct.unpack_from("<II", data, off)
    if cmd == 0x1D:
        sig = struct.unpack_from("<I", data, off + 8)[0]
    off += size
cd = sig + struct.unpack_from(">I", data, sig + 16)[0]
flags = struct.unpack_from(">I", data, cd + 12)[0]
struct.pack_into(">I", data, cd + 12, flags & ~0x20002)
open(sys.argv[2], "wb").write(data)
