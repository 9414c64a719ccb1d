//===- ObjectCommand.cpp - pyox-inject object -----------------------------===//
//
// `pyox-inject object PAYLOAD -o OUT --format elf|macho|coff [--arch A]`:
// the payload as a relocatable object, for any linker (docs/link-time.md).
// Parses options, asks lib/Link for the bytes, writes OUT atomically.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "Options.h"

#include "Link/PayloadObject.h"
#include "Support/AtomicFile.h"

#include "llvm/ADT/StringExtras.h"

using namespace llvm;

namespace pyox {

static const char ObjectUsage[] =
    "usage: pyox-inject object PAYLOAD -o OUT [--format elf|macho|coff] "
    "[--arch x86-64|aarch64|arm64] [--name NAME] [--reserve BYTES]";

int runObject(const CommandArgs &Args) {
  std::vector<std::string> Positionals = positionals(Args);
  std::string Output = Args.getLastArgValue(OPT_output).str();
  std::string Format = Args.getLastArgValue(OPT_format, "elf").str();
  std::string Arch = Args.getLastArgValue(OPT_arch).str();
  std::string Name = Args.getLastArgValue(OPT_name).str();
  std::string Reserve = Args.getLastArgValue(OPT_reserve).str();
  if (Positionals.size() != 1 || Output.empty())
    return reportError(
        createStringError(std::errc::invalid_argument, ObjectUsage));

  link::ObjectConfig Config;
  Expected<link::ObjectFormat> F = link::parseObjectFormat(Format);
  if (!F)
    return reportError(F.takeError());
  Config.Format = *F;
  Config.Arch = link::hostArch();
  if (!Arch.empty()) {
    Expected<link::ObjectArch> A = link::parseObjectArch(Arch);
    if (!A)
      return reportError(A.takeError());
    Config.Arch = *A;
  }
  if (!Name.empty())
    Config.PayloadName = Name;
  if (!Reserve.empty() && !to_integer(Reserve, Config.Reserve, 0))
    return reportError(createStringError(
        std::errc::invalid_argument,
        "object: --reserve needs a byte count, not '%s'", Reserve.c_str()));
  // Check the combination before touching the payload, so that a bad
  // command line says so whatever the input.
  if (Error E = link::checkObjectConfig(Config))
    return reportError(std::move(E));

  Expected<std::unique_ptr<MemoryBuffer>> Payload =
      link::readPayloadFile(Positionals[0]);
  if (!Payload)
    return reportError(Payload.takeError());
  Expected<SmallVector<char, 0>> Object = link::createPayloadObject(
      arrayRefFromStringRef((*Payload)->getBuffer()), Config);
  if (!Object)
    return reportError(Object.takeError());
  if (Error E = writeFileAtomically(
          Output,
          arrayRefFromStringRef(StringRef(Object->data(), Object->size()))))
    return reportError(std::move(E));
  return 0;
}

} // namespace pyox
