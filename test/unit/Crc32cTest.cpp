//===- Crc32cTest.cpp - CRC32C: each way against a bitwise reference ------===//
//
// The hardware way joins three CRCs computed side by side (Crc32c.cpp); a
// wrong join gives a wrong CRC only from three short blocks (768 bytes) or
// three long ones (24 KiB) on, and only for some lengths and starting
// values, so every length up to 2000, lengths around the block sizes and a
// large one are each held against a bit-at-a-time CRC32C from the
// definition, at every start alignment within 16 bytes.
//
//===----------------------------------------------------------------------===//

#include "../../runtime/lib/Crc32c.h"

#include "pyox/payload.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace {

// The CRC register after one more byte, one bit at a time (reflected
// Castagnoli polynomial 0x82F63B78; RFC 3720, appendix B.4).
uint32_t referenceStep(uint32_t Register, uint8_t Byte) {
  Register ^= Byte;
  for (int Bit = 0; Bit < 8; ++Bit)
    Register = (Register >> 1) ^ ((Register & 1) ? 0x82F63B78u : 0);
  return Register;
}

uint32_t referenceCrc(uint32_t Crc, const uint8_t *P, size_t N) {
  uint32_t Register = ~Crc;
  for (size_t I = 0; I < N; ++I)
    Register = referenceStep(Register, P[I]);
  return ~Register;
}

std::vector<uint8_t> randomBytes(size_t N, uint32_t Seed) {
  std::mt19937 Random(Seed);
  std::vector<uint8_t> Bytes(N);
  for (uint8_t &B : Bytes)
    B = static_cast<uint8_t>(Random());
  return Bytes;
}

struct Way {
  const char *Name;
  uint32_t (*Crc)(uint32_t, const void *, size_t);
};

// Every way this machine can run: the dispatching entry point, the table
// walk, and the instruction when the CPU has it.
std::vector<Way> ways() {
  std::vector<Way> Ways = {{"pyox_crc32c", pyox_crc32c},
                           {"software", pyox::crc32cSoftware}};
  if (pyox::crc32cHaveHardware())
    Ways.push_back({"hardware", pyox::crc32cHardware});
  return Ways;
}

// The N bytes at DATA copied to the end of their own heap block, ALIGN bytes
// past its start (heap blocks are 16-byte aligned on 64-bit hosts), so that
// the sanitizers see any read past the last byte; every way's CRC of them,
// starting from SEED, compared with WANT.
void expectEveryWay(const uint8_t *Data, size_t N, uint32_t Seed,
                    uint32_t Want) {
  for (size_t Align = 0; Align < 16; ++Align) {
    std::vector<uint8_t> Copy(Align + N);
    if (N)
      std::memcpy(Copy.data() + Align, Data, N);
    for (const Way &W : ways())
      ASSERT_EQ(W.Crc(Seed, Copy.data() + Align, N), Want)
          << W.Name << ", " << N << " bytes, alignment " << Align
          << ", starting from " << Seed;
  }
}

TEST(Crc32c, HardwareIsThere) {
#if defined(__x86_64__) && defined(__linux__)
  // Every x86-64 CPU this project builds and tests on has SSE4.2; without
  // it the tests below would only check the table walk.
  EXPECT_TRUE(pyox::crc32cHaveHardware());
#else
  GTEST_SKIP() << "not an x86-64 Linux host";
#endif
}

TEST(Crc32c, EveryLengthTo2000) {
  constexpr size_t MaxLength = 2000;
  std::vector<uint8_t> Data = randomBytes(MaxLength, 1);
  uint32_t Register = ~0u; // the reference, one byte further each length
  for (size_t N = 0; N <= MaxLength; ++N) {
    expectEveryWay(Data.data(), N, 0, ~Register);
    if (HasFatalFailure())
      return;
    if (N < MaxLength)
      Register = referenceStep(Register, Data[N]);
  }
}

TEST(Crc32c, LongLengths) {
  // Around one long block (8192 bytes) and three, with the short blocks
  // and the single chain after them, and a large buffer.
  const size_t Lengths[] = {8191,
                            8192,
                            8193,
                            3 * 8192 - 1,
                            3 * 8192,
                            3 * 8192 + 17,
                            3 * 8192 + 3 * 256 + 7,
                            6 * 8192 + 2 * 3 * 256 + 8,
                            (1 << 20) + 5};
  std::vector<uint8_t> Data = randomBytes((1 << 20) + 5, 2);
  for (size_t N : Lengths) {
    expectEveryWay(Data.data(), N, 0, referenceCrc(0, Data.data(), N));
    if (HasFatalFailure())
      return;
  }
}

TEST(Crc32c, StartingValues) {
  // The CRC a call starts from goes through the first chain and every
  // join; chained calls must equal one pass wherever the buffer is cut.
  std::vector<uint8_t> Data = randomBytes(3 * 8192 + 3 * 256 + 100, 3);
  std::mt19937 Random(4);
  for (int Round = 0; Round < 200; ++Round) {
    const size_t Cut = Random() % (Data.size() + 1);
    const uint32_t Seed = Random();
    const uint32_t Want = referenceCrc(Seed, Data.data(), Data.size());
    for (const Way &W : ways()) {
      uint32_t Crc = W.Crc(Seed, Data.data(), Cut);
      Crc = W.Crc(Crc, Data.data() + Cut, Data.size() - Cut);
      ASSERT_EQ(Crc, Want) << W.Name << ", cut at " << Cut << ", starting from "
                           << Seed;
    }
  }
  expectEveryWay(Data.data(), Data.size(), 0xdeadbeefu,
                 referenceCrc(0xdeadbeefu, Data.data(), Data.size()));
}

} // namespace
