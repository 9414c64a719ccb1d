"""Makes and reads the record of the payload formats a binary reads
(runtime/include/pyox/format_record.h), for format-record.test.

  format_record.py show SECTION      the record in SECTION (the bytes of
                                     .pyox_formats)
  format_record.py write LO HI OUT   a record reading LO to HI (each N,
                                     N+M or N-M)
  format_record.py badmagic OUT      a record whose magic is wrong
"""
import re
import struct
import sys


def number(spec):
    m = re.fullmatch(r"(\d+)([+-]\d+)?", spec)
    return int(m.group(1)) + int(m.group(2) or 0)


command = sys.argv[1]
if command == "show":
    magic, size, first, last = struct.unpack_from(
        "<8sIII", open(sys.argv[2], "rb").read())
    print("record %s size %d reads %d to %d" % (magic.decode(), size, first, last))
elif command == "write":
    open(sys.argv[4], "wb").write(struct.pack(
        "<8sIII", b"PYOXFMTS", 20, number(sys.argv[2]), number(sys.argv[3])))
elif command == "badmagic":
    open(sys.argv[2], "wb").write(struct.pack("<8sIII", b"PYOXFMT?", 20, 1, 1))
else:
    sys.exit("unknown command " + command)
