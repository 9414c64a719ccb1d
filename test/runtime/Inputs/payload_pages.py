"""Run inside a pyox program: `payload_pages.py LIST BOUND_KIB` imports every
module named in LIST and, at the start of each import, measures how much of
the payload section is resident in the program's own mapping
(/proc/self/smaps). Prints the largest figure against BOUND_KIB, and whether
the payload's data pages carry the random-read advice (VmFlags "rr")
at the last imports."""
import struct
import sys


def payload_range():
    # The .pyox section of the executable, from its ELF section headers (the
    # template is not position-independent: addresses are absolute).
    with open(sys.executable, "rb") as f:
        data = f.read()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def section(i):
        return struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)

    strtab = section(shstrndx)[4]
    for i in range(shnum):
        name, _, _, addr, _, size = section(i)
        end = data.index(b"\0", strtab + name)
        if data[strtab + name:end] == b".pyox":
            return addr, addr + size
    sys.exit("payload_pages: no .pyox section in " + sys.executable)


def resident(lo, hi):
    # Rss of the mappings inside the section's pages, and their advice.
    rss, flags, inside = 0, [], False
    for line in open("/proc/self/smaps"):
        field = line.split()
        if "-" in field[0] and not field[0].endswith(":"):
            start, end = (int(x, 16) for x in field[0].split("-"))
            inside = start >= lo & ~0xFFF and end <= (hi + 0xFFF) & ~0xFFF
        elif inside and field[0] == "Rss:":
            rss += int(field[1])
        elif inside and field[0] == "VmFlags:":
            flags.append("rr" in field[1:])
    return rss, flags


lo, hi = payload_range()
worst = [0, ""]
advice = []


def hook(event, args):
    if event == "import":
        rss, flags = resident(lo, hi)
        advice.append(any(flags))
        if rss > worst[0]:
            worst[:] = [rss, args[0]]


names = open(sys.argv[1]).read().split()
sys.addaudithook(hook)
for name in names:
    try:
        __import__(name)
    except BaseException:
        pass
bound = int(sys.argv[2])
print(f"imports: {len(advice)}; most payload resident: {worst[0]} KiB "
      f"(importing {worst[1]}); within {bound} KiB: {worst[0] <= bound}")
print("random-read advice on the data pages:", bool(advice) and all(advice[-10:]))
