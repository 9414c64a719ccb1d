//===- ImportGraphTest.cpp - import scan, markers, requirements -----------===//

#include "Pack/ImportGraph.h"
#include "Pack/Compiler.h"
#include "Pack/Distributions.h"

#include "gtest/gtest.h"

#include <string>

using namespace pyox;

// compileSources starts the embedded interpreter in this process, where it
// lives until exit (as in pyox-inject): its objects are not leaks.
extern "C" const char *__lsan_default_suppressions() {
  return "leak:_PyObject_Malloc\nleak:PyMem_RawMalloc\nleak:PyMem_Malloc\n";
}

namespace {

ModuleScan scanSource(const std::string &Source) {
  CompileJob Job{"test.py", "test.py", &Source};
  auto Out = compileSources({Job}, 0, 1);
  if (!Out) {
    ADD_FAILURE() << llvm::toString(Out.takeError());
    return {};
  }
  auto Scan = scanImports(Out->Bytecode[0]);
  if (!Scan) {
    ADD_FAILURE() << llvm::toString(Scan.takeError());
    return {};
  }
  return *Scan;
}

const ImportSite *find(const ModuleScan &S, const std::string &Name,
                       uint32_t Level = 0) {
  for (const ImportSite &I : S.Imports)
    if (I.Name == Name && I.Level == Level)
      return &I;
  return nullptr;
}

// IMPORT_NAME with its level and fromlist; try; import_module; __main__
// blocks; main(); plugin-table strings.
TEST(ImportGraphTest, ScansImportForms) {
  ModuleScan S = scanSource("import os.path\n"
                            "from . import sibling\n"
                            "from ..pkg import a, b\n"
                            "try:\n"
                            "    import optional_mod\n"
                            "except ImportError:\n"
                            "    pass\n"
                            "import importlib\n"
                            "importlib.import_module('dyn.mod')\n"
                            "__import__('other')\n"
                            "def f():\n"
                            "    import infunc\n"
                            "def main():\n"
                            "    import inmain\n"
                            "if __name__ == '__main__':\n"
                            "    import mainonly\n"
                            "TABLE = {'x': 'thispkg.plugins.one'}\n");
  const ImportSite *I = find(S, "os.path");
  ASSERT_TRUE(I);
  EXPECT_FALSE(I->InTry);
  EXPECT_TRUE(I->FromList.empty());
  I = find(S, "", 1);
  ASSERT_TRUE(I);
  EXPECT_EQ(I->FromList, std::vector<std::string>{"sibling"});
  I = find(S, "pkg", 2);
  ASSERT_TRUE(I);
  EXPECT_EQ(I->FromList, (std::vector<std::string>{"a", "b"}));
  I = find(S, "optional_mod");
  ASSERT_TRUE(I);
  EXPECT_TRUE(I->InTry);
  I = find(S, "dyn.mod");
  ASSERT_TRUE(I);
  EXPECT_EQ(I->How, ImportSite::Dynamic);
  I = find(S, "other");
  ASSERT_TRUE(I);
  EXPECT_EQ(I->How, ImportSite::Dynamic);
  I = find(S, "infunc");
  ASSERT_TRUE(I);
  EXPECT_FALSE(I->InScriptMain);
  I = find(S, "inmain");
  ASSERT_TRUE(I);
  EXPECT_TRUE(I->InScriptMain);
  EXPECT_FALSE(find(S, "mainonly"));
  I = find(S, "thispkg.plugins.one");
  ASSERT_TRUE(I);
  EXPECT_EQ(I->How, ImportSite::Table);
}

// Deferred: an import in a function, lambda, comprehension or generator
// runs when it is called; one in module code or a class body (at any depth
// of classes) when the module is imported.
TEST(ImportGraphTest, ScansWhenImportsRun) {
  ModuleScan S = scanSource("import top\n"
                            "try:\n"
                            "    import intry\n"
                            "except ImportError:\n"
                            "    pass\n"
                            "class C:\n"
                            "    import inclass\n"
                            "    class D:\n"
                            "        import innerclass\n"
                            "        def m(self):\n"
                            "            import inmethod\n"
                            "def f():\n"
                            "    import infunc\n"
                            "    class E:\n"
                            "        import classinfunc\n"
                            "g = lambda: __import__('inlambda')\n"
                            "L = [__import__('incomp') for _ in ()]\n"
                            "__import__('dynamic')\n");
  for (const char *Name :
       {"top", "intry", "inclass", "innerclass", "dynamic"}) {
    const ImportSite *I = find(S, Name);
    ASSERT_TRUE(I) << Name;
    EXPECT_FALSE(I->Deferred) << Name;
  }
  for (const char *Name :
       {"inmethod", "infunc", "classinfunc", "inlambda", "incomp"}) {
    const ImportSite *I = find(S, Name);
    ASSERT_TRUE(I) << Name;
    EXPECT_TRUE(I->Deferred) << Name;
  }
}

// An import-only try body marks its imports (Guard) and its handler's
// (FallbackFor); a body that does more marks nothing.
TEST(ImportGraphTest, ScansImportOnlyTries) {
  ModuleScan S = scanSource("try:\n"
                            "    from _sha512 import sha512\n"
                            "except ImportError:\n"
                            "    from hashlib import sha512\n"
                            "try:\n"
                            "    import _bisect as b, _heapq\n"
                            "except ImportError:\n"
                            "    import bisect as b\n"
                            "try:\n"
                            "    import _json\n"
                            "    _json.make_scanner()\n"
                            "except ImportError:\n"
                            "    import json.scanner\n");
  const ImportSite *Body = find(S, "_sha512"), *Handler = find(S, "hashlib");
  ASSERT_TRUE(Body && Handler);
  EXPECT_NE(Body->Guard, 0u);
  EXPECT_EQ(Handler->FallbackFor, Body->Guard);
  EXPECT_EQ(Handler->Guard, 0u);
  const ImportSite *B1 = find(S, "_bisect"), *B2 = find(S, "_heapq"),
                   *B3 = find(S, "bisect");
  ASSERT_TRUE(B1 && B2 && B3);
  EXPECT_NE(B1->Guard, Body->Guard);
  EXPECT_EQ(B1->Guard, B2->Guard);
  EXPECT_EQ(B3->FallbackFor, B1->Guard);
  const ImportSite *J1 = find(S, "_json"), *J2 = find(S, "json.scanner");
  ASSERT_TRUE(J1 && J2);
  EXPECT_EQ(J1->Guard, 0u);
  EXPECT_EQ(J2->FallbackFor, 0u);
}

// A scan survives the result index's encoding whole (every field of every
// site, the names); cut or padded bytes are not a scan.
TEST(ImportGraphTest, ScanEncodingRoundTrips) {
  ModuleScan S = scanSource("import os.path\n"
                            "from ..pkg import a, b\n"
                            "try:\n"
                            "    import optional_mod\n"
                            "except ImportError:\n"
                            "    pass\n"
                            "__import__('other')\n"
                            "def main():\n"
                            "    import inmain\n"
                            "def f():\n"
                            "    import deferred\n"
                            "try:\n"
                            "    from _sha512 import sha512\n"
                            "except ImportError:\n"
                            "    from hashlib import sha512\n"
                            "TABLE = {'x': 'thispkg.plugins.one'}\n"
                            "print(time.strptime)\n");
  ASSERT_GE(S.Imports.size(), 5u);
  std::string Bytes = encodeScan(S);
  std::optional<ModuleScan> Back = decodeScan(Bytes);
  ASSERT_TRUE(Back);
  ASSERT_EQ(Back->Imports.size(), S.Imports.size());
  for (size_t I = 0; I < S.Imports.size(); ++I) {
    const ImportSite &A = S.Imports[I], &B = Back->Imports[I];
    EXPECT_EQ(A.Name, B.Name);
    EXPECT_EQ(A.Level, B.Level);
    EXPECT_EQ(A.FromList, B.FromList);
    EXPECT_EQ(A.InTry, B.InTry);
    EXPECT_EQ(A.InScriptMain, B.InScriptMain);
    EXPECT_EQ(A.Deferred, B.Deferred);
    EXPECT_EQ(A.Guard, B.Guard);
    EXPECT_EQ(A.FallbackFor, B.FallbackFor);
    EXPECT_EQ(A.How, B.How);
  }
  EXPECT_EQ(Back->Names, S.Names);
  EXPECT_EQ(encodeScan(*Back), Bytes);
  for (size_t Cut = 0; Cut < Bytes.size(); ++Cut)
    EXPECT_FALSE(decodeScan(llvm::StringRef(Bytes).take_front(Cut)))
        << "cut at " << Cut;
  EXPECT_FALSE(decodeScan(Bytes + "x"));
  EXPECT_FALSE(decodeScan(std::string("\xff\xff\xff\xff", 4)));
}

TEST(ImportGraphTest, RejectsDamagedMarshal) {
  auto Scan = scanImports(std::string("\xe3\x01", 2));
  EXPECT_FALSE(bool(Scan));
  llvm::consumeError(Scan.takeError());
}

bool marker(const char *M, const char *Extra = "") {
  auto V = evaluateMarker(M, Extra);
  if (!V) {
    ADD_FAILURE() << llvm::toString(V.takeError());
    return false;
  }
  return *V;
}

// PEP 508 markers, for Linux x86-64 CPython 3.11.
TEST(ImportGraphTest, EvaluatesMarkers) {
  EXPECT_TRUE(marker("python_version >= \"3.8\""));
  EXPECT_FALSE(marker("python_version < \"3.9\""));
  EXPECT_TRUE(marker("python_version > '3.9'")); // 3.11 > 3.9 as versions
  EXPECT_TRUE(marker("sys_platform == 'linux' and os_name == 'posix'"));
  EXPECT_FALSE(
      marker("sys_platform == 'win32' or platform_system == 'Darwin'"));
  EXPECT_TRUE(marker("(sys_platform == 'win32' or implementation_name == "
                     "'cpython') and platform_machine == 'x86_64'"));
  EXPECT_TRUE(marker("extra == \"Socks\"", "socks"));
  EXPECT_FALSE(marker("extra == 'socks'", ""));
  EXPECT_TRUE(marker("'linux' in sys_platform"));
  EXPECT_TRUE(marker("platform_python_implementation != 'PyPy'"));
  auto Bad = evaluateMarker("python_version >=", "");
  EXPECT_FALSE(bool(Bad));
  llvm::consumeError(Bad.takeError());
}

TEST(ImportGraphTest, ParsesRequirementNames) {
  auto [Name, Extras] = parseRequirementName("Requests[Socks, security] "
                                             "(>=2.0) ; python_version>'3'");
  EXPECT_EQ(Name, "Requests");
  EXPECT_EQ(Extras, (std::vector<std::string>{"socks", "security"}));
  EXPECT_EQ(parseRequirementName("chardet<6,>=3.0.2").first, "chardet");
  EXPECT_EQ(normalizeDistributionName("Foo_Bar.baz"), "foo-bar-baz");
}

TEST(ImportGraphTest, KnowsBuiltinModules) {
  EXPECT_TRUE(isBuiltinModule("sys"));
  EXPECT_TRUE(isBuiltinModule("_frozen_importlib"));
  EXPECT_FALSE(isBuiltinModule("json"));
}

} // namespace
