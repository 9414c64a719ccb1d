//===- CollectorTest.cpp - What the collector takes from a tree -----------===//

#include "Pack/Collector.h"

#include "pyox/payload.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/ObjectYAML/yaml2obj.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <unistd.h>

using namespace pyox;
using namespace llvm;

namespace {

class CollectorTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(sys::fs::createUniqueDirectory("pyox-collector", Root));
  }
  void TearDown() override { sys::fs::remove_directories(Root); }

  static void writeFile(StringRef Dir, StringRef Rel, StringRef Text) {
    SmallString<256> P(Dir);
    sys::path::append(P, Rel);
    sys::fs::create_directories(sys::path::parent_path(P));
    std::error_code EC;
    raw_fd_ostream OS(P, EC);
    ASSERT_FALSE(EC);
    OS << Text;
  }
  void touch(StringRef Rel, StringRef Text = "") { writeFile(Root, Rel, Text); }

  // An x86-64 ELF shared object at Rel whose dynamic symbol table defines
  // the functions Defined and imports the functions Undefined.
  void writeSharedObject(StringRef Rel, ArrayRef<StringRef> Defined,
                         ArrayRef<StringRef> Undefined = {}) {
    std::string Yaml = "--- !ELF\n"
                       "FileHeader:\n"
                       "  Class: ELFCLASS64\n"
                       "  Data: ELFDATA2LSB\n"
                       "  Type: ET_DYN\n"
                       "  Machine: EM_X86_64\n"
                       "Sections:\n"
                       "  - Name: .text\n"
                       "    Type: SHT_PROGBITS\n"
                       "    Flags: [ SHF_ALLOC, SHF_EXECINSTR ]\n"
                       "    Size: 16\n"
                       "DynamicSymbols:\n";
    for (StringRef Name : Defined)
      Yaml += ("  - Name: " + Name +
               "\n    Type: STT_FUNC\n    Section: .text\n"
               "    Binding: STB_GLOBAL\n")
                  .str();
    for (StringRef Name : Undefined)
      Yaml += ("  - Name: " + Name +
               "\n    Type: STT_FUNC\n    Binding: STB_GLOBAL\n")
                  .str();
    SmallVector<char, 0> Storage;
    std::string Errors;
    auto Obj = yaml::yaml2ObjectFile(
        Storage, Yaml, [&](const Twine &M) { Errors += M.str(); });
    ASSERT_TRUE(Obj) << Errors;
    touch(Rel, StringRef(Storage.data(), Storage.size()));
  }

  Expected<std::vector<CollectedFile>>
  run(std::vector<std::string> Packages = {},
      std::vector<std::string> Excludes = {}, bool ExtensionsOnly = false) {
    CollectConfig C;
    C.Roots.push_back({Root.str().str(), false, ExtensionsOnly});
    C.Packages = Packages;
    C.Excludes = Excludes;
    C.Warn = [this](const Twine &M) { Warnings.push_back(M.str()); };
    return collect(C);
  }

  static std::string describe(const std::vector<CollectedFile> &Files) {
    std::string S;
    for (const CollectedFile &F : Files)
      S += std::string(pyox_kind_name(F.Kind)) + " " + F.Name + " " + F.Path +
           "\n";
    return S;
  }

  SmallString<128> Root;
  std::vector<std::string> Warnings;
};

TEST_F(CollectorTest, ClassifiesATree) {
  touch("app.py");
  touch("pkg/__init__.py");
  touch("pkg/mod.py");
  touch("pkg/data/table.csv");
  touch("pkg/templates-v2/page.py"); // not a package name: a resource tree
  touch("pkg/__pycache__/mod.cpython-311.pyc");
  writeSharedObject("pkg/_fast.cpython-311-x86_64-linux-gnu.so",
                    {"PyInit__fast"});
  touch("ns/portion.py");
  touch("pkg-1.0.dist-info/METADATA");
  touch("README.txt");
  auto Files = run();
  ASSERT_TRUE(bool(Files)) << toString(Files.takeError());
  EXPECT_EQ(describe(*Files),
            "module app app.py\n"
            "namespace ns ns\n"
            "module ns.portion ns/portion.py\n"
            "package pkg pkg/__init__.py\n"
            "extension pkg._fast pkg/_fast.cpython-311-x86_64-linux-gnu.so\n"
            "namespace pkg.data pkg/data\n"
            "module pkg.mod pkg/mod.py\n"
            "resource pkg/data/table.csv pkg/data/table.csv\n"
            "resource pkg/templates-v2/page.py pkg/templates-v2/page.py\n"
            "metadata pkg-1.0.dist-info/METADATA pkg-1.0.dist-info/METADATA\n");
}

TEST_F(CollectorTest, PackageAndExclude) {
  touch("a/__init__.py");
  touch("a/tests/test_x.py");
  touch("b.py");
  touch("a-2.0.dist-info/METADATA");
  touch("b-1.0.dist-info/METADATA");
  auto Files = run({"a"}, {"*/tests"});
  ASSERT_TRUE(bool(Files)) << toString(Files.takeError());
  EXPECT_EQ(describe(*Files), "package a a/__init__.py\n"
                              "metadata a-2.0.dist-info/METADATA "
                              "a-2.0.dist-info/METADATA\n");
}

TEST_F(CollectorTest, UnknownPackageIsAnError) {
  touch("a.py");
  auto Files = run({"missing"});
  ASSERT_FALSE(bool(Files));
  EXPECT_NE(toString(Files.takeError()).find("--package missing"),
            std::string::npos);
}

TEST_F(CollectorTest, DottedStemIsData) {
  // No import reaches hook-PIL.Image.py; its package reads it by path.
  touch("pkg/__init__.py");
  touch("pkg/hooks/__init__.py");
  touch("pkg/hooks/hook-PIL.Image.py");
  touch("top.level.py"); // at the top: not importable, left out
  auto Files = run();
  ASSERT_TRUE(bool(Files)) << toString(Files.takeError());
  EXPECT_EQ(
      describe(*Files),
      "package pkg pkg/__init__.py\n"
      "package pkg.hooks pkg/hooks/__init__.py\n"
      "resource pkg/hooks/hook-PIL.Image.py pkg/hooks/hook-PIL.Image.py\n");
}

TEST_F(CollectorTest, NonUTF8NameIsAnError) {
  touch("pkg/__init__.py");
  touch("pkg/caf\xe9.py");
  auto Files = run();
  ASSERT_FALSE(bool(Files));
  EXPECT_NE(toString(Files.takeError()).find("not valid UTF-8"),
            std::string::npos);
}

TEST_F(CollectorTest, SymlinkLoopIsAnError) {
  touch("pkg/__init__.py");
  SmallString<256> Link(Root);
  sys::path::append(Link, "pkg", "again");
  ASSERT_EQ(::symlink("..", Link.c_str()), 0);
  auto Files = run();
  ASSERT_FALSE(bool(Files));
  EXPECT_NE(toString(Files.takeError()).find("symlink loop"),
            std::string::npos);
}

TEST_F(CollectorTest, PackageBeatsModuleOfTheSameName) {
  touch("x.py");
  touch("x/__init__.py");
  touch("y.py");
  touch("y/data.txt"); // a namespace portion loses to the module
  auto Files = run();
  ASSERT_TRUE(bool(Files)) << toString(Files.takeError());
  EXPECT_EQ(describe(*Files), "package x x/__init__.py\n"
                              "module y y.py\n"
                              "resource y/data.txt y/data.txt\n");
}

TEST_F(CollectorTest, OnlyExportersOfPyInitAreExtensionModules) {
  touch("pkg/__init__.py");
  writeSharedObject("pkg/_ext.so", {"PyInit__ext", "helper"});
  writeSharedObject("pkg/_abi.abi3.so", {"PyInit__abi"});
  // Plain libraries, as a package bundles them for ctypes or DT_NEEDED.
  writeSharedObject("pkg/libplain.so", {"plain_answer"});
  writeSharedObject("pkg/libhelper.so.1", {"helper"});
  // The init function of another name, or only imported: CPython's loader
  // would fail on both.
  writeSharedObject("pkg/renamed.so", {"PyInit_original"});
  writeSharedObject("pkg/importer.so", {"other"}, {"PyInit_importer"});
  touch("pkg/junk.so", "not an ELF file");
  // At the top level, a library that is not a module is a loose file.
  writeSharedObject("top.so", {"PyInit_top"});
  writeSharedObject("libtop.so", {"top_answer"});
  auto Files = run();
  ASSERT_TRUE(bool(Files)) << toString(Files.takeError());
  EXPECT_EQ(describe(*Files), "package pkg pkg/__init__.py\n"
                              "extension pkg._abi pkg/_abi.abi3.so\n"
                              "extension pkg._ext pkg/_ext.so\n"
                              "extension top top.so\n"
                              "resource pkg/importer.so pkg/importer.so\n"
                              "resource pkg/junk.so pkg/junk.so\n"
                              "resource pkg/libhelper.so.1 pkg/libhelper.so.1\n"
                              "resource pkg/libplain.so pkg/libplain.so\n"
                              "resource pkg/renamed.so pkg/renamed.so\n");
}

TEST_F(CollectorTest, ExtensionsOnlyRootTakesOnlyExtensionModules) {
  writeSharedObject("_json.cpython-311-x86_64-linux-gnu.so", {"PyInit__json"});
  writeSharedObject("libplain.so", {"plain_answer"});
  touch("junk.so", "not an ELF file");
  touch("notes.txt");
  auto Files = run({}, {}, /*ExtensionsOnly=*/true);
  ASSERT_TRUE(bool(Files)) << toString(Files.takeError());
  EXPECT_EQ(describe(*Files),
            "extension _json _json.cpython-311-x86_64-linux-gnu.so\n");
}

// A wheel repaired by auditwheel: pkg's extension reaches its libraries
// through RUNPATH $ORIGIN/../pkg.libs; cv2's directory is named after its
// distribution, opencv_python, whose RECORD lists it.
class LibsDirTest : public CollectorTest {
protected:
  void SetUp() override {
    CollectorTest::SetUp();
    touch("pkg/__init__.py");
    touch("pkg.libs/libhelper-1a2b.so", "ELF or not, a file");
    touch("pkg.libs/sub/data.txt");
    touch("cv2/__init__.py");
    touch("opencv_python-4.0.dist-info/RECORD",
          "cv2/__init__.py,,\nopencv_python.libs/libz-3c4d.so.1,,\n");
    touch("opencv_python.libs/libz-3c4d.so.1");
    touch("orphan.libs/liby.so");
  }
};

TEST_F(LibsDirTest, TakenWithItsPackageOrDistribution) {
  auto Files = run();
  ASSERT_TRUE(bool(Files)) << toString(Files.takeError());
  EXPECT_EQ(describe(*Files),
            "package cv2 cv2/__init__.py\n"
            "package pkg pkg/__init__.py\n"
            "resource opencv_python.libs/libz-3c4d.so.1 "
            "opencv_python.libs/libz-3c4d.so.1\n"
            "resource pkg.libs/libhelper-1a2b.so pkg.libs/libhelper-1a2b.so\n"
            "resource pkg.libs/sub/data.txt pkg.libs/sub/data.txt\n"
            "metadata opencv_python-4.0.dist-info/RECORD "
            "opencv_python-4.0.dist-info/RECORD\n");
  ASSERT_EQ(Warnings.size(), 1u);
  EXPECT_NE(Warnings[0].find("orphan.libs: no package 'orphan'"),
            std::string::npos)
      << Warnings[0];
}

TEST_F(LibsDirTest, PackageSelectsIt) {
  auto Pkg = run({"pkg"});
  ASSERT_TRUE(bool(Pkg)) << toString(Pkg.takeError());
  EXPECT_EQ(describe(*Pkg),
            "package pkg pkg/__init__.py\n"
            "resource pkg.libs/libhelper-1a2b.so pkg.libs/libhelper-1a2b.so\n"
            "resource pkg.libs/sub/data.txt pkg.libs/sub/data.txt\n");
  auto Cv2 = run({"cv2"});
  ASSERT_TRUE(bool(Cv2)) << toString(Cv2.takeError());
  EXPECT_EQ(describe(*Cv2), "package cv2 cv2/__init__.py\n"
                            "resource opencv_python.libs/libz-3c4d.so.1 "
                            "opencv_python.libs/libz-3c4d.so.1\n"
                            "metadata opencv_python-4.0.dist-info/RECORD "
                            "opencv_python-4.0.dist-info/RECORD\n");
  EXPECT_TRUE(Warnings.empty());
}

TEST_F(LibsDirTest, ExcludeApplies) {
  auto Files = run({"pkg", "cv2"}, {"pkg.libs/sub", "opencv_python.libs"});
  ASSERT_TRUE(bool(Files)) << toString(Files.takeError());
  EXPECT_EQ(describe(*Files),
            "package cv2 cv2/__init__.py\n"
            "package pkg pkg/__init__.py\n"
            "resource pkg.libs/libhelper-1a2b.so pkg.libs/libhelper-1a2b.so\n"
            "metadata opencv_python-4.0.dist-info/RECORD "
            "opencv_python-4.0.dist-info/RECORD\n");
}

TEST_F(LibsDirTest, FirstRootWithItsPackageWins) {
  // The first root has only an orphan pkg.libs, the second pkg and its
  // pkg.libs, the third another pkg.libs that loses to the second's.
  SmallString<128> Second, Third;
  ASSERT_FALSE(sys::fs::createUniqueDirectory("pyox-collector", Second));
  ASSERT_FALSE(sys::fs::createUniqueDirectory("pyox-collector", Third));
  writeFile(Second, "pkg/__init__.py", "");
  writeFile(Second, "pkg.libs/libsecond.so", "");
  writeFile(Third, "pkg/__init__.py", "");
  writeFile(Third, "pkg.libs/libthird.so", "");
  SmallString<128> First(Root);
  sys::fs::remove_directories(First);
  writeFile(First, "pkg.libs/libfirst.so", "");
  CollectConfig C;
  for (StringRef Dir : {First.str(), Second.str(), Third.str()})
    C.Roots.push_back({Dir.str(), false, false});
  C.Warn = [this](const Twine &M) { Warnings.push_back(M.str()); };
  auto Files = collect(C);
  sys::fs::remove_directories(Second);
  sys::fs::remove_directories(Third);
  ASSERT_TRUE(bool(Files)) << toString(Files.takeError());
  EXPECT_EQ(describe(*Files),
            "package pkg pkg/__init__.py\n"
            "resource pkg.libs/libsecond.so pkg.libs/libsecond.so\n");
  EXPECT_EQ((*Files)[0].File, (Second + "/pkg/__init__.py").str());
}

TEST(ExtensionName, Suffixes) {
  EXPECT_EQ(extensionModuleName("_json.cpython-311-x86_64-linux-gnu.so"),
            "_json");
  EXPECT_EQ(extensionModuleName("_yaml.abi3.so"), "_yaml");
  EXPECT_EQ(extensionModuleName("plain.so"), "plain");
  EXPECT_EQ(extensionModuleName("other.cpython-310-x86_64-linux-gnu.so"), "");
  EXPECT_EQ(extensionModuleName("notes.txt"), "");
}

} // namespace
