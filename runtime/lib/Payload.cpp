//===- Payload.cpp - Bounds-checked payload reader ------------------------===//
//
// The reader is the one place that turns untrusted bytes into pointers, and
// it runs inside users' programs at start-up, so it is written to two rules:
// no length is used before it is checked against the bytes that are really
// there, and start-up work does not grow with the payload. Opening checks
// the header and the chunk table (pyox/format.h); the index chunks are
// checked all at once (pyox_payload_open, for tools) or each before its
// first use (pyox_payload_open_lazy, for the runtime: a bit per chunk,
// set with an atomic OR, so threads may race to check the same chunk and
// both succeed). Data checksums are checked lazily, per entry, by whoever
// uses the data.
//
//===----------------------------------------------------------------------===//

#include "pyox/payload.h"

#include <stdio.h>
#include <stdlib.h>
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
uint64_t divUp(uint64_t A, uint64_t B) { return (A + B - 1) / B; }

// Layout of the index, derived from the header alone.
struct IndexLayout {
  uint64_t EntriesBegin, BucketsBegin, PoolBegin, PoolEnd, DataBegin;
  uint64_t EntryChunks, BucketChunks, PoolChunks;
};

bool isChunked(const pyox_header &H) {
  return H.format_version >= PYOX_FORMAT_VERSION_CHUNKS;
}

IndexLayout layoutOf(const pyox_header &H) {
  IndexLayout L;
  L.EntriesBegin =
      isChunked(H)
          ? alignTo(HeaderSize + uint64_t(H.chunk_count) * 4, PYOX_DATA_ALIGN)
          : HeaderSize;
  L.BucketsBegin =
      L.EntriesBegin + uint64_t(H.entry_count) * sizeof(pyox_entry);
  L.PoolBegin = L.BucketsBegin + uint64_t(H.bucket_count) * 4;
  L.PoolEnd = H.index_size;
  L.DataBegin = alignTo(H.index_size, PYOX_DATA_ALIGN);
  L.EntryChunks = L.BucketChunks = L.PoolChunks = 0;
  if (isChunked(H)) {
    L.EntryChunks = divUp(H.entry_count, PYOX_CHUNK_ENTRIES);
    L.BucketChunks =
        divUp(H.bucket_count, pyox_chunk_buckets(H.format_version));
    L.PoolChunks = L.PoolEnd > L.PoolBegin
                       ? divUp(L.PoolEnd - L.PoolBegin, PYOX_CHUNK_POOL)
                       : 0;
  }
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

// Everything about DATA[0, SIZE) that the header and the chunk table say:
// what every way of opening checks.
const char *checkHeader(const uint8_t *Base, uint64_t Size, IndexLayout &L) {
  if (Size < HeaderSize)
    return "payload is smaller than its header";
  if (memcmp(Base, PYOX_MAGIC, PYOX_MAGIC_SIZE) != 0)
    return "not a pyox payload (bad magic)";
  const pyox_header *H = reinterpret_cast<const pyox_header *>(Base);
  if (reinterpret_cast<uintptr_t>(Base) % 8 != 0)
    return "payload is not 8-byte aligned in memory";
  if (H->format_version < PYOX_FORMAT_VERSION_MIN ||
      H->format_version > PYOX_FORMAT_VERSION)
    return "unsupported payload format version (rebuild the program with "
           "this pyox)";
  if (H->header_size != HeaderSize)
    return "bad payload header size";
  if (H->total_size > Size || H->total_size < HeaderSize)
    return "payload is truncated (total size exceeds the available bytes)";
  if (H->bucket_count != 0 && ((H->bucket_count & (H->bucket_count - 1)) != 0 ||
                               H->bucket_count <= H->entry_count))
    return "bad hash table size in payload header";
  if (H->entry_count != 0 && H->bucket_count == 0)
    return "bad hash table size in payload header";
  L = layoutOf(*H);
  if (L.PoolBegin > L.PoolEnd || L.PoolEnd > H->total_size)
    return "payload index exceeds the payload";
  if (uint64_t(H->chunk_count) != L.EntryChunks + L.BucketChunks + L.PoolChunks)
    return "payload chunk count does not match its index";
  // Version 3 covers the header and the chunk table here, the chunks
  // themselves in the table; before it, one CRC covered the whole index.
  uint64_t Covered = isChunked(*H) ? L.EntriesBegin : L.PoolEnd;
  uint32_t Crc = pyox_crc32c(0, Base, CrcFieldOffset);
  Crc = pyox_crc32c(Crc, Base + HeaderSize, Covered - HeaderSize);
  if (Crc != H->index_crc)
    return "payload index checksum mismatch (damaged payload)";
  if (H->entry_point_size != 0 &&
      !inRange(H->entry_point_offset, H->entry_point_size, L.PoolBegin,
               L.PoolEnd))
    return "payload entry point is out of bounds";
  return nullptr;
}

// [Begin, End) of index chunk C.
void chunkRange(const pyox_payload *P, uint32_t C, uint64_t &Begin,
                uint64_t &End) {
  const uint64_t Buckets = P->header->bucket_count;
  const uint64_t BucketsBegin =
      uint64_t(reinterpret_cast<const uint8_t *>(P->buckets) - P->base);
  const uint64_t EntriesBegin =
      uint64_t(reinterpret_cast<const uint8_t *>(P->entries) - P->base);
  if (C < P->entry_chunks) {
    Begin =
        EntriesBegin + uint64_t(C) * PYOX_CHUNK_ENTRIES * sizeof(pyox_entry);
    End = Begin + PYOX_CHUNK_ENTRIES * sizeof(pyox_entry);
    if (End > BucketsBegin)
      End = BucketsBegin;
  } else if ((C -= P->entry_chunks) < P->bucket_chunks) {
    const uint64_t Step =
        uint64_t(pyox_chunk_buckets(P->header->format_version)) * 4;
    Begin = BucketsBegin + uint64_t(C) * Step;
    End = Begin + Step;
    if (End > BucketsBegin + Buckets * 4)
      End = BucketsBegin + Buckets * 4;
  } else {
    C -= P->bucket_chunks;
    Begin = P->pool_begin + uint64_t(C) * PYOX_CHUNK_POOL;
    End = Begin + PYOX_CHUNK_POOL;
    if (End > P->pool_end)
      End = P->pool_end;
  }
}

// Entry E's fields point inside the payload where they should.
const char *checkEntry(const pyox_payload *P, const pyox_entry &E) {
  if (E.kind < PYOX_KIND_MODULE || E.kind > PYOX_KIND_LAST ||
      (E.kind == PYOX_KIND_MAPPED_CODE &&
       P->header->format_version < PYOX_FORMAT_VERSION_MAPPED))
    return "payload entry has an unknown kind";
  // Readers decide how to read an entry by its flags (pyox/format.h): a
  // source may be compressed from version 2 on, a file (extension module,
  // resource, metadata) from PYOX_FORMAT_VERSION_ZSTD_FILES on, bytecode
  // from PYOX_FORMAT_VERSION_ZSTD_CODE on; mapped code and namespace
  // packages never.
  const uint32_t Version = P->header->format_version;
  bool MayCompress = false;
  switch (E.kind) {
  case PYOX_KIND_SOURCE:
    MayCompress = Version >= 2;
    break;
  case PYOX_KIND_EXTENSION:
  case PYOX_KIND_RESOURCE:
  case PYOX_KIND_METADATA:
    MayCompress = Version >= PYOX_FORMAT_VERSION_ZSTD_FILES;
    break;
  case PYOX_KIND_MODULE:
  case PYOX_KIND_PACKAGE:
    MayCompress = Version >= PYOX_FORMAT_VERSION_ZSTD_CODE;
    break;
  }
  if ((E.flags & ~PYOX_ENTRY_ZSTD) != 0 || (E.flags != 0 && !MayCompress))
    return "payload entry has bad flags";
  if (E.name_size == 0 ||
      !inRange(E.name_offset, E.name_size, P->pool_begin, P->pool_end) ||
      !inRange(E.path_offset, E.path_size, P->pool_begin, P->pool_end))
    return "payload entry name is out of bounds";
  if (!inRange(E.data_offset, E.data_size, P->data_begin, P->size) ||
      E.data_offset % PYOX_DATA_ALIGN != 0)
    return "payload entry data is out of bounds";
  return nullptr;
}

// Checks chunk C: its CRC32C, and for an entry chunk its entries' bounds.
const char *checkChunk(const pyox_payload *P, uint32_t C) {
  uint64_t Begin, End;
  chunkRange(P, C, Begin, End);
  if (pyox_crc32c(0, P->base + Begin, End - Begin) != P->chunk_crcs[C])
    return "payload index chunk checksum mismatch (damaged payload)";
  if (C < P->entry_chunks) {
    const pyox_entry *E = reinterpret_cast<const pyox_entry *>(P->base + Begin);
    for (uint64_t I = 0; I < (End - Begin) / sizeof(pyox_entry); ++I)
      if (const char *Why = checkEntry(P, E[I]))
        return Why;
  }
  return nullptr;
}

// Every chunk (version 3), or every entry's bounds (before it, when the
// whole index was covered by index_crc).
const char *checkIndex(const pyox_payload *P) {
  if (isChunked(*P->header)) {
    for (uint32_t C = 0; C < P->header->chunk_count; ++C)
      if (const char *Why = checkChunk(P, C))
        return Why;
    return nullptr;
  }
  for (uint32_t I = 0; I < P->header->entry_count; ++I)
    if (const char *Why = checkEntry(P, P->entries[I]))
      return Why;
  return nullptr;
}

// True once chunk C is checked; reports damage to the handler.
bool ensureChunk(const pyox_payload *P, uint32_t C) {
  if (!P->verified)
    return true;
  uint32_t Bit = 1u << (C % 32);
  if (__atomic_load_n(&P->verified[C / 32], __ATOMIC_ACQUIRE) & Bit)
    return true;
  if (const char *Why = checkChunk(P, C)) {
    if (P->damaged)
      P->damaged(P, Why);
    return false;
  }
  __atomic_fetch_or(&P->verified[C / 32], Bit, __ATOMIC_RELEASE);
  return true;
}

// The pool chunks holding [OFFSET, OFFSET + SIZE) (inside the pool).
bool ensurePool(const pyox_payload *P, uint64_t Offset, uint64_t Size) {
  if (!P->verified || Size == 0)
    return true;
  uint32_t First = uint32_t((Offset - P->pool_begin) / PYOX_CHUNK_POOL);
  uint32_t Last =
      uint32_t((Offset + Size - 1 - P->pool_begin) / PYOX_CHUNK_POOL);
  for (uint32_t C = First; C <= Last; ++C)
    if (!ensureChunk(P, P->entry_chunks + P->bucket_chunks + C))
      return false;
  return true;
}

void fill(pyox_payload *Out, const uint8_t *Base, const IndexLayout &L) {
  const pyox_header *H = reinterpret_cast<const pyox_header *>(Base);
  Out->base = Base;
  Out->size = H->total_size;
  Out->header = H;
  Out->entries = reinterpret_cast<const pyox_entry *>(Base + L.EntriesBegin);
  Out->buckets = reinterpret_cast<const uint32_t *>(Base + L.BucketsBegin);
  Out->chunk_crcs = reinterpret_cast<const uint32_t *>(Base + HeaderSize);
  Out->pool_begin = L.PoolBegin;
  Out->pool_end = L.PoolEnd;
  Out->data_begin = L.DataBegin;
  Out->entry_chunks = uint32_t(L.EntryChunks);
  Out->bucket_chunks = uint32_t(L.BucketChunks);
  Out->verified = nullptr;
  Out->damaged = nullptr;
}

} // namespace

extern "C" {

int pyox_payload_check_header(const void *Data, uint64_t Size,
                              uint64_t *TotalSize, const char **Error) {
  const uint8_t *Base = static_cast<const uint8_t *>(Data);
  IndexLayout L;
  if (const char *Why = checkHeader(Base, Size, L)) {
    *Error = Why;
    return -1;
  }
  *TotalSize = reinterpret_cast<const pyox_header *>(Base)->total_size;
  return 0;
}

int pyox_payload_open(pyox_payload *Out, const void *Data, uint64_t Size,
                      const char **Error) {
  const uint8_t *Base = static_cast<const uint8_t *>(Data);
  IndexLayout L;
  if (const char *Why = checkHeader(Base, Size, L)) {
    *Error = Why;
    return -1;
  }
  pyox_payload P;
  fill(&P, Base, L);
  if (const char *Why = checkIndex(&P)) {
    *Error = Why;
    return -1;
  }
  *Out = P;
  return 0;
}

int pyox_payload_open_lazy(pyox_payload *Out, const void *Data, uint64_t Size,
                           pyox_damage_handler Damaged, const char **Error) {
  const uint8_t *Base = static_cast<const uint8_t *>(Data);
  IndexLayout L;
  if (const char *Why = checkHeader(Base, Size, L)) {
    *Error = Why;
    return -1;
  }
  pyox_payload P;
  fill(&P, Base, L);
  if (!isChunked(*P.header)) { // nothing to check later: check it all now
    if (const char *Why = checkIndex(&P)) {
      *Error = Why;
      return -1;
    }
    P.damaged = Damaged;
    *Out = P;
    return 0;
  }
  P.verified = static_cast<uint32_t *>(
      calloc(divUp(P.header->chunk_count, 32) + 1, sizeof(uint32_t)));
  if (!P.verified) {
    *Error = "out of memory opening the payload";
    return -1;
  }
  P.damaged = Damaged;
  *Out = P;
  // The entry point is read at once: its string is checked now.
  const pyox_header *H = Out->header;
  if (!ensurePool(Out, H->entry_point_offset, H->entry_point_size)) {
    *Error = "payload index chunk checksum mismatch (damaged payload)";
    pyox_payload_close(Out);
    return -1;
  }
  return 0;
}

void pyox_payload_close(pyox_payload *P) {
  free(P->verified);
  P->verified = nullptr;
}

const pyox_entry *pyox_payload_entry(const pyox_payload *P, uint32_t Index) {
  if (Index >= P->header->entry_count ||
      !ensureChunk(P, Index / PYOX_CHUNK_ENTRIES))
    return nullptr;
  const pyox_entry *E = &P->entries[Index];
  if (!ensurePool(P, E->name_offset, E->name_size) ||
      !ensurePool(P, E->path_offset, E->path_size))
    return nullptr;
  return E;
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
  const uint32_t PerChunk = pyox_chunk_buckets(P->header->format_version);
  uint64_t Slot = pyox_name_hash(Group, Name, Size) & (N - 1);
  // Probing stops at an empty bucket; a damaged table with none stops after
  // one full turn.
  for (uint32_t Probe = 0; Probe < N; ++Probe, Slot = (Slot + 1) & (N - 1)) {
    if (!ensureChunk(P, P->entry_chunks + uint32_t(Slot / PerChunk)))
      return nullptr;
    uint32_t V = P->buckets[Slot];
    if (V == 0)
      return nullptr;
    if (V > Count)
      continue;
    const pyox_entry *E = pyox_payload_entry(P, V - 1);
    if (!E)
      return nullptr;
    if (pyox_kind_group(E->kind) == Group && E->name_size == Size &&
        memcmp(pyox_entry_name(P, E), Name, Size) == 0)
      return E;
  }
  return nullptr;
}

uint32_t pyox_payload_lower_bound(const pyox_payload *P, uint32_t Group,
                                  const char *Prefix, size_t Size) {
  const uint32_t Count = P->header->entry_count;
  uint32_t Lo = 0, Hi = Count;
  while (Lo < Hi) {
    uint32_t Mid = Lo + (Hi - Lo) / 2;
    const pyox_entry *E = pyox_payload_entry(P, Mid);
    if (!E)
      return Count;
    if (compareKey(pyox_kind_group(E->kind), pyox_entry_name(P, E),
                   E->name_size, Group, Prefix, Size) < 0)
      Lo = Mid + 1;
    else
      Hi = Mid;
  }
  if (Lo < Count) {
    const pyox_entry *E = pyox_payload_entry(P, Lo);
    if (!E || pyox_kind_group(E->kind) != Group || E->name_size < Size ||
        memcmp(pyox_entry_name(P, E), Prefix, Size) != 0)
      return Count;
  }
  return Lo;
}

uint64_t pyox_payload_mapped_begin(const pyox_payload *P) {
  // Mapped code is the last group: a payload whose last entry is of another
  // has none, seen in one entry rather than a search over the whole index
  // (whose chunks it would check, pull in and leave in the cache).
  const uint32_t Count = P->header->entry_count;
  if (Count == 0 || !ensureChunk(P, (Count - 1) / PYOX_CHUNK_ENTRIES) ||
      pyox_kind_group(P->entries[Count - 1].kind) != PYOX_GROUP_MAPPED)
    return P->header->total_size;
  uint32_t I = pyox_payload_lower_bound(P, PYOX_GROUP_MAPPED, "", 0);
  const pyox_entry *E =
      I < P->header->entry_count ? pyox_payload_entry(P, I) : nullptr;
  return E ? E->data_offset : P->header->total_size;
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
  if (H->optimize > 2 ||
      (H->flags & ~(PYOX_FLAG_HAS_SOURCES | PYOX_FLAG_ISOLATED)) != 0)
    return Fail("bad optimize level or flags in header", UINT32_MAX);
  if (H->entry_point_size == 0 && H->entry_point_offset != 0)
    return Fail("entry point offset without an entry point", UINT32_MAX);
  if (H->total_size % PYOX_DATA_ALIGN != 0)
    return Fail("total size is not a multiple of the data alignment",
                UINT32_MAX);
  for (uint64_t B = HeaderSize + uint64_t(H->chunk_count) * 4;
       B < L.EntriesBegin; ++B)
    if (P->base[B] != 0)
      return Fail("padding after the chunk table is not zero", UINT32_MAX);

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
  case PYOX_KIND_MAPPED_CODE:
    return "mapped";
  }
  return "unknown";
}

} // extern "C"
