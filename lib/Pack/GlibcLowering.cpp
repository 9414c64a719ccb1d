//===- GlibcLowering.cpp - Lowering an object's glibc version needs -------===//

#include "Pack/GlibcLowering.h"

#include "pyox/glibc_split.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Object/ELF.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/MemoryBuffer.h"

#include <climits>
#include <dlfcn.h>
#include <map>

using namespace llvm;

namespace pyox {

using ELFT = object::ELF64LE;

static Error damaged(StringRef Name, const Twine &Why) {
  return createStringError(std::errc::invalid_argument,
                           "%s: damaged ELF file: %s", Name.str().c_str(),
                           Why.str().c_str());
}

// The dynamic symbols of BYTES with their version names ("" for none), as
// ELF sections: the symbol table, its strings, and the version indices.
namespace {
struct DynamicSymbols {
  const ELFT::Shdr *DynSym = nullptr, *VerSym = nullptr, *VerNeed = nullptr,
                   *VerDef = nullptr;
};
} // namespace

static Expected<DynamicSymbols>
findDynamicSymbols(const object::ELFFile<ELFT> &File, StringRef Name) {
  auto Sections = File.sections();
  if (!Sections)
    return damaged(Name, toString(Sections.takeError()));
  DynamicSymbols D;
  for (const ELFT::Shdr &Sec : *Sections)
    switch (Sec.sh_type) {
    case ELF::SHT_DYNSYM:
      D.DynSym = &Sec;
      break;
    case ELF::SHT_GNU_versym:
      D.VerSym = &Sec;
      break;
    case ELF::SHT_GNU_verneed:
      D.VerNeed = &Sec;
      break;
    case ELF::SHT_GNU_verdef:
      D.VerDef = &Sec;
      break;
    }
  return D;
}

static bool isElf64LE(StringRef Bytes) {
  return Bytes.size() >= 6 &&
         Bytes.starts_with("\x7f"
                           "ELF") &&
         Bytes[4] == 2 /*ELFCLASS64*/ && Bytes[5] == 1 /*ELFDATA2LSB*/;
}

// Calls FN(name, version, value, versym) for each defined dynamic symbol
// of a library's BYTES; VERSION is its verdef name ("" for none).
template <typename Fn>
static Error forEachDefinition(StringRef Bytes, StringRef Name, Fn Visit) {
  Expected<object::ELFFile<ELFT>> File = object::ELFFile<ELFT>::create(Bytes);
  if (!File)
    return damaged(Name, toString(File.takeError()));
  Expected<DynamicSymbols> D = findDynamicSymbols(*File, Name);
  if (!D)
    return D.takeError();
  if (!D->DynSym)
    return Error::success();
  auto Symbols = File->symbols(D->DynSym);
  if (!Symbols)
    return damaged(Name, toString(Symbols.takeError()));
  auto Names = File->getStringTableForSymtab(*D->DynSym);
  if (!Names)
    return damaged(Name, toString(Names.takeError()));
  // Version index -> its verdef name.
  DenseMap<unsigned, std::string> Defined;
  if (D->VerDef) {
    auto Defs = File->getVersionDefinitions(*D->VerDef);
    if (!Defs)
      return damaged(Name, toString(Defs.takeError()));
    for (const object::VerDef &V : *Defs) // Name runs on past its NUL
      Defined[V.Ndx] =
          StringRef(V.Name).take_until([](char C) { return C == '\0'; });
  }
  ArrayRef<ELFT::Versym> Versions;
  if (D->VerSym) {
    auto V = File->template getSectionContentsAsArray<ELFT::Versym>(*D->VerSym);
    if (!V)
      return damaged(Name, toString(V.takeError()));
    Versions = *V;
  }
  for (size_t I = 1; I < Symbols->size(); ++I) {
    const ELFT::Sym &S = (*Symbols)[I];
    if (S.st_shndx == ELF::SHN_UNDEF || S.getBinding() == ELF::STB_LOCAL ||
        S.getVisibility() != ELF::STV_DEFAULT)
      continue;
    auto SymName = S.getName(*Names);
    if (!SymName)
      return damaged(Name, toString(SymName.takeError()));
    uint16_t Ver = I < Versions.size() ? Versions[I].vs_index : 1;
    auto It = Defined.find(Ver & 0x7fff);
    Visit(*SymName, It == Defined.end() ? StringRef() : StringRef(It->second),
          uint64_t(S.st_value), Ver);
  }
  return Error::success();
}

Error readTemplateExports(StringRef Bytes, StringRef Name,
                          GlibcLoweringContext &Ctx) {
  if (!isElf64LE(Bytes))
    return Error::success();
  Expected<ElfDynamicInfo> Info = readElfDynamicInfo(Bytes, Name);
  if (!Info)
    return Info.takeError();
  for (const std::string &N : Info->Needed)
    Ctx.TemplateNeeded.insert(N);
  return forEachDefinition(
      Bytes, Name, [&](StringRef Sym, StringRef Version, uint64_t, uint16_t) {
        // Unversioned only: a versioned definition answers its version.
        if (Version.empty())
          Ctx.TemplateExports.insert(Sym);
        // A template that loads them itself below 2.34 has them too.
        if (Sym == PYOX_GLIBC_SPLIT_MARKER)
          for (const char *L : {PYOX_GLIBC_SPLIT_LIBRARIES})
            Ctx.TemplateNeeded.insert(L);
      });
}

Error readHostGlibc(GlibcLoweringContext &Ctx) {
  // The C library and libm of this process: the glibc the host's objects
  // were linked against. Found through the dynamic loader (dlinfo's
  // origin), not through a function's address, which an interposer such
  // as a sanitizer's runtime would own.
  std::vector<std::pair<std::string, std::string>> Found; // soname, path
  for (const char *Soname : {"libc.so.6", "libm.so.6"}) {
    void *Handle = dlopen(Soname, RTLD_LAZY | RTLD_LOCAL);
    if (!Handle)
      continue;
    char Dir[PATH_MAX] = "";
    if (dlinfo(Handle, RTLD_DI_ORIGIN, Dir) == 0 && Dir[0])
      Found.emplace_back(Soname, (Twine(Dir) + "/" + Soname).str());
    dlclose(Handle);
  }
  for (const auto &[Soname, Path] : Found) {
    auto Buf = MemoryBuffer::getFile(Path, /*IsText=*/false,
                                     /*RequiresNullTerminator=*/false);
    if (!Buf)
      return createStringError(Buf.getError(), "%s: cannot read: %s",
                               Path.c_str(), Buf.getError().message().c_str());
    Ctx.HostFiles.push_back(Path);
    auto &Symbols = Ctx.HostLibraries[Soname];
    if (Error E = forEachDefinition(
            (*Buf)->getBuffer(), Path,
            [&](StringRef Sym, StringRef Version, uint64_t Value, uint16_t) {
              if (!Version.empty())
                Symbols[Sym].push_back({Version.str(), Value});
            }))
      return E;
  }
  return Error::success();
}

// The ELF hash of a version name (gABI, "Hash Table"), as vna_hash holds.
static uint32_t elfHash(StringRef Name) {
  uint32_t H = 0;
  for (unsigned char C : Name) {
    H = (H << 4) + C;
    uint32_t G = H & 0xf0000000;
    if (G)
      H ^= G >> 24;
    H &= ~G;
  }
  return H;
}

// libm's older versions that are a wrapper computing the same values, not
// an alias: the SVID error-handling wrappers glibc dropped from the newer
// ones (exp, exp2, log, log2, pow at 2.29; exp10f at 2.32; hypot, hypotf
// at 2.35). The template uses some itself (tools/pyox-run/GlibcCompat.c).
// Not totalorder* (2.31 changed their arguments to pointers).
static bool sameValuesAtOlderVersion(StringRef Soname, StringRef Sym) {
  static const char *const Libm[] = {"exp", "exp2",   "log",   "log2",
                                     "pow", "exp10f", "hypot", "hypotf"};
  return Soname == "libm.so.6" && is_contained(Libm, Sym);
}

// The library that held, before glibc merged it into libc, a symbol libc
// now defines at GLIBC_2.32 or later and at an older version ("" when it is
// not one known here, which then is not lowered). glibc's NEWS: 2.32 moved
// some of libpthread; 2.34 the rest of libpthread (with the C11 threads),
// libdl, libutil, libanl and librt's, and libresolv's ns_* (2.34's libc
// also re-versioned __libc_start_main, which is left alone).
static StringRef libraryBeforeMerge(StringRef Sym) {
  static const char *const Libdl[] = {"dlopen",  "dlclose", "dlsym",
                                      "dlvsym",  "dlerror", "dladdr",
                                      "dladdr1", "dlinfo",  "dlmopen"};
  static const char *const Libutil[] = {"openpty", "forkpty", "login_tty",
                                        "login",   "logout",  "logwtmp"};
  static const char *const Libpthread[] = {
      "pthread_", "__pthread_", "_pthread_cleanup_", "sem_", "thrd_", "mtx_",
      "cnd_",     "tss_",       "call_once"};
  static const char *const Librt[] = {"shm_", "mq_",        "__mq_",
                                      "aio_", "lio_listio", "timer_"};
  auto StartsWithAny = [&](ArrayRef<const char *> Prefixes) {
    return any_of(Prefixes, [&](const char *P) { return Sym.starts_with(P); });
  };
  if (StartsWithAny(Libpthread))
    return "libpthread.so.0";
  if (is_contained(Libdl, Sym))
    return "libdl.so.2";
  if (is_contained(Libutil, Sym))
    return "libutil.so.1";
  if (StartsWithAny(Librt))
    return "librt.so.1";
  return "";
}

namespace {
// One Elf64_Vernaux entry, by its place in the file.
struct NeedEntry {
  uint64_t Offset; // of the Vernaux
  std::string File;
  std::string Version;
  unsigned Index;
  std::optional<GlibcVersion> Glibc; // of glibc's libraries only
};
} // namespace

Expected<GlibcLowering> lowerGlibcNeeds(StringRef Bytes, StringRef Name,
                                        const GlibcLoweringContext &Ctx) {
  GlibcLowering Out;
  if (!isElf64LE(Bytes))
    return Out;
  Expected<object::ELFFile<ELFT>> File = object::ELFFile<ELFT>::create(Bytes);
  if (!File)
    return damaged(Name, toString(File.takeError()));
  Expected<DynamicSymbols> D = findDynamicSymbols(*File, Name);
  if (!D)
    return D.takeError();
  if (!D->VerNeed || !D->DynSym || !D->VerSym)
    return Out;
  auto Strings = File->getSection(D->VerNeed->sh_link);
  if (!Strings)
    return damaged(Name, toString(Strings.takeError()));
  auto DynStr = File->getStringTable(**Strings);
  if (!DynStr)
    return damaged(Name, toString(DynStr.takeError()));
  auto Str = [&](uint32_t Off) -> StringRef {
    if (Off >= DynStr->size())
      return {};
    StringRef S = DynStr->drop_front(Off);
    return S.take_front(S.find('\0'));
  };

  // The version needs, walked by hand for their file offsets (gABI,
  // "Version Needed Section": Elf64_Verneed 16 bytes, Elf64_Vernaux 16).
  std::vector<NeedEntry> Needs;
  const uint64_t Base = D->VerNeed->sh_offset, End = Base + D->VerNeed->sh_size;
  if (End > Bytes.size() || End < Base)
    return damaged(Name, "SHT_GNU_verneed past the end of the file");
  auto U16 = [&](uint64_t At) {
    return support::endian::read16le(Bytes.data() + At);
  };
  auto U32 = [&](uint64_t At) {
    return support::endian::read32le(Bytes.data() + At);
  };
  uint64_t At = Base;
  for (unsigned N = 0; N < D->VerNeed->sh_info || D->VerNeed->sh_info == 0;
       ++N) {
    if (At + 16 > End)
      return damaged(Name, "SHT_GNU_verneed entry past its section");
    uint16_t Count = U16(At + 2);
    StringRef NeedFile = Str(U32(At + 4));
    uint64_t Aux = At + U32(At + 8);
    for (uint16_t A = 0; A < Count; ++A) {
      if (Aux + 16 > End || Aux < At)
        return damaged(Name, "SHT_GNU_verneed entry past its section");
      StringRef Version = Str(U32(Aux + 8));
      // Only glibc's own libraries' versions are glibc's (libgcc_s
      // defines a GLIBC_2.0 on some machines).
      bool FromGlibc =
          isSystemLibrary(NeedFile) && !NeedFile.starts_with("libgcc_s");
      Needs.push_back({Aux, NeedFile.str(), Version.str(),
                       unsigned(U16(Aux + 6) & 0x7fff),
                       FromGlibc ? glibcVersionOf(Version) : std::nullopt});
      uint32_t Next = U32(Aux + 12);
      if (!Next)
        break;
      Aux += Next;
    }
    uint32_t Next = U32(At + 12);
    if (!Next)
      break;
    At += Next;
  }
  auto NeedOf = [&](unsigned Index) -> NeedEntry * {
    for (NeedEntry &E : Needs)
      if (E.Index == Index)
        return &E;
    return nullptr;
  };
  auto Above = [&](const NeedEntry &E) {
    return E.Glibc && Ctx.Target < *E.Glibc;
  };
  if (none_of(Needs, Above))
    return Out;

  auto Symbols = File->symbols(D->DynSym);
  if (!Symbols)
    return damaged(Name, toString(Symbols.takeError()));
  auto Names = File->getStringTableForSymtab(*D->DynSym);
  if (!Names)
    return damaged(Name, toString(Names.takeError()));
  const uint64_t VerSymAt = D->VerSym->sh_offset;
  if (VerSymAt + 2 * Symbols->size() > Bytes.size() ||
      2 * Symbols->size() > D->VerSym->sh_size)
    return damaged(Name, "SHT_GNU_versym past the end of the file");

  // Each reference above the target: the version it may name instead
  // ("" when any will do: the template defines it).
  std::string Result = Bytes.str();
  std::vector<std::pair<size_t, std::string>> Moves; // symbol, new version
  for (size_t I = 1; I < Symbols->size(); ++I) {
    const ELFT::Sym &S = (*Symbols)[I];
    if (S.st_shndx != ELF::SHN_UNDEF)
      continue;
    NeedEntry *E = NeedOf(U16(VerSymAt + 2 * I) & 0x7fff);
    if (!E || !Above(*E))
      continue;
    auto SymName = S.getName(*Names);
    if (!SymName)
      return damaged(Name, toString(SymName.takeError()));
    if (Ctx.TemplateExports.contains(*SymName)) {
      Moves.push_back({I, ""});
      continue;
    }
    // The host's definitions of it, in the library the need names.
    std::optional<GlibcVersion> Best;
    std::string BestName;
    auto Lib = Ctx.HostLibraries.find(E->File);
    if (Lib != Ctx.HostLibraries.end()) {
      auto Defs = Lib->second.find(*SymName);
      if (Defs != Lib->second.end()) {
        const GlibcLoweringContext::Definition *Current = nullptr;
        for (const auto &Def : Defs->second)
          if (Def.Version == E->Version)
            Current = &Def;
        bool Moved =
            E->File == "libc.so.6" && !(*E->Glibc < GlibcVersion{2, 32});
        for (const auto &Def : Defs->second) {
          std::optional<GlibcVersion> V = glibcVersionOf(Def.Version);
          if (!Current || !V || Ctx.Target < *V)
            continue;
          if (Def.Value != Current->Value &&
              !sameValuesAtOlderVersion(E->File, *SymName))
            continue;
          if (Moved &&
              !Ctx.TemplateNeeded.contains(libraryBeforeMerge(*SymName)))
            continue;
          if (!Best || *Best < *V) {
            Best = V;
            BestName = Def.Version;
          }
        }
      }
    }
    if (!Best) {
      Out.Kept.push_back(SymName->str() + "@" + E->Version);
      continue;
    }
    Moves.push_back({I, BestName});
  }
  if (!Out.Kept.empty()) {
    llvm::sort(Out.Kept);
    return Out;
  }

  // A need with the wanted name, of a glibc library (the lookup is by name
  // and version over the global scope; the file only has to define it).
  auto FindNeed = [&](StringRef Version) -> NeedEntry * {
    for (NeedEntry &E : Needs)
      if (E.Version == Version && E.Glibc && !Above(E))
        return &E;
    return nullptr;
  };
  // Needs above the target whose symbols all want one version no need
  // has yet: renamed to it, when .dynstr holds the name. Otherwise the
  // symbol's reference becomes unversioned (VER_NDX_GLOBAL): check_match
  // then takes the one default (non-hidden) definition, which for an alias
  // is the same function on the old glibc as on this one.
  std::map<unsigned, std::string> Renames; // need index -> version
  // Where .dynstr holds VERSION (a whole string or a suffix of one).
  auto DynStrOffset = [&](StringRef Version) {
    return Version.empty() ? StringRef::npos
                           : DynStr->find(Version.str() + '\0');
  };
  auto SetIndex = [&](size_t Sym, uint16_t Index) {
    uint16_t Old = U16(VerSymAt + 2 * Sym);
    support::endian::write16le(&Result[VerSymAt + 2 * Sym],
                               (Old & 0x8000) | Index);
  };
  for (auto &[Sym, Version] : Moves) {
    unsigned Index = U16(VerSymAt + 2 * Sym) & 0x7fff;
    if (Version.empty())
      continue;
    if (NeedEntry *Target = FindNeed(Version)) {
      SetIndex(Sym, Target->Index);
      continue;
    }
    auto [It, New] = Renames.try_emplace(Index, Version);
    if (It->second == Version && DynStrOffset(Version) != StringRef::npos)
      continue;
    if (New)
      Renames.erase(It);
    SetIndex(Sym, ELF::VER_NDX_GLOBAL);
  }
  bool Failed = false;
  // Every need above the target gets a name the old glibc has: its
  // symbols' wanted one, else that of another need of the same file (its
  // remaining symbols, if any, are the template's, which accept any).
  for (NeedEntry &E : Needs) {
    if (!Above(E))
      continue;
    std::string Version;
    auto R = Renames.find(E.Index);
    if (R != Renames.end()) {
      Version = R->second;
    } else {
      for (const NeedEntry &Other : Needs)
        if (Other.File == E.File && Other.Glibc && !Above(Other))
          Version = Other.Version;
    }
    size_t Off = DynStrOffset(Version);
    if (Off == StringRef::npos) {
      Failed = true;
      Out.Kept.push_back("(" + E.File + " " + E.Version +
                         ": no older version name to use)");
      continue;
    }
    support::endian::write32le(&Result[E.Offset], elfHash(Version));
    support::endian::write32le(&Result[E.Offset + 8], uint32_t(Off));
    E.Version = Version;
    E.Glibc = glibcVersionOf(Version);
  }
  if (Failed) {
    if (Out.Kept.empty())
      Out.Kept.push_back("(version needs that cannot be renamed)");
    return Out;
  }
  Out.Bytes = std::move(Result);
  return Out;
}

} // namespace pyox
