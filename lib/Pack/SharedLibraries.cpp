//===- SharedLibraries.cpp - The policy, the closure, the glibc floor -----===//

#include "Pack/SharedLibraries.h"

#include "pyox/format.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Object/ELF.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <fnmatch.h>
#include <optional>

using namespace llvm;

namespace pyox {

// The manylinux allow-list, less what not every glibc system has (libX11,
// libGL, ...): the dynamic loader and the libraries glibc itself installs,
// plus libgcc_s, which every glibc system has because glibc's own
// pthread_cancel loads it.
static const char *const Policy[] = {
    "ld-linux-x86-64",
    "ld-linux-aarch64",
    "libc",
    "libm",
    "libpthread",
    "libdl",
    "librt",
    "libutil",
    "libresolv",
    "libgcc_s",
};

ArrayRef<const char *> systemLibraryPolicy() { return Policy; }

bool isSystemLibrary(StringRef Soname) {
  Soname = sys::path::filename(Soname);
  size_t Dot = Soname.find(".so");
  if (Dot == StringRef::npos)
    return false;
  StringRef Stem = Soname.take_front(Dot);
  StringRef Rest = Soname.drop_front(Dot + 3);
  if (!Rest.empty() && Rest[0] != '.')
    return false; // "libcfoo.sox"
  return is_contained(Policy, Stem);
}

std::string GlibcVersion::str() const {
  return std::to_string(Major) + "." + std::to_string(Minor);
}

Expected<GlibcVersion> parseGlibcVersion(StringRef Text) {
  StringRef Major, Minor;
  std::tie(Major, Minor) = Text.split('.');
  GlibcVersion V;
  if (Major.getAsInteger(10, V.Major) || Minor.getAsInteger(10, V.Minor) ||
      V.Major == 0 || V.Major > 0xffff || V.Minor > 0xffff)
    return createStringError(std::errc::invalid_argument,
                             "'%s' is not a glibc version (expected X.Y, "
                             "such as 2.34)",
                             Text.str().c_str());
  return V;
}

// "GLIBC_2.27" -> {2, 27}; GLIBC_PRIVATE and other names -> none.
static std::optional<GlibcVersion> glibcVersionOf(StringRef Name) {
  if (!Name.consume_front("GLIBC_"))
    return std::nullopt;
  Expected<GlibcVersion> V = parseGlibcVersion(Name);
  if (!V) {
    consumeError(V.takeError());
    return std::nullopt;
  }
  return *V;
}

Expected<ElfDynamicInfo> readElfDynamicInfo(StringRef Bytes, StringRef Name) {
  using ELFT = object::ELF64LE;
  ElfDynamicInfo Info;
  if (!Bytes.starts_with("\x7f"
                         "ELF") ||
      Bytes.size() < 6 || Bytes[4] != 2 /*ELFCLASS64*/ ||
      Bytes[5] != 1 /*ELFDATA2LSB*/)
    return Info;
  auto Bad = [&](Error E) {
    return createStringError(std::errc::invalid_argument,
                             "%s: damaged ELF file: %s", Name.str().c_str(),
                             toString(std::move(E)).c_str());
  };
  Expected<object::ELFFile<ELFT>> File = object::ELFFile<ELFT>::create(Bytes);
  if (!File)
    return Bad(File.takeError());
  auto Sections = File->sections();
  if (!Sections)
    return Bad(Sections.takeError());
  Info.IsElf = true;
  Info.Machine = File->getHeader().e_machine;

  const ELFT::Shdr *DynSym = nullptr, *VerSym = nullptr, *VerNeed = nullptr;
  for (const ELFT::Shdr &Sec : *Sections) {
    switch (Sec.sh_type) {
    case ELF::SHT_DYNAMIC: {
      auto Entries = File->template getSectionContentsAsArray<ELFT::Dyn>(Sec);
      if (!Entries)
        return Bad(Entries.takeError());
      auto Link = File->getSection(Sec.sh_link);
      if (!Link)
        return Bad(Link.takeError());
      auto Strings = File->getStringTable(**Link);
      if (!Strings)
        return Bad(Strings.takeError());
      auto Str = [&](uint64_t Off) -> StringRef {
        if (Off >= Strings->size())
          return {};
        return StringRef(Strings->data() + Off)
            .take_front(Strings->size() - Off);
      };
      for (const ELFT::Dyn &D : *Entries) {
        switch (D.d_tag) {
        case ELF::DT_NEEDED:
          Info.Needed.push_back(Str(D.d_un.d_val).str());
          break;
        case ELF::DT_SONAME:
          Info.Soname = Str(D.d_un.d_val).str();
          break;
        case ELF::DT_RUNPATH:
          Info.RunPath = Str(D.d_un.d_val).str();
          break;
        case ELF::DT_RPATH:
          Info.RPath = Str(D.d_un.d_val).str();
          break;
        }
      }
      break;
    }
    case ELF::SHT_DYNSYM:
      DynSym = &Sec;
      break;
    case ELF::SHT_GNU_versym:
      VerSym = &Sec;
      break;
    case ELF::SHT_GNU_verneed:
      VerNeed = &Sec;
      break;
    }
  }
  if (!VerNeed)
    return Info;

  // Version index -> glibc version, from the version needs.
  DenseMap<unsigned, GlibcVersion> ByIndex;
  auto Needs = File->getVersionDependencies(*VerNeed);
  if (!Needs)
    return Bad(Needs.takeError());
  for (const object::VerNeed &N : *Needs)
    for (const object::VernAux &A : N.AuxV)
      if (std::optional<GlibcVersion> V = glibcVersionOf(A.Name)) {
        ByIndex[A.Other & 0x7fff] = *V;
        if (Info.Floor < *V)
          Info.Floor = *V;
      }
  if (!DynSym || !VerSym)
    return Info;
  auto Symbols = File->symbols(DynSym);
  auto Versions =
      File->template getSectionContentsAsArray<ELFT::Versym>(*VerSym);
  if (!Symbols)
    return Bad(Symbols.takeError());
  if (!Versions)
    return Bad(Versions.takeError());
  auto Names = File->getStringTableForSymtab(*DynSym);
  if (!Names)
    return Bad(Names.takeError());
  for (size_t I = 1; I < Symbols->size() && I < Versions->size(); ++I) {
    const ELFT::Sym &S = (*Symbols)[I];
    if (S.st_shndx != ELF::SHN_UNDEF)
      continue;
    auto It = ByIndex.find((*Versions)[I].vs_index & 0x7fff);
    if (It == ByIndex.end())
      continue;
    auto SymName = S.getName(*Names);
    if (!SymName)
      return Bad(SymName.takeError());
    Info.GlibcImports.push_back({SymName->str(), It->second});
  }
  return Info;
}

// --- Resolving DT_NEEDED as ld.so does --------------------------------------

namespace {

// The keys and values of /etc/ld.so.cache, in its order (glibc's
// "glibc-ld.so.cache1.1" format, elf/cache.c: a 48-byte header, then
// nlibs entries of {i32 flags, u32 key, u32 value, u32 osversion,
// u64 hwcap}; strings are offsets from the header).
std::vector<std::pair<std::string, std::string>> readLdSoCache(StringRef Path) {
  std::vector<std::pair<std::string, std::string>> Out;
  auto Buf = MemoryBuffer::getFile(Path, /*IsText=*/false,
                                   /*RequiresNullTerminator=*/false);
  if (!Buf)
    return Out;
  StringRef Data = (*Buf)->getBuffer();
  // An old-format cache ("ld.so-1.7.0") carries the new one after its own
  // entries; glibc has written the new format alone since 2.32.
  size_t Start = Data.find("glibc-ld.so.cache1.1");
  if (Start == StringRef::npos)
    return Out;
  Data = Data.drop_front(Start);
  constexpr size_t HeaderSize = 48, EntrySize = 24;
  if (Data.size() < HeaderSize)
    return Out;
  uint32_t Count = support::endian::read32le(Data.data() + 20);
  if (Count > (Data.size() - HeaderSize) / EntrySize)
    return Out;
  auto Str = [&](uint32_t Off) -> std::string {
    if (Off >= Data.size())
      return {};
    StringRef S = Data.drop_front(Off);
    return S.take_front(S.find('\0')).str();
  };
  for (uint32_t I = 0; I < Count; ++I) {
    const char *E = Data.data() + HeaderSize + size_t(I) * EntrySize;
    Out.emplace_back(Str(support::endian::read32le(E + 4)),
                     Str(support::endian::read32le(E + 8)));
  }
  return Out;
}

struct Resolver {
  const ClosureConfig &Config;
  std::vector<std::pair<std::string, std::string>> Cache;
  std::vector<std::string> DefaultDirs;
  StringMap<std::optional<ElfDynamicInfo>> Infos; // by host path

  Expected<const ElfDynamicInfo *> info(StringRef Path) {
    auto It = Infos.find(Path);
    if (It == Infos.end()) {
      auto Buf = MemoryBuffer::getFile(Path, /*IsText=*/false,
                                       /*RequiresNullTerminator=*/false);
      std::optional<ElfDynamicInfo> Read;
      if (Buf) {
        Expected<ElfDynamicInfo> I =
            readElfDynamicInfo((*Buf)->getBuffer(), Path);
        if (!I)
          return I.takeError();
        Read = std::move(*I);
      }
      It = Infos.try_emplace(Path, std::move(Read)).first;
    }
    return It->second ? &*It->second : nullptr;
  }

  // A candidate is used when it is an ELF object of the needing object's
  // machine, as ld.so skips libraries of another architecture.
  Expected<bool> usable(StringRef Path, uint16_t Machine) {
    if (!sys::fs::is_regular_file(Path))
      return false;
    Expected<const ElfDynamicInfo *> I = info(Path);
    if (!I)
      return I.takeError();
    return *I && (*I)->IsElf && (*I)->Machine == Machine;
  }

  // Where ld.so finds NAME for an object at PATH (on disk) with INFO, or
  // "" when it would not.
  Expected<std::string> find(StringRef Name, StringRef Path,
                             const ElfDynamicInfo &Info) {
    auto Try = [&](const std::string &C) -> Expected<bool> {
      return usable(C, Info.Machine);
    };
    if (Name.contains('/')) {
      Expected<bool> OK = Try(Name.str());
      if (!OK)
        return OK.takeError();
      return *OK ? Name.str() : std::string();
    }
    std::string Origin = sys::path::parent_path(Path).str();
    auto SearchList = [&](StringRef List) -> Expected<std::string> {
      SmallVector<StringRef, 4> Dirs;
      List.split(Dirs, ':', -1, /*KeepEmpty=*/false);
      for (StringRef D : Dirs) {
        std::string Dir = D.str();
        for (StringRef Token : {"${ORIGIN}", "$ORIGIN"}) {
          size_t At;
          while ((At = Dir.find(Token.str())) != std::string::npos)
            Dir.replace(At, Token.size(), Origin);
        }
        std::string C = Dir + "/" + Name.str();
        Expected<bool> OK = Try(C);
        if (!OK)
          return OK.takeError();
        if (*OK)
          return C;
      }
      return std::string();
    };
    // ld.so(8): DT_RPATH unless there is a DT_RUNPATH, then (skipped: the
    // target has no LD_LIBRARY_PATH of the build host) DT_RUNPATH, the
    // cache, the default directories.
    Expected<std::string> Found =
        SearchList(Info.RunPath.empty() ? Info.RPath : Info.RunPath);
    if (!Found || !Found->empty())
      return Found;
    for (const auto &[Key, Value] : Cache)
      if (Key == Name) {
        Expected<bool> OK = Try(Value);
        if (!OK)
          return OK.takeError();
        if (*OK)
          return Value;
      }
    return SearchList(join(DefaultDirs, ":"));
  }
};

bool excluded(StringRef Soname, ArrayRef<std::string> Globs) {
  return any_of(Globs, [&](const std::string &G) {
    return fnmatch(G.c_str(), Soname.str().c_str(), 0) == 0;
  });
}

std::string canonical(StringRef Path) {
  SmallString<256> Real;
  if (sys::fs::real_path(Path, Real))
    return Path.str();
  return Real.str().str();
}

} // namespace

Expected<std::vector<CarriedLibrary>>
resolveCarriedLibraries(ArrayRef<ClosureInput> Inputs,
                        const ClosureConfig &Config) {
  Resolver R{Config, {}, Config.DefaultDirs, {}};
  R.Cache = readLdSoCache(Config.LdSoCache.empty() ? "/etc/ld.so.cache"
                                                   : Config.LdSoCache);
  if (R.DefaultDirs.empty())
    R.DefaultDirs = {"/lib/x86_64-linux-gnu",
                     "/usr/lib/x86_64-linux-gnu",
                     "/lib/aarch64-linux-gnu",
                     "/usr/lib/aarch64-linux-gnu",
                     "/lib64",
                     "/usr/lib64",
                     "/lib",
                     "/usr/lib"};

  // Packed files by their real path: a DT_NEEDED that lands on one is
  // already in the tree (a wheel's $ORIGIN/../pkg.libs).
  StringMap<std::string> Packed;
  for (const ClosureInput &I : Inputs)
    Packed.try_emplace(canonical(I.File), I.TreeRel);

  std::vector<CarriedLibrary> Carried;
  StringMap<size_t> BySoname;
  // Work list of (host path, tree path) in the order found, so that the
  // output (and the payload) is deterministic.
  std::vector<ClosureInput> Work(Inputs.begin(), Inputs.end());
  for (size_t W = 0; W < Work.size(); ++W) {
    ClosureInput Obj = Work[W];
    Expected<const ElfDynamicInfo *> Info = R.info(Obj.File);
    if (!Info)
      return Info.takeError();
    if (!*Info || !(*Info)->IsElf)
      continue;
    for (const std::string &Name : (*Info)->Needed) {
      if (isSystemLibrary(Name) || excluded(Name, Config.ExcludeLibs))
        continue;
      auto Known = BySoname.find(Name);
      if (Known != BySoname.end()) {
        std::vector<std::string> &By = Carried[Known->second].NeededBy;
        if (!is_contained(By, Obj.TreeRel))
          By.push_back(Obj.TreeRel);
        continue;
      }
      Expected<std::string> Found = R.find(Name, Obj.File, **Info);
      if (!Found)
        return Found.takeError();
      if (Found->empty()) {
        // It does not load here either; the target may have it.
        if (Config.Warn)
          Config.Warn(Obj.File + ": needs " + Name +
                      ", which the build host's ld.so does not find; left "
                      "to the target system");
        continue;
      }
      if (Packed.count(canonical(*Found)))
        continue; // in the tree; its own needs are followed as an input
      BySoname[Name] = Carried.size();
      Carried.push_back({Name, *Found, {Obj.TreeRel}});
      Work.push_back({*Found, std::string(PYOX_CARRIED_LIBS_DIR) + "/" + Name});
    }
  }
  return Carried;
}

} // namespace pyox
