"""Flips bytes of a payload file, one at a time, and runs `pyox-inject verify`.

Every corrupted copy must be rejected with exit status 1 and a one-line
error; a signal (crash) or exit 0 fails the test. Offsets: every byte of the
header, a spread of random ones (fixed seed) over the whole file, and the
last bytes.
Usage: flip_bytes.py PAYLOAD WORKFILE COUNT
"""
import os
import random
import shutil
import subprocess
import sys

payload, work, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
shutil.copyfile(payload, work)
size = os.path.getsize(work)
rng = random.Random(20261124)
offsets = list(range(64)) + [size - 1, size - 2] + [rng.randrange(size) for _ in range(count)]
failures = []
fd = os.open(work, os.O_RDWR)
try:
    for off in offsets:
        old = os.pread(fd, 1, off)
        flip = bytes([old[0] ^ (1 << rng.randrange(8))])
        os.pwrite(fd, flip, off)
        r = subprocess.run(["pyox-inject", "verify", work], capture_output=True, text=True)
        os.pwrite(fd, old, off)
        lines = r.stderr.strip().splitlines()
        if r.returncode != 1 or len(lines) != 1 or "error:" not in lines[0]:
            failures.append(f"offset {off}: exit {r.returncode}, stderr {r.stderr!r}")
finally:
    os.close(fd)
print(f"flipped {len(offsets)} offsets of {size} bytes; undetected or crashed: {len(failures)}")
for f in failures[:10]:
    print(f)
sys.exit(1 if failures else 0)
