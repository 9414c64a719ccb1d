//===- Pack.h - Collect, compile and pack modules into a payload ----------===//
//
// The pack pipeline, in three passes:
//   1. collect (Collector.h): walk the roots, decide what each file is;
//   2. compile (Compiler.h): .py to marshalled code objects, in parallel
//      worker processes, each with an embedded CPython 3.11;
//   3. write (PayloadWriter.h): lay the entries out in the format of
//      pyox/format.h, with the lookup table and checksums.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_PACK_PACK_H
#define PYOX_PACK_PACK_H

#include "Pack/PayloadWriter.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace pyox {

// Where the pipeline is, for a progress display (PackConfig::Progress).
struct PackProgress {
  const char *Phase = "";     // "collect", "analyse", "compile", "layout"...
  size_t Done = 0, Total = 0; // files compiled, of Total (0: not yet known)
  uint64_t Bytes = 0;         // bytes produced so far
};

struct PackConfig {
  // --stdlib: the host's Python 3.11 standard library (StdlibDir) and its
  // lib-dynload extension modules (DynloadDir), without tests and the
  // modules listed in Collector.h.
  bool Stdlib = false;
  std::string StdlibDir;          // default: the stdlib pyox was built against
  std::string DynloadDir;         // default: its lib-dynload
  std::vector<std::string> Paths; // --path, in sys.path order
  std::vector<std::string> Packages; // --package: top-level names to take
  std::vector<std::string> Modules;  // --module: more analysis roots
  std::vector<std::string> Excludes; // --exclude: globs over relative paths
  std::string EntryPoint;            // --entry MODULE[:FUNCTION]|SCRIPT
  // With an entry point, only what the import analysis (ImportGraph.h)
  // reaches is packed; --stdlib=all keeps the whole standard library.
  bool StdlibAll = false;
  std::vector<std::string> Dists; // --dist NAME[extra,...]
  std::string ReportFile;         // --report FILE: JSON, what and why
  bool Sources = true;            // false: --no-sources
  bool Compress = true;           // false: --no-compress (compressFiles)
  // --compress-bytecode: which modules' code is stored compressed
  // (compressCode). Later: those the program imports only later, if at
  // all (ImportGraph.h, Eager; nothing without an entry point).
  enum class CodeCompression { Later, All, None };
  CodeCompression CompressCode = CodeCompression::Later;
  bool Isolated = false;   // --isolated: no PYTHON* variables
  int Optimize = 0;        // --optimize 0|1|2
  unsigned Jobs = 0;       // -j: worker processes, 0 = one per core
  bool TimePasses = false; // --time-passes: report each pass's time
  // The compile cache (CompileCache.h): its directory, empty for none
  // (--no-cache), and its size bound (0: defaultCacheMaxSize()).
  std::string CacheDir;
  uint64_t CacheMaxSize = 0;
  // Receives warnings (e.g. a module shadowed by an earlier root).
  std::function<void(const llvm::Twine &)> Warn;
  // Receives the imports the analysis could not resolve, one per call.
  std::function<void(const llvm::Twine &)> Note;
  // Receives notes for --verbose (the cache's hits and misses), if set.
  std::function<void(const llvm::Twine &)> Remark;
  // Receives progress, often (every compiled file), if set.
  std::function<void(const PackProgress &)> Progress;

  // Shared libraries and the glibc floor (SharedLibraries.h).
  std::vector<std::string> ExcludeLibs; // --exclude-lib: sonames' globs
  std::vector<std::string> HostData;    // --host-data: absolute paths
  std::string MaxGlibc;                 // --max-glibc X.Y, empty for none
  // false: --no-system-copies, no PYOX_SYSTEM_COPIES table (every ELF
  // object loads from memory, even where the system has it unchanged).
  bool SystemCopies = true;
  std::string TemplateFile; // build: the template, part of the floor
  // build: the template that lays the modules out as mapped code
  // (MappedCode.h); empty for none (pack, no --mapped-code, a template
  // that cannot).
  std::string MappedCodeTemplate;
  // Receives the one-line summary of carried libraries and the floor.
  std::function<void(const llvm::Twine &)> Summary;
};

// Runs the whole pipeline, then calls Then with the payload's size and its
// writer (PayloadWriter.h, layOutPayload): the payload is written where
// Then puts it, from where its parts are, never held whole.
llvm::Error buildPayload(
    const PackConfig &Config,
    llvm::function_ref<llvm::Error(uint64_t Size, PayloadBody Write)> Then);

// Runs the whole pipeline and writes the payload to Path (atomically, left
// alone if unchanged), streaming its data: no copy of the whole payload is
// held in memory.
llvm::Error writePayloadFile(const PackConfig &Config, llvm::StringRef Path);

// Default locations of the host standard library, fixed at configure time.
std::string defaultStdlibDir();
std::string defaultDynloadDir();

// The scope of the compile cache's source and result indexes for a build
// of Config (this machine and its roots: CompileCache.h).
std::string sourceIndexScope(const PackConfig &Config);

class CompileCache;

// Config's compile cache (Config.CacheDir, which must be set), bounded by
// Config.CacheMaxSize, its source index of sourceIndexScope(Config) in use,
// and with RESULTS its result index too.
llvm::Expected<CompileCache> openCompileCache(const PackConfig &Config,
                                              bool Results);

// File's contents; the error names the file.
llvm::Expected<std::string> readFile(const std::string &File);

} // namespace pyox

#endif
