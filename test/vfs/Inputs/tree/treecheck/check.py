"""Prints what the os, io, glob, pathlib and shutil layers say about this
package's own directory, with paths relative to the directory the package
was imported from: the same lines in python3.11 on disk and in a pyox
program (test/vfs/python-views.test)."""
import errno
import glob
import mmap
import os
import pathlib
import shutil
import stat
import sys
import tempfile

import treecheck

PKG = os.path.dirname(treecheck.__file__)
ROOT = os.path.dirname(PKG)


def rel(p):
    p = os.fsdecode(p)
    return "ROOT" + p[len(ROOT):] if p.startswith(ROOT) else p


def err(fn):
    try:
        r = fn()
    except OSError as e:
        return f"{type(e).__name__} {errno.errorcode[e.errno]}"
    return f"ok {r!r}" if not hasattr(r, "close") else (r.close() or "ok")


def kind(st):
    return ("dir" if stat.S_ISDIR(st.st_mode) else "file",
            oct(st.st_mode & 0o777),
            st.st_size if stat.S_ISREG(st.st_mode) else None)


def main(out=None):
    lines = []
    p = lines.append
    d = PKG
    p(f"exists {os.path.exists(d)} isdir {os.path.isdir(d)} "
      f"isfile {os.path.isfile(d + '/data/a.txt')} islink {os.path.islink(d)} "
      f"ismount {os.path.ismount(d)}")
    p(f"__file__ exists {os.path.exists(treecheck.__file__)}")
    p(f"listdir {sorted(os.listdir(d))}")
    with os.scandir(d + "/data") as it:
        entries = sorted(it, key=lambda e: e.name)
    p("scandir " + " ".join(
        f"{e.name}:{'d' if e.is_dir() else 'f'}:{e.inode() == e.stat().st_ino}"
        for e in entries))
    p("walk " + repr([(rel(r), sorted(ds), sorted(fs))
                      for r, ds, fs in os.walk(d + "/data")]))
    p("walk bottom-up " + repr([rel(r) for r, _, _ in
                                os.walk(d + "/data", topdown=False)]))
    p("fwalk " + repr(sorted((rel(r), sorted(ds), sorted(fs))
                             for r, ds, fs, fd in os.fwalk(d + "/data"))))
    p("glob " + repr(sorted(rel(x) for x in glob.glob(d + "/**/*.txt",
                                                      recursive=True))))
    p("glob root_dir " + repr(sorted(glob.glob("*/*", root_dir=d))))
    dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    try:
        p("glob dir_fd " + repr(sorted(glob.glob("data/*", dir_fd=dfd))))
        p("stat dir_fd " + repr(kind(os.stat("data/a.txt", dir_fd=dfd))))
        fd = os.open("data/a.txt", os.O_RDONLY, dir_fd=dfd)
        p(f"open dir_fd {os.read(fd, 100)!r}")
        os.close(fd)
        p("listdir fd " + repr(sorted(os.listdir(dfd))))
        p("access dir_fd " + repr(os.access("data/a.txt", os.R_OK, dir_fd=dfd)))
        p("samestat " + repr(os.path.samestat(os.fstat(dfd), os.stat(d))))
    finally:
        os.close(dfd)
    path = pathlib.Path(d)
    p("pathlib rglob " + repr(sorted(str(x.relative_to(path))
                                     for x in path.rglob("*.txt"))))
    p("pathlib read " + repr((path / "data" / "a.txt").read_text()))
    p("pathlib is_dir " + repr([(path / "data").is_dir(),
                                (path / "data/a.txt").is_file(),
                                (path / "nope").exists()]))
    p("pathlib resolve " + rel(str((path / "data/../templates").resolve())))
    p("realpath " + rel(os.path.realpath(d + "/data/./sub/../a.txt")))
    p("samefile " + repr(os.path.samefile(d + "/data", d + "/templates/../data")))
    p("stat " + repr([kind(os.stat(x)) for x in (d + "/data", d + "/data/a.txt")]))
    p("stat source " + err(lambda: kind(os.stat(d + "/__init__.py"))))
    p("getsize " + repr(os.path.getsize(d + "/data/sub/b.txt")))
    p("access " + repr([os.access(d + "/data/a.txt", m)
                        for m in (os.F_OK, os.R_OK, os.W_OK, os.X_OK)]))
    with open(d + "/data/a.txt", "rb") as f:
        m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        p(f"mmap {m[:]!r} {len(m)}")
        m.close()
        p("fstat==stat " + repr(os.fstat(f.fileno()) == os.stat(f.name)))
        p(f"seek/read {f.seek(2)} {f.read()!r} pread {os.pread(f.fileno(), 3, 1)!r}")
        fd2 = os.dup(f.fileno())
        os.lseek(fd2, 0, 0)
        p(f"dup {os.read(fd2, 2)!r}")
        os.close(fd2)
    p("open dir " + err(lambda: open(d + "/data")))
    p("open missing " + err(lambda: open(d + "/nope.txt")))
    p("open under file " + err(lambda: open(d + "/data/a.txt/x")))
    p("open w " + err(lambda: open(d + "/data/a.txt", "w")))
    p("open x " + err(lambda: open(d + "/data/new.txt", "x")))
    p("mkdir " + err(lambda: os.mkdir(d + "/new")))
    p("makedirs " + err(lambda: os.makedirs(d + "/data/sub", exist_ok=True)))
    p("remove " + err(lambda: os.remove(d + "/data/a.txt")))
    p("rmtree " + err(lambda: shutil.rmtree(d + "/data")))
    p("rename " + err(lambda: os.rename(d + "/data/a.txt", d + "/data/c.txt")))
    p("chmod " + err(lambda: os.chmod(d + "/data/a.txt", 0o600)))
    p("utime " + err(lambda: os.utime(d + "/data/a.txt")))
    p("symlink " + err(lambda: os.symlink("x", d + "/link")))
    p("listxattr " + err(lambda: os.listxattr(d + "/data/a.txt")))
    p("getxattr " + err(lambda: os.getxattr(d + "/data/a.txt", "user.x")))
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(d + "/data/a.txt", tmp)
        shutil.copy2(d + "/data/sub/b.txt", tmp)
        shutil.copytree(d, tmp + "/copy")
        p("copied " + repr(sorted(os.listdir(tmp))) + " " +
          repr(sorted(os.path.relpath(os.path.join(r, f), tmp)
                      for r, _, fs in os.walk(tmp + "/copy") for f in fs)))
        p("copy mode " + oct(os.stat(tmp + "/a.txt").st_mode & 0o777))
        p("copied bytes " + repr(open(tmp + "/copy/data/sub/b.txt").read()))
    text = "\n".join(lines) + "\n"
    if out:
        with open(out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
