//===- SharedLibrariesTest.cpp - the system library policy ----------------===//

#include "Pack/SharedLibraries.h"

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
