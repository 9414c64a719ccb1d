//===- SourceCompression.h - Sources as zstd frames against their code ----===//
//
// Sources come along by default, for tracebacks, linecache and inspect, and
// must not cost much: each is compressed (zstd) with its own module's
// marshalled code as a raw-content prefix, which already holds most of the
// source's identifiers, strings and docstrings (PYOX_ENTRY_ZSTD in
// pyox/format.h). The runtime decompresses a source only when one is read.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_PACK_SOURCECOMPRESSION_H
#define PYOX_PACK_SOURCECOMPRESSION_H

#include "Pack/PayloadWriter.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace pyox {

class CompileCache;

// Source compressed against Code: one zstd frame. Deterministic.
llvm::Expected<std::string> compressSource(llvm::StringRef Source,
                                           llvm::StringRef Code);

// Compresses every SOURCE item of Items against the MODULE or PACKAGE item
// of the same name (in parallel; through Cache, if any, so that a warm
// build does no compression), setting its flags and raw size. A source
// without its code, or too large for the format's 32-bit raw size, stays
// as it is.
llvm::Error compressSources(std::vector<PayloadItem> &Items,
                            CompileCache *Cache);

} // namespace pyox

#endif
