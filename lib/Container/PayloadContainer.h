//===- PayloadContainer.h - Find payloads in files ------------------------===//
//
// `list`, `verify` and `extract` take a payload file or a binary. This is the
// one dispatch point from file contents to the payloads inside: each object
// format folder (ELF/, MachO/, COFF/) contributes a finder; a bare payload
// file is its own container. Likewise for what a binary's runtime reads.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_CONTAINER_PAYLOADCONTAINER_H
#define PYOX_CONTAINER_PAYLOADCONTAINER_H

#include "Common/FormatRecord.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <optional>
#include <string>
#include <vector>

namespace pyox {

namespace elf {
struct Image;
}

struct EmbeddedPayload {
  std::string Name;        // payload name ("" for a bare payload file)
  std::string Where;       // human-readable location, e.g. "section .pyox"
  uint64_t FileOffset = 0; // where the payload bytes start in the file
  llvm::ArrayRef<uint8_t> Bytes; // the payload (may include trailing padding)
};

// All payloads in File (a payload file or a supported binary). An error names
// the file and what is wrong with it.
llvm::Expected<std::vector<EmbeddedPayload>>
findPayloads(llvm::MemoryBufferRef File);

// The payload formats the pyox runtime linked into Binary reads, from its
// section .pyox_formats (pyox/format_record.h); none when it has none. Only
// ELF binaries are read: the runtime records nothing in Mach-O and PE
// images. An error names the file and what is wrong with it.
llvm::Expected<std::optional<FormatRange>>
readableFormats(llvm::MemoryBufferRef Binary);

// The same for an ELF image already read (File names it in errors).
llvm::Expected<std::optional<FormatRange>>
readableFormats(const elf::Image &Img, llvm::StringRef File);

} // namespace pyox

#endif
