//===- Payload.cpp - Bounds-checked payload reader ------------------------===//
//
// The reader is the one place that turns untrusted bytes into pointers, and
// it runs inside users' programs at start-up, so it is written to two rules:
// no length is used before it is checked against the bytes that are really
// there, and start-up work is one linear pass over the entry table (no
// per-entry parsing, no allocation). Data checksums are checked lazily, per
// entry, by whoever uses the data.
//
//===----------------------------------------------------------------------===//

#include "pyox/payload.h"

#include <stdio.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error                                                                         \
    "pyox reads its little-endian payload in place: big-endian hosts are not supported"
#endif

namespace {

constexpr uint64_t HeaderSize = sizeof(pyox_header);
constexpr uint64_t CrcFieldOffset = offsetof(pyox_header, index_crc);

bool inRange(uint64_t Offset, uint64_t Size, uint64_t Begin, uint64_t End) {
  return Offset >= Begin && Offset <= End && Size <= End - Offset;
}

uint64_t alignTo(uint64_t V, uint64_t A) { return (V + A - 1) & ~(A - 1); }

// Layout of the index tables, derived from the header alone.
struct IndexLayout {
  uint64_t EntriesBegin, BucketsBegin, PoolBegin, PoolEnd, DataBegin;
};

IndexLayout layoutOf(const pyox_header &H) {
  IndexLayout L;
  L.EntriesBegin = HeaderSize;
  L.BucketsBegin =
      L.EntriesBegin + uint64_t(H.entry_count) * sizeof(pyox_entry);
  L.PoolBegin = L.BucketsBegin + uint64_t(H.bucket_count) * 4;
  L.PoolEnd = H.index_size;
  L.DataBegin = alignTo(H.index_size, PYOX_DATA_ALIGN);
  return L;
}

int compareKey(uint32_t GroupA, const char *A, size_t SizeA, uint32_t GroupB,
               const char *B, size_t SizeB) {
  if (GroupA != GroupB)
    return GroupA < GroupB ? -1 : 1;
  size_t N = SizeA < SizeB ? SizeA : SizeB;
  int C = memcmp(A, B, N);
  if (C != 0)
    return C;
  return SizeA < SizeB ? -1 : SizeA > SizeB ? 1 : 0;
}

} // namespace

extern "C" {

int pyox_payload_open(pyox_payload *Out, const void *Data, uint64_t Size,
                      const char **Error) {
  const uint8_t *Base = static_cast<const uint8_t *>(Data);
  if (Size < HeaderSize) {
    *Error = "payload is smaller than its header";
    return -1;
  }
  if (memcmp(Base, PYOX_MAGIC, PYOX_MAGIC_SIZE) != 0) {
    *Error = "not a pyox payload (bad magic)";
    return -1;
  }
  const pyox_header *H = reinterpret_cast<const pyox_header *>(Base);
  if (reinterpret_cast<uintptr_t>(Base) % 8 != 0) {
    *Error = "payload is not 8-byte aligned in memory";
    return -1;
  }
  if (H->format_version < PYOX_FORMAT_VERSION_MIN ||
      H->format_version > PYOX_FORMAT_VERSION) {
    *Error = "unsupported payload format version";
    return -1;
  }
  if (H->header_size != HeaderSize) {
    *Error = "bad payload header size";
    return -1;
  }
  if (H->total_size > Size || H->total_size < HeaderSize) {
    *Error = "payload is truncated (total size exceeds the available bytes)";
    return -1;
  }
  const uint64_t Total = H->total_size;
  IndexLayout L = layoutOf(*H);
  if (H->bucket_count != 0 && ((H->bucket_count & (H->bucket_count - 1)) != 0 ||
                               H->bucket_count <= H->entry_count)) {
    *Error = "bad hash table size in payload header";
    return -1;
  }
  if (H->entry_count != 0 && H->bucket_count == 0) {
    *Error = "bad hash table size in payload header";
    return -1;
  }
  if (L.PoolBegin > L.PoolEnd || L.PoolEnd > Total) {
    *Error = "payload index exceeds the payload";
    return -1;
  }
  uint32_t Crc = pyox_crc32c(0, Base, CrcFieldOffset);
  Crc = pyox_crc32c(Crc, Base + HeaderSize, L.PoolEnd - HeaderSize);
  if (Crc != H->index_crc) {
    *Error = "payload index checksum mismatch (damaged payload)";
    return -1;
  }
  if (H->entry_point_size != 0 &&
      !inRange(H->entry_point_offset, H->entry_point_size, L.PoolBegin,
               L.PoolEnd)) {
    *Error = "payload entry point is out of bounds";
    return -1;
  }
  const pyox_entry *Entries =
      reinterpret_cast<const pyox_entry *>(Base + L.EntriesBegin);
  for (uint32_t I = 0; I < H->entry_count; ++I) {
    const pyox_entry &E = Entries[I];
    if (E.kind < PYOX_KIND_MODULE || E.kind > PYOX_KIND_LAST) {
      *Error = "payload entry has an unknown kind";
      return -1;
    }
    // Readers decide how to read an entry by its flags: only a source may
    // be compressed, and only from version 2 on.
    if ((E.flags & ~PYOX_ENTRY_ZSTD) != 0 ||
        (E.flags != 0 &&
         (E.kind != PYOX_KIND_SOURCE || H->format_version < 2))) {
      *Error = "payload entry has bad flags";
      return -1;
    }
    if (E.name_size == 0 ||
        !inRange(E.name_offset, E.name_size, L.PoolBegin, L.PoolEnd) ||
        !inRange(E.path_offset, E.path_size, L.PoolBegin, L.PoolEnd)) {
      *Error = "payload entry name is out of bounds";
      return -1;
    }
    if (!inRange(E.data_offset, E.data_size, L.DataBegin, Total) ||
        E.data_offset % PYOX_DATA_ALIGN != 0) {
      *Error = "payload entry data is out of bounds";
      return -1;
    }
  }
  Out->base = Base;
  Out->size = Total;
  Out->header = H;
  Out->entries = Entries;
  Out->buckets = reinterpret_cast<const uint32_t *>(Base + L.BucketsBegin);
  return 0;
}

int pyox_payload_check_python(const pyox_payload *P, uint32_t PythonVersion,
                              uint32_t BytecodeMagic, const char **Error) {
  if ((P->header->python_version & 0xffff0000u) !=
      (PythonVersion & 0xffff0000u)) {
    *Error = "payload was compiled for another Python version";
    return -1;
  }
  if (P->header->bytecode_magic != BytecodeMagic) {
    *Error = "payload bytecode magic does not match this interpreter";
    return -1;
  }
  return 0;
}

const pyox_entry *pyox_payload_find(const pyox_payload *P, uint32_t Group,
                                    const char *Name, size_t Size) {
  const uint32_t N = P->header->bucket_count;
  if (N == 0)
    return nullptr;
  const uint32_t Count = P->header->entry_count;
  uint64_t Slot = pyox_name_hash(Group, Name, Size) & (N - 1);
  // Probing stops at an empty bucket; a damaged table with none stops after
  // one full turn.
  for (uint32_t Probe = 0; Probe < N; ++Probe, Slot = (Slot + 1) & (N - 1)) {
    uint32_t V = P->buckets[Slot];
    if (V == 0)
      return nullptr;
    if (V > Count)
      continue;
    const pyox_entry *E = &P->entries[V - 1];
    if (pyox_kind_group(E->kind) == Group && E->name_size == Size &&
        memcmp(pyox_entry_name(P, E), Name, Size) == 0)
      return E;
  }
  return nullptr;
}

uint32_t pyox_payload_lower_bound(const pyox_payload *P, uint32_t Group,
                                  const char *Prefix, size_t Size) {
  uint32_t Lo = 0, Hi = P->header->entry_count;
  while (Lo < Hi) {
    uint32_t Mid = Lo + (Hi - Lo) / 2;
    const pyox_entry &E = P->entries[Mid];
    if (compareKey(pyox_kind_group(E.kind), pyox_entry_name(P, &E), E.name_size,
                   Group, Prefix, Size) < 0)
      Lo = Mid + 1;
    else
      Hi = Mid;
  }
  if (Lo < P->header->entry_count) {
    const pyox_entry &E = P->entries[Lo];
    if (pyox_kind_group(E.kind) != Group || E.name_size < Size ||
        memcmp(pyox_entry_name(P, &E), Prefix, Size) != 0)
      return P->header->entry_count;
  }
  return Lo;
}

int pyox_entry_verify(const pyox_payload *P, const pyox_entry *E) {
  return pyox_crc32c(0, pyox_entry_data(P, E), E->data_size) == E->data_crc
             ? 0
             : -1;
}

int pyox_payload_verify_all(const pyox_payload *P, char *Error,
                            size_t ErrorSize) {
  const pyox_header *H = P->header;
  IndexLayout L = layoutOf(*H);
  auto Fail = [&](const char *What, uint32_t Index) {
    if (Index == UINT32_MAX)
      snprintf(Error, ErrorSize, "%s", What);
    else
      snprintf(Error, ErrorSize, "entry %u: %s", Index, What);
    return -1;
  };
  if (H->reserved != 0)
    return Fail("reserved header fields are not zero", UINT32_MAX);
  if (H->optimize > 2 ||
      (H->flags & ~(PYOX_FLAG_HAS_SOURCES | PYOX_FLAG_ISOLATED)) != 0)
    return Fail("bad optimize level or flags in header", UINT32_MAX);
  if (H->entry_point_size == 0 && H->entry_point_offset != 0)
    return Fail("entry point offset without an entry point", UINT32_MAX);
  if (H->total_size % PYOX_DATA_ALIGN != 0)
    return Fail("total size is not a multiple of the data alignment",
                UINT32_MAX);

  // Data ranges must be sorted, non-overlapping and separated by zeros only,
  // so that no byte of the data area escapes a checksum or a zero check.
  uint64_t Cursor = L.PoolEnd;
  const uint32_t Count = H->entry_count;
  // Entries are laid out in data order == table order.
  for (uint32_t I = 0; I < Count; ++I) {
    const pyox_entry &E = P->entries[I];
    if (E.reserved != 0 || ((E.flags & PYOX_ENTRY_ZSTD) == 0 && E.raw_size))
      return Fail("reserved entry fields are not zero", I);
    if (E.kind == PYOX_KIND_NAMESPACE && E.data_size != 0)
      return Fail("namespace package with data", I);
    if (I > 0) {
      const pyox_entry &Prev = P->entries[I - 1];
      if (compareKey(pyox_kind_group(Prev.kind), pyox_entry_name(P, &Prev),
                     Prev.name_size, pyox_kind_group(E.kind),
                     pyox_entry_name(P, &E), E.name_size) >= 0)
        return Fail("entries are not sorted by unique name", I);
    }
    if (E.data_offset < Cursor)
      return Fail("entry data overlaps the index or another entry", I);
    for (uint64_t B = Cursor; B < E.data_offset; ++B)
      if (P->base[B] != 0)
        return Fail("padding before entry data is not zero", I);
    if (pyox_entry_verify(P, &E) != 0)
      return Fail("data checksum mismatch", I);
    Cursor = E.data_offset + E.data_size;
  }
  for (uint64_t B = Cursor; B < H->total_size; ++B)
    if (P->base[B] != 0)
      return Fail("padding at the end of the payload is not zero", UINT32_MAX);

  // Every entry must be reachable through the hash table, and every
  // non-empty bucket must hold a distinct valid entry.
  uint32_t Used = 0;
  for (uint32_t S = 0; S < H->bucket_count; ++S) {
    uint32_t V = P->buckets[S];
    if (V == 0)
      continue;
    if (V > Count)
      return Fail("hash table refers past the entry table", UINT32_MAX);
    ++Used;
  }
  if (Used != Count)
    return Fail("hash table does not hold every entry once", UINT32_MAX);
  for (uint32_t I = 0; I < Count; ++I) {
    const pyox_entry &E = P->entries[I];
    if (pyox_payload_find(P, pyox_kind_group(E.kind), pyox_entry_name(P, &E),
                          E.name_size) != &E)
      return Fail("entry cannot be found through the hash table", I);
  }
  return 0;
}

const char *pyox_kind_name(uint32_t Kind) {
  switch (Kind) {
  case PYOX_KIND_MODULE:
    return "module";
  case PYOX_KIND_PACKAGE:
    return "package";
  case PYOX_KIND_NAMESPACE:
    return "namespace";
  case PYOX_KIND_EXTENSION:
    return "extension";
  case PYOX_KIND_SOURCE:
    return "source";
  case PYOX_KIND_RESOURCE:
    return "resource";
  case PYOX_KIND_METADATA:
    return "metadata";
  }
  return "unknown";
}

} // extern "C"
