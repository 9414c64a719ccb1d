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
#include <optional>
#include <set>
#include <string>

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

// BLAKE3 of Domain and Parts, each length-prefixed, so no two different
// lists hash the same stream.
CacheKey makeCacheKey(llvm::StringRef Domain,
                      llvm::ArrayRef<llvm::StringRef> Parts);

struct CacheCounters {
  unsigned Hits = 0;
  unsigned Misses = 0;  // including damaged entries
  unsigned Damaged = 0; // entries that failed their checks, removed
  unsigned Stored = 0;
};

class CompileCache {
public:
  // Creates Dir's layout if needed. MaxSize bounds the total entry bytes.
  static llvm::Expected<CompileCache> open(llvm::StringRef Dir,
                                           uint64_t MaxSize);

  // The data stored under Key, if an intact entry is there.
  std::optional<std::string> lookup(const CacheKey &Key);

  // Stores Data under Key (temporary file, rename).
  llvm::Error store(const CacheKey &Key, llvm::StringRef Data);

  // Trims each shard store() wrote to since the last call to its share of
  // MaxSize, oldest entries first.
  void trimWrittenShards();

  const CacheCounters &counters() const { return Counters; }
  const std::string &directory() const { return Dir; }

private:
  CompileCache(std::string Dir, uint64_t MaxSize)
      : Dir(std::move(Dir)), MaxSize(MaxSize) {}
  std::string entryPath(const CacheKey &Key) const;

  std::string Dir; // the root given to open()
  uint64_t MaxSize;
  CacheCounters Counters;
  std::set<std::string> WrittenShards;
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
