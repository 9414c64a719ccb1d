"""Run by old-glibc.test in a system whose only libraries are Debian 11's
glibc 2.31: what pyox-run's compat layer (tools/pyox-run/GlibcCompat.c)
pins or replaces, used through Python."""
import bz2
import json
import math
import mmap
import os
import stat
import subprocess
import sys
import threading

print("glibc", os.confstr("CS_GNU_LIBC_VERSION"))

# Threads (pthread_create, keys, semaphores) and a lock's timeout
# (sem_clockwait).
seen = []
threads = [threading.Thread(target=seen.append, args=(i,)) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
lock = threading.Lock()
lock.acquire()
print("threads", sorted(seen), lock.acquire(timeout=0.02))

# The program as python3, through the virtual filesystem's exec hook.
child = subprocess.run([sys.executable, "-c", "print(6 * 7)"],
                       capture_output=True, text=True, timeout=60)
print("subprocess", child.stdout.strip(), child.returncode)

# The stat family: outside the program, the compat layer's system calls
# (glibc 2.31 exports no stat); inside, the virtual filesystem.
print("stat", stat.S_ISDIR(os.stat("/app").st_mode),
      stat.S_ISLNK(os.lstat("/lib64/ld-linux-x86-64.so.2").st_mode),
      stat.S_ISREG(os.stat(json.__file__).st_mode),
      os.fstat(os.open("/app", os.O_RDONLY)).st_ino == os.stat("/app").st_ino)

# libm's versions from before 2.29 and 2.35.
print("math", math.pow(2, 10), math.log(8, 2), math.log2(1024),
      math.exp(1), math.hypot(3, 4))

# libutil's openpty and forkpty (the test mounts /dev).
master, slave = os.openpty()
pid, fd = os.forkpty()
if pid == 0:
    os.write(1, b"child\n")
    os._exit(3)
said = os.read(fd, 100).strip().decode()
print("pty", os.isatty(slave), said, os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))

# Extension modules and a carried library (libbz2), loaded from memfds.
import _bz2
import _json
with open("/proc/self/maps") as f:
    memfds = {line.split("memfd:")[1].split()[0] for line in f
              if "memfd:" in line}
print("memfd", sorted(m for m in memfds if "json" in m or "bz2" in m),
      bz2.decompress(bz2.compress(b"pyox" * 100)) == b"pyox" * 100,
      len(mmap.mmap(-1, 4096)))
