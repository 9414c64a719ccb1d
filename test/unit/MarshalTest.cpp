//===- MarshalTest.cpp - canonicalizeMarshal ------------------------------===//

#include "Pack/Marshal.h"

#include "gtest/gtest.h"

#include <string>

using namespace pyox;

namespace {

std::string canon(const std::string &In) {
  auto Out = canonicalizeMarshal(In);
  if (!Out) {
    ADD_FAILURE() << llvm::toString(Out.takeError());
    return "";
  }
  return *Out;
}

std::string bytes(std::initializer_list<int> B) {
  std::string S;
  for (int C : B)
    S.push_back(char(C));
  return S;
}

// A FLAG_REF nobody points back to goes; referenced ones are renumbered.
TEST(MarshalTest, KeepsOnlyUsedReferences) {
  // (3 items): "xy" [ref 0, unused], "ab" [ref 1], TYPE_REF 1
  std::string In = bytes({')', 3, 0x80 | 'z', 2, 'x', 'y', 0x80 | 'z', 2, 'a',
                          'b', 'r', 1, 0, 0, 0});
  std::string Want = bytes(
      {')', 3, 'z', 2, 'x', 'y', 0x80 | 'z', 2, 'a', 'b', 'r', 0, 0, 0, 0});
  EXPECT_EQ(canon(In), Want);
}

// The empty string and one-character Latin-1 strings are written as
// interned, whatever the interpreter's history made of them.
TEST(MarshalTest, SingletonStringsAreInterned) {
  std::string In = bytes({')', 4, 'z', 1, '*', 'z', 0, 'u', 2, 0, 0, 0, 0xC3,
                          0xA9, 'z', 2, '*', '*'});
  std::string Want = bytes({')', 4, 'Z', 1, '*', 'Z', 0, 't', 2, 0, 0, 0, 0xC3,
                            0xA9, 'z', 2, '*', '*'});
  EXPECT_EQ(canon(In), Want);
  // A flagged, referenced singleton keeps its flag.
  EXPECT_EQ(canon(bytes({')', 2, 0x80 | 'z', 1, '*', 'r', 0, 0, 0, 0})),
            bytes({')', 2, 0x80 | 'Z', 1, '*', 'r', 0, 0, 0, 0}));
}

TEST(MarshalTest, CanonicalFormIsStable) {
  std::string In = bytes(
      {'{', 0x80 | 'z', 1, 'k', 'i', 1, 0, 0, 0, 'r', 0, 0, 0, 0, 'N', '0'});
  std::string Once = canon(In);
  EXPECT_EQ(canon(Once), Once);
}

TEST(MarshalTest, RejectsMalformedData) {
  for (const std::string &Bad :
       {bytes({}), bytes({'z', 5, 'a'}), bytes({'?'}),
        bytes({'r', 0, 0, 0, 0}),                     // nothing read yet
        bytes({')', 2, 'N'}),                         // truncated
        bytes({'N', 'N'}),                            // trailing bytes
        bytes({'(', 0xff, 0xff, 0xff, 0x7f, 'N'})}) { // huge count
    auto Out = canonicalizeMarshal(Bad);
    EXPECT_FALSE(bool(Out));
    if (!Out)
      llvm::consumeError(Out.takeError());
  }
}

} // namespace
