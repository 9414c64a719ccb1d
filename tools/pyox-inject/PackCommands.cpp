//===- PackCommands.cpp - pack, list, verify, extract ---------------------===//

#include "Commands.h"
#include "Options.h"

#include "Container/PayloadContainer.h"
#include "ELF/ElfImage.h"
#include "Pack/CompileCache.h"
#include "Pack/Extract.h"
#include "Pack/MappedCode.h"
#include "Pack/Pack.h"
#include "Pack/SharedLibraries.h"
#include "Support/AtomicFile.h"

#include "pyox/format.h"
#include "pyox/payload.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <cstring>
#include <map>

using namespace llvm;

namespace pyox {

PackConfig defaultPackConfig() {
  PackConfig C;
  C.Warn = [](const Twine &M) { reportWarning(M); };
  C.Note = [](const Twine &M) {
    WithColor::note(errs(), "pyox-inject") << M << "\n";
  };
  C.CacheDir = defaultCacheDir();
  return C;
}

bool scanPackOption(ArgScanner &S, PackConfig &C) {
  std::string V;
  if (S.flag("--stdlib")) {
    C.Stdlib = true;
    return true;
  }
  if (S.value("--stdlib", V)) { // only `--stdlib=VALUE`: the flag came first
    if (V != "all")
      S.fail("--stdlib takes no value or 'all', not '" + V + "'");
    C.Stdlib = C.StdlibAll = true;
    return true;
  }
  if (S.value("--dist", V)) {
    C.Dists.push_back(V);
    return true;
  }
  if (S.value("--report", V)) {
    C.ReportFile = V;
    return true;
  }
  if (S.flag("--time-passes")) {
    C.TimePasses = true;
    return true;
  }
  if (S.value("--cache-dir", V)) {
    C.CacheDir = V;
    return true;
  }
  if (S.flag("--no-cache")) {
    C.CacheDir.clear();
    return true;
  }
  if (S.flag("--verbose", "-v")) {
    C.Remark = [](const Twine &M) { reportRemark(M); };
    return true;
  }
  if (S.flag("--sources")) { // the default; accepted for older scripts
    C.Sources = true;
    return true;
  }
  if (S.flag("--no-sources")) {
    C.Sources = false;
    return true;
  }
  if (S.flag("--isolated")) {
    C.Isolated = true;
    return true;
  }
  if (S.value("--path", V)) {
    C.Paths.push_back(V);
    return true;
  }
  if (S.value("--package", V)) {
    C.Packages.push_back(V);
    return true;
  }
  if (S.value("--exclude", V)) {
    C.Excludes.push_back(V);
    return true;
  }
  if (S.value("--entry", V)) {
    C.EntryPoint = V;
    return true;
  }
  if (S.value("--optimize", "-O", V)) {
    if (V != "0" && V != "1" && V != "2")
      S.fail("--optimize takes 0, 1 or 2, not '" + V + "'");
    else
      C.Optimize = V[0] - '0';
    return true;
  }
  if (S.value("--jobs", "-j", V)) {
    unsigned N;
    if (StringRef(V).getAsInteger(10, N) || N > 1024)
      S.fail("--jobs takes a number of processes, not '" + V + "'");
    else
      C.Jobs = N;
    return true;
  }
  if (S.value("--exclude-lib", V)) {
    C.ExcludeLibs.push_back(V);
    return true;
  }
  if (S.value("--max-glibc", V)) {
    C.MaxGlibc = V;
    return true;
  }
  if (S.value("--host-data", V)) {
    C.HostData.push_back(V);
    return true;
  }
  return false;
}

int runPack(CommandArgs Args) {
  PackConfig Config = defaultPackConfig();
  std::string Output;
  ArgScanner S(Args);
  while (!S.done()) {
    if (S.value("-o", Output) || scanPackOption(S, Config))
      continue;
    S.unknown();
  }
  if (Error E = S.error("pack"))
    return reportError(std::move(E));
  if (Output.empty())
    return reportError(
        createStringError(std::errc::invalid_argument,
                          "pack: an output file is needed (-o PAYLOAD)"));
  if (!Config.Stdlib && Config.Paths.empty())
    return reportError(createStringError(
        std::errc::invalid_argument,
        "pack: nothing to pack (give --stdlib and/or --path DIR)"));
  auto Payload = buildPayload(Config);
  if (!Payload)
    return reportError(Payload.takeError());
  if (Error E = writeFileAtomically(Output, *Payload))
    return reportError(std::move(E));
  return 0;
}

// The shared shape of list, verify and extract: parse "FILE" (and "-o DIR"
// when OutDir is given), find every payload in FILE, open each, and hand it
// to Each. Any failure is reported as one line and ends the command.
using PayloadVisitor =
    function_ref<Error(StringRef File, const EmbeddedPayload &,
                       const pyox_payload &, size_t Count)>;
static int forEachPayload(StringRef Command, CommandArgs Args,
                          std::string *OutDir, PayloadVisitor Each) {
  std::string File;
  ArgScanner S(Args);
  while (!S.done()) {
    if (OutDir && S.value("-o", *OutDir))
      continue;
    if (File.empty())
      if (auto P = S.positional()) {
        File = *P;
        continue;
      }
    S.unknown();
  }
  if (Error E = S.error(Command))
    return reportError(std::move(E));
  if (File.empty() || (OutDir && OutDir->empty()))
    return reportError(createStringError(
        std::errc::invalid_argument, "%s: usage: %s FILE%s",
        Command.str().c_str(), Command.str().c_str(), OutDir ? " -o DIR" : ""));

  auto Buffer = MemoryBuffer::getFile(File, /*IsText=*/false,
                                      /*RequiresNullTerminator=*/false);
  if (!Buffer)
    return reportError(createStringError(Buffer.getError(), "%s: %s",
                                         File.c_str(),
                                         Buffer.getError().message().c_str()));
  auto Found = findPayloads((*Buffer)->getMemBufferRef());
  if (!Found)
    return reportError(Found.takeError());
  if (Found->empty()) {
    // Nothing to verify or extract is a failure; an empty listing is not.
    if (Command == "list") {
      outs() << "# " << File << ": no pyox payload\n";
      return 0;
    }
    return reportError(createStringError(std::errc::invalid_argument,
                                         "%s: no pyox payload in this file",
                                         File.c_str()));
  }
  for (const EmbeddedPayload &E : *Found) {
    pyox_payload P;
    const char *Message = nullptr;
    if (pyox_payload_open(&P, E.Bytes.data(), E.Bytes.size(), &Message) != 0) {
      std::string Where = E.Name.empty() ? "" : " payload '" + E.Name + "':";
      return reportError(createStringError(std::errc::invalid_argument,
                                           "%s:%s %s", File.c_str(),
                                           Where.c_str(), Message));
    }
    if (Error Err = Each(File, E, P, Found->size()))
      return reportError(std::move(Err));
  }
  return 0;
}

// " payload 'NAME'" for a named payload in a binary, "" for a payload file.
static std::string describe(const EmbeddedPayload &E) {
  return E.Name.empty() ? "" : " payload '" + E.Name + "'";
}

// The libraries pack carried (PYOX_CARRIED_LIBS_DIR) and what needs each:
// the packed ELF objects whose DT_NEEDED name them, read again here so that
// the payload records nothing twice.
static Error listCarriedLibraries(const pyox_payload &P) {
  const StringRef Dir = PYOX_CARRIED_LIBS_DIR "/";
  std::map<std::string, std::vector<std::string>> NeededBy;
  for (uint32_t I = 0; I < P.header->entry_count; ++I) {
    const pyox_entry &En = P.entries[I];
    StringRef Name(pyox_entry_name(&P, &En), En.name_size);
    if (En.kind == PYOX_KIND_RESOURCE && Name.starts_with(Dir))
      NeededBy[Name.drop_front(Dir.size()).str()];
  }
  if (NeededBy.empty())
    return Error::success();
  for (uint32_t I = 0; I < P.header->entry_count; ++I) {
    const pyox_entry &En = P.entries[I];
    if ((En.kind != PYOX_KIND_EXTENSION && En.kind != PYOX_KIND_RESOURCE) ||
        En.flags != 0)
      continue;
    StringRef Name(pyox_entry_name(&P, &En), En.name_size);
    StringRef Data(reinterpret_cast<const char *>(pyox_entry_data(&P, &En)),
                   En.data_size);
    Expected<ElfDynamicInfo> Info = readElfDynamicInfo(Data, Name);
    if (!Info)
      return Info.takeError();
    for (const std::string &N : Info->Needed) {
      auto It = NeededBy.find(N);
      if (It != NeededBy.end())
        It->second.push_back(Name.str());
    }
  }
  for (const auto &[Soname, By] : NeededBy)
    outs() << fmt::format("# carried {}/{}: needed by {}\n",
                          PYOX_CARRIED_LIBS_DIR, Soname,
                          By.empty() ? "nothing" : llvm::join(By, ", "));
  return Error::success();
}

int runList(CommandArgs Args) {
  return forEachPayload(
      "list", Args, nullptr,
      [](StringRef, const EmbeddedPayload &E, const pyox_payload &P, size_t) {
        const pyox_header &H = *P.header;
        std::string Entry(reinterpret_cast<const char *>(P.base) +
                              H.entry_point_offset,
                          H.entry_point_size);
        outs() << fmt::format(
            "#{}: {} at offset {:#x}, {} bytes, {} entries, python "
            "{}.{}, optimize {}{}{}{}{}\n",
            E.Name.empty() ? " payload" : describe(E), E.Where, E.FileOffset,
            H.total_size, H.entry_count, H.python_version >> 24,
            (H.python_version >> 16) & 0xff, H.optimize,
            Entry.empty() ? "" : ", entry " + Entry,
            (H.flags & PYOX_FLAG_HAS_SOURCES) ? ", with sources" : "",
            (H.flags & PYOX_FLAG_ISOLATED) ? ", isolated" : "",
            H.glibc_floor
                ? ", glibc " + GlibcVersion::decode(H.glibc_floor).str()
                : "");
        for (uint32_t I = 0; I < H.entry_count; ++I) {
          const pyox_entry &En = P.entries[I];
          // A compressed source: its packed size, then the .py's.
          std::string Raw = (En.flags & PYOX_ENTRY_ZSTD)
                                ? fmt::format(" zstd of {}", En.raw_size)
                                : "";
          outs() << fmt::format(
              "{:<40} {:<9} {:>9}{}\n",
              std::string_view(pyox_entry_name(&P, &En), En.name_size),
              pyox_kind_name(En.kind), En.data_size, Raw);
        }
        return listCarriedLibraries(P);
      });
}

// The GNU build-id of the ELF binary FILE that holds E (empty for a bare
// payload or a binary without one), for the mapped code's key.
static std::vector<uint8_t> binaryBuildId(StringRef File,
                                          const EmbeddedPayload &E) {
  if (E.Where == "payload file")
    return {};
  auto Buffer = MemoryBuffer::getFile(File, /*IsText=*/false,
                                      /*RequiresNullTerminator=*/false);
  if (!Buffer || !elf::isElf((*Buffer)->getBuffer()))
    return {};
  Expected<elf::Image> Image = elf::readImage((*Buffer)->getMemBufferRef());
  if (!Image) {
    consumeError(Image.takeError());
    return {};
  }
  for (const elf::Section &Sec : Image->Sections) {
    // Elf_Nhdr (12 bytes), "GNU\0", then the id.
    if (Sec.Name != ".note.gnu.build-id" || Sec.Size < 17 ||
        Sec.Offset > Image->Bytes.size() ||
        Sec.Size > Image->Bytes.size() - Sec.Offset)
      continue;
    StringRef Note = Image->Bytes.substr(Sec.Offset, Sec.Size);
    uint32_t DescSize = support::endian::read32le(Note.data() + 4);
    if (DescSize > Note.size() - 16)
      return {};
    return {Note.bytes_begin() + 16, Note.bytes_begin() + 16 + DescSize};
  }
  return {};
}

int runVerify(CommandArgs Args) {
  return forEachPayload(
      "verify", Args, nullptr,
      [](StringRef File, const EmbeddedPayload &E, const pyox_payload &P,
         size_t) -> Error {
        // A bare payload file must be exactly the payload; trailing bytes
        // would escape every checksum.
        if (E.Where == "payload file" && P.size != E.Bytes.size())
          return createStringError(std::errc::invalid_argument,
                                   "%s: %zu bytes after the end of the payload",
                                   File.str().c_str(),
                                   size_t(E.Bytes.size() - P.size));
        char Message[256];
        if (pyox_payload_verify_all(&P, Message, sizeof Message) != 0 ||
            pyox_payload_verify_compressed(&P, Message, sizeof Message) != 0)
          return createStringError(
              std::errc::invalid_argument, "%s:%s %s", File.str().c_str(),
              E.Name.empty() ? "" : (describe(E) + ":").c_str(),
              static_cast<const char *>(Message));
        Expected<uint32_t> Mapped = checkMappedCode(P, binaryBuildId(File, E));
        if (!Mapped)
          return createStringError(
              std::errc::invalid_argument, "%s:%s %s", File.str().c_str(),
              E.Name.empty() ? "" : (describe(E) + ":").c_str(),
              toString(Mapped.takeError()).c_str());
        outs() << fmt::format("{}:{} OK ({} entries, {} bytes{})\n", File,
                              describe(E), P.header->entry_count, P.size,
                              *Mapped ? fmt::format(", {} mapped", *Mapped)
                                      : std::string());
        return Error::success();
      });
}

int runExtract(CommandArgs Args) {
  std::string Dir;
  return forEachPayload(
      "extract", Args, &Dir,
      [&](StringRef File, const EmbeddedPayload &E, const pyox_payload &P,
          size_t Count) -> Error {
        // Several payloads in one binary go to one subdirectory each.
        SmallString<256> Base(Dir);
        if (Count > 1) {
          if (!isSafeRelativePath(E.Name))
            return createStringError(std::errc::invalid_argument,
                                     "%s: bad payload name '%s'",
                                     File.str().c_str(), E.Name.c_str());
          sys::path::append(Base, E.Name);
        }
        if (std::error_code EC = sys::fs::create_directories(Base))
          return createStringError(EC, "%s: %s", Base.c_str(),
                                   EC.message().c_str());
        return extractPayload(P, Base, File);
      });
}

} // namespace pyox
