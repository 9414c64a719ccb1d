"""Recomputes the code signature of every slice of a Mach-O file.

For each slice: finds LC_CODE_SIGNATURE, parses the SuperBlob and its
CodeDirectory (big-endian, Apple's cs_blobs.h), and checks that the
signature covers exactly the bytes before it (codeLimit == dataoff), that
there is one SHA-256 hash per 4 KiB page of [0, codeLimit) and that each one
matches, and that the special slots match their blobs. Prints one line per
slice for FileCheck; exits 1 on the first mismatch.

Usage: check_signature.py FILE
"""
import hashlib
import struct
import sys

LC_SEGMENT_64 = 0x19
LC_CODE_SIGNATURE = 0x1D
CPU_NAMES = {0x01000007: "x86_64", 0x0100000C: "arm64"}


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check_slice(data):
    magic, cputype, _, filetype, ncmds, sizeofcmds = struct.unpack_from("<IiiIII", data, 0)
    if magic != 0xFEEDFACF:
        fail("not a 64-bit Mach-O slice")
    arch = CPU_NAMES.get(cputype, hex(cputype))
    off = 32
    sig = None
    text = None
    for _ in range(ncmds):
        cmd, size = struct.unpack_from("<II", data, off)
        if cmd == LC_CODE_SIGNATURE:
            sig = struct.unpack_from("<II", data, off + 8)
        if cmd == LC_SEGMENT_64 and data[off + 8:off + 24].rstrip(b"\0") == b"__TEXT":
            text = struct.unpack_from("<QQ", data, off + 40)  # fileoff, filesize
        off += size
    if sig is None:
        return "%s: unsigned" % arch
    dataoff, datasize = sig
    if dataoff % 16 or dataoff + datasize != len(data):
        fail("%s: signature at %d+%d, file %d" % (arch, dataoff, datasize, len(data)))
    blob = data[dataoff:dataoff + datasize]
    smagic, slen, count = struct.unpack_from(">III", blob, 0)
    if smagic != 0xFADE0CC0 or slen > datasize:
        fail("%s: bad SuperBlob" % arch)
    blobs = {}
    for i in range(count):
        typ, boff = struct.unpack_from(">II", blob, 12 + 8 * i)
        blen = struct.unpack_from(">I", blob, boff + 4)[0]
        blobs[typ] = blob[boff:boff + blen]
    cd = blobs.get(0)
    if cd is None:
        fail("%s: no CodeDirectory" % arch)
    (cmagic, clen, version, flags, hash_off, ident_off, nspecial, ncode,
     code_limit, hash_size, hash_type, platform, page_shift) = struct.unpack_from(
         ">IIIIIIIIIBBBB", cd, 0)
    exec_base, exec_limit, exec_flags = struct.unpack_from(">QQQ", cd, 64)
    if cmagic != 0xFADE0C02 or version != 0x20400:
        fail("%s: CodeDirectory magic %x version %x" % (arch, cmagic, version))
    if hash_type != 2 or hash_size != 32 or page_shift != 12:
        fail("%s: not SHA-256 over 4 KiB pages" % arch)
    if code_limit != dataoff:
        fail("%s: codeLimit %d != signature offset %d" % (arch, code_limit, dataoff))
    page = 1 << page_shift
    if ncode != (code_limit + page - 1) // page:
        fail("%s: %d code slots for %d bytes" % (arch, ncode, code_limit))
    for i in range(ncode):
        want = hashlib.sha256(data[i * page:min((i + 1) * page, code_limit)]).digest()
        got = cd[hash_off + 32 * i:hash_off + 32 * (i + 1)]
        if want != got:
            fail("%s: page %d hash mismatch" % (arch, i))
    for slot, b in blobs.items():
        if 1 <= slot <= 7:
            got = cd[hash_off - 32 * slot:hash_off - 32 * (slot - 1)]
            if hashlib.sha256(b).digest() != got:
                fail("%s: special slot %d hash mismatch" % (arch, slot))
    if text and (exec_base, exec_limit) != text:
        fail("%s: exec segment %s != __TEXT %s" % (arch, (exec_base, exec_limit), text))
    ident = cd[ident_off:cd.index(b"\0", ident_off)].decode()
    kinds = []
    if flags & 0x2:
        kinds.append("adhoc")
    if flags & 0x20000:
        kinds.append("linker-signed")
    return "%s: %d pages OK, %s, identifier %s" % (arch, ncode, "+".join(kinds) or "not-adhoc", ident)


def main():
    data = open(sys.argv[1], "rb").read()
    magic = struct.unpack_from(">I", data, 0)[0]
    if magic == 0xCAFEBABE:
        n = struct.unpack_from(">I", data, 4)[0]
        for i in range(n):
            _, _, off, size, _ = struct.unpack_from(">iiIII", data, 8 + 20 * i)
            print(check_slice(data[off:off + size]))
    else:
        print(check_slice(data))


main()
