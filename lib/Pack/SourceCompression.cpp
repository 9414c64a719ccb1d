//===- SourceCompression.cpp ----------------------------------------------===//

#include "Pack/SourceCompression.h"

#include "Pack/CompileCache.h"

#include "pyox/format.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Parallel.h"

#include <zstd.h>

using namespace llvm;

namespace pyox {

// The knee for the standard library (docs/performance.md): level 9 makes
// its sources 6% larger than level 19 does, in a fifth of the time. Each
// source is compressed once, then comes from the compile cache.
static constexpr int Level = 9;

Expected<std::string> compressSource(StringRef Source, StringRef Code) {
  ZSTD_CCtx *C = ZSTD_createCCtx();
  if (!C)
    return createStringError(std::errc::not_enough_memory,
                             "cannot allocate a zstd compressor");
  std::string Out(ZSTD_compressBound(Source.size()), '\0');
  size_t R = ZSTD_CCtx_setParameter(C, ZSTD_c_compressionLevel, Level);
  // No zstd checksum: the entry's CRC32C covers the frame, and the runtime
  // checks the decompressed size against the entry's raw_size.
  if (!ZSTD_isError(R))
    R = ZSTD_CCtx_setParameter(C, ZSTD_c_checksumFlag, 0);
  if (!ZSTD_isError(R))
    R = ZSTD_CCtx_refPrefix(C, Code.data(), Code.size());
  if (!ZSTD_isError(R))
    R = ZSTD_compress2(C, Out.data(), Out.size(), Source.data(), Source.size());
  ZSTD_freeCCtx(C);
  if (ZSTD_isError(R))
    return createStringError(std::errc::invalid_argument,
                             "zstd cannot compress a source: %s",
                             ZSTD_getErrorName(R));
  Out.resize(R);
  return Out;
}

Error compressSources(std::vector<PayloadItem> &Items, CompileCache *Cache) {
  StringMap<size_t> CodeOf;
  for (size_t I = 0; I < Items.size(); ++I)
    if (Items[I].Kind == PYOX_KIND_MODULE || Items[I].Kind == PYOX_KIND_PACKAGE)
      CodeOf[Items[I].Name] = I;
  struct Work {
    size_t Item, Code;
    CacheKey Key;
    std::string Frame;
    std::string Failure; // a message: Errors cannot cross threads unchecked
  };
  std::vector<Work> Todo;
  for (size_t I = 0; I < Items.size(); ++I) {
    PayloadItem &It = Items[I];
    auto Code = CodeOf.find(It.Name);
    if (It.Kind != PYOX_KIND_SOURCE || It.Flags != 0 || Code == CodeOf.end() ||
        It.Data.size() > UINT32_MAX)
      continue;
    Work W{I, Code->second, {}, {}, {}};
    if (Cache) {
      W.Key = makeCacheKey("zstd-source",
                           {std::to_string(Level), ZSTD_versionString(),
                            Items[W.Code].Data, It.Data});
      if (std::optional<std::string> Hit = Cache->lookup(W.Key)) {
        if (Hit->size() >= It.Data.size())
          continue;
        It.RawSize = uint32_t(It.Data.size());
        It.Flags = PYOX_ENTRY_ZSTD;
        It.Data = std::move(*Hit);
        continue;
      }
    }
    Todo.push_back(std::move(W));
  }
  parallelFor(0, Todo.size(), [&](size_t K) {
    Work &W = Todo[K];
    Expected<std::string> Frame =
        compressSource(Items[W.Item].Data, Items[W.Code].Data);
    if (Frame)
      W.Frame = std::move(*Frame);
    else
      W.Failure = toString(Frame.takeError());
  });
  bool Storing = Cache != nullptr;
  for (Work &W : Todo) {
    PayloadItem &It = Items[W.Item];
    if (!W.Failure.empty())
      return createStringError(std::errc::invalid_argument, "%s: %s",
                               It.Path.c_str(), W.Failure.c_str());
    if (Storing) // best effort: a cache that cannot be written costs speed
      if (Error E = Cache->store(W.Key, W.Frame)) {
        consumeError(std::move(E));
        Storing = false;
      }
    if (W.Frame.size() >= It.Data.size())
      continue; // a tiny file: stored as it is, served without zstd
    It.RawSize = uint32_t(It.Data.size());
    It.Flags = PYOX_ENTRY_ZSTD;
    It.Data = std::move(W.Frame);
  }
  return Error::success();
}

} // namespace pyox
