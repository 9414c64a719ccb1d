//===- SourceCompression.h - Entries stored as zstd frames ----------------===//
//
// What the runtime reads by copying may be stored compressed (zstd, Debian's
// libzstd; PYOX_ENTRY_ZSTD in pyox/format.h), since the copy can as well be
// a decompression; bytecode, unmarshalled in place, only when the program
// imports it later, if at all (compressCode).
//
// Sources come along by default, for tracebacks, linecache and inspect, and
// must not cost much: each is compressed with its own module's marshalled
// code as a raw-content prefix, which already holds most of the source's
// identifiers, strings and docstrings. The runtime decompresses a source
// only when one is read.
//
// Files (extension modules, the shared libraries carried for them, package
// data and metadata) are frames of their own. Extension modules and shared
// libraries are the bulk of a program's payload after its bytecode (OpenSSL
// alone is 4.7 MB) and shrink to ~45%; they are copied into a memfd before
// they are loaded anyway, and are decompressed into it instead, once, when
// first loaded (docs/format.md, "Compressed files"), so their frames are
// made for the decoder's speed (SourceCompression.cpp, FrameSettings).
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_PACK_SOURCECOMPRESSION_H
#define PYOX_PACK_SOURCECOMPRESSION_H

#include "Pack/PayloadWriter.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace pyox {

class CompileCache;

// Source compressed against Code: one zstd frame. Deterministic.
llvm::Expected<std::string> compressSource(llvm::StringRef Source,
                                           llvm::StringRef Code);

// The compile cache's key of the frame of a source whose digest
// (contentDigest()) is Source, compressed against Code by compressSources.
std::array<uint8_t, 32> sourceFrameKey(llvm::StringRef Code,
                                       const std::array<uint8_t, 32> &Source);

// File compressed alone: one zstd frame. Deterministic.
llvm::Expected<std::string> compressFile(llvm::StringRef File);

// The compile cache's key of the frame compressFiles makes of a file whose
// contents are Data, and whether it keeps a frame of Frame bytes made of
// Raw bytes (it stores the file as it is otherwise).
std::array<uint8_t, 32> fileFrameKey(llvm::StringRef Data);
bool fileFrameWorth(size_t Raw, size_t Frame);

// Compresses every SOURCE item of Items against the MODULE or PACKAGE item
// of the same name (in parallel; through Cache, if any, so that a warm
// build does no compression), setting its flags and raw size. A source
// without its code, or too large for the format's 32-bit raw size, stays
// as it is.
llvm::Error compressSources(std::vector<PayloadItem> &Items,
                            CompileCache *Cache);

// The same for every EXTENSION, RESOURCE and METADATA item of at least
// 4 KiB (smaller ones gain little and would cost a decompressor each time
// they are read) that compression makes at least an eighth smaller
// (already-compressed data stays as it is, read without zstd). The list of
// --host-data paths, which the runtime reads in place, stays as it is.
// With Only, just the items it accepts.
llvm::Error
compressFiles(std::vector<PayloadItem> &Items, CompileCache *Cache,
              llvm::function_ref<bool(const PayloadItem &)> Only = nullptr);

// Compresses every MODULE and PACKAGE item Only accepts (code the program
// imports only later, if at all: ImportGraph.h, Eager) alone, like a file,
// when its frame is smaller; after compressSources, whose frames take the
// code as it is for their prefix. A frame replaces a spooled extent.
llvm::Error compressCode(std::vector<PayloadItem> &Items, CompileCache *Cache,
                         llvm::function_ref<bool(const PayloadItem &)> Only);

// Frame decompressed (against Prefix, the raw-content prefix it was made
// with, if any): an error unless it gives exactly RawSize bytes.
llvm::Expected<std::string> decompressFrame(llvm::StringRef Frame,
                                            uint64_t RawSize,
                                            llvm::StringRef Prefix = {});

} // namespace pyox

#endif
