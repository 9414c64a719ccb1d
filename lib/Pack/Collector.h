//===- Collector.h - Decide what goes into a payload ----------------------===//
//
// The collector walks search roots the way CPython's path-based finder would
// see them and classifies every file: module, package, namespace package,
// extension module, package data (resource), or distribution metadata. Of
// file contents it reads only the dynamic symbol table of `*.so` files and
// the listings of metadata; the compiler and the writer do the rest.
//
// Rules (docs/getting-started.md explains them to users):
//  - A directory below a root is a package if its name could be a module
//    name (UTF-8, no '.') and it is an identifier or holds __init__.py;
//    without __init__.py it is a PEP 420 namespace package.
//  - Inside a package, files that are not modules are resources, keyed by
//    their root-relative path; so is everything below a directory whose name
//    cannot be a module name (e.g. "templates-v2").
//  - A file with an extension-module name (`NAME.cpython-311-...so`,
//    `NAME.abi3.so`, `NAME.so`) is an extension module only if its ELF
//    dynamic symbol table exports `PyInit_NAME`, as CPython's loader will
//    look it up. Inside a package, any other shared library (`libfoo.so`,
//    `libfoo.so.1`, non-ELF files so named) is a resource: code reaches it
//    by path (ctypes, DT_NEEDED), never by import.
//  - At a root's top level, `NAME.dist-info`/`NAME.egg-info` are metadata,
//    and `NAME.libs/` (auditwheel's bundled libraries) is resources, taken
//    with the package NAME from the same root or with the taken metadata
//    whose RECORD lists it; other non-module files, shared libraries
//    included, are not importable and are skipped.
//  - A .py file whose stem contains '.' cannot be imported: an error.
//  - The first root that provides a top-level name wins; later ones are
//    skipped with a warning. So does the first root with a kept NAME.libs.
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
