//===- Options.h - Argument scanning for pyox-inject sub-commands ---------===//
//
// Sub-commands take GNU-style options: `--name VALUE`, `--name=VALUE`, `-o
// VALUE`, `-oVALUE`, flags, and positionals, with `--` ending options. Each
// command loops over an ArgScanner and says what it accepts; anything else is
// a one-line error naming the option.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_TOOLS_OPTIONS_H
#define PYOX_TOOLS_OPTIONS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace pyox {

class ArgScanner {
public:
  explicit ArgScanner(llvm::ArrayRef<const char *> Args) : Args(Args) {}

  bool done() const { return Index >= Args.size(); }

  // Consumes a positional argument (anything not starting with '-', or
  // anything after "--").
  std::optional<std::string> positional();

  // Consumes `Name` as a flag.
  bool flag(llvm::StringRef Name);
  bool flag(llvm::StringRef Name, llvm::StringRef Alias) {
    return flag(Name) || flag(Alias);
  }

  // Consumes `Name VALUE` / `Name=VALUE` (and `-xVALUE` for one-letter
  // options). Returns true and sets Value on a match. A missing value is
  // recorded and reported by error().
  bool value(llvm::StringRef Name, std::string &Value);
  bool value(llvm::StringRef Name, llvm::StringRef Alias, std::string &Value) {
    return value(Name, Value) || value(Alias, Value);
  }

  // Call when nothing matched the current argument: records it as unknown
  // and moves on.
  void unknown();

  // Records a problem with the current command line (the first one wins).
  void fail(std::string Message) {
    if (Problem.empty())
      Problem = std::move(Message);
  }

  // The first problem seen, if any.
  llvm::Error error(llvm::StringRef Command) const;

private:
  llvm::ArrayRef<const char *> Args;
  size_t Index = 0;
  bool OptionsEnded = false;
  std::string Problem;
};

} // namespace pyox

#endif
