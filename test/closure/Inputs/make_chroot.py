"""Makes ROOT a system with only the libraries of pyox's policy
(lib/Pack/SharedLibraries.cpp): the dynamic loader and glibc's libraries
plus libgcc_s, copied from the host; /tmp, an empty /proc to mount, and
/app for the program."""
import os
import shutil
import sys

POLICY = ["libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2",
          "librt.so.1", "libutil.so.1", "libresolv.so.2", "libgcc_s.so.1"]
root = sys.argv[1]
libdir = "/lib/x86_64-linux-gnu"
for d in ("lib64", libdir[1:], "tmp", "proc", "app"):
    os.makedirs(os.path.join(root, d), exist_ok=True)
shutil.copy("/lib64/ld-linux-x86-64.so.2", os.path.join(root, "lib64"))
for name in POLICY:
    shutil.copy(os.path.join(libdir, name), os.path.join(root, libdir[1:]))
