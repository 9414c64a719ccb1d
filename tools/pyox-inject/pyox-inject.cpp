//===- pyox-inject.cpp - The pyox build-time tool -------------------------===//
//
// A thin driver in the style of git and llvm-objcopy: the first argument
// names a sub-command, which parses its options into a config and calls
// lib/. See docs/getting-started.md and INTERFACE.md.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "Options.h"
#include "Progress.h"

#include "pyox/format.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <Python.h>

#include <cstring>

using namespace llvm;
using namespace pyox;

static const Command Commands[] = {
    {"pack", "-o PAYLOAD [--stdlib] [--path DIR]... [options]",
     "compile modules to bytecode and write a payload file", PackVis, runPack},
    {"build", "-o EXECUTABLE [--template FILE] [options]",
     "pack, and inject the payload into a copy of the template", BuildVis,
     runBuild},
    {"list", "FILE", "what a payload or binary holds, and where", ListVis,
     runList},
    {"verify", "FILE", "check a payload's structure and checksums", VerifyVis,
     runVerify},
    {"extract", "FILE -o DIR", "write a payload's modules and resources out",
     ExtractVis, runExtract},
    {"inject", "BINARY PAYLOAD [-o OUT] [--name NAME]",
     "write a payload into a linked ELF, Mach-O or PE binary", InjectVis,
     runInject},
    {"remove", "BINARY [-o OUT] [--name NAME]",
     "take a payload out of a binary", RemoveVis, runRemove},
    {"object", "PAYLOAD -o OUT [--format elf|macho|coff] [--arch ARCH]",
     "a relocatable object holding the payload, for any linker", ObjectVis,
     runObject},
    {"cache", "--stats|--trim SIZE|--clear [--cache-dir DIR]",
     "look at, trim or empty the compile cache", CacheVis, runCache},
};

static const char *Argv0;

namespace pyox {

int reportError(Error E) {
  clearProgress();
  handleAllErrors(std::move(E), [](const ErrorInfoBase &EI) {
    WithColor::error(errs(), "pyox-inject") << EI.message() << "\n";
  });
  return 1;
}

void reportWarning(const Twine &Message) {
  clearProgress();
  WithColor::warning(errs(), "pyox-inject") << Message << "\n";
}

void reportRemark(const Twine &Message) {
  clearProgress();
  WithColor::remark(errs(), "pyox-inject") << Message << "\n";
}

std::string toolDirectory() {
  std::string Exe =
      sys::fs::getMainExecutable(Argv0, reinterpret_cast<void *>(&reportError));
  return sys::path::parent_path(Exe).str();
}

} // namespace pyox

static void printUsage(raw_ostream &OS) {
  OS << "usage: pyox-inject <command> [options]\n\ncommands:\n";
  for (const Command &C : Commands)
    OS << "  " << C.Name << " " << C.Usage << "\n      " << C.Summary << "\n";
  OS << "\nSee 'pyox-inject <command> --help' for a command's options, "
        "'pyox-inject --version' for what this one is built with.\n";
}

// What a bug report needs: this pyox, the payload formats it writes and
// reads, the CPython it compiles with (the one templates must link), LLVM.
static void printVersion(raw_ostream &OS) {
  OS << "pyox-inject " << PYOX_VERSION << "\n"
     << "payload format " << PYOX_FORMAT_VERSION << " (reads "
     << PYOX_FORMAT_VERSION_MIN << "-" << PYOX_FORMAT_VERSION << ")\n"
     << "CPython " << Py_GetVersion() << "\n"
     << "LLVM " << LLVM_VERSION_STRING << "\n";
}

// A command's --help, from the option table: the options it sees.
static void printCommandHelp(const Command &C) {
  std::string Usage = std::string("pyox-inject ") + C.Name + " " + C.Usage;
  std::string Title = std::string("pyox-inject ") + C.Name + ": " + C.Summary;
  optionTable().printHelp(outs(), Usage.c_str(), Title.c_str(),
                          /*ShowHidden=*/false, /*ShowAllAliases=*/false,
                          opt::Visibility(C.Visibility));
}

int main(int argc, char **argv) {
  InitLLVM X(argc, argv);
  Argv0 = argv[0];
  if (argc < 2) {
    printUsage(errs());
    return 1;
  }
  StringRef Name = argv[1];
  // `pyox-inject help build` is `pyox-inject build --help`.
  if (Name == "help" && argc > 2)
    for (const Command &C : Commands)
      if (StringRef(argv[2]) == C.Name) {
        printCommandHelp(C);
        return 0;
      }
  if (Name == "-h" || Name == "--help" || Name == "help") {
    printUsage(outs());
    return 0;
  }
  if (Name == "--version" || Name == "version") {
    printVersion(outs());
    return 0;
  }
  for (const Command &C : Commands) {
    if (Name != C.Name)
      continue;
    Expected<opt::InputArgList> Args = parseCommandArgs(
        C.Name, C.Visibility, ArrayRef<const char *>(argv + 2, argv + argc));
    if (!Args)
      return reportError(Args.takeError());
    if (Args->hasArg(OPT_help)) {
      printCommandHelp(C);
      return 0;
    }
    return C.Run(*Args);
  }
  // A typo: the nearest command within two edits, as LLVM's option parser
  // suggests the nearest option (OptTable::findNearest).
  StringRef Nearest;
  unsigned Best = 3;
  auto Consider = [&](StringRef Candidate) {
    unsigned Distance =
        Name.edit_distance(Candidate, /*AllowReplacements=*/true,
                           /*MaxEditDistance=*/Best - 1);
    if (Distance < Best) {
      Best = Distance;
      Nearest = Candidate;
    }
  };
  Consider("help");
  Consider("version");
  for (const Command &C : Commands)
    Consider(C.Name);
  raw_ostream &OS = WithColor::error(errs(), "pyox-inject")
                    << "unknown command '" << Name << "'";
  if (!Nearest.empty())
    OS << "; did you mean '" << Nearest << "'?\n";
  else
    OS << " (see pyox-inject --help)\n";
  return 1;
}
