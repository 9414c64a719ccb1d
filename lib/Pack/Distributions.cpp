//===- Distributions.cpp --------------------------------------------------===//

#include "Pack/Distributions.h"

#include "Pack/Collector.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <Python.h>

using namespace llvm;

namespace pyox {

std::string normalizeDistributionName(StringRef Name) {
  std::string Out;
  bool Sep = false;
  for (char C : Name.trim()) {
    if (C == '-' || C == '_' || C == '.') {
      Sep = true;
      continue;
    }
    if (Sep && !Out.empty())
      Out += '-';
    Sep = false;
    Out += toLower(C);
  }
  return Out;
}

static std::string readText(const Twine &File) {
  auto Buf = MemoryBuffer::getFile(File, /*IsText=*/true);
  return Buf ? (*Buf)->getBuffer().str() : std::string();
}

static std::vector<StringRef> lines(StringRef Text) {
  SmallVector<StringRef, 64> L;
  Text.split(L, '\n');
  std::vector<StringRef> Out;
  for (StringRef S : L)
    Out.push_back(S.trim());
  return Out;
}

// The top-level module an installed path provides ("six.py" -> "six",
// "yaml/__init__.py" -> "yaml"), or "".
static std::string topLevelOf(StringRef Path) {
  if (Path.starts_with("/") || Path.starts_with(".."))
    return "";
  StringRef First = Path.split('/').first;
  if (Path.contains('/')) {
    if (First.contains('.') || First == "__pycache__")
      return ""; // NAME.dist-info, NAME.libs, bin...
    return First.str();
  }
  if (First.ends_with(".py"))
    return First.drop_back(3).str();
  return extensionModuleName(First);
}

std::vector<Distribution> findDistributions(ArrayRef<std::string> Roots) {
  std::vector<Distribution> Out;
  StringSet<> Seen;
  for (const std::string &Root : Roots) {
    std::error_code EC;
    std::vector<std::string> Dirs;
    for (sys::fs::directory_iterator It(Root, EC), End; It != End && !EC;
         It.increment(EC)) {
      StringRef Base = sys::path::filename(It->path());
      if (Base.ends_with(".dist-info") || Base.ends_with(".egg-info"))
        Dirs.push_back(It->path());
    }
    llvm::sort(Dirs);
    for (const std::string &Dir : Dirs) {
      Distribution D;
      StringRef Base = sys::path::filename(Dir);
      D.Name = Base.rsplit('.').first.split('-').first.str();
      D.MetadataDir = Dir;
      if (!Seen.insert(normalizeDistributionName(D.Name)).second)
        continue;
      StringSet<> Tops;
      auto Add = [&](const std::string &T) {
        if (!T.empty() && Tops.insert(T).second)
          D.TopLevel.push_back(T);
      };
      std::string TopLevel = readText(Dir + "/top_level.txt");
      for (StringRef L : lines(TopLevel))
        if (!L.empty())
          Add(L.split('/').first.str());
      if (D.TopLevel.empty()) {
        std::string Record = readText(Dir + "/RECORD");
        for (StringRef L : lines(Record))
          Add(topLevelOf(L.split(',').first));
        std::string Installed = readText(Dir + "/installed-files.txt");
        for (StringRef L : lines(Installed))
          if (L.consume_front("../"))
            Add(topLevelOf(L));
      }
      Out.push_back(std::move(D));
    }
  }
  return Out;
}

std::pair<std::string, std::vector<std::string>>
parseRequirementName(StringRef Req) {
  Req = Req.trim();
  size_t End = 0;
  while (End < Req.size() && (isAlnum(Req[End]) || Req[End] == '-' ||
                              Req[End] == '_' || Req[End] == '.'))
    ++End;
  std::pair<std::string, std::vector<std::string>> Out;
  Out.first = Req.substr(0, End).str();
  StringRef Rest = Req.drop_front(End).ltrim();
  if (Rest.consume_front("[")) {
    SmallVector<StringRef, 4> Extras;
    Rest.split(']').first.split(Extras, ',');
    for (StringRef E : Extras)
      if (!E.trim().empty())
        Out.second.push_back(normalizeDistributionName(E));
  }
  return Out;
}

//===-- PEP 508 markers ---------------------------------------------------===//

namespace {

// The target: what the embedded interpreter reports on Linux x86-64.
std::string markerVariable(StringRef Name, StringRef Extra) {
  if (Name == "python_version")
    return std::to_string(PY_MAJOR_VERSION) + "." +
           std::to_string(PY_MINOR_VERSION);
  if (Name == "python_full_version" || Name == "implementation_version")
    return PY_VERSION;
  if (Name == "os_name")
    return "posix";
  if (Name == "sys_platform")
    return "linux";
  if (Name == "platform_system")
    return "Linux";
  if (Name == "platform_machine")
    return "x86_64";
  if (Name == "platform_python_implementation")
    return "CPython";
  if (Name == "implementation_name")
    return "cpython";
  if (Name == "extra")
    return normalizeDistributionName(Extra);
  return ""; // platform_release, platform_version: unknown for a target
}

// PEP 440 release segments compared numerically ("3.10" > "3.9"); a
// pre-release or local suffix is ignored, which markers never need.
int compareVersions(StringRef A, StringRef B) {
  SmallVector<StringRef, 4> PA, PB;
  A.split(PA, '.');
  B.split(PB, '.');
  for (size_t I = 0; I < std::max(PA.size(), PB.size()); ++I) {
    unsigned X = 0, Y = 0;
    if (I < PA.size())
      PA[I].take_while(isDigit).getAsInteger(10, X);
    if (I < PB.size())
      PB[I].take_while(isDigit).getAsInteger(10, Y);
    if (X != Y)
      return X < Y ? -1 : 1;
  }
  return 0;
}

class MarkerParser {
public:
  MarkerParser(StringRef Text, StringRef Extra) : Text(Text), Extra(Extra) {}

  Expected<bool> parse() {
    bool V = orExpr();
    skip();
    if (Problem.empty() && Pos != Text.size())
      Problem = "unexpected '" + Text.drop_front(Pos).str() + "'";
    if (!Problem.empty())
      return createStringError(std::errc::invalid_argument, "marker '%s': %s",
                               Text.str().c_str(), Problem.c_str());
    return V;
  }

private:
  StringRef Text, Extra;
  size_t Pos = 0;
  std::string Problem;

  void skip() {
    while (Pos < Text.size() && isSpace(Text[Pos]))
      ++Pos;
  }
  bool word(StringRef W) {
    skip();
    StringRef Rest = Text.drop_front(Pos);
    if (!Rest.starts_with(W))
      return false;
    if (Rest.size() > W.size() &&
        (isAlnum(Rest[W.size()]) || Rest[W.size()] == '_'))
      return false;
    Pos += W.size();
    return true;
  }
  bool orExpr() {
    bool V = andExpr();
    while (Problem.empty() && word("or"))
      V = andExpr() || V;
    return V;
  }
  bool andExpr() {
    bool V = atom();
    while (Problem.empty() && word("and"))
      V = atom() && V;
    return V;
  }
  std::string value(bool &IsVariable) {
    skip();
    IsVariable = false;
    if (Pos < Text.size() && (Text[Pos] == '"' || Text[Pos] == '\'')) {
      char Q = Text[Pos++];
      size_t End = Text.find(Q, Pos);
      if (End == StringRef::npos) {
        Problem = "unterminated string";
        return "";
      }
      std::string S = Text.substr(Pos, End - Pos).str();
      Pos = End + 1;
      return S;
    }
    size_t Start = Pos;
    while (Pos < Text.size() &&
           (isAlnum(Text[Pos]) || Text[Pos] == '_' || Text[Pos] == '.'))
      ++Pos;
    if (Start == Pos) {
      Problem = "expected a value at '" + Text.drop_front(Pos).str() + "'";
      return "";
    }
    IsVariable = true;
    return markerVariable(Text.substr(Start, Pos - Start), Extra);
  }
  bool atom() {
    skip();
    if (Pos < Text.size() && Text[Pos] == '(') {
      ++Pos;
      bool V = orExpr();
      skip();
      if (Pos >= Text.size() || Text[Pos] != ')') {
        Problem = "missing ')'";
        return false;
      }
      ++Pos;
      return V;
    }
    bool LVar, RVar;
    std::string L = value(LVar);
    skip();
    std::string Op;
    if (word("not")) {
      if (!word("in")) {
        Problem = "expected 'in' after 'not'";
        return false;
      }
      Op = "not in";
    } else if (word("in")) {
      Op = "in";
    } else {
      static const char *const Ops[] = {
          "===", "==", "!=", "<=", ">=", "~=", "<", ">"};
      for (const char *O : Ops)
        if (Text.drop_front(Pos).starts_with(O)) {
          Op = O;
          Pos += strlen(O);
          break;
        }
      if (Op.empty()) {
        Problem =
            "expected a comparison at '" + Text.drop_front(Pos).str() + "'";
        return false;
      }
    }
    std::string R = value(RVar);
    if (!Problem.empty())
      return false;
    // `extra == "Socks"` compares normalised names (PEP 685).
    if ((LVar && !RVar && StringRef(L) == markerVariable("extra", Extra)) ||
        (RVar && !LVar && StringRef(R) == markerVariable("extra", Extra))) {
      if (LVar)
        R = normalizeDistributionName(R);
      else
        L = normalizeDistributionName(L);
    }
    if (Op == "in")
      return StringRef(R).contains(L);
    if (Op == "not in")
      return !StringRef(R).contains(L);
    bool Versions = !L.empty() && !R.empty() && isDigit(L[0]) && isDigit(R[0]);
    int C = Versions ? compareVersions(L, R) : L.compare(R);
    if (Op == "==" || Op == "===")
      return C == 0;
    if (Op == "!=")
      return C != 0;
    if (Op == "<")
      return C < 0;
    if (Op == ">")
      return C > 0;
    if (Op == "<=")
      return C <= 0;
    if (Op == ">=")
      return C >= 0;
    // ~= V.N: >= V.N and == V.*
    StringRef Prefix = StringRef(R).rsplit('.').first;
    return C >= 0 && (Prefix == R ||
                      compareVersions(StringRef(L).substr(0, Prefix.size()),
                                      Prefix) == 0);
  }
};

} // namespace

Expected<bool> evaluateMarker(StringRef Marker, StringRef Extra) {
  return MarkerParser(Marker, Extra).parse();
}

Expected<std::vector<std::string>>
requirementsOf(const Distribution &D, ArrayRef<std::string> Extras) {
  std::vector<std::string> Out;
  // Each requirement applies with no extra or with one of those requested.
  std::vector<std::string> Contexts = {""};
  for (const std::string &E : Extras)
    Contexts.push_back(E);
  auto Applies = [&](StringRef Marker) -> Expected<bool> {
    Marker = Marker.trim();
    if (Marker.empty())
      return true;
    for (const std::string &C : Contexts) {
      Expected<bool> V = evaluateMarker(Marker, C);
      if (!V)
        return createStringError(std::errc::invalid_argument, "%s: %s",
                                 D.MetadataDir.c_str(),
                                 toString(V.takeError()).c_str());
      if (*V)
        return true;
    }
    return false;
  };
  std::string Metadata = readText(D.MetadataDir + "/METADATA");
  for (StringRef L : lines(Metadata)) {
    if (L.empty() && !Out.empty())
      break; // the headers end at the first blank line
    if (!L.consume_front("Requires-Dist:"))
      continue;
    auto [Req, Marker] = L.split(';');
    Expected<bool> Yes = Applies(Marker);
    if (!Yes)
      return Yes.takeError();
    if (*Yes)
      Out.push_back(Req.trim().str());
  }
  // requires.txt: unconditional lines, then [extra], [:marker] and
  // [extra:marker] sections.
  std::string Requires = readText(D.MetadataDir + "/requires.txt");
  bool Active = true;
  for (StringRef L : lines(Requires)) {
    if (L.empty() || L.starts_with("#"))
      continue;
    if (L.starts_with("[") && L.ends_with("]")) {
      auto [Extra, Marker] = L.drop_front().drop_back().split(':');
      std::string NE = normalizeDistributionName(Extra);
      bool ExtraOk = Extra.trim().empty() || is_contained(Extras, NE);
      Active = false;
      if (ExtraOk) {
        std::string Condition = Marker.str();
        Expected<bool> Yes = Applies(Condition);
        if (!Yes)
          return Yes.takeError();
        Active = *Yes;
      }
      continue;
    }
    if (Active)
      Out.push_back(L.split(';').first.trim().str());
  }
  return Out;
}

std::optional<std::string> consoleScript(const Distribution &D,
                                         StringRef Name) {
  std::string Text = readText(D.MetadataDir + "/entry_points.txt");
  bool InScripts = false;
  for (StringRef L : lines(Text)) {
    if (L.starts_with("[")) {
      InScripts = L == "[console_scripts]";
      continue;
    }
    if (!InScripts)
      continue;
    auto [Key, Value] = L.split('=');
    if (Key.trim() == Name && !Value.trim().empty())
      return Value.split('[').first.trim().str(); // "mod:func [extra]"
  }
  return std::nullopt;
}

} // namespace pyox
