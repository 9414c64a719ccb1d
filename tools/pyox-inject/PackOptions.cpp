//===- PackOptions.cpp - pack's options: pyproject.toml, command line ----===//
//
// pack and build take the same options, from two places: [tool.pyox] of the
// project's pyproject.toml (lib/Config/ProjectFile.h) and the command line.
// The file's keys are the long options of `build`, so the option table is
// the one list of both: the keys are derived from it, and each setting is
// turned back into the option it names ("path = ['src']" becomes
// "--path=/abs/src") and parsed by the same table. Then:
//   1. the file's options are applied, except those of a key the command
//      line also gives: there, the command line's value or list replaces
//      the file's (as in most tools; a list is not extended);
//   2. the command line's options are applied.
// A bad value from the file is reported at its line.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "Options.h"
#include "Progress.h"

#include "Config/ProjectFile.h"
#include "Pack/CompileCache.h"

#include "pyox/runtime.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Option/Arg.h"
#include "llvm/Option/Option.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace llvm::opt;

namespace pyox {

std::vector<std::string> positionals(const CommandArgs &Args) {
  std::vector<std::string> Out;
  for (const Arg *A : Args.filtered(OPT_INPUT))
    Out.push_back(A->getValue());
  return Out;
}

namespace {

// The [tool.pyox] key of an option: its long name without dashes or '='.
StringRef configKey(const Option &O) { return O.getName().rtrim('='); }

// The file's keys: every long option of build, but those marked
// NotInConfig (Opts.td). `--stdlib` and `--stdlib=all` are one key.
std::vector<ProjectKey> projectKeys() {
  const OptTable &T = optionTable();
  std::vector<ProjectKey> Keys;
  for (unsigned ID = OPT_UNKNOWN + 1; ID <= T.getNumOptions(); ++ID) {
    Option O = T.getOption(ID);
    if (!O.hasVisibilityFlag(BuildVis) || O.hasFlag(NotInConfig) ||
        O.getAlias().isValid() || O.getPrefix() != "--")
      continue;
    KeyType Type = O.getKind() == Option::FlagClass ? KeyType::Bool
                   : O.hasFlag(Repeatable)          ? KeyType::List
                                                    : KeyType::Value;
    StringRef Name = configKey(O);
    auto Same =
        find_if(Keys, [&](const ProjectKey &K) { return K.Name == Name; });
    if (Same != Keys.end())
      Same->Type = KeyType::BoolOrValue;
    else
      Keys.push_back({Name.str(), Type, O.hasFlag(PathValue)});
  }
  return Keys;
}

// Whether --NAME is a flag (an option without a value).
bool isFlag(StringRef Name) {
  std::string Spelled = ("--" + Name).str();
  for (unsigned ID = OPT_UNKNOWN + 1; ID <= optionTable().getNumOptions();
       ++ID) {
    Option O = optionTable().getOption(ID);
    if (O.getKind() == Option::FlagClass && O.getPrefixedName() == Spelled)
      return true;
  }
  return false;
}

// A file setting as command-line arguments. `sources = false` is
// --no-sources and `no-sources = false` is --sources; a false flag with no
// opposite (isolated = false) is the default, no argument.
std::vector<std::string> settingArgs(const ProjectSetting &S) {
  std::vector<std::string> Args;
  StringRef Key = S.Key;
  if (S.IsBool) {
    if (S.Flag)
      Args.push_back(("--" + Key).str());
    else if (isFlag(("no-" + Key).str()))
      Args.push_back(("--no-" + Key).str());
    else if (Key.starts_with("no-") && isFlag(Key.drop_front(3)))
      Args.push_back(("--" + Key.drop_front(3)).str());
    return Args;
  }
  for (const std::string &V : S.Values)
    Args.push_back(("--" + Key + "=" + V).str());
  return Args;
}

// Applies one option to C. A bad value comes back as what is wrong with it
// ("takes 0, 1 or 2, not '3'"), for the caller to say where it came from.
Error applyOption(const Arg &A, PackCommand &C) {
  PackConfig &P = C.Pack;
  auto Bad = [](const Twine &What) {
    return createStringError(std::errc::invalid_argument, "%s",
                             What.str().c_str());
  };
  StringRef V = A.getNumValues() ? A.getValue() : "";
  switch (A.getOption().getID()) {
  case OPT_stdlib:
    P.Stdlib = true;
    break;
  case OPT_stdlib_eq:
    if (V != "all")
      return Bad("takes no value or 'all', not '" + V + "'");
    P.Stdlib = P.StdlibAll = true;
    break;
  case OPT_path:
    P.Paths.push_back(V.str());
    break;
  case OPT_package:
    P.Packages.push_back(V.str());
    break;
  case OPT_module:
    P.Modules.push_back(V.str());
    break;
  case OPT_dist:
    P.Dists.push_back(V.str());
    break;
  case OPT_exclude:
    P.Excludes.push_back(V.str());
    break;
  case OPT_entry:
    P.EntryPoint = V.str();
    break;
  case OPT_script:
    C.Script = V.str();
    break;
  case OPT_sources:
    P.Sources = true;
    break;
  case OPT_no_sources:
    P.Sources = false;
    break;
  case OPT_compress:
    P.Compress = true;
    break;
  case OPT_no_compress:
    P.Compress = false;
    break;
  case OPT_compress_bytecode:
    if (V == "later")
      P.CompressCode = PackConfig::CodeCompression::Later;
    else if (V == "all")
      P.CompressCode = PackConfig::CodeCompression::All;
    else if (V == "none")
      P.CompressCode = PackConfig::CodeCompression::None;
    else
      return Bad("takes later, all or none, not '" + V + "'");
    break;
  case OPT_system_copies:
    P.SystemCopies = true;
    break;
  case OPT_no_system_copies:
    P.SystemCopies = false;
    break;
  case OPT_isolated:
    P.Isolated = true;
    break;
  case OPT_optimize:
    if (V != "0" && V != "1" && V != "2")
      return Bad("takes 0, 1 or 2, not '" + V + "'");
    P.Optimize = V[0] - '0';
    break;
  case OPT_jobs: {
    unsigned N;
    if (V.getAsInteger(10, N) || N > 1024)
      return Bad("takes a number of processes, not '" + V + "'");
    P.Jobs = N;
    break;
  }
  case OPT_report:
    P.ReportFile = V.str();
    break;
  case OPT_exclude_lib:
    P.ExcludeLibs.push_back(V.str());
    break;
  case OPT_host_data:
    P.HostData.push_back(V.str());
    break;
  case OPT_max_glibc:
    P.MaxGlibc = V.str();
    break;
  case OPT_cache_dir:
    P.CacheDir = V.str();
    break;
  case OPT_no_cache:
    P.CacheDir.clear();
    break;
  case OPT_verbose:
    P.Remark = [](const Twine &M) { reportRemark(M); };
    break;
  case OPT_quiet:
    C.Quiet = true;
    break;
  case OPT_time_passes:
    P.TimePasses = true;
    break;
  case OPT_output:
    C.Output = V.str();
    break;
  case OPT_template:
    C.Template = V.str();
    break;
  case OPT_mapped_code:
    C.MappedCode = true;
    break;
  case OPT_no_mapped_code:
    C.MappedCode = false;
    break;
  case OPT_name:
    C.Name = V.str();
    break;
  default: // --config, --no-config, --help: read elsewhere
    break;
  }
  return Error::success();
}

// Which project file, if any: --config FILE, else ./pyproject.toml.
std::optional<std::string> projectFilePath(const CommandArgs &Args) {
  if (Args.hasArg(OPT_no_config))
    return std::nullopt;
  if (const Arg *A = Args.getLastArg(OPT_config))
    return std::string(A->getValue());
  if (sys::fs::exists("pyproject.toml"))
    return std::string("pyproject.toml");
  return std::nullopt;
}

} // namespace

static PackConfig defaultPackConfig() {
  PackConfig C;
  C.Warn = [](const Twine &M) { reportWarning(M); };
  C.Note = [](const Twine &M) {
    clearProgress();
    WithColor::note(errs(), "pyox-inject") << M << "\n";
  };
  C.CacheDir = defaultCacheDir();
  return C;
}

Expected<PackCommand> readPackCommand(StringRef Command,
                                      const CommandArgs &Args) {
  if (std::vector<std::string> P = positionals(Args); !P.empty())
    return createStringError(std::errc::invalid_argument,
                             "%s: unexpected argument %s",
                             Command.str().c_str(), P[0].c_str());
  PackCommand C;
  C.Pack = defaultPackConfig();
  C.Name = PYOX_DEFAULT_PAYLOAD_NAME;

  // The keys the command line gives, whose file settings it replaces.
  StringSet<> OnCommandLine;
  for (const Arg *A : Args) {
    StringRef Key = configKey(A->getOption());
    OnCommandLine.insert(Key.starts_with("no-") && isFlag(Key.drop_front(3))
                             ? Key.drop_front(3)
                             : Key);
  }

  std::optional<ProjectFile> File;
  if (std::optional<std::string> Path = projectFilePath(Args)) {
    Expected<ProjectFile> Read = readProjectFile(*Path, projectKeys());
    if (!Read)
      return Read.takeError();
    File = std::move(*Read);
    // A file named with --config is meant to say something.
    if (Args.hasArg(OPT_config) && !File->HasToolTable && File->Scripts.empty())
      reportWarning(*Path + ": no [tool.pyox] or [project.scripts] table");
    for (const ProjectSetting &S : File->Settings) {
      // Output, template and payload name are build's; pack's output is a
      // payload, not the program the file describes.
      if (OnCommandLine.contains(S.Key) ||
          (Command == "pack" &&
           (S.Key == "output" || S.Key == "template" || S.Key == "name")))
        continue;
      std::vector<std::string> Strings = settingArgs(S);
      std::vector<const char *> Argv;
      for (const std::string &Str : Strings)
        Argv.push_back(Str.c_str());
      Expected<InputArgList> Parsed =
          parseCommandArgs("[tool.pyox]", BuildVis, Argv);
      if (!Parsed)
        return projectError(*File, S.Line, toString(Parsed.takeError()));
      for (const Arg *A : *Parsed)
        if (Error E = applyOption(*A, C))
          return projectError(*File, S.Line,
                              "[tool.pyox] '" + S.Key + "' " +
                                  toString(std::move(E)));
    }
  }

  for (const Arg *A : Args) {
    if (Error E = applyOption(*A, C))
      return badValue(Command, *A, toString(std::move(E)));
  }

  // No entry point named: the project's [project.scripts] names it.
  if (C.Pack.EntryPoint.empty() && File && !File->Scripts.empty()) {
    Expected<std::string> Entry = scriptEntryPoint(*File, C.Script);
    if (!Entry)
      return Entry.takeError();
    C.Pack.EntryPoint = *Entry;
  } else if (C.Pack.EntryPoint.empty() && !C.Script.empty()) {
    return createStringError(std::errc::invalid_argument,
                             "%s: --script %s: no [project.scripts] (%s)",
                             Command.str().c_str(), C.Script.c_str(),
                             File ? File->Path.c_str() : "no pyproject.toml");
  }
  if (C.Output.empty())
    return createStringError(
        std::errc::invalid_argument, "%s: an output file is needed (-o %s)",
        Command.str().c_str(), Command == "pack" ? "PAYLOAD" : "EXECUTABLE");
  if (!C.Pack.Stdlib && C.Pack.Paths.empty())
    return createStringError(
        std::errc::invalid_argument,
        "%s: nothing to pack (give --stdlib and/or --path DIR)",
        Command.str().c_str());
  if (C.Quiet) {
    C.Pack.Note = nullptr;
    C.Pack.Remark = nullptr;
  } else if (!C.Pack.TimePasses) {
    // --time-passes prints its table from inside the pipeline, where the
    // line could not be erased first; the table says where the time went.
    enableProgress();
    C.Pack.Progress = showProgress;
  }
  return std::move(C);
}

} // namespace pyox
