# Reads --host-data files under sys.argv[1] after they were removed.
import errno
import os
import sys

base = sys.argv[1]
print("read", open(f"{base}/data/sub/f.txt").read().strip(),
      open(f"{base}/one.txt").read().strip())
print("list", sorted(os.listdir(f"{base}/data")), os.listdir(f"{base}/data/sub"))
print("link", open(f"{base}/data/link.txt").read().strip())
print("outside", os.path.exists(f"{base}/data/../one.txt.not"))
try:
    open(f"{base}/data/new.txt", "w")
except OSError as e:
    print("write", errno.errorcode[e.errno])
