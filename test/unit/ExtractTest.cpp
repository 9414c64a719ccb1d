//===- ExtractTest.cpp - extract writes below its directory only ----------===//

#include "Pack/Extract.h"
#include "Pack/PayloadWriter.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

using namespace pyox;
using namespace llvm;

namespace {

TEST(Extract, SafeRelativePath) {
  EXPECT_TRUE(isSafeRelativePath("pkg/data.txt"));
  EXPECT_TRUE(isSafeRelativePath("a..b/c"));
  EXPECT_FALSE(isSafeRelativePath(""));
  EXPECT_FALSE(isSafeRelativePath("/etc/passwd"));
  EXPECT_FALSE(isSafeRelativePath("../x"));
  EXPECT_FALSE(isSafeRelativePath("pkg/../../x"));
  EXPECT_FALSE(isSafeRelativePath("pkg//x"));
  EXPECT_FALSE(isSafeRelativePath("pkg/./x"));
}

class ExtractTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(sys::fs::createUniqueDirectory("pyox-extract", Dir));
  }
  void TearDown() override { sys::fs::remove_directories(Dir); }

  std::vector<uint8_t> payload(std::vector<PayloadItem> Items) {
    auto Out =
        writePayload(std::move(Items), {0x030b0000, 0x0a0d0da7, "", 0, false});
    EXPECT_TRUE(bool(Out));
    return Out ? *Out : std::vector<uint8_t>{};
  }
  SmallString<128> Dir;
};

TEST_F(ExtractTest, WritesFilesAndPyc) {
  std::vector<uint8_t> Bytes =
      payload({{PYOX_KIND_MODULE, "m", "m.py", "CODE"},
               {PYOX_KIND_RESOURCE, "p/r.txt", "p/r.txt", "data"}});
  pyox_payload P;
  const char *Error;
  ASSERT_EQ(pyox_payload_open(&P, Bytes.data(), Bytes.size(), &Error), 0);
  ASSERT_FALSE(bool(extractPayload(P, Dir, "test.pyox")));
  auto Pyc = MemoryBuffer::getFile(Dir + "/m.pyc");
  ASSERT_TRUE(bool(Pyc));
  StringRef B = (*Pyc)->getBuffer();
  ASSERT_EQ(B.size(), 20u);
  EXPECT_EQ(B.substr(0, 4), StringRef("\xa7\x0d\x0d\x0a", 4)); // magic
  EXPECT_EQ(B.substr(4, 4), StringRef("\x01\0\0\0", 4));       // hash-based
  EXPECT_EQ(B.substr(16), "CODE");
  auto R = MemoryBuffer::getFile(Dir + "/p/r.txt");
  ASSERT_TRUE(bool(R));
  EXPECT_EQ((*R)->getBuffer(), "data");
}

TEST_F(ExtractTest, RefusesEscapingPaths) {
  for (const char *Bad : {"../evil.txt", "/tmp/evil.txt", "a/../../evil.txt"}) {
    std::vector<uint8_t> Bytes = payload({{PYOX_KIND_RESOURCE, Bad, Bad, "x"}});
    pyox_payload P;
    const char *Error;
    ASSERT_EQ(pyox_payload_open(&P, Bytes.data(), Bytes.size(), &Error), 0);
    llvm::Error E = extractPayload(P, Dir, "bad.pyox");
    ASSERT_TRUE(bool(E)) << Bad;
    std::string M = toString(std::move(E));
    EXPECT_NE(M.find("escapes the output directory"), std::string::npos) << M;
    EXPECT_NE(M.find("bad.pyox"), std::string::npos) << M;
  }
  SmallString<128> Parent(Dir);
  sys::path::remove_filename(Parent);
  EXPECT_FALSE(sys::fs::exists(Parent + "/evil.txt"));
}

} // namespace
