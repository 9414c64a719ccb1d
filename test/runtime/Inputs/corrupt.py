"""Damages the payload inside a pyox program and runs it, to check that
damage gives a one-line `pyox:` error and exit status 1, or a correct run;
never a crash or a hang.

  corrupt.py version APP        payload claims another Python version
  corrupt.py entry APP NAME     one byte of module NAME's data flipped (of
                                its code as the program imports it: the
                                mapped code when there is some)
  corrupt.py file APP NAME CODE one byte of data file NAME flipped (a
                                resource: ".pyox-libs/libcrypto.so.3"),
                                then APP -c CODE, which prints nothing
  corrupt.py verify-mapped APP N SEED
                                N copies, each with one random byte of
                                mapped code flipped: `pyox-inject verify`
                                must reject every one
  corrupt.py build-id APP       the program's GNU build-id changed, as in
                                another build of the template
  corrupt.py random APP N SEED  N runs, each with one random byte flipped
  corrupt.py mapped APP N SEED  N runs, each with one random byte of the
                                mapped code of a module the check imports
                                flipped: each must be a `damaged` error
  corrupt.py strings APP N SEED N runs with one random byte of the shared
                                strings of mapped code flipped: in its
                                first two chunks (the header; names the
                                check's modules use) each must be a
                                `damaged` error, elsewhere a `damaged`
                                error or a correct run (a chunk no module
                                of the check uses is never read)
"""
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile

CHECK = "import json, decimal; print(json.dumps([1]), decimal.Decimal(2) ** 10)"
GOOD = "[1] 1024\n"


def crc32c(data, crc=0):
    table = crc32c.table
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


crc32c.table = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    crc32c.table.append(c)


def payload_range(app):
    out = subprocess.run(["pyox-inject", "list", app], capture_output=True,
                         text=True, check=True).stdout
    m = re.search(r"at offset (0x[0-9a-f]+), (\d+) bytes", out)
    return int(m.group(1), 16), int(m.group(2))


def entries_begin(blob, base):
    # After the header and the chunk table (docs/format.md), 16-aligned.
    chunks, = struct.unpack_from("<I", blob, base + 56)
    return (64 + 4 * chunks + 15) & ~15


def entries(blob, base):
    count, = struct.unpack_from("<I", blob, base + 24)
    first = entries_begin(blob, base)
    for i in range(count):
        e = struct.unpack_from("<IHBBIHHIIQQ", blob, base + first + 40 * i)
        name = bytes(blob[base + e[0]:base + e[0] + e[1]]).decode()
        yield name, e[2], e[9], e[10]


def run(app, check=CHECK, good=GOOD):
    try:
        r = subprocess.run([app, "-c", check], capture_output=True, text=True,
                           timeout=60)
    except subprocess.TimeoutExpired:
        return "hang"
    lines = r.stderr.splitlines()
    if r.returncode == 0 and r.stdout == good:
        return "ok"
    if r.returncode == 1 and len(lines) == 1 and lines[0].startswith("pyox: "):
        return "error " + lines[0]
    return f"BAD rc={r.returncode} stdout={r.stdout!r} stderr={r.stderr[-300:]!r}"


def run_flipped(path, blob, at, bits):
    """Runs the copy PATH of BLOB with byte AT xor BITS, then restores it."""
    with open(path, "r+b") as f:
        f.seek(at)
        f.write(bytes([blob[at] ^ bits]))
    result = run(path)
    with open(path, "r+b") as f:
        f.seek(at)
        f.write(bytes([blob[at]]))
    return result


def damaged_copy(app, mutate):
    blob = bytearray(open(app, "rb").read())
    base, size = payload_range(app)
    mutate(blob, base, size)
    fd, path = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(app)))
    os.write(fd, blob)
    os.close(fd)
    shutil.copymode(app, path)
    return path


def main():
    mode, app = sys.argv[1], sys.argv[2]
    if mode == "version":
        def mutate(blob, base, size):
            struct.pack_into("<I", blob, base + 16, (3 << 24) | (12 << 16))
            end = base + entries_begin(blob, base)
            crc = crc32c(blob[base + 64:end], crc32c(blob[base:base + 60]))
            struct.pack_into("<I", blob, base + 60, crc)
        path = damaged_copy(app, mutate)
        print(run(path).replace(path, "APP"))
        os.unlink(path)
    elif mode == "build-id":
        def mutate(blob, base, size):
            # NT_GNU_BUILD_ID: namesz 4, descsz 20, type 3, "GNU\0".
            at = blob.index(struct.pack("<III", 4, 20, 3) + b"GNU\0")
            blob[at + 16] ^= 0x01
        path = damaged_copy(app, mutate)
        print(run(path).replace(path, "APP"))
        os.unlink(path)
    elif mode == "entry":
        def mutate(blob, base, size):
            for name, kind, off, n in entries(blob, base):
                if name == sys.argv[3] and kind in (1, 2, 4, 8):
                    blob[base + off + n // 2] ^= 0x40
        path = damaged_copy(app, mutate)
        print(run(path).replace(path, "APP"))
        os.unlink(path)
    elif mode == "file":
        def mutate(blob, base, size):
            for name, kind, off, n in entries(blob, base):
                if name == sys.argv[3] and kind in (6, 7):
                    blob[base + off + n // 2] ^= 0x40
        path = damaged_copy(app, mutate)
        print(run(path, sys.argv[4], "").replace(path, "APP"))
        os.unlink(path)
    elif mode == "verify-mapped":
        runs, rng = int(sys.argv[3]), random.Random(int(sys.argv[4]))
        blob = bytearray(open(app, "rb").read())
        base, size = payload_range(app)
        mapped = [(off, n) for name, kind, off, n in entries(blob, base)
                  if kind == 8]
        begin, end = mapped[0][0], mapped[-1][0] + mapped[-1][1]
        fd, path = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(app)))
        os.close(fd)
        shutil.copy(app, path)
        caught = 0
        for i in range(runs):
            at = base + begin + rng.randrange(end - begin)
            with open(path, "r+b") as f:
                f.seek(at)
                f.write(bytes([blob[at] ^ (1 + rng.randrange(255))]))
            r = subprocess.run(["pyox-inject", "verify", path],
                               capture_output=True, text=True)
            with open(path, "r+b") as f:
                f.seek(at)
                f.write(bytes([blob[at]]))
            if r.returncode == 1 and r.stderr.startswith("pyox-inject: error:"):
                caught += 1
            else:
                print(f"not caught: payload+{at - base:#x}: {r.stdout}{r.stderr}")
        os.unlink(path)
        print("copies", runs, "rejected", caught, "mapped bytes", end - begin)
    elif mode == "mapped":
        runs, rng = int(sys.argv[3]), random.Random(int(sys.argv[4]))
        blob = bytearray(open(app, "rb").read())
        base, size = payload_range(app)
        used = [(name, off, n) for name, kind, off, n in entries(blob, base)
                if kind == 8 and name in (
                    "json", "json.decoder", "json.encoder", "json.scanner",
                    "decimal")]
        fd, path = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(app)))
        os.close(fd)
        shutil.copy(app, path)
        damaged = 0
        for i in range(runs):
            name, off, n = rng.choice(used)
            at = base + off + rng.randrange(n)
            result = run_flipped(path, blob, at, 1 << rng.randrange(8))
            if result.startswith("error ") and "is damaged" in result:
                damaged += 1
            else:
                print(f"flip in {name} at +{at - base - off:#x}: {result}")
        os.unlink(path)
        print("runs", runs, "damaged", damaged, "entries", len(used))
    elif mode == "strings":
        runs, rng = int(sys.argv[3]), random.Random(int(sys.argv[4]))
        blob = bytearray(open(app, "rb").read())
        base, size = payload_range(app)
        (off, n), = [(off, n) for name, kind, off, n in entries(blob, base)
                     if kind == 8 and name == "/strings"]
        chunk = 1 << struct.unpack_from("<I", blob, base + off + 44)[0]
        fd, path = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(app)))
        os.close(fd)
        shutil.copy(app, path)
        counts = {"first": 0, "first damaged": 0, "rest": 0, "rest damaged": 0}
        for i in range(runs):
            where = "first" if i % 2 == 0 else "rest"
            at = base + off + rng.randrange(2 * chunk if where == "first" else n)
            result = run_flipped(path, blob, at, 1 << rng.randrange(8))
            damaged = result.startswith("error ") and "'/strings' is damaged" in result
            counts[where] += 1
            counts[where + " damaged"] += damaged
            if not damaged and (where == "first" or result != "ok"):
                print(f"flip at /strings+{at - base - off:#x}: {result}")
        os.unlink(path)
        print(" ".join(f"{k} {v}" for k, v in counts.items()))
    else:
        runs, rng = int(sys.argv[3]), random.Random(int(sys.argv[4]))
        blob = bytearray(open(app, "rb").read())
        base, size = payload_range(app)
        index_size, = struct.unpack_from("<I", blob, base + 40)
        fd, path = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(app)))
        os.close(fd)
        shutil.copy(app, path)
        counts = {"ok": 0, "error": 0}

        def poke(at, value):  # closed again before the program runs
            with open(path, "r+b") as f:
                f.seek(at)
                f.write(bytes([value]))

        for i in range(runs):
            # Half the flips in the index (header, tables, names), half
            # anywhere in the payload.
            span = index_size if i % 2 == 0 else size
            at = base + rng.randrange(span)
            bit = 1 << rng.randrange(8)
            poke(at, blob[at] ^ bit)
            result = run(path)
            poke(at, blob[at])
            if result.startswith(("BAD", "hang")):
                print(f"flip at payload+{at - base:#x} bit {bit:#x}: {result}")
                counts["bad"] = counts.get("bad", 0) + 1
            else:
                counts[result.split()[0]] += 1
        os.unlink(path)
        print("runs", runs, "bad", counts.get("bad", 0),
              "errors-seen", counts["error"] > 0, "ok-seen", counts["ok"] > 0)


main()
