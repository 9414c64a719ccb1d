//===- LinkerArgs.h - pyox options inside a linker command line -----------===//
//
// pyox-ld takes an lld command line plus `--pyox-payload=FILE`. This is the
// part that understands the command line: which lld flavour the program name
// asks for, which arguments are pyox's (taken out), which target the link is
// for (so the payload object matches it), and everything else, forwarded to
// lld untouched and in order.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_LINK_LINKERARGS_H
#define PYOX_LINK_LINKERARGS_H

#include "Link/PayloadObject.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/StringSaver.h"

#include <optional>
#include <string>
#include <vector>

namespace pyox {
namespace link {

// The lld drivers, named as lld names them: GNU ld (ELF, or MinGW when the
// emulation is a PE one), ld64 (Mach-O), link.exe (COFF).
enum class LinkerFlavor { Gnu, Darwin, Link };

// The flavour from the program name, as lld derives it: the name (without
// directory and ".exe") split at '-' holds "ld"/"ld.lld", "ld64"/"ld64.lld"
// or "link": `pyox-ld`, `pyox-ld64`, `pyox-link`. std::nullopt otherwise.
std::optional<LinkerFlavor> flavorFromProgramName(llvm::StringRef Argv0);

// The machine of an input object from its first bytes (at least 20): ELF
// relocatable files, Mach-O MH_OBJECT, COFF objects of Format. std::nullopt
// for anything else (an executable, an archive, a machine pyox lacks).
std::optional<ObjectArch> objectArchOf(llvm::StringRef Header,
                                       ObjectFormat Format);

struct LinkRequest {
  LinkerFlavor Flavor = LinkerFlavor::Gnu;
  // The payload to link in; empty: none (pyox-ld is then plain lld).
  std::string PayloadFile;
  // What the payload object must be: format and machine of the link.
  ObjectConfig Object;
  // The lld command line without pyox's options, argv[0] first. With a
  // payload for ld64, `-segprot __PYOX r r` is added (unless the line has a
  // -segprot for __PYOX): ld64 would map the segment read-write.
  std::vector<const char *> LinkerArgs;
};

// Splits Args (argv[0] first; `-flavor NAME` as the first argument overrides
// the program name, as for lld) into pyox's options and lld's. pyox's, in
// any flavour: `--pyox-payload=FILE` / `--pyox-payload FILE` (also with one
// dash, and `/pyox-payload:FILE` for link.exe), `--pyox-name=NAME`,
// `--pyox-reserve=BYTES`, `--pyox-arch=ARCH`. Response files (`@FILE`) are
// expanded first, with the quoting rules of the flavour, so that pyox
// options inside them are seen; Saver owns the expanded strings. The target
// comes from --pyox-arch, else the command line (`-m EMULATION`, `-arch`,
// `/machine:`), else the first input object, else this machine.
llvm::Expected<LinkRequest> parseLinkerArgs(llvm::ArrayRef<const char *> Args,
                                            llvm::StringSaver &Saver);

} // namespace link
} // namespace pyox

#endif
