"""8 threads open, list, stat and read files of the tree while another
thread forks (children use the tree, then exit) and runs subprocesses
(fork/vfork + exec). Everything is bounded: a fixed number of rounds, a
fixed number of children. Prints a summary that is the same on every run.

Usage: stress.py PACKAGE_DIR FILE_COUNT"""
import os
import subprocess
import sys
import threading

pkg, count = sys.argv[1], int(sys.argv[2])
names = [f"f{i:03}.txt" for i in range(count)]
errors = []
start = threading.Barrier(9)


def reader(k):
    start.wait()
    try:
        for r in range(3):
            # Every thread walks the files in another order, so that the
            # first opens of each file (which make its memfd) race.
            for n in names[k::2] + names[:k:-1]:
                p = os.path.join(pkg, "data", n)
                with open(p) as f:
                    if f.read() != n + "\n":
                        errors.append(f"bad content {n}")
                st = os.stat(p)
                fd = os.open(p, os.O_RDONLY)
                if os.fstat(fd).st_ino != st.st_ino:
                    errors.append(f"fstat differs {n}")
                os.close(fd)
            if sorted(os.listdir(os.path.join(pkg, "data"))) != names:
                errors.append("bad listing")
            if len([1 for _ in os.walk(pkg)]) != 2:
                errors.append("bad walk")
    except Exception as e:  # reported, not raised in a thread
        errors.append(f"thread {k}: {e!r}")


def forker():
    start.wait()
    children = 0
    for i in range(12):
        pid = os.fork()
        if pid == 0:
            ok = (os.path.isdir(pkg) and
                  open(os.path.join(pkg, "data", names[i])).read() == names[i] + "\n")
            os._exit(0 if ok else 3)
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            errors.append(f"fork child {i}: {status}")
        children += 1
        r = subprocess.run(["/bin/cat", "/proc/self/comm"],
                           capture_output=True, cwd="/", timeout=30)
        if r.returncode != 0:
            errors.append(f"subprocess {i}: {r.returncode}")
        children += 1
    return children


threads = [threading.Thread(target=reader, args=(k,)) for k in range(8)]
for t in threads:
    t.start()
children = forker()
for t in threads:
    t.join()
print(f"threads 8, files {count}, children {children}, errors {len(errors)}")
for e in errors[:10]:
    print("error:", e)
