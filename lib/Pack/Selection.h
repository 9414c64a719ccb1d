//===- Selection.h - Which collected files a payload keeps ----------------===//
//
// Between collecting and compiling, the pack pipeline decides what goes in:
//   - `--dist NAME[extra]`: the distribution's top-level packages and those
//     of its Requires-Dist closure, taken whole (Distributions.h);
//   - `--entry SCRIPT`: a console script a distribution declares becomes
//     its MODULE:FUNCTION;
//   - with an entry point, the import closure (ImportGraph.h) of the entry
//     module, the whole packages, and the interpreter's start-up set; the
//     rest of the roots stays out (the standard library too, unless
//     --stdlib=all).
// The code the analysis compiled is handed on, so nothing is compiled
// twice; with the compile cache, the analysis of a warm build reads
// nothing but cache entries.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_PACK_SELECTION_H
#define PYOX_PACK_SELECTION_H

#include "Pack/Collector.h"
#include "Pack/ImportGraph.h"
#include "Pack/Pack.h"

#include "llvm/Support/Error.h"

#include <map>
#include <string>
#include <vector>

namespace pyox {

class CompileCache;

// The top-level names --dist selects, with why, in the order found.
llvm::Expected<std::vector<std::pair<std::string, std::string>>>
distributionPackages(const PackConfig &Config);

// MODULE:FUNCTION for Entry if it names a console script of a distribution
// in the --path roots (those of --dist first) and not a module of Files
// (which a --dist script beats); else Entry unchanged.
std::string resolveEntryPoint(const PackConfig &Config, llvm::StringRef Entry,
                              llvm::ArrayRef<CollectedFile> Files);

struct Selection {
  std::vector<std::string> Why; // per kept file, in order
  std::vector<bool> Eager; // per kept file: imported at start (ImportGraph)
  std::map<std::string, std::string> Code; // source file -> marshal data
  uint32_t BytecodeMagic = 0;              // 0 if nothing was compiled
  std::vector<UnresolvedImport> Unresolved;
};

// Keeps in Files what the entry point's closure reaches (see above).
llvm::Expected<Selection>
selectByImports(const PackConfig &Config, llvm::StringRef Entry,
                std::vector<CollectedFile> &Files,
                const std::vector<std::pair<std::string, std::string>> &Whole,
                CompileCache *Cache);

// Prints the unresolved imports through Config.Note: every one an
// application module makes, and a count of the standard library's own
// optional ones (inside try).
void reportUnresolved(const PackConfig &Config, const Selection &S);

struct PayloadItem;

// Writes Config.ReportFile: JSON with every entry of the payload (name,
// kind, why it was taken, size) and every unresolved import.
llvm::Error writeSelectionReport(const PackConfig &Config,
                                 llvm::StringRef Entry,
                                 llvm::ArrayRef<CollectedFile> Files,
                                 const Selection &S,
                                 llvm::ArrayRef<PayloadItem> Items);

} // namespace pyox

#endif
