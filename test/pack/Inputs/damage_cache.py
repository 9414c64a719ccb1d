"""Damages three compile-cache entries under DIR, three ways.

Entries are DIR/v*/KK/KEY files; the bytecode-magic entry (60 bytes) is left
alone, so every damaged entry is one a pack looks up. In name order: the
first gets one data byte flipped, the second is cut short, the third gets
the (intact) contents of the fourth, stored under another key.
Usage: damage_cache.py DIR
"""
import glob
import os
import sys

entries = sorted(p for p in glob.glob(os.path.join(sys.argv[1], "v*", "??", "*"))
                 if os.path.getsize(p) > 100 and not os.path.basename(p).startswith("tmp-"))
if len(entries) < 4:
    sys.exit(f"need 4 entries, found {len(entries)}")
flip, cut, wrong, source = entries[:4]
with open(flip, "r+b") as f:
    f.seek(-1, os.SEEK_END)
    b = f.read(1)
    f.seek(-1, os.SEEK_END)
    f.write(bytes([b[0] ^ 0x01]))
with open(cut, "r+b") as f:
    f.truncate(os.path.getsize(cut) - 7)
with open(source, "rb") as f, open(wrong, "wb") as g:
    g.write(f.read())
print("damaged 3 entries")
