//===- ProjectFile.cpp - [tool.pyox] and [project.scripts] ----------------===//

#include "Config/ProjectFile.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

// Header-only, without exceptions: errors come back in toml::parse_result.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include <algorithm>

using namespace llvm;

namespace pyox {

Error projectError(const ProjectFile &File, unsigned Line,
                   const Twine &Message) {
  std::string Where = File.Path;
  if (Line)
    Where += ":" + std::to_string(Line);
  return createStringError(std::errc::invalid_argument, "%s: %s", Where.c_str(),
                           Message.str().c_str());
}

namespace {

unsigned lineOf(const toml::source_region &R) { return R.begin.line; }

const char *typeName(toml::node_type T) {
  switch (T) {
  case toml::node_type::table:
    return "a table";
  case toml::node_type::array:
    return "an array";
  case toml::node_type::string:
    return "a string";
  case toml::node_type::integer:
    return "an integer";
  case toml::node_type::floating_point:
    return "a number";
  case toml::node_type::boolean:
    return "a boolean";
  default:
    return "a date or time";
  }
}

const char *expected(KeyType T) {
  switch (T) {
  case KeyType::Bool:
    return "true or false";
  case KeyType::Value:
    return "a string or an integer";
  case KeyType::List:
    return "an array of strings";
  case KeyType::BoolOrValue:
    return "true, false or a string";
  }
  llvm_unreachable("a KeyType");
}

// Reads one [tool.pyox] value into S, checking its type against K.
Error readValue(const ProjectFile &File, const ProjectKey &K,
                const toml::node &V, StringRef BaseDir, ProjectSetting &S) {
  auto WrongType = [&](const toml::node &N, unsigned Line) {
    return projectError(File, Line,
                        "[tool.pyox] '" + K.Name + "' must be " +
                            expected(K.Type) + ", not " + typeName(N.type()));
  };
  auto AddString = [&](const std::string &Text) {
    SmallString<256> Value(Text);
    // A path is relative to the file, wherever the tool runs.
    if (K.IsPath && !Value.empty() && !sys::path::is_absolute(Value)) {
      SmallString<256> Full(BaseDir);
      sys::path::append(Full, Value);
      Value = Full;
    }
    S.Values.push_back(Value.str().str());
  };
  if (const auto *B = V.as_boolean();
      B && (K.Type == KeyType::Bool || K.Type == KeyType::BoolOrValue)) {
    S.IsBool = true;
    S.Flag = B->get();
    return Error::success();
  }
  if (const auto *Str = V.as_string(); Str && K.Type != KeyType::Bool) {
    AddString(Str->get());
    return Error::success();
  }
  // jobs = 2, optimize = 1: numbers written as numbers.
  if (const auto *I = V.as_integer(); I && K.Type == KeyType::Value) {
    AddString(std::to_string(I->get()));
    return Error::success();
  }
  if (const auto *A = V.as_array(); A && K.Type == KeyType::List) {
    for (const toml::node &Item : *A) {
      const auto *Str = Item.as_string();
      if (!Str)
        return projectError(File, lineOf(Item.source()),
                            "[tool.pyox] '" + K.Name +
                                "' must be an array of strings; this item "
                                "is " +
                                typeName(Item.type()));
      AddString(Str->get());
    }
    return Error::success();
  }
  return WrongType(V, S.Line);
}

} // namespace

Expected<ProjectFile> readProjectFile(StringRef Path,
                                      ArrayRef<ProjectKey> Keys) {
  ProjectFile File;
  File.Path = Path.str();
  ErrorOr<std::unique_ptr<MemoryBuffer>> Buffer = MemoryBuffer::getFile(Path);
  if (!Buffer)
    return projectError(File, 0, Buffer.getError().message());
  toml::parse_result Parsed = toml::parse(
      std::string_view((*Buffer)->getBufferStart(), (*Buffer)->getBufferSize()),
      std::string_view(Path.data(), Path.size()));
  if (!Parsed) {
    // toml++ quotes what it saw, a line break included: keep to one line.
    const toml::parse_error &E = Parsed.error();
    std::string Description(E.description());
    for (size_t At = 0; (At = Description.find('\n', At)) != std::string::npos;)
      Description.replace(At, 1, "\\n");
    return projectError(File, lineOf(E.source()), Description);
  }
  const toml::table &Root = Parsed.table();
  SmallString<256> BaseDir(Path);
  if (std::error_code EC = sys::fs::make_absolute(BaseDir))
    return projectError(File, 0, EC.message());
  sys::path::remove_filename(BaseDir);

  if (const toml::node *Tool = Root.at_path("tool.pyox").node()) {
    const toml::table *Table = Tool->as_table();
    if (!Table)
      return projectError(File, lineOf(Tool->source()),
                          Twine("[tool.pyox] must be a table, not ") +
                              typeName(Tool->type()));
    File.HasToolTable = true;
    for (const auto &[Key, Value] : *Table) {
      StringRef Name(Key.str().data(), Key.str().size());
      unsigned Line = lineOf(Key.source());
      const ProjectKey *K =
          find_if(Keys, [&](const ProjectKey &PK) { return PK.Name == Name; });
      if (K == Keys.end()) {
        // The nearest key, as the command line suggests the nearest option.
        std::string Message = ("[tool.pyox] unknown key '" + Name + "'").str();
        // The nearest by edit distance, else one the key starts with
        // ("entrypoint": "entry").
        unsigned Best = 3;
        StringRef Nearest;
        for (const ProjectKey &PK : Keys)
          if (unsigned D = Name.edit_distance(PK.Name); D < Best) {
            Best = D;
            Nearest = PK.Name;
          }
        for (const ProjectKey &PK : Keys)
          if (Nearest.empty() && PK.Name.size() >= 4 &&
              Name.starts_with(PK.Name))
            Nearest = PK.Name;
        if (!Nearest.empty())
          Message += ("; did you mean '" + Nearest + "'?").str();
        return projectError(File, Line, Message);
      }
      ProjectSetting S;
      S.Key = Name.str();
      S.Line = Line;
      if (Error E = readValue(File, *K, Value, BaseDir, S))
        return std::move(E);
      File.Settings.push_back(std::move(S));
    }
    llvm::sort(File.Settings,
               [](const ProjectSetting &A, const ProjectSetting &B) {
                 return A.Line < B.Line;
               });
  }

  if (const toml::node *Scripts = Root.at_path("project.scripts").node()) {
    const toml::table *Table = Scripts->as_table();
    if (!Table)
      return projectError(File, lineOf(Scripts->source()),
                          Twine("[project.scripts] must be a table, not ") +
                              typeName(Scripts->type()));
    File.ScriptsLine = lineOf(Scripts->source());
    for (const auto &[Key, Value] : *Table) {
      const auto *Target = Value.as_string();
      if (!Target)
        return projectError(File, lineOf(Key.source()),
                            "[project.scripts] '" + Twine(Key.str()) +
                                "' must be a string, not " +
                                typeName(Value.type()));
      // An entry point's object reference, "module:function"; extras
      // after it ("[extra]", deprecated by the entry points spec) do not
      // change what runs.
      StringRef Reference = StringRef(Target->get()).split('[').first.trim();
      File.Scripts.push_back(
          {std::string(Key.str()), Reference.str(), lineOf(Key.source())});
    }
    llvm::sort(File.Scripts,
               [](const ProjectScript &A, const ProjectScript &B) {
                 return A.Line < B.Line;
               });
  }
  return std::move(File);
}

Expected<std::string> scriptEntryPoint(const ProjectFile &File,
                                       StringRef Choice) {
  std::vector<std::string> Names;
  for (const ProjectScript &S : File.Scripts) {
    if (S.Name == Choice || (Choice.empty() && File.Scripts.size() == 1))
      return S.Target;
    Names.push_back(S.Name);
  }
  if (File.Scripts.empty())
    return projectError(File, 0,
                        "no [project.scripts] to choose '" + Choice + "' from");
  if (Choice.empty())
    return projectError(
        File, File.ScriptsLine,
        "[project.scripts] has " + Twine(Names.size()) + " scripts (" +
            join(Names, ", ") +
            "): choose one with [tool.pyox] script = \"NAME\" or --script "
            "NAME");
  return projectError(File, File.ScriptsLine,
                      "[project.scripts] has no script '" + Choice + "' (" +
                          join(Names, ", ") + ")");
}

} // namespace pyox
