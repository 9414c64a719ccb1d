"""Run inside a pyox program; measures what of its own executable is
resident (/proc/self/smaps) while it imports every module named in LIST.

`resident.py payload LIST BOUND_KIB`: at the start of each import, how much
of the payload section (.pyox) is resident; prints the largest figure
against BOUND_KIB, and whether the payload's data pages carry the
random-read advice (VmFlags "rr") at the last imports.

`resident.py old-text LIST [BOUND_KIB]`: after the imports, how much of
the original text llvm-bolt left in place (.bolt.org.text) is resident,
page by page.

`resident.py cold-text LIST [BOUND_KIB]`: likewise for the text llvm-bolt
lays out after the profiled functions (.text.cold): each function run
there maps a 64 KiB block of the file (fault-around).

`resident.py mapped-clean LIST BOUND_KIB`: after the imports, how much of
the payload's mapped code (its writable mappings) is resident as the file's
own pages rather than the process's copies: pages mapped by reads that
nothing gives back (fault-around), against BOUND_KIB."""
import struct
import sys


def section(wanted):
    # [start, end) of section WANTED of the executable, from its ELF section
    # headers (the template is not position-independent: addresses are
    # absolute).
    with open(sys.executable, "rb") as f:
        data = f.read()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
               for i in range(shnum)]
    strtab = headers[shstrndx][4]
    for name, _, _, addr, _, size in headers:
        end = data.index(b"\0", strtab + name)
        if data[strtab + name:end] == wanted.encode():
            return addr, addr + size
    sys.exit(f"resident: no {wanted} section in {sys.executable}")


def resident(lo, hi):
    # Rss of the mappings that overlap [lo, hi), and whether each has the
    # random-read advice.
    rss, advice, inside = 0, [], False
    for line in open("/proc/self/smaps"):
        field = line.split()
        if "-" in field[0] and not field[0].endswith(":"):
            start, end = (int(x, 16) for x in field[0].split("-"))
            inside = start < hi and end > lo
        elif inside and field[0] == "Rss:":
            rss += int(field[1])
        elif inside and field[0] == "VmFlags:":
            advice.append("rr" in field[1:])
    return rss, advice


def writable(lo, hi):
    # The writable mappings overlapping [lo, hi): where mapped code is.
    found = []
    for line in open("/proc/self/maps"):
        field = line.split()
        start, end = (int(x, 16) for x in field[0].split("-"))
        if start < hi and end > lo and "w" in field[1]:
            found.append((max(start, lo), min(end, hi)))
    return found


PRESENT, FILE_PAGE = 1 << 63, 1 << 61  # /proc/self/pagemap bits


def pages_kib(lo, hi, bits=PRESENT):
    # KiB of [lo, hi)'s pages with all of BITS set in /proc/self/pagemap,
    # page by page: present (the old text may share its mapping with the
    # new one, BOLT reusing the original .text's place when the new code
    # fits there, so a mapping's Rss would count both); with FILE_PAGE too,
    # present and still the file's page (read, not copied).
    page = 4096
    first, last = lo // page, (hi + page - 1) // page
    with open("/proc/self/pagemap", "rb") as f:
        f.seek(first * 8)
        data = f.read((last - first) * 8)
    count = 0
    for i in range(last - first):
        entry, = struct.unpack_from("<Q", data, i * 8)
        count += entry & bits == bits
    return count * page // 1024


def import_all(names):
    for name in names:
        try:
            __import__(name)
        except BaseException:
            pass


mode, names = sys.argv[1], open(sys.argv[2]).read().split()
if mode == "payload":
    lo, hi = section(".pyox")
    worst, advised = [0, ""], []

    def hook(event, args):
        if event == "import":
            rss, advice = resident(lo, hi)
            advised.append(any(advice))
            if rss > worst[0]:
                worst[:] = [rss, args[0]]

    sys.addaudithook(hook)
    import_all(names)
    bound = int(sys.argv[3])
    print(f"imports: {len(advised)}; most payload resident: {worst[0]} KiB "
          f"(importing {worst[1]}); within {bound} KiB: {worst[0] <= bound}")
    print("random-read advice on the data pages:",
          bool(advised) and all(advised[-10:]))
elif mode in ("old-text", "cold-text"):
    import_all(names)
    name = ".bolt.org.text" if mode == "old-text" else ".text.cold"
    lo, hi = section(name)
    kib = pages_kib(lo, hi)
    line = f"{name}: {kib} KiB resident of {(hi - lo) >> 10} KiB"
    if len(sys.argv) > 3:
        bound = int(sys.argv[3])
        line += f"; within {bound} KiB: {kib <= bound}"
    print(line)
elif mode == "mapped-clean":
    import_all(names)
    lo, hi = section(".pyox")
    areas = writable(lo, hi)
    clean = sum(pages_kib(a, b, PRESENT | FILE_PAGE) for a, b in areas)
    size = sum(b - a for a, b in areas) >> 10
    bound = int(sys.argv[3])
    print(f"mapped code: {size} KiB; the file's pages resident: {clean} KiB;"
          f" within {bound} KiB: {clean <= bound}")
else:
    sys.exit("resident: the mode is payload, old-text, cold-text or mapped-clean")
