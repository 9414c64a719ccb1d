//===- Crc32c.cpp - CRC32C with hardware acceleration ---------------------===//
//
// Every import checks its entry's CRC32C, so the checksum sits on the import
// hot path. x86-64 has had a CRC32C instruction since SSE4.2 (2008) and
// ARMv8 has one in its CRC extension. Other CPUs take a slicing-by-8 table
// walk. The CPU is asked once.
//
// The instruction folds 8 bytes into the CRC, but its result comes ~3
// cycles after its input (x86: latency 3, one issued per cycle), so a
// single chain of them, each waiting for the last, runs at a third of what
// the CPU can do. A long buffer is therefore cut into three blocks of equal
// length whose CRCs are computed in one loop, three chains side by side,
// and then joined. CRC is linear over GF(2): the CRC of A followed by B is
// the CRC of A carried on over len(B) zero bytes, XORed with the CRC of B
// started from zero. Carrying a CRC over a fixed number of zero bytes is
// multiplying it by x^(8 len) modulo the polynomial, a linear map of its 32
// bits that four table look-ups apply; the tables, for a long and a short
// block, are built at compile time. This is the method of Intel's white
// paper "Fast CRC Computation for iSCSI Polynomial Using CRC32 Instruction"
// (2011), which Mark Adler's crc32c.c also describes. Buffers shorter than
// three short blocks take the single chain.
//
//===----------------------------------------------------------------------===//

#include "Crc32c.h"

#include "pyox/payload.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
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

// crcWord folds the 8 bytes at P into the CRC. The CRC is passed 64 bits
// wide because x86's crc32q reads and writes a 64-bit register: narrowing
// it to 32 bits at each step put a move into the chain.
#if defined(__x86_64__)
#define PYOX_CRC_TARGET __attribute__((target("sse4.2")))
PYOX_CRC_TARGET inline uint64_t crcWord(uint64_t Crc, const uint8_t *P) {
  uint64_t W;
  memcpy(&W, P, 8);
  return _mm_crc32_u64(Crc, W);
}
PYOX_CRC_TARGET inline uint32_t crcByte(uint32_t Crc, uint8_t B) {
  return _mm_crc32_u8(Crc, B);
}
// One cpuid, when a checksum is first computed. __builtin_cpu_supports
// would link libgcc's __cpu_indicator_init, a constructor that identifies
// the whole CPU (a dozen cpuid instructions, each a VM exit under a
// hypervisor: ~0.4 ms of a hello's start-up in the VM this was measured
// in) in every program.
bool haveHardware() {
  unsigned A, B, C, D;
  return __get_cpuid(1, &A, &B, &C, &D) && (C & bit_SSE4_2);
}
#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#define PYOX_CRC_TARGET
inline uint64_t crcWord(uint64_t Crc, const uint8_t *P) {
  uint64_t W;
  memcpy(&W, P, 8);
  return __crc32cd((uint32_t)Crc, W);
}
inline uint32_t crcByte(uint32_t Crc, uint8_t B) { return __crc32cb(Crc, B); }
bool haveHardware() { return true; }
#endif

#if defined(PYOX_CRC_TARGET)
// The product of A and B modulo the polynomial, both as the CRC register
// holds a polynomial: reflected, bit 31 the coefficient of x^0 and bit 0
// that of x^31. One step of the register over a zero bit multiplies it by
// x, so B walks through B x^0, B x^1, ... while A's bits pick the terms.
constexpr uint32_t multiplyModP(uint32_t A, uint32_t B) {
  uint32_t Product = 0;
  for (int Bit = 31; Bit >= 0; --Bit) {
    if (A & (1u << Bit))
      Product ^= B;
    B = (B >> 1) ^ (Polynomial & (0u - (B & 1u)));
  }
  return Product;
}

// x^(8 Bytes) modulo the polynomial, by squaring: what carrying the
// register over Bytes zero bytes multiplies it by.
constexpr uint32_t zeroBytesFactor(size_t Bytes) {
  uint32_t Result = 1u << 31; // x^0
  uint32_t Power = 1u << 23;  // x^8, then x^16, x^32, ...
  for (; Bytes; Bytes >>= 1) {
    if (Bytes & 1)
      Result = multiplyModP(Result, Power);
    Power = multiplyModP(Power, Power);
  }
  return Result;
}

// The register carried over a fixed number of zero bytes: a linear map,
// tabulated for each of the register's four bytes. Each entry is the XOR of
// those of its lowest set bit and of the rest, so only 32 products are
// computed.
struct ZeroBytesTables {
  uint32_t T[4][256];
  constexpr explicit ZeroBytesTables(size_t Bytes) : T() {
    const uint32_t Factor = zeroBytesFactor(Bytes);
    for (int K = 0; K < 4; ++K)
      for (uint32_t I = 1; I < 256; ++I) {
        const uint32_t Lowest = I & (0u - I);
        T[K][I] = I == Lowest ? multiplyModP(I << (8 * K), Factor)
                              : T[K][Lowest] ^ T[K][I ^ Lowest];
      }
  }
  uint32_t carry(uint32_t Crc) const {
    return T[0][Crc & 0xff] ^ T[1][(Crc >> 8) & 0xff] ^
           T[2][(Crc >> 16) & 0xff] ^ T[3][Crc >> 24];
  }
};

// Long blocks make the joins (two carries, ~20 cycles) rare; short ones
// let buffers of a few KiB (index chunks, most bytecode) take three chains.
constexpr size_t LongBlock = 8192;
constexpr size_t ShortBlock = 256;
constexpr ZeroBytesTables LongCarry(LongBlock);
constexpr ZeroBytesTables ShortCarry(ShortBlock);

// The CRC continued over the 3 * Block bytes at P: each third in its own
// chain, then the first carried over the second and joined to it, and that
// carried over the third.
PYOX_CRC_TARGET inline uint32_t crcThreeBlocks(uint32_t Crc, const uint8_t *P,
                                               size_t Block,
                                               const ZeroBytesTables &Carry) {
  uint64_t First = Crc, Second = 0, Third = 0;
  for (const uint8_t *End = P + Block; P != End; P += 8) {
    First = crcWord(First, P);
    Second = crcWord(Second, P + Block);
    Third = crcWord(Third, P + 2 * Block);
  }
  Crc = Carry.carry((uint32_t)First) ^ (uint32_t)Second;
  return Carry.carry(Crc) ^ (uint32_t)Third;
}

PYOX_CRC_TARGET uint32_t crcHardware(uint32_t Crc, const uint8_t *P, size_t N) {
  for (; N >= 3 * LongBlock; P += 3 * LongBlock, N -= 3 * LongBlock)
    Crc = crcThreeBlocks(Crc, P, LongBlock, LongCarry);
  for (; N >= 3 * ShortBlock; P += 3 * ShortBlock, N -= 3 * ShortBlock)
    Crc = crcThreeBlocks(Crc, P, ShortBlock, ShortCarry);
  uint64_t Chain = Crc;
  for (; N >= 8; P += 8, N -= 8)
    Chain = crcWord(Chain, P);
  Crc = (uint32_t)Chain;
  for (; N; --N)
    Crc = crcByte(Crc, *P++);
  return Crc;
}
#undef PYOX_CRC_TARGET
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
  const uint8_t *P = static_cast<const uint8_t *>(Data);
  Crc = ~Crc;
  Crc = State == 2 ? crcHardware(Crc, P, Size) : crcSoftware(Crc, P, Size);
  return ~Crc;
}
