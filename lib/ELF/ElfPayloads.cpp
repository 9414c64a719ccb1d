//===- ElfPayloads.cpp - The ELF finder behind findPayloads ---------------===//
//
// `list`, `verify` and `extract` see the payloads of an ELF file through the
// same notes the runtime locator follows, so a link-time payload and a
// post-link one look the same.
//
//===----------------------------------------------------------------------===//

#include "ELF/ElfPayloads.h"

#include "ELF/ElfImage.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/BinaryFormat/ELF.h"

using namespace llvm;

namespace pyox {
namespace elf {

Expected<std::vector<EmbeddedPayload>> findElfPayloads(MemoryBufferRef File) {
  Expected<Image> Img = readImage(File);
  if (!Img)
    return Img.takeError();
  std::vector<EmbeddedPayload> Result;
  for (const PayloadRef &R : Img->Payloads) {
    std::string Where;
    for (const Section &S : Img->Sections)
      if (S.Type != ELF::SHT_NOBITS && S.Offset == R.FileOffset && S.Size &&
          S.Flags & ELF::SHF_ALLOC)
        Where = "section " + S.Name;
    if (Where.empty())
      Where = "segment";
    Where += R.PostLink ? " (post-link)" : " (link-time)";
    ArrayRef<uint8_t> Bytes =
        arrayRefFromStringRef(Img->Bytes.substr(R.FileOffset, R.Size));
    Result.push_back({R.Name, Where, R.FileOffset, Bytes});
  }
  return std::move(Result);
}

} // namespace elf
} // namespace pyox
