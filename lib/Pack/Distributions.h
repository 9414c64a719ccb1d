//===- Distributions.h - Installed distributions in the search roots ------===//
//
// `--dist NAME[extra,...]` packs an installed distribution and what it
// requires, and `--entry SCRIPT` runs a console script one declares. Both
// read the metadata installers leave beside the packages (PyPA "Recording
// installed projects", "Core metadata", "Entry points"):
//   - NAME-VER.dist-info/ (pip, wheels): METADATA (Requires-Dist lines),
//     RECORD (the installed files), entry_points.txt;
//   - NAME-VER.egg-info/ (setuptools, Debian's python3-* packages):
//     PKG-INFO, requires.txt ([extra] and [:marker] sections),
//     top_level.txt, installed-files.txt, entry_points.txt.
// Requirements carry PEP 508 environment markers, evaluated for the target
// the payload runs on: Linux, x86-64, CPython 3.11 (the embedded one).
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_PACK_DISTRIBUTIONS_H
#define PYOX_PACK_DISTRIBUTIONS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace pyox {

struct Distribution {
  std::string Name;                  // as its metadata directory spells it
  std::string MetadataDir;           // the *.dist-info / *.egg-info path
  std::vector<std::string> TopLevel; // importable top-level names it installs
};

// Distributions in Roots, first root first (a name found again in a later
// root is skipped, as its modules would be).
std::vector<Distribution> findDistributions(llvm::ArrayRef<std::string> Roots);

// PEP 503 normalised name: lower case, runs of -_. as '-'.
std::string normalizeDistributionName(llvm::StringRef Name);

// "NAME[a,b]" -> ("NAME", {"a", "b"}); a version or marker after it is
// dropped (requirement syntax, PEP 508).
std::pair<std::string, std::vector<std::string>>
parseRequirementName(llvm::StringRef Requirement);

// The requirements of D that apply on the target with Extras requested.
llvm::Expected<std::vector<std::string>>
requirementsOf(const Distribution &D, llvm::ArrayRef<std::string> Extras);

// Evaluates a PEP 508 marker for the target with `extra` = Extra.
llvm::Expected<bool> evaluateMarker(llvm::StringRef Marker,
                                    llvm::StringRef Extra);

// MODULE:FUNCTION of the console script Name that D declares, if any.
std::optional<std::string> consoleScript(const Distribution &D,
                                         llvm::StringRef Name);

} // namespace pyox

#endif
