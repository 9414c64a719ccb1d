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
  const bool Chunked = H.format_version >= PYOX_FORMAT_VERSION_CHUNKS;
  const uint64_t EntriesBegin =
      Chunked ? (sizeof(pyox_header) + uint64_t(H.chunk_count) * 4 + 15) &
                    ~uint64_t(15)
              : sizeof(pyox_header);
  const uint64_t BucketsBegin =
      EntriesBegin + uint64_t(H.entry_count) * sizeof(pyox_entry);
  const uint64_t PoolBegin = BucketsBegin + uint64_t(H.bucket_count) * 4;
  if (BucketsBegin <= Size) {
    for (uint32_t I = 0; I < H.entry_count; ++I) {
      uint8_t *At = Bytes + EntriesBegin + I * sizeof(pyox_entry);
      pyox_entry E;
      std::memcpy(&E, At, sizeof E);
      uint64_t Begin = E.data_offset;
      if (Begin > Size || E.data_size > Size - Begin)
        continue;
      E.data_crc = pyox_crc32c(0, Bytes + Begin, E.data_size);
      std::memcpy(At, &E, sizeof E);
    }
  }
  if (EntriesBegin > Size || H.index_size > Size || PoolBegin > H.index_size)
    return;
  // The chunk table (pyox/format.h): entries, buckets, pool, in order.
  uint64_t Slot = sizeof(pyox_header);
  auto Chunks = [&](uint64_t Begin, uint64_t End, uint64_t Step) {
    for (uint64_t B = Begin; B < End && Slot + 4 <= EntriesBegin; B += Step) {
      uint64_t E = B + Step < End ? B + Step : End;
      uint32_t Crc = pyox_crc32c(0, Bytes + B, E - B);
      std::memcpy(Bytes + Slot, &Crc, 4);
      Slot += 4;
    }
  };
  if (Chunked) {
    Chunks(EntriesBegin, BucketsBegin, PYOX_CHUNK_ENTRIES * sizeof(pyox_entry));
    Chunks(BucketsBegin, PoolBegin,
           uint64_t(pyox_chunk_buckets(H.format_version)) * 4);
    Chunks(PoolBegin, H.index_size, PYOX_CHUNK_POOL);
  }
  // Before version 3, one CRC over the whole index.
  const uint64_t Covered = Chunked ? EntriesBegin : H.index_size;
  const size_t CrcAt = offsetof(pyox_header, index_crc);
  uint32_t Crc = pyox_crc32c(0, Bytes, CrcAt);
  Crc = pyox_crc32c(Crc, Bytes + sizeof(pyox_header),
                    Covered - sizeof(pyox_header));
  std::memcpy(Bytes + CrcAt, &Crc, sizeof Crc);
}

#endif
