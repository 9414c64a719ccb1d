"""Makes ROOT a system whose only libraries are Debian 11's libc6 (glibc
2.31) and the other bullseye PACKAGEs given (libgcc-s1): each is
downloaded once from deb.debian.org into CACHE (its path and checksum read
from bullseye's package index), checked against that SHA256, and unpacked
with dpkg-deb. ROOT also gets /lib64's loader link, /tmp, an empty /proc to
mount and /app for the programs.

    old_glibc.py CACHE ROOT [PACKAGE...]

Exits 1 with one line when a package cannot be had."""
import glob
import hashlib
import lzma
import os
import subprocess
import sys
import urllib.request

# Bullseye moves to archive.debian.org once its support ends.
MIRRORS = ["http://deb.debian.org/debian/", "http://archive.debian.org/debian/"]
INDEX = "dists/bullseye/main/binary-amd64/Packages.xz"


def fetch(url):
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


INDEXES = {}  # the mirror that has bullseye: its package index, read once


def stanza(package):
    """The mirror that has bullseye, and PACKAGE's fields in its index."""
    if not INDEXES:
        for mirror in MIRRORS:
            try:
                INDEXES[mirror] = lzma.decompress(
                    fetch(mirror + INDEX)).decode()
                break
            except OSError as e:
                error = e
        else:
            raise error
    (mirror, text), = INDEXES.items()
    for entry in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in entry.splitlines()
                      if ": " in line and not line.startswith(" "))
        if fields.get("Package") == package:
            return mirror, fields
    sys.exit(f"old_glibc.py: {mirror + INDEX}: no {package} package")


def cached_deb(cache, package, version_glob):
    found = sorted(glob.glob(os.path.join(
        cache, f"{package}_{version_glob}_amd64.deb")))
    if found:
        return found[-1]
    mirror, fields = stanza(package)
    data = fetch(mirror + fields["Filename"])
    if hashlib.sha256(data).hexdigest() != fields["SHA256"]:
        sys.exit(f"old_glibc.py: {fields['Filename']}: SHA256 mismatch")
    os.makedirs(cache, exist_ok=True)
    path = os.path.join(cache, os.path.basename(fields["Filename"]))
    with open(path + ".part", "wb") as f:
        f.write(data)
    os.replace(path + ".part", path)
    return path


cache, root = sys.argv[1], sys.argv[2]
for package, version_glob in [("libc6", "2.31-*")] + [
        (p, "*") for p in sys.argv[3:]]:
    try:
        deb = cached_deb(cache, package, version_glob)
    except OSError as e:
        sys.exit(f"old_glibc.py: cannot download Debian 11's {package}: {e}")
    subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
for d in ("lib64", "tmp", "proc", "app"):
    os.makedirs(os.path.join(root, d), exist_ok=True)
loader = os.path.join(root, "lib64", "ld-linux-x86-64.so.2")
if not os.path.lexists(loader):
    os.symlink("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", loader)
