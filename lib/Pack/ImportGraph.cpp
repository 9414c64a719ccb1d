//===- ImportGraph.cpp ----------------------------------------------------===//
//
// Three parts: a reader for the marshal stream (Python/marshal.c, version
// 4) that keeps only what the scan needs (strings, tuples, code objects);
// the bytecode scan (CPython 3.11's Include/opcode.h and
// Objects/exception_handling_notes.txt); the closure over collected files.
//
//===----------------------------------------------------------------------===//

#include "Pack/ImportGraph.h"

#include "pyox/format.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <algorithm>
#include <cstring>

#include <deque>
#include <map>

using namespace llvm;

namespace pyox {

// Found by running a program in the runtime and printing sorted(sys.modules)
// at its first line (test/pack/imports-startup.test checks this list against
// a packed program): what CPython's start-up imports, plus what the pyox
// runtime imports from C (traceback, for errors it prints). encodings is
// taken whole besides (Selection.cpp): codecs are imported by name.
const char *const StartupModules[] = {"abc",
                                      "codecs",
                                      "collections",
                                      "contextlib",
                                      "encodings",
                                      "functools",
                                      "genericpath",
                                      "importlib",
                                      "importlib._abc",
                                      "importlib.machinery",
                                      "importlib.util",
                                      "io",
                                      "keyword",
                                      "linecache",
                                      "operator",
                                      "os",
                                      "posixpath",
                                      "reprlib",
                                      "runpy",
                                      "site",
                                      "stat",
                                      "traceback",
                                      "types",
                                      "warnings",
                                      "zipimport",
                                      "_collections_abc",
                                      "_sitebuiltins",
                                      nullptr};

bool isBuiltinModule(StringRef Name) {
  if (Name.starts_with("_frozen_importlib") || Name == "__main__")
    return true;
  for (const struct _inittab *P = PyImport_Inittab; P && P->name; ++P)
    if (Name == P->name)
      return true;
  return false;
}

bool isDottedName(StringRef S) {
  if (S.empty())
    return false;
  SmallVector<StringRef, 8> Parts;
  S.split(Parts, '.');
  return all_of(Parts, [](StringRef P) {
    return !P.empty() && !isDigit(P[0]) && all_of(P, [](char C) {
      return isAlnum(C) || C == '_' || uint8_t(C) >= 0x80;
    });
  });
}

namespace {

//===-- Marshal reader ----------------------------------------------------===//

struct Obj {
  enum KindT : uint8_t { Other, None, Str, Bytes, Int, Tuple, Code };
  KindT Kind = Other;
  Obj() = default;
  explicit Obj(KindT K) : Kind(K) {}
  std::string Text;               // Str, Bytes
  int64_t Value = 0;              // small Int
  std::vector<const Obj *> Items; // Tuple
  // Code
  const Obj *CodeBytes = nullptr, *Consts = nullptr, *Names = nullptr,
            *ExcTable = nullptr, *CodeName = nullptr;
};

class MarshalReader {
public:
  explicit MarshalReader(StringRef Data) : Data(Data) {}

  Expected<const Obj *> read() {
    const Obj *O = nullptr;
    if (Error E = object(0, O))
      return std::move(E);
    return O;
  }

private:
  StringRef Data;
  size_t Pos = 0;
  std::deque<Obj> Arena;
  std::vector<const Obj *> Refs;
  Obj NoneObj{Obj::None};
  Obj OtherObj{Obj::Other};

  Error bad(const char *What) const {
    return createStringError(std::errc::illegal_byte_sequence,
                             "marshal data at offset %zu: %s", Pos, What);
  }
  Error take(size_t N, StringRef &Out) {
    if (Data.size() - Pos < N)
      return bad("truncated");
    Out = Data.substr(Pos, N);
    Pos += N;
    return Error::success();
  }
  Error i32(int32_t &V) {
    StringRef B;
    if (Error E = take(4, B))
      return E;
    uint32_t U = 0;
    for (int I = 3; I >= 0; --I)
      U = (U << 8) | uint8_t(B[I]);
    V = int32_t(U);
    return Error::success();
  }
  Error size32(size_t &N) {
    int32_t V;
    if (Error E = i32(V))
      return E;
    if (V < 0 || size_t(V) > Data.size())
      return bad("bad size");
    N = size_t(V);
    return Error::success();
  }
  Error items(unsigned Depth, size_t N, Obj &Into) {
    for (size_t I = 0; I < N; ++I) {
      const Obj *Item;
      if (Error E = object(Depth + 1, Item))
        return E;
      Into.Items.push_back(Item);
    }
    return Error::success();
  }

  Error object(unsigned Depth, const Obj *&Out) {
    if (Depth > 2000)
      return bad("nested too deeply");
    StringRef B;
    if (Error E = take(1, B))
      return E;
    uint8_t Code = uint8_t(B[0]), Type = Code & 0x7f;
    size_t RefIndex = SIZE_MAX;
    if (Code & 0x80) { // FLAG_REF: numbered at its type byte, as r_ref_reserve
      RefIndex = Refs.size();
      Refs.push_back(&OtherObj);
    }
    Obj &O = Arena.emplace_back();
    Out = &O;
    if (Error E = body(Depth, Type, O, Out))
      return E;
    if (RefIndex != SIZE_MAX)
      Refs[RefIndex] = Out;
    return Error::success();
  }

  Error body(unsigned Depth, uint8_t Type, Obj &O, const Obj *&Out) {
    StringRef B;
    switch (Type) {
    case '0':
    case 'N':
      Out = &NoneObj;
      return Error::success();
    case 'F':
    case 'T':
    case 'S':
    case '.':
      return Error::success();
    case 'i': {
      int32_t V;
      if (Error E = i32(V))
        return E;
      O.Kind = Obj::Int;
      O.Value = V;
      return Error::success();
    }
    case 'g':
      return take(8, B);
    case 'y':
      return take(16, B);
    case 'l': {
      int32_t N;
      if (Error E = i32(N))
        return E;
      if (N < -(1 << 28) || N > (1 << 28))
        return bad("bad long size");
      return take(size_t(N < 0 ? -int64_t(N) : N) * 2, B);
    }
    case 'f': {
      if (Error E = take(1, B))
        return E;
      return take(uint8_t(B[0]), B);
    }
    case 'x':
      for (int Part = 0; Part < 2; ++Part) {
        if (Error E = take(1, B))
          return E;
        if (Error E = take(uint8_t(B[0]), B))
          return E;
      }
      return Error::success();
    case 's':
    case 'u':
    case 't':
    case 'a':
    case 'A':
    case 'z':
    case 'Z': {
      size_t N;
      if (Type == 'z' || Type == 'Z') {
        if (Error E = take(1, B))
          return E;
        N = uint8_t(B[0]);
      } else if (Error E = size32(N)) {
        return E;
      }
      if (Error E = take(N, B))
        return E;
      O.Kind = Type == 's' ? Obj::Bytes : Obj::Str;
      O.Text = B.str();
      return Error::success();
    }
    case ')': {
      if (Error E = take(1, B))
        return E;
      O.Kind = Obj::Tuple;
      return items(Depth, uint8_t(B[0]), O);
    }
    case '(':
    case '[':
    case '<':
    case '>': {
      size_t N;
      if (Error E = size32(N))
        return E;
      O.Kind = Obj::Tuple; // lists and sets scan like tuples
      return items(Depth, N, O);
    }
    case '{':
      for (;;) {
        const Obj *Key, *Value;
        if (Error E = object(Depth + 1, Key))
          return E;
        if (Key == &NoneObj && Data[Pos - 1] == '0')
          return Error::success();
        if (Error E = object(Depth + 1, Value))
          return E;
      }
    case 'r': {
      int32_t Index;
      if (Error E = i32(Index))
        return E;
      if (Index < 0 || size_t(Index) >= Refs.size())
        return bad("reference to an object not yet read");
      Out = Refs[size_t(Index)];
      return Error::success();
    }
    case 'c': {
      // 3.11 TYPE_CODE: five ints; code, consts, names, localsplusnames,
      // localspluskinds, filename, name, qualname; firstlineno; linetable,
      // exceptiontable (as Marshal.cpp).
      if (Error E = take(5 * 4, B))
        return E;
      const Obj *Fields[8];
      for (const Obj *&F : Fields)
        if (Error E = object(Depth + 1, F))
          return E;
      if (Error E = take(4, B))
        return E;
      const Obj *LineTable;
      if (Error E = object(Depth + 1, LineTable))
        return E;
      if (Error E = object(Depth + 1, O.ExcTable))
        return E;
      O.Kind = Obj::Code;
      O.CodeBytes = Fields[0];
      O.Consts = Fields[1];
      O.Names = Fields[2];
      O.CodeName = Fields[6];
      return Error::success();
    }
    default:
      return bad("unknown type code");
    }
  }
};

//===-- Bytecode scan -----------------------------------------------------===//

// CPython 3.11 Include/opcode.h.
enum : uint8_t {
  OpCache = 0,
  OpLoadConst = 100,
  OpLoadName = 101,
  OpLoadAttr = 106,
  OpCompareOp = 107,
  OpImportName = 108,
  OpPopJumpForwardIfFalse = 114,
  OpLoadGlobal = 116,
  OpExtendedArg = 144,
  OpLoadMethod = 160,
};

// The ranges of an exception table (Objects/exception_handling_notes.txt):
// entries of varints (6 bits a byte, 0x40 = more follows, 0x80 marks an
// entry's first byte): start, length, target, depth_lasti, in code units.
std::vector<std::pair<uint32_t, uint32_t>> tryRanges(StringRef Table) {
  std::vector<std::pair<uint32_t, uint32_t>> Out;
  size_t P = 0;
  auto Varint = [&](uint32_t &V) {
    if (P >= Table.size())
      return false;
    uint8_t B = uint8_t(Table[P++]);
    V = B & 63;
    while (B & 64) {
      if (P >= Table.size())
        return false;
      B = uint8_t(Table[P++]);
      V = (V << 6) | (B & 63);
    }
    return true;
  };
  while (P < Table.size()) {
    uint32_t Start, Length, Target, Depth;
    if (!Varint(Start) || !Varint(Length) || !Varint(Target) || !Varint(Depth))
      break;
    Out.push_back({Start, Start + Length});
  }
  return Out;
}

class Scanner {
public:
  ModuleScan Result;
  StringSet<> NamesSeen;

  void code(const Obj &C, unsigned Depth = 0, bool InScript = false) {
    if (Depth > 200 || !C.CodeBytes || C.CodeBytes->Kind != Obj::Bytes)
      return;
    // A module's own main()/_test(): what its `if __name__ == "__main__"`
    // block runs, by the standard library's convention.
    if (Depth == 1 && C.CodeName &&
        is_contained({"main", "_main", "_test", "test", "_demo"},
                     C.CodeName->Text))
      InScript = true;
    auto Const = [&](uint32_t I) -> const Obj * {
      if (!C.Consts || I >= C.Consts->Items.size())
        return nullptr;
      return C.Consts->Items[I];
    };
    auto Name = [&](uint32_t I) -> StringRef {
      if (!C.Names || I >= C.Names->Items.size() ||
          C.Names->Items[I]->Kind != Obj::Str)
        return "";
      return C.Names->Items[I]->Text;
    };
    if (C.Names)
      for (const Obj *N : C.Names->Items)
        if (N->Kind == Obj::Str && NamesSeen.insert(N->Text).second)
          Result.Names.push_back(N->Text);
    auto Ranges = tryRanges(C.ExcTable && C.ExcTable->Kind == Obj::Bytes
                                ? StringRef(C.ExcTable->Text)
                                : StringRef());
    auto InTry = [&](uint32_t Unit) {
      return any_of(Ranges,
                    [&](auto R) { return Unit >= R.first && Unit < R.second; });
    };
    // The last three instructions (opcode, argument), caches skipped.
    struct Insn {
      uint8_t Op = OpCache;
      uint32_t Arg = 0;
    } Last[3];
    StringRef Bytes = C.CodeBytes->Text;
    uint32_t Ext = 0;
    // `if __name__ == "__main__":` at module level: code for running the
    // module as a script, never run when it is imported.
    uint32_t MainFrom = 0, MainTo = 0;
    for (size_t I = 0; I + 1 < Bytes.size(); I += 2) {
      uint8_t Op = uint8_t(Bytes[I]);
      uint32_t Arg = Ext | uint8_t(Bytes[I + 1]);
      if (Op == OpCache)
        continue;
      if (Op == OpExtendedArg) {
        Ext = Arg << 8;
        continue;
      }
      Ext = 0;
      uint32_t Unit = uint32_t(I / 2);
      if (Depth == 0 && Op == OpPopJumpForwardIfFalse &&
          Last[0].Op == OpCompareOp && Last[0].Arg == 2 /* == */ &&
          Last[1].Op == OpLoadConst && Last[2].Op == OpLoadName &&
          Name(Last[2].Arg) == "__name__" && Const(Last[1].Arg) &&
          Const(Last[1].Arg)->Text == "__main__") {
        MainFrom = Unit + 1;
        MainTo = Unit + 1 + Arg;
      }
      if (Unit >= MainFrom && Unit < MainTo) {
        Last[2] = Last[1];
        Last[1] = Last[0];
        Last[0] = {Op, Arg};
        continue;
      }
      if (Op == OpImportName && Last[0].Op == OpLoadConst &&
          Last[1].Op == OpLoadConst) {
        const Obj *Level = Const(Last[1].Arg), *From = Const(Last[0].Arg);
        ImportSite S;
        S.Name = Name(Arg).str();
        S.Level = Level && Level->Kind == Obj::Int && Level->Value > 0
                      ? uint32_t(Level->Value)
                      : 0;
        if (From && From->Kind == Obj::Tuple)
          for (const Obj *F : From->Items)
            if (F->Kind == Obj::Str)
              S.FromList.push_back(F->Text);
        S.InTry = InTry(Unit);
        S.InScriptMain = InScript;
        Result.Imports.push_back(std::move(S));
      } else if (Op == OpLoadConst) {
        // import_module("x") / __import__("x"): the name is the first
        // argument, loaded right after the callable.
        const Obj *K = Const(Arg);
        bool AfterImporter = false;
        if (Last[0].Op == OpLoadName || Last[0].Op == OpLoadAttr ||
            Last[0].Op == OpLoadMethod || Last[0].Op == OpLoadGlobal) {
          StringRef Callee =
              Name(Last[0].Op == OpLoadGlobal ? Last[0].Arg >> 1 : Last[0].Arg);
          AfterImporter = Callee == "import_module" || Callee == "__import__";
        }
        if (AfterImporter && K && K->Kind == Obj::Str) {
          StringRef Text = K->Text;
          ImportSite S;
          S.Level = uint32_t(Text.size() - Text.ltrim('.').size());
          S.Name = Text.ltrim('.').str();
          S.How = ImportSite::Dynamic;
          S.InTry = InTry(Unit);
          if (isDottedName(S.Name) || (S.Level && S.Name.empty()))
            Result.Imports.push_back(std::move(S));
        }
      }
      Last[2] = Last[1];
      Last[1] = Last[0];
      Last[0] = {Op, Arg};
    }
    if (C.Consts)
      constants(*C.Consts, Depth, InScript);
  }

  // Nested code objects, and dotted strings for plugin tables.
  void constants(const Obj &Tuple, unsigned Depth, bool InScript) {
    for (const Obj *K : Tuple.Items) {
      if (K->Kind == Obj::Code)
        code(*K, Depth + 1, InScript);
      else if (K->Kind == Obj::Tuple && Depth < 200)
        constants(*K, Depth, InScript);
      else if (K->Kind == Obj::Str && StringRef(K->Text).contains('.') &&
               K->Text.size() < 200 && isDottedName(K->Text)) {
        ImportSite S;
        S.Name = K->Text;
        S.How = ImportSite::Table;
        Result.Imports.push_back(std::move(S));
      }
    }
  }
};

} // namespace

Expected<ModuleScan> scanImports(StringRef Marshal) {
  MarshalReader R(Marshal);
  Expected<const Obj *> Top = R.read();
  if (!Top)
    return Top.takeError();
  Scanner S;
  if ((*Top)->Kind == Obj::Code)
    S.code(**Top);
  return std::move(S.Result);
}

//===-- The closure -------------------------------------------------------===//

namespace {

// Imports made from C or computed at run time that the bytecode does not
// show: (trigger, module). A trigger is a module name, or "attr:NAME" for a
// name the code uses. The module may be a pattern: "pkg.*" is pkg and all
// its submodules (plugins found by a name made at run time), "prefix*"
// every module whose name starts with prefix.
const std::pair<const char *, const char *> HiddenImports[] = {
    {"attr:strptime", "_strptime"},
    {"_datetime", "_strptime"},
    {"_decimal", "numbers"},
    {"_decimal", "contextvars"},
    {"_decimal", "collections"},
    {"_pickle", "copyreg"},
    {"_pickle", "_compat_pickle"},
    {"_elementtree", "xml.etree.ElementPath"},
    {"_elementtree", "pyexpat"},
    {"_ssl", "ssl"},
    // The runtime's resource reader and distribution finder
    // (runtime/lib/ResourceGlue.cpp) run inside these.
    {"importlib.resources", "importlib.resources.abc"},
    {"importlib.resources", "pathlib"},
    {"importlib.metadata", "importlib.resources.abc"},
    {"importlib.metadata", "pathlib"},
    {"pkg_resources", "importlib.resources.abc"},
    {"pkg_resources", "pathlib"},
    // sysconfig imports _sysconfigdata_{abiflags}_{platform}_{multiarch}
    // (Debian's: without the platform).
    {"sysconfig", "_sysconfigdata_*"},
    // pygments finds lexers, styles and formatters by name from its tables.
    {"pygments.lexers", "pygments.lexers.*"},
    {"pygments.styles", "pygments.styles.*"},
    {"pygments.formatters", "pygments.formatters.*"},
};

// Imports that only an interactive session makes (the REPL's completion,
// help()); a program with an entry point has none. `--package pydoc`
// brings help() back.
const std::pair<const char *, const char *> InteractiveOnly[] = {
    {"_sitebuiltins", "pydoc"},
    {"site", "rlcompleter"},
    {"site", "readline"},
    // PathFinder.find_distributions, which only importlib.metadata calls.
    {"importlib._bootstrap_external", "importlib.metadata"},
};

// Imports made inside a package that its users do not need, as
// PyInstaller's hooks leave them out (`excludedimports`): (importer,
// module), each a package prefix. Not followed from a module of the
// importer's package unless that module is itself inside the excluded one;
// an import from anywhere else (the app) still takes it.
const std::pair<const char *, const char *> ExcludedImports[] = {
    // numpy.ctypeslib.load_library asks numpy.distutils for the extension
    // of shared libraries, which brings setuptools, pkg_resources and
    // distutils (numpy's f2py and test runner are build-time tools).
    {"numpy", "numpy.distutils"}, {"numpy", "numpy.f2py"},
    {"numpy", "distutils"},       {"numpy", "setuptools"},
    {"numpy", "pytest"},
};

// Vendoring importers: an import of the first name's submodule X is an
// import of the second's X (pkg_resources.extern's VendorImporter; it
// falls back to the top-level X, which the app can bring itself).
const std::pair<const char *, const char *> VendoredPackages[] = {
    {"pkg_resources.extern", "pkg_resources._vendor"},
    {"setuptools.extern", "setuptools._vendor"},
};

// six.moves.NAME is a lazy alias of a standard module (six.py's
// _moved_attributes); imports through it reach the standard module.
const std::pair<const char *, const char *> SixMoves[] = {
    {"builtins", "builtins"},
    {"configparser", "configparser"},
    {"copyreg", "copyreg"},
    {"cPickle", "pickle"},
    {"collections_abc", "collections.abc"},
    {"email_mime_base", "email.mime.base"},
    {"email_mime_image", "email.mime.image"},
    {"email_mime_multipart", "email.mime.multipart"},
    {"email_mime_nonmultipart", "email.mime.nonmultipart"},
    {"email_mime_text", "email.mime.text"},
    {"html_entities", "html.entities"},
    {"html_parser", "html.parser"},
    {"http_client", "http.client"},
    {"http_cookiejar", "http.cookiejar"},
    {"http_cookies", "http.cookies"},
    {"queue", "queue"},
    {"reprlib", "reprlib"},
    {"socketserver", "socketserver"},
    {"_thread", "_thread"},
    {"urllib", "urllib.parse"},
    {"urllib.error", "urllib.error"},
    {"urllib.parse", "urllib.parse"},
    {"urllib.request", "urllib.request"},
    {"urllib.response", "urllib.response"},
    {"urllib.robotparser", "urllib.robotparser"},
    {"urllib_error", "urllib.error"},
    {"urllib_parse", "urllib.parse"},
    {"urllib_request", "urllib.request"},
    {"urllib_response", "urllib.response"},
    {"urllib_robotparser", "urllib.robotparser"},
    {"xmlrpc_client", "xmlrpc.client"},
    {"xmlrpc_server", "xmlrpc.server"},
};

// Whether module Name is Package or inside it.
bool inPackage(StringRef Name, StringRef Package) {
  return Name.consume_front(Package) && (Name.empty() || Name[0] == '.');
}

// Whether the analysis does not follow Importer's import of Target: an
// entry of ExcludedImports applies, and Importer is not itself inside one
// of the modules excluded for its package (taken because the app wants it).
bool excludedImport(StringRef Importer, StringRef Target) {
  auto Applies = [&](auto &E) {
    return inPackage(Importer, E.first) && inPackage(Target, E.second);
  };
  auto Inside = [&](auto &E) {
    return inPackage(Importer, E.first) && inPackage(Importer, E.second);
  };
  return any_of(ExcludedImports, Applies) && none_of(ExcludedImports, Inside);
}

class Closure {
public:
  Closure(ArrayRef<CollectedFile> Files, const ImportGraphConfig &Config)
      : Files(Files), Config(Config) {
    Out.Keep.assign(Files.size(), false);
    Out.Why.assign(Files.size(), "");
    for (size_t I = 0; I < Files.size(); ++I) {
      const CollectedFile &F = Files[I];
      if (pyox_kind_group(F.Kind) == PYOX_GROUP_MODULE)
        ModuleIndex.try_emplace(F.Name, I);
      // A regular package's directory, for its data files. Directories
      // with identifier names and no __init__.py (namespace packages to
      // the finder) are data directories of the package above them.
      if (F.Kind == PYOX_KIND_PACKAGE)
        PackageOfDir[StringRef(F.Path).rsplit('/').first.str()] = F.Name;
    }
    // Every other file belongs to the package of its nearest directory
    // that is one (data-only directories go with their package).
    for (size_t I = 0; I < Files.size(); ++I) {
      const CollectedFile &F = Files[I];
      bool Companion = F.Kind == PYOX_KIND_RESOURCE ||
                       F.Kind == PYOX_KIND_EXTENSION ||
                       F.Kind == PYOX_KIND_NAMESPACE;
      if (!Companion)
        continue;
      StringRef Dir = StringRef(F.Path).rsplit('/').first;
      while (Dir != F.Path && !Dir.empty()) {
        auto It = PackageOfDir.find(Dir.str());
        if (It != PackageOfDir.end()) {
          Companions[It->second].push_back(I);
          break;
        }
        if (!Dir.contains('/'))
          break;
        Dir = Dir.rsplit('/').first;
      }
    }
  }

  Expected<ImportGraph> run() {
    for (auto &[Name, Why] : Config.WholePackages)
      takeWhole(Name, Why);
    for (auto &[Name, Why] : Config.Roots)
      require(Name, Why, "", false, false);
    while (!Pending.empty()) {
      std::vector<size_t> Round = std::move(Pending);
      Pending.clear();
      auto Code = Config.Compile(Round);
      if (!Code)
        return Code.takeError();
      for (size_t K = 0; K < Round.size(); ++K) {
        auto Scan = scanImports((*Code)[K]);
        if (!Scan)
          return createStringError(std::errc::illegal_byte_sequence, "%s: %s",
                                   Files[Round[K]].File.c_str(),
                                   toString(Scan.takeError()).c_str());
        follow(Round[K], *Scan);
      }
    }
    takeMetadata();
    for (auto &[Name, U] : Unresolved)
      Out.Unresolved.push_back(U);
    return std::move(Out);
  }

private:
  ArrayRef<CollectedFile> Files;
  const ImportGraphConfig &Config;
  ImportGraph Out;
  StringMap<size_t> ModuleIndex;
  std::map<std::string, std::string> PackageOfDir;
  std::map<std::string, std::vector<size_t>> Companions;
  std::vector<size_t> Pending; // taken modules not yet scanned
  StringSet<> HiddenDone;
  std::map<std::string, UnresolvedImport> Unresolved;

  bool fromStdlib(size_t I) const {
    return I < Config.FromStdlib.size() && Config.FromStdlib[I];
  }

  void keep(size_t I, const std::string &Why) {
    if (Out.Keep[I])
      return;
    Out.Keep[I] = true;
    Out.Why[I] = Why;
    const CollectedFile &F = Files[I];
    if (F.Kind == PYOX_KIND_MODULE || F.Kind == PYOX_KIND_PACKAGE)
      Pending.push_back(I);
    auto C = Companions.find(F.Name);
    if (C != Companions.end())
      for (size_t J : C->second)
        keep(J, pyox_kind_group(Files[J].Kind) == PYOX_GROUP_MODULE
                    ? "extension module of package " + F.Name
                    : "data of package " + F.Name);
    hidden(F.Name);
  }

  void hidden(StringRef Trigger) {
    for (auto &[From, To] : HiddenImports) {
      if (Trigger != From)
        continue;
      std::string Why = ("hidden import of " + Trigger).str();
      StringRef Target = To;
      if (Target.consume_back(".*"))
        takeWhole(Target, Why);
      else if (Target.consume_back("*"))
        takeMatching(Target, Why);
      else
        require(Target, Why, "", true, true);
    }
  }

  // Takes module Name (and its parents). Returns whether it resolved.
  bool require(StringRef Name, const std::string &Why, StringRef Importer,
               bool InTry, bool Quiet) {
    // six.moves.X is six's lazy alias of a standard module.
    if (Name.starts_with("six.moves.")) {
      StringRef Rest = Name.drop_front(strlen("six.moves."));
      require("six.moves", Why, Importer, InTry, Quiet);
      for (auto &[Move, Target] : SixMoves)
        if (Rest == Move || Rest.starts_with((Twine(Move) + ".").str()))
          return require(Target, Why, Importer, InTry, Quiet);
      return true;
    }
    for (auto &[Alias, Vendored] : VendoredPackages) {
      StringRef Rest = Name;
      if (Rest.consume_front(Alias) && Rest.consume_front(".")) {
        require(Alias, Why, Importer, InTry, Quiet);
        return require((Twine(Vendored) + "." + Rest).str(), Why, Importer,
                       InTry, Quiet);
      }
    }
    // Parents first: importing a.b.c runs a and a.b.
    SmallVector<StringRef, 8> Parts;
    Name.split(Parts, '.');
    std::string Prefix;
    for (size_t P = 0; P < Parts.size(); ++P) {
      if (!Prefix.empty())
        Prefix += '.';
      Prefix += Parts[P].str();
      if (P == 0 && isBuiltinModule(Prefix))
        return true;
      auto It = ModuleIndex.find(Prefix);
      if (It == ModuleIndex.end()) {
        if (!Quiet)
          unresolved(Prefix, Importer, InTry);
        return false;
      }
      keep(It->second, P + 1 == Parts.size() ? Why : "parent of " + Name.str());
      // A module that is not a package makes the rest attributes (os.path,
      // six.moves).
      uint8_t Kind = Files[It->second].Kind;
      if (Kind == PYOX_KIND_MODULE || Kind == PYOX_KIND_EXTENSION)
        return true;
    }
    return true;
  }

  void unresolved(StringRef Name, StringRef Importer, bool InTry) {
    auto [It, New] = Unresolved.try_emplace(Name.str());
    UnresolvedImport &U = It->second;
    bool Stdlib = false;
    auto Imp = ModuleIndex.find(Importer);
    if (Imp != ModuleIndex.end())
      Stdlib = fromStdlib(Imp->second);
    if (New) {
      U.Module = Name.str();
      U.Importer = Importer.str();
      U.InTry = InTry;
      U.FromStdlib = Stdlib;
    } else {
      U.InTry = U.InTry && InTry;
      U.FromStdlib = U.FromStdlib && Stdlib;
    }
    ++U.Importers;
  }

  // Package Top and every module below it (with their parents).
  void takeWhole(StringRef Top, const std::string &Why) {
    if (!require(Top, Why, "", true, true))
      return;
    takeMatching((Top + ".").str(), Why);
  }

  // Every module whose name starts with Prefix (with their parents).
  void takeMatching(StringRef Prefix, const std::string &Why) {
    for (size_t I = 0; I < Files.size(); ++I) {
      const CollectedFile &F = Files[I];
      if (pyox_kind_group(F.Kind) == PYOX_GROUP_MODULE &&
          StringRef(F.Name).starts_with(Prefix))
        require(F.Name, Why, "", true, true);
    }
  }

  void follow(size_t I, const ModuleScan &Scan) {
    const CollectedFile &F = Files[I];
    StringRef Self = F.Name;
    // The package relative imports start from (PEP 328, __package__).
    StringRef Package =
        F.Kind == PYOX_KIND_PACKAGE ? Self : Self.rsplit('.').first;
    if (F.Kind != PYOX_KIND_PACKAGE && !Self.contains('.'))
      Package = "";
    for (const std::string &N : Scan.Names)
      hidden(("attr:" + N));
    StringRef Top = Self.split('.').first;
    for (const ImportSite &S : Scan.Imports) {
      std::string Target = S.Name;
      if (S.Level > 0) {
        StringRef Base = Package;
        bool Ok = !Base.empty();
        for (uint32_t L = 1; L < S.Level && Ok; ++L) {
          if (!Base.contains('.'))
            Ok = false;
          else
            Base = Base.rsplit('.').first;
        }
        if (!Ok)
          continue; // beyond the top-level package: fails at run time too
        Target = S.Name.empty() ? Base.str() : (Base + "." + S.Name).str();
      }
      if (S.How == ImportSite::Table) {
        // Only a module of the importer's own top-level package, and only
        // if it exists: a guess, never reported.
        if (StringRef(Target).split('.').first == Top &&
            ModuleIndex.count(Target) && Target != Self)
          require(Target, "named in " + Self.str(), Self, true, true);
        continue;
      }
      if (any_of(InteractiveOnly, [&](auto &E) {
            return Self == E.first && Target == E.second;
          }))
        continue;
      if (S.InScriptMain && fromStdlib(I))
        continue;
      if (excludedImport(Self, Target))
        continue;
      std::string Why = (S.How == ImportSite::Dynamic ? "import_module in "
                                                      : "imported by ") +
                        Self.str();
      if (!require(Target, Why, Self, S.InTry, false))
        continue;
      // `from p import x`: x is a submodule when p.x is a module (or an
      // alias six.moves knows).
      bool Alias = StringRef(Target).starts_with("six.moves") ||
                   any_of(VendoredPackages,
                          [&](auto &E) { return inPackage(Target, E.first); });
      for (const std::string &Name : S.FromList)
        if (Name != "*" && (Alias || ModuleIndex.count(Target + "." + Name)))
          require(Target + "." + Name, Why, Self, S.InTry, true);
    }
  }

  // A distribution's metadata comes along when it provides a taken module
  // (so importlib.metadata finds it); NAME.libs with its package or with
  // taken metadata that lists it.
  void takeMetadata() {
    std::map<std::string, std::vector<size_t>> ByDir;
    for (size_t I = 0; I < Files.size(); ++I)
      if (Files[I].Kind == PYOX_KIND_METADATA ||
          (Files[I].Kind == PYOX_KIND_RESOURCE &&
           StringRef(Files[I].Path).split('/').first.ends_with(".libs")))
        ByDir[StringRef(Files[I].Path).split('/').first.str()].push_back(I);
    StringSet<> TakenTop;
    for (size_t I = 0; I < Files.size(); ++I)
      if (Out.Keep[I] && pyox_kind_group(Files[I].Kind) == PYOX_GROUP_MODULE)
        TakenTop.insert(StringRef(Files[I].Name).split('.').first);
    std::vector<std::string> KeptRecords;
    for (auto &[Dir, Members] : ByDir) {
      if (StringRef(Dir).ends_with(".libs"))
        continue;
      std::string Provides;
      for (size_t I : Members) {
        StringRef Base = StringRef(Files[I].Path).rsplit('/').second;
        if (Base != "top_level.txt" && Base != "RECORD" &&
            Base != "installed-files.txt")
          continue;
        auto Buf = MemoryBuffer::getFile(Files[I].File);
        if (!Buf)
          continue;
        SmallVector<StringRef, 64> Lines;
        (*Buf)->getBuffer().split(Lines, '\n');
        for (StringRef L : Lines) {
          L = L.trim();
          if (Base == "installed-files.txt")
            L.consume_front("../");
          StringRef First = L.split(',').first.split('/').first;
          StringRef Mod = First;
          if (Mod.ends_with(".py"))
            Mod = Mod.drop_back(3);
          else if (std::string Ext = extensionModuleName(Mod); !Ext.empty())
            Mod = First.split('.').first;
          if (!Mod.empty() && TakenTop.contains(Mod) && Provides.empty())
            Provides = Mod.str();
        }
        if (Base == "RECORD" && !Provides.empty())
          KeptRecords.push_back(Files[I].File);
      }
      if (Provides.empty()) {
        // No listing: the distribution's name, normalised, as the module.
        std::string Dist = StringRef(Dir).split('-').first.lower();
        std::replace(Dist.begin(), Dist.end(), '-', '_');
        std::replace(Dist.begin(), Dist.end(), '.', '_');
        if (TakenTop.contains(Dist))
          Provides = Dist;
      }
      if (Provides.empty())
        continue;
      for (size_t I : Members)
        keep(I, "metadata of the distribution providing " + Provides);
    }
    for (auto &[Dir, Members] : ByDir) {
      if (!StringRef(Dir).ends_with(".libs"))
        continue;
      bool Take = TakenTop.contains(StringRef(Dir).drop_back(5));
      for (const std::string &Record : KeptRecords) {
        auto Buf = MemoryBuffer::getFile(Record);
        if (Buf && (*Buf)->getBuffer().contains("\n" + Dir + "/"))
          Take = true;
      }
      if (Take)
        for (size_t I : Members)
          keep(I, "libraries bundled with " + Dir);
    }
  }
};

} // namespace

Expected<ImportGraph> buildImportGraph(ArrayRef<CollectedFile> Files,
                                       const ImportGraphConfig &Config) {
  return Closure(Files, Config).run();
}

} // namespace pyox
