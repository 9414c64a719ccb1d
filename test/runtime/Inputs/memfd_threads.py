"""Which threads made the memfds of the given tree files, from a trace of
`strace -f -e trace=memfd_create` (the runtime names each memfd
"pyox:BASENAME"): prints each name with how many memfds were made for it,
then how many distinct threads made them all.

Usage: memfd_threads.py TRACE NAME...
"""
import re
import sys

made = {}
for line in open(sys.argv[1]):
    m = re.match(r'(\d+) +memfd_create\("pyox:([^"]*)"', line)
    if m:
        made.setdefault(m.group(2), []).append(m.group(1))
names = sys.argv[2:]
threads = {tid for n in names for tid in made.get(n, [])}
print(" ".join(f"{n} x{len(made.get(n, []))}" for n in names),
      f"threads {len(threads)}")
