//===- ImportGraph.cpp ----------------------------------------------------===//
//
// Three parts: a tree of what the scan needs of a marshal stream (strings,
// tuples, code objects), built as Marshal.h's MarshalWalker walks it; the
// bytecode scan (CPython 3.11's Include/opcode.h and
// Objects/exception_handling_notes.txt); the closure over collected files.
//
//===----------------------------------------------------------------------===//

#include "Pack/ImportGraph.h"

#include "Pack/Marshal.h"

#include "pyox/format.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Endian.h"
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
// at its first line (test/imports/startup.test checks this list against
// a packed program): what CPython's start-up imports, plus what the pyox
// runtime imports from C (traceback, for errors it prints). encodings is
// taken whole besides (Selection.cpp): codecs are imported by name, and
// UTF-8 mode's at start.
const char *const StartupModules[] = {"abc",
                                      "codecs",
                                      "collections",
                                      "contextlib",
                                      "encodings",
                                      "encodings.utf_8",
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

// CPython 3.11's table of the standard library's frozen modules
// (Python/frozen.c; Include/internal/pycore_import.h, not installed).
extern "C" const struct _frozen *_PyImport_FrozenStdlib;

bool isFrozenModule(StringRef Name) {
  for (const struct _frozen *P = _PyImport_FrozenStdlib; P && P->name; ++P)
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
  StringRef Text;                 // Str, Bytes: in the marshal data
  int64_t Value = 0;              // small Int
  std::vector<const Obj *> Items; // Tuple
  // Code
  const Obj *CodeBytes = nullptr, *Consts = nullptr, *Names = nullptr,
            *ExcTable = nullptr, *CodeName = nullptr;
  uint32_t CodeFlags = 0; // co_flags
  unsigned Fields = 0;    // of a code object, read so far
};

// Builds the Obj tree of a marshal stream as MarshalWalker walks it.
class ObjBuilder {
public:
  Expected<const Obj *> build(StringRef Data) {
    this->Data = Data;
    MarshalWalker<ObjBuilder> Walker(Data, *this);
    if (Error E = Walker.walk(/*Whole=*/false))
      return std::move(E);
    return Top;
  }

  void begin(uint8_t Code, size_t At) {
    const uint8_t Type = Code & ~MarshalFlagRef;
    Obj *O = &NoneObj;
    if (Type != 'N' && Type != '0' && Type != 'r') {
      O = &Arena.emplace_back();
      // co_flags: the fifth i32 after the type byte (MarshalWalker
      // checks that it is there).
      if (Type == 'c')
        O->Kind = Obj::Code;
      if (Type == 'c' && At + 21 <= Data.size())
        O->CodeFlags = support::endian::read32le(Data.data() + At + 17);
      else if (StringRef(")([<>").contains(char(Type)))
        O->Kind = Obj::Tuple; // lists and sets scan like tuples
    }
    if (Code & MarshalFlagRef)
      Refs.push_back(O);
    Open.push_back(O);
  }
  void string(uint8_t Type, size_t, StringRef Text) {
    Open.back()->Kind = Type == 's' ? Obj::Bytes : Obj::Str;
    Open.back()->Text = Text;
  }
  void integer(int32_t Value) {
    Open.back()->Kind = Obj::Int;
    Open.back()->Value = Value;
  }
  void ref(uint32_t Index, size_t) { Open.back() = Refs[Index]; }
  void end() {
    const Obj *Done = Open.pop_back_val();
    if (Open.empty()) {
      Top = Done;
      return;
    }
    Obj &Parent = *Open.back();
    if (Parent.Kind == Obj::Tuple) {
      Parent.Items.push_back(Done);
    } else if (Parent.Kind == Obj::Code) {
      // The fields the scan reads, by their place (MarshalWalker).
      switch (Parent.Fields++) {
      case 0:
        Parent.CodeBytes = Done;
        break;
      case 1:
        Parent.Consts = Done;
        break;
      case 2:
        Parent.Names = Done;
        break;
      case 6:
        Parent.CodeName = Done;
        break;
      case 9:
        Parent.ExcTable = Done;
        break;
      }
    }
  }

private:
  std::deque<Obj> Arena;
  std::vector<Obj *> Refs;     // by TYPE_REF index
  SmallVector<Obj *, 32> Open; // begun and not ended, outermost first
  Obj NoneObj{Obj::None};      // None and NULL
  const Obj *Top = nullptr;
  StringRef Data;
};

//===-- Bytecode scan -----------------------------------------------------===//

// CPython 3.11 Include/opcode.h.
enum : uint8_t {
  OpCache = 0,
  OpPopTop = 1,
  OpNop = 9,
  OpStoreName = 90,
  OpStoreGlobal = 97,
  OpSwap = 99,
  OpImportFrom = 109,
  OpStoreFast = 125,
  OpStoreDeref = 138,
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

// The entries of an exception table (Objects/exception_handling_notes.txt):
// varints (6 bits a byte, 0x40 = more follows, 0x80 marks an entry's
// first byte): start, length, target, depth_lasti, in code units.
struct ExceptionEntry {
  uint32_t Start, End, Target; // code units; End exclusive
};

std::vector<ExceptionEntry> exceptionEntries(StringRef Table) {
  std::vector<ExceptionEntry> Out;
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
    Out.push_back({Start, Start + Length, Target});
  }
  return Out;
}

// Whether code units [Start, End) of Bytes only import modules and bind
// what they import (the body of `try: from _x import y`), so that nothing
// but an import can raise there.
bool onlyImports(StringRef Bytes, uint32_t Start, uint32_t End) {
  bool Any = false;
  for (uint64_t U = Start; U < End; ++U) {
    if (2 * U + 1 >= Bytes.size())
      return false;
    switch (uint8_t(Bytes[2 * U])) {
    case OpImportName:
      Any = true;
      break;
    case OpCache:
    case OpNop:
    case OpPopTop:
    case OpLoadConst:
    case OpImportFrom:
    case OpStoreName:
    case OpStoreGlobal:
    case OpStoreFast:
    case OpStoreDeref:
    case OpSwap:
    case OpExtendedArg:
      break;
    default:
      return false;
    }
  }
  return Any;
}

class Scanner {
public:
  ModuleScan Result;
  StringSet<> NamesSeen;
  uint32_t Guards = 0;

  void code(const Obj &C, unsigned Depth = 0, bool InScript = false,
            bool OnImport = true) {
    if (Depth > 200 || !C.CodeBytes || C.CodeBytes->Kind != Obj::Bytes)
      return;
    // A class body runs where it is defined; anything with its own fast
    // locals (CO_OPTIMIZED, CO_NEWLOCALS: a function, lambda, generator
    // expression or comprehension) when it is called.
    if (Depth > 0 && (C.CodeFlags & 0x3))
      OnImport = false;
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
          Result.Names.push_back(N->Text.str());
    auto Entries = exceptionEntries(C.ExcTable && C.ExcTable->Kind == Obj::Bytes
                                        ? C.ExcTable->Text
                                        : StringRef());
    auto InTry = [&](uint32_t Unit) {
      return any_of(Entries, [&](const ExceptionEntry &E) {
        return Unit >= E.Start && Unit < E.End;
      });
    };
    // Import-only try bodies and their handlers: the handler's entry
    // starts at the try's target (PUSH_EXC_INFO) and covers the handler
    // up to its first nested block.
    struct GuardRange {
      uint32_t Id, BodyStart, BodyEnd, HandlerStart, HandlerEnd;
    };
    std::vector<GuardRange> GuardRanges;
    for (const ExceptionEntry &T : Entries) {
      if (!onlyImports(C.CodeBytes->Text, T.Start, T.End))
        continue;
      auto H = find_if(Entries, [&](const ExceptionEntry &E) {
        return E.Start == T.Target;
      });
      if (H != Entries.end())
        GuardRanges.push_back({++Guards, T.Start, T.End, H->Start, H->End});
    }
    auto Guarding = [&](ImportSite &S, uint32_t Unit) {
      for (const GuardRange &G : GuardRanges) {
        if (Unit >= G.BodyStart && Unit < G.BodyEnd)
          S.Guard = G.Id;
        if (Unit >= G.HandlerStart && Unit < G.HandlerEnd && !S.FallbackFor)
          S.FallbackFor = G.Id;
      }
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
              S.FromList.push_back(F->Text.str());
        S.InTry = InTry(Unit);
        S.InScriptMain = InScript;
        S.Deferred = !OnImport;
        Guarding(S, Unit);
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
          S.Deferred = !OnImport;
          Guarding(S, Unit);
          if (isDottedName(S.Name) || (S.Level && S.Name.empty()))
            Result.Imports.push_back(std::move(S));
        }
      }
      Last[2] = Last[1];
      Last[1] = Last[0];
      Last[0] = {Op, Arg};
    }
    if (C.Consts)
      constants(*C.Consts, Depth, InScript, OnImport);
  }

  // Nested code objects, and dotted strings for plugin tables.
  void constants(const Obj &Tuple, unsigned Depth, bool InScript,
                 bool OnImport) {
    for (const Obj *K : Tuple.Items) {
      if (K->Kind == Obj::Code)
        code(*K, Depth + 1, InScript, OnImport);
      else if (K->Kind == Obj::Tuple && Depth < 200)
        constants(*K, Depth, InScript, OnImport);
      else if (K->Kind == Obj::Str && K->Text.contains('.') &&
               K->Text.size() < 200 && isDottedName(K->Text)) {
        ImportSite S;
        S.Name = K->Text.str();
        S.How = ImportSite::Table;
        S.Deferred = true; // read by a loader when it is asked
        Result.Imports.push_back(std::move(S));
      }
    }
  }
};

} // namespace

// A scan's bytes: u32 count of imports, each: name, u32 level, u8 flags
// (in try, in script main, deferred), u8 form, u32 guard, u32 fallback-for, u32
// count of from-names, the names; then u32 count of names, the names. Strings:
// u32 size, bytes.
std::string encodeScan(const ModuleScan &Scan) {
  std::string Out;
  auto U32 = [&](uint64_t V) {
    char B[4];
    support::endian::write32le(B, uint32_t(V));
    Out.append(B, 4);
  };
  auto Str = [&](StringRef S) {
    U32(S.size());
    Out += S;
  };
  U32(Scan.Imports.size());
  for (const ImportSite &I : Scan.Imports) {
    Str(I.Name);
    U32(I.Level);
    Out += char((I.InTry ? 1 : 0) | (I.InScriptMain ? 2 : 0) |
                (I.Deferred ? 4 : 0));
    Out += char(I.How);
    U32(I.Guard);
    U32(I.FallbackFor);
    U32(I.FromList.size());
    for (const std::string &F : I.FromList)
      Str(F);
  }
  U32(Scan.Names.size());
  for (const std::string &N : Scan.Names)
    Str(N);
  return Out;
}

std::optional<ModuleScan> decodeScan(StringRef Bytes) {
  bool Bad = false;
  auto U32 = [&]() -> uint32_t {
    if (Bad || Bytes.size() < 4) {
      Bad = true;
      return 0;
    }
    uint32_t V = support::endian::read32le(Bytes.data());
    Bytes = Bytes.drop_front(4);
    return V;
  };
  auto Byte = [&]() -> uint8_t {
    if (Bad || Bytes.empty()) {
      Bad = true;
      return 0;
    }
    uint8_t V = uint8_t(Bytes[0]);
    Bytes = Bytes.drop_front(1);
    return V;
  };
  auto Str = [&]() -> std::string {
    uint32_t N = U32();
    if (Bad || Bytes.size() < N) {
      Bad = true;
      return "";
    }
    std::string S = Bytes.take_front(N).str();
    Bytes = Bytes.drop_front(N);
    return S;
  };
  // Counts are bounded by the bytes left (each element takes at least 4),
  // so damaged bytes cannot make a huge allocation.
  auto Count = [&]() -> uint32_t {
    uint32_t N = U32();
    if (N > Bytes.size() / 4)
      Bad = true;
    return Bad ? 0 : N;
  };
  ModuleScan Scan;
  for (uint32_t I = 0, N = Count(); I < N && !Bad; ++I) {
    ImportSite Site;
    Site.Name = Str();
    Site.Level = U32();
    uint8_t Flags = Byte();
    uint8_t How = Byte();
    Site.InTry = Flags & 1;
    Site.InScriptMain = Flags & 2;
    Site.Deferred = Flags & 4;
    if (Flags > 7 || How > ImportSite::Table)
      Bad = true;
    Site.How = ImportSite::Form(How);
    Site.Guard = U32();
    Site.FallbackFor = U32();
    for (uint32_t F = 0, M = Count(); F < M && !Bad; ++F)
      Site.FromList.push_back(Str());
    Scan.Imports.push_back(std::move(Site));
  }
  for (uint32_t I = 0, N = Count(); I < N && !Bad; ++I)
    Scan.Names.push_back(Str());
  if (Bad || !Bytes.empty())
    return std::nullopt;
  return Scan;
}

Expected<ModuleScan> scanImports(StringRef Marshal) {
  ObjBuilder B;
  Expected<const Obj *> Top = B.build(Marshal);
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
    AtRoot = true;
    for (auto &[Name, Why] : Config.Roots)
      require(Name, Why, "", false, false);
    AtRoot = false;
    while (!Pending.empty()) {
      std::vector<size_t> Round = std::move(Pending);
      Pending.clear();
      auto Scans = Config.Scan(Round);
      if (!Scans)
        return Scans.takeError();
      for (size_t K = 0; K < Round.size(); ++K)
        follow(Round[K], (*Scans)[K]);
    }
    takeMetadata();
    for (auto &[Name, U] : Unresolved)
      Out.Unresolved.push_back(U);
    // What the program imports when it starts: the roots' closure over
    // the imports that run on import.
    Out.Eager.assign(Files.size(), false);
    std::vector<size_t> Todo = EagerRoots;
    while (!Todo.empty()) {
      size_t I = Todo.back();
      Todo.pop_back();
      if (Out.Eager[I])
        continue;
      Out.Eager[I] = true;
      for (auto [To, Deferred] : Edges[I])
        if (!Deferred && !Out.Eager[To])
          Todo.push_back(To);
    }
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
  // Who takes what (for Out.Eager): per file, the files its imports take
  // and whether the import is deferred. Taken while following From's
  // import site; by a root when AtRoot.
  std::map<size_t, std::vector<std::pair<size_t, bool>>> Edges;
  std::vector<size_t> EagerRoots;
  size_t From = SIZE_MAX;
  bool FromDeferred = false, AtRoot = false;

  // Runs Body with the takes it makes counted as From's, deferred or not.
  template <typename BodyT> void takenBy(size_t I, bool Deferred, BodyT Body) {
    size_t SavedFrom = From;
    bool SavedDeferred = FromDeferred, SavedAtRoot = AtRoot;
    From = I;
    FromDeferred = Deferred;
    AtRoot = false;
    Body();
    From = SavedFrom;
    FromDeferred = SavedDeferred;
    AtRoot = SavedAtRoot;
  }

  void taken(size_t I) {
    if (From != SIZE_MAX)
      Edges[From].push_back({I, FromDeferred});
    else if (AtRoot)
      EagerRoots.push_back(I);
  }

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
    takenBy(I, false, [&] {
      auto C = Companions.find(F.Name);
      if (C != Companions.end())
        for (size_t J : C->second) {
          taken(J);
          keep(J, pyox_kind_group(Files[J].Kind) == PYOX_GROUP_MODULE
                      ? "extension module of package " + F.Name
                      : "data of package " + F.Name);
        }
      hidden(F.Name);
    });
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
      taken(It->second);
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
    // An attribute's hidden import is made when it is used (strptime).
    takenBy(I, true, [&] {
      for (const std::string &N : Scan.Names)
        hidden(("attr:" + N));
    });
    // The import-only try bodies that cannot fail: each of their imports
    // is of a built-in module and takes names it has.
    std::map<uint32_t, bool> Holds;
    for (const ImportSite &S : Scan.Imports) {
      if (!S.Guard)
        continue;
      bool Ok = S.How == ImportSite::Statement && S.Level == 0 &&
                !StringRef(S.Name).contains('.') && isBuiltinModule(S.Name);
      for (const std::string &N : S.FromList)
        Ok = Ok && Config.BuiltinHas && Config.BuiltinHas(S.Name, N);
      bool &All = Holds.try_emplace(S.Guard, true).first->second;
      All = All && Ok;
    }
    StringRef Top = Self.split('.').first;
    for (const ImportSite &S : Scan.Imports)
      if (!S.FallbackFor || !Holds[S.FallbackFor])
        takenBy(I, S.Deferred, [&] { followSite(I, S, Package, Top); });
  }

  void followSite(size_t I, const ImportSite &S, StringRef Package,
                  StringRef Top) {
    StringRef Self = Files[I].Name;
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
        return; // beyond the top-level package: fails at run time too
      Target = S.Name.empty() ? Base.str() : (Base + "." + S.Name).str();
    }
    if (S.How == ImportSite::Table) {
      // Only a module of the importer's own top-level package, and only
      // if it exists: a guess, never reported.
      if (StringRef(Target).split('.').first == Top &&
          ModuleIndex.count(Target) && Target != Self)
        require(Target, "named in " + Self.str(), Self, true, true);
      return;
    }
    if (any_of(InteractiveOnly,
               [&](auto &E) { return Self == E.first && Target == E.second; }))
      return;
    if (S.InScriptMain && fromStdlib(I))
      return;
    if (excludedImport(Self, Target))
      return;
    std::string Why =
        (S.How == ImportSite::Dynamic ? "import_module in " : "imported by ") +
        Self.str();
    if (!require(Target, Why, Self, S.InTry, false))
      return;
    // `from p import x`: x is a submodule when p.x is a module (or an
    // alias six.moves knows).
    bool Alias = StringRef(Target).starts_with("six.moves") ||
                 any_of(VendoredPackages,
                        [&](auto &E) { return inPackage(Target, E.first); });
    for (const std::string &Name : S.FromList)
      if (Name != "*" && (Alias || ModuleIndex.count(Target + "." + Name)))
        require(Target + "." + Name, Why, Self, S.InTry, true);
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
