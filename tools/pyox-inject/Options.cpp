//===- Options.cpp - pyox-inject's option table ---------------------------===//

#include "Options.h"

#include "llvm/Option/Arg.h"
#include "llvm/Option/Option.h"

using namespace llvm;
using namespace llvm::opt;

namespace pyox {

namespace {

#define PREFIX(NAME, VALUE)                                                    \
  constexpr StringLiteral NAME##_init[] = VALUE;                               \
  constexpr ArrayRef<StringLiteral> NAME(NAME##_init,                          \
                                         std::size(NAME##_init) - 1);
#include "Opts.inc"
#undef PREFIX

constexpr OptTable::Info InfoTable[] = {
#define OPTION(...) LLVM_CONSTRUCT_OPT_INFO(__VA_ARGS__),
#include "Opts.inc"
#undef OPTION
};

class InjectOptTable : public GenericOptTable {
public:
  InjectOptTable() : GenericOptTable(InfoTable) {
    // "--" ends the options: what follows is positional, "-" included.
    setDashDashParsing(true);
  }
};

} // namespace

const OptTable &optionTable() {
  static const InjectOptTable Table;
  return Table;
}

Expected<InputArgList> parseCommandArgs(StringRef Command, unsigned Visibility,
                                        ArrayRef<const char *> Args) {
  const OptTable &T = optionTable();
  unsigned MissingIndex = 0, MissingCount = 0;
  InputArgList List = T.ParseArgs(Args, MissingIndex, MissingCount,
                                  opt::Visibility(Visibility));
  auto Fail = [&](const Twine &Message) {
    return createStringError(std::errc::invalid_argument, "%s: %s",
                             Command.str().c_str(), Message.str().c_str());
  };
  if (MissingCount)
    return Fail("option " + Twine(List.getArgString(MissingIndex)) +
                " needs a value");
  for (const Arg *A : List.filtered(OPT_UNKNOWN)) {
    std::string Spelling = A->getAsString(List), Nearest;
    if (T.findNearest(Spelling, Nearest, opt::Visibility(Visibility)) <= 2)
      return Fail("unknown option " + Spelling + "; did you mean " + Nearest +
                  "?");
    return Fail("unknown option " + Spelling);
  }
  // A one-letter option takes "-o FILE" or "-oFILE", so "-o=FILE" names
  // "=FILE", as it does to clang, ld.lld and llvm-strip: never what was
  // meant. Refused, with the spellings that work.
  for (const Arg *A : List) {
    // As typed: an alias (-o) parses as the option it stands for (--output).
    StringRef Spelling = (A->getAlias() ? A->getAlias() : A)->getSpelling();
    StringRef Token = List.getArgString(A->getIndex());
    if (Spelling.size() != 2 || Spelling[0] != '-' ||
        !Token.substr(2).starts_with("="))
      continue;
    StringRef Value = Token.drop_front(3);
    return Fail(Token + " would mean the value '" + Token.drop_front(2) +
                "'; write " + Spelling + " " + Value + " or " +
                A->getOption().getPrefixedName() + "=" + Value);
  }
  return std::move(List);
}

Error badValue(StringRef Command, const Arg &A, const Twine &What) {
  return createStringError(
      std::errc::invalid_argument, "%s: %s %s", Command.str().c_str(),
      A.getOption().getPrefixedName().rtrim('=').str().c_str(),
      What.str().c_str());
}

} // namespace pyox
