//===- Collector.cpp ------------------------------------------------------===//

#include "Pack/Collector.h"
#include "Pack/Distributions.h"

#include "pyox/format.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/BinaryFormat/Magic.h"
#include "llvm/Object/ELFObjectFile.h"
#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fnmatch.h>
#include <map>
#include <sys/stat.h>

using namespace llvm;

namespace pyox {

const char *const StdlibExcludedNames[] = {
    "test",      "idlelib",       "tkinter", "turtledemo",
    "ensurepip", "sitecustomize", nullptr};

// importlib.machinery.EXTENSION_SUFFIXES of the interpreter pyox embeds.
static const char *const ExtensionSuffixes[] = {"." PYOX_PYTHON_SOABI ".so",
                                                ".abi3.so", ".so"};

std::string extensionModuleName(StringRef FileName) {
  for (const char *Suffix : ExtensionSuffixes) {
    if (FileName.ends_with(Suffix)) {
      StringRef Stem = FileName.drop_back(strlen(Suffix));
      if (Stem.empty() || Stem.contains('.'))
        return "";
      return Stem.str();
    }
  }
  return "";
}

// A file name alone cannot tell an extension module from a plain shared
// library: ".so" ends both `_speedups.so` and a package's bundled
// `libfoo.so` (a ctypes target, or a DT_NEEDED of an extension). CPython
// tells them apart only when it loads one: dlsym of the module's init
// function, "PyInit_" + name, or PEP 489's "PyInitU_" + punycode(name) for
// non-ASCII names (Python/importdl.c). The collector asks the same question
// of the ELF dynamic symbol table, where dlsym looks. The interpreter pyox
// embeds is the ELF one (PYOX_PYTHON_SOABI), so anything that is not an ELF
// shared object, or is a damaged one, cannot be its extension module.
static Expected<bool> exportsInitFunction(StringRef File, StringRef Module) {
  auto Buf = MemoryBuffer::getFile(File, /*IsText=*/false,
                                   /*RequiresNullTerminator=*/false);
  if (!Buf)
    return createStringError(Buf.getError(), "%s: cannot read: %s",
                             File.str().c_str(),
                             Buf.getError().message().c_str());
  if (identify_magic((*Buf)->getBuffer()) != file_magic::elf_shared_object)
    return false;
  auto Obj = object::ObjectFile::createELFObjectFile((*Buf)->getMemBufferRef());
  if (!Obj) {
    consumeError(Obj.takeError());
    return false;
  }
  const auto *Elf = cast<object::ELFObjectFileBase>(Obj->get());
  bool Ascii = all_of(Module, [](char C) { return isASCII(C); });
  std::string Init = ("PyInit_" + Module).str();
  for (const object::ELFSymbolRef &Sym : Elf->getDynamicSymbolIterators()) {
    Expected<StringRef> Name = Sym.getName();
    Expected<uint32_t> Flags = Sym.getFlags();
    if (!Name || !Flags) {
      consumeError(Name.takeError());
      consumeError(Flags.takeError());
      continue;
    }
    // An undefined or local entry is not something dlsym would return.
    if ((*Flags & object::SymbolRef::SF_Undefined) ||
        !(*Flags & object::SymbolRef::SF_Global))
      continue;
    if (Ascii ? *Name == Init : Name->starts_with("PyInitU_"))
      return true;
  }
  return false;
}

// The name File (whose file name is FileName) is imported under, or "" if it
// is no extension module at all.
static Expected<std::string> extensionModuleOf(StringRef File,
                                               StringRef FileName) {
  std::string Module = extensionModuleName(FileName);
  if (Module.empty())
    return "";
  auto Exports = exportsInitFunction(File, Module);
  if (!Exports)
    return Exports.takeError();
  return *Exports ? Module : "";
}

namespace {

bool isUTF8(StringRef S) {
  const UTF8 *P = reinterpret_cast<const UTF8 *>(S.data());
  return isLegalUTF8String(&P, P + S.size());
}

bool isIdentifier(StringRef S) {
  if (S.empty() || isDigit(S[0]))
    return false;
  // Non-ASCII letters are valid in identifiers (PEP 3131); accept any
  // non-ASCII UTF-8 byte and leave the fine print to the interpreter.
  return all_of(S, [](char C) {
    return isAlnum(C) || C == '_' || static_cast<unsigned char>(C) >= 0x80;
  });
}

bool isMetadataDirName(StringRef Name) {
  return Name.ends_with(".dist-info") || Name.ends_with(".egg-info");
}

// Whether a line of the metadata file Dir/Listing (top_level.txt, RECORD)
// satisfies Match; false when there is no such file.
bool anyListedLine(StringRef Dir, StringRef Listing,
                   function_ref<bool(StringRef)> Match) {
  auto Buf = MemoryBuffer::getFile(Dir + "/" + Listing);
  if (!Buf)
    return false;
  SmallVector<StringRef, 64> Lines;
  (*Buf)->getBuffer().split(Lines, '\n');
  return any_of(Lines, [&](StringRef L) { return Match(L.trim()); });
}

struct DirEntry {
  std::string Name;
  bool IsDir;
};

class Walker {
public:
  Walker(const CollectConfig &Config) : Config(Config) {}
  Error walkRoot(const CollectRoot &Root);
  std::vector<CollectedFile> take();

private:
  Error listDir(StringRef Dir, std::vector<DirEntry> &Out);
  Error walkPackage(StringRef Dir, StringRef Dotted, StringRef Rel);
  Error walkResources(StringRef Dir, StringRef Rel);
  struct DeferredDir;
  Error walkDeferred(StringRef Dir, StringRef Rel, uint8_t Kind,
                     std::vector<DeferredDir> &Into);
  bool excluded(StringRef Rel, StringRef Dotted = "") const;
  Error checkName(StringRef Dir, StringRef Name) const;
  void add(uint8_t Kind, std::string Name, std::string Path, std::string File);
  bool wanted(StringRef TopLevel) const;

  const CollectConfig &Config;
  const CollectRoot *Root = nullptr;
  // Directories on the current walk path, to detect symlink loops.
  std::vector<std::pair<dev_t, ino_t>> Stack;
  // Top-level module names and metadata directories already taken, and the
  // root that provided them.
  std::map<std::string, std::string> TopLevelOwner;
  StringSet<> TopLevelThisRoot;
  std::vector<CollectedFile> Files;
  // Top-level directories that belong to something else, resolved at the
  // end: metadata against Packages, a wheel's NAME.libs against the
  // packages and metadata taken.
  struct DeferredDir {
    std::string Rel, Dir, RootDir;
    bool FromStdlib = false;
    bool Kept = false; // decided by take()
    std::vector<CollectedFile> Files;
  };
  std::vector<DeferredDir> Metadata, Libs;
};

bool Walker::excluded(StringRef Rel, StringRef Dotted) const {
  for (const std::string &G : Config.Excludes) {
    if (::fnmatch(G.c_str(), Rel.str().c_str(), 0) == 0)
      return true;
    if (!Dotted.empty() && ::fnmatch(G.c_str(), Dotted.str().c_str(), 0) == 0)
      return true;
  }
  return false;
}

bool Walker::wanted(StringRef TopLevel) const {
  // --package selects from the --path roots; --stdlib is taken whole.
  if (Config.Packages.empty() || Root->IsStdlib)
    return true;
  return is_contained(Config.Packages, TopLevel.str());
}

Error Walker::checkName(StringRef Dir, StringRef Name) const {
  if (!isUTF8(Name)) {
    SmallString<256> P(Dir);
    sys::path::append(P, Name);
    return createStringError(std::errc::illegal_byte_sequence,
                             "%s: file name is not valid UTF-8, so no module "
                             "or resource can be named by it (use --exclude)",
                             P.c_str());
  }
  return Error::success();
}

Error Walker::listDir(StringRef Dir, std::vector<DirEntry> &Out) {
  DIR *D = ::opendir(Dir.str().c_str());
  if (!D)
    return createStringError(std::error_code(errno, std::generic_category()),
                             "%s: cannot read directory: %s", Dir.str().c_str(),
                             strerror(errno));
  while (struct dirent *E = ::readdir(D)) {
    StringRef Name = E->d_name;
    if (Name == "." || Name == "..")
      continue;
    SmallString<256> P(Dir);
    sys::path::append(P, Name);
    struct stat St;
    if (::stat(P.c_str(), &St) != 0) {
      int Err = errno;
      if (Err == ENOENT) // a dangling symlink: nothing there to pack
        continue;
      ::closedir(D);
      if (Err == ELOOP)
        return createStringError(std::errc::too_many_symbolic_link_levels,
                                 "%s: symlink loop", P.c_str());
      return createStringError(std::error_code(Err, std::generic_category()),
                               "%s: cannot stat: %s", P.c_str(), strerror(Err));
    }
    if (!S_ISDIR(St.st_mode) && !S_ISREG(St.st_mode))
      continue; // sockets, fifos, devices: never part of an application
    Out.push_back({Name.str(), S_ISDIR(St.st_mode)});
  }
  ::closedir(D);
  llvm::sort(Out, [](const DirEntry &A, const DirEntry &B) {
    return A.Name < B.Name;
  });
  return Error::success();
}

void Walker::add(uint8_t Kind, std::string Name, std::string Path,
                 std::string File) {
  Files.push_back({Kind, std::move(Name), std::move(Path), std::move(File)});
}

// Enters Dir for the walk path; fails on a directory already on it, which
// only a symlink can cause.
static Error enterDir(std::vector<std::pair<dev_t, ino_t>> &Stack,
                      StringRef Dir) {
  struct stat St;
  if (::stat(Dir.str().c_str(), &St) != 0)
    return createStringError(std::error_code(errno, std::generic_category()),
                             "%s: cannot stat: %s", Dir.str().c_str(),
                             strerror(errno));
  auto Key = std::make_pair(St.st_dev, St.st_ino);
  if (is_contained(Stack, Key))
    return createStringError(std::errc::too_many_symbolic_link_levels,
                             "%s: symlink loop (the directory contains itself)",
                             Dir.str().c_str());
  Stack.push_back(Key);
  return Error::success();
}

Error Walker::walkResources(StringRef Dir, StringRef Rel) {
  if (Error E = enterDir(Stack, Dir))
    return E;
  std::vector<DirEntry> Entries;
  if (Error E = listDir(Dir, Entries))
    return E;
  for (const DirEntry &E : Entries) {
    if (Error Err = checkName(Dir, E.Name))
      return Err;
    std::string ChildRel = (Rel + "/" + E.Name).str();
    SmallString<256> Child(Dir);
    sys::path::append(Child, E.Name);
    if (E.Name == "__pycache__" || excluded(ChildRel))
      continue;
    if (E.IsDir) {
      if (Error Err = walkResources(Child, ChildRel))
        return Err;
    } else if (!StringRef(E.Name).ends_with(".pyc")) {
      add(PYOX_KIND_RESOURCE, ChildRel, ChildRel, Child.str().str());
    }
  }
  Stack.pop_back();
  return Error::success();
}

Error Walker::walkPackage(StringRef Dir, StringRef Dotted, StringRef Rel) {
  if (Error E = enterDir(Stack, Dir))
    return E;
  std::vector<DirEntry> Entries;
  if (Error E = listDir(Dir, Entries))
    return E;
  bool Regular = any_of(Entries, [](const DirEntry &E) {
    return !E.IsDir && E.Name == "__init__.py";
  });
  if (Regular)
    add(PYOX_KIND_PACKAGE, Dotted.str(), (Rel + "/__init__.py").str(),
        (Dir + "/__init__.py").str());
  else
    add(PYOX_KIND_NAMESPACE, Dotted.str(), Rel.str(), "");

  for (const DirEntry &E : Entries) {
    if (Error Err = checkName(Dir, E.Name))
      return Err;
    StringRef Name = E.Name;
    std::string ChildRel = (Rel + "/" + Name).str();
    SmallString<256> Child(Dir);
    sys::path::append(Child, Name);
    if (Name == "__pycache__" || Name == "__init__.py")
      continue;
    if (E.IsDir) {
      bool IsPackage =
          !Name.contains('.') &&
          (isIdentifier(Name) || sys::fs::exists(Child + "/__init__.py"));
      std::string ChildDotted = (Dotted + "." + Name).str();
      if (excluded(ChildRel, IsPackage ? StringRef(ChildDotted) : ""))
        continue;
      // The stdlib's own test suites (lib2to3.tests, ctypes.test, ... when
      // Debian's libpython3.11-testsuite is installed) stay out.
      if (Root->IsStdlib && IsPackage &&
          (Name == "test" || Name == "tests" || Name == "idle_test"))
        continue;
      if (Error Err = IsPackage ? walkPackage(Child, ChildDotted, ChildRel)
                                : walkResources(Child, ChildRel))
        return Err;
      continue;
    }
    if (Name.ends_with(".py")) {
      StringRef Stem = Name.drop_back(3);
      std::string ChildDotted = (Dotted + "." + Stem).str();
      if (excluded(ChildRel, ChildDotted))
        continue;
      // No import reaches a stem with a '.' (hook-PIL.Image.py in
      // PyInstaller's hooks): for Python it is a file its package reads by
      // path, so it is kept as data.
      if (Stem.empty() || Stem.contains('.'))
        add(PYOX_KIND_RESOURCE, ChildRel, ChildRel, Child.str().str());
      else
        add(PYOX_KIND_MODULE, ChildDotted, ChildRel, Child.str().str());
      continue;
    }
    if (excluded(ChildRel))
      continue;
    if (Name.ends_with(".pyc") || Name.ends_with(".pyo"))
      continue;
    auto Ext = extensionModuleOf(Child, Name);
    if (!Ext)
      return Ext.takeError();
    if (!Ext->empty()) {
      std::string ExtDotted = (Dotted + "." + *Ext).str();
      if (!excluded(ChildRel, ExtDotted))
        add(PYOX_KIND_EXTENSION, ExtDotted, ChildRel, Child.str().str());
      continue;
    }
    // Package data, or a shared library that is not a module (libfoo.so,
    // libfoo.so.1): its package reaches it by path, through ctypes or an
    // extension's DT_NEEDED, so it is kept as a file like any other.
    add(PYOX_KIND_RESOURCE, ChildRel, ChildRel, Child.str().str());
  }
  Stack.pop_back();
  return Error::success();
}

Error Walker::walkDeferred(StringRef Dir, StringRef Rel, uint8_t Kind,
                           std::vector<DeferredDir> &Into) {
  DeferredDir D;
  D.Rel = Rel.str();
  D.Dir = Dir.str();
  D.RootDir = Root->Dir;
  D.FromStdlib = Root->IsStdlib;
  std::swap(Files, D.Files);
  Error E = walkResources(Dir, Rel);
  std::swap(Files, D.Files);
  if (E)
    return E;
  for (CollectedFile &F : D.Files)
    F.Kind = Kind;
  Into.push_back(std::move(D));
  return Error::success();
}

Error Walker::walkRoot(const CollectRoot &R) {
  Root = &R;
  TopLevelThisRoot.clear();
  if (!sys::fs::is_directory(R.Dir))
    return createStringError(std::errc::not_a_directory,
                             "%s: search root is not a directory",
                             R.Dir.c_str());
  Stack.clear();
  if (Error E = enterDir(Stack, R.Dir))
    return E;
  std::vector<DirEntry> Entries;
  if (Error E = listDir(R.Dir, Entries))
    return E;

  // Claims a top-level name for this root; false if an earlier root has it.
  auto Claim = [&](StringRef Name) {
    auto It = TopLevelOwner.find(Name.str());
    if (It == TopLevelOwner.end()) {
      TopLevelOwner[Name.str()] = R.Dir;
      TopLevelThisRoot.insert(Name);
      return true;
    }
    if (TopLevelThisRoot.contains(Name))
      return true; // e.g. a package and a same-named module in one root
    if (Config.Warn)
      Config.Warn(R.Dir + ": '" + Name + "' is also in " + It->second +
                  ", which comes first; skipping this one");
    return false;
  };

  for (const DirEntry &E : Entries) {
    if (Error Err = checkName(R.Dir, E.Name))
      return Err;
    StringRef Name = E.Name;
    SmallString<256> Child(R.Dir);
    sys::path::append(Child, Name);
    if (Name == "__pycache__" || excluded(Name))
      continue;

    // A top-level extension module; other shared libraries here are loose
    // top-level files, which nothing imports.
    auto TakeExtension = [&]() -> Error {
      std::string Ext = extensionModuleName(Name);
      if (Ext.empty() || !wanted(Ext) || excluded(Name, Ext))
        return Error::success();
      auto Exports = exportsInitFunction(Child, Ext);
      if (!Exports)
        return Exports.takeError();
      if (*Exports && Claim(Ext))
        add(PYOX_KIND_EXTENSION, Ext, Name.str(), Child.str().str());
      return Error::success();
    };

    if (R.ExtensionsOnly) {
      if (!E.IsDir)
        if (Error Err = TakeExtension())
          return Err;
      continue;
    }

    if (E.IsDir) {
      if (isMetadataDirName(Name)) {
        if (Claim(Name))
          if (Error Err =
                  walkDeferred(Child, Name, PYOX_KIND_METADATA, Metadata))
            return Err;
        continue;
      }
      // auditwheel's NAME.libs/ (numpy.libs/libgfortran-040039e1.so.5.0.0):
      // the shared libraries a wheel's extension modules reach through
      // RUNPATH $ORIGIN/../NAME.libs. Not importable, so not claimed here:
      // take() keeps it with its package or distribution, first root first.
      if (Name.ends_with(".libs") && Name.size() > 5) {
        if (Error Err = walkDeferred(Child, Name, PYOX_KIND_RESOURCE, Libs))
          return Err;
        continue;
      }
      bool IsPackage =
          !Name.contains('.') &&
          (isIdentifier(Name) || sys::fs::exists(Child + "/__init__.py"));
      if (!IsPackage)
        continue; // not importable from this root: site-packages, config-*
      if (R.IsStdlib &&
          is_contained(
              ArrayRef(StdlibExcludedNames, std::size(StdlibExcludedNames) - 1),
              Name))
        continue;
      if (!wanted(Name) || excluded(Name, Name) || !Claim(Name))
        continue;
      if (Error Err = walkPackage(Child, Name, Name))
        return Err;
      continue;
    }

    if (Name.ends_with(".py")) {
      StringRef Stem = Name.drop_back(3);
      if (R.IsStdlib &&
          is_contained(
              ArrayRef(StdlibExcludedNames, std::size(StdlibExcludedNames) - 1),
              Stem))
        continue;
      if (!wanted(Stem) || excluded(Name, Stem))
        continue;
      // Not importable by any name (see walkPackage): like any other
      // top-level file.
      if (Stem.empty() || Stem.contains('.'))
        continue;
      if (Claim(Stem))
        add(PYOX_KIND_MODULE, Stem.str(), Name.str(), Child.str().str());
      continue;
    }
    if (!extensionModuleName(Name).empty()) {
      if (Error Err = TakeExtension())
        return Err;
      continue;
    }
    if (Name.ends_with(".egg-info")) { // a single-file egg-info is PKG-INFO
      if (Claim(Name)) {
        DeferredDir M;
        M.Rel = Name.str();
        M.Dir = Child.str().str();
        M.RootDir = R.Dir;
        std::string N = (Name + "/PKG-INFO").str();
        M.Files.push_back({PYOX_KIND_METADATA, N, N, Child.str().str()});
        Metadata.push_back(std::move(M));
      }
      continue;
    }
    // Any other top-level file is not importable from a path entry.
  }
  return Error::success();
}

std::vector<CollectedFile> Walker::take() {
  // With --package, a distribution's metadata comes along when it names a
  // selected package: by its normalised distribution name, its
  // top_level.txt, or a RECORD line under the package.
  for (DeferredDir &M : Metadata) {
    StringRef DistName = StringRef(M.Rel).split('-').first;
    M.Kept = Config.Packages.empty() || M.FromStdlib ||
             any_of(Config.Packages, [&](const std::string &P) {
               if (normalizeDistributionName(DistName) ==
                   normalizeDistributionName(P))
                 return true;
               auto UnderP = [&](StringRef L) {
                 return L == P || L.starts_with(P + "/") ||
                        L.starts_with(P + ".py,") || L.starts_with(P + ".");
               };
               return anyListedLine(M.Dir, "top_level.txt", UnderP) ||
                      anyListedLine(M.Dir, "RECORD", UnderP);
             });
    if (M.Kept)
      for (CollectedFile &F : M.Files)
        Files.push_back(std::move(F));
  }

  // NAME.libs comes along with the package NAME taken from the same root
  // (numpy.libs), or with the metadata taken from that root whose RECORD
  // lists it: auditwheel names the directory after the distribution, not
  // the package (opencv_python.libs for cv2, pillow.libs for PIL). As with
  // top-level names, the first root that has a kept NAME.libs wins.
  StringSet<> LibsTaken;
  for (DeferredDir &L : Libs) {
    auto Owner = TopLevelOwner.find(StringRef(L.Rel).drop_back(5).str());
    bool Keep = L.FromStdlib ||
                (Owner != TopLevelOwner.end() && Owner->second == L.RootDir) ||
                any_of(Metadata, [&](const DeferredDir &M) {
                  return M.Kept && M.RootDir == L.RootDir &&
                         anyListedLine(M.Dir, "RECORD", [&](StringRef Line) {
                           return Line.starts_with(L.Rel + "/");
                         });
                });
    if (!Keep) {
      // With --package, leaving others' libraries out is the point.
      if (Config.Packages.empty() && Config.Warn)
        Config.Warn(Twine(L.Dir) + ": no package '" +
                    StringRef(L.Rel).drop_back(5) +
                    "' and no distribution listing it in " + L.RootDir +
                    "; skipping it");
      continue;
    }
    if (LibsTaken.insert(L.Rel).second)
      for (CollectedFile &F : L.Files)
        Files.push_back(std::move(F));
  }
  Metadata.clear();
  Libs.clear();

  // When one root has several candidates for a name, CPython's FileFinder
  // takes a regular package, then an extension module, then a source
  // module; a namespace portion only when nothing else is there.
  auto Rank = [](uint8_t Kind) {
    switch (Kind) {
    case PYOX_KIND_PACKAGE:
      return 0;
    case PYOX_KIND_EXTENSION:
      return 1;
    case PYOX_KIND_MODULE:
      return 2;
    default:
      return 3;
    }
  };
  std::vector<CollectedFile> Out = std::move(Files);
  llvm::sort(Out, [&](const CollectedFile &A, const CollectedFile &B) {
    uint32_t GA = pyox_kind_group(A.Kind), GB = pyox_kind_group(B.Kind);
    if (GA != GB)
      return GA < GB;
    if (A.Name != B.Name)
      return A.Name < B.Name;
    return Rank(A.Kind) < Rank(B.Kind);
  });
  std::vector<CollectedFile> Unique;
  for (CollectedFile &F : Out) {
    if (!Unique.empty() && Unique.back().Name == F.Name &&
        pyox_kind_group(Unique.back().Kind) == pyox_kind_group(F.Kind))
      continue;
    Unique.push_back(std::move(F));
  }
  return Unique;
}

} // namespace

Expected<std::vector<CollectedFile>> collect(const CollectConfig &Config) {
  Walker W(Config);
  for (const CollectRoot &R : Config.Roots)
    if (Error E = W.walkRoot(R))
      return std::move(E);
  std::vector<CollectedFile> Files = W.take();
  for (const std::string &P : Config.Packages) {
    bool Found = any_of(Files, [&](const CollectedFile &F) {
      return pyox_kind_group(F.Kind) == PYOX_GROUP_MODULE && F.Name == P;
    });
    if (!Found)
      return createStringError(std::errc::no_such_file_or_directory,
                               "--package %s: no module or package of that "
                               "name in the search roots",
                               P.c_str());
  }
  return Files;
}

} // namespace pyox
