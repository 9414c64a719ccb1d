//===- AtomicFileTest.cpp - Unit tests for writeFileAtomically -----------===//
//
// The writer hands large outputs to writeback in chunks while it writes
// them; the bytes, the mode and the behaviour on failure must be those of a
// plain write.
//
//===----------------------------------------------------------------------===//

#include "Support/AtomicFile.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <sys/stat.h>

using namespace llvm;
using namespace pyox;

namespace {

struct TempDir {
  SmallString<128> Path;
  TempDir() {
    EXPECT_FALSE(sys::fs::createUniqueDirectory("pyox-atomic", Path));
  }
  ~TempDir() { sys::fs::remove_directories(Path); }
  std::string file(StringRef Name) const {
    SmallString<128> P(Path);
    sys::path::append(P, Name);
    return std::string(P);
  }
  size_t entries() const {
    std::error_code EC;
    size_t N = 0;
    for (sys::fs::directory_iterator I(Path, EC), E; I != E && !EC;
         I.increment(EC))
      ++N;
    return N;
  }
};

std::string contents(StringRef Path) {
  auto Buf = MemoryBuffer::getFile(Path);
  return Buf ? (*Buf)->getBuffer().str() : "<missing>";
}

TEST(AtomicFile, LargeWritesAndPatchesLandAsWritten) {
  TempDir Dir;
  std::string Path = Dir.file("out");
  // Several writeback chunks, written in odd-sized pieces, then a pwrite
  // back into the first chunk (as object writers patch headers).
  std::string Want;
  for (size_t I = 0; I < 5'000'000; ++I)
    Want.push_back(static_cast<char>(I * 131 % 251));
  ASSERT_FALSE(errorToBool(
      writeFileAtomically(Path,
                          [&](raw_pwrite_stream &OS) {
                            for (size_t At = 0; At < Want.size(); At += 777'777)
                              OS << StringRef(Want).substr(At, 777'777);
                            OS.pwrite("PATCH", 5, 100);
                            return Error::success();
                          },
                          {0640, false, true})));
  Want.replace(100, 5, "PATCH");
  EXPECT_EQ(contents(Path), Want);
  struct stat St;
  ASSERT_EQ(::stat(Path.c_str(), &St), 0);
  EXPECT_EQ(St.st_mode & 07777, 0640u);
  EXPECT_EQ(Dir.entries(), 1u); // no temporary file left
}

TEST(AtomicFile, FailureLeavesTheTargetAndNoTemporaryFile) {
  TempDir Dir;
  std::string Path = Dir.file("out");
  ASSERT_FALSE(errorToBool(
      writeFileAtomically(Path, arrayRefFromStringRef("old contents"))));
  Error E = writeFileAtomically(Path, [&](raw_pwrite_stream &OS) {
    OS << std::string(3 << 20, 'x');
    return createStringError(std::errc::invalid_argument, "stop");
  });
  EXPECT_EQ(toString(std::move(E)), "stop");
  EXPECT_EQ(contents(Path), "old contents");
  EXPECT_EQ(Dir.entries(), 1u);
}

} // namespace
