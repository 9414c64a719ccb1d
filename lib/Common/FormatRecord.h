//===- FormatRecord.h - The payload formats a binary reads ----------------===//
//
// A program linking the pyox runtime records which payload format versions
// it reads (section .pyox_formats, pyox/format_record.h). `build` and
// `inject` check a payload against that record and refuse, naming the
// binary and the fix, a payload the program would refuse when it starts.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_COMMON_FORMATRECORD_H
#define PYOX_COMMON_FORMATRECORD_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>

namespace pyox {

// Format versions Min to Max, both included.
struct FormatRange {
  uint32_t Min = 0;
  uint32_t Max = 0;
};

// The versions every record in Section (the bytes of .pyox_formats) reads;
// zero bytes between records are padding. An error says what is wrong.
llvm::Expected<FormatRange> parseFormatRecords(llvm::ArrayRef<uint8_t> Section);

// The format_version of Payload; none when it does not start like a payload
// (whoever writes it says what is wrong).
std::optional<uint32_t> payloadFormatVersion(llvm::ArrayRef<uint8_t> Payload);

// Fails when a program reading Range cannot read format Version, in one
// line: "BINARY: its pyox runtime reads payload formats MIN to MAX, not
// VERSION (WHICH); FIX".
llvm::Error checkFormatReadable(llvm::StringRef Binary, FormatRange Range,
                                uint32_t Version, const llvm::Twine &Which,
                                const llvm::Twine &Fix);

} // namespace pyox

#endif
