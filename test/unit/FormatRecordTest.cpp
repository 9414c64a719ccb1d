//===- FormatRecordTest.cpp - Common/FormatRecord -------------------------===//
//
// The records of pyox/format_record.h as a section holds them: one, one
// with padding after it (a sanitizer's redzone), several (their common
// range), a longer record of a later version, and every malformed case a
// reader must refuse before it reads a field.
//
//===----------------------------------------------------------------------===//

#include "Common/FormatRecord.h"

#include "pyox/format.h"
#include "pyox/format_record.h"

#include "llvm/Support/Endian.h"

#include "gtest/gtest.h"

#include <cstring>
#include <vector>

using namespace llvm;
using namespace pyox;

namespace {

void append(std::vector<uint8_t> &S, uint32_t Min, uint32_t Max,
            uint32_t Size = PYOX_FORMAT_RECORD_SIZE,
            const char *Magic = PYOX_FORMATS_MAGIC) {
  size_t At = S.size();
  S.resize(At + Size);
  std::memcpy(S.data() + At, Magic, PYOX_FORMATS_MAGIC_SIZE);
  support::endian::write32le(S.data() + At + 8, Size);
  support::endian::write32le(S.data() + At + 12, Min);
  support::endian::write32le(S.data() + At + 16, Max);
}

void expectRange(ArrayRef<uint8_t> Section, uint32_t Min, uint32_t Max) {
  Expected<FormatRange> R = parseFormatRecords(Section);
  ASSERT_TRUE(bool(R)) << toString(R.takeError());
  EXPECT_EQ(R->Min, Min);
  EXPECT_EQ(R->Max, Max);
}

std::string failure(ArrayRef<uint8_t> Section) {
  Expected<FormatRange> R = parseFormatRecords(Section);
  if (R)
    return "parsed";
  return toString(R.takeError());
}

TEST(FormatRecord, OneRecord) {
  std::vector<uint8_t> S;
  append(S, 1, 6);
  expectRange(S, 1, 6);
}

TEST(FormatRecord, PaddingAndLaterVersions) {
  // A later, longer record, then zeros (alignment or an ASan redzone).
  std::vector<uint8_t> S;
  append(S, 2, 9, 28);
  S.resize(S.size() + 44, 0);
  expectRange(S, 2, 9);
}

TEST(FormatRecord, SeveralRecordsReadTheirCommonRange) {
  std::vector<uint8_t> S;
  append(S, 1, 6);
  S.resize(S.size() + 4, 0);
  append(S, 3, 7);
  expectRange(S, 3, 6);

  append(S, 7, 8);
  EXPECT_EQ(failure(S), "its records have no format in common");
}

TEST(FormatRecord, Malformed) {
  EXPECT_EQ(failure({}), "no record");
  EXPECT_EQ(failure(std::vector<uint8_t>(16, 0)), "no record");

  std::vector<uint8_t> S;
  append(S, 1, 6);
  EXPECT_EQ(failure(ArrayRef<uint8_t>(S).drop_back(1)),
            "a record of 19 bytes (at 0), less than 20");

  S.clear();
  append(S, 1, 6, PYOX_FORMAT_RECORD_SIZE, "PYOXFMT?");
  EXPECT_EQ(failure(S), "no record magic at 0");

  // A size smaller than the fields, not a multiple of 4, or past the end.
  for (uint32_t Size : {16u, 22u, 24u}) {
    S.clear();
    append(S, 1, 6);
    support::endian::write32le(S.data() + 8, Size);
    EXPECT_EQ(failure(S), "bad record size " + std::to_string(Size) + " at 0");
  }

  S.clear();
  append(S, 6, 1);
  EXPECT_EQ(failure(S), "a record reads formats 6 to 1");

  S.clear();
  append(S, 1, 6);
  S.push_back(0x7f);
  EXPECT_EQ(failure(S), "a record of 1 bytes (at 20), less than 20");
}

TEST(FormatRecord, PayloadVersionAndCheck) {
  std::vector<uint8_t> P(64, 0);
  std::memcpy(P.data(), PYOX_MAGIC, PYOX_MAGIC_SIZE);
  support::endian::write32le(P.data() + 8, 6);
  EXPECT_EQ(payloadFormatVersion(P), std::optional<uint32_t>(6));
  EXPECT_EQ(payloadFormatVersion(ArrayRef<uint8_t>(P).take_front(11)),
            std::nullopt);
  P[0] = 0;
  EXPECT_EQ(payloadFormatVersion(P), std::nullopt);

  FormatRange R{1, 5};
  EXPECT_FALSE(bool(checkFormatReadable("t", R, 5, "w", "f")));
  EXPECT_FALSE(bool(checkFormatReadable("t", R, 1, "w", "f")));
  Error E = checkFormatReadable("t", R, 6, "w", "f");
  EXPECT_EQ(toString(std::move(E)),
            "t: its pyox runtime reads payload formats 1 to 5, not 6 (w); f");
  EXPECT_EQ(toString(checkFormatReadable("t", {2, 5}, 1, "w", "f")),
            "t: its pyox runtime reads payload formats 2 to 5, not 1 (w); f");
}

} // namespace
