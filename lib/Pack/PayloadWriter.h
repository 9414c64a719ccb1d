//===- PayloadWriter.h - Lay out a payload (pyox/format.h) ----------------===//
//
// The writer does at pack time everything the runtime must not do at start
// up: it sorts the entries, builds the hash table, pools the strings, aligns
// the data and computes every checksum, so that the runtime maps the result
// and reads it in place. The output depends only on the entries given: same
// entries, same bytes.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_PACK_PAYLOADWRITER_H
#define PYOX_PACK_PAYLOADWRITER_H

#include "pyox/format.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace pyox {

struct PayloadItem {
  uint8_t Kind = 0; // pyox_kind
  std::string Name; // lookup name
  std::string Path; // root-relative file path
  std::string Data; // contents
  // PYOX_ENTRY_ZSTD when Data is compressed, and then its size
  // decompressed (SourceCompression.h).
  uint8_t Flags = 0;
  uint32_t RawSize = 0;
};

struct PayloadInfo {
  uint32_t PythonVersion = 0; // (major << 24) | (minor << 16)
  uint32_t BytecodeMagic = 0;
  std::string EntryPoint; // "module[:function]" or empty
  uint8_t Optimize = 0;
  bool HasSources = false;
  bool Isolated = false; // PYOX_FLAG_ISOLATED
  // The highest GLIBC_x.y the program's ELF objects need, (major << 16) |
  // minor; 0 when unknown (SharedLibraries.h).
  uint32_t GlibcFloor = 0;
  // The format to write: PYOX_FORMAT_VERSION, or an older one for tests of
  // the readers (no chunk table before PYOX_FORMAT_VERSION_CHUNKS).
  uint32_t FormatVersion = PYOX_FORMAT_VERSION;
};

// Lays out Items (any order; names must be unique within a lookup group)
// and writes the payload to OS front to back: the header and the index,
// which are built in memory, then each item's data, released once written
// (no copy of the whole payload is made).
llvm::Error writePayload(std::vector<PayloadItem> Items,
                         const PayloadInfo &Info, llvm::raw_ostream &OS);

// The same, into memory.
llvm::Expected<std::vector<uint8_t>>
writePayload(std::vector<PayloadItem> Items, const PayloadInfo &Info);

} // namespace pyox

#endif
