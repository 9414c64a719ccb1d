//===- ElfReaderFuzzer.cpp - libFuzzer target for lib/ELF and the locator -===//
//
// pyox-inject reads whatever file a user names, and the runtime locator
// walks the notes of whatever image it is linked into. The fuzzer feeds
// arbitrary bytes to:
//
//  * readImage and findElfPayloads (must return an error, never crash);
//  * for files that read, planOutput + writeOutput with a small payload, and
//    readImage of the result, which must find that payload byte for byte
//    (the writer's output is always a file the reader accepts);
//  * pyox_find_payload_in_image over the file treated as a loaded image
//    (every segment mapped at its file offset, PT_LOADs clamped to the
//    buffer, as the kernel guarantees for a real image).
//
//===----------------------------------------------------------------------===//

#include "ELF/ElfImage.h"
#include "ELF/ElfPayloads.h"

#include "pyox/runtime.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>
#include <link.h>
#include <vector>

using namespace llvm;

static void locateInImage(const pyox::elf::Image &Img, const uint8_t *Base,
                          size_t Size) {
  if (!Img.Is64)
    return;
  std::vector<ElfW(Phdr)> Phdrs;
  for (const pyox::elf::Segment &S : Img.Segments) {
    ElfW(Phdr) P{};
    P.p_type = S.Type;
    P.p_offset = S.Offset;
    P.p_vaddr = S.Offset; // identity mapping: address == file offset
    P.p_filesz = S.FileSize;
    P.p_memsz = S.MemSize;
    P.p_align = S.Align;
    if (P.p_type == PT_LOAD) {
      if (P.p_offset > Size)
        P.p_offset = P.p_vaddr = Size;
      if (P.p_filesz > Size - P.p_offset)
        P.p_filesz = Size - P.p_offset;
    }
    Phdrs.push_back(P);
  }
  const void *Data;
  size_t Found;
  const char *Error;
  for (const char *Name : {"pyox", "second"})
    pyox_find_payload_in_image(reinterpret_cast<uintptr_t>(Base), Phdrs.data(),
                               Phdrs.size(), Name, &Data, &Found, &Error);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  // An exact-size, 8-byte aligned copy: ASan guards its end.
  std::vector<uint64_t> Storage((Size + 7) / 8);
  if (Size)
    std::memcpy(Storage.data(), Data, Size);
  const uint8_t *Bytes = reinterpret_cast<const uint8_t *>(Storage.data());
  StringRef In(reinterpret_cast<const char *>(Bytes), Size);
  MemoryBufferRef Buffer(In, "fuzz");

  Expected<std::vector<pyox::EmbeddedPayload>> Found =
      pyox::elf::findElfPayloads(Buffer);
  if (!Found)
    consumeError(Found.takeError());

  Expected<pyox::elf::Image> Img = pyox::elf::readImage(Buffer);
  if (!Img) {
    consumeError(Img.takeError());
    return 0;
  }
  locateInImage(*Img, Bytes, Size);

  static const uint8_t Payload[48] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  pyox::elf::PayloadInput In2{"second", ArrayRef<uint8_t>(Payload)};
  Expected<pyox::elf::OutputPlan> Plan = pyox::elf::planOutput(*Img, In2);
  if (!Plan) {
    consumeError(Plan.takeError());
    return 0;
  }
  if (Plan->FileSize > (uint64_t(64) << 20))
    return 0; // a huge .bss gap; not worth writing out
  std::string Out;
  raw_string_ostream OS(Out);
  if (Error E = pyox::elf::writeOutput(*Img, *Plan, OS)) {
    consumeError(std::move(E));
    return 0;
  }
  OS.flush();
  Expected<pyox::elf::Image> Back =
      pyox::elf::readImage(MemoryBufferRef(Out, "out"));
  if (!Back) {
    // The writer must produce files the reader accepts.
    errs() << "re-read failed: " << toString(Back.takeError()) << "\n";
    abort();
  }
  bool Ok = false;
  for (const pyox::elf::PayloadRef &R : Back->Payloads)
    if (R.Name == "second" && R.Size == sizeof Payload &&
        std::memcmp(Out.data() + R.FileOffset, Payload, sizeof Payload) == 0)
      Ok = true;
  if (!Ok) {
    errs() << "injected payload not found after a round trip\n";
    abort();
  }
  return 0;
}
