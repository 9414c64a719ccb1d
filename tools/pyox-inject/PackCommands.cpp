//===- PackCommands.cpp - pack, list, verify, extract ---------------------===//

#include "Commands.h"
#include "Options.h"

#include "Container/PayloadContainer.h"
#include "Pack/Extract.h"
#include "Pack/Pack.h"
#include "Support/AtomicFile.h"

#include "pyox/format.h"
#include "pyox/payload.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <cstring>

using namespace llvm;

namespace pyox {

bool scanPackOption(ArgScanner &S, PackConfig &C) {
  std::string V;
  if (S.flag("--stdlib")) {
    C.Stdlib = true;
    return true;
  }
  if (S.flag("--time-passes")) {
    C.TimePasses = true;
    return true;
  }
  if (S.flag("--sources")) {
    C.Sources = true;
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
  return false;
}

int runPack(CommandArgs Args) {
  PackConfig Config;
  Config.Warn = [](const Twine &M) { reportWarning(M); };
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
    return reportError(createStringError(std::errc::invalid_argument,
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

// Loads File and the payloads in it; the buffer must outlive the result.
static Expected<std::vector<EmbeddedPayload>>
loadPayloads(StringRef File, std::unique_ptr<MemoryBuffer> &Buffer) {
  auto Buf = MemoryBuffer::getFile(File, /*IsText=*/false,
                                   /*RequiresNullTerminator=*/false);
  if (!Buf)
    return createStringError(Buf.getError(), "%s: %s", File.str().c_str(),
                             Buf.getError().message().c_str());
  Buffer = std::move(*Buf);
  return findPayloads(Buffer->getMemBufferRef());
}

// Opens a payload found in File; errors name the file and payload.
static Expected<pyox_payload> openPayload(StringRef File,
                                          const EmbeddedPayload &E) {
  pyox_payload P;
  const char *Message = nullptr;
  if (pyox_payload_open(&P, E.Bytes.data(), E.Bytes.size(), &Message) != 0) {
    std::string Where = E.Name.empty() ? "" : " payload '" + E.Name + "':";
    return createStringError(std::errc::invalid_argument, "%s:%s %s",
                             File.str().c_str(), Where.c_str(), Message);
  }
  return P;
}

// Every command that takes one FILE positional.
static bool scanFile(ArgScanner &S, std::string &File) {
  if (File.empty())
    if (auto P = S.positional()) {
      File = *P;
      return true;
    }
  return false;
}

int runList(CommandArgs Args) {
  std::string File;
  ArgScanner S(Args);
  while (!S.done())
    if (!scanFile(S, File))
      S.unknown();
  if (Error E = S.error("list"))
    return reportError(std::move(E));
  if (File.empty())
    return reportError(createStringError(std::errc::invalid_argument,
                                         "list: a FILE is needed"));
  std::unique_ptr<MemoryBuffer> Buffer;
  auto Found = loadPayloads(File, Buffer);
  if (!Found)
    return reportError(Found.takeError());
  for (const EmbeddedPayload &E : *Found) {
    auto P = openPayload(File, E);
    if (!P)
      return reportError(P.takeError());
    const pyox_header &H = *P->header;
    std::string Entry(reinterpret_cast<const char *>(P->base) +
                          H.entry_point_offset,
                      H.entry_point_size);
    outs() << fmt::format(
        "# payload{}: {} at offset {:#x}, {} bytes, {} entries, python "
        "{}.{}, optimize {}{}{}\n",
        E.Name.empty() ? "" : " '" + E.Name + "'", E.Where, E.FileOffset,
        H.total_size, H.entry_count, H.python_version >> 24,
        (H.python_version >> 16) & 0xff, H.optimize,
        Entry.empty() ? "" : ", entry " + Entry,
        (H.flags & PYOX_FLAG_HAS_SOURCES) ? ", with sources" : "");
    for (uint32_t I = 0; I < H.entry_count; ++I) {
      const pyox_entry &En = P->entries[I];
      outs() << fmt::format(
          "{:<40} {:<9} {:>9}\n",
          std::string_view(pyox_entry_name(&*P, &En), En.name_size),
          pyox_kind_name(En.kind), En.data_size);
    }
  }
  return 0;
}

int runVerify(CommandArgs Args) {
  std::string File;
  ArgScanner S(Args);
  while (!S.done())
    if (!scanFile(S, File))
      S.unknown();
  if (Error E = S.error("verify"))
    return reportError(std::move(E));
  if (File.empty())
    return reportError(createStringError(std::errc::invalid_argument,
                                         "verify: a FILE is needed"));
  std::unique_ptr<MemoryBuffer> Buffer;
  auto Found = loadPayloads(File, Buffer);
  if (!Found)
    return reportError(Found.takeError());
  for (const EmbeddedPayload &E : *Found) {
    auto P = openPayload(File, E);
    if (!P)
      return reportError(P.takeError());
    // A bare payload file must be exactly the payload; trailing bytes would
    // escape every checksum.
    if (E.Where == "payload file" && P->size != E.Bytes.size())
      return reportError(createStringError(
          std::errc::invalid_argument,
          "%s: %zu bytes after the end of the payload", File.c_str(),
          size_t(E.Bytes.size() - P->size)));
    char Message[256];
    if (pyox_payload_verify_all(&*P, Message, sizeof Message) != 0) {
      std::string Where = E.Name.empty() ? "" : " payload '" + E.Name + "':";
      return reportError(createStringError(std::errc::invalid_argument,
                                           "%s:%s %s", File.c_str(),
                                           Where.c_str(),
                                           static_cast<const char *>(Message)));
    }
    outs() << fmt::format("{}:{} OK ({} entries, {} bytes)\n", File,
                          E.Name.empty() ? "" : " payload '" + E.Name + "'",
                          P->header->entry_count, P->size);
  }
  return 0;
}

int runExtract(CommandArgs Args) {
  std::string File, Dir;
  ArgScanner S(Args);
  while (!S.done())
    if (!S.value("-o", Dir) && !scanFile(S, File))
      S.unknown();
  if (Error E = S.error("extract"))
    return reportError(std::move(E));
  if (File.empty() || Dir.empty())
    return reportError(createStringError(std::errc::invalid_argument,
                                         "extract: usage: extract FILE -o DIR"));
  std::unique_ptr<MemoryBuffer> Buffer;
  auto Found = loadPayloads(File, Buffer);
  if (!Found)
    return reportError(Found.takeError());
  for (const EmbeddedPayload &E : *Found) {
    auto P = openPayload(File, E);
    if (!P)
      return reportError(P.takeError());
    // Several payloads in one binary go to one subdirectory each.
    SmallString<256> Base(Dir);
    if (Found->size() > 1) {
      if (!isSafeRelativePath(E.Name))
        return reportError(createStringError(std::errc::invalid_argument,
                                             "%s: bad payload name '%s'",
                                             File.c_str(), E.Name.c_str()));
      sys::path::append(Base, E.Name);
    }
    if (std::error_code EC = sys::fs::create_directories(Base))
      return reportError(createStringError(EC, "%s: %s", Base.c_str(),
                                           EC.message().c_str()));
    if (Error Err = extractPayload(*P, Base, File))
      return reportError(std::move(Err));
  }
  return 0;
}

} // namespace pyox
