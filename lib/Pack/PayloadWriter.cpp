//===- PayloadWriter.cpp --------------------------------------------------===//

#include "Pack/PayloadWriter.h"

#include "pyox/format.h"
#include "pyox/payload.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <limits>
#include <unistd.h>

using namespace llvm;

namespace pyox {

Expected<DataSpool> DataSpool::create() {
  int FD;
  SmallString<128> Path;
  if (std::error_code EC =
          sys::fs::createTemporaryFile("pyox-spool", "", FD, Path))
    return createStringError(EC, "cannot create a temporary file: %s",
                             EC.message().c_str());
  ::unlink(Path.c_str()); // lives as long as FD
  return DataSpool(FD);
}

DataSpool::~DataSpool() {
  if (FD >= 0)
    ::close(FD);
}

static Error spoolError(const char *What) {
  std::error_code EC(errno, std::generic_category());
  return createStringError(EC, "temporary file (TMPDIR): cannot %s: %s", What,
                           EC.message().c_str());
}

Expected<PayloadItem::SpoolExtent> DataSpool::append(StringRef Data) {
  PayloadItem::SpoolExtent X{End, Data.size(),
                             pyox_crc32c(0, Data.data(), Data.size())};
  const char *P = Data.data();
  for (size_t Left = Data.size(); Left;) {
    ssize_t N = ::pwrite(FD, P, Left, off_t(End));
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      return spoolError("write");
    P += N;
    Left -= size_t(N);
    End += uint64_t(N);
  }
  return X;
}

Error DataSpool::add(PayloadItem &It) {
  auto At = append(It.Data);
  if (!At)
    return At.takeError();
  It.Spooled = *At;
  std::string().swap(It.Data);
  return Error::success();
}

Expected<std::string>
DataSpool::read(const PayloadItem::SpoolExtent &At) const {
  std::string Bytes(At.Size, '\0');
  for (uint64_t Done = 0; Done < At.Size;) {
    ssize_t N = ::pread(FD, Bytes.data() + Done, At.Size - Done,
                        off_t(At.Offset + Done));
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      return spoolError("read");
    Done += uint64_t(N);
  }
  return Bytes;
}

Error DataSpool::copyTo(const PayloadItem &It, raw_ostream &OS) const {
  static thread_local std::vector<char> Buffer(1 << 20);
  uint64_t At = It.Spooled->Offset, Left = It.Spooled->Size;
  while (Left) {
    ssize_t N = ::pread(FD, Buffer.data(), std::min<uint64_t>(Left, 1 << 20),
                        off_t(At));
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      return spoolError("read");
    OS.write(Buffer.data(), size_t(N));
    At += uint64_t(N);
    Left -= uint64_t(N);
  }
  return Error::success();
}

Error layOutPayload(std::vector<PayloadItem> Items, const PayloadInfo &Info,
                    const DataSpool *Spool,
                    function_ref<Error(uint64_t, PayloadBody)> Then) {
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
  size_t PoolSize = Pool.size();
  for (const PayloadItem &It : Items)
    PoolSize += It.Name.size() + (It.Path == It.Name ? 0 : It.Path.size());
  Pool.reserve(PoolSize);
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
  const uint32_t BucketStep = pyox_chunk_buckets(Info.FormatVersion);
  const uint64_t Chunks = Chunked ? DivUp(Count, PYOX_CHUNK_ENTRIES) +
                                        DivUp(Buckets, BucketStep) +
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
    const PayloadItem &It = Items[I];
    if (It.Spooled && !Spool)
      return createStringError(std::errc::invalid_argument,
                               "%s: spooled data without its spool",
                               It.Name.c_str());
    Entries[I].data_offset = Cursor;
    Entries[I].data_size = It.size();
    Entries[I].data_crc = It.Spooled
                              ? It.Spooled->Crc
                              : pyox_crc32c(0, It.Data.data(), It.Data.size());
    Cursor = alignTo(Cursor + It.size(), PYOX_DATA_ALIGN);
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

  // The index is three contiguous regions (entries, buckets, pool) whose
  // chunks' CRCs and the header's CRC are needed before the header is
  // written; each is hashed where it is. The data is not gathered either:
  // each item is written straight from where it is, in order, and
  // released.
  const StringRef Regions[] = {
      StringRef(reinterpret_cast<const char *>(Entries.data()),
                Entries.size() * sizeof(pyox_entry)),
      StringRef(reinterpret_cast<const char *>(Table.data()), Table.size() * 4),
      Pool};
  // One CRC32C per index chunk, then the header's over the header and the
  // chunk table (the whole index before the chunked formats).
  std::vector<uint32_t> ChunkCrcs;
  if (Chunked) {
    const size_t Steps[] = {PYOX_CHUNK_ENTRIES * sizeof(pyox_entry),
                            BucketStep * 4, PYOX_CHUNK_POOL};
    for (int R = 0; R < 3; ++R)
      for (size_t B = 0; B < Regions[R].size(); B += Steps[R]) {
        StringRef Chunk = Regions[R].substr(B, Steps[R]);
        ChunkCrcs.push_back(pyox_crc32c(0, Chunk.data(), Chunk.size()));
      }
  }
  assert(ChunkCrcs.size() == Chunks && "chunk count");
  // Header, chunk table, padding up to the entries: the bytes the header's
  // CRC covers after its own first bytes.
  std::string Head(EntriesBegin, '\0');
  std::memcpy(Head.data(), &H, sizeof H);
  std::copy(reinterpret_cast<const char *>(ChunkCrcs.data()),
            reinterpret_cast<const char *>(ChunkCrcs.data() + ChunkCrcs.size()),
            Head.data() + sizeof(pyox_header));
  uint32_t Crc = pyox_crc32c(0, Head.data(), offsetof(pyox_header, index_crc));
  Crc = pyox_crc32c(Crc, Head.data() + sizeof(pyox_header),
                    EntriesBegin - sizeof(pyox_header));
  if (!Chunked)
    for (StringRef R : Regions)
      Crc = pyox_crc32c(Crc, R.data(), R.size());
  std::memcpy(Head.data() + offsetof(pyox_header, index_crc), &Crc, sizeof Crc);

  bool Once = false;
  auto Body = [&](raw_ostream &OS) -> Error {
    if (Once) // each item's data is released as it is written
      return createStringError(std::errc::invalid_argument,
                               "internal error: a payload written twice");
    Once = true;
    OS << Head;
    for (StringRef R : Regions)
      OS << R;
    uint64_t Written = IndexSize;
    static const char Zeros[PYOX_DATA_ALIGN] = {};
    for (uint32_t I = 0; I < Count; ++I) {
      OS.write(Zeros, Entries[I].data_offset - Written);
      if (Items[I].Spooled) {
        if (Error E = Spool->copyTo(Items[I], OS))
          return E;
      } else {
        OS << Items[I].Data;
      }
      Written = Entries[I].data_offset + Items[I].size();
      std::string().swap(Items[I].Data);
    }
    OS.write(Zeros, Total - Written);
    return Error::success();
  };
  return Then(Total, Body);
}

Error writePayload(std::vector<PayloadItem> Items, const PayloadInfo &Info,
                   raw_ostream &OS, const DataSpool *Spool) {
  return layOutPayload(std::move(Items), Info, Spool,
                       [&](uint64_t Size, PayloadBody Write) {
                         OS.reserveExtraSpace(Size);
                         return Write(OS);
                       });
}

namespace {
// A stream appending to a byte vector, reserving what the writer announces.
class VectorStream final : public raw_ostream {
public:
  explicit VectorStream(std::vector<uint8_t> &Out) : Out(Out) {
    SetUnbuffered();
  }
  void reserveExtraSpace(uint64_t ExtraSize) override {
    Out.reserve(Out.size() + ExtraSize);
  }

private:
  void write_impl(const char *Ptr, size_t Size) override {
    Out.insert(Out.end(), Ptr, Ptr + Size);
  }
  uint64_t current_pos() const override { return Out.size(); }
  std::vector<uint8_t> &Out;
};
} // namespace

Expected<std::vector<uint8_t>> writePayload(std::vector<PayloadItem> Items,
                                            const PayloadInfo &Info,
                                            const DataSpool *Spool) {
  std::vector<uint8_t> Out;
  VectorStream OS(Out);
  if (Error E = writePayload(std::move(Items), Info, OS, Spool))
    return std::move(E);
  OS.flush();
  return Out;
}

} // namespace pyox
