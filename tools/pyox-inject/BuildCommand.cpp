//===- BuildCommand.cpp - build: pack + inject into a template ------------===//
//
// The main job: `build -o APP [--template FILE] [pack options]` packs the
// modules (the same options and pipeline as `pack`) and injects the payload
// into a copy of the template, by default the pyox-run beside this tool.
// The template itself is never modified; APP is written atomically and
// gets the template's mode bits.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "Options.h"
#include "Progress.h"

#include "Common/FormatRecord.h"
#include "Common/PayloadSection.h"
#include "Container/PayloadContainer.h"
#include "ELF/ElfImage.h"
#include "Pack/CompileCache.h"
#include "Pack/Pack.h"
#include "Pack/PythonBuild.h"

#include "pyox/format.h"
#include "pyox/format_record.h"
#include "pyox/runtime.h"

#include "llvm/BinaryFormat/ELF.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace pyox {

// Whether TEMPLATE can lay out mapped code (Pack/MappedCode.h): it must run
// here (an ELF executable of this machine), be position-dependent (the
// objects hold its absolute addresses) and have no payload yet (only then
// does it answer --pyox-lay-out-code). The runtime checks its build-id.
static bool canLayOutCode(MemoryBufferRef Template) {
#if defined(__x86_64__)
  constexpr uint16_t Machine = ELF::EM_X86_64;
#elif defined(__aarch64__)
  constexpr uint16_t Machine = ELF::EM_AARCH64;
#else
  constexpr uint16_t Machine = ELF::EM_NONE;
#endif
  StringRef B = Template.getBuffer();
  if (B.size() < 64 || B[4] != ELF::ELFCLASS64 || B[5] != ELF::ELFDATA2LSB ||
      support::endian::read16le(B.data() + 16) != ELF::ET_EXEC ||
      support::endian::read16le(B.data() + 18) != Machine)
    return false;
  Expected<std::vector<EmbeddedPayload>> Payloads = findPayloads(Template);
  if (!Payloads) {
    consumeError(Payloads.takeError());
    return false;
  }
  return Payloads->empty();
}

int runBuild(const CommandArgs &Args) {
  Expected<PackCommand> Command = readPackCommand("build", Args);
  if (!Command)
    return reportError(Command.takeError());
  PackConfig &Config = Command->Pack;
  const std::string &Output = Command->Output;
  std::string Template = Command->Template;
  if (Error E = checkPayloadName(Command->Name))
    return reportError(std::move(E));
  if (Template.empty())
    Template = toolDirectory() + "/pyox-run";

  // Check the template before the (long) pack, so a wrong path fails fast.
  ErrorOr<std::unique_ptr<MemoryBuffer>> Binary =
      MemoryBuffer::getFile(Template, /*IsText=*/false,
                            /*RequiresNullTerminator=*/false);
  if (!Binary)
    return reportError(createStringError(
        Binary.getError(), "%s: %s (the template; see --template)",
        Template.c_str(), Binary.getError().message().c_str()));
  if (!elf::isElf((*Binary)->getBuffer()))
    return reportError(createStringError(
        std::errc::invalid_argument,
        "%s: not an ELF executable (the template; see --template)",
        Template.c_str()));

  Expected<elf::Image> Image = elf::readImage((*Binary)->getMemBufferRef());
  if (!Image)
    return reportError(Image.takeError());

  // A template must read the payload this tool writes: one from an older
  // pyox would refuse it only when the program starts (pyox/format_record.h).
  Expected<std::optional<FormatRange>> Formats =
      readableFormats(*Image, Template);
  if (!Formats)
    return reportError(Formats.takeError());
  if (!*Formats)
    return reportError(fileError(
        Template, "no section " PYOX_FORMATS_SECTION ": the template is older "
                  "than payload format " +
                      Twine(PYOX_FORMAT_VERSION) +
                      " or not linked with the pyox runtime; rebuild it with "
                      "this pyox, or pass --template a pyox-run built by it"));
  if (Error E = checkFormatReadable(
          Template, **Formats, PYOX_FORMAT_VERSION,
          "the format this pyox-inject writes",
          "rebuild the template with this pyox, or use the pyox-inject "
          "it was built with"))
    return reportError(std::move(E));

  // A template from before an upgrade of Debian's python3.11 would run the
  // new standard library on the old interpreter (Pack/PythonBuild.h). A
  // template that records no build (linked by other means) is taken as is.
  if (Config.Stdlib && Config.StdlibDir.empty()) {
    if (std::optional<StringRef> Recorded =
            elf::sectionContents(*Image, CPythonBuildSection)) {
      // Through the compile cache, when there is one: the pack reports a
      // cache it cannot open.
      std::optional<CompileCache> Cache;
      if (!Config.CacheDir.empty()) {
        Expected<CompileCache> Opened =
            openCompileCache(Config, /*Results=*/false);
        if (Opened)
          Cache.emplace(std::move(*Opened));
        else
          consumeError(Opened.takeError());
      }
      Expected<std::string> Host = hostPythonBuild(Cache ? &*Cache : nullptr);
      if (Cache)
        consumeError(Cache->saveSourceIndex());
      if (!Host)
        return reportError(Host.takeError());
      if (Error E = checkTemplateBuild(Template, *Recorded, *Host))
        return reportError(std::move(E));
    }
  }

  // The template is part of the program whose glibc floor build reports.
  Config.TemplateFile = Template;
  if (Command->MappedCode && canLayOutCode((*Binary)->getMemBufferRef()))
    Config.MappedCodeTemplate = Template;
  if (!Command->Quiet)
    Config.Summary = [&](const Twine &Line) {
      clearProgress();
      outs() << Output << ": " << Line << "\n";
    };
  // The payload goes straight into the executable as it is written.
  Error E =
      buildPayload(Config, [&](uint64_t Size, PayloadBody Write) -> Error {
        showProgress({"write", 0, 0, Size});
        return elf::injectPayload((*Binary)->getMemBufferRef(), Command->Name,
                                  Size, Write, Output);
      });
  clearProgress();
  if (E)
    return reportError(std::move(E));
  return 0;
}

} // namespace pyox
