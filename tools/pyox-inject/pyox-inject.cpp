//===- pyox-inject.cpp - The pyox build-time tool -------------------------===//
//
// A thin driver in the style of git and llvm-objcopy: the first argument
// names a sub-command, which parses its options into a config and calls
// lib/. See docs/getting-started.md and INTERFACE.md.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace llvm;
using namespace pyox;

static const Command Commands[] = {
    {"pack", "pack -o PAYLOAD [--stdlib] [--path DIR]... [options]", runPack},
    {"build",
     "build -o EXECUTABLE [--template FILE] [--no-mapped-code] [pack "
     "options]",
     runBuild},
    {"list", "list FILE", runList},
    {"verify", "verify FILE", runVerify},
    {"extract", "extract FILE -o DIR", runExtract},
    {"inject", "inject BINARY PAYLOAD [-o OUT] [--name NAME]", runInject},
    {"remove", "remove BINARY [-o OUT] [--name NAME]", runRemove},
    {"object", "object PAYLOAD -o OUT --format elf|macho|coff [--arch ARCH]",
     runObject},
    {"cache", "cache --stats|--trim SIZE|--clear [--cache-dir DIR]", runCache},
};

static const char *Argv0;

namespace pyox {

int reportError(Error E) {
  handleAllErrors(std::move(E), [](const ErrorInfoBase &EI) {
    WithColor::error(errs(), "pyox-inject") << EI.message() << "\n";
  });
  return 1;
}

void reportWarning(const Twine &Message) {
  WithColor::warning(errs(), "pyox-inject") << Message << "\n";
}

void reportRemark(const Twine &Message) {
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
    OS << "  " << C.Synopsis << "\n";
}

int main(int argc, char **argv) {
  InitLLVM X(argc, argv);
  Argv0 = argv[0];
  if (argc < 2) {
    printUsage(errs());
    return 1;
  }
  StringRef Name = argv[1];
  if (Name == "-h" || Name == "--help" || Name == "help") {
    printUsage(outs());
    return 0;
  }
  for (const Command &C : Commands)
    if (Name == C.Name)
      return C.Run(ArrayRef<const char *>(argv + 2, argv + argc));
  WithColor::error(errs(), "pyox-inject")
      << "unknown command '" << Name << "' (see pyox-inject --help)\n";
  return 1;
}
