//===- ProjectFileTest.cpp - Unit tests for readProjectFile ---------------===//
//
// [tool.pyox] is checked against the keys the caller gives: each value type,
// paths made absolute against the file's directory, settings in file order;
// [project.scripts] gives the entry point, one script or the chosen one.
// The tool's use of it (keys from the option table, the command line
// winning) is tested by test/cli.
//
//===----------------------------------------------------------------------===//

#include "Config/ProjectFile.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

using namespace llvm;
using namespace pyox;

namespace {

struct ProjectDir {
  SmallString<128> Path;
  std::string Dir;
  ProjectDir() {
    EXPECT_FALSE(sys::fs::createUniqueDirectory("pyox-project", Path));
    Dir = Path.str().str();
  }
  ~ProjectDir() { sys::fs::remove_directories(Path); }
  std::string write(StringRef Text) const {
    SmallString<128> P(Path);
    sys::path::append(P, "pyproject.toml");
    std::error_code EC;
    raw_fd_ostream OS(P, EC);
    EXPECT_FALSE(EC);
    OS << Text;
    return std::string(P);
  }
};

const std::vector<ProjectKey> Keys = {
    {"stdlib", KeyType::BoolOrValue},
    {"path", KeyType::List, /*IsPath=*/true},
    {"exclude", KeyType::List},
    {"jobs", KeyType::Value},
    {"report", KeyType::Value, /*IsPath=*/true},
    {"isolated", KeyType::Bool},
    {"entry", KeyType::Value},
};

std::string errorText(Expected<ProjectFile> F) {
  return F ? std::string("no error") : toString(F.takeError());
}

TEST(ProjectFileTest, ValuesAndPaths) {
  ProjectDir D;
  std::string File = D.write("[tool.pyox]\n"
                             "stdlib = \"all\"\n"
                             "path = [\"src\", \"/abs/lib\"]\n"
                             "exclude = \"*/tests\"\n"
                             "jobs = 2\n"
                             "report = \"out/report.json\"\n"
                             "isolated = false\n");
  Expected<ProjectFile> F = readProjectFile(File, Keys);
  ASSERT_TRUE(bool(F)) << toString(F.takeError());
  EXPECT_TRUE(F->HasToolTable);
  ASSERT_EQ(F->Settings.size(), 6u);
  // In file order, with their lines.
  EXPECT_EQ(F->Settings[0].Key, "stdlib");
  EXPECT_EQ(F->Settings[0].Line, 2u);
  EXPECT_FALSE(F->Settings[0].IsBool);
  EXPECT_EQ(F->Settings[0].Values, std::vector<std::string>{"all"});
  // A relative path is relative to the file's directory; absolute stays.
  EXPECT_EQ(F->Settings[1].Key, "path");
  EXPECT_EQ(F->Settings[1].Values,
            (std::vector<std::string>{D.Dir + "/src", "/abs/lib"}));
  // One string for a list; an integer for a value.
  EXPECT_EQ(F->Settings[2].Values, std::vector<std::string>{"*/tests"});
  EXPECT_EQ(F->Settings[3].Values, std::vector<std::string>{"2"});
  EXPECT_EQ(F->Settings[4].Values,
            std::vector<std::string>{D.Dir + "/out/report.json"});
  EXPECT_TRUE(F->Settings[5].IsBool);
  EXPECT_FALSE(F->Settings[5].Flag);
}

TEST(ProjectFileTest, Errors) {
  ProjectDir D;
  EXPECT_EQ(errorText(readProjectFile(
                D.write("[tool.pyox]\n\nentrypoint = \"a:b\"\n"), Keys)),
            D.Dir + "/pyproject.toml:3: [tool.pyox] unknown key "
                    "'entrypoint'; did you mean 'entry'?");
  EXPECT_EQ(
      errorText(readProjectFile(D.write("[tool.pyox]\nisolated = 1\n"), Keys)),
      D.Dir + "/pyproject.toml:2: [tool.pyox] 'isolated' must be "
              "true or false, not an integer");
  EXPECT_EQ(
      errorText(readProjectFile(D.write("[tool.pyox]\njobs = 1.5\n"), Keys)),
      D.Dir + "/pyproject.toml:2: [tool.pyox] 'jobs' must be a string or an "
              "integer, not a number");
  EXPECT_EQ(errorText(readProjectFile(
                D.write("[tool.pyox]\npath = [\n \"a\",\n true]\n"), Keys)),
            D.Dir + "/pyproject.toml:4: [tool.pyox] 'path' must be an array "
                    "of strings; this item is a boolean");
  // toml++'s own message, on one line, at the line it names.
  std::string Syntax =
      errorText(readProjectFile(D.write("[tool.pyox]\njobs = \n"), Keys));
  EXPECT_EQ(Syntax.find(D.Dir + "/pyproject.toml:2: "), 0u) << Syntax;
  EXPECT_EQ(Syntax.find('\n'), std::string::npos) << Syntax;
  EXPECT_EQ(errorText(readProjectFile(D.Dir + "/none.toml", Keys)),
            D.Dir + "/none.toml: No such file or directory");
}

TEST(ProjectFileTest, Scripts) {
  ProjectDir D;
  Expected<ProjectFile> One = readProjectFile(
      D.write("[project.scripts]\napp = \" app.cli:main \"\n"), Keys);
  ASSERT_TRUE(bool(One)) << toString(One.takeError());
  EXPECT_FALSE(One->HasToolTable);
  Expected<std::string> Entry = scriptEntryPoint(*One, "");
  ASSERT_TRUE(bool(Entry)) << toString(Entry.takeError());
  EXPECT_EQ(*Entry, "app.cli:main");

  Expected<ProjectFile> Two = readProjectFile(
      D.write("[project]\nname = \"x\"\n[project.scripts]\nb = \"b:main\"\n"
              "a = \"a:main [cli]\"\n"),
      Keys);
  ASSERT_TRUE(bool(Two)) << toString(Two.takeError());
  // The chosen one, without its extras ("[cli]").
  Entry = scriptEntryPoint(*Two, "a");
  ASSERT_TRUE(bool(Entry)) << toString(Entry.takeError());
  EXPECT_EQ(*Entry, "a:main");
  // Several and no choice: listed in file order, at the table's line.
  EXPECT_EQ(toString(scriptEntryPoint(*Two, "").takeError()),
            D.Dir + "/pyproject.toml:3: [project.scripts] has 2 scripts (b, "
                    "a): choose one with [tool.pyox] script = \"NAME\" or "
                    "--script NAME");
  EXPECT_EQ(toString(scriptEntryPoint(*Two, "c").takeError()),
            D.Dir + "/pyproject.toml:3: [project.scripts] has no script 'c' "
                    "(b, a)");
}

} // namespace
