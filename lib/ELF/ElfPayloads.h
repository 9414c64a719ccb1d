//===- ElfPayloads.h - Payloads inside an ELF file ------------------------===//

#ifndef PYOX_ELF_ELFPAYLOADS_H
#define PYOX_ELF_ELFPAYLOADS_H

#include "Container/PayloadContainer.h"

namespace pyox {
namespace elf {

// Every payload a PYOX note in File describes; an error for a malformed or
// unsupported ELF file.
llvm::Expected<std::vector<EmbeddedPayload>>
findElfPayloads(llvm::MemoryBufferRef File);

} // namespace elf
} // namespace pyox

#endif
