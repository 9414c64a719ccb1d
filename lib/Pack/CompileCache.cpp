//===- CompileCache.cpp ---------------------------------------------------===//

#include "Pack/CompileCache.h"

#include "pyox/payload.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/BLAKE3.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/RandomNumberGenerator.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace llvm;

namespace pyox {

static constexpr char EntryMagic[8] = {'p', 'y', 'o', 'x', 'c', 'c', '1', '\n'};
static constexpr const char *LayoutDir = "v1";
static constexpr unsigned Shards = 256;
// A hit older than this refreshes the entry's mtime (its LRU stamp); a
// temporary file older than this belongs to a build that died.
static constexpr time_t RefreshAge = 3600;

static std::error_code lastError() {
  return std::error_code(errno, std::generic_category());
}

CacheKey makeCacheKey(StringRef Domain, ArrayRef<StringRef> Parts) {
  BLAKE3 Hasher;
  auto Add = [&](StringRef S) {
    uint8_t Size[8];
    support::endian::write64le(Size, S.size());
    Hasher.update(ArrayRef<uint8_t>(Size, 8));
    Hasher.update(S);
  };
  Add(Domain);
  for (StringRef P : Parts)
    Add(P);
  return Hasher.final<32>();
}

static std::string hexKey(const CacheKey &Key) {
  return toHex(ArrayRef<uint8_t>(Key.data(), Key.size()), /*LowerCase=*/true);
}

static bool isLowerHex(StringRef Name, size_t Digits) {
  return Name.size() == Digits && all_of(Name, [](char C) {
           return isDigit(C) || (C >= 'a' && C <= 'f');
         });
}
static bool isEntryName(StringRef Name) { return isLowerHex(Name, 64); }
static bool isIndexName(StringRef Name) { return isLowerHex(Name, 32); }
static bool isTempName(StringRef Name) { return Name.starts_with("tmp-"); }
static bool isShardName(StringRef Name) {
  return Name.size() == 2 && isHexDigit(Name[0]) && isHexDigit(Name[1]);
}
static bool isLayoutName(StringRef Name) {
  return Name.size() > 1 && Name[0] == 'v' &&
         all_of(Name.drop_front(), [](char C) { return isDigit(C); });
}

static std::vector<std::string> listDirectory(const std::string &Dir) {
  std::vector<std::string> Names;
  if (DIR *D = ::opendir(Dir.c_str())) {
    while (dirent *E = ::readdir(D))
      if (std::strcmp(E->d_name, ".") && std::strcmp(E->d_name, ".."))
        Names.push_back(E->d_name);
    ::closedir(D);
  }
  return Names;
}

namespace {
struct CacheFile {
  std::string Path;
  uint64_t Size;
  int64_t MTimeNs;
  bool Temp;
};
} // namespace

// The entries and temporary files of one shard directory.
static void listShard(const std::string &Shard, std::vector<CacheFile> &Out) {
  for (const std::string &Name : listDirectory(Shard)) {
    bool Temp = isTempName(Name);
    if (!Temp && !isEntryName(Name))
      continue;
    std::string Path = Shard + "/" + Name;
    struct stat St;
    if (::lstat(Path.c_str(), &St) != 0 || !S_ISREG(St.st_mode))
      continue;
    Out.push_back({Path, uint64_t(St.st_size),
                   int64_t(St.st_mtim.tv_sec) * 1000000000 + St.st_mtim.tv_nsec,
                   Temp});
  }
}

// Calls Each on every shard directory of Dir's layouts (v1/, and others a
// different pyox version made), then AfterLayout on each layout directory.
static void
forEachShard(StringRef Dir, function_ref<void(const std::string &)> Each,
             function_ref<void(const std::string &)> AfterLayout = nullptr) {
  for (const std::string &Layout : listDirectory(Dir.str())) {
    if (!isLayoutName(Layout))
      continue;
    std::string LayoutPath = (Dir + "/" + Layout).str();
    for (const std::string &Shard : listDirectory(LayoutPath))
      if (isShardName(Shard))
        Each(LayoutPath + "/" + Shard);
    if (AfterLayout)
      AfterLayout(LayoutPath);
  }
}

// Every entry and temporary file under Dir's layouts (v1/, and others a
// different pyox version made).
static Expected<std::vector<CacheFile>> listCache(StringRef Dir) {
  std::vector<CacheFile> Files;
  struct stat St;
  if (::stat(Dir.str().c_str(), &St) != 0) {
    if (errno == ENOENT)
      return Files;
    return createStringError(lastError(), "%s: %s", Dir.str().c_str(),
                             lastError().message().c_str());
  }
  if (!S_ISDIR(St.st_mode))
    return createStringError(std::errc::not_a_directory,
                             "%s: the cache directory is not a directory",
                             Dir.str().c_str());
  forEachShard(Dir, [&](const std::string &Shard) { listShard(Shard, Files); });
  return Files;
}

// Removes the oldest entries of Files until at most Keep bytes of entries
// remain, and temporary files older than RefreshAge; adds what it removed
// to Removed.
static void removeOldest(std::vector<CacheFile> &Files, uint64_t Keep,
                         CacheUsage &Removed) {
  llvm::sort(Files, [](const CacheFile &A, const CacheFile &B) {
    return A.MTimeNs != B.MTimeNs ? A.MTimeNs < B.MTimeNs : A.Path < B.Path;
  });
  uint64_t Total = 0;
  for (const CacheFile &F : Files)
    if (!F.Temp)
      Total += F.Size;
  const int64_t StaleBefore =
      (int64_t(std::time(nullptr)) - RefreshAge) * 1000000000;
  for (const CacheFile &F : Files) {
    if (F.Temp) {
      if (F.MTimeNs < StaleBefore && ::unlink(F.Path.c_str()) == 0)
        ++Removed.TempFiles;
      continue;
    }
    if (Total <= Keep)
      continue;
    if (::unlink(F.Path.c_str()) == 0 || errno == ENOENT) {
      Total -= F.Size;
      ++Removed.Entries;
      Removed.Bytes += F.Size;
    }
  }
}

Expected<CompileCache> CompileCache::open(StringRef Dir, uint64_t MaxSize) {
  std::string Layout = (Dir + "/" + LayoutDir).str();
  if (std::error_code EC = sys::fs::create_directories(Layout))
    return createStringError(EC, "%s: cannot create the cache directory: %s",
                             Layout.c_str(), EC.message().c_str());
  return CompileCache(Dir.str(), MaxSize);
}

std::string CompileCache::entryPath(const CacheKey &Key) const {
  std::string Hex = hexKey(Key);
  return Dir + "/" + LayoutDir + "/" + Hex.substr(0, 2) + "/" + Hex;
}

// Moves all Size bytes with read(2) or write(2), across short transfers
// and EINTR.
template <typename Buffer, typename Call>
static bool transferAll(int FD, Buffer *Data, size_t Size, Call IO) {
  while (Size) {
    ssize_t N = IO(FD, Data, Size);
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      return false;
    Data += N;
    Size -= size_t(N);
  }
  return true;
}
static bool readAll(int FD, char *Data, size_t Size) {
  return transferAll(FD, Data, Size, ::read);
}
static bool writeAll(int FD, const char *Data, size_t Size) {
  return transferAll(FD, Data, Size, ::write);
}

// Checks an entry file, its header and the data after it, against Key.
static bool entryIsIntact(const char *Header, StringRef Data,
                          const CacheKey &Key) {
  using namespace support::endian;
  if (std::memcmp(Header, EntryMagic, 8) != 0 ||
      std::memcmp(Header + 8, Key.data(), 32))
    return false;
  if (read32le(Header + 52) != pyox_crc32c(0, Header, 52))
    return false;
  if (read64le(Header + 40) != Data.size())
    return false;
  return read32le(Header + 48) == pyox_crc32c(0, Data.data(), Data.size());
}

// Reads the entry at Path into Data if it is Key's and intact; removes it
// if it is damaged.
CompileCache::Entry CompileCache::readEntry(const std::string &Path,
                                            const CacheKey &Key,
                                            std::string &Data) {
  int FD = ::open(Path.c_str(), O_RDONLY | O_CLOEXEC);
  if (FD < 0)
    return Entry::Missing;
  // The header and the data are read apart: the data goes straight into the
  // string returned, not moved down over the header afterwards.
  struct stat St;
  char Header[sizeof(CacheEntryHeader)];
  bool Read = ::fstat(FD, &St) == 0 && S_ISREG(St.st_mode) &&
              St.st_size >= int64_t(sizeof Header) &&
              St.st_size < (int64_t(1) << 32);
  if (Read) {
    Data.resize(size_t(St.st_size) - sizeof Header);
    Read = readAll(FD, Header, sizeof Header) &&
           readAll(FD, Data.data(), Data.size());
  }
  if (!Read || !entryIsIntact(Header, Data, Key)) {
    ::close(FD);
    // Never used: removed here, recompiled and stored again by the caller.
    ::unlink(Path.c_str());
    std::string().swap(Data);
    return Entry::Damaged;
  }
  if (St.st_mtim.tv_sec < std::time(nullptr) - RefreshAge)
    ::futimens(FD, nullptr); // the LRU stamp; may fail on a shared dir
  ::close(FD);
  return Entry::Hit;
}

std::optional<std::string> CompileCache::lookup(const CacheKey &Key) {
  std::string Data;
  if (!count(readEntry(entryPath(Key), Key, Data)))
    return std::nullopt;
  return Data;
}

std::vector<std::optional<std::string>>
CompileCache::lookup(ArrayRef<CacheKey> Keys) {
  std::vector<std::string> Data(Keys.size());
  std::vector<Entry> Found(Keys.size());
  parallelFor(0, Keys.size(), [&](size_t I) {
    Found[I] = readEntry(entryPath(Keys[I]), Keys[I], Data[I]);
  });
  std::vector<std::optional<std::string>> Out(Keys.size());
  for (size_t I = 0; I < Keys.size(); ++I)
    if (count(Found[I]))
      Out[I] = std::move(Data[I]);
  return Out;
}

bool CompileCache::count(Entry Found) {
  switch (Found) {
  case Entry::Hit:
    ++Counters.Hits;
    return true;
  case Entry::Damaged:
    ++Counters.Damaged;
    [[fallthrough]];
  case Entry::Missing:
    ++Counters.Misses;
    return false;
  }
  return false;
}

// Writes the concatenation of Parts to Final through a temporary file in
// Final's directory (created if missing), renamed into place. The
// temporary name is unique among builds on every machine sharing the
// directory: a random token per process, then a counter. (llvm's
// createUniqueFile asks the kernel for randomness per character: ~10% of a
// cold pack's time in system calls.)
static Error writeByRename(const std::string &Final,
                           ArrayRef<StringRef> Parts) {
  std::string Dir = sys::path::parent_path(Final).str();
  static const uint64_t Token = [] {
    uint64_t T = 0;
    if (getRandomBytes(&T, sizeof T) != std::error_code() || !T)
      T = (uint64_t(::getpid()) << 32) ^ uint64_t(std::time(nullptr));
    return T;
  }();
  static uint64_t Counter = 0;
  int FD = -1;
  std::string Temp;
  for (int Attempt = 0; FD < 0 && Attempt < 100; ++Attempt) {
    Temp = Dir + "/tmp-" + utohexstr(Token, /*LowerCase=*/true) + "-" +
           std::to_string(Counter++);
    FD = ::open(Temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (FD < 0 && errno == ENOENT && Attempt == 0)
      if (std::error_code DirEC = sys::fs::create_directories(Dir))
        return createStringError(DirEC, "%s: %s", Dir.c_str(),
                                 DirEC.message().c_str());
    if (FD < 0 && errno != EEXIST && errno != ENOENT)
      break;
  }
  if (FD < 0)
    return createStringError(lastError(), "%s: cannot create a cache file: %s",
                             Dir.c_str(), lastError().message().c_str());
  bool Written = all_of(
      Parts, [&](StringRef P) { return writeAll(FD, P.data(), P.size()); });
  std::error_code WriteEC = lastError();
  if (::close(FD) != 0 && Written) {
    Written = false;
    WriteEC = lastError();
  }
  if (!Written || ::rename(Temp.c_str(), Final.c_str()) != 0) {
    std::error_code Failure = Written ? lastError() : WriteEC;
    ::unlink(Temp.c_str());
    return createStringError(Failure, "%s: cannot write a cache file: %s",
                             Final.c_str(), Failure.message().c_str());
  }
  return Error::success();
}

Error CompileCache::store(const CacheKey &Key, StringRef Data) {
  using namespace support::endian;
  std::string Final = entryPath(Key);
  char Header[sizeof(CacheEntryHeader)];
  std::memcpy(Header, EntryMagic, 8);
  std::memcpy(Header + 8, Key.data(), 32);
  write64le(Header + 40, Data.size());
  write32le(Header + 48, pyox_crc32c(0, Data.data(), Data.size()));
  write32le(Header + 52, pyox_crc32c(0, Header, 52));
  if (Error E = writeByRename(Final, {StringRef(Header, sizeof Header), Data}))
    return E;
  ++Counters.Stored;
  WrittenShards.insert(sys::path::parent_path(Final).str());
  return Error::success();
}

void CompileCache::trimWrittenShards() {
  for (const std::string &Shard : WrittenShards) {
    std::vector<CacheFile> Files;
    listShard(Shard, Files);
    uint64_t Bound = MaxSize / Shards, Total = 0;
    for (const CacheFile &F : Files)
      Total += F.Temp ? 0 : F.Size;
    if (Total <= Bound)
      continue;
    CacheUsage Removed;
    // To 90% of the bound, so the next store does not trim again.
    removeOldest(Files, Bound - Bound / 10, Removed);
  }
  WrittenShards.clear();
}

CacheKey contentDigest(StringRef Bytes) {
  BLAKE3 Hasher;
  Hasher.update(Bytes);
  return Hasher.final<32>();
}

CacheKey bytecodeKey(StringRef Compiler, int Optimize, StringRef CodeFilename,
                     const CacheKey &Source) {
  return makeCacheKey("bytecode-of-digest", {Compiler, std::to_string(Optimize),
                                             CodeFilename, keyBytes(Source)});
}

//===- The source index ---------------------------------------------------===//
//
// DIR/v1/sources/SCOPE, little-endian:
//   "pyoxsi1\n", u64 count, then count records sorted by path:
//     u64 size, i64 mtime_ns, i64 ctime_ns, u64 inode, u64 device,
//     u8[32] digest, u16 path size, path
//   then u32 CRC32C of everything before it.
// A file that fails any check is ignored: every source is read again.

static constexpr char IndexMagic[8] = {'p', 'y', 'o', 'x', 's', 'i', '1', '\n'};
static constexpr size_t RecordFixed = 8 * 5 + 32 + 2;

static int64_t nanoseconds(const struct timespec &T) {
  return int64_t(T.tv_sec) * 1000000000 + T.tv_nsec;
}

// An index file, DIR/v1/KIND/<hash of Domain and Scope>: magic, u64 count,
// records, u32 CRC32C of what precedes it. Records is empty unless it is whole.
namespace {
struct IndexFile {
  std::string Path;
  std::unique_ptr<MemoryBuffer> Buf;
  uint64_t Count = 0;
  std::optional<StringRef> Records;
};
} // namespace

static IndexFile openIndex(StringRef CacheDir, StringRef Kind, StringRef Domain,
                           StringRef Scope, const char (&Magic)[8]) {
  using namespace support::endian;
  IndexFile F;
  CacheKey ScopeKey = makeCacheKey(Domain, {Scope});
  F.Path = (CacheDir + "/" + LayoutDir + "/" + Kind + "/" +
            toHex(ArrayRef<uint8_t>(ScopeKey.data(), 16), /*LowerCase=*/true))
               .str();
  auto Buf = MemoryBuffer::getFile(F.Path, /*IsText=*/false,
                                   /*RequiresNullTerminator=*/false);
  if (!Buf)
    return F;
  F.Buf = std::move(*Buf);
  StringRef B = F.Buf->getBuffer();
  if (B.size() < 20 || std::memcmp(B.data(), Magic, 8) != 0 ||
      read32le(B.end() - 4) != pyox_crc32c(0, B.data(), B.size() - 4))
    return F;
  F.Count = read64le(B.data() + 8);
  F.Records = B.slice(16, B.size() - 4);
  return F;
}

SourceIndex::SourceIndex(StringRef CacheDir, StringRef Scope) {
  using namespace support::endian;
  IndexFile F =
      openIndex(CacheDir, "sources", "source-index", Scope, IndexMagic);
  Path = F.Path;
  if (!F.Records)
    return;
  StringRef Rest = *F.Records;
  std::map<std::string, Record> Parsed;
  for (uint64_t I = 0; I < F.Count; ++I) {
    if (Rest.size() < RecordFixed)
      return;
    const char *P = Rest.data();
    Record R;
    R.Size = read64le(P);
    R.MTimeNs = int64_t(read64le(P + 8));
    R.CTimeNs = int64_t(read64le(P + 16));
    R.Ino = read64le(P + 24);
    R.Dev = read64le(P + 32);
    std::memcpy(R.Digest.data(), P + 40, 32);
    uint16_t PathSize = read16le(P + 72);
    if (Rest.size() - RecordFixed < PathSize)
      return;
    Parsed.emplace(Rest.substr(RecordFixed, PathSize).str(), R);
    Rest = Rest.drop_front(RecordFixed + PathSize);
  }
  if (Rest.empty())
    Records = std::move(Parsed);
}

Expected<SourceState> SourceIndex::state(const std::string &File) {
  if (auto It = Seen.find(File); It != Seen.end())
    return SourceState{It->second.first, It->second.second, std::nullopt};
  struct stat St;
  auto Known = Records.find(File);
  if (Known != Records.end() && ::stat(File.c_str(), &St) == 0 &&
      S_ISREG(St.st_mode)) {
    const Record &R = Known->second;
    if (R.Size == uint64_t(St.st_size) &&
        R.MTimeNs == nanoseconds(St.st_mtim) &&
        R.CTimeNs == nanoseconds(St.st_ctim) && R.Ino == uint64_t(St.st_ino) &&
        R.Dev == uint64_t(St.st_dev)) {
      Seen[File] = {R.Digest, R.Size};
      ++ByStat;
      return SourceState{R.Digest, R.Size, std::nullopt};
    }
  }
  return read(File);
}

Expected<SourceState> SourceIndex::read(const std::string &File) {
  struct timespec Now;
  ::clock_gettime(CLOCK_REALTIME, &Now);
  const int64_t ReadStart = nanoseconds(Now);
  auto Fail = [&](std::error_code EC) {
    return createStringError(EC, "%s: cannot read: %s", File.c_str(),
                             EC.message().c_str());
  };
  int FD = ::open(File.c_str(), O_RDONLY | O_CLOEXEC);
  if (FD < 0)
    return Fail(lastError());
  struct stat St;
  std::string Text;
  errno = 0;
  bool Ok = ::fstat(FD, &St) == 0;
  if (Ok) {
    Text.resize(size_t(St.st_size));
    Ok = readAll(FD, Text.data(), Text.size());
  }
  // A read that ends early (the file shrank) leaves errno 0.
  std::error_code EC =
      errno ? lastError() : std::make_error_code(std::errc::io_error);
  ::close(FD);
  if (!Ok)
    return Fail(EC);
  Record R;
  R.Size = Text.size();
  R.MTimeNs = nanoseconds(St.st_mtim);
  R.CTimeNs = nanoseconds(St.st_ctim);
  R.Ino = uint64_t(St.st_ino);
  R.Dev = uint64_t(St.st_dev);
  R.Digest = contentDigest(Text);
  auto [It, New] = Seen.try_emplace(File, R.Digest, R.Size);
  if (!New && It->second.first != R.Digest)
    return createStringError(std::errc::resource_unavailable_try_again,
                             "%s: changed during the build; build again",
                             File.c_str());
  // Racy: a write in the same tick as the mtime would leave the stat as
  // it is. Not recorded, read again next time.
  if (R.MTimeNs <= ReadStart - RacyMarginNs) {
    auto [Old, Inserted] = Records.try_emplace(File, R);
    if (!Inserted && !(Old->second == R)) {
      Old->second = R;
      Inserted = true;
    }
    Changed |= Inserted;
  } else {
    Changed |= Records.erase(File) != 0;
  }
  ++Read;
  return SourceState{R.Digest, R.Size, std::move(Text)};
}

Error SourceIndex::save() {
  using namespace support::endian;
  if (Path.empty() || !Changed)
    return Error::success();
  std::string Out(IndexMagic, 8);
  auto Put64 = [&](uint64_t V) {
    char B[8];
    write64le(B, V);
    Out.append(B, 8);
  };
  Put64(count_if(Records,
                 [](const auto &KV) { return KV.first.size() <= UINT16_MAX; }));
  for (const auto &[File, R] : Records) {
    if (File.size() > UINT16_MAX)
      continue; // not recorded: read each time
    Put64(R.Size);
    Put64(uint64_t(R.MTimeNs));
    Put64(uint64_t(R.CTimeNs));
    Put64(R.Ino);
    Put64(R.Dev);
    Out += keyBytes(R.Digest);
    char Size[2];
    write16le(Size, uint16_t(File.size()));
    Out.append(Size, 2);
    Out += File;
  }
  char Crc[4];
  write32le(Crc, pyox_crc32c(0, Out.data(), Out.size()));
  Out.append(Crc, 4);
  if (Error E = writeByRename(Path, {Out}))
    return E;
  Changed = false;
  return Error::success();
}

void CompileCache::useSourceIndex(StringRef Scope) {
  Sources = SourceIndex(Dir, Scope);
}

Expected<SourceState> CompileCache::source(const std::string &File) {
  Expected<SourceState> S = Sources.state(File);
  Counters.SourcesByStat = Sources.ByStat;
  Counters.SourcesRead = Sources.Read;
  return S;
}

Expected<SourceState> CompileCache::readSource(const std::string &File) {
  Expected<SourceState> S = Sources.read(File);
  Counters.SourcesRead = Sources.Read;
  return S;
}

//===- The result index ---------------------------------------------------===//
//
// DIR/v1/results/SCOPE, little-endian:
//   "pyoxri1\n", u64 count, then count records sorted by key:
//     u8[32] key, u32 size, bytes
//   then u32 CRC32C of everything before it.

static constexpr char ResultMagic[8] = {'p', 'y', 'o', 'x',
                                        'r', 'i', '1', '\n'};

ResultIndex::ResultIndex(StringRef CacheDir, StringRef Scope) {
  using namespace support::endian;
  IndexFile F =
      openIndex(CacheDir, "results", "result-index", Scope, ResultMagic);
  Path = F.Path;
  std::map<CacheKey, std::string> Parsed;
  StringRef Rest = F.Records.value_or("");
  for (uint64_t I = 0; F.Records && I < F.Count; ++I) {
    if (Rest.size() < 36)
      return;
    CacheKey Key;
    std::memcpy(Key.data(), Rest.data(), 32);
    uint32_t Size = read32le(Rest.data() + 32);
    if (Rest.size() - 36 < Size)
      return;
    Parsed.emplace(Key, Rest.substr(36, Size).str());
    Rest = Rest.drop_front(36 + size_t(Size));
  }
  if (F.Records && Rest.empty())
    Loaded = std::move(Parsed);
}

std::optional<StringRef> ResultIndex::find(const CacheKey &Key) {
  if (auto It = Used.find(Key); It != Used.end())
    return StringRef(It->second);
  auto It = Loaded.find(Key);
  if (It == Loaded.end())
    return std::nullopt;
  auto &Moved = Used[Key] = std::move(It->second);
  Loaded.erase(It);
  return StringRef(Moved);
}

void ResultIndex::put(const CacheKey &Key, std::string Data) {
  Used[Key] = std::move(Data);
  Changed = true;
}

Error ResultIndex::save() {
  using namespace support::endian;
  // Unchanged: every record loaded was used and none was added.
  if (Path.empty() || (!Changed && Loaded.empty()))
    return Error::success();
  std::string Out(ResultMagic, 8);
  char B[8];
  write64le(B, count_if(Used, [](const auto &KV) {
              return KV.second.size() <= UINT32_MAX;
            }));
  Out.append(B, 8);
  for (const auto &[Key, Data] : Used) {
    if (Data.size() > UINT32_MAX)
      continue;
    Out += keyBytes(Key);
    write32le(B, uint32_t(Data.size()));
    Out.append(B, 4);
    Out += Data;
  }
  write32le(B, pyox_crc32c(0, Out.data(), Out.size()));
  Out.append(B, 4);
  if (Error E = writeByRename(Path, {Out}))
    return E;
  Loaded.clear();
  Changed = false;
  return Error::success();
}

void CompileCache::useResultIndex(StringRef Scope) {
  Results = ResultIndex(Dir, Scope);
}

std::string defaultCacheDir() {
  if (const char *D = std::getenv("PYOX_CACHE_DIR"); D && *D)
    return D;
  if (const char *X = std::getenv("XDG_CACHE_HOME"); X && *X)
    return std::string(X) + "/pyox";
  if (const char *H = std::getenv("HOME"); H && *H)
    return std::string(H) + "/.cache/pyox";
  return "";
}

Expected<uint64_t> parseCacheSize(StringRef Text) {
  StringRef Digits = Text;
  uint64_t Unit = 1;
  if (!Digits.empty()) {
    switch (toUpper(Digits.back())) {
    case 'K':
      Unit = uint64_t(1) << 10;
      break;
    case 'M':
      Unit = uint64_t(1) << 20;
      break;
    case 'G':
      Unit = uint64_t(1) << 30;
      break;
    case 'T':
      Unit = uint64_t(1) << 40;
      break;
    default:
      break;
    }
    if (Unit != 1)
      Digits = Digits.drop_back();
  }
  uint64_t N;
  if (Digits.empty() || Digits.getAsInteger(10, N) || N > UINT64_MAX / Unit)
    return createStringError(std::errc::invalid_argument,
                             "'%s' is not a size (a number of bytes, or "
                             "with K, M, G or T)",
                             Text.str().c_str());
  return N * Unit;
}

uint64_t defaultCacheMaxSize() {
  if (const char *S = std::getenv("PYOX_CACHE_MAX_SIZE"); S && *S) {
    Expected<uint64_t> N = parseCacheSize(S);
    if (N)
      return *N;
    consumeError(N.takeError());
  }
  return uint64_t(1) << 30;
}

Expected<CacheUsage> cacheUsage(StringRef Dir) {
  auto Files = listCache(Dir);
  if (!Files)
    return Files.takeError();
  CacheUsage U;
  for (const CacheFile &F : *Files) {
    if (F.Temp) {
      ++U.TempFiles;
      continue;
    }
    ++U.Entries;
    U.Bytes += F.Size;
  }
  return U;
}

// The directories of the indexes (the source and the result index).
static constexpr const char *IndexDirs[] = {"/sources", "/results"};

// An index not rewritten for this long belongs to roots nobody
// builds any more (or to a build machine gone): removed by a trim.
static constexpr time_t IndexAge = 30 * 24 * 3600;

Expected<CacheUsage> trimCache(StringRef Dir, uint64_t MaxBytes) {
  auto Files = listCache(Dir);
  if (!Files)
    return Files.takeError();
  CacheUsage Removed;
  removeOldest(*Files, MaxBytes, Removed);
  forEachShard(
      Dir, [](const std::string &) {},
      [](const std::string &Layout) {
        for (const char *Kind : IndexDirs) {
          std::string Indexes = Layout + Kind;
          for (const std::string &Name : listDirectory(Indexes)) {
            std::string Path = Indexes + "/" + Name;
            struct stat St;
            if (isIndexName(Name) && ::lstat(Path.c_str(), &St) == 0 &&
                St.st_mtim.tv_sec < std::time(nullptr) - IndexAge)
              ::unlink(Path.c_str());
          }
        }
      });
  return Removed;
}

Expected<CacheUsage> clearCache(StringRef Dir) {
  auto Files = listCache(Dir);
  if (!Files)
    return Files.takeError();
  CacheUsage Removed;
  for (const CacheFile &F : *Files) {
    if (::unlink(F.Path.c_str()) != 0)
      continue;
    if (F.Temp) {
      ++Removed.TempFiles;
    } else {
      ++Removed.Entries;
      Removed.Bytes += F.Size;
    }
  }
  // The source indexes, then empty shard and layout directories go too;
  // anything else stays.
  forEachShard(
      Dir, [](const std::string &Shard) { ::rmdir(Shard.c_str()); },
      [](const std::string &Layout) {
        for (const char *Kind : IndexDirs) {
          std::string Indexes = Layout + Kind;
          for (const std::string &Name : listDirectory(Indexes))
            if (isTempName(Name) || isIndexName(Name))
              ::unlink((Indexes + "/" + Name).c_str());
          ::rmdir(Indexes.c_str());
        }
        ::rmdir(Layout.c_str());
      });
  return Removed;
}

} // namespace pyox
