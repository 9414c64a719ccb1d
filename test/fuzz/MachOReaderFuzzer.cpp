//===- MachOReaderFuzzer.cpp - libFuzzer target for the Mach-O reader -----===//
//
// The Mach-O reader and writer take untrusted files. Each input is read as a
// thin or universal file, its payloads listed, and every slice that reads
// is written again with one payload added, which runs the layout, the
// chained-fixups edit and the re-signing over whatever the reader accepted,
// and, when it carries payloads, written again with all of them removed.
// Errors are fine; an out-of-bounds access is an ASan finding.
//
//===----------------------------------------------------------------------===//

#include "MachO/MachOImage.h"

#include "llvm/ADT/StringRef.h"

using namespace llvm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  MemoryBufferRef Buffer(StringRef(reinterpret_cast<const char *>(Data), Size),
                         "fuzz");
  auto Ignore = [](const Twine &) {};
  Expected<std::vector<pyox::EmbeddedPayload>> Found =
      pyox::macho::findMachOPayloads(Buffer);
  if (!Found)
    consumeError(Found.takeError());
  Expected<pyox::macho::File> F = pyox::macho::readFile(Buffer);
  if (!F) {
    consumeError(F.takeError());
    return 0;
  }
  static const uint8_t Bytes[48] = {1, 2, 3};
  std::vector<std::vector<pyox::NamedPayload>> Payloads;
  for (const pyox::macho::Slice &S : F->Slices) {
    Payloads.push_back(S.Payloads);
    pyox::setPayload(Payloads.back(), "fuzz", Bytes);
  }
  Expected<std::vector<uint8_t>> Out =
      pyox::macho::writeFile(*F, Payloads, Ignore);
  if (!Out)
    consumeError(Out.takeError());
  // And with every payload removed, when there were any.
  bool Any = false;
  for (const pyox::macho::Slice &S : F->Slices)
    Any |= !S.Payloads.empty();
  if (Any) {
    for (std::vector<pyox::NamedPayload> &P : Payloads)
      P.clear();
    Out = pyox::macho::writeFile(*F, Payloads, Ignore);
    if (!Out)
      consumeError(Out.takeError());
  }
  return 0;
}
