//===- BenchEntryFile.cpp - A compressed shared object's first load -------===//
//
// What storing native code compressed costs at run time: before an
// extension module or a carried library is loaded, the runtime makes the
// sealed memfd it is loaded from (runtime/lib/EntryFile.h), once, at its
// first import. For each named entry of a payload made by `pyox-inject
// pack`, stored compressed (PYOX_ENTRY_ZSTD), this times that memfd made
// from the compressed entry (decompressed into the memfd) against
// the same bytes stored raw (checked against their CRC32C and written),
// interleaved, medians of REPEATS, and prints the ratio; with LOAD, also
// one dlopen of each memfd (a library that needs no symbols from the
// program: libcrypto, liblzma), for the size of the rest of a first import.
//
// Usage: pyox-bench-entry-file PAYLOAD REPEATS [--dlopen] ENTRY...
//        (ENTRY: "_decimal" for an extension module, ".pyox-libs/NAME"
//        for a carried library)
//
//===----------------------------------------------------------------------===//

#include "../../runtime/lib/EntryFile.h"

#include "pyox/payload.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using Clock = std::chrono::steady_clock;

static double median(std::vector<double> V) {
  std::sort(V.begin(), V.end());
  return V[V.size() / 2];
}

// Microseconds to make the memfd of entry E of P, then (LOAD) to dlopen it.
static double memfdOnce(const pyox_payload *P, const pyox_entry *E, bool Load,
                        double &LoadUs) {
  auto T0 = Clock::now();
  int Fd = pyox::entryMemoryFile(P, E, "bench");
  double Us =
      std::chrono::duration<double, std::micro>(Clock::now() - T0).count();
  if (Fd < 0) {
    std::perror("pyox-bench-entry-file: entryMemoryFile");
    std::exit(1);
  }
  LoadUs = 0;
  if (Load) {
    char Path[64];
    std::snprintf(Path, sizeof Path, "/proc/self/fd/%d", Fd);
    auto T1 = Clock::now();
    void *H = dlopen(Path, RTLD_NOW | RTLD_LOCAL);
    LoadUs =
        std::chrono::duration<double, std::micro>(Clock::now() - T1).count();
    if (!H) {
      std::fprintf(stderr, "pyox-bench-entry-file: %s\n", dlerror());
      std::exit(1);
    }
    dlclose(H);
  }
  close(Fd);
  return Us;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: pyox-bench-entry-file PAYLOAD REPEATS "
                         "[--dlopen] ENTRY...\n");
    return 1;
  }
  int Repeats = std::atoi(argv[2]);
  int First = 3;
  bool Load = std::strcmp(argv[3], "--dlopen") == 0;
  if (Load)
    ++First;
  int FD = ::open(argv[1], O_RDONLY);
  struct stat St;
  if (FD < 0 || ::fstat(FD, &St) != 0) {
    std::perror(argv[1]);
    return 1;
  }
  void *Map = mmap(nullptr, size_t(St.st_size), PROT_READ, MAP_PRIVATE, FD, 0);
  pyox_payload P;
  const char *Error = nullptr;
  if (Map == MAP_FAILED ||
      pyox_payload_open(&P, Map, uint64_t(St.st_size), &Error) != 0) {
    std::fprintf(stderr, "pyox-bench-entry-file: %s: %s\n", argv[1],
                 Error ? Error : "cannot map");
    return 1;
  }
  std::printf("| entry | raw KB | stored KB | memfd raw us | memfd zstd us | "
              "ratio |%s\n",
              Load ? " dlopen us |" : "");
  for (int A = First; A < argc; ++A) {
    std::string Name = argv[A];
    uint32_t Group = Name.find('/') != std::string::npos ? PYOX_GROUP_RESOURCE
                                                         : PYOX_GROUP_MODULE;
    const pyox_entry *E =
        pyox_payload_find(&P, Group, Name.data(), Name.size());
    if (!E || !(E->flags & PYOX_ENTRY_ZSTD)) {
      std::fprintf(stderr, "pyox-bench-entry-file: no compressed entry '%s'\n",
                   Name.c_str());
      return 1;
    }
    // The same file stored raw: a one-entry view of the decompressed bytes
    // (entryMemoryFile reads only the entry's data, flags and checksum).
    std::vector<uint8_t> Raw(E->raw_size);
    if (pyox_entry_decompress(&P, E, Raw.data()) != 0) {
      std::fprintf(stderr, "pyox-bench-entry-file: '%s' is damaged\n",
                   Name.c_str());
      return 1;
    }
    pyox_payload RawP = P;
    RawP.base = Raw.data();
    pyox_entry RawE = *E;
    RawE.flags = 0;
    RawE.raw_size = 0;
    RawE.data_offset = 0;
    RawE.data_size = Raw.size();
    RawE.data_crc = pyox_crc32c(0, Raw.data(), Raw.size());
    std::vector<double> RawUs, ZstdUs, LoadUs;
    for (int R = 0; R < Repeats; ++R) {
      double L;
      RawUs.push_back(memfdOnce(&RawP, &RawE, false, L));
      ZstdUs.push_back(memfdOnce(&P, E, Load, L));
      LoadUs.push_back(L);
    }
    double MR = median(RawUs), MZ = median(ZstdUs);
    std::printf("| %s | %.0f | %.0f | %.0f | %.0f | %.2f |", Name.c_str(),
                Raw.size() / 1e3, E->data_size / 1e3, MR, MZ, MZ / MR);
    if (Load)
      std::printf(" %.0f |", median(LoadUs));
    std::printf("\n");
  }
  return 0;
}
