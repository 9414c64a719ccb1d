//===- PayloadRepair.h - Checksums a fuzzed payload would carry -*- C++ -*-===//
//
// Random mutations almost never keep a CRC32C right, and a reader that
// stops at a checksum hides everything behind it from the fuzzer; a
// malicious payload would carry correct checksums. The payload fuzzers run
// each input as it is and with its checksums repaired.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_TEST_FUZZ_PAYLOADREPAIR_H
#define PYOX_TEST_FUZZ_PAYLOADREPAIR_H

#include "pyox/payload.h"

#include <cstddef>
#include <cstring>

// Recomputes the checksums of Bytes in place, reading only what lies inside
// it; fields that point outside are left for the reader to reject.
inline void repairChecksums(uint8_t *Bytes, size_t Size) {
  if (Size < sizeof(pyox_header))
    return;
  pyox_header H;
  std::memcpy(&H, Bytes, sizeof H);
  uint64_t EntriesEnd =
      sizeof(pyox_header) + uint64_t(H.entry_count) * sizeof(pyox_entry);
  if (EntriesEnd <= Size) {
    for (uint32_t I = 0; I < H.entry_count; ++I) {
      uint8_t *At = Bytes + sizeof(pyox_header) + I * sizeof(pyox_entry);
      pyox_entry E;
      std::memcpy(&E, At, sizeof E);
      uint64_t Begin = E.data_offset;
      if (Begin > Size || E.data_size > Size - Begin)
        continue;
      E.data_crc = pyox_crc32c(0, Bytes + Begin, E.data_size);
      std::memcpy(At, &E, sizeof E);
    }
  }
  if (H.index_size < sizeof(pyox_header) || H.index_size > Size)
    return;
  const size_t CrcAt = offsetof(pyox_header, index_crc);
  uint32_t Crc = pyox_crc32c(0, Bytes, CrcAt);
  Crc = pyox_crc32c(Crc, Bytes + sizeof(pyox_header),
                    H.index_size - sizeof(pyox_header));
  std::memcpy(Bytes + CrcAt, &Crc, sizeof Crc);
}

#endif
