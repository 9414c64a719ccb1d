//===- BenchOpen.cpp - Cost of opening and validating a payload -----------===//
//
// What the runtime pays at start-up to get from mapped bytes to a usable
// payload: pyox_payload_open_lazy (the header and the chunk table; each
// index chunk is checked when first used) and one lookup, which checks
// the chunks it touches. Measured on a freshly mapped file (page faults on
// what is read included, as at process start) and then warm, over many
// repetitions, reporting the median; the full check of every chunk
// (pyox_payload_open, what `verify` and the tools do) for comparison.
//
// Usage: pyox-bench-open PAYLOAD [REPEATS]
//
//===----------------------------------------------------------------------===//

#include "pyox/payload.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using Clock = std::chrono::steady_clock;

static double openOnce(const void *Data, size_t Size, bool Lazy) {
  auto T0 = Clock::now();
  pyox_payload P;
  const char *Error = nullptr;
  int R = Lazy ? pyox_payload_open_lazy(&P, Data, Size, nullptr, &Error)
               : pyox_payload_open(&P, Data, Size, &Error);
  if (R != 0) {
    std::fprintf(stderr, "pyox-bench-open: %s\n", Error);
    std::exit(1);
  }
  if (!pyox_payload_find(&P, PYOX_GROUP_MODULE, "encodings", 9)) {
    std::fprintf(stderr, "pyox-bench-open: no 'encodings' in the payload\n");
    std::exit(1);
  }
  double Us =
      std::chrono::duration<double, std::micro>(Clock::now() - T0).count();
  pyox_payload_close(&P);
  return Us;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pyox-bench-open PAYLOAD [REPEATS]\n");
    return 1;
  }
  int Repeats = argc > 2 ? std::atoi(argv[2]) : 2000;
  int FD = ::open(argv[1], O_RDONLY);
  struct stat St;
  if (FD < 0 || ::fstat(FD, &St) != 0) {
    std::perror(argv[1]);
    return 1;
  }
  size_t Size = size_t(St.st_size);
  std::vector<double> Cold, Warm, Full;
  for (int I = 0; I < 50; ++I) { // fresh mappings: page faults included
    void *Map = ::mmap(nullptr, Size, PROT_READ, MAP_PRIVATE, FD, 0);
    Cold.push_back(openOnce(Map, Size, true));
    ::munmap(Map, Size);
  }
  void *Map = ::mmap(nullptr, Size, PROT_READ, MAP_PRIVATE, FD, 0);
  for (int I = 0; I < Repeats; ++I)
    Warm.push_back(openOnce(Map, Size, true));
  for (int I = 0; I < std::max(Repeats / 20, 5); ++I)
    Full.push_back(openOnce(Map, Size, false));
  for (auto *V : {&Cold, &Warm, &Full})
    std::sort(V->begin(), V->end());
  pyox_payload P;
  const char *Error;
  pyox_payload_open(&P, Map, Size, &Error);
  std::printf("payload: %zu bytes, %u entries, index %u bytes\n", Size,
              P.header->entry_count, P.header->index_size);
  std::printf("open+validate+lookup, fresh mapping: median %.1f us\n",
              Cold[Cold.size() / 2]);
  std::printf("open+validate+lookup, warm:          median %.1f us (goal: well "
              "under 100 us; 200 us at 100,000 entries)\n",
              Warm[Warm.size() / 2]);
  std::printf(
      "full check of every chunk (verify, tools), warm: median %.1f us\n",
      Full[Full.size() / 2]);
  return 0;
}
