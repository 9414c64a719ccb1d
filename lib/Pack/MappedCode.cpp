//===- MappedCode.cpp -----------------------------------------------------===//

#include "Pack/MappedCode.h"
#include "Pack/SourceCompression.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <optional>

using namespace llvm;

namespace pyox {

Expected<MappedCodeCounts> addMappedCode(std::vector<PayloadItem> &Items,
                                         StringRef Template,
                                         const DataSpool *Spool,
                                         function_ref<bool(StringRef)> Wanted) {
  SmallString<128> In, Out, Err;
  for (auto [Path, Ext] : {std::pair{&In, "in"}, {&Out, "out"}, {&Err, "txt"}})
    if (std::error_code EC =
            sys::fs::createTemporaryFile("pyox-mapped-code", Ext, *Path))
      return createStringError(EC, "cannot create a temporary file: %s",
                               EC.message().c_str());
  auto Remove = make_scope_exit([&] {
    sys::fs::remove(In);
    sys::fs::remove(Out);
    sys::fs::remove(Err);
  });

  // The records MappedCode.c reads: u32 size, name, u32 size, marshal data.
  MappedCodeCounts Counts;
  std::vector<size_t> Sent;
  {
    std::error_code EC;
    raw_fd_ostream OS(In, EC);
    OS.SetBufferSize(64 << 10);
    if (EC)
      return createStringError(EC, "%s: %s", In.c_str(), EC.message().c_str());
    for (size_t I = 0; I < Items.size(); ++I) {
      const PayloadItem &It = Items[I];
      if (It.Kind != PYOX_KIND_MODULE && It.Kind != PYOX_KIND_PACKAGE)
        continue;
      ++Counts.Modules;
      if (!Wanted(It.Name))
        continue;
      std::string Spooled;
      if (It.Spooled) {
        Expected<std::string> Back =
            Spool ? Spool->read(*It.Spooled)
                  : createStringError(std::errc::invalid_argument,
                                      "%s: spooled without a spool",
                                      It.Name.c_str());
        if (!Back)
          return Back.takeError();
        Spooled = std::move(*Back);
      }
      StringRef Code = It.Spooled ? StringRef(Spooled) : StringRef(It.Data);
      if (It.Flags & PYOX_ENTRY_ZSTD) { // compressCode's frame
        Expected<std::string> Raw = decompressFrame(Code, It.RawSize);
        if (!Raw)
          return createStringError(std::errc::illegal_byte_sequence, "%s: %s",
                                   It.Name.c_str(),
                                   toString(Raw.takeError()).c_str());
        Spooled = std::move(*Raw);
        Code = Spooled;
      }
      for (StringRef Field : {StringRef(It.Name), Code}) {
        char Size[4];
        support::endian::write32le(Size, uint32_t(Field.size()));
        OS.write(Size, 4);
        // pyox-inject writes in calls of at most 64 KiB (test/pack/
        // write-chunks.test); so does this temporary file.
        for (size_t At = 0; At < Field.size(); At += 64 << 10)
          OS << Field.substr(At, 64 << 10);
      }
      Sent.push_back(I);
    }
    if (OS.close(), OS.has_error())
      return createStringError(OS.error(), "%s: %s", In.c_str(),
                               OS.error().message().c_str());
  }
  if (Sent.empty())
    return Counts;

  StringRef Argv[] = {Template, "--pyox-lay-out-code", In, Out};
  std::optional<StringRef> Redirects[] = {StringRef(""), StringRef(""),
                                          StringRef(Err)};
  std::string Message;
  int RC = sys::ExecuteAndWait(Template, Argv, std::nullopt, Redirects,
                               /*SecondsToWait=*/600, 0, &Message);
  if (RC != 0) {
    auto Text = MemoryBuffer::getFile(Err);
    std::string Why = Text ? (*Text)->getBuffer().trim().str() : Message;
    if (RC == 3) { // this template cannot: its programs unmarshal
      Counts.Why = Why;
      return Counts;
    }
    return createStringError(
        std::errc::io_error, "%s: cannot lay out mapped code%s%s",
        Template.str().c_str(), Why.empty() ? "" : ": ", Why.c_str());
  }
  auto Result = MemoryBuffer::getFile(Out, /*IsText=*/false,
                                      /*RequiresNullTerminator=*/false);
  if (!Result)
    return createStringError(Result.getError(), "%s: %s", Out.c_str(),
                             Result.getError().message().c_str());
  StringRef Data = (*Result)->getBuffer();
  auto Next = [&]() -> Expected<StringRef> {
    if (Data.size() < 4 ||
        Data.size() - 4 < support::endian::read32le(Data.data()))
      return createStringError(std::errc::illegal_byte_sequence,
                               "%s: the template's mapped code is truncated",
                               Template.str().c_str());
    StringRef Record = Data.substr(4, support::endian::read32le(Data.data()));
    Data = Data.drop_front(4 + Record.size());
    return Record;
  };
  Items.reserve(Items.size() + Sent.size() + 1);
  for (size_t I : Sent) {
    Expected<StringRef> Entry = Next();
    if (!Entry)
      return Entry.takeError();
    if (!Entry->empty()) {
      const PayloadItem &Module = Items[I];
      Items.push_back(
          {PYOX_KIND_MAPPED_CODE, Module.Name, Module.Path, Entry->str()});
      ++Counts.Mapped;
      Counts.Bytes += Entry->size();
    }
  }
  // The interned strings the entries share (the path names no file).
  Expected<StringRef> Strings = Next();
  if (!Strings)
    return Strings.takeError();
  if (!Strings->empty() && Counts.Mapped != 0) {
    Items.push_back({PYOX_KIND_MAPPED_CODE, PYOX_MAPPED_STRINGS_NAME,
                     PYOX_MAPPED_STRINGS_NAME, Strings->str()});
    Counts.Bytes += Strings->size();
  }
  return Counts;
}

Expected<uint32_t> checkMappedCode(const pyox_payload &P,
                                   ArrayRef<uint8_t> BuildId) {
  const uint8_t *Key = nullptr;
  uint32_t Count = 0;
  for (uint32_t I = pyox_payload_lower_bound(&P, PYOX_GROUP_MAPPED, "", 0);
       I < P.header->entry_count; ++I) {
    const pyox_entry *E = pyox_payload_entry(&P, I);
    if (!E)
      return createStringError(std::errc::illegal_byte_sequence,
                               "damaged entry table");
    StringRef Name(pyox_entry_name(&P, E), E->name_size);
    const uint8_t *Data = pyox_entry_data(&P, E);
    if (Name == PYOX_MAPPED_STRINGS_NAME) {
      if (E->data_size < sizeof(pyox_mapped_strings_header) ||
          std::memcmp(Data, PYOX_MAPPED_STRINGS_MAGIC, 8) != 0)
        return createStringError(std::errc::illegal_byte_sequence,
                                 "the mapped strings have no header");
      const uint8_t *K = Data + offsetof(pyox_mapped_strings_header, abi_key);
      if (Key && std::memcmp(K, Key, PYOX_MAPPED_KEY_SIZE) != 0)
        return createStringError(std::errc::illegal_byte_sequence,
                                 "the mapped strings were laid out for "
                                 "another template than the rest");
      Key = K;
      continue;
    }
    if (E->data_size < sizeof(pyox_mapped_header) ||
        std::memcmp(Data, PYOX_MAPPED_MAGIC, 8) != 0)
      return createStringError(std::errc::illegal_byte_sequence,
                               "mapped code of '%s' has no header",
                               Name.str().c_str());
    const uint8_t *K = Data + offsetof(pyox_mapped_header, abi_key);
    if (Key && std::memcmp(K, Key, PYOX_MAPPED_KEY_SIZE) != 0)
      return createStringError(std::errc::illegal_byte_sequence,
                               "mapped code of '%s' was laid out for another "
                               "template than the rest",
                               Name.str().c_str());
    Key = K;
    const pyox_entry *Module =
        pyox_payload_find(&P, PYOX_GROUP_MODULE, Name.data(), Name.size());
    if (!Module ||
        (Module->kind != PYOX_KIND_MODULE && Module->kind != PYOX_KIND_PACKAGE))
      return createStringError(std::errc::illegal_byte_sequence,
                               "mapped code of '%s' has no module entry",
                               Name.str().c_str());
    ++Count;
  }
  if (Key && !BuildId.empty()) {
    uint8_t Id[24] = {};
    std::memcpy(Id, BuildId.data(), std::min<size_t>(BuildId.size(), 20));
    if (std::memcmp(Key, Id, sizeof Id) != 0)
      return createStringError(
          std::errc::invalid_argument,
          "mapped code laid out for another template build (build-id %s, "
          "this binary's %s); rebuild the program with `pyox-inject build`",
          toHex(ArrayRef<uint8_t>(Key, 20), true).c_str(),
          toHex(BuildId, true).c_str());
  }
  return Count;
}

} // namespace pyox
