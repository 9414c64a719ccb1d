"""Reads an `strace -f` log and fails if, once the program started
(execve of the path given), any shared library outside the policy was
opened or even looked for on the filesystem.

With a system copies table (`.pyox-system-copies`, extracted from the
program), the runtime's look for each object's system copy, at exactly the
path the table names, is allowed and counted apart: it must have failed
(the chroot has no such file), so the copy in memory was used.
Usage: check_trace.py LOG PROGRAM [TABLE]"""
import re
import sys

POLICY = re.compile(r"^(ld-linux-x86-64\.so\.2|lib(c|m|pthread|dl|rt|util|"
                    r"resolv)\.so\.\d+|libgcc_s\.so\.1)$")
log, program = sys.argv[1], sys.argv[2]
copies = set()
if len(sys.argv) > 3:
    copies = {line.split("\t")[1] for line in open(sys.argv[3])}
started = False
bad = []
opened = looked = 0
for line in open(log):
    if not started:
        started = f'execve("{program}"' in line
        continue
    m = re.search(r'open(?:at)?\((?:[^,]+, )?"([^"]+)"', line)
    if not m:
        continue
    path = m.group(1)
    if path in copies:
        looked += 1
        if not re.search(r"\) = -1 ENOENT", line):
            bad.append(line.strip())
        continue
    name = path.rsplit("/", 1)[-1]
    if not re.search(r"\.so(\.\d+)*$", name) or path.startswith("/proc/"):
        continue
    opened += 1
    if not POLICY.match(name):
        bad.append(line.strip())
if not started:
    sys.exit(f"{program} was never started")
for b in bad:
    print("outside the policy:", b)
print(f"{opened} library opens, {len(bad)} outside the policy"
      + (f"; {looked} system copies looked for" if copies else ""))
sys.exit(1 if bad else 0)
