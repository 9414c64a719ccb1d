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

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <optional>
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
  // Set when Data was moved out to a DataSpool (Data is then empty).
  struct SpoolExtent {
    uint64_t Offset = 0, Size = 0;
    uint32_t Crc = 0; // CRC32C of the bytes
  };
  std::optional<SpoolExtent> Spooled = std::nullopt;

  uint64_t size() const { return Spooled ? Spooled->Size : Data.size(); }
};

// Item data moved out of memory into an unlinked temporary file (in
// TMPDIR): a pack of many files holds only their index entries, not their
// bytes, and writePayload copies them from here into the output.
class DataSpool {
public:
  static llvm::Expected<DataSpool> create();
  DataSpool(DataSpool &&Other) : FD(Other.FD), End(Other.End) { Other.FD = -1; }
  DataSpool(const DataSpool &) = delete;
  DataSpool &operator=(const DataSpool &) = delete;
  ~DataSpool();

  // Appends Data to the spool: where it is.
  llvm::Expected<PayloadItem::SpoolExtent> append(llvm::StringRef Data);
  // Appends It's data to the spool and releases it from memory.
  llvm::Error add(PayloadItem &It);
  // The bytes at At, back in memory.
  llvm::Expected<std::string> read(const PayloadItem::SpoolExtent &At) const;
  // Writes It's spooled bytes to OS.
  llvm::Error copyTo(const PayloadItem &It, llvm::raw_ostream &OS) const;

private:
  explicit DataSpool(int FD) : FD(FD) {}
  int FD = -1;
  uint64_t End = 0;
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

// Writes a laid-out payload to an output stream, front to back, once.
using PayloadBody = llvm::function_ref<llvm::Error(llvm::raw_ostream &)>;

// Lays out Items (any order; names must be unique within a lookup group),
// then calls Then with the payload's size and its writer, which writes the
// header and the index, built in memory, then each item's data, released
// once written (no copy of the whole payload is made). Spooled items' data
// comes from Spool. What Then returns is returned.
llvm::Error layOutPayload(
    std::vector<PayloadItem> Items, const PayloadInfo &Info,
    const DataSpool *Spool,
    llvm::function_ref<llvm::Error(uint64_t Size, PayloadBody Write)> Then);

// The same, written to OS.
llvm::Error writePayload(std::vector<PayloadItem> Items,
                         const PayloadInfo &Info, llvm::raw_ostream &OS,
                         const DataSpool *Spool = nullptr);

// The same, into memory.
llvm::Expected<std::vector<uint8_t>>
writePayload(std::vector<PayloadItem> Items, const PayloadInfo &Info,
             const DataSpool *Spool = nullptr);

} // namespace pyox

#endif
