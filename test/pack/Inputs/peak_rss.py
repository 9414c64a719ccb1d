"""Runs a command and fails unless its peak RSS stays under a limit.

Usage: peak_rss.py LIMIT_MIB COMMAND... (the command's output is discarded;
its exit status must be 0). Prints the peak in MiB either way.
"""
import os
import subprocess
import sys

limit = float(sys.argv[1])
proc = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
if os.waitstatus_to_exitcode(status) != 0:
    sys.exit(f"peak_rss.py: {sys.argv[2]} failed")
peak = usage.ru_maxrss / 1024
print(f"peak RSS {peak:.0f} MiB (limit {limit:.0f})")
sys.exit(0 if peak < limit else 1)
