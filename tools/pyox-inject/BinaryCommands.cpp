//===- BinaryCommands.cpp - inject, remove --------------------------------===//
//
// Post-link injection into linked binaries. The commands parse options and
// call the object-format library; lib/ELF does the work and writes the
// output atomically (in place when there is no -o).
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "Options.h"

#include "COFF/CoffImage.h"
#include "Common/FormatRecord.h"
#include "Common/PayloadSection.h"
#include "Container/PayloadContainer.h"
#include "ELF/ElfImage.h"
#include "MachO/MachOImage.h"

#include "pyox/runtime.h"

#include "llvm/Support/MemoryBuffer.h"

using namespace llvm;

namespace pyox {

namespace {

struct BinaryConfig {
  std::string Binary;
  std::string Payload; // inject only
  std::string Output;  // empty: rewrite Binary in place
  std::string Name = PYOX_DEFAULT_PAYLOAD_NAME;
};

Expected<BinaryConfig> parseBinaryArgs(const CommandArgs &Args,
                                       bool WantPayload) {
  BinaryConfig C;
  std::vector<std::string> Positionals = positionals(Args);
  C.Output = Args.getLastArgValue(OPT_output).str();
  C.Name = Args.getLastArgValue(OPT_name, C.Name).str();
  size_t Want = WantPayload ? 2 : 1;
  if (Positionals.size() != Want)
    return createStringError(std::errc::invalid_argument,
                             WantPayload
                                 ? "usage: pyox-inject inject BINARY PAYLOAD "
                                   "[-o OUT] [--name NAME]"
                                 : "usage: pyox-inject remove BINARY [-o OUT] "
                                   "[--name NAME]");
  C.Binary = Positionals[0];
  if (WantPayload)
    C.Payload = Positionals[1];
  if (C.Output.empty())
    C.Output = C.Binary;
  if (Error E = checkPayloadName(C.Name))
    return std::move(E);
  return C;
}

Expected<std::unique_ptr<MemoryBuffer>> openInput(StringRef Path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> B =
      MemoryBuffer::getFile(Path, /*IsText=*/false,
                            /*RequiresNullTerminator=*/false);
  if (!B)
    return createStringError(B.getError(), "%s: %s", Path.str().c_str(),
                             B.getError().message().c_str());
  return std::move(*B);
}

// Opens the binary to edit. The one object-format check here: which
// library handles the file.
Expected<std::unique_ptr<MemoryBuffer>> openBinary(StringRef Path) {
  Expected<std::unique_ptr<MemoryBuffer>> B = openInput(Path);
  if (B && !elf::isElf((*B)->getBuffer()) &&
      !macho::isMachO((*B)->getBuffer()) && !coff::isCoff((*B)->getBuffer()))
    return createStringError(std::errc::invalid_argument,
                             "%s: not an ELF executable or shared library, "
                             "nor a Mach-O or PE image",
                             Path.str().c_str());
  return B;
}

} // namespace

int runInject(const CommandArgs &Args) {
  Expected<BinaryConfig> C = parseBinaryArgs(Args, true);
  if (!C)
    return reportError(C.takeError());
  Expected<std::unique_ptr<MemoryBuffer>> Binary = openBinary(C->Binary);
  if (!Binary)
    return reportError(Binary.takeError());
  Expected<std::unique_ptr<MemoryBuffer>> Payload = openInput(C->Payload);
  if (!Payload)
    return reportError(Payload.takeError());
  ArrayRef<uint8_t> Bytes(
      reinterpret_cast<const uint8_t *>((*Payload)->getBufferStart()),
      (*Payload)->getBufferSize());
  MemoryBufferRef In = (*Binary)->getMemBufferRef();
  // A binary whose pyox runtime records what it reads must read this
  // payload (pyox/format_record.h); one without the record may carry it for
  // another reader, and takes it.
  Expected<std::optional<FormatRange>> Formats = readableFormats(In);
  if (!Formats)
    return reportError(Formats.takeError());
  if (std::optional<uint32_t> Version = payloadFormatVersion(Bytes);
      *Formats && Version)
    if (Error E = checkFormatReadable(
            C->Binary, **Formats, *Version, "the format of " + C->Payload,
            "rebuild it with the pyox that packed the payload, or pack the "
            "payload with the pyox-inject it was built with"))
      return reportError(std::move(E));
  if (Error E = macho::isMachO(In.getBuffer())
                    ? macho::injectPayload(In, C->Name, Bytes, C->Output,
                                           reportWarning)
                : coff::isCoff(In.getBuffer())
                    ? coff::injectPayload(In, C->Name, Bytes, C->Output,
                                          reportWarning)
                    : elf::injectPayload(In, C->Name, Bytes, C->Output)) {
    // Name the payload file when it is the payload that is wrong.
    return reportError(
        handleErrors(std::move(E), [&](const StringError &SE) -> Error {
          if (StringRef(SE.getMessage())
                  .starts_with("the payload is not valid"))
            return createStringError(std::errc::invalid_argument, "%s: %s",
                                     C->Payload.c_str(),
                                     SE.getMessage().c_str());
          return make_error<StringError>(SE.getMessage(),
                                         SE.convertToErrorCode());
        }));
  }
  return 0;
}

int runRemove(const CommandArgs &Args) {
  Expected<BinaryConfig> C = parseBinaryArgs(Args, false);
  if (!C)
    return reportError(C.takeError());
  Expected<std::unique_ptr<MemoryBuffer>> Binary = openBinary(C->Binary);
  if (!Binary)
    return reportError(Binary.takeError());
  MemoryBufferRef In = (*Binary)->getMemBufferRef();
  if (Error E =
          macho::isMachO(In.getBuffer())
              ? macho::removePayload(In, C->Name, C->Output, reportWarning)
          : coff::isCoff(In.getBuffer())
              ? coff::removePayload(In, C->Name, C->Output, reportWarning)
              : elf::removePayload(In, C->Name, C->Output))
    return reportError(std::move(E));
  return 0;
}

} // namespace pyox
