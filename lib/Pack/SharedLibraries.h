//===- SharedLibraries.h - What a program needs from the target system ----===//
//
// A pyox program is one file for machines that have no Python. It may rely
// on the target system for the C library and its companions only; every
// other shared library an extension module or a bundled library needs is
// carried in the payload and loaded from memory (docs/runtime.md, "Carried
// libraries").
//
// The policy is auditwheel's manylinux allow-list reduced to what every
// glibc system has: the dynamic loader, libc, libm, libpthread, libdl,
// librt, libutil, libresolv and libgcc_s. `systemLibraryPolicy()` is the one
// definition of that list; the docs and tests quote it.
//
// The closure: the DT_NEEDED entries of every ELF object packed, resolved
// as the build host's ld.so would (DT_RPATH when there is no DT_RUNPATH,
// DT_RUNPATH, ld.so.cache, the default directories; $ORIGIN expanded),
// transitively. Libraries outside the policy become resource files under
// PYOX_CARRIED_LIBS_DIR (pyox/format.h), named by their DT_NEEDED name (the
// soname) so that ld.so matches the copy loaded from memory and never
// searches the filesystem for it.
//
// The glibc floor: the highest GLIBC_x.y version any of those objects
// needs (its SHT_GNU_verneed), which is what the target's glibc must be at
// least.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_PACK_SHAREDLIBRARIES_H
#define PYOX_PACK_SHAREDLIBRARIES_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace pyox {

// The sonames' stems the target system provides: "libc" for libc.so.6.
llvm::ArrayRef<const char *> systemLibraryPolicy();

// Whether SONAME (a DT_NEEDED name such as "libm.so.6") is provided by the
// target system under the policy.
bool isSystemLibrary(llvm::StringRef Soname);

// A glibc version, "2.34" as {2, 34}; {0, 0} for none.
struct GlibcVersion {
  unsigned Major = 0, Minor = 0;
  bool operator<(const GlibcVersion &O) const {
    return Major != O.Major ? Major < O.Major : Minor < O.Minor;
  }
  bool empty() const { return Major == 0 && Minor == 0; }
  std::string str() const;
  // As stored in the payload header: (major << 16) | minor.
  uint32_t encode() const { return Major << 16 | Minor; }
  static GlibcVersion decode(uint32_t V) { return {V >> 16, V & 0xffff}; }
};

// "2.34" -> {2, 34}; an error names what was wrong.
llvm::Expected<GlibcVersion> parseGlibcVersion(llvm::StringRef Text);

// A version name's glibc version: "GLIBC_2.27" -> {2, 27}, x86-64's base
// "GLIBC_2.2.5" -> {2, 2}; GLIBC_PRIVATE and other names -> none.
std::optional<GlibcVersion> glibcVersionOf(llvm::StringRef Name);

// What the dynamic section and the version needs of an ELF object say.
struct ElfDynamicInfo {
  bool IsElf = false; // false: not an ELF shared object (nothing else set)
  uint16_t Machine = 0;
  std::string Soname;
  std::vector<std::string> Needed;
  std::string RunPath, RPath; // raw, ':'-separated, $ORIGIN unexpanded
  // Each symbol imported at a GLIBC_x.y version ("memfd_create", {2, 27}),
  // and the version needs with no symbol of their own (rare).
  struct VersionedImport {
    std::string Symbol;
    GlibcVersion Version;
  };
  std::vector<VersionedImport> GlibcImports;
  GlibcVersion Floor;  // the highest of GlibcImports and the version needs
  std::string BuildId; // the NT_GNU_BUILD_ID note's bytes; empty for none
};

// Reads BYTES (the file NAME, for errors). A file that is not ELF gives
// IsElf = false; a damaged ELF file is an error.
llvm::Expected<ElfDynamicInfo> readElfDynamicInfo(llvm::StringRef Bytes,
                                                  llvm::StringRef Name);

// One object whose DT_NEEDED the closure follows: a packed file (its path
// on disk and its path in the tree, relative to the program) or a carried
// library.
struct ClosureInput {
  std::string File;    // on disk
  std::string TreeRel; // in the tree, '/'-separated
};

struct CarriedLibrary {
  std::string Soname;                // the DT_NEEDED name
  std::string File;                  // the host file it was found at
  std::vector<std::string> NeededBy; // tree paths of the objects needing it
};

struct ClosureConfig {
  // --exclude-lib: fnmatch globs over sonames left to the host.
  std::vector<std::string> ExcludeLibs;
  // Where ld.so looks after RUNPATH: the cache and the default directories.
  // Empty: /etc/ld.so.cache and the host's multiarch directories.
  std::string LdSoCache;
  std::vector<std::string> DefaultDirs;
  // Receives a warning for each library ld.so would not find.
  std::function<void(const llvm::Twine &)> Warn;
};

// Resolves the DT_NEEDED closure of INPUTS. Libraries found inside the tree
// (through $ORIGIN) are already packed; policy libraries, excluded ones and
// those ld.so would not find (a warning) are left to the system.
llvm::Expected<std::vector<CarriedLibrary>>
resolveCarriedLibraries(llvm::ArrayRef<ClosureInput> Inputs,
                        const ClosureConfig &Config);

class CompileCache;
struct PackConfig;
struct CollectedFile;
struct PayloadItem;
struct PayloadInfo;

// Whether a packed file of KIND at tree path PATH is one of the objects
// packSharedLibraries reads: an extension module, or a resource named like
// a shared library (NAME.so, NAME.so.N).
bool mayBeSharedObject(uint8_t Kind, llvm::StringRef Path);

// The pack pass: adds to ITEMS the libraries that the ELF objects of FILES
// (extension modules, bundled libraries) need beyond the policy, under
// PYOX_CARRIED_LIBS_DIR; computes the glibc floor of everything in ITEMS
// and Config.TemplateFile into INFO; fails when it exceeds
// Config.MaxGlibc, naming the objects and symbols responsible. With CACHE
// (and compression), an object unchanged since a build that recorded it is
// not read again: its frame and floor come from the cache.
llvm::Error packSharedLibraries(const PackConfig &Config,
                                llvm::ArrayRef<CollectedFile> Files,
                                std::vector<PayloadItem> &Items,
                                PayloadInfo &Info, CompileCache *Cache);

// --host-data: adds the files under each of Config.HostData (absolute
// paths of the build host, files or directories; symbolic links to files
// are followed, to directories skipped) as resources under
// PYOX_HOST_DATA_DIR, and the list of those paths as PYOX_HOST_DATA_ROOTS.
llvm::Error packHostData(const PackConfig &Config,
                         std::vector<PayloadItem> &Items);

} // namespace pyox

#endif
