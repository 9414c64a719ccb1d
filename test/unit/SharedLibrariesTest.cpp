//===- SharedLibrariesTest.cpp - the system library policy ----------------===//

#include "Pack/SharedLibraries.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Object/ELF.h"
#include "llvm/Support/Endian.h"
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

#include "Pack/GlibcLowering.h"

namespace {

// Lowering to 2.28 with this host's libc and libm, for a template that
// needs libpthread and libdl (as pyox-run does).
GlibcLoweringContext hostGlibcAt228() {
  GlibcLoweringContext Ctx;
  Ctx.Target = {2, 28};
  Ctx.TemplateNeeded.insert("libpthread.so.0");
  Ctx.TemplateNeeded.insert("libdl.so.2");
  Error E = readHostGlibc(Ctx);
  EXPECT_FALSE(bool(E)) << toString(std::move(E));
  EXPECT_TRUE(Ctx.HostLibraries.count("libc.so.6"));
  return Ctx;
}

std::string readOrEmpty(StringRef Path) {
  auto Buf = MemoryBuffer::getFile(Path, false, false);
  return Buf ? (*Buf)->getBuffer().str() : std::string();
}

// Debian 12's liblzma needs pthread_create@GLIBC_2.34 and friends, which
// libc also defines at GLIBC_2.2.5 (aliases): lowered to the target 2.28,
// its floor is 2.28 and every import names a version glibc 2.28 has.
TEST(GlibcLowering, LowersAliases) {
  std::string Lzma = readOrEmpty("/lib/x86_64-linux-gnu/liblzma.so.5");
  if (Lzma.empty())
    GTEST_SKIP() << "no liblzma.so.5";
  GlibcLoweringContext Ctx = hostGlibcAt228();
  Expected<ElfDynamicInfo> Before = readElfDynamicInfo(Lzma, "liblzma");
  ASSERT_TRUE(bool(Before));
  ASSERT_TRUE((GlibcVersion{2, 28} < Before->Floor));
  Expected<GlibcLowering> L = lowerGlibcNeeds(Lzma, "liblzma", Ctx);
  ASSERT_TRUE(bool(L)) << toString(L.takeError());
  EXPECT_TRUE(L->Kept.empty()) << L->Kept.front();
  ASSERT_TRUE(L->Bytes.has_value());
  EXPECT_EQ(L->Bytes->size(), Lzma.size());
  Expected<ElfDynamicInfo> After = readElfDynamicInfo(*L->Bytes, "liblzma");
  ASSERT_TRUE(bool(After));
  EXPECT_FALSE((GlibcVersion{2, 28} < After->Floor)) << After->Floor.str();
  // The same symbols at glibc versions, but pthread_condattr_setclock:
  // its older version, GLIBC_2.3.3, is not a string of liblzma's .dynstr,
  // so its reference is unversioned (the one default definition).
  EXPECT_EQ(After->GlibcImports.size() + 1, Before->GlibcImports.size());
  for (const ElfDynamicInfo::VersionedImport &V : After->GlibcImports)
    EXPECT_NE(V.Symbol, "pthread_condattr_setclock");
  // Deterministic.
  Expected<GlibcLowering> Again = lowerGlibcNeeds(Lzma, "liblzma", Ctx);
  ASSERT_TRUE(bool(Again) && Again->Bytes);
  EXPECT_EQ(*Again->Bytes, *L->Bytes);
}

// libcrypt's arc4random_buf exists only at GLIBC_2.36: without a template
// exporting it, libcrypt is left as it is and the symbol is reported; with
// one, it is lowered (the template's definition answers on every glibc).
TEST(GlibcLowering, KeepsWhatHasNoOlderVersion) {
  std::string Crypt = readOrEmpty("/lib/x86_64-linux-gnu/libcrypt.so.1");
  if (Crypt.empty())
    GTEST_SKIP() << "no libcrypt.so.1";
  GlibcLoweringContext Ctx = hostGlibcAt228();
  Expected<GlibcLowering> L = lowerGlibcNeeds(Crypt, "libcrypt", Ctx);
  ASSERT_TRUE(bool(L)) << toString(L.takeError());
  EXPECT_FALSE(L->Bytes.has_value());
  EXPECT_TRUE(is_contained(L->Kept, "arc4random_buf@GLIBC_2.36"));

  Ctx.TemplateExports.insert("arc4random_buf");
  Expected<GlibcLowering> T = lowerGlibcNeeds(Crypt, "libcrypt", Ctx);
  ASSERT_TRUE(bool(T)) << toString(T.takeError());
  EXPECT_TRUE(T->Kept.empty());
  ASSERT_TRUE(T->Bytes.has_value());
  Expected<ElfDynamicInfo> After = readElfDynamicInfo(*T->Bytes, "libcrypt");
  ASSERT_TRUE(bool(After));
  EXPECT_FALSE((GlibcVersion{2, 28} < After->Floor)) << After->Floor.str();
}

// Symbols glibc 2.34 moved from librt (shm_open) stay unless the template
// needs librt: without it, the target's global scope has no librt below
// 2.34. Those of libpthread (liblzma's, moved at 2.32 and 2.34) stay
// without libpthread.
TEST(GlibcLowering, MovedSymbolsNeedTheirOldLibrary) {
  std::string Shm = readOrEmpty("/usr/lib/python3.11/lib-dynload/"
                                "_posixshmem.cpython-311-x86_64-linux-gnu.so");
  std::string Lzma = readOrEmpty("/lib/x86_64-linux-gnu/liblzma.so.5");
  if (Shm.empty() || Lzma.empty())
    GTEST_SKIP() << "no _posixshmem or liblzma";
  GlibcLoweringContext Ctx = hostGlibcAt228();
  Expected<GlibcLowering> L = lowerGlibcNeeds(Shm, "_posixshmem", Ctx);
  ASSERT_TRUE(bool(L)) << toString(L.takeError());
  EXPECT_FALSE(L->Bytes.has_value());
  EXPECT_TRUE(is_contained(L->Kept, "shm_open@GLIBC_2.34"));

  Ctx.TemplateNeeded.insert("librt.so.1");
  Expected<GlibcLowering> R = lowerGlibcNeeds(Shm, "_posixshmem", Ctx);
  ASSERT_TRUE(bool(R)) << toString(R.takeError());
  EXPECT_TRUE(R->Kept.empty());
  ASSERT_TRUE(R->Bytes.has_value());
  Expected<ElfDynamicInfo> After = readElfDynamicInfo(*R->Bytes, "shm");
  ASSERT_TRUE(bool(After));
  EXPECT_FALSE((GlibcVersion{2, 28} < After->Floor)) << After->Floor.str();

  Ctx.TemplateNeeded.erase("libpthread.so.0");
  Expected<GlibcLowering> P = lowerGlibcNeeds(Lzma, "liblzma", Ctx);
  ASSERT_TRUE(bool(P)) << toString(P.takeError());
  EXPECT_FALSE(P->Bytes.has_value());
  EXPECT_TRUE(is_contained(P->Kept, "pthread_create@GLIBC_2.34"));
  // Moved into libc at 2.32 (from libpthread too).
  EXPECT_TRUE(is_contained(P->Kept, "pthread_sigmask@GLIBC_2.32"));
}

// libssl needs stat@GLIBC_2.33, which has no older version: lowered only
// when the template exports stat unversioned (the virtual filesystem's
// hook), which then answers it on every glibc.
TEST(GlibcLowering, TemplateExportsAnswerWhatHasNoOlderVersion) {
  std::string Ssl = readOrEmpty("/lib/x86_64-linux-gnu/libssl.so.3");
  if (Ssl.empty())
    GTEST_SKIP() << "no libssl.so.3";
  GlibcLoweringContext Ctx = hostGlibcAt228();
  Expected<GlibcLowering> L = lowerGlibcNeeds(Ssl, "libssl", Ctx);
  ASSERT_TRUE(bool(L)) << toString(L.takeError());
  EXPECT_FALSE(L->Bytes.has_value());
  EXPECT_EQ(L->Kept, std::vector<std::string>{"stat@GLIBC_2.33"});

  Ctx.TemplateExports.insert("stat");
  Expected<GlibcLowering> T = lowerGlibcNeeds(Ssl, "libssl", Ctx);
  ASSERT_TRUE(bool(T)) << toString(T.takeError());
  ASSERT_TRUE(T->Bytes.has_value());
  Expected<ElfDynamicInfo> After = readElfDynamicInfo(*T->Bytes, "libssl");
  ASSERT_TRUE(bool(After));
  EXPECT_FALSE((GlibcVersion{2, 28} < After->Floor)) << After->Floor.str();
  // Still a versioned reference to stat, at a version glibc 2.28 has.
  bool Found = false;
  for (const ElfDynamicInfo::VersionedImport &V : After->GlibcImports)
    Found |= V.Symbol == "stat";
  EXPECT_TRUE(Found);
}

// A version need whose entries point past their section: an error naming
// the file, not a crash or a silent pass.
TEST(GlibcLowering, DamagedVersionNeeds) {
  std::string Lzma = readOrEmpty("/lib/x86_64-linux-gnu/liblzma.so.5");
  if (Lzma.empty())
    GTEST_SKIP() << "no liblzma.so.5";
  auto File = object::ELFFile<object::ELF64LE>::create(Lzma);
  ASSERT_TRUE(bool(File));
  auto Sections = File->sections();
  ASSERT_TRUE(bool(Sections));
  uint64_t At = 0;
  for (const auto &Sec : *Sections)
    if (Sec.sh_type == ELF::SHT_GNU_verneed)
      At = Sec.sh_offset;
  ASSERT_NE(At, 0u);
  // The first Elf64_Verneed's vn_aux.
  support::endian::write32le(&Lzma[At + 8], 0x7ffffff0);
  GlibcLoweringContext Ctx = hostGlibcAt228();
  Expected<GlibcLowering> L = lowerGlibcNeeds(Lzma, "liblzma.so.5", Ctx);
  ASSERT_FALSE(bool(L));
  EXPECT_EQ(toString(L.takeError()),
            "liblzma.so.5: damaged ELF file: SHT_GNU_verneed entry past its "
            "section");
}

} // namespace
