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

#include "pyox/format.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Timer.h"

#include <optional>
#include <sys/stat.h>

using namespace llvm;

namespace pyox {

std::string defaultStdlibDir() { return PYOX_PYTHON_STDLIB; }
std::string defaultDynloadDir() { return PYOX_PYTHON_DYNLOAD; }

static Expected<std::string> readFile(const std::string &File) {
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

Expected<std::vector<uint8_t>> buildPayload(const PackConfig &Config) {
  TimerGroup Timers("pack", "pyox-inject pack passes");
  Timer CollectTimer("collect", "collect the files", Timers);
  Timer CompileTimer("compile", "compile to bytecode", Timers);
  Timer ReadTimer("read", "read resources and extensions", Timers);
  Timer WriteTimer("layout", "lay the payload out", Timers);
  auto Time = [&](Timer &T) {
    return std::make_unique<TimeRegion>(Config.TimePasses ? &T : nullptr);
  };
  auto Region = Time(CollectTimer);
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
  auto Files = collect(CC);
  if (!Files)
    return Files.takeError();
  // A console-script name resolves to its MODULE:FUNCTION (Distributions.h).
  const bool HasEntry = !Config.EntryPoint.empty();
  const std::string Entry =
      HasEntry ? resolveEntryPoint(Config, Config.EntryPoint, *Files) : "";
  if (HasEntry)
    if (Error E = checkEntryPoint(Entry, *Files))
      return std::move(E);
  if (HasEntry)
    if (Error E = checkEntryShadowing(Config, Entry, *Files))
      return std::move(E);
  std::optional<CompileCache> Cache;
  if (!Config.CacheDir.empty()) {
    auto Opened = CompileCache::open(
        Config.CacheDir,
        Config.CacheMaxSize ? Config.CacheMaxSize : defaultCacheMaxSize());
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

  // 2. Compile every module and package the compile cache does not hold
  //    (and the analysis has not compiled).
  Region = Time(CompileTimer);
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
  std::vector<std::string> Sources; // with the cache: read here, once
  std::vector<CacheKey> Keys;
  std::vector<size_t> Misses;
  const std::string Identity = compilerIdentity();
  if (Cache) {
    // A key covers all the bytes depend on (Compiler.h): the compiler, the
    // optimisation level, co_filename and the source.
    const std::string Optimize = std::to_string(Config.Optimize);
    Sources.resize(Jobs.size());
    Keys.resize(Jobs.size());
    for (size_t J = 0; J < Jobs.size(); ++J) {
      auto Text = readFile(Jobs[J].File);
      if (!Text)
        return Text.takeError();
      Sources[J] = std::move(*Text);
      Jobs[J].Source = &Sources[J];
      Keys[J] = makeCacheKey(
          "bytecode", {Identity, Optimize, Jobs[J].CodeFilename, Sources[J]});
      if (auto Known = Selected.Code.find(Jobs[J].File);
          Known != Selected.Code.end())
        Bytecode[J] = std::move(Known->second);
      else if (std::optional<std::string> Hit = Cache->lookup(Keys[J]))
        Bytecode[J] = std::move(*Hit);
      else
        Misses.push_back(J);
    }
  } else {
    for (size_t J = 0; J < Jobs.size(); ++J) {
      if (auto Known = Selected.Code.find(Jobs[J].File);
          Known != Selected.Code.end())
        Bytecode[J] = std::move(Known->second);
      else
        Misses.push_back(J);
    }
  }
  GrammarPickles Grammars;
  if (Config.Stdlib)
    if (Error E = Grammars.start(*Files, Cache ? &*Cache : nullptr))
      return std::move(E);

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
      ToCompile.push_back(Jobs[J]);
    // Results are stored as they arrive, while the workers compile on.
    auto StoreResult = [&](size_t K, StringRef Bytes) {
      Store(Keys[Misses[K]], Bytes);
    };
    Expected<CompileOutput> Compiled = compileSources(
        ToCompile, Config.Optimize, Config.Jobs,
        Cache ? function_ref<void(size_t, StringRef)>(StoreResult) : nullptr);
    if (!Compiled)
      return Compiled.takeError();
    Magic = Compiled->BytecodeMagic;
    for (size_t K = 0; K < Misses.size(); ++K)
      Bytecode[Misses[K]] = std::move(Compiled->Bytecode[K]);
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
  std::vector<PayloadItem> Items;
  Items.reserve(Files->size() * (Config.Sources ? 2 : 1));
  for (size_t I = 0; I < Files->size(); ++I) {
    CollectedFile &F = (*Files)[I];
    PayloadItem It{F.Kind, F.Name, F.Path, {}};
    if (JobOf[I] != SIZE_MAX) {
      It.Data = std::move(Bytecode[JobOf[I]]);
      if (Config.Sources) {
        Expected<std::string> Text =
            Cache ? std::move(Sources[JobOf[I]]) : readFile(F.File);
        if (!Text)
          return Text.takeError();
        Items.push_back({PYOX_KIND_SOURCE, F.Name, F.Path, std::move(*Text)});
      }
    } else if (!F.File.empty()) {
      auto Bytes = readFile(F.File);
      if (!Bytes)
        return Bytes.takeError();
      It.Data = std::move(*Bytes);
    }
    Items.push_back(std::move(It));
  }

  if (Error E = Grammars.finish(Items))
    return std::move(E);
  if (Error E = compressSources(Items, Cache ? &*Cache : nullptr))
    return std::move(E);
  if (Cache) {
    Cache->trimWrittenShards();
    const CacheCounters &C = Cache->counters();
    if (Config.Remark)
      Config.Remark("compile cache " + Cache->directory() + ": " +
                    Twine(C.Hits) + " hits, " + Twine(C.Misses) + " misses (" +
                    Twine(C.Damaged) + " damaged), " + Twine(C.Stored) +
                    " stored");
  }

  if (Analyse) {
    reportUnresolved(Config, Selected);
    if (!Config.ReportFile.empty())
      if (Error E =
              writeSelectionReport(Config, Entry, *Files, Selected, Items))
        return std::move(E);
  }

  Region = Time(WriteTimer);
  PayloadInfo Info;
  Info.PythonVersion = embeddedPythonVersion();
  Info.BytecodeMagic = Magic;
  Info.EntryPoint = Entry;
  Info.Optimize = uint8_t(Config.Optimize);
  Info.HasSources = Config.Sources;
  Info.Isolated = Config.Isolated;
  // The shared libraries extension modules need, and the glibc floor.
  if (Error E = packSharedLibraries(Config, *Files, Items, Info))
    return std::move(E);
  if (Error E = packHostData(Config, Items))
    return std::move(E);
  if (!Config.MappedCodeTemplate.empty()) {
    Expected<MappedCodeCounts> Mapped =
        addMappedCode(Items, Config.MappedCodeTemplate);
    if (!Mapped)
      return Mapped.takeError();
    if (Config.Summary && !Mapped->Why.empty())
      Config.Summary("no mapped code: " + Mapped->Why);
    else if (Config.Summary)
      Config.Summary("mapped code for " + Twine(Mapped->Mapped) + " of " +
                     Twine(Mapped->Modules) + " modules, " +
                     Twine(Mapped->Bytes / 1024) + " KiB");
  }
  auto Payload = writePayload(std::move(Items), Info);
  Region.reset();
  if (Config.TimePasses)
    Timers.print(errs(), /*ResetAfterPrint=*/true);
  return Payload;
}

} // namespace pyox
