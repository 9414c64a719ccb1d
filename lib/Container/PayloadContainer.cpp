//===- PayloadContainer.cpp -----------------------------------------------===//

#include "Container/PayloadContainer.h"

#include "COFF/CoffImage.h"
#include "Common/PayloadSection.h"
#include "ELF/ElfImage.h"
#include "ELF/ElfPayloads.h"
#include "MachO/MachOImage.h"
#include "pyox/format.h"
#include "pyox/format_record.h"

#include "llvm/ADT/StringExtras.h"

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

Expected<std::optional<FormatRange>> readableFormats(const elf::Image &Img,
                                                     StringRef File) {
  std::optional<StringRef> Section =
      elf::sectionContents(Img, PYOX_FORMATS_SECTION);
  if (!Section)
    return std::nullopt;
  Expected<FormatRange> Range =
      parseFormatRecords(arrayRefFromStringRef(*Section));
  if (!Range)
    return fileError(File, "section " PYOX_FORMATS_SECTION ": " +
                               toString(Range.takeError()));
  return *Range;
}

Expected<std::optional<FormatRange>> readableFormats(MemoryBufferRef Binary) {
  if (!elf::isElf(Binary.getBuffer()))
    return std::nullopt;
  Expected<elf::Image> Img = elf::readImage(Binary);
  if (!Img)
    return Img.takeError();
  return readableFormats(*Img, Binary.getBufferIdentifier());
}

} // namespace pyox
