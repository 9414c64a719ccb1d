//===- ImportGraph.h - What an application imports ------------------------===//
//
// With an entry point, a payload holds the modules the program can import
// rather than everything in its search roots. The analysis reads the
// compiled code, not the source: the marshalled code objects the compiler
// produces anyway (and the compile cache keeps), walked in C++ with no
// interpreter. Each code object's bytecode is scanned for
//   - IMPORT_NAME, with the level and fromlist its two LOAD_CONSTs push
//     (CPython 3.11's compiler always emits them right before it);
//   - a string constant passed to something named `import_module` or
//     `__import__` (importlib.import_module("x"), __import__("x"));
//   - string constants that spell a dotted module name of the importer's own
//     top-level package ("pygments.lexers.python" in a lexer table), the
//     visible plugin tables that name-based loaders read;
// and whether an import sits inside a `try` (the code object's exception
// table covers it), which makes an unresolved import optional rather than
// a certain failure; whether it runs on import or later (in a function:
// Deferred); and the fallbacks of `try` bodies that cannot fail (Guard).
//
// The closure starts from the roots (entry module, --package, --dist, the
// interpreter's start-up set) and resolves names against the collected
// files, which already reflect sys.path order (the first root providing a
// top-level name wins). Importing a.b.c imports a and a.b; `from p import
// x` imports p.x when that is a module. A package brings its data files,
// its data-only directories and the extension modules beside its code; a
// distribution's metadata comes along when it provides a taken module.
//
// What the bytecode cannot show (imports made by C code, names computed at
// run time) is covered by a short table of known hidden imports, by
// --package NAME (take this package whole), and otherwise reported: every
// import that resolves to nothing is listed with its importer.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_PACK_IMPORTGRAPH_H
#define PYOX_PACK_IMPORTGRAPH_H

#include "Pack/Collector.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace pyox {

// A module or attribute name: identifiers (any non-ASCII UTF-8 byte
// allowed, PEP 3131) joined by single dots.
bool isDottedName(llvm::StringRef S);

struct ImportSite {
  enum Form : uint8_t {
    Statement, // import / from-import (IMPORT_NAME)
    Dynamic,   // import_module("x") / __import__("x") with a literal name
    Table,     // a string constant naming a module of the same package
  };
  std::string Name;   // as written; relative to the importer when Level > 0
  uint32_t Level = 0; // leading dots
  std::vector<std::string> FromList; // `from Name import a, b`
  bool InTry = false;
  // In a module-level main()/_test() function: the standard library's
  // script mode (`python3 -m pickle`), not followed there.
  bool InScriptMain = false;
  // In a function (or lambda, comprehension...): made when it is called,
  // not when the module is imported. Module code and class bodies run on
  // import.
  bool Deferred = false;
  // A `try:` whose body only imports (and binds) names, numbered from 1 in
  // the module: Guard on the imports of its body, FallbackFor on those of
  // its handler. When every import of the body is of a built-in module
  // and the names it takes are there, the body cannot fail and the
  // handler's imports are never made (`from _sha512 import sha512`, else
  // hashlib's): the analysis does not follow them.
  uint32_t Guard = 0, FallbackFor = 0;
  Form How = Statement;
};

struct ModuleScan {
  std::vector<ImportSite> Imports;
  // Every name the code refers to (co_names of all code objects), for the
  // hidden imports keyed on an attribute (time.strptime imports _strptime).
  std::vector<std::string> Names;
};

// Scans one marshalled code object (as the compiler writes it).
llvm::Expected<ModuleScan> scanImports(llvm::StringRef Marshal);

// A scan as bytes (for the compile cache's result index) and back; none
// for bytes that are not one. ScanForm names the scanner's output: it
// changes whenever scanImports would give another scan of the same code.
inline constexpr llvm::StringLiteral ScanForm = "import-scan-3";
std::string encodeScan(const ModuleScan &Scan);
std::optional<ModuleScan> decodeScan(llvm::StringRef Bytes);

struct UnresolvedImport {
  std::string Module;   // the absolute name that resolved to nothing
  std::string Importer; // the first module found importing it
  unsigned Importers = 0;
  bool InTry = false;      // every site of it is inside try
  bool FromStdlib = false; // every importer is in the standard library
};

struct ImportGraphConfig {
  // Roots: (module name, why it is a root). A root that resolves to
  // nothing is an error, reported by the caller before the analysis.
  std::vector<std::pair<std::string, std::string>> Roots;
  // Top-level names taken whole (--package, --dist), with why.
  std::vector<std::pair<std::string, std::string>> WholePackages;
  // Which collected files came from the standard library's roots.
  std::vector<bool> FromStdlib;
  // Gives the scans (scanImports) of the given module files (indices into
  // the collected list), in that order; called once per round of the
  // closure. The caller compiles, or finds the scans known.
  std::function<llvm::Expected<std::vector<ModuleScan>>(llvm::ArrayRef<size_t>)>
      Scan;
  // Whether built-in module Module has attribute Name (for the fallbacks
  // of import-only try bodies, ImportSite::Guard); none: no guard holds.
  std::function<bool(llvm::StringRef Module, llvm::StringRef Name)> BuiltinHas;
};

struct ImportGraph {
  std::vector<bool> Keep; // per collected file
  // Per collected file: imported when the program starts, as far as the
  // code shows: reached from the roots (not the packages taken whole)
  // through imports that run on import (not Deferred), parents, companion
  // extension modules and hidden imports. The rest of Keep is imported
  // later, if at all, and is stored compressed (compressCode).
  std::vector<bool> Eager;
  std::vector<std::string> Why;             // per kept file: why it was taken
  std::vector<UnresolvedImport> Unresolved; // sorted by module name
};

// Takes the closure of the roots over Files.
llvm::Expected<ImportGraph>
buildImportGraph(llvm::ArrayRef<CollectedFile> Files,
                 const ImportGraphConfig &Config);

// Modules the interpreter and the pyox runtime import at start or from C
// (docs/runtime.md, "What is packed"): roots of every analysed payload.
extern const char *const StartupModules[];

// Whether Name is built into the interpreter pyox embeds (sys.builtin_
// module_names): such imports always resolve.
bool isBuiltinModule(llvm::StringRef Name);

// Whether the interpreter carries module Name frozen (os, site, codecs...):
// its FrozenImporter serves it unless -X frozen_modules=off, so the
// payload's copy is seldom imported.
bool isFrozenModule(llvm::StringRef Name);

} // namespace pyox

#endif
