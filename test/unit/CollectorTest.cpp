//===- CollectorTest.cpp - What the collector takes from a tree -----------===//

#include "Pack/Collector.h"

#include "pyox/payload.h"

#include "llvm/ADT/SmallString.h"
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

  void touch(StringRef Rel, StringRef Text = "") {
    SmallString<256> P(Root);
    sys::path::append(P, Rel);
    sys::fs::create_directories(sys::path::parent_path(P));
    std::error_code EC;
    raw_fd_ostream OS(P, EC);
    ASSERT_FALSE(EC);
    OS << Text;
  }

  Expected<std::vector<CollectedFile>>
  run(std::vector<std::string> Packages = {},
      std::vector<std::string> Excludes = {}) {
    CollectConfig C;
    C.Roots.push_back({Root.str().str(), false, false});
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
  touch("pkg/_fast.cpython-311-x86_64-linux-gnu.so");
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

TEST_F(CollectorTest, DottedModuleNameIsAnError) {
  touch("pkg/__init__.py");
  touch("pkg/my.module.py");
  auto Files = run();
  ASSERT_FALSE(bool(Files));
  std::string M = toString(Files.takeError());
  EXPECT_NE(M.find("my.module.py"), std::string::npos) << M;
  EXPECT_NE(M.find("cannot be a module name"), std::string::npos) << M;
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

TEST(ExtensionName, Suffixes) {
  EXPECT_EQ(extensionModuleName("_json.cpython-311-x86_64-linux-gnu.so"),
            "_json");
  EXPECT_EQ(extensionModuleName("_yaml.abi3.so"), "_yaml");
  EXPECT_EQ(extensionModuleName("plain.so"), "plain");
  EXPECT_EQ(extensionModuleName("other.cpython-310-x86_64-linux-gnu.so"), "");
  EXPECT_EQ(extensionModuleName("notes.txt"), "");
}

} // namespace
