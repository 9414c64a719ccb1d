//===- Commands.h - pyox-inject sub-commands ------------------------------===//
//
// main() finds the command, parses its arguments against the option table
// (Options.h; --help is answered there), and hands the parsed list to the
// command, which fills a config, calls the library, and returns the process
// exit status. Errors are printed by reportError as one line:
// "pyox-inject: error: <file>: <problem>".
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_TOOLS_COMMANDS_H
#define PYOX_TOOLS_COMMANDS_H

#include "llvm/Option/ArgList.h"
#include "llvm/Support/Error.h"

#include "Pack/Pack.h"

#include <string>
#include <vector>

namespace pyox {

using CommandArgs = llvm::opt::InputArgList;

struct Command {
  const char *Name;
  const char *Usage;   // what follows "pyox-inject NAME"
  const char *Summary; // one line, for --help
  unsigned Visibility; // its options (Options.h)
  int (*Run)(const CommandArgs &Args);
};

// Prints "pyox-inject: error: MESSAGE" and returns exit status 1.
int reportError(llvm::Error E);
void reportWarning(const llvm::Twine &Message);

// The directory holding the pyox-inject executable (for default templates).
std::string toolDirectory();

// Prints "pyox-inject: remark: MESSAGE" (--verbose).
void reportRemark(const llvm::Twine &Message);

// The positional arguments.
std::vector<std::string> positionals(const CommandArgs &Args);

// What pack and build share: the pack config, and the output, template
// and payload name, from [tool.pyox] of the project file (PackOptions.cpp)
// and then the command line, which wins.
struct PackCommand {
  PackConfig Pack;
  std::string Output;
  std::string Template; // build
  std::string Name;     // build: the payload section's name
  std::string Script;   // which of [project.scripts]
  bool Quiet = false;
  bool MappedCode = false; // build: --mapped-code turns it on
};

// Reads the project file (--config FILE, else ./pyproject.toml if there,
// none with --no-config) and the command line into a PackCommand, with an
// output and something to pack, and the progress line set up (Progress.h).
llvm::Expected<PackCommand> readPackCommand(llvm::StringRef Command,
                                            const CommandArgs &Args);

int runPack(const CommandArgs &Args);
int runBuild(const CommandArgs &Args);
int runList(const CommandArgs &Args);
int runVerify(const CommandArgs &Args);
int runExtract(const CommandArgs &Args);
int runInject(const CommandArgs &Args);
int runRemove(const CommandArgs &Args);
int runObject(const CommandArgs &Args);
int runCache(const CommandArgs &Args);

} // namespace pyox

#endif
