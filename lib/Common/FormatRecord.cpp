//===- FormatRecord.cpp ---------------------------------------------------===//
//
// Reads the records of pyox/format_record.h: each starts with its magic and
// its size (a record grows by appending fields), and every size is checked
// against the bytes left before a field is read.
//
//===----------------------------------------------------------------------===//

#include "Common/FormatRecord.h"

#include "Common/PayloadSection.h"
#include "pyox/format.h"
#include "pyox/format_record.h"

#include "llvm/Support/Endian.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

using namespace llvm;
using llvm::support::endian::read32le;

namespace pyox {

Expected<FormatRange> parseFormatRecords(ArrayRef<uint8_t> Section) {
  std::optional<FormatRange> Range;
  size_t At = 0;
  while (At < Section.size()) {
    if (Section[At] == 0) {
      ++At;
      continue;
    }
    ArrayRef<uint8_t> R = Section.drop_front(At);
    if (R.size() < PYOX_FORMAT_RECORD_SIZE)
      return invalidInput("a record of " + Twine(R.size()) + " bytes (at " +
                          Twine(At) + "), less than " +
                          Twine(PYOX_FORMAT_RECORD_SIZE));
    if (std::memcmp(R.data(), PYOX_FORMATS_MAGIC, PYOX_FORMATS_MAGIC_SIZE))
      return invalidInput("no record magic at " + Twine(At));
    uint32_t Size =
        read32le(R.data() + offsetof(pyox_format_record, record_size));
    if (Size < PYOX_FORMAT_RECORD_SIZE || Size % 4 || Size > R.size())
      return invalidInput("bad record size " + Twine(Size) + " at " +
                          Twine(At));
    FormatRange This{
        read32le(R.data() + offsetof(pyox_format_record, min_version)),
        read32le(R.data() + offsetof(pyox_format_record, max_version))};
    if (This.Min > This.Max)
      return invalidInput("a record reads formats " + Twine(This.Min) + " to " +
                          Twine(This.Max));
    if (Range) {
      Range->Min = std::max(Range->Min, This.Min);
      Range->Max = std::min(Range->Max, This.Max);
    } else {
      Range = This;
    }
    At += Size;
  }
  if (!Range)
    return invalidInput("no record");
  if (Range->Min > Range->Max)
    return invalidInput("its records have no format in common");
  return *Range;
}

std::optional<uint32_t> payloadFormatVersion(ArrayRef<uint8_t> Payload) {
  constexpr size_t At = offsetof(pyox_header, format_version);
  if (Payload.size() < At + 4 ||
      std::memcmp(Payload.data(), PYOX_MAGIC, PYOX_MAGIC_SIZE))
    return std::nullopt;
  return read32le(Payload.data() + At);
}

Error checkFormatReadable(StringRef Binary, FormatRange Range, uint32_t Version,
                          const Twine &Which, const Twine &Fix) {
  if (Version >= Range.Min && Version <= Range.Max)
    return Error::success();
  return fileError(Binary, "its pyox runtime reads payload formats " +
                               Twine(Range.Min) + " to " + Twine(Range.Max) +
                               ", not " + Twine(Version) + " (" + Which +
                               "); " + Fix);
}

} // namespace pyox
