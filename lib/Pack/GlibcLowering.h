//===- GlibcLowering.h - Lowering an object's glibc version needs ---------===//
//
// A carried library or extension module built on this glibc asks for
// symbols at the versions this glibc gives them (pthread_create@GLIBC_2.34,
// stat@GLIBC_2.33), and ld.so refuses to load it on a glibc that lacks one
// of those versions (elf/dl-version.c, match_symbol: "version `GLIBC_2.34'
// not found"). Many of those symbols exist at an older version too, and the
// program's template defines some of them itself; lowering rewrites the
// object's SHT_GNU_versym / SHT_GNU_verneed in place so that each reference
// above the target names a version the older glibc has, when that is sound:
//
//  - The host's C library defines the symbol at an older version at the
//    same address (an alias: pthread_create@GLIBC_2.2.5 and @GLIBC_2.34 are
//    one function), or libm's older wrapper that computes the same values
//    (exp, log, pow @GLIBC_2.2.5: the template uses them already). A symbol
//    re-versioned by glibc's merges into libc (libpthread at 2.32 and
//    2.34; libdl, libutil, librt at 2.34) lived in those libraries before:
//    lowered when the template needs that library (DT_NEEDED), as lookups
//    are by name and version over the whole global scope, not tied to the
//    file the version need names. Other libc symbols re-versioned at 2.32
//    or later (libanl's, libresolv's, __libc_start_main) are not lowered.
//  - Or the template exports an unversioned definition of it (the stat
//    family: the virtual filesystem's hooks). elf/dl-lookup.c, check_match,
//    accepts an unversioned default definition for a versioned reference,
//    and the executable is first in every lookup scope.
//
// An object with any symbol that can be neither is left as it is: its floor
// stays, and the floor check reports it. The rewrite changes only version
// indices and version-need names (to strings already in .dynstr) and their
// ELF hashes: no size or address changes.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_PACK_GLIBCLOWERING_H
#define PYOX_PACK_GLIBCLOWERING_H

#include "Pack/SharedLibraries.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <optional>
#include <string>
#include <vector>

namespace pyox {

// What lowering may rely on.
struct GlibcLoweringContext {
  GlibcVersion Target; // the floor to reach
  // Symbols the template defines and exports without a version.
  llvm::StringSet<> TemplateExports;
  // The template's DT_NEEDED, and the libraries it loads itself below glibc
  // 2.34 (pyox/glibc_split.h): on every glibc, in the global scope.
  llvm::StringSet<> TemplateNeeded;
  // The build host's glibc libraries by soname ("libc.so.6"): each symbol's
  // definitions (version name, address).
  struct Definition {
    std::string Version;
    uint64_t Value = 0;
  };
  llvm::StringMap<llvm::StringMap<std::vector<Definition>>> HostLibraries;
  // The files HostLibraries was read from.
  std::vector<std::string> HostFiles;
};

// Reads the definitions of the glibc libraries this process runs on (libc,
// libm: those a packed object's version needs name) into CTX.
llvm::Error readHostGlibc(GlibcLoweringContext &Ctx);

// Adds the unversioned, exported definitions of the template (BYTES, the
// file NAME) and its DT_NEEDED to CTX.
llvm::Error readTemplateExports(llvm::StringRef Bytes, llvm::StringRef Name,
                                GlibcLoweringContext &Ctx);

struct GlibcLowering {
  // The rewritten object, or none when it was left as it is.
  std::optional<std::string> Bytes;
  // Why not: the symbols above the target that cannot be lowered
  // ("arc4random_buf@GLIBC_2.36").
  std::vector<std::string> Kept;
};

// Lowers the version needs of the ELF object BYTES (the file NAME) to
// Ctx.Target where sound (see above). Not ELF, or nothing above the target:
// no bytes and nothing kept.
llvm::Expected<GlibcLowering> lowerGlibcNeeds(llvm::StringRef Bytes,
                                              llvm::StringRef Name,
                                              const GlibcLoweringContext &Ctx);

} // namespace pyox

#endif
