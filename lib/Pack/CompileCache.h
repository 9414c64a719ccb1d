//===- CompileCache.h - The content-addressed compile cache ---------------===//
//
// Compiling is nearly all of a pack's time, and an edit changes one file.
// The cache maps a key, a BLAKE3 hash of everything a result depends on,
// to the result's bytes, one file per entry, so that a build recompiles
// only what changed and builds on one machine, or on many sharing a
// directory, reuse each other's work.
//
//   DIR/v1/KK/KEY    KEY: the 64 hex digits of the key, KK its first two
//
// An entry is a fixed 56-byte header (below) and the data. Correctness
// never rests on the directory's state:
//   - a result depends on its key alone (the compiler's output is made
//     canonical per file, Marshal.h), so any entry for a key will do;
//   - an entry is written under a temporary name in its final directory
//     and renamed into place, so readers see a whole entry or none, on one
//     machine or over NFS; no lock is taken, two builds compiling the same
//     file both write and the last rename wins with the same bytes;
//   - an entry whose header, key, size or CRC32C does not match is
//     removed and treated as a miss: it is recompiled and replaced, never
//     used.
//
// Beside the entries, the source index (DIR/v1/sources/SCOPE, one file per
// machine and set of search roots) records each source file's stat and the
// BLAKE3 of its contents, so that a warm build stats its sources and reads only
// those whose stat changed (SourceIndex below).
//
// Size is bounded by least-recently-used trimming on the entries' mtime,
// which a hit refreshes (when more than an hour old, to spare a shared
// directory a write per hit): a build trims each shard it wrote to, to
// 1/256 of the bound, and `pyox-inject cache --trim SIZE` trims the whole
// directory, oldest first.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_PACK_COMPILECACHE_H
#define PYOX_PACK_COMPILECACHE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace pyox {

// The on-disk entry header: little-endian, explicit offsets.
struct CacheEntryHeader {
  char Magic[8];      // 0: "pyoxcc1\n"
  uint8_t Key[32];    // 8: the key this entry was stored under
  uint64_t DataSize;  // 40: bytes after the header
  uint32_t DataCrc;   // 48: CRC32C (pyox_crc32c) of the data
  uint32_t HeaderCrc; // 52: CRC32C of bytes 0..51
};
static_assert(sizeof(CacheEntryHeader) == 56, "on-disk layout");

using CacheKey = std::array<uint8_t, 32>;

// A key's (or a digest's) bytes, as a part of another key.
inline llvm::StringRef keyBytes(const CacheKey &Key) {
  return llvm::StringRef(reinterpret_cast<const char *>(Key.data()),
                         Key.size());
}

// BLAKE3 of Domain and Parts, each length-prefixed, so no two different
// lists hash the same stream.
CacheKey makeCacheKey(llvm::StringRef Domain,
                      llvm::ArrayRef<llvm::StringRef> Parts);

// BLAKE3 of Bytes: a source's identity in the keys that depend on it.
CacheKey contentDigest(llvm::StringRef Bytes);

// The key of a module's bytecode: the compiler (compilerIdentity()), the
// optimisation level, co_filename and the source's digest.
CacheKey bytecodeKey(llvm::StringRef Compiler, int Optimize,
                     llvm::StringRef CodeFilename, const CacheKey &Source);

struct CacheCounters {
  unsigned Hits = 0;
  unsigned Misses = 0;  // including damaged entries
  unsigned Damaged = 0; // entries that failed their checks, removed
  unsigned Stored = 0;
  unsigned SourcesByStat = 0; // sources known from the index, not read
  unsigned SourcesRead = 0;   // sources read and hashed
  unsigned ScansKnown = 0;    // import scans from the result index
  unsigned ObjectsKnown = 0;  // shared objects prepared by an earlier build
};

// A source file as a build knows it: its contents' digest and size, and
// the contents themselves when they had to be read.
struct SourceState {
  CacheKey Digest;
  uint64_t Size = 0;
  std::optional<std::string> Text;
};

// The stat-first check ("nothing unchanged is redone"): a record of
// (path, size, mtime, ctime, inode, device) -> digest per source file. A
// file whose stat matches its record is not read; any other is read and
// hashed, and its digest (through the keys) confirms the rest.
//
// Racy files (git's "racy clean" problem): a file written again within
// the same timestamp tick as it was read keeps its mtime, and its stat
// cannot tell. So a file is recorded only if its mtime is at least
// RacyMargin older than the moment its contents were read (2 s: FAT's
// granularity, and ample for ext4/xfs/tmpfs's clock ticks); a file edited
// just before a build is read again by the next one too.
class SourceIndex {
public:
  static constexpr int64_t RacyMarginNs = 2'000'000'000;

  SourceIndex() = default;
  // Loads Dir/v1/sources/<hash of Scope> (missing or damaged: empty).
  SourceIndex(llvm::StringRef CacheDir, llvm::StringRef Scope);

  // File's state; reads it only when its stat differs from the record.
  // The same file always gets the same digest within one build.
  llvm::Expected<SourceState> state(const std::string &File);
  // File's state with its contents, read now; an error if they are no
  // longer those an earlier call of this build saw.
  llvm::Expected<SourceState> read(const std::string &File);
  // Writes the loaded records updated with this build's (temporary file,
  // rename), if anything changed. Records of files this build did not see
  // stay: another build over the same roots (another entry point, other
  // --package) may want them.
  llvm::Error save();

  unsigned ByStat = 0, Read = 0;

private:
  struct Record {
    uint64_t Size = 0;
    int64_t MTimeNs = 0, CTimeNs = 0;
    uint64_t Ino = 0, Dev = 0;
    CacheKey Digest{};
    bool operator==(const Record &O) const {
      return Size == O.Size && MTimeNs == O.MTimeNs && CTimeNs == O.CTimeNs &&
             Ino == O.Ino && Dev == O.Dev && Digest == O.Digest;
    }
  };
  std::string Path; // empty: nothing to load or save
  std::map<std::string, Record> Records;
  bool Changed = false; // Records differ from the file's
  std::map<std::string, std::pair<CacheKey, uint64_t>> Seen; // this build
};

// Small results kept in one file per scope, not a file each: the import
// analysis's scan of each module it follows (ImportGraph.h), hundreds a
// build at a few hundred bytes, which a warm build then reads in one go.
// The file keeps the records the last build used; one that fails its
// checks is ignored (the results are made again).
class ResultIndex {
public:
  ResultIndex() = default;
  // Loads Dir/v1/results/<hash of Scope> (missing or damaged: empty).
  ResultIndex(llvm::StringRef CacheDir, llvm::StringRef Scope);

  // The record under Key; valid until this index is destroyed.
  std::optional<llvm::StringRef> find(const CacheKey &Key);
  void put(const CacheKey &Key, std::string Data);
  // Writes the records this build found or put (temporary file, rename),
  // if they are not those the file holds.
  llvm::Error save();

private:
  std::string Path; // empty: nothing to load or save
  std::map<CacheKey, std::string> Loaded, Used;
  bool Changed = false;
};

class CompileCache {
public:
  // Creates Dir's layout if needed. MaxSize bounds the total entry bytes.
  static llvm::Expected<CompileCache> open(llvm::StringRef Dir,
                                           uint64_t MaxSize);

  // The data stored under Key, if an intact entry is there.
  std::optional<std::string> lookup(const CacheKey &Key);
  // The same for each of Keys, the files read in parallel.
  std::vector<std::optional<std::string>> lookup(llvm::ArrayRef<CacheKey> Keys);

  // Stores Data under Key (temporary file, rename).
  llvm::Error store(const CacheKey &Key, llvm::StringRef Data);

  // Trims each shard store() wrote to since the last call to its share of
  // MaxSize, oldest entries first.
  void trimWrittenShards();

  // The source index of the search roots Scope names, loaded now; the
  // sources' states come through it (SourceIndex::state, read).
  void useSourceIndex(llvm::StringRef Scope);
  llvm::Expected<SourceState> source(const std::string &File);
  llvm::Expected<SourceState> readSource(const std::string &File);
  // Saves the source index; a failure is only a lost speed-up.
  llvm::Error saveSourceIndex() { return Sources.save(); }
  // The result index of Scope (as for the sources), loaded now.
  void useResultIndex(llvm::StringRef Scope);
  ResultIndex &results() { return Results; }

  const CacheCounters &counters() const { return Counters; }
  // Counts what a caller found through the cache without its own entry.
  void countKnownScan() { ++Counters.ScansKnown; }
  void countKnownObject() { ++Counters.ObjectsKnown; }
  const std::string &directory() const { return Dir; }

private:
  CompileCache(std::string Dir, uint64_t MaxSize)
      : Dir(std::move(Dir)), MaxSize(MaxSize) {}
  std::string entryPath(const CacheKey &Key) const;
  // What reading an entry found. readEntry is safe to call from several
  // threads; count tallies an outcome (true for a hit).
  enum class Entry { Hit, Missing, Damaged };
  static Entry readEntry(const std::string &Path, const CacheKey &Key,
                         std::string &Data);
  bool count(Entry Found);

  std::string Dir; // the root given to open()
  uint64_t MaxSize;
  CacheCounters Counters;
  std::set<std::string> WrittenShards;
  SourceIndex Sources;
  ResultIndex Results;
};

// PYOX_CACHE_DIR, else $XDG_CACHE_HOME/pyox, else $HOME/.cache/pyox; empty
// if none of those is set.
std::string defaultCacheDir();

// PYOX_CACHE_MAX_SIZE if set and valid, else 1 GiB.
uint64_t defaultCacheMaxSize();

// "1073741824", "500K", "200M", "1G" (powers of 1024), "0".
llvm::Expected<uint64_t> parseCacheSize(llvm::StringRef Text);

struct CacheUsage {
  uint64_t Entries = 0;
  uint64_t Bytes = 0;
  uint64_t TempFiles = 0; // unfinished writes (a build running or killed)
};

// What is in Dir's cache layout (nothing if Dir does not exist).
llvm::Expected<CacheUsage> cacheUsage(llvm::StringRef Dir);

// Removes the least recently used entries until at most MaxBytes remain,
// and temporary files older than an hour. Returns what was removed.
llvm::Expected<CacheUsage> trimCache(llvm::StringRef Dir, uint64_t MaxBytes);

// Removes every entry and temporary file; files that are not the cache's
// are left alone.
llvm::Expected<CacheUsage> clearCache(llvm::StringRef Dir);

} // namespace pyox

#endif
