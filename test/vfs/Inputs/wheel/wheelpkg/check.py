"""Native libraries and data formats read from a package's own directory:
the same lines in python3.11 on disk and in a pyox program
(test/vfs/native.test)."""
import ctypes
import mmap
import os
import sqlite3
import ssl
import tarfile
import zipfile

import wheelpkg

D = os.path.dirname(wheelpkg.__file__)


def main():
    print("extension with vendored libraries", wheelpkg.value())
    lib = ctypes.CDLL(os.path.join(D, "libplain.so"))
    print("ctypes.CDLL", lib.plain_add(2, 3))
    ctx = ssl.create_default_context(cafile=os.path.join(D, "data", "ca.pem"))
    print("ssl cafile", ctx.cert_store_stats())
    con = sqlite3.connect(f"file:{D}/data/app.db?mode=ro", uri=True)
    print("sqlite3", con.execute("select name, n from t order by n").fetchall())
    try:
        con.execute("insert into t values ('x', 9)")
        print("sqlite3 write: allowed")
    except sqlite3.OperationalError as e:
        print("sqlite3 write:", e)
    con.close()
    with zipfile.ZipFile(os.path.join(D, "data", "bundle.zip")) as z:
        print("zipfile", sorted(z.namelist()), z.read("a.txt"))
    with tarfile.open(os.path.join(D, "data", "bundle.tar.gz")) as t:
        print("tarfile", sorted(t.getnames()), t.extractfile("a.txt").read())
    with open(os.path.join(D, "data", "app.db"), "rb") as f:
        m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        print("mmap", m[:16], len(m) == os.path.getsize(f.name))
        m.close()
