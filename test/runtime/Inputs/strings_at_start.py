"""Run by a pyox program with mapped code as `-I -S strings_at_start.py
SIZE_FILE`: how many KiB of the shared strings entry (the first of
the payload's mapped code; SIZE_FILE holds its size in bytes, as `list`
shows it) the process has copied (written) once the interpreter has started,
the modules every program imports at start (the codecs') made ready. It
imports nothing that is not built in or deep-frozen, which would make more
modules ready."""
import os
import sys

with open(sys.argv[1]) as f:
    size = int(f.read())
# The mapped code is the program file's last writable mapping (the payload
# follows the template's data); the strings lead it.
exe = os.readlink("/proc/self/exe")
found = []
with open("/proc/self/maps") as maps:
    for line in maps:
        field = line.split()
        if "w" in field[1] and len(field) > 5 and field[5] == exe:
            found.append(int(field[0].split("-")[0], 16))
if not found:
    sys.exit("strings_at_start: no writable mapping of the program")
lo = max(found)
hi = lo + size + 4096
page = 4096
with open("/proc/self/pagemap", "rb") as f:
    f.seek(lo // page * 8)
    data = f.read((hi - lo) // page * 8)
# Present (bit 63) and the process's own copy, not the file's page (bit 61).
copied = sum(data[i * 8 + 7] >> 7 & ~data[i * 8 + 7] >> 5 & 1
             for i in range(len(data) // 8))
print(f"shared strings copied at start: {copied * page // 1024} KiB")
