//===- CoffReaderFuzzer.cpp - libFuzzer target for the PE reader ----------===//
//
// The PE reader and writer take untrusted files. Each input is read, its
// payloads listed, and when it reads it is written again with one payload
// added (section table, raw data placement, certificate removal, checksum)
// and, when it carries payloads, with all of them removed.
// Errors are fine; an out-of-bounds access is an ASan finding.
//
//===----------------------------------------------------------------------===//

#include "COFF/CoffImage.h"

#include "llvm/ADT/StringRef.h"

using namespace llvm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  MemoryBufferRef Buffer(StringRef(reinterpret_cast<const char *>(Data), Size),
                         "fuzz");
  auto Ignore = [](const Twine &) {};
  Expected<std::vector<pyox::EmbeddedPayload>> Found =
      pyox::coff::findCoffPayloads(Buffer);
  if (!Found)
    consumeError(Found.takeError());
  Expected<pyox::coff::Image> Img = pyox::coff::readImage(Buffer);
  if (!Img) {
    consumeError(Img.takeError());
    return 0;
  }
  static const uint8_t Bytes[48] = {1, 2, 3};
  std::vector<pyox::NamedPayload> Payloads = Img->Payloads;
  pyox::setPayload(Payloads, "fuzz", Bytes);
  Expected<std::vector<uint8_t>> Out =
      pyox::coff::writeImage(*Img, Payloads, Ignore);
  if (!Out)
    consumeError(Out.takeError());
  // And with every payload removed (remove, or a refresh to nothing).
  if (!Img->Payloads.empty()) {
    Out = pyox::coff::writeImage(*Img, {}, Ignore);
    if (!Out)
      consumeError(Out.takeError());
  }
  return 0;
}
