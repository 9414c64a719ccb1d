//===- Collector.cpp ------------------------------------------------------===//

#include "Pack/Collector.h"

#include "pyox/format.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
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

Error badModuleName(StringRef File, StringRef Stem) {
  return createStringError(std::errc::invalid_argument,
                           "%s: '%s' cannot be a module name (it contains "
                           "'.'); rename the file or leave it out with "
                           "--exclude",
                           File.str().c_str(), Stem.str().c_str());
}

bool isMetadataDirName(StringRef Name) {
  return Name.ends_with(".dist-info") || Name.ends_with(".egg-info");
}

// Distribution names compare normalised (PEP 503): lower case, runs of
// -_. as one '_'.
std::string normalizeDistName(StringRef Name) {
  std::string Out;
  bool Sep = false;
  for (char C : Name) {
    if (C == '-' || C == '_' || C == '.') {
      Sep = true;
      continue;
    }
    if (Sep && !Out.empty())
      Out += '_';
    Sep = false;
    Out += toLower(C);
  }
  return Out;
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
  Error walkMetadata(StringRef Dir, StringRef Rel);
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
  // Metadata directories seen, resolved against Packages at the end.
  struct MetadataDir {
    std::string Rel, Dir;
    bool FromStdlib = false;
    std::vector<CollectedFile> Files;
  };
  std::vector<MetadataDir> Metadata;
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
      if (Stem.empty() || Stem.contains('.'))
        return badModuleName(Child, Stem);
      add(PYOX_KIND_MODULE, ChildDotted, ChildRel, Child.str().str());
      continue;
    }
    if (excluded(ChildRel))
      continue;
    if (Name.ends_with(".pyc") || Name.ends_with(".pyo"))
      continue;
    std::string Ext = extensionModuleName(Name);
    if (!Ext.empty()) {
      std::string ExtDotted = (Dotted + "." + Ext).str();
      if (!excluded(ChildRel, ExtDotted))
        add(PYOX_KIND_EXTENSION, ExtDotted, ChildRel, Child.str().str());
      continue;
    }
    add(PYOX_KIND_RESOURCE, ChildRel, ChildRel, Child.str().str());
  }
  Stack.pop_back();
  return Error::success();
}

Error Walker::walkMetadata(StringRef Dir, StringRef Rel) {
  MetadataDir M;
  M.Rel = Rel.str();
  M.Dir = Dir.str();
  M.FromStdlib = Root->IsStdlib;
  std::swap(Files, M.Files);
  Error E = walkResources(Dir, Rel);
  std::swap(Files, M.Files);
  if (E)
    return E;
  for (CollectedFile &F : M.Files)
    F.Kind = PYOX_KIND_METADATA;
  Metadata.push_back(std::move(M));
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

    if (R.ExtensionsOnly) {
      std::string Ext = E.IsDir ? "" : extensionModuleName(Name);
      if (!Ext.empty() && wanted(Ext) && !excluded(Name, Ext) && Claim(Ext))
        add(PYOX_KIND_EXTENSION, Ext, Name.str(), Child.str().str());
      continue;
    }

    if (E.IsDir) {
      if (isMetadataDirName(Name)) {
        if (Claim(Name))
          if (Error Err = walkMetadata(Child, Name))
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
      if (Stem.empty() || Stem.contains('.'))
        return badModuleName(Child, Stem);
      if (Claim(Stem))
        add(PYOX_KIND_MODULE, Stem.str(), Name.str(), Child.str().str());
      continue;
    }
    std::string Ext = extensionModuleName(Name);
    if (!Ext.empty()) {
      if (wanted(Ext) && !excluded(Name, Ext) && Claim(Ext))
        add(PYOX_KIND_EXTENSION, Ext, Name.str(), Child.str().str());
      continue;
    }
    if (Name.ends_with(".egg-info")) { // a single-file egg-info is PKG-INFO
      if (Claim(Name)) {
        MetadataDir M;
        M.Rel = Name.str();
        M.Dir = Child.str().str();
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
  for (MetadataDir &M : Metadata) {
    bool Keep = Config.Packages.empty() || M.FromStdlib;
    StringRef DistName = StringRef(M.Rel).split('-').first;
    for (const std::string &P : Config.Packages) {
      if (Keep)
        break;
      if (normalizeDistName(DistName) == normalizeDistName(P)) {
        Keep = true;
        break;
      }
      for (const char *Listing : {"top_level.txt", "RECORD"}) {
        auto Buf = MemoryBuffer::getFile(M.Dir + "/" + Listing);
        if (!Buf)
          continue;
        SmallVector<StringRef, 64> Lines;
        (*Buf)->getBuffer().split(Lines, '\n');
        for (StringRef L : Lines) {
          L = L.trim();
          if (L == P || L.starts_with(P + "/") || L.starts_with(P + ".py,") ||
              L.starts_with(P + ".")) {
            Keep = true;
            break;
          }
        }
        if (Keep)
          break;
      }
    }
    if (Keep)
      for (CollectedFile &F : M.Files)
        Files.push_back(std::move(F));
  }
  Metadata.clear();

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
