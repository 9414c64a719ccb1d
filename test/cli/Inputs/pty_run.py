"""Runs a command with its stdout and stderr on a pseudo-terminal and
prints what it wrote there, with the control characters a progress line
uses made visible: carriage return as <CR>, erase-line (ESC [ K) as <EL>,
any other escape as <ESC>. Exits with the command's status. The command
is bounded by a 120 s timeout.

usage: pty_run.py COMMAND [ARG]...
"""
import os
import pty
import select
import subprocess
import sys
import time

master, slave = pty.openpty()
proc = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL,
                        stdout=slave, stderr=slave, close_fds=True)
os.close(slave)
out = bytearray()
deadline = time.monotonic() + 120
while True:
    left = deadline - time.monotonic()
    if left <= 0:
        proc.kill()
        sys.exit("pty_run.py: timed out")
    ready, _, _ = select.select([master], [], [], left)
    if not ready:
        continue
    try:
        data = os.read(master, 65536)
    except OSError:  # EIO: every writer has closed the terminal
        break
    if not data:
        break
    out += data
status = proc.wait()
text = out.decode("utf-8", "replace")
# The terminal turns "\n" into "\r\n" (onlcr): that is not ours.
text = text.replace("\r\n", "\n")
text = text.replace("\r", "<CR>").replace("\x1b[K", "<EL>").replace("\x1b", "<ESC>")
sys.stdout.write(text)
sys.exit(status)
