//===- Collector.h - Decide what goes into a payload ----------------------===//
//
// The collector walks search roots the way CPython's path-based finder would
// see them and classifies every file: module, package, namespace package,
// extension module, package data (resource), or distribution metadata. It
// reads no file contents; the compiler and the writer do that.
//
// Rules (docs/getting-started.md explains them to users):
//  - A directory below a root is a package if its name could be a module
//    name (UTF-8, no '.') and it is an identifier or holds __init__.py;
//    without __init__.py it is a PEP 420 namespace package.
//  - Inside a package, files that are not modules are resources, keyed by
//    their root-relative path; so is everything below a directory whose name
//    cannot be a module name (e.g. "templates-v2").
//  - At a root's top level, `NAME.dist-info`/`NAME.egg-info` are metadata;
//    other non-module files are not importable and are skipped.
//  - A .py file whose stem contains '.' cannot be imported: an error.
//  - The first root that provides a top-level name wins; later ones are
//    skipped with a warning.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_PACK_COLLECTOR_H
#define PYOX_PACK_COLLECTOR_H

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace pyox {

struct CollectRoot {
  std::string Dir;
  // The host standard library: skip tests, GUI and installer packages.
  bool IsStdlib = false;
  // A lib-dynload directory: only extension modules are taken.
  bool ExtensionsOnly = false;
};

struct CollectConfig {
  std::vector<CollectRoot> Roots;
  // Top-level names to take from the non-stdlib roots; empty = all.
  std::vector<std::string> Packages;
  std::vector<std::string> Excludes; // fnmatch globs
  std::function<void(const llvm::Twine &)> Warn;
};

struct CollectedFile {
  uint8_t Kind = 0; // pyox_kind (never SOURCE: sources derive from modules)
  std::string Name; // lookup name (see pyox/format.h)
  std::string Path; // path relative to its root, '/'-separated
  std::string File; // file on disk; empty for namespace packages
};

// Top-level stdlib names that are never packed (tests, Tk, installers, and
// Debian's site hook).
extern const char *const StdlibExcludedNames[];

// Walks the roots. The result is sorted by (lookup group, name) and free of
// duplicates.
llvm::Expected<std::vector<CollectedFile>> collect(const CollectConfig &Config);

// The module name of an extension file name ("_json" for
// "_json.cpython-311-x86_64-linux-gnu.so"), or "" if it is not one this
// interpreter would load.
std::string extensionModuleName(llvm::StringRef FileName);

} // namespace pyox

#endif
