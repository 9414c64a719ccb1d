//===- Selection.cpp ------------------------------------------------------===//

#include "Pack/Selection.h"

#include "Pack/CompileCache.h"
#include "Pack/Compiler.h"
#include "Pack/Distributions.h"
#include "Pack/PayloadWriter.h"
#include "Support/AtomicFile.h"

#include "pyox/format.h"
#include "pyox/payload.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace pyox {

Expected<std::vector<std::pair<std::string, std::string>>>
distributionPackages(const PackConfig &Config) {
  std::vector<std::pair<std::string, std::string>> Out;
  if (Config.Dists.empty())
    return Out;
  std::vector<Distribution> Dists = findDistributions(Config.Paths);
  auto Find = [&](StringRef Name) -> const Distribution * {
    std::string N = normalizeDistributionName(Name);
    for (const Distribution &D : Dists)
      if (normalizeDistributionName(D.Name) == N)
        return &D;
    return nullptr;
  };
  // Breadth first over (distribution, extras); a distribution asked for
  // again with new extras is visited again for them.
  std::vector<std::tuple<std::string, std::vector<std::string>, std::string>>
      Work;
  for (const std::string &Spec : Config.Dists) {
    auto [Name, Extras] = parseRequirementName(Spec);
    if (Name.empty() || !Find(Name))
      return createStringError(
          std::errc::no_such_file_or_directory,
          "--dist %s: no installed distribution of that name in the --path "
          "roots (no %s-*.dist-info or *.egg-info)",
          Spec.c_str(), Name.c_str());
    Work.emplace_back(Name, Extras, "--dist " + Spec);
  }
  std::map<std::string, std::vector<std::string>> Done; // name -> extras
  StringSet<> Taken;
  for (size_t W = 0; W < Work.size(); ++W) {
    auto [Name, Extras, Why] = Work[W];
    const Distribution *D = Find(Name);
    if (!D) {
      if (Config.Warn)
        Config.Warn(Why + ": requirement '" + Name +
                    "' is not installed in the --path roots; leaving it out");
      continue;
    }
    std::string Key = normalizeDistributionName(D->Name);
    auto [It, New] = Done.try_emplace(Key);
    bool NewExtras = New;
    for (const std::string &E : Extras)
      if (!is_contained(It->second, E)) {
        It->second.push_back(E);
        NewExtras = true;
      }
    if (!NewExtras)
      continue;
    for (const std::string &T : D->TopLevel)
      if (Taken.insert(T).second)
        Out.emplace_back(T, "distribution " + D->Name + " (" + Why + ")");
    auto Reqs = requirementsOf(*D, It->second);
    if (!Reqs)
      return Reqs.takeError();
    for (const std::string &R : *Reqs) {
      auto [RName, RExtras] = parseRequirementName(R);
      if (!RName.empty())
        Work.emplace_back(RName, RExtras, "required by " + D->Name);
    }
  }
  return Out;
}

std::string resolveEntryPoint(const PackConfig &Config, StringRef Entry,
                              ArrayRef<CollectedFile> Files) {
  if (Entry.contains(':'))
    return Entry.str();
  std::vector<Distribution> Dists = findDistributions(Config.Paths);
  auto Script = [&](bool OnlyDist) -> std::optional<std::string> {
    for (const Distribution &D : Dists) {
      bool IsDist = any_of(Config.Dists, [&](const std::string &S) {
        return normalizeDistributionName(parseRequirementName(S).first) ==
               normalizeDistributionName(D.Name);
      });
      if (OnlyDist && !IsDist)
        continue;
      if (auto S = consoleScript(D, Entry))
        return S;
    }
    return std::nullopt;
  };
  // A script of a distribution named by --dist wins over a module.
  if (auto S = Script(true))
    return *S;
  bool IsModule = any_of(Files, [&](const CollectedFile &F) {
    return pyox_kind_group(F.Kind) == PYOX_GROUP_MODULE && F.Name == Entry;
  });
  if (IsModule)
    return Entry.str();
  if (auto S = Script(false))
    return *S;
  return Entry.str();
}

Expected<Selection>
selectByImports(const PackConfig &Config, StringRef Entry,
                std::vector<CollectedFile> &Files,
                const std::vector<std::pair<std::string, std::string>> &Whole,
                CompileCache *Cache) {
  Selection Sel;
  std::string Stdlib =
      (Config.StdlibDir.empty() ? defaultStdlibDir() : Config.StdlibDir) + "/";
  std::string Dynload =
      (Config.DynloadDir.empty() ? defaultDynloadDir() : Config.DynloadDir) +
      "/";
  ImportGraphConfig G;
  for (const CollectedFile &F : Files)
    G.FromStdlib.push_back(Config.Stdlib && !F.File.empty() &&
                           (StringRef(F.File).starts_with(Stdlib) ||
                            StringRef(F.File).starts_with(Dynload)));
  std::string EntryModule = Entry.split(':').first.str();
  G.Roots.emplace_back(EntryModule, "entry point");
  // `--entry PKG` runs PKG.__main__ (runpy), as `python3 -m PKG` does.
  if (!Entry.contains(':'))
    for (const CollectedFile &F : Files)
      if (F.Kind == PYOX_KIND_PACKAGE && F.Name == EntryModule) {
        G.Roots.emplace_back(EntryModule + ".__main__", "entry point");
        break;
      }
  // --module: one more module to start from (not its whole package).
  for (const std::string &M : Config.Modules) {
    if (none_of(Files, [&](const CollectedFile &F) {
          return pyox_kind_group(F.Kind) == PYOX_GROUP_MODULE && F.Name == M;
        }))
      return createStringError(std::errc::no_such_file_or_directory,
                               "--module %s: no module of that name in the "
                               "search roots",
                               M.c_str());
    G.Roots.emplace_back(M, "--module " + M);
  }
  if (Config.Stdlib) {
    for (const char *const *M = StartupModules; *M; ++M)
      G.Roots.emplace_back(*M, "interpreter start-up");
    // The codec registry imports encodings.NAME for any codec name a
    // program uses (encodings.search_function): all of it.
    G.WholePackages.emplace_back("encodings", "codecs, found by name");
  }
  for (const std::string &P : Config.Packages)
    G.WholePackages.emplace_back(P, "--package " + P);
  for (const auto &W : Whole)
    G.WholePackages.push_back(W);

  const std::string Identity = compilerIdentity();
  bool Storing = Cache != nullptr;
  size_t Compiled = 0;
  uint64_t CompiledBytes = 0;
  // A module's scan is known without its code when the result index has it
  // under the key of that code (CompileCache.h: a warm build reads no
  // code here; the pack reads it once, later). Otherwise the code comes
  // from the cache or the compiler, and stays for the pack (Sel.Code).
  auto ScanKey = [](const CacheKey &Code) {
    return makeCacheKey(ScanForm, {keyBytes(Code)});
  };
  G.Scan = [&](ArrayRef<size_t> Indices) -> Expected<std::vector<ModuleScan>> {
    std::vector<ModuleScan> Out(Indices.size());
    std::vector<std::string> Code(Indices.size());
    std::vector<std::string> Sources(Indices.size());
    std::vector<CacheKey> Keys(Indices.size());
    std::vector<CompileJob> Jobs;
    std::vector<size_t> Misses, ToScan;
    for (size_t K = 0; K < Indices.size(); ++K) {
      const CollectedFile &F = Files[Indices[K]];
      if (Cache) {
        // Stat first (the source index, CompileCache.h); read only when
        // the stat changed or the bytecode is not in the cache.
        auto State = Cache->source(F.File);
        if (!State)
          return State.takeError();
        Keys[K] = bytecodeKey(Identity, Config.Optimize, F.Path, State->Digest);
        if (std::optional<StringRef> Known =
                Cache->results().find(ScanKey(Keys[K])))
          if (std::optional<ModuleScan> Scan = decodeScan(*Known)) {
            Cache->countKnownScan();
            Out[K] = std::move(*Scan);
            continue;
          }
        ToScan.push_back(K);
        if (std::optional<std::string> Hit = Cache->lookup(Keys[K])) {
          Code[K] = std::move(*Hit);
          continue;
        }
        if (!State->Text) { // compiled from the text its key was made of
          State = Cache->readSource(F.File);
          if (!State)
            return State.takeError();
        }
        Sources[K] = std::move(*State->Text);
      } else {
        ToScan.push_back(K);
      }
      Misses.push_back(K);
      Jobs.push_back({F.File, F.Path, Cache ? &Sources[K] : nullptr});
    }
    if (!Jobs.empty()) {
      auto Store = [&](size_t J, StringRef Bytes) {
        if (Storing)
          if (Error E = Cache->store(Keys[Misses[J]], Bytes)) {
            consumeError(std::move(E)); // Pack.cpp reports cache trouble
            Storing = false;
          }
      };
      Expected<CompileOutput> Compiled = compileSources(
          Jobs, Config.Optimize, Config.Jobs,
          Cache ? function_ref<void(size_t, StringRef)>(Store) : nullptr);
      if (!Compiled)
        return Compiled.takeError();
      Sel.BytecodeMagic = Compiled->BytecodeMagic;
      for (size_t J = 0; J < Misses.size(); ++J)
        Code[Misses[J]] = std::move(Compiled->Bytecode[J]);
    }
    for (size_t K : ToScan) {
      const CollectedFile &F = Files[Indices[K]];
      Expected<ModuleScan> Scan = scanImports(Code[K]);
      if (!Scan)
        return createStringError(std::errc::illegal_byte_sequence, "%s: %s",
                                 F.File.c_str(),
                                 toString(Scan.takeError()).c_str());
      if (Cache)
        Cache->results().put(ScanKey(Keys[K]), encodeScan(*Scan));
      Out[K] = std::move(*Scan);
      CompiledBytes += Code[K].size();
      Sel.Code[F.File] = std::move(Code[K]);
    }
    Compiled += Indices.size();
    if (Config.Progress)
      Config.Progress({"analyse imports", Compiled, 0, CompiledBytes});
    return Out;
  };

  // The built-in modules' attributes (for the guards of import-only try
  // bodies): read once per CPython build, then from the result index.
  std::optional<StringMap<StringSet<>>> Builtins;
  G.BuiltinHas = [&](StringRef Module, StringRef Name) {
    if (!Builtins) {
      Builtins.emplace();
      const CacheKey Key =
          makeCacheKey("builtin-module-attributes-1", {Identity});
      std::optional<StringRef> Known;
      if (Cache)
        Known = Cache->results().find(Key);
      std::string Lines = Known ? Known->str() : readBuiltinModuleAttributes();
      if (Cache && !Known && !Lines.empty())
        Cache->results().put(Key, Lines);
      SmallVector<StringRef, 0> Split;
      StringRef(Lines).split(Split, '\n', -1, /*KeepEmpty=*/false);
      for (StringRef L : Split)
        (*Builtins)[L.split('\t').first].insert(L.split('\t').second);
    }
    auto It = Builtins->find(Module);
    return It != Builtins->end() && It->second.contains(Name);
  };

  Expected<ImportGraph> Graph = buildImportGraph(Files, G);
  if (!Graph)
    return Graph.takeError();
  std::vector<CollectedFile> Kept;
  for (size_t I = 0; I < Files.size(); ++I) {
    if (Graph->Keep[I]) {
      Sel.Why.push_back(Graph->Why[I]);
      Sel.Eager.push_back(Graph->Eager[I]);
    } else if (Config.StdlibAll && G.FromStdlib[I]) {
      Sel.Why.push_back("--stdlib=all");
      Sel.Eager.push_back(false);
    } else {
      continue;
    }
    Kept.push_back(std::move(Files[I]));
  }
  Files = std::move(Kept);
  Sel.Unresolved = std::move(Graph->Unresolved);
  return Sel;
}

void reportUnresolved(const PackConfig &Config, const Selection &S) {
  if (!Config.Note)
    return;
  // The standard library's own misses are imports for other platforms
  // (nt, winreg, _winapi, java), guarded by a platform test or a try the
  // bytecode shows only in part: counted here, listed in --report.
  unsigned Stdlib = 0;
  std::vector<const UnresolvedImport *> Shown;
  for (const UnresolvedImport &U : S.Unresolved) {
    if (U.FromStdlib)
      ++Stdlib;
    else
      Shown.push_back(&U);
  }
  if (Shown.empty() && !Stdlib)
    return;
  Config.Note("imports not found in the search roots (the program fails "
              "where it makes one that is not inside try):");
  for (const UnresolvedImport *U : Shown) {
    std::string Line = "  " + U->Module + "  imported by " + U->Importer;
    if (U->Importers > 1)
      Line += " and " + std::to_string(U->Importers - 1) + " more";
    if (U->InTry)
      Line += ", inside try";
    Config.Note(Line);
  }
  if (Stdlib)
    Config.Note("  and " + Twine(Stdlib) +
                " of the standard library's imports for other platforms; "
                "--report FILE lists them");
}

Error writeSelectionReport(const PackConfig &Config, StringRef Entry,
                           ArrayRef<CollectedFile> Files, const Selection &S,
                           ArrayRef<PayloadItem> Items) {
  std::map<std::pair<uint32_t, std::string>, std::string> Why;
  for (size_t I = 0; I < Files.size() && I < S.Why.size(); ++I)
    Why[{pyox_kind_group(Files[I].Kind), Files[I].Name}] = S.Why[I];
  json::Array Modules, Other, Unresolved;
  uint64_t Total = 0;
  for (const PayloadItem &It : Items) {
    uint32_t Group = pyox_kind_group(It.Kind);
    auto W = Why.find(
        {It.Kind == PYOX_KIND_SOURCE ? uint32_t(PYOX_GROUP_MODULE) : Group,
         It.Name});
    json::Object O{{"name", It.Name},
                   {"kind", pyox_kind_name(It.Kind)},
                   {"why", W == Why.end() ? "generated" : W->second},
                   {"size", int64_t(It.size())}};
    Total += It.size();
    (Group == PYOX_GROUP_MODULE && It.Kind != PYOX_KIND_SOURCE ? Modules
                                                               : Other)
        .push_back(std::move(O));
  }
  for (const UnresolvedImport &U : S.Unresolved)
    Unresolved.push_back(json::Object{{"module", U.Module},
                                      {"importer", U.Importer},
                                      {"sites", int64_t(U.Importers)},
                                      {"inside_try", U.InTry},
                                      {"standard_library", U.FromStdlib}});
  json::Object Report{{"entry", Entry},
                      {"total_size", int64_t(Total)},
                      {"modules", std::move(Modules)},
                      {"files", std::move(Other)},
                      {"unresolved", std::move(Unresolved)}};
  std::string Text;
  raw_string_ostream OS(Text);
  OS << formatv("{0:2}", json::Value(std::move(Report))) << "\n";
  OS.flush();
  return writeFileAtomically(
      Config.ReportFile,
      ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(Text.data()),
                        Text.size()));
}

} // namespace pyox
