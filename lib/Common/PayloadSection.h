//===- PayloadSection.h - The payload directory of Mach-O and PE ----------===//
//
// Mach-O (__PYOX,__pyox) and PE (.pyox) images carry all their payloads in
// one section behind a directory (pyox/section.h). This builds that section
// and reads it back; the object-format folders decide where it goes.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_COMMON_PAYLOADSECTION_H
#define PYOX_COMMON_PAYLOADSECTION_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace llvm {
class raw_pwrite_stream;
}

namespace pyox {

// A payload by name, as it goes into or comes out of a section.
struct NamedPayload {
  std::string Name;
  llvm::ArrayRef<uint8_t> Bytes; // exactly the payload's total_size bytes
  uint64_t SectionOffset = 0;    // where it lies in the section (reading)
};

// Receives warnings (a re-signed binary, a removed signature); the library
// never prints.
using WarningHandler = llvm::function_ref<void(const llvm::Twine &)>;

// The section holding Payloads, in order.
std::vector<uint8_t> buildPayloadSection(llvm::ArrayRef<NamedPayload> Payloads);

// The payloads in Section (bounds-checked); an error for a malformed
// directory. Bytes point into Section.
llvm::Expected<std::vector<NamedPayload>>
readPayloadSection(llvm::ArrayRef<uint8_t> Section);

// Checks Payload as a payload and returns its first total_size bytes.
llvm::Expected<llvm::ArrayRef<uint8_t>>
checkPayloadBytes(llvm::ArrayRef<uint8_t> Payload);

// Replaces the payload called Name in List (keeping its place, so a refresh
// keeps the layout of the others) or appends it.
void setPayload(std::vector<NamedPayload> &List, llvm::StringRef Name,
                llvm::ArrayRef<uint8_t> Bytes);

// Removes the payload called Name; false when there is none.
bool erasePayload(std::vector<NamedPayload> &List, llvm::StringRef Name);

// Checks a payload name (--name): 1..PYOX_MAX_PAYLOAD_NAME bytes, printable
// ASCII without '/' or spaces, as every format and the locators take it.
llvm::Error checkPayloadName(llvm::StringRef Name);

// An invalid-argument error with the message What (bad input or options).
llvm::Error invalidInput(const llvm::Twine &What);

// "FILE: WHAT", the form of every error about an input file.
llvm::Error fileError(llvm::StringRef File, const llvm::Twine &What);

// Writes Bytes to OutputPath atomically; a new output gets the mode of the
// input file, an existing one keeps its own.
llvm::Error writeBinaryOutput(llvm::StringRef InputPath,
                              llvm::StringRef OutputPath,
                              llvm::ArrayRef<uint8_t> Bytes);
// The same, with the contents produced by Write.
llvm::Error writeBinaryOutput(
    llvm::StringRef InputPath, llvm::StringRef OutputPath,
    llvm::function_ref<llvm::Error(llvm::raw_pwrite_stream &)> Write);

// Little-endian fields at offset At of an image being built (every format
// pyox writes is little-endian).
inline void put16(std::vector<uint8_t> &B, size_t At, uint16_t V) {
  llvm::support::endian::write16le(B.data() + At, V);
}
inline void put32(std::vector<uint8_t> &B, size_t At, uint32_t V) {
  llvm::support::endian::write32le(B.data() + At, V);
}
inline void put64(std::vector<uint8_t> &B, size_t At, uint64_t V) {
  llvm::support::endian::write64le(B.data() + At, V);
}

} // namespace pyox

#endif
