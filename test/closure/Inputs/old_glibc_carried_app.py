"""Run by old-glibc-carried.test on Debian 11's glibc 2.31: the modules
whose Debian 12 libraries (carried in the payload) need glibc 2.33-2.34
until pyox lowers their version needs (lib/Pack/GlibcLowering.h)."""
import bz2
import ctypes
import hashlib
import lzma
import os
import sqlite3
import ssl

import _hashlib

print("glibc", os.confstr("CS_GNU_LIBC_VERSION"))

# OpenSSL (libssl, libcrypto): a context that loads a PEM bundle, no network.
context = ssl.create_default_context(cafile=os.environ.get("CA_PEM", "/app/ca.pem"))
print("ssl", ssl.OPENSSL_VERSION.split()[0],
      context.cert_store_stats()["x509_ca"] > 0)

# hashlib through OpenSSL's implementations (_hashlib).
print("hashlib", hashlib.new("sha3_256", b"pyox").hexdigest()[:16],
      _hashlib.openssl_sha256(b"pyox").hexdigest()[:16],
      hashlib.sha256(b"pyox").hexdigest()[:16])

# libsqlite3 (its threads, dlopen and math imports).
db = sqlite3.connect(":memory:")
db.execute("create table t (x)")
db.executemany("insert into t values (?)", [(i,) for i in range(10)])
print("sqlite3", db.execute("select sum(x), exp(0) from t").fetchone())

# liblzma, libbz2.
data = b"pyox " * 1000
print("lzma", lzma.decompress(lzma.compress(data)) == data,
      lzma.decompress(lzma.compress(data, check=lzma.CHECK_SHA256)) == data)
print("bz2", bz2.decompress(bz2.compress(data)) == data)

# libffi and _ctypes' dlopen/dlsym.
libc = ctypes.CDLL("libc.so.6")
print("ctypes", libc.strlen(b"pyox"), ctypes.c_int(7).value)

# _multiprocessing's POSIX semaphores (sem_open, sem_getvalue; /dev/shm).
import multiprocessing

semaphore = multiprocessing.Semaphore(2)
semaphore.acquire()
print("multiprocessing", semaphore.get_value(),
      semaphore.acquire(timeout=0.01), semaphore.acquire(timeout=0.01))

# _posixshmem's shm_open and shm_unlink (librt's below glibc 2.34).
from multiprocessing import shared_memory

block = shared_memory.SharedMemory(create=True, size=16)
block.buf[0] = 42
other = shared_memory.SharedMemory(block.name)
print("shared_memory", other.buf[0])
other.close()
block.close()
block.unlink()

# Loaded with RTLD_NOW, so every symbol resolves: readline (libreadline,
# libtinfo), curses (libncursesw), dbm.ndbm (Berkeley DB), _uuid (libuuid).
import _curses
import _uuid
import dbm.ndbm
import readline

with dbm.ndbm.open("/tmp/pyox-ndbm", "n") as db:
    db[b"key"] = b"value"
with dbm.ndbm.open("/tmp/pyox-ndbm", "r") as db:
    print("dbm", db[b"key"].decode())
print("loaded", _curses.__name__, readline.__name__,
      len(_uuid.generate_time_safe()[0]))
