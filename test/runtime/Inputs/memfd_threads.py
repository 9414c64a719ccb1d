"""What a trace of `strace -f -e trace=memfd_create,clone,clone3` shows of
the runtime's memfds (named "pyox:BASENAME") for the given tree files:
prints each name with how many memfds were made for it, then how many
threads the program started. Which thread makes which memfd is left to the
scheduler, so it is not printed.

Usage: memfd_threads.py TRACE NAME...
"""
import re
import sys

made = {}
started = 0
for line in open(sys.argv[1]):
    m = re.match(r'\d+ +memfd_create\("pyox:([^"]*)"', line)
    if m:
        made[m.group(1)] = made.get(m.group(1), 0) + 1
    elif re.match(r"\d+ +clone3?\(", line) and "CLONE_THREAD" in line:
        started += 1  # a thread, not a process (fork)
print(" ".join(f"{n} x{made.get(n, 0)}" for n in sys.argv[2:]),
      f"threads started {started}")
