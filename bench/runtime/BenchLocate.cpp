//===- BenchLocate.cpp - Cost of locating and readying the payload --------===//
//
// Steps 1-2 of the runtime's start-up (runtime/lib/Startup.cpp), in a
// program that carries a payload the way pyox-run does (`pyox-inject
// inject` it first): pyox_find_payload over the program headers,
// pyox_payload_open (header, index CRC, bounds of every entry),
// pyox_payload_check_python, and the first lookup. The first call pays the
// page faults on the index, as at process start; then the warm median.
//
// Usage: pyox-bench-locate [REPEATS]   (after injecting a payload into it)
//
//===----------------------------------------------------------------------===//

#include "pyox/payload.h"
#include "pyox/runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

using Clock = std::chrono::steady_clock;

static double locateOnce() {
  auto T0 = Clock::now();
  const void *Data;
  size_t Size;
  const char *Error = "not found";
  pyox_payload P;
  if (pyox_find_payload(nullptr, reinterpret_cast<const void *>(&locateOnce),
                        &Data, &Size, &Error) != PYOX_FIND_OK ||
      pyox_payload_open(&P, Data, Size, &Error) != 0 ||
      pyox_payload_check_python(&P, 0x030b0000u, P.header->bytecode_magic,
                                &Error) != 0 ||
      !pyox_payload_find(&P, PYOX_GROUP_MODULE, "encodings", 9)) {
    std::fprintf(stderr, "pyox-bench-locate: %s\n", Error);
    std::exit(1);
  }
  return std::chrono::duration<double, std::micro>(Clock::now() - T0).count();
}

int main(int argc, char **argv) {
  int Repeats = argc > 1 ? std::atoi(argv[1]) : 2000;
  double First = locateOnce();
  std::vector<double> Warm;
  for (int I = 0; I < Repeats; ++I)
    Warm.push_back(locateOnce());
  std::sort(Warm.begin(), Warm.end());
  std::printf("locate+validate+ready first_us %.1f warm_median_us %.1f\n",
              First, Warm[Warm.size() / 2]);
  return 0;
}
