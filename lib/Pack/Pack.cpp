//===- Pack.cpp - The pack pipeline ---------------------------------------===//

#include "Pack/Pack.h"

#include "Pack/Collector.h"
#include "Pack/CompileCache.h"
#include "Pack/Compiler.h"
#include "Pack/ImportGraph.h"
#include "Pack/MappedCode.h"
#include "Pack/PayloadWriter.h"
#include "Pack/Selection.h"
#include "Pack/SharedLibraries.h"
#include "Pack/SourceCompression.h"
#include "Support/AtomicFile.h"

#include "pyox/format.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Timer.h"

#include <optional>
#include <sys/stat.h>
#include <unistd.h>

using namespace llvm;

namespace pyox {

std::string defaultStdlibDir() { return PYOX_PYTHON_STDLIB; }
std::string defaultDynloadDir() { return PYOX_PYTHON_DYNLOAD; }

Expected<std::string> readFile(const std::string &File) {
  auto Buf = MemoryBuffer::getFile(File, /*IsText=*/false,
                                   /*RequiresNullTerminator=*/false);
  if (!Buf)
    return createStringError(Buf.getError(), "%s: cannot read: %s",
                             File.c_str(), Buf.getError().message().c_str());
  return (*Buf)->getBuffer().str();
}

// "module" or "module:function", each part a dotted name.
static Error checkEntryPoint(StringRef Entry, ArrayRef<CollectedFile> Files) {
  StringRef Module = Entry.split(':').first;
  StringRef Function = Entry.split(':').second;
  if (!isDottedName(Module) || (Entry.contains(':') && !isDottedName(Function)))
    return createStringError(std::errc::invalid_argument,
                             "--entry %s: expected MODULE or MODULE:FUNCTION",
                             Entry.str().c_str());
  bool Found = any_of(Files, [&](const CollectedFile &F) {
    return pyox_kind_group(F.Kind) == PYOX_GROUP_MODULE && F.Name == Module;
  });
  if (!Found)
    return createStringError(std::errc::no_such_file_or_directory,
                             "--entry %s: module '%s' is not in the payload",
                             Entry.str().c_str(), Module.str().c_str());
  return Error::success();
}

// The payload is one flat namespace in which the standard library's roots
// come first: an application module named like a stdlib module (tty,
// code, secrets...) is skipped with a warning, and an entry point naming
// it would run the standard library's. Refuse that entry point.
static Error checkEntryShadowing(const PackConfig &Config, StringRef Entry,
                                 ArrayRef<CollectedFile> Files) {
  StringRef Top = Entry.split(':').first.split('.').first;
  auto Taken = find_if(Files, [&](const CollectedFile &F) {
    return pyox_kind_group(F.Kind) == PYOX_GROUP_MODULE && F.Name == Top;
  });
  if (!Config.Stdlib || Taken == Files.end() || Taken->File.empty())
    return Error::success();
  std::string Stdlib =
      Config.StdlibDir.empty() ? defaultStdlibDir() : Config.StdlibDir;
  std::string Dynload =
      Config.DynloadDir.empty() ? defaultDynloadDir() : Config.DynloadDir;
  StringRef Winner = Taken->File;
  if (!Winner.starts_with(Stdlib + "/") && !Winner.starts_with(Dynload + "/"))
    return Error::success();
  for (const std::string &Root : Config.Paths) {
    std::string Own = Root + "/" + Top.str();
    if (sys::fs::exists(Own + ".py") || sys::fs::is_directory(Own))
      return createStringError(
          std::errc::invalid_argument,
          "--entry %s: the standard library's module '%s' (%s) hides the "
          "application's (%s); rename the application's module",
          Entry.str().c_str(), Top.str().c_str(), Winner.str().c_str(),
          (sys::fs::is_directory(Own) ? Own : Own + ".py").c_str());
  }
  return Error::success();
}

// lib2to3 loads its grammars through pkgutil.get_data() as pickles named for
// the exact interpreter version ("Grammar3.11.2.final.0.pickle") whenever
// Grammar.txt is not a file on disk, which in a payload it never is.
// CPython's `make install` generates those pickles; Debian does not ship
// them. So a stdlib pack generates them the same way, with the host
// python3.11 (the interpreter pyox embeds, same 3.11.x), as resources of
// lib2to3. It runs while the compiler works.
static const char *const HostPython = PYOX_PYTHON;

class GrammarPickles {
public:
  // Starts the generator if Files hold lib2to3's grammar sources and Cache
  // (if any) does not hold its output for them.
  Error start(const std::vector<CollectedFile> &Files, CompileCache *Cache) {
    auto Has = [&](StringRef Name) {
      return any_of(Files, [&](const CollectedFile &F) {
        return F.Kind == PYOX_KIND_RESOURCE && F.Name == Name;
      });
    };
    if (!Has("lib2to3/Grammar.txt") || !Has("lib2to3/PatternGrammar.txt"))
      return Error::success();
    for (const CollectedFile &F : Files)
      if (F.Name == "lib2to3/Grammar.txt")
        GrammarDir = sys::path::parent_path(F.File).str();
    if (Cache) {
      // The pickles depend on the two grammars and on the host python3.11
      // (its exact version is in their names), identified by its file.
      auto Grammar = readFile(GrammarDir + "/Grammar.txt");
      auto Pattern = readFile(GrammarDir + "/PatternGrammar.txt");
      if (!Grammar || !Pattern)
        return joinErrors(Grammar.takeError(), Pattern.takeError());
      struct stat St = {};
      ::stat(HostPython, &St);
      std::string Host =
          std::string(HostPython) + " " + std::to_string(St.st_size) + " " +
          std::to_string(St.st_ino) + " " + std::to_string(St.st_mtim.tv_sec) +
          "." + std::to_string(St.st_mtim.tv_nsec);
      Key = makeCacheKey("lib2to3-grammar-pickles",
                         {Host, compilerIdentity(), *Grammar, *Pattern});
      this->Cache = Cache;
      if (std::optional<std::string> Hit = Cache->lookup(*Key))
        if (decode(*Hit))
          return Error::success();
    }
    if (std::error_code EC =
            sys::fs::createUniqueDirectory("pyox-lib2to3", OutDir))
      return createStringError(EC, "cannot create a temporary directory: %s",
                               EC.message().c_str());
    static const char Script[] =
        "import sys, warnings\n"
        "warnings.simplefilter('ignore')\n"
        "from lib2to3.pgen2 import driver, pgen\n"
        "src, out = sys.argv[1:3]\n"
        "for name in ('Grammar.txt', 'PatternGrammar.txt'):\n"
        "    pgen.generate_grammar(src + '/' + name).dump(\n"
        "        out + '/' + driver._generate_pickle_name(name))\n";
    std::vector<StringRef> Argv = {HostPython, "-I",       "-S",  "-c",
                                   Script,     GrammarDir, OutDir};
    std::string Message;
    bool Failed = false;
    Process = sys::ExecuteNoWait(HostPython, Argv, std::nullopt, {}, 0,
                                 &Message, &Failed);
    if (Failed)
      return createStringError(std::errc::io_error,
                               "%s: cannot run it to generate lib2to3's "
                               "grammar pickles: %s",
                               HostPython, Message.c_str());
    Started = true;
    return Error::success();
  }

  // Waits for the generator and appends its pickles to Items.
  Error finish(std::vector<PayloadItem> &Items) {
    if (FromCache) {
      for (auto &[Name, Bytes] : Cached) {
        std::string Rel = "lib2to3/" + Name;
        Items.push_back({PYOX_KIND_RESOURCE, Rel, Rel, std::move(Bytes)});
      }
      return Error::success();
    }
    if (!Started)
      return Error::success();
    Started = false;
    std::string Message;
    sys::ProcessInfo Done = sys::Wait(Process, std::nullopt, &Message);
    auto Cleanup =
        make_scope_exit([&] { sys::fs::remove_directories(OutDir); });
    if (Done.ReturnCode != 0)
      return createStringError(std::errc::io_error,
                               "%s failed to generate lib2to3's grammar "
                               "pickles from %s (exit %d)",
                               HostPython, GrammarDir.c_str(), Done.ReturnCode);
    std::error_code EC;
    std::vector<std::string> Names;
    for (sys::fs::directory_iterator It(OutDir, EC), End; It != End && !EC;
         It.increment(EC))
      Names.push_back(sys::path::filename(It->path()).str());
    llvm::sort(Names);
    std::string Entry; // for the cache: (u32 size, name, u32 size, data)...
    for (const std::string &N : Names) {
      auto Bytes = readFile((OutDir + "/" + N).str());
      if (!Bytes)
        return Bytes.takeError();
      appendField(Entry, N);
      appendField(Entry, *Bytes);
      std::string Rel = "lib2to3/" + N;
      Items.push_back({PYOX_KIND_RESOURCE, Rel, Rel, std::move(*Bytes)});
    }
    if (Cache)
      consumeError(Cache->store(*Key, Entry)); // only a lost speed-up
    return Error::success();
  }

  ~GrammarPickles() {
    if (Started) { // an earlier pass failed: do not leave the child behind
      sys::Wait(Process, std::nullopt);
      sys::fs::remove_directories(OutDir);
    }
  }

private:
  static void appendField(std::string &Out, StringRef Field) {
    char Size[4];
    support::endian::write32le(Size, uint32_t(Field.size()));
    Out.append(Size, 4);
    Out += Field;
  }
  // Splits a cache entry back into (name, bytes) pairs.
  bool decode(StringRef Entry) {
    std::vector<std::pair<std::string, std::string>> Files;
    auto Field = [&](std::string &Out) {
      if (Entry.size() < 4)
        return false;
      uint32_t Size = support::endian::read32le(Entry.data());
      if (Entry.size() - 4 < Size)
        return false;
      Out = Entry.substr(4, Size).str();
      Entry = Entry.drop_front(4 + size_t(Size));
      return true;
    };
    while (!Entry.empty()) {
      std::string Name, Bytes;
      if (!Field(Name) || !Field(Bytes) || Name.empty() ||
          Name.find('/') != std::string::npos)
        return false;
      Files.emplace_back(std::move(Name), std::move(Bytes));
    }
    if (Files.empty())
      return false;
    Cached = std::move(Files);
    FromCache = true;
    return true;
  }

  CompileCache *Cache = nullptr;
  std::optional<CacheKey> Key;
  bool FromCache = false;
  std::vector<std::pair<std::string, std::string>> Cached;
  std::string GrammarDir;
  SmallString<128> OutDir;
  sys::ProcessInfo Process;
  bool Started = false;
};

// A cache the user may not write to is a setting (a build farm's shared
// directory, read-only for developers): a remark. Anything else (a full
// disk, a file where the directory should be) is worth a warning. Either
// way the build goes on, only slower.
static void reportCacheProblem(const PackConfig &Config, Error E,
                               StringRef Consequence) {
  std::error_code EC;
  std::string Message;
  handleAllErrors(std::move(E), [&](const ErrorInfoBase &EI) {
    EC = EI.convertToErrorCode();
    Message = EI.message();
  });
  bool NotAllowed = EC == std::errc::permission_denied ||
                    EC == std::errc::operation_not_permitted ||
                    EC == std::errc::read_only_file_system;
  const auto &Report = NotAllowed ? Config.Remark : Config.Warn;
  if (Report)
    Report(Message + Consequence);
}

// The source index (CompileCache.h) is one file per machine and set of
// search roots: builds of different applications sharing a cache keep
// their own, and so do machines sharing it (inodes and devices are
// per-machine: one machine's records would never match another's stat).
std::string sourceIndexScope(const PackConfig &Config) {
  char Host[256] = {};
  ::gethostname(Host, sizeof Host - 1);
  std::string Scope = std::string(Host) + '\0';
  if (Config.Stdlib)
    Scope +=
        (Config.StdlibDir.empty() ? defaultStdlibDir() : Config.StdlibDir) +
        '\0' +
        (Config.DynloadDir.empty() ? defaultDynloadDir() : Config.DynloadDir) +
        '\0';
  for (const std::string &P : Config.Paths) {
    SmallString<256> Abs(P);
    sys::fs::make_absolute(Abs);
    Scope += Abs.str().str() + '\0';
  }
  return Scope;
}

Expected<CompileCache> openCompileCache(const PackConfig &Config,
                                        bool Results) {
  Expected<CompileCache> Cache = CompileCache::open(
      Config.CacheDir,
      Config.CacheMaxSize ? Config.CacheMaxSize : defaultCacheMaxSize());
  if (Cache) {
    const std::string Scope = sourceIndexScope(Config);
    Cache->useSourceIndex(Scope);
    if (Results)
      Cache->useResultIndex(Scope);
  }
  return Cache;
}

// A module's SOURCE item, read from its file.
static Expected<PayloadItem> readSourceItem(const CollectedFile &F) {
  Expected<std::string> Text = readFile(F.File);
  if (!Text)
    return Text.takeError();
  return PayloadItem{PYOX_KIND_SOURCE, F.Name, F.Path, std::move(*Text)};
}

// Frame decompressed against Code (the prefix it was compressed with):
// exactly Size bytes whose digest is Digest, or nothing.
static std::optional<std::string> decompressSource(StringRef Frame,
                                                   StringRef Code,
                                                   uint64_t Size,
                                                   const CacheKey &Digest) {
  Expected<std::string> Text = decompressFrame(Frame, Size, Code);
  if (!Text) {
    consumeError(Text.takeError());
    return std::nullopt;
  }
  if (contentDigest(*Text) != Digest)
    return std::nullopt;
  return std::move(*Text);
}

// A module's SOURCE item with the compile cache. A source known by its
// stat (not read) comes as its compressed frame from the cache, found by
// its digest; a tiny one that is stored as it is, its frame being no
// smaller, is that frame decompressed. Only a source without a frame there
// (a trimmed entry) is read. compressSources() does the rest.
static Expected<PayloadItem> sourceItem(CompileCache &Cache,
                                        const CollectedFile &F,
                                        SourceState &Source, StringRef Code) {
  if (!Source.Text) {
    std::optional<std::string> Frame =
        Cache.lookup(sourceFrameKey(Code, Source.Digest));
    if (Frame && Frame->size() < Source.Size && Source.Size <= UINT32_MAX) {
      PayloadItem It{PYOX_KIND_SOURCE, F.Name, F.Path, std::move(*Frame)};
      It.Flags = PYOX_ENTRY_ZSTD;
      It.RawSize = uint32_t(Source.Size);
      return It;
    }
    if (Frame)
      Source.Text = decompressSource(*Frame, Code, Source.Size, Source.Digest);
    if (!Source.Text) {
      auto Read = Cache.readSource(F.File);
      if (!Read)
        return Read.takeError();
      Source = std::move(*Read);
    }
  }
  return PayloadItem{PYOX_KIND_SOURCE, F.Name, F.Path, std::move(*Source.Text)};
}

// The whole pipeline; Write lays the items out (into memory, or straight
// into a file).
using PayloadSink = function_ref<Error(std::vector<PayloadItem>,
                                       const PayloadInfo &, const DataSpool *)>;

// Item data kept in memory before the rest goes to a DataSpool: a payload
// of a few thousand modules (the standard library's is 15 MB) is laid out
// from memory; beyond, memory holds the index and one batch of files.
static constexpr uint64_t InMemoryData = 32 << 20;
// A batch ends at this many files or once it holds this many bytes (code
// and source), whichever comes first: large modules must not make a batch
// hold hundreds of megabytes.
static constexpr size_t SpoolBatch = 2048;
static constexpr uint64_t SpoolBatchBytes = 16 << 20;
// From this many modules on, compiled code goes to the spool as soon as it
// is compiled or found in the cache.
static constexpr size_t SpoolModules = 4096;
static Error runPipeline(const PackConfig &Config, PayloadSink Write) {
  TimerGroup Timers("pack", "pyox-inject pack passes");
  Timer CollectTimer("collect", "collect the files", Timers);
  Timer CompileTimer("compile", "compile to bytecode", Timers);
  Timer ReadTimer("read", "read resources and extensions", Timers);
  Timer WriteTimer("layout", "lay the payload out", Timers);
  auto Time = [&](Timer &T) {
    return std::make_unique<TimeRegion>(Config.TimePasses ? &T : nullptr);
  };
  auto Region = Time(CollectTimer);
  auto Progress = [&](const char *Phase, size_t Done = 0, size_t Total = 0,
                      uint64_t Bytes = 0) {
    if (Config.Progress)
      Config.Progress({Phase, Done, Total, Bytes});
  };
  Progress("collect");
  // 1. Collect: the standard library first, as on sys.path, then the roots
  //    in the order given.
  CollectConfig CC;
  if (Config.Stdlib) {
    CC.Roots.push_back(
        {Config.StdlibDir.empty() ? defaultStdlibDir() : Config.StdlibDir,
         /*IsStdlib=*/true, /*ExtensionsOnly=*/false});
    CC.Roots.push_back(
        {Config.DynloadDir.empty() ? defaultDynloadDir() : Config.DynloadDir,
         /*IsStdlib=*/true, /*ExtensionsOnly=*/true});
  }
  for (const std::string &P : Config.Paths)
    CC.Roots.push_back({P, false, false});
  // --dist names whole packages. With an entry point the import analysis
  // selects after collecting (Selection.h); without one, --package and
  // --dist filter the --path roots as the collector walks them.
  const bool Analyse = !Config.EntryPoint.empty();
  auto Whole = distributionPackages(Config);
  if (!Whole)
    return Whole.takeError();
  if (!Analyse) {
    CC.Packages = Config.Packages;
    for (auto &W : *Whole)
      CC.Packages.push_back(W.first);
  }
  CC.Excludes = Config.Excludes;
  CC.Warn = Config.Warn;
  if ((!Config.Packages.empty() || !Config.Dists.empty()) &&
      Config.Paths.empty())
    return createStringError(std::errc::invalid_argument,
                             "--package and --dist select from the --path "
                             "roots; give "
                             "at least one --path");
  if (!Config.Modules.empty() && !Analyse)
    return createStringError(std::errc::invalid_argument,
                             "--module roots the import analysis, which "
                             "starts from an entry point: give --entry");
  auto Files = collect(CC);
  if (!Files)
    return Files.takeError();
  // A console-script name resolves to its MODULE:FUNCTION (Distributions.h).
  const bool HasEntry = !Config.EntryPoint.empty();
  const std::string Entry =
      HasEntry ? resolveEntryPoint(Config, Config.EntryPoint, *Files) : "";
  if (HasEntry)
    if (Error E = checkEntryPoint(Entry, *Files))
      return E;
  if (HasEntry)
    if (Error E = checkEntryShadowing(Config, Entry, *Files))
      return E;
  std::optional<CompileCache> Cache;
  if (!Config.CacheDir.empty()) {
    Expected<CompileCache> Opened = openCompileCache(Config, /*Results=*/true);
    if (Opened)
      Cache.emplace(std::move(*Opened));
    else
      reportCacheProblem(Config, Opened.takeError(),
                         "; packing without the compile cache");
  }
  // With an entry point, keep what it imports (ImportGraph.h).
  Selection Selected;
  if (Analyse) {
    for (const std::string &P : Config.Packages)
      if (none_of(*Files, [&](const CollectedFile &F) {
            return pyox_kind_group(F.Kind) == PYOX_GROUP_MODULE && F.Name == P;
          }))
        return createStringError(std::errc::no_such_file_or_directory,
                                 "--package %s: no module or package of that "
                                 "name in the search roots",
                                 P.c_str());
    auto Sel = selectByImports(Config, Entry, *Files, *Whole,
                               Cache ? &*Cache : nullptr);
    if (!Sel)
      return Sel.takeError();
    Selected = std::move(*Sel);
  }
  // Code the program imports only later, if at all, is stored compressed;
  // so is that of the modules the interpreter has frozen (FrozenImporter
  // serves them).
  StringSet<> LaterCode;
  if (Analyse)
    for (size_t I = 0; I < Files->size() && I < Selected.Eager.size(); ++I) {
      const CollectedFile &F = (*Files)[I];
      if ((F.Kind == PYOX_KIND_MODULE || F.Kind == PYOX_KIND_PACKAGE) &&
          (!Selected.Eager[I] || isFrozenModule(F.Name)))
        LaterCode.insert(F.Name);
    }
  auto CompressCodeOf = [&](const PayloadItem &It) {
    return Config.CompressCode == PackConfig::CodeCompression::All ||
           (Config.CompressCode == PackConfig::CodeCompression::Later &&
            LaterCode.contains(It.Name));
  };

  // 2. Compile every module and package the compile cache does not hold
  //    (and the analysis has not compiled).
  Region = Time(CompileTimer);
  Progress("compile");
  std::vector<CompileJob> Jobs;
  std::vector<size_t> JobOf(Files->size(), SIZE_MAX);
  for (size_t I = 0; I < Files->size(); ++I) {
    const CollectedFile &F = (*Files)[I];
    if (F.Kind == PYOX_KIND_MODULE || F.Kind == PYOX_KIND_PACKAGE) {
      JobOf[I] = Jobs.size();
      Jobs.push_back({F.File, F.Path});
    }
  }
  std::vector<std::string> Bytecode(Jobs.size());
  // A large tree's code is spooled as it comes (CodeAt[J]: where; a size of
  // zero, which marshal data never has: held in Bytecode[J]), not held
  // until the payload is written; the spool takes the sources later too.
  // Large means many modules, or code past InMemoryData: then what was
  // held goes to the spool too.
  std::optional<DataSpool> Spool;
  std::vector<PayloadItem::SpoolExtent> CodeAt(Jobs.size());
  uint64_t HeldCode = 0;
  auto StartSpool = [&]() -> Error {
    auto Created = DataSpool::create();
    if (!Created)
      return Created.takeError();
    Spool.emplace(std::move(*Created));
    for (size_t J = 0; J < Bytecode.size(); ++J) {
      if (Bytecode[J].empty())
        continue;
      auto At = Spool->append(Bytecode[J]);
      if (!At)
        return At.takeError();
      CodeAt[J] = *At;
      std::string().swap(Bytecode[J]);
    }
    return Error::success();
  };
  if (Jobs.size() >= SpoolModules)
    if (Error E = StartSpool())
      return E;
  auto KeepCode = [&](size_t J, std::string Code) -> Error {
    if (!Spool && (HeldCode += Code.size()) < InMemoryData) {
      Bytecode[J] = std::move(Code);
      return Error::success();
    }
    if (!Spool)
      if (Error E = StartSpool())
        return E;
    auto At = Spool->append(Code);
    if (!At)
      return At.takeError();
    CodeAt[J] = *At;
    return Error::success();
  };
  // With the cache: each source's digest (its stat first, SourceIndex),
  // and its text when it had to be read.
  std::vector<SourceState> Sources;
  std::vector<CacheKey> Keys;
  std::vector<size_t> Misses;
  const std::string Identity = compilerIdentity();
  if (Cache) {
    Sources.resize(Jobs.size());
    Keys.resize(Jobs.size());
    for (size_t J = 0; J < Jobs.size(); ++J) {
      auto State = Cache->source(Jobs[J].File);
      if (!State)
        return State.takeError();
      Sources[J] = std::move(*State);
      Keys[J] = bytecodeKey(Identity, Config.Optimize, Jobs[J].CodeFilename,
                            Sources[J].Digest);
    }
    // The code the analysis did not already give, looked up in batches:
    // their files read in parallel, a batch's code held at a time.
    constexpr size_t LookupBatch = 256;
    for (size_t Begin = 0; Begin < Jobs.size(); Begin += LookupBatch) {
      const size_t End = std::min(Jobs.size(), Begin + LookupBatch);
      std::vector<CacheKey> Wanted;
      for (size_t J = Begin; J < End; ++J)
        if (!Selected.Code.count(Jobs[J].File))
          Wanted.push_back(Keys[J]);
      std::vector<std::optional<std::string>> Hits = Cache->lookup(Wanted);
      for (size_t J = Begin, W = 0; J < End; ++J) {
        std::optional<std::string> Code;
        if (auto Known = Selected.Code.find(Jobs[J].File);
            Known != Selected.Code.end())
          Code = std::move(Known->second);
        else
          Code = std::move(Hits[W++]);
        if (Code) {
          if (Error E = KeepCode(J, std::move(*Code)))
            return E;
          continue;
        }
        // Compiled from the very text its key was made of.
        if (!Sources[J].Text) {
          auto Read = Cache->readSource(Jobs[J].File);
          if (!Read)
            return Read.takeError();
          Sources[J] = std::move(*Read);
        }
        Jobs[J].Source = &*Sources[J].Text;
        Misses.push_back(J);
      }
    }
  } else {
    for (size_t J = 0; J < Jobs.size(); ++J) {
      if (auto Known = Selected.Code.find(Jobs[J].File);
          Known != Selected.Code.end()) {
        if (Error E = KeepCode(J, std::move(Known->second)))
          return E;
      } else {
        Misses.push_back(J);
      }
    }
  }
  GrammarPickles Grammars;
  if (Config.Stdlib)
    if (Error E = Grammars.start(*Files, Cache ? &*Cache : nullptr))
      return E;

  // The payload header needs the bytecode magic, which only the running
  // interpreter knows; a warm build finds it in the cache instead of
  // starting one.
  const CacheKey MagicKey = makeCacheKey("bytecode-magic", {Identity});
  uint32_t Magic = 0;
  if (Cache && Misses.empty())
    if (std::optional<std::string> Hit = Cache->lookup(MagicKey))
      if (Hit->size() == 4)
        Magic = support::endian::read32le(Hit->data());
  const bool MagicCached = Magic != 0;
  if (!Magic)
    Magic = Selected.BytecodeMagic; // the analysis started the interpreter
  // Storing is best effort: a cache that cannot be written costs speed,
  // not the build. One warning, then no more attempts.
  bool Storing = Cache.has_value();
  auto Store = [&](const CacheKey &K, StringRef Data) {
    if (!Storing)
      return;
    if (Error E = Cache->store(K, Data)) {
      Storing = false;
      reportCacheProblem(Config, std::move(E),
                         "; not writing to the compile cache");
    }
  };
  if (!Misses.empty()) {
    std::vector<CompileJob> ToCompile;
    ToCompile.reserve(Misses.size());
    for (size_t J : Misses)
      ToCompile.push_back(std::move(Jobs[J]));
    std::vector<CompileJob>().swap(Jobs);
    // Results are stored (and spooled) as they arrive, while the workers
    // compile on.
    size_t Done = 0;
    uint64_t Bytes = 0;
    Error SpoolFailure = Error::success();
    auto OnCompiled = [&](size_t K, StringRef Code) {
      if (Cache)
        Store(Keys[Misses[K]], Code);
      if (Error E = KeepCode(Misses[K], Code.str())) {
        if (!SpoolFailure)
          SpoolFailure = std::move(E);
        else
          consumeError(std::move(E));
      }
      Bytes += Code.size();
      Progress("compile", ++Done, Misses.size(), Bytes);
    };
    Expected<CompileOutput> Compiled =
        compileSources(ToCompile, Config.Optimize, Config.Jobs, OnCompiled,
                       /*KeepBytecode=*/false);
    if (!Compiled)
      return joinErrors(Compiled.takeError(), std::move(SpoolFailure));
    if (SpoolFailure)
      return SpoolFailure;
    Magic = Compiled->BytecodeMagic;
  } else if (Magic == 0) {
    Expected<uint32_t> Started = bytecodeMagic();
    if (!Started)
      return Started.takeError();
    Magic = *Started;
  }
  if (!MagicCached) {
    char Raw[4];
    support::endian::write32le(Raw, Magic);
    Store(MagicKey, StringRef(Raw, 4));
  }

  // 3. Read everything else and lay the payload out.
  Region = Time(ReadTimer);
  Progress("read");
  std::vector<PayloadItem> Items;
  Items.reserve(Files->size() * (Config.Sources ? 2 : 1));
  // In batches: each batch's sources and data files compressed, then, past
  // InMemoryData (or from the start for a large tree), its modules, sources
  // and data files spooled. Native objects stay (packSharedLibraries reads
  // them, compressFiles compresses them after).
  auto IsData = [](const PayloadItem &It) {
    return (It.Kind == PYOX_KIND_RESOURCE || It.Kind == PYOX_KIND_METADATA) &&
           !mayBeSharedObject(It.Kind, It.Path);
  };
  uint64_t HeldBytes = 0;
  size_t BatchBegin = 0, BatchFiles = 0;
  uint64_t BatchBytes = 0;
  auto EndBatch = [&]() -> Error {
    BatchFiles = 0;
    BatchBytes = 0;
    std::vector<PayloadItem> Batch(
        std::make_move_iterator(Items.begin() + BatchBegin),
        std::make_move_iterator(Items.end()));
    Items.erase(Items.begin() + BatchBegin, Items.end());
    if (Error E = compressSources(Batch, Cache ? &*Cache : nullptr))
      return E;
    if (Config.CompressCode != PackConfig::CodeCompression::None)
      if (Error E =
              compressCode(Batch, Cache ? &*Cache : nullptr, CompressCodeOf))
        return E;
    if (Config.Compress)
      if (Error E = compressFiles(Batch, Cache ? &*Cache : nullptr, IsData))
        return E;
    for (PayloadItem &It : Batch) {
      if (HeldBytes >= InMemoryData && !Spool)
        if (Error E = StartSpool())
          return E;
      bool Code = It.Kind == PYOX_KIND_MODULE || It.Kind == PYOX_KIND_PACKAGE;
      if (It.Spooled) { // code read back for the sources' compression
        std::string().swap(It.Data);
      } else if (Spool && (Code || It.Kind == PYOX_KIND_SOURCE || IsData(It))) {
        if (Error E = Spool->add(It))
          return E;
      } else {
        HeldBytes += It.Data.size();
      }
      Items.push_back(std::move(It));
    }
    BatchBegin = Items.size();
    return Error::success();
  };
  for (size_t I = 0; I < Files->size(); ++I) {
    if (BatchFiles == SpoolBatch || BatchBytes >= SpoolBatchBytes)
      if (Error E = EndBatch())
        return E;
    ++BatchFiles;
    const size_t ItemsBefore = Items.size();
    CollectedFile &F = (*Files)[I];
    PayloadItem It{F.Kind, F.Name, F.Path, {}};
    if (JobOf[I] != SIZE_MAX) {
      if (CodeAt[JobOf[I]].Size) { // spooled; the sources' compression needs it
        auto Code = Spool->read(CodeAt[JobOf[I]]);
        if (!Code)
          return Code.takeError();
        It.Data = std::move(*Code);
        It.Spooled = CodeAt[JobOf[I]];
      } else {
        It.Data = std::move(Bytecode[JobOf[I]]);
      }
      if (Config.Sources) {
        Expected<PayloadItem> Source =
            Cache ? sourceItem(*Cache, F, Sources[JobOf[I]], It.Data)
                  : readSourceItem(F);
        if (!Source)
          return Source.takeError();
        Items.push_back(std::move(*Source));
      }
    } else if (!F.File.empty()) {
      auto Bytes = readFile(F.File);
      if (!Bytes)
        return Bytes.takeError();
      It.Data = std::move(*Bytes);
    }
    Items.push_back(std::move(It));
    for (size_t K = ItemsBefore; K < Items.size(); ++K)
      BatchBytes += Items[K].Data.size();
  }
  if (Error E = EndBatch())
    return E;

  if (Error E = Grammars.finish(Items))
    return E;
  if (Analyse) {
    reportUnresolved(Config, Selected);
    if (!Config.ReportFile.empty())
      if (Error E =
              writeSelectionReport(Config, Entry, *Files, Selected, Items))
        return E;
  }
  // From here on a file is read only if it may be a shared object
  // (packSharedLibraries), and nothing else reads the per-file records of
  // the steps above: they go, so that a large tree's memory is its items
  // and, as it is written, its index.
  auto Release = [](auto &V) { std::decay_t<decltype(V)>().swap(V); };
  llvm::erase_if(*Files, [](const CollectedFile &F) {
    return !mayBeSharedObject(F.Kind, F.Path);
  });
  Files->shrink_to_fit();
  Release(Jobs);
  Release(JobOf);
  Release(Bytecode);
  Release(CodeAt);
  Release(Sources);
  Release(Keys);
  Release(Misses);
  Release(Selected.Why);
  Release(Selected.Unresolved);

  Region = Time(WriteTimer);
  Progress("layout");
  PayloadInfo Info;
  Info.PythonVersion = embeddedPythonVersion();
  Info.BytecodeMagic = Magic;
  Info.EntryPoint = Entry;
  Info.Optimize = uint8_t(Config.Optimize);
  Info.HasSources = Config.Sources;
  Info.Isolated = Config.Isolated;
  // The shared libraries extension modules need, and the glibc floor.
  if (Error E = packSharedLibraries(Config, *Files, Items, Info,
                                    Cache ? &*Cache : nullptr))
    return E;
  if (Error E = packHostData(Config, Items))
    return E;
  // Extension modules, carried libraries and data compressed: after
  // packSharedLibraries, which reads the objects' dynamic sections.
  if (Config.Compress)
    if (Error E = compressFiles(Items, Cache ? &*Cache : nullptr))
      return E;
  if (Cache) {
    Cache->trimWrittenShards();
    if (Storing) {
      if (Error E = Cache->saveSourceIndex())
        reportCacheProblem(Config, std::move(E),
                           "; not writing the source index");
      else if (Error E = Cache->results().save())
        reportCacheProblem(Config, std::move(E),
                           "; not writing the result index");
    }
    const CacheCounters &C = Cache->counters();
    if (Config.Remark)
      Config.Remark("compile cache " + Cache->directory() + ": " +
                    Twine(C.Hits) + " hits, " + Twine(C.Misses) + " misses (" +
                    Twine(C.Damaged) + " damaged), " + Twine(C.Stored) +
                    " stored");
    if (Config.Remark)
      Config.Remark("sources: " + Twine(C.SourcesByStat) +
                    " unchanged by their stat, " + Twine(C.SourcesRead) +
                    " read and hashed");
    if (Config.Remark)
      Config.Remark("known from earlier builds: " + Twine(C.ScansKnown) +
                    " modules' imports, " + Twine(C.ObjectsKnown) +
                    " shared objects' frames and floors");
  }
  if (!Config.MappedCodeTemplate.empty()) {
    // For the modules the program imports at start: code imported later,
    // if at all, is compressed (it would cost ~1.9 times its marshal data
    // laid out), and the frozen modules' code is the interpreter's.
    Expected<MappedCodeCounts> Mapped = addMappedCode(
        Items, Config.MappedCodeTemplate, Spool ? &*Spool : nullptr,
        [&](StringRef Name) { return !LaterCode.contains(Name); });
    if (!Mapped)
      return Mapped.takeError();
    // A module that has mapped code runs from it: its marshal data is
    // only the portable form (extract, a program built without), so it
    // is stored compressed as code imported later is.
    if (Mapped->Mapped != 0 &&
        Config.CompressCode != PackConfig::CodeCompression::None) {
      StringSet<> MappedNames;
      for (const PayloadItem &It : Items)
        if (It.Kind == PYOX_KIND_MAPPED_CODE)
          MappedNames.insert(It.Name);
      if (Error E = compressCode(
              Items, Cache ? &*Cache : nullptr, [&](const PayloadItem &It) {
                return !It.Spooled && MappedNames.contains(It.Name);
              }))
        return E;
    }
    if (Config.Summary && !Mapped->Why.empty())
      Config.Summary("no mapped code: " + Mapped->Why);
    else if (Config.Summary)
      Config.Summary("mapped code for " + Twine(Mapped->Mapped) + " of " +
                     Twine(Mapped->Modules) + " modules, " +
                     Twine(Mapped->Bytes / 1024) + " KiB");
  }
  Error Written = Write(std::move(Items), Info, Spool ? &*Spool : nullptr);
  Region.reset();
  if (Config.TimePasses)
    Timers.print(errs(), /*ResetAfterPrint=*/true);
  return Written;
}

Error buildPayload(const PackConfig &Config,
                   function_ref<Error(uint64_t, PayloadBody)> Then) {
  return runPipeline(Config, [&](std::vector<PayloadItem> Items,
                                 const PayloadInfo &Info,
                                 const DataSpool *Spool) {
    return layOutPayload(std::move(Items), Info, Spool, Then);
  });
}

Error writePayloadFile(const PackConfig &Config, StringRef Path) {
  return runPipeline(Config, [&](std::vector<PayloadItem> Items,
                                 const PayloadInfo &Info,
                                 const DataSpool *Spool) {
    // The bytes to write: the entries' data (header and index aside).
    if (Config.Progress) {
      uint64_t Bytes = 0;
      for (const PayloadItem &It : Items)
        Bytes += It.size();
      Config.Progress({"write", 0, 0, Bytes});
    }
    return writeFileAtomically(Path, [&](raw_pwrite_stream &OS) {
      return writePayload(std::move(Items), Info, OS, Spool);
    });
  });
}

} // namespace pyox
