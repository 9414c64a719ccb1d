//===- SharedLibrariesTest.cpp - the system library policy ----------------===//

#include "Pack/SharedLibraries.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MemoryBuffer.h"

#include "gtest/gtest.h"

using namespace pyox;
using namespace llvm;

namespace {

// The policy of docs/runtime.md, "Carried libraries": glibc's libraries and
// libgcc_s come from the target, everything else is carried.
TEST(SharedLibraries, Policy) {
  for (const char *S :
       {"ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "libc.so.6",
        "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1",
        "libutil.so.1", "libresolv.so.2", "libgcc_s.so.1",
        "/lib64/ld-linux-x86-64.so.2"})
    EXPECT_TRUE(isSystemLibrary(S)) << S;
  for (const char *S :
       {"libz.so.1", "libexpat.so.1", "libssl.so.3", "libcrypto.so.3",
        "libstdc++.so.6", "libcrypt.so.1", "libffi.so.8", "libcom_err.so.2",
        "libmvec.so.1", "libnsl.so.2", "libcfoo.so", "libc.sox", "libc"})
    EXPECT_FALSE(isSystemLibrary(S)) << S;
}

TEST(SharedLibraries, GlibcVersion) {
  Expected<GlibcVersion> V = parseGlibcVersion("2.34");
  ASSERT_TRUE(bool(V));
  EXPECT_EQ(V->str(), "2.34");
  EXPECT_EQ(GlibcVersion::decode(V->encode()).str(), "2.34");
  EXPECT_TRUE((GlibcVersion{2, 9} < GlibcVersion{2, 10}));
  for (const char *Bad : {"", "2", "2.", "x.1", "2.34.1", "0.1", "-2.3"}) {
    Expected<GlibcVersion> B = parseGlibcVersion(Bad);
    EXPECT_FALSE(bool(B)) << Bad;
    consumeError(B.takeError());
  }
}

} // namespace

namespace {

// The version needs of a real object: python3.11 imports symbols at
// GLIBC_2.x versions, and DT_NEEDED names libc.
TEST(SharedLibraries, ReadsVersionNeeds) {
  auto Buf = MemoryBuffer::getFile("/usr/bin/python3.11", false, false);
  ASSERT_TRUE(bool(Buf));
  Expected<ElfDynamicInfo> I =
      readElfDynamicInfo((*Buf)->getBuffer(), "/usr/bin/python3.11");
  ASSERT_TRUE(bool(I)) << toString(I.takeError());
  EXPECT_TRUE(I->IsElf);
  EXPECT_TRUE(is_contained(I->Needed, "libc.so.6"));
  EXPECT_FALSE(I->Floor.empty());
  EXPECT_FALSE(I->GlibcImports.empty());
}

} // namespace
