"""Computes a program's glibc floor the way a person would, with readelf:
the highest GLIBC_x.y among the version needs (readelf -V) of every file
given, and prints it beside the floor `build` reported (its summary line,
in the file given first)."""
import re
import subprocess
import sys

summary = open(sys.argv[1]).read()
reported = re.search(r"glibc floor (\S+)", summary).group(1)
floor = (0, 0)
for path in sys.argv[2:]:
    with open(path, "rb") as f:
        if f.read(4) != b"\x7fELF":
            continue
    out = subprocess.run(["readelf", "-V", "-W", path], capture_output=True,
                         text=True, check=True).stdout
    for major, minor in re.findall(r"\bGLIBC_(\d+)\.(\d+)", out):
        floor = max(floor, (int(major), int(minor)))
print(f"build {reported} readelf {floor[0]}.{floor[1]}")
