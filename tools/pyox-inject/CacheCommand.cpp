//===- CacheCommand.cpp - cache: look at, trim or empty the compile cache -===//
//
// `cache --stats|--trim SIZE|--clear [--cache-dir DIR]` works on the
// directory that pack and build use (lib/Pack/CompileCache.h): --cache-dir,
// else PYOX_CACHE_DIR, $XDG_CACHE_HOME/pyox, ~/.cache/pyox.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "Options.h"

#include "Pack/CompileCache.h"

#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

using namespace llvm;

namespace pyox {

static std::string mebibytes(uint64_t Bytes) {
  return fmt::format("{} bytes ({:.1f} MiB)", Bytes, double(Bytes) / (1 << 20));
}

int runCache(const CommandArgs &Args) {
  if (std::vector<std::string> P = positionals(Args); !P.empty())
    return reportError(createStringError(std::errc::invalid_argument,
                                         "cache: unexpected argument %s",
                                         P[0].c_str()));
  std::string Dir =
      Args.getLastArgValue(OPT_cache_dir, defaultCacheDir()).str();
  std::string TrimTo = Args.getLastArgValue(OPT_trim).str();
  bool Stats = Args.hasArg(OPT_stats), Clear = Args.hasArg(OPT_clear),
       Trim = Args.hasArg(OPT_trim);
  if (int(Stats) + int(Clear) + int(Trim) != 1)
    return reportError(createStringError(
        std::errc::invalid_argument,
        "cache: give one of --stats, --trim SIZE or --clear"));
  if (Dir.empty())
    return reportError(createStringError(
        std::errc::invalid_argument,
        "cache: no cache directory (set HOME or PYOX_CACHE_DIR, or give "
        "--cache-dir DIR)"));

  if (Stats) {
    auto U = cacheUsage(Dir);
    if (!U)
      return reportError(U.takeError());
    outs() << fmt::format("cache directory: {}\n", Dir)
           << fmt::format("entries: {}\n", U->Entries)
           << fmt::format("size: {}\n", mebibytes(U->Bytes))
           << fmt::format("size bound: {}\n", mebibytes(defaultCacheMaxSize()))
           << fmt::format("unfinished writes: {}\n", U->TempFiles);
    return 0;
  }
  uint64_t Bound = 0;
  if (Trim) {
    Expected<uint64_t> Size = parseCacheSize(TrimTo);
    if (!Size)
      return reportError(createStringError(std::errc::invalid_argument,
                                           "cache: --trim: %s",
                                           toString(Size.takeError()).c_str()));
    Bound = *Size;
  }
  Expected<CacheUsage> Removed = Trim ? trimCache(Dir, Bound) : clearCache(Dir);
  if (!Removed)
    return reportError(Removed.takeError());
  outs() << fmt::format("{}: removed {} entries, {}\n", Dir, Removed->Entries,
                        mebibytes(Removed->Bytes));
  return 0;
}

} // namespace pyox
