# What a stdlib program uses from the libraries pyox carries, run in a
# system that has only glibc: one line per module.
import sys

cafile = sys.argv[1]

import ssl
ctx = ssl.create_default_context(cafile=cafile)
print("ssl", ssl.OPENSSL_VERSION.split()[0], ctx.cert_store_stats()["x509_ca"])

import hashlib, _hashlib
print("hashlib", hashlib.scrypt(b"pw", salt=b"salt", n=2, r=8, p=1)[:4].hex(),
      _hashlib.openssl_sha256(b"").hexdigest()[:8])

import sqlite3
print("sqlite3", sqlite3.connect(":memory:").execute("select 6*7").fetchone()[0])

import lzma, bz2, zlib
for m in (lzma, bz2, zlib):
    print(m.__name__, m.decompress(m.compress(b"pyox" * 100)) == b"pyox" * 100)

import ctypes
Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int)
print("ctypes", ctypes.CDLL(None).strlen(b"abc"), Callback(lambda x: x * 2)(21))

import uuid
print("uuid", uuid.uuid1().version, uuid._uuid.has_uuid_generate_time_safe in (0, 1))

import readline
print("readline", bool(readline._READLINE_LIBRARY_VERSION))

import curses, curses.panel
print("curses", bool(curses.version))

import dbm.ndbm
with dbm.ndbm.open("/tmp/db", "c") as db:
    db[b"k"] = b"v"
with dbm.ndbm.open("/tmp/db", "r") as db:
    print("dbm", db[b"k"])

import xml.parsers.expat
p = xml.parsers.expat.ParserCreate()
seen = []
p.StartElementHandler = lambda name, attrs: seen.append(name)
p.Parse("<a><b/></a>", True)
print("expat", seen)

import decimal
print("decimal", decimal.Decimal(1) / decimal.Decimal(7))

import yaml
print("yaml", yaml.__with_libyaml__, yaml.load("a: 1", Loader=yaml.CSafeLoader))
