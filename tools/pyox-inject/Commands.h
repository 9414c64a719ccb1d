//===- Commands.h - pyox-inject sub-commands ------------------------------===//
//
// Each sub-command parses its own arguments (Options.h) into a config, calls
// the library, and returns the process exit status. Errors are printed by
// reportError as one line: "pyox-inject: error: <file>: <problem>".
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_TOOLS_COMMANDS_H
#define PYOX_TOOLS_COMMANDS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include "Pack/Pack.h"

namespace pyox {

class ArgScanner;

using CommandArgs = llvm::ArrayRef<const char *>;

struct Command {
  const char *Name;
  const char *Synopsis;
  int (*Run)(CommandArgs Args);
};

// Prints "pyox-inject: error: MESSAGE" and returns exit status 1.
int reportError(llvm::Error E);
void reportWarning(const llvm::Twine &Message);

// The directory holding the pyox-inject executable (for default templates).
std::string toolDirectory();

// Prints "pyox-inject: remark: MESSAGE" (--verbose).
void reportRemark(const llvm::Twine &Message);

// A pack config with the tool's defaults: warnings printed, the compile
// cache in defaultCacheDir().
PackConfig defaultPackConfig();

// Consumes one pack option (--stdlib, --path, --package, --exclude, --entry,
// --sources, --optimize, -j, --cache-dir, --no-cache, --verbose) into
// Config; false if the current argument is not one. Shared by `pack` and
// `build`.
bool scanPackOption(ArgScanner &Scanner, PackConfig &Config);

int runPack(CommandArgs Args);
int runBuild(CommandArgs Args);
int runList(CommandArgs Args);
int runVerify(CommandArgs Args);
int runExtract(CommandArgs Args);
int runInject(CommandArgs Args);
int runRemove(CommandArgs Args);
int runObject(CommandArgs Args);
int runCache(CommandArgs Args);

} // namespace pyox

#endif
