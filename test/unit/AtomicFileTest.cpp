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
#include <vector>

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

// Writing a file's own contents again leaves it alone ("write if
// changed"): same inode, same mtime, no temporary file; any difference, in
// a byte, in a write-back patch, in the size or in the mode, replaces it.
TEST(AtomicFile, IdenticalContentsLeaveTheFileAlone) {
  TempDir Dir;
  std::string Path = Dir.file("out");
  std::string Base;
  for (size_t I = 0; I < 300'000; ++I)
    Base.push_back(static_cast<char>(I * 7 % 253));
  auto Write = [&](StringRef Body, StringRef Patch, int Mode, bool &Unchanged) {
    return writeFileAtomically(
        Path,
        [&](raw_pwrite_stream &OS) {
          OS << Body;
          if (!Patch.empty())
            OS.pwrite(Patch.data(), Patch.size(), 1000);
          return Error::success();
        },
        {Mode, false, false}, &Unchanged);
  };
  auto Identity = [&] {
    struct stat St;
    EXPECT_EQ(::stat(Path.c_str(), &St), 0);
    return std::make_pair(St.st_ino, int64_t(St.st_mtim.tv_sec) * 1000000000 +
                                         St.st_mtim.tv_nsec);
  };
  bool Unchanged = true;
  ASSERT_FALSE(errorToBool(Write(Base, "", 0644, Unchanged)));
  EXPECT_FALSE(Unchanged); // a new file
  auto First = Identity();

  ASSERT_FALSE(errorToBool(Write(Base, "", 0644, Unchanged)));
  EXPECT_TRUE(Unchanged);
  EXPECT_EQ(Identity(), First);
  EXPECT_EQ(Dir.entries(), 1u);
  // A patch that writes what is there already changes nothing either.
  ASSERT_FALSE(errorToBool(Write(Base, Base.substr(1000, 9), 0644, Unchanged)));
  EXPECT_TRUE(Unchanged);
  EXPECT_EQ(Identity(), First);

  struct Case {
    const char *What;
    std::string Body, Patch;
    int Mode;
  };
  std::string LastByte = Base;
  LastByte.back() ^= 1;
  std::vector<Case> Cases = {
      {"last byte", LastByte, "", 0644},
      {"patched", Base, "PATCH", 0644},
      {"shorter", Base.substr(0, Base.size() - 1), "", 0644},
      {"longer", Base + "x", "", 0644},
      {"mode", Base, "", 0600},
  };
  for (const Case &C : Cases) {
    ASSERT_FALSE(errorToBool(Write(Base, "", 0644, Unchanged))) << C.What;
    auto Before = Identity();
    ASSERT_FALSE(errorToBool(Write(C.Body, C.Patch, C.Mode, Unchanged)))
        << C.What;
    EXPECT_FALSE(Unchanged) << C.What;
    EXPECT_NE(Identity().first, Before.first) << C.What;
    std::string Want = C.Body;
    if (!C.Patch.empty())
      Want.replace(1000, C.Patch.size(), C.Patch);
    EXPECT_EQ(contents(Path), Want) << C.What;
    EXPECT_EQ(Dir.entries(), 1u) << C.What;
  }

  // With KeepIdentical off, the same contents are written anew.
  ASSERT_FALSE(errorToBool(Write(Base, "", 0644, Unchanged)));
  auto Before = Identity();
  ASSERT_FALSE(errorToBool(writeFileAtomically(
      Path, arrayRefFromStringRef(Base),
      {0644, false, false, /*KeepIdentical=*/false}, &Unchanged)));
  EXPECT_FALSE(Unchanged);
  EXPECT_NE(Identity().first, Before.first);
}
