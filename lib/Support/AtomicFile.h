//===- AtomicFile.h - Write a file so it is never seen half-written -------===//
//
// Users' files are replaced, never edited: the new contents go to a temporary
// file in the same directory, are fsync'ed, get the mode of the file they
// replace (or of a new file), and are renamed over the target. rename(2) is
// atomic within a file system, so a reader sees the old file or the new one.
// Renaming also works while the target is a running executable (the running
// image keeps the old inode), where writing into it would fail with ETXTBSY.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_SUPPORT_ATOMICFILE_H
#define PYOX_SUPPORT_ATOMICFILE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <functional>

namespace llvm {
class raw_pwrite_stream;
}

namespace pyox {

struct AtomicWriteOptions {
  // Mode of the new file; -1 keeps the mode of the file being replaced, or
  // uses 0644 (0755 when Executable) less the umask for a new file.
  int Mode = -1;
  bool Executable = false;
  // fsync the file and its directory before returning. Bulk writers of many
  // small files (extract) turn it off: each file is still never seen
  // half-written, only durability across a power cut is given up.
  bool Sync = true;
  // Leave Path alone, its inode and mtime included, when it already holds
  // exactly the new contents with the same mode ("write if changed", as
  // LLVM's tablegen and GCC's move-if-change do): a rebuild that changes
  // nothing does not bump the output's mtime, so ninja's restat and
  // programs running from the file see nothing happen. The new contents
  // are compared as they are written; the temporary file is still written
  // (never synced) and removed.
  bool KeepIdentical = true;
};

// Writes Path through a temporary file beside it. Write produces the
// contents; if it or any step fails, Path is untouched and the temporary file
// is removed. If Unchanged is given, it says whether Path was left as it was
// (KeepIdentical).
llvm::Error writeFileAtomically(
    llvm::StringRef Path,
    llvm::function_ref<llvm::Error(llvm::raw_pwrite_stream &)> Write,
    AtomicWriteOptions Options = {}, bool *Unchanged = nullptr);

// The same, for contents already in memory.
llvm::Error writeFileAtomically(llvm::StringRef Path,
                                llvm::ArrayRef<uint8_t> Contents,
                                AtomicWriteOptions Options = {},
                                bool *Unchanged = nullptr);

} // namespace pyox

#endif
