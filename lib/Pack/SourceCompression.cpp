//===- SourceCompression.cpp ----------------------------------------------===//

#include "Pack/SourceCompression.h"

#include "Pack/CompileCache.h"

#include "pyox/format.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Parallel.h"

// ZSTD_c_literalCompressionMode is in zstd's experimental API, which is
// stable for a given library: pack links the static archive (PyoxDependencies).
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include <algorithm>

using namespace llvm;

namespace pyox {

// The knee for the standard library (docs/performance.md): level 9 makes
// its sources 6% larger than level 19 does, in a fifth of the time. Each
// source is compressed once, then comes from the compile cache.
static constexpr int SourceLevel = 9;

// For files too (docs/performance.md, "Sizes"): level 19 makes the
// standard library's extension modules and carried libraries ~11% smaller
// than level 9 does, at ~15 times the time (1.5 s for OpenSSL alone), which
// a cold build could not afford, and decompresses more slowly.
static constexpr int FileLevel = 9;

static constexpr size_t MinFileSize = 4096;

// How frames of one kind of data are made: part of their cache key.
struct FrameSettings {
  int Level;
  // Native code (ELF objects: extension modules, the shared libraries
  // carried for them) is decompressed before it can be loaded, on the
  // import that needs it, so it is compressed for the decoder's speed
  // (docs/performance.md, "Carried libraries"): its literals (the bytes no
  // match covers) stored raw rather than Huffman-coded, which makes the 21
  // libraries of the standard library decompress ~1.4 times as fast for
  // ~6% more bytes (machine code is dense: Huffman saves little on it), and
  // a 1 MiB window instead of 4 MiB (level 9), which costs ~0.3% and bounds the
  // memory of the runtime's streamed decompression (pyox/payload.h,
  // pyox_entry_decompress_each).
  bool NativeCode;
  // Data files (resources, metadata) are compressed while pack holds a
  // batch of a large tree: their match-finder tables are kept to
  // 2^DataTableLog entries, where level 9 sizes them to the input (~13 MiB
  // of zstd state for a 1 MiB file, twice with two threads), for ~1.5% more
  // bytes on files over 256 KiB and nothing below.
  bool BoundTables = false;

  std::string key() const {
    return std::to_string(Level) + (NativeCode ? "/native" : "") +
           (BoundTables ? "/tables18" : "");
  }
};

static constexpr unsigned DataTableLog = 18;

static constexpr unsigned NativeCodeWindowLog = 20;

static bool isNativeCode(StringRef Data) {
  return Data.starts_with("\x7f"
                          "ELF");
}

// Data compressed as S says, with Prefix (may be empty) as a raw-content
// prefix the reader passes too.
static Expected<std::string> compressFrame(StringRef Data, StringRef Prefix,
                                           const FrameSettings &S) {
  ZSTD_CCtx *C = ZSTD_createCCtx();
  if (!C)
    return createStringError(std::errc::not_enough_memory,
                             "cannot allocate a zstd compressor");
  std::string Out(ZSTD_compressBound(Data.size()), '\0');
  size_t R = ZSTD_CCtx_setParameter(C, ZSTD_c_compressionLevel, S.Level);
  // No zstd checksum: the entry's CRC32C covers the frame, and the runtime
  // checks the decompressed size against the entry's raw_size.
  if (!ZSTD_isError(R))
    R = ZSTD_CCtx_setParameter(C, ZSTD_c_checksumFlag, 0);
  if (!ZSTD_isError(R) && S.NativeCode)
    R = ZSTD_CCtx_setParameter(C, ZSTD_c_literalCompressionMode,
                               ZSTD_ps_disable);
  if (!ZSTD_isError(R) && S.NativeCode)
    R = ZSTD_CCtx_setParameter(C, ZSTD_c_windowLog, NativeCodeWindowLog);
  if (S.BoundTables) {
    ZSTD_compressionParameters P = ZSTD_getCParams(S.Level, Data.size(), 0);
    if (!ZSTD_isError(R))
      R = ZSTD_CCtx_setParameter(C, ZSTD_c_hashLog,
                                 int(std::min(P.hashLog, DataTableLog)));
    if (!ZSTD_isError(R))
      R = ZSTD_CCtx_setParameter(C, ZSTD_c_chainLog,
                                 int(std::min(P.chainLog, DataTableLog)));
  }
  if (!ZSTD_isError(R) && !Prefix.empty())
    R = ZSTD_CCtx_refPrefix(C, Prefix.data(), Prefix.size());
  if (!ZSTD_isError(R))
    R = ZSTD_compress2(C, Out.data(), Out.size(), Data.data(), Data.size());
  ZSTD_freeCCtx(C);
  if (ZSTD_isError(R))
    return createStringError(std::errc::invalid_argument,
                             "zstd cannot compress: %s", ZSTD_getErrorName(R));
  Out.resize(R);
  return Out;
}

static constexpr FrameSettings SourceSettings = {SourceLevel, false};

static FrameSettings fileSettings(StringRef File) {
  const bool Native = isNativeCode(File);
  return {FileLevel, Native, /*BoundTables=*/!Native};
}

Expected<std::string> compressSource(StringRef Source, StringRef Code) {
  return compressFrame(Source, Code, SourceSettings);
}

Expected<std::string> compressFile(StringRef File) {
  return compressFrame(File, {}, fileSettings(File));
}

// The cache key of a frame: what it depends on, the data by its digest
// (contentDigest), so that a build that knows a source's digest from its
// stat (CompileCache.h, SourceIndex) finds the frame without reading it.
static CacheKey frameKey(StringRef Domain, const FrameSettings &S,
                         StringRef Prefix, const CacheKey &Data) {
  return makeCacheKey(Domain,
                      {S.key(), ZSTD_versionString(), Prefix, keyBytes(Data)});
}

static constexpr const char *SourceDomain = "zstd-source-of-digest";

CacheKey sourceFrameKey(StringRef Code, const CacheKey &Source) {
  return frameKey(SourceDomain, SourceSettings, Code, Source);
}

namespace {

// One item to compress: Items[Item] as Settings says, against
// Items[Prefix]'s data unless Prefix is SIZE_MAX.
struct Work {
  size_t Item, Prefix;
  FrameSettings Settings;
  CacheKey Key;
  std::string Frame;
  std::string Failure; // a message: Errors cannot cross threads unchecked
};

// Compresses each of Todo (in parallel; through Cache), and stores a frame
// in its item when Worth(raw size, frame size).
Error compressItems(std::vector<PayloadItem> &Items, std::vector<Work> &Todo,
                    StringRef Domain, CompileCache *Cache,
                    function_ref<bool(size_t, size_t)> Worth) {
  auto PrefixOf = [&](const Work &W) {
    return W.Prefix == SIZE_MAX ? StringRef() : StringRef(Items[W.Prefix].Data);
  };
  auto Store = [&](PayloadItem &It, std::string Frame) {
    if (!Worth(It.Data.size(), Frame.size()))
      return; // stored as it is, served without zstd
    It.RawSize = uint32_t(It.Data.size());
    It.Flags = PYOX_ENTRY_ZSTD;
    It.Data = std::move(Frame);
  };
  std::vector<Work> Misses;
  for (Work &W : Todo) {
    PayloadItem &It = Items[W.Item];
    if (Cache) {
      W.Key = frameKey(Domain, W.Settings, PrefixOf(W), contentDigest(It.Data));
      if (std::optional<std::string> Hit = Cache->lookup(W.Key)) {
        Store(It, std::move(*Hit));
        continue;
      }
    }
    Misses.push_back(std::move(W));
  }
  parallelFor(0, Misses.size(), [&](size_t K) {
    Work &W = Misses[K];
    Expected<std::string> Frame =
        compressFrame(Items[W.Item].Data, PrefixOf(W), W.Settings);
    if (Frame)
      W.Frame = std::move(*Frame);
    else
      W.Failure = toString(Frame.takeError());
  });
  bool Storing = Cache != nullptr;
  for (Work &W : Misses) {
    PayloadItem &It = Items[W.Item];
    if (!W.Failure.empty())
      return createStringError(std::errc::invalid_argument, "%s: %s",
                               It.Path.c_str(), W.Failure.c_str());
    if (Storing) // best effort: a cache that cannot be written costs speed
      if (Error E = Cache->store(W.Key, W.Frame)) {
        consumeError(std::move(E));
        Storing = false;
      }
    Store(It, std::move(W.Frame));
  }
  return Error::success();
}

} // namespace

static bool frameSmaller(size_t Raw, size_t Frame) { return Frame < Raw; }

Error compressSources(std::vector<PayloadItem> &Items, CompileCache *Cache) {
  StringMap<size_t> CodeOf;
  for (size_t I = 0; I < Items.size(); ++I)
    if (Items[I].Kind == PYOX_KIND_MODULE || Items[I].Kind == PYOX_KIND_PACKAGE)
      CodeOf[Items[I].Name] = I;
  std::vector<Work> Todo;
  for (size_t I = 0; I < Items.size(); ++I) {
    PayloadItem &It = Items[I];
    auto Code = CodeOf.find(It.Name);
    if (It.Kind != PYOX_KIND_SOURCE || It.Flags != 0 || Code == CodeOf.end() ||
        It.Data.size() > UINT32_MAX)
      continue;
    Todo.push_back({I, Code->second, SourceSettings, {}, {}, {}});
  }
  // A tiny file is stored as it is when its frame is no smaller.
  return compressItems(Items, Todo, SourceDomain, Cache, frameSmaller);
}

static constexpr const char *FileDomain = "zstd-file-of-digest";

CacheKey fileFrameKey(StringRef Data) {
  return frameKey(FileDomain, fileSettings(Data), {}, contentDigest(Data));
}

bool fileFrameWorth(size_t Raw, size_t Frame) { return Frame <= Raw - Raw / 8; }

Error compressFiles(std::vector<PayloadItem> &Items, CompileCache *Cache,
                    function_ref<bool(const PayloadItem &)> Only) {
  std::vector<Work> Todo;
  for (size_t I = 0; I < Items.size(); ++I) {
    const PayloadItem &It = Items[I];
    if ((It.Kind != PYOX_KIND_EXTENSION && It.Kind != PYOX_KIND_RESOURCE &&
         It.Kind != PYOX_KIND_METADATA) ||
        It.Flags != 0 || It.Data.size() < MinFileSize ||
        It.Data.size() > UINT32_MAX || It.Name == PYOX_HOST_DATA_ROOTS ||
        It.Name == PYOX_SYSTEM_COPIES || (Only && !Only(It)))
      continue;
    Todo.push_back({I, SIZE_MAX, fileSettings(It.Data), {}, {}, {}});
  }
  return compressItems(Items, Todo, FileDomain, Cache, fileFrameWorth);
}

static constexpr const char *CodeDomain = "zstd-code-of-digest";

static constexpr FrameSettings CodeSettings = {SourceLevel, false};

Error compressCode(std::vector<PayloadItem> &Items, CompileCache *Cache,
                   function_ref<bool(const PayloadItem &)> Only) {
  std::vector<Work> Todo;
  for (size_t I = 0; I < Items.size(); ++I) {
    const PayloadItem &It = Items[I];
    if ((It.Kind != PYOX_KIND_MODULE && It.Kind != PYOX_KIND_PACKAGE) ||
        It.Flags != 0 || It.Data.size() > UINT32_MAX || !Only(It))
      continue;
    Todo.push_back({I, SIZE_MAX, CodeSettings, {}, {}, {}});
  }
  if (Error E = compressItems(Items, Todo, CodeDomain, Cache, frameSmaller))
    return E;
  // A frame replaces code that was spooled (read back for the sources).
  for (const Work &W : Todo)
    if (Items[W.Item].Flags & PYOX_ENTRY_ZSTD)
      Items[W.Item].Spooled = std::nullopt;
  return Error::success();
}

Expected<std::string> decompressFrame(StringRef Frame, uint64_t RawSize,
                                      StringRef Prefix) {
  ZSTD_DCtx *D = ZSTD_createDCtx();
  if (!D)
    return createStringError(std::errc::not_enough_memory,
                             "cannot allocate a zstd decompressor");
  std::string Out(RawSize, '\0');
  size_t R =
      Prefix.empty() ? 0 : ZSTD_DCtx_refPrefix(D, Prefix.data(), Prefix.size());
  if (!ZSTD_isError(R))
    R = ZSTD_decompressDCtx(D, Out.data(), Out.size(), Frame.data(),
                            Frame.size());
  ZSTD_freeDCtx(D);
  if (ZSTD_isError(R) || R != RawSize)
    return createStringError(std::errc::illegal_byte_sequence,
                             "a zstd frame does not decompress to its size");
  return Out;
}

} // namespace pyox
