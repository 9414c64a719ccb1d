//===- Options.h - pyox-inject's option table -----------------------------===//
//
// One LLVM OptTable (generated from Opts.td) for every sub-command. A command
// sees the options whose visibility bit names it: parsing, --help and the
// nearest-option suggestion for a typo all go through that mask, so an
// option another command takes is unknown here, as it should be.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_TOOLS_OPTIONS_H
#define PYOX_TOOLS_OPTIONS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Option/ArgList.h"
#include "llvm/Option/OptTable.h"
#include "llvm/Support/Error.h"

namespace pyox {

enum OptionID : unsigned {
  OPT_INVALID = 0,
#define OPTION(...) LLVM_MAKE_OPT_ID(__VA_ARGS__),
#include "Opts.inc"
#undef OPTION
};

// Opts.td's OptionVisibility bits: which commands take an option. Bit 0 is
// LLVM's DefaultVis.
enum CommandVisibility : unsigned {
  PackVis = 1u << 1,
  BuildVis = 1u << 2,
  ListVis = 1u << 3,
  VerifyVis = 1u << 4,
  ExtractVis = 1u << 5,
  InjectVis = 1u << 6,
  RemoveVis = 1u << 7,
  ObjectVis = 1u << 8,
  CacheVis = 1u << 9,
};

// Opts.td's OptionFlag bits, after LLVM's own (llvm/Option/Option.h).
enum OptionFlag : unsigned {
  PathValue = 1u << 4,   // a path; [tool.pyox] makes it absolute
  Repeatable = 1u << 5,  // given several times; an array in [tool.pyox]
  NotInConfig = 1u << 6, // not a [tool.pyox] key
};

const llvm::opt::OptTable &optionTable();

// Parses a command's arguments against the options Visibility shows. An
// unknown option (with the nearest known one), a missing value, a stray
// "-x" or a "-x=VALUE" is a one-line error starting with "COMMAND: ".
llvm::Expected<llvm::opt::InputArgList>
parseCommandArgs(llvm::StringRef Command, unsigned Visibility,
                 llvm::ArrayRef<const char *> Args);

// The error for a bad value: "COMMAND: --NAME WHAT".
llvm::Error badValue(llvm::StringRef Command, const llvm::opt::Arg &A,
                     const llvm::Twine &What);

} // namespace pyox

#endif
