"""Run inside a pyox program: `text_pages.py LIST` imports every module
named in LIST, then prints how much of the executable's original text
(.bolt.org.text: what llvm-bolt left in place) is resident
(/proc/self/smaps)."""
import struct
import sys


def sections():
    with open(sys.executable, "rb") as f:
        data = f.read()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
               for i in range(shnum)]
    strtab = headers[shstrndx][4]
    for name, _, _, addr, _, size in headers:
        end = data.index(b"\0", strtab + name)
        yield data[strtab + name:end].decode(), addr, addr + size


def resident(lo, hi):
    # Rss of the mappings that overlap [lo, hi).
    rss, inside = 0, False
    for line in open("/proc/self/smaps"):
        field = line.split()
        if "-" in field[0] and not field[0].endswith(":"):
            start, end = (int(x, 16) for x in field[0].split("-"))
            inside = start < hi and end > lo
        elif inside and field[0] == "Rss:":
            rss += int(field[1])
    return rss


for name in open(sys.argv[1]).read().split():
    try:
        __import__(name)
    except BaseException:
        pass
found = {name: (lo, hi) for name, lo, hi in sections()}
lo, hi = found[".bolt.org.text"]
print(f".bolt.org.text: {resident(lo, hi)} KiB resident of {(hi - lo) >> 10} KiB")
