//===- PackCommands.cpp - pack, list, verify, extract ---------------------===//

#include "Commands.h"
#include "Options.h"
#include "Progress.h"

#include "Container/PayloadContainer.h"
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
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <cstring>
#include <map>

using namespace llvm;

namespace pyox {

int runPack(const CommandArgs &Args) {
  Expected<PackCommand> Command = readPackCommand("pack", Args);
  if (!Command)
    return reportError(Command.takeError());
  // Streamed into the file: the payload is never whole in memory.
  Error E = writePayloadFile(Command->Pack, Command->Output);
  clearProgress();
  if (E)
    return reportError(std::move(E));
  return 0;
}

// The shared shape of list, verify and extract: parse "FILE" (and "-o DIR"
// when OutDir is given), find every payload in FILE, open each, and hand it
// to Each. Any failure is reported as one line and ends the command.
using PayloadVisitor =
    function_ref<Error(StringRef File, const EmbeddedPayload &,
                       const pyox_payload &, size_t Count)>;
static int forEachPayload(StringRef Command, const CommandArgs &Args,
                          std::string *OutDir, PayloadVisitor Each) {
  std::vector<std::string> Files = positionals(Args);
  if (Files.size() > 1)
    return reportError(createStringError(
        std::errc::invalid_argument, "%s: unexpected argument %s",
        Command.str().c_str(), Files[1].c_str()));
  std::string File = Files.empty() ? "" : Files[0];
  if (OutDir)
    *OutDir = Args.getLastArgValue(OPT_output).str();
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

// The libraries pack carried (PYOX_CARRIED_LIBS_DIR), what needs each (the
// packed ELF objects whose DT_NEEDED name them, read again here so that
// the payload records nothing twice) and the build host's file it came
// from, which the program uses where it is unchanged (PYOX_SYSTEM_COPIES).
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
    if (En.kind != PYOX_KIND_EXTENSION && En.kind != PYOX_KIND_RESOURCE)
      continue;
    StringRef Name(pyox_entry_name(&P, &En), En.name_size);
    StringRef Data(reinterpret_cast<const char *>(pyox_entry_data(&P, &En)),
                   En.data_size);
    std::string Raw; // a compressed object, decompressed to be read
    if (En.flags & PYOX_ENTRY_ZSTD) {
      Raw.resize(En.raw_size);
      if (pyox_entry_decompress(&P, &En, Raw.data()) != 0)
        return createStringError(std::errc::invalid_argument,
                                 "entry '%s': compressed data does not "
                                 "decompress",
                                 Name.str().c_str());
      Data = Raw;
    }
    Expected<ElfDynamicInfo> Info = readElfDynamicInfo(Data, Name);
    if (!Info)
      return Info.takeError();
    for (const std::string &N : Info->Needed) {
      auto It = NeededBy.find(N);
      if (It != NeededBy.end())
        It->second.push_back(Name.str());
    }
  }
  std::map<std::string, std::string> From; // tree path: host file
  const char *Table = PYOX_SYSTEM_COPIES;
  if (const pyox_entry *T =
          pyox_payload_find(&P, PYOX_GROUP_RESOURCE, Table, strlen(Table));
      T && T->flags == 0) {
    SmallVector<StringRef> Lines;
    StringRef(reinterpret_cast<const char *>(pyox_entry_data(&P, T)),
              T->data_size)
        .split(Lines, '\n', -1, false);
    for (StringRef Line : Lines) {
      auto [Tree, Rest] = Line.split('\t');
      From[Tree.str()] = Rest.split('\t').first.str();
    }
  }
  for (const auto &[Soname, By] : NeededBy) {
    std::string Rel = (Dir + Soname).str();
    auto Host = From.find(Rel);
    outs() << fmt::format("# carried {}: needed by {}{}\n", Rel,
                          By.empty() ? "nothing" : llvm::join(By, ", "),
                          Host == From.end() ? ""
                                             : "; system copy " + Host->second);
  }
  return Error::success();
}

int runList(const CommandArgs &Args) {
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
  if (!Buffer)
    return {};
  Expected<ElfDynamicInfo> Info =
      readElfDynamicInfo((*Buffer)->getBuffer(), File);
  if (!Info) {
    consumeError(Info.takeError());
    return {};
  }
  return {Info->BuildId.begin(), Info->BuildId.end()};
}

int runVerify(const CommandArgs &Args) {
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

int runExtract(const CommandArgs &Args) {
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
