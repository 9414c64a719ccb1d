//===- PayloadWriter.cpp --------------------------------------------------===//

#include "Pack/PayloadWriter.h"

#include "pyox/format.h"
#include "pyox/payload.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>

using namespace llvm;

namespace pyox {

Expected<std::vector<uint8_t>> writePayload(std::vector<PayloadItem> Items,
                                            const PayloadInfo &Info) {
  llvm::sort(Items, [](const PayloadItem &A, const PayloadItem &B) {
    uint32_t GA = pyox_kind_group(A.Kind), GB = pyox_kind_group(B.Kind);
    if (GA != GB)
      return GA < GB;
    return A.Name < B.Name;
  });
  for (size_t I = 0; I < Items.size(); ++I) {
    const PayloadItem &It = Items[I];
    if (It.Kind < PYOX_KIND_MODULE || It.Kind > PYOX_KIND_LAST ||
        (It.Kind == PYOX_KIND_MAPPED_CODE &&
         Info.FormatVersion < PYOX_FORMAT_VERSION_MAPPED))
      return createStringError(std::errc::invalid_argument,
                               "%s: bad entry kind", It.Name.c_str());
    if (It.Name.empty() || It.Name.size() > UINT16_MAX ||
        It.Path.size() > UINT16_MAX)
      return createStringError(std::errc::invalid_argument,
                               "%s: name or path is empty or longer than "
                               "65535 bytes",
                               It.Name.c_str());
    if (I > 0 &&
        pyox_kind_group(Items[I - 1].Kind) == pyox_kind_group(It.Kind) &&
        Items[I - 1].Name == It.Name)
      return createStringError(std::errc::invalid_argument,
                               "%s: two entries of the same name",
                               It.Name.c_str());
  }
  if (Items.size() >= (1u << 30))
    return createStringError(std::errc::invalid_argument, "too many entries");
  if (Info.FormatVersion < PYOX_FORMAT_VERSION_MIN ||
      Info.FormatVersion > PYOX_FORMAT_VERSION)
    return createStringError(std::errc::invalid_argument,
                             "unknown payload format version %u",
                             Info.FormatVersion);
  if (Info.EntryPoint.size() > UINT16_MAX)
    return createStringError(std::errc::invalid_argument,
                             "entry point is too long");

  const uint32_t Count = uint32_t(Items.size());
  // Load factor at most 1/2 keeps probe sequences short.
  const uint32_t Buckets =
      Count ? uint32_t(NextPowerOf2(2 * uint64_t(Count) - 1)) : 0;

  // String pool: the entry point, then each entry's name and path (a path
  // equal to the name is stored once). Offsets are relative to the pool
  // until its place is known: after the chunk table, whose size depends on
  // the pool's (pyox/format.h).
  std::string Pool = Info.EntryPoint;
  std::vector<pyox_entry> Entries(Count); // value-initialised: all zero
  for (uint32_t I = 0; I < Count; ++I) {
    const PayloadItem &It = Items[I];
    pyox_entry &E = Entries[I];
    E.kind = It.Kind;
    E.flags = It.Flags;
    E.raw_size = It.RawSize;
    E.name_offset = uint32_t(Pool.size());
    E.name_size = uint16_t(It.Name.size());
    Pool += It.Name;
    if (It.Path == It.Name) {
      E.path_offset = E.name_offset;
    } else {
      E.path_offset = uint32_t(Pool.size());
      Pool += It.Path;
    }
    E.path_size = uint16_t(It.Path.size());
  }
  auto DivUp = [](uint64_t A, uint64_t B) { return (A + B - 1) / B; };
  // Versions before PYOX_FORMAT_VERSION_CHUNKS (for readers' tests) have
  // no chunk table.
  const bool Chunked = Info.FormatVersion >= PYOX_FORMAT_VERSION_CHUNKS;
  const uint64_t Chunks = Chunked ? DivUp(Count, PYOX_CHUNK_ENTRIES) +
                                        DivUp(Buckets, PYOX_CHUNK_BUCKETS) +
                                        DivUp(Pool.size(), PYOX_CHUNK_POOL)
                                  : 0;
  const uint64_t EntriesBegin =
      alignTo(sizeof(pyox_header) + Chunks * 4, PYOX_DATA_ALIGN);
  const uint64_t BucketsBegin =
      EntriesBegin + uint64_t(Count) * sizeof(pyox_entry);
  const uint64_t PoolBegin = BucketsBegin + uint64_t(Buckets) * 4;
  const uint64_t IndexSize = PoolBegin + Pool.size();
  if (IndexSize > std::numeric_limits<uint32_t>::max())
    return createStringError(std::errc::invalid_argument,
                             "payload index exceeds 4 GiB");
  for (pyox_entry &E : Entries) {
    E.name_offset += uint32_t(PoolBegin);
    E.path_offset += uint32_t(PoolBegin);
  }

  // Data, in table order, each aligned.
  uint64_t Cursor = alignTo(IndexSize, PYOX_DATA_ALIGN);
  for (uint32_t I = 0; I < Count; ++I) {
    Entries[I].data_offset = Cursor;
    Entries[I].data_size = Items[I].Data.size();
    Entries[I].data_crc =
        pyox_crc32c(0, Items[I].Data.data(), Items[I].Data.size());
    Cursor = alignTo(Cursor + Items[I].Data.size(), PYOX_DATA_ALIGN);
  }
  const uint64_t Total = Cursor;

  std::vector<uint32_t> Table(Buckets, 0);
  for (uint32_t I = 0; I < Count; ++I) {
    const PayloadItem &It = Items[I];
    uint64_t Slot = pyox_name_hash(pyox_kind_group(It.Kind), It.Name.data(),
                                   It.Name.size()) &
                    (Buckets - 1);
    while (Table[Slot] != 0)
      Slot = (Slot + 1) & (Buckets - 1);
    Table[Slot] = I + 1;
  }

  std::vector<uint8_t> Out(Total, 0);
  pyox_header H;
  std::memset(&H, 0, sizeof H);
  std::memcpy(H.magic, PYOX_MAGIC, PYOX_MAGIC_SIZE);
  H.format_version = Info.FormatVersion;
  H.header_size = sizeof(pyox_header);
  H.python_version = Info.PythonVersion;
  H.bytecode_magic = Info.BytecodeMagic;
  H.entry_count = Count;
  H.bucket_count = Buckets;
  H.total_size = Total;
  H.index_size = uint32_t(IndexSize);
  H.chunk_count = uint32_t(Chunks);
  if (!Info.EntryPoint.empty()) {
    H.entry_point_offset = uint32_t(PoolBegin);
    H.entry_point_size = uint16_t(Info.EntryPoint.size());
  }
  H.optimize = Info.Optimize;
  H.flags = uint8_t((Info.HasSources ? PYOX_FLAG_HAS_SOURCES : 0) |
                    (Info.Isolated ? PYOX_FLAG_ISOLATED : 0));
  H.glibc_floor = Info.GlibcFloor;

  // std::copy, not memcpy: the ranges may be empty (null data pointers).
  uint8_t *P = Out.data();
  auto Put = [&](uint64_t Offset, const void *Data, size_t Size) {
    const uint8_t *B = static_cast<const uint8_t *>(Data);
    std::copy(B, B + Size, P + Offset);
  };
  Put(EntriesBegin, Entries.data(), Entries.size() * sizeof(pyox_entry));
  Put(BucketsBegin, Table.data(), Table.size() * 4);
  Put(PoolBegin, Pool.data(), Pool.size());
  for (uint32_t I = 0; I < Count; ++I)
    Put(Entries[I].data_offset, Items[I].Data.data(), Items[I].Data.size());
  // One CRC32C per index chunk, then the header's over the header and the
  // chunk table.
  std::vector<uint32_t> ChunkCrcs;
  auto AddChunks = [&](uint64_t Begin, uint64_t End, uint64_t Step) {
    for (uint64_t B = Begin; B < End; B += Step)
      ChunkCrcs.push_back(pyox_crc32c(0, P + B, std::min(End, B + Step) - B));
  };
  AddChunks(EntriesBegin, BucketsBegin,
            PYOX_CHUNK_ENTRIES * sizeof(pyox_entry));
  AddChunks(BucketsBegin, PoolBegin, PYOX_CHUNK_BUCKETS * 4);
  AddChunks(PoolBegin, IndexSize, PYOX_CHUNK_POOL);
  if (!Chunked)
    ChunkCrcs.clear();
  assert(ChunkCrcs.size() == Chunks && "chunk count");
  Put(sizeof(pyox_header), ChunkCrcs.data(), ChunkCrcs.size() * 4);
  std::memcpy(P, &H, sizeof H);
  uint32_t Crc = pyox_crc32c(0, P, offsetof(pyox_header, index_crc));
  Crc = pyox_crc32c(Crc, P + sizeof(pyox_header),
                    (Chunked ? EntriesBegin : IndexSize) - sizeof(pyox_header));
  std::memcpy(P + offsetof(pyox_header, index_crc), &Crc, sizeof Crc);
  return Out;
}

} // namespace pyox
