//===- PayloadSection.cpp -------------------------------------------------===//
//
// Layout (pyox/section.h): header, entries, names, then each payload at the
// next PYOX_DATA_ALIGN boundary. The order of Payloads is kept so that
// replacing one payload by another of the same size gives the same bytes
// around it.
//
//===----------------------------------------------------------------------===//

#include "Common/PayloadSection.h"

#include "Support/AtomicFile.h"
#include "pyox/payload.h"
#include "pyox/section.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>

using namespace llvm;

namespace pyox {

std::vector<uint8_t> buildPayloadSection(ArrayRef<NamedPayload> Payloads) {
  uint64_t NamesAt = PYOX_SECTION_HEADER_SIZE +
                     uint64_t(Payloads.size()) * PYOX_SECTION_ENTRY_SIZE;
  uint64_t Cursor = NamesAt;
  for (const NamedPayload &P : Payloads)
    Cursor += P.Name.size();
  std::vector<uint64_t> DataAt;
  for (const NamedPayload &P : Payloads) {
    Cursor = alignTo(Cursor, PYOX_DATA_ALIGN);
    DataAt.push_back(Cursor);
    Cursor += P.Bytes.size();
  }
  std::vector<uint8_t> Out(Cursor, 0);
  std::memcpy(Out.data(), PYOX_SECTION_MAGIC, PYOX_SECTION_MAGIC_SIZE);
  support::endian::write32le(Out.data() + 8, PYOX_SECTION_VERSION);
  support::endian::write32le(Out.data() + 12, Payloads.size());
  uint64_t NameCursor = NamesAt;
  for (size_t I = 0; I < Payloads.size(); ++I) {
    const NamedPayload &P = Payloads[I];
    uint8_t *E =
        Out.data() + PYOX_SECTION_HEADER_SIZE + I * PYOX_SECTION_ENTRY_SIZE;
    support::endian::write64le(E, DataAt[I]);
    support::endian::write64le(E + 8, P.Bytes.size());
    support::endian::write32le(E + 16, NameCursor);
    support::endian::write32le(E + 20, P.Name.size());
    std::memcpy(Out.data() + NameCursor, P.Name.data(), P.Name.size());
    NameCursor += P.Name.size();
    if (!P.Bytes.empty())
      std::memcpy(Out.data() + DataAt[I], P.Bytes.data(), P.Bytes.size());
  }
  return Out;
}

Expected<std::vector<NamedPayload>>
readPayloadSection(ArrayRef<uint8_t> Section) {
  uint32_t Count = 0;
  const char *Why = nullptr;
  // The message comes from the runtime's reader, which prefixes "pyox: ".
  auto Fail = [&] {
    return createStringError(std::errc::invalid_argument, "%s",
                             StringRef(Why).drop_front(6).str().c_str());
  };
  if (pyox_section_open(Section.data(), Section.size(), &Count, &Why) != 0)
    return Fail();
  std::vector<NamedPayload> Result;
  for (uint32_t I = 0; I < Count; ++I) {
    pyox_section_entry E;
    if (pyox_section_entry_at(Section.data(), Section.size(), I, &E, &Why) != 0)
      return Fail();
    NamedPayload P;
    P.Name.assign(reinterpret_cast<const char *>(Section.data()) +
                      E.name_offset,
                  E.name_size);
    P.Bytes = Section.slice(E.offset, E.size);
    P.SectionOffset = E.offset;
    for (const NamedPayload &Q : Result)
      if (Q.Name == P.Name)
        return createStringError(std::errc::invalid_argument,
                                 "the pyox section names payload '%s' twice",
                                 P.Name.c_str());
    Result.push_back(std::move(P));
  }
  return std::move(Result);
}

Expected<ArrayRef<uint8_t>> checkPayloadBytes(ArrayRef<uint8_t> Payload) {
  pyox_payload Parsed;
  const char *Why = nullptr;
  if (pyox_payload_open(&Parsed, Payload.data(), Payload.size(), &Why) != 0)
    return createStringError(std::errc::invalid_argument,
                             "the payload is not valid: %s", Why);
  return Payload.take_front(static_cast<size_t>(Parsed.header->total_size));
}

void setPayload(std::vector<NamedPayload> &List, StringRef Name,
                ArrayRef<uint8_t> Bytes) {
  for (NamedPayload &P : List)
    if (P.Name == Name) {
      P.Bytes = Bytes;
      return;
    }
  List.push_back({Name.str(), Bytes, 0});
}

bool erasePayload(std::vector<NamedPayload> &List, StringRef Name) {
  auto It =
      find_if(List, [&](const NamedPayload &P) { return P.Name == Name; });
  if (It == List.end())
    return false;
  List.erase(It);
  return true;
}

Error checkPayloadName(StringRef Name) {
  if (Name.empty() || Name.size() > PYOX_MAX_PAYLOAD_NAME)
    return invalidInput("payload name must be 1 to " +
                        Twine(PYOX_MAX_PAYLOAD_NAME) + " bytes");
  for (char C : Name)
    if (C <= ' ' || C > '~' || C == '/')
      return invalidInput("payload name '" + Name +
                          "' has a character other than printable ASCII (no "
                          "space or '/')");
  return Error::success();
}

Error invalidInput(const Twine &What) {
  return createStringError(std::make_error_code(std::errc::invalid_argument),
                           What);
}

Error fileError(StringRef File, const Twine &What) {
  return invalidInput(File + ": " + What);
}

Error writeBinaryOutput(StringRef InputPath, StringRef OutputPath,
                        function_ref<Error(raw_pwrite_stream &)> Write) {
  AtomicWriteOptions Options;
  sys::fs::file_status Status;
  if (!sys::fs::exists(OutputPath) && !sys::fs::status(InputPath, Status))
    Options.Mode = Status.permissions() & 07777;
  else
    Options.Executable = true;
  return writeFileAtomically(OutputPath, Write, Options);
}

Error writeBinaryOutput(StringRef InputPath, StringRef OutputPath,
                        ArrayRef<uint8_t> Bytes) {
  return writeBinaryOutput(InputPath, OutputPath, [&](raw_pwrite_stream &OS) {
    OS.write(reinterpret_cast<const char *>(Bytes.data()), Bytes.size());
    return Error::success();
  });
}

} // namespace pyox
