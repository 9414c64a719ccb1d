//===- PayloadContainer.cpp -----------------------------------------------===//

#include "Container/PayloadContainer.h"

#include "COFF/CoffImage.h"
#include "ELF/ElfImage.h"
#include "ELF/ElfPayloads.h"
#include "MachO/MachOImage.h"
#include "pyox/format.h"

#include <cstring>

using namespace llvm;

namespace pyox {

Expected<std::vector<EmbeddedPayload>> findPayloads(MemoryBufferRef File) {
  StringRef Data = File.getBuffer();
  ArrayRef<uint8_t> Bytes(reinterpret_cast<const uint8_t *>(Data.data()),
                          Data.size());
  if (Data.size() >= PYOX_MAGIC_SIZE &&
      std::memcmp(Data.data(), PYOX_MAGIC, PYOX_MAGIC_SIZE) == 0)
    return std::vector<EmbeddedPayload>{{"", "payload file", 0, Bytes}};
  if (elf::isElf(Data))
    return elf::findElfPayloads(File);
  if (macho::isMachO(Data))
    return macho::findMachOPayloads(File);
  if (coff::isCoff(Data))
    return coff::findCoffPayloads(File);
  return createStringError(std::errc::invalid_argument,
                           "%s: not a pyox payload or a supported binary",
                           File.getBufferIdentifier().str().c_str());
}

} // namespace pyox
