"""Reads an `strace -f` log and fails if, once the program started
(execve of the path given), any shared library outside the policy was
opened or even looked for on the filesystem."""
import re
import sys

POLICY = re.compile(r"^(ld-linux-x86-64\.so\.2|lib(c|m|pthread|dl|rt|util|"
                    r"resolv)\.so\.\d+|libgcc_s\.so\.1)$")
log, program = sys.argv[1], sys.argv[2]
started = False
bad = []
opened = 0
for line in open(log):
    if not started:
        started = f'execve("{program}"' in line
        continue
    m = re.search(r'open(?:at)?\((?:[^,]+, )?"([^"]+)"', line)
    if not m:
        continue
    name = m.group(1).rsplit("/", 1)[-1]
    if not re.search(r"\.so(\.\d+)*$", name) or m.group(1).startswith("/proc/"):
        continue
    opened += 1
    if not POLICY.match(name):
        bad.append(line.strip())
if not started:
    sys.exit(f"{program} was never started")
for b in bad:
    print("outside the policy:", b)
print(f"{opened} library opens, {len(bad)} outside the policy")
sys.exit(1 if bad else 0)
