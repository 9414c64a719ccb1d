//===- BenchCrc32c.cpp - CRC32C throughput, three chains against one ------===//
//
// Every entry's data and every index chunk is checked (CRC32C) when first
// used, so the checksum's speed is part of every import. This times
// pyox_crc32c, which on long buffers runs three chains of the CPU's CRC32C
// instruction side by side and joins them (runtime/lib/Crc32c.cpp), against
// the single chain it used before (kept here, x86-64 only) and the table
// walk of CPUs without the instruction, on random buffers of 4 KiB (an
// index chunk, a small module's bytecode), 64 KiB, 1 MiB (within a core's
// L2 on most CPUs) and 16 MiB (from L3 or memory), warm, interleaved, medians
// of SAMPLES samples of ~32 MiB each, and prints GB/s (10^9 bytes a second of
// the thread's CPU time, which other processes on a busy machine do not add to)
// and three chains / one chain.
//
// Usage: pyox-bench-crc32c [SAMPLES]
//
//===----------------------------------------------------------------------===//

#include "../../runtime/lib/Crc32c.h"

#include "pyox/payload.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <time.h>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#if defined(__x86_64__)
// The loop pyox_crc32c ran before: one chain, each instruction waiting for
// the last one's result.
__attribute__((target("sse4.2"))) static uint32_t
oneChain(uint32_t Crc, const void *Data, size_t N) {
  const uint8_t *P = static_cast<const uint8_t *>(Data);
  uint64_t C = ~Crc;
  for (; N >= 8; P += 8, N -= 8) {
    uint64_t W;
    std::memcpy(&W, P, 8);
    C = _mm_crc32_u64(C, W);
  }
  uint32_t C32 = static_cast<uint32_t>(C);
  for (; N; --N)
    C32 = _mm_crc32_u8(C32, *P++);
  return ~C32;
}
#endif

struct Way {
  const char *Name;
  uint32_t (*Crc)(uint32_t, const void *, size_t);
  std::vector<double> GBs;
};

static double threadSeconds() {
  timespec T;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &T);
  return double(T.tv_sec) + double(T.tv_nsec) * 1e-9;
}

static double median(std::vector<double> V) {
  std::sort(V.begin(), V.end());
  return V[V.size() / 2];
}

int main(int argc, char **argv) {
  const int Samples = argc > 1 ? std::atoi(argv[1]) : 15;
  if (Samples < 1) {
    std::fprintf(stderr, "usage: pyox-bench-crc32c [SAMPLES]\n");
    return 1;
  }
  std::vector<Way> Ways;
  Ways.push_back({"three chains", pyox_crc32c, {}});
#if defined(__x86_64__)
  if (pyox::crc32cHaveHardware())
    Ways.push_back({"one chain", oneChain, {}});
#endif
  Ways.push_back({"table walk", pyox::crc32cSoftware, {}});
  if (!pyox::crc32cHaveHardware())
    std::printf("(no CRC32C instruction: pyox_crc32c is the table walk)\n");

  std::printf("| size |");
  for (const Way &W : Ways)
    std::printf(" %s GB/s |", W.Name);
  std::printf(" three / one |\n");
  std::mt19937 Random(1);
  const size_t SampleBytes = size_t(32) << 20;
  for (size_t Size :
       {size_t(4) << 10, size_t(64) << 10, size_t(1) << 20, size_t(16) << 20}) {
    std::vector<uint8_t> Data(Size);
    for (uint8_t &B : Data)
      B = static_cast<uint8_t>(Random());
    const uint32_t Want = Ways.back().Crc(0, Data.data(), Size);
    const size_t Rounds = std::max<size_t>(1, SampleBytes / Size);
    for (Way &W : Ways)
      W.GBs.clear();
    for (int S = 0; S < Samples; ++S)
      for (Way &W : Ways) {
        size_t Wrong = 0;
        const double T0 = threadSeconds();
        for (size_t R = 0; R < Rounds; ++R)
          Wrong += W.Crc(0, Data.data(), Size) != Want;
        const double Seconds = threadSeconds() - T0;
        if (Wrong) {
          std::fprintf(stderr, "pyox-bench-crc32c: %s gives a wrong CRC\n",
                       W.Name);
          return 1;
        }
        W.GBs.push_back(double(Rounds * Size) / Seconds / 1e9);
      }
    std::printf("| %zu KiB |", Size >> 10);
    for (const Way &W : Ways)
      std::printf(" %.2f |", median(W.GBs));
    if (Ways.size() == 3) // Ways[1] is the one chain
      std::printf(" %.2f |\n", median(Ways[0].GBs) / median(Ways[1].GBs));
    else
      std::printf(" - |\n");
  }
  return 0;
}
