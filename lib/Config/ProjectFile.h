//===- ProjectFile.h - [tool.pyox] and [project.scripts] of pyproject.toml ===//
//
// A project says how to build it once, in its pyproject.toml (PEP 518's
// [tool.NAME] table for tools, PEP 621's [project.scripts] for its commands),
// instead of in a shell script of options:
//
//   [project.scripts]
//   hello = "hello.cli:main"
//
//   [tool.pyox]
//   stdlib = true
//   path = ["src"]
//   exclude-lib = ["libssl*"]
//
// The keys are the options of `pyox-inject build`, spelled as the long option
// without its dashes; the caller passes the list (from its option table), so
// that the file and the command line cannot drift apart. This reader checks
// each key and value type against that list, makes paths absolute against
// the file's directory, and says what is wrong as "FILE:LINE: ...". It
// applies nothing: the tool turns the settings back into options, under the
// command line's.
//
// TOML is read by toml++ (Debian's libtomlplusplus-dev), header-only, so that
// the tool loads no extra shared library.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_CONFIG_PROJECTFILE_H
#define PYOX_CONFIG_PROJECTFILE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace pyox {

// What a key's value may be.
enum class KeyType {
  Bool,        // true / false: a flag
  Value,       // a string (or an integer: jobs = 2)
  List,        // an array of strings, or one string
  BoolOrValue, // either (stdlib = true, stdlib = "all")
};

struct ProjectKey {
  std::string Name; // e.g. "exclude-lib"
  KeyType Type;
  bool IsPath = false; // relative values are relative to the file
};

struct ProjectSetting {
  std::string Key;
  unsigned Line = 0;
  bool IsBool = false;
  bool Flag = false;               // the value, when IsBool
  std::vector<std::string> Values; // otherwise: one, or a list's items
};

struct ProjectScript {
  std::string Name, Target; // hello = "hello.cli:main"
  unsigned Line = 0;
};

struct ProjectFile {
  std::string Path;                     // as given: messages name it so
  std::vector<ProjectSetting> Settings; // [tool.pyox], in file order
  std::vector<ProjectScript> Scripts;   // [project.scripts], in file order
  unsigned ScriptsLine = 0;             // where [project.scripts] starts
  bool HasToolTable = false;            // [tool.pyox] is there
};

// Reads Path and checks [tool.pyox] against Keys. Errors are one line:
// "FILE:LINE: [tool.pyox] unknown key 'entrypoint'", "FILE:LINE: <what
// toml++ says>" for a syntax error, "FILE: <errno text>" for a read error.
llvm::Expected<ProjectFile> readProjectFile(llvm::StringRef Path,
                                            llvm::ArrayRef<ProjectKey> Keys);

// The entry point [project.scripts] names: its one script, or the one named
// Choice (--script, [tool.pyox] script). Several and no choice, or a choice
// that is not there, is an error listing the names.
llvm::Expected<std::string> scriptEntryPoint(const ProjectFile &File,
                                             llvm::StringRef Choice);

// "FILE:LINE: MESSAGE" (or "FILE: MESSAGE" for line 0).
llvm::Error projectError(const ProjectFile &File, unsigned Line,
                         const llvm::Twine &Message);

} // namespace pyox

#endif
