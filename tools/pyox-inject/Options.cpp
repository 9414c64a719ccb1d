//===- Options.cpp --------------------------------------------------------===//

#include "Options.h"

using namespace llvm;

namespace pyox {

std::optional<std::string> ArgScanner::positional() {
  if (done())
    return std::nullopt;
  StringRef A = Args[Index];
  if (!OptionsEnded && A == "--") {
    OptionsEnded = true;
    ++Index;
    return positional();
  }
  if (!OptionsEnded && A.size() > 1 && A.starts_with("-"))
    return std::nullopt;
  ++Index;
  return A.str();
}

bool ArgScanner::flag(StringRef Name) {
  if (done() || OptionsEnded || StringRef(Args[Index]) != Name)
    return false;
  ++Index;
  return true;
}

bool ArgScanner::value(StringRef Name, std::string &Value) {
  if (done() || OptionsEnded)
    return false;
  StringRef A = Args[Index];
  if (A == Name) {
    if (Index + 1 >= Args.size()) {
      if (Problem.empty())
        Problem = ("option " + Name + " needs a value").str();
      ++Index;
      return false;
    }
    Value = Args[Index + 1];
    Index += 2;
    return true;
  }
  if (A.starts_with(Name)) {
    StringRef Rest = A.drop_front(Name.size());
    bool Short = Name.size() == 2 && !Name.starts_with("--");
    if (Rest.starts_with("=")) {
      Value = Rest.drop_front().str();
      ++Index;
      return true;
    }
    if (Short && !Rest.empty()) {
      Value = Rest.str();
      ++Index;
      return true;
    }
  }
  return false;
}

void ArgScanner::unknown() {
  if (done())
    return;
  if (Problem.empty()) {
    StringRef A = Args[Index];
    Problem = A.starts_with("-") ? ("unknown option " + A).str()
                                 : ("unexpected argument " + A).str();
  }
  ++Index;
}

Error ArgScanner::error(StringRef Command) const {
  if (Problem.empty())
    return Error::success();
  return createStringError(std::errc::invalid_argument, "%s: %s",
                           Command.str().c_str(), Problem.c_str());
}

} // namespace pyox
