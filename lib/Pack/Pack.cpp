//===- Pack.cpp - The pack pipeline ---------------------------------------===//

#include "Pack/Pack.h"

#include "Pack/Collector.h"
#include "Pack/Compiler.h"
#include "Pack/PayloadWriter.h"

#include "pyox/format.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Timer.h"

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
  auto ValidDotted = [](StringRef S) {
    if (S.empty())
      return false;
    SmallVector<StringRef, 8> Parts;
    S.split(Parts, '.');
    return all_of(Parts, [](StringRef P) {
      return !P.empty() && !isDigit(P[0]) && all_of(P, [](char C) {
        return isAlnum(C) || C == '_' || (unsigned char)C >= 0x80;
      });
    });
  };
  if (!ValidDotted(Module) || (Entry.contains(':') && !ValidDotted(Function)))
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
  // Starts the generator if Files hold lib2to3's grammar sources.
  Error start(const std::vector<CollectedFile> &Files) {
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
    for (const std::string &N : Names) {
      auto Bytes = readFile((OutDir + "/" + N).str());
      if (!Bytes)
        return Bytes.takeError();
      std::string Rel = "lib2to3/" + N;
      Items.push_back({PYOX_KIND_RESOURCE, Rel, Rel, std::move(*Bytes)});
    }
    return Error::success();
  }

  ~GrammarPickles() {
    if (Started) { // an earlier pass failed: do not leave the child behind
      sys::Wait(Process, std::nullopt);
      sys::fs::remove_directories(OutDir);
    }
  }

private:
  std::string GrammarDir;
  SmallString<128> OutDir;
  sys::ProcessInfo Process;
  bool Started = false;
};

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
  CC.Packages = Config.Packages;
  CC.Excludes = Config.Excludes;
  CC.Warn = Config.Warn;
  if (!Config.Packages.empty() && Config.Paths.empty())
    return createStringError(std::errc::invalid_argument,
                             "--package selects from the --path roots; give "
                             "at least one --path");
  auto Files = collect(CC);
  if (!Files)
    return Files.takeError();
  if (!Config.EntryPoint.empty())
    if (Error E = checkEntryPoint(Config.EntryPoint, *Files))
      return std::move(E);

  // 2. Compile every module and package.
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
  GrammarPickles Grammars;
  if (Config.Stdlib)
    if (Error E = Grammars.start(*Files))
      return std::move(E);
  auto Compiled = compileSources(Jobs, Config.Optimize, Config.Jobs);
  if (!Compiled)
    return Compiled.takeError();

  // 3. Read everything else and lay the payload out.
  Region = Time(ReadTimer);
  std::vector<PayloadItem> Items;
  Items.reserve(Files->size() * (Config.Sources ? 2 : 1));
  for (size_t I = 0; I < Files->size(); ++I) {
    CollectedFile &F = (*Files)[I];
    PayloadItem It{F.Kind, F.Name, F.Path, {}};
    if (JobOf[I] != SIZE_MAX) {
      It.Data = std::move(Compiled->Bytecode[JobOf[I]]);
      if (Config.Sources) {
        auto Text = readFile(F.File);
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

  Region = Time(WriteTimer);
  PayloadInfo Info;
  Info.PythonVersion = Compiled->PythonVersion;
  Info.BytecodeMagic = Compiled->BytecodeMagic;
  Info.EntryPoint = Config.EntryPoint;
  Info.Optimize = uint8_t(Config.Optimize);
  Info.HasSources = Config.Sources;
  auto Payload = writePayload(std::move(Items), Info);
  Region.reset();
  if (Config.TimePasses)
    Timers.print(errs(), /*ResetAfterPrint=*/true);
  return Payload;
}

} // namespace pyox
