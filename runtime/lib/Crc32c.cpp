//===- Crc32c.cpp - CRC32C with hardware acceleration ---------------------===//
//
// Every import checks its entry's CRC32C, so the checksum sits on the import
// hot path. x86-64 has had a CRC32C instruction since SSE4.2 (2008) and
// ARMv8 has one in its CRC extension; both run at several bytes per cycle.
// Other CPUs take a slicing-by-8 table walk. The CPU is asked once.
//
//===----------------------------------------------------------------------===//

#include "Crc32c.h"

#include "pyox/payload.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>
#endif

namespace {

constexpr uint32_t Polynomial = 0x82F63B78u; // reflected Castagnoli

struct SliceTables {
  uint32_t T[8][256];
  constexpr SliceTables() : T() {
    for (uint32_t I = 0; I < 256; ++I) {
      uint32_t C = I;
      for (int K = 0; K < 8; ++K)
        C = (C >> 1) ^ (Polynomial & (0u - (C & 1u)));
      T[0][I] = C;
    }
    for (uint32_t I = 0; I < 256; ++I)
      for (int S = 1; S < 8; ++S)
        T[S][I] = (T[S - 1][I] >> 8) ^ T[0][T[S - 1][I] & 0xff];
  }
};

constexpr SliceTables Tables;

uint32_t crcSoftware(uint32_t Crc, const uint8_t *P, size_t N) {
  while (N >= 8) {
    uint64_t W;
    memcpy(&W, P, 8); // little-endian hosts only (see format.h)
    W ^= Crc;
    Crc = Tables.T[7][W & 0xff] ^ Tables.T[6][(W >> 8) & 0xff] ^
          Tables.T[5][(W >> 16) & 0xff] ^ Tables.T[4][(W >> 24) & 0xff] ^
          Tables.T[3][(W >> 32) & 0xff] ^ Tables.T[2][(W >> 40) & 0xff] ^
          Tables.T[1][(W >> 48) & 0xff] ^ Tables.T[0][W >> 56];
    P += 8;
    N -= 8;
  }
  while (N--)
    Crc = (Crc >> 8) ^ Tables.T[0][(Crc ^ *P++) & 0xff];
  return Crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crcHardware(uint32_t Crc,
                                                       const uint8_t *P,
                                                       size_t N) {
  uint64_t C = Crc;
  while (N >= 8) {
    uint64_t W;
    memcpy(&W, P, 8);
    C = _mm_crc32_u64(C, W);
    P += 8;
    N -= 8;
  }
  uint32_t C32 = (uint32_t)C;
  while (N--)
    C32 = _mm_crc32_u8(C32, *P++);
  return C32;
}
bool haveHardware() { return __builtin_cpu_supports("sse4.2"); }
#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
uint32_t crcHardware(uint32_t Crc, const uint8_t *P, size_t N) {
  while (N >= 8) {
    uint64_t W;
    memcpy(&W, P, 8);
    Crc = __crc32cd(Crc, W);
    P += 8;
    N -= 8;
  }
  while (N--)
    Crc = __crc32cb(Crc, *P++);
  return Crc;
}
bool haveHardware() { return true; }
#else
uint32_t crcHardware(uint32_t Crc, const uint8_t *P, size_t N) {
  return crcSoftware(Crc, P, N);
}
bool haveHardware() { return false; }
#endif

} // namespace

uint32_t pyox::crc32cSoftware(uint32_t Crc, const void *Data, size_t Size) {
  return ~crcSoftware(~Crc, static_cast<const uint8_t *>(Data), Size);
}

bool pyox::crc32cHaveHardware() { return haveHardware(); }

uint32_t pyox::crc32cHardware(uint32_t Crc, const void *Data, size_t Size) {
  return ~crcHardware(~Crc, static_cast<const uint8_t *>(Data), Size);
}

// 0: not asked yet, 1: software, 2: hardware. A plain word rather than a
// function-local static, whose guard would need the C++ runtime in C
// programs that link the reader; racing first calls ask the CPU alike and
// store the same answer.
static int HardwareState = 0;

extern "C" uint32_t pyox_crc32c(uint32_t Crc, const void *Data, size_t Size) {
  int State = __atomic_load_n(&HardwareState, __ATOMIC_RELAXED);
  if (State == 0) {
    State = haveHardware() ? 2 : 1;
    __atomic_store_n(&HardwareState, State, __ATOMIC_RELAXED);
  }
  const bool Hardware = State == 2;
  const uint8_t *P = static_cast<const uint8_t *>(Data);
  Crc = ~Crc;
  Crc = Hardware ? crcHardware(Crc, P, Size) : crcSoftware(Crc, P, Size);
  return ~Crc;
}
