//===- PayloadWriter.cpp --------------------------------------------------===//

#include "Pack/PayloadWriter.h"

#include "pyox/format.h"
#include "pyox/payload.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
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
    if (It.Kind < PYOX_KIND_MODULE || It.Kind > PYOX_KIND_LAST)
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
  if (Info.EntryPoint.size() > UINT16_MAX)
    return createStringError(std::errc::invalid_argument,
                             "entry point is too long");

  const uint32_t Count = uint32_t(Items.size());
  // Load factor at most 1/2 keeps probe sequences short.
  const uint32_t Buckets =
      Count ? uint32_t(NextPowerOf2(2 * uint64_t(Count) - 1)) : 0;

  // String pool: the entry point, then each entry's name and path (a path
  // equal to the name is stored once).
  const uint64_t PoolBegin = sizeof(pyox_header) +
                             uint64_t(Count) * sizeof(pyox_entry) +
                             uint64_t(Buckets) * 4;
  std::string Pool = Info.EntryPoint;
  std::vector<pyox_entry> Entries(Count); // value-initialised: all zero
  for (uint32_t I = 0; I < Count; ++I) {
    const PayloadItem &It = Items[I];
    pyox_entry &E = Entries[I];
    E.kind = It.Kind;
    E.flags = It.Flags;
    E.raw_size = It.RawSize;
    E.name_offset = uint32_t(PoolBegin + Pool.size());
    E.name_size = uint16_t(It.Name.size());
    Pool += It.Name;
    if (It.Path == It.Name) {
      E.path_offset = E.name_offset;
    } else {
      E.path_offset = uint32_t(PoolBegin + Pool.size());
      Pool += It.Path;
    }
    E.path_size = uint16_t(It.Path.size());
  }
  const uint64_t IndexSize = PoolBegin + Pool.size();
  if (IndexSize > std::numeric_limits<uint32_t>::max())
    return createStringError(std::errc::invalid_argument,
                             "payload index exceeds 4 GiB");

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
  H.format_version = PYOX_FORMAT_VERSION;
  H.header_size = sizeof(pyox_header);
  H.python_version = Info.PythonVersion;
  H.bytecode_magic = Info.BytecodeMagic;
  H.entry_count = Count;
  H.bucket_count = Buckets;
  H.total_size = Total;
  H.index_size = uint32_t(IndexSize);
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
  Put(sizeof(pyox_header), Entries.data(), Entries.size() * sizeof(pyox_entry));
  Put(sizeof(pyox_header) + Entries.size() * sizeof(pyox_entry), Table.data(),
      Table.size() * 4);
  Put(PoolBegin, Pool.data(), Pool.size());
  for (uint32_t I = 0; I < Count; ++I)
    Put(Entries[I].data_offset, Items[I].Data.data(), Items[I].Data.size());
  std::memcpy(P, &H, sizeof H);
  uint32_t Crc = pyox_crc32c(0, P, offsetof(pyox_header, index_crc));
  Crc = pyox_crc32c(Crc, P + sizeof(pyox_header),
                    IndexSize - sizeof(pyox_header));
  std::memcpy(P + offsetof(pyox_header, index_crc), &Crc, sizeof Crc);
  return Out;
}

} // namespace pyox
