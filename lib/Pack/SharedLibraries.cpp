//===- SharedLibraries.cpp - The policy, the closure, the glibc floor -----===//

#include "Pack/SharedLibraries.h"

#include "Pack/Collector.h"
#include "Pack/CompileCache.h"
#include "Pack/GlibcLowering.h"
#include "Pack/Pack.h"
#include "Pack/PayloadWriter.h"
#include "Pack/SourceCompression.h"

#include "pyox/format.h"
#include "pyox/payload.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Object/ELF.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstdio>
#include <cstring>
#include <fnmatch.h>
#include <map>
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

std::optional<GlibcVersion> glibcVersionOf(StringRef Name) {
  // LLVM's VernAux::Name holds the rest of the string table after the name.
  Name = Name.take_until([](char C) { return C == '\0'; });
  if (!Name.consume_front("GLIBC_"))
    return std::nullopt;
  // x86-64's base version, GLIBC_2.2.5, counts as 2.2.
  if (Name.count('.') == 2)
    Name = Name.take_front(Name.rfind('.'));
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
  auto Segments = File->program_headers();
  if (!Segments)
    return Bad(Segments.takeError());
  // The build-id only identifies the object (system copies): notes LLVM
  // cannot read leave it without one, not the build failed.
  for (const ELFT::Phdr &P : *Segments) {
    if (P.p_type != ELF::PT_NOTE)
      continue;
    Error Err = Error::success();
    for (const ELFT::Note &N : File->notes(P, Err))
      if (N.getType() == ELF::NT_GNU_BUILD_ID && N.getName() == "GNU")
        Info.BuildId = toStringRef(N.getDesc(P.p_align)).str();
    if (Err) {
      consumeError(std::move(Err));
      Info.BuildId.clear();
    }
  }

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

// Whether a packed file may be a shared object whose DT_NEEDED counts:
// extension modules and the libraries pack keeps as resources.
bool mayBeSharedObject(uint8_t Kind, StringRef Path) {
  if (Kind == PYOX_KIND_EXTENSION)
    return true;
  StringRef Name = sys::path::filename(Path);
  return Kind == PYOX_KIND_RESOURCE &&
         (Name.ends_with(".so") || Name.contains(".so."));
}

namespace {
// What a warm build keeps of a native object it packed (NativeMemo below).
struct PreparedObject {
  GlibcVersion Floor;
  uint32_t RawSize = 0; // of the bytes the frame holds
  CacheKey Frame{};     // the frame's key in the compile cache
  // The file as read, before lowering: its system copy's identity.
  GlibcVersion FileFloor;
  uint32_t FileCrc = 0;
  bool Elf = false;    // not an ELF file: no system copy either
  std::string BuildId; // its GNU build-id, if any
  std::string Remark;  // the lowering's, without the object's path
};

constexpr size_t PreparedHead = 24;

std::string encodePrepared(const PreparedObject &P) {
  std::string Out(PreparedHead, '\0');
  support::endian::write32le(Out.data(), P.Floor.encode());
  support::endian::write32le(Out.data() + 4, P.RawSize);
  support::endian::write32le(Out.data() + 8, P.FileFloor.encode());
  support::endian::write32le(Out.data() + 12, P.FileCrc);
  support::endian::write32le(Out.data() + 16, P.Elf);
  support::endian::write32le(Out.data() + 20, uint32_t(P.BuildId.size()));
  Out.append(reinterpret_cast<const char *>(P.Frame.data()), P.Frame.size());
  return Out + P.BuildId + P.Remark;
}

std::optional<PreparedObject> decodePrepared(StringRef Bytes) {
  if (Bytes.size() < PreparedHead + sizeof(CacheKey))
    return std::nullopt;
  PreparedObject P;
  P.Floor = GlibcVersion::decode(support::endian::read32le(Bytes.data()));
  P.RawSize = support::endian::read32le(Bytes.data() + 4);
  P.FileFloor =
      GlibcVersion::decode(support::endian::read32le(Bytes.data() + 8));
  P.FileCrc = support::endian::read32le(Bytes.data() + 12);
  P.Elf = support::endian::read32le(Bytes.data() + 16) != 0;
  uint32_t IdSize = support::endian::read32le(Bytes.data() + 20);
  std::memcpy(P.Frame.data(), Bytes.data() + PreparedHead, P.Frame.size());
  StringRef Rest = Bytes.drop_front(PreparedHead + P.Frame.size());
  if (Rest.size() < IdSize)
    return std::nullopt;
  P.BuildId = Rest.take_front(IdSize).str();
  P.Remark = Rest.drop_front(IdSize).str();
  return P;
}

// An object's line of PYOX_SYSTEM_COPIES (pyox/format.h).
struct SystemCopy {
  std::string Tree, File;
  uint64_t Size;
  uint32_t Crc;
  GlibcVersion Floor;
  std::string BuildId;
};

// PYOX_SYSTEM_COPIES for COPIES, by tree path; objects whose paths cannot
// be written on a line (a tab or newline in them), or whose file path is
// not absolute, are left out: they load from memory.
std::string systemCopiesTable(std::vector<SystemCopy> Copies) {
  llvm::sort(Copies, [](const SystemCopy &A, const SystemCopy &B) {
    return A.Tree < B.Tree;
  });
  std::string Out;
  for (const SystemCopy &C : Copies) {
    if (C.Tree.find_first_of("\t\n") != std::string::npos ||
        C.File.find_first_of("\t\n") != std::string::npos ||
        !sys::path::is_absolute(C.File, sys::path::Style::posix))
      continue;
    char Fields[64];
    snprintf(Fields, sizeof Fields, "\t%llu\t%08x\t%u.%u\t",
             static_cast<unsigned long long>(C.Size), C.Crc, C.Floor.Major,
             C.Floor.Minor);
    Out += C.Tree + "\t" + C.File + Fields +
           (C.BuildId.empty() ? std::string("-") : toHex(C.BuildId, true)) +
           "\n";
  }
  return Out;
}
} // namespace

// Bump when lowering or the floor's reading changes what they give for the
// same inputs: memo records made by another version are then not found.
static constexpr const char *NativeMemoVersion = "native-object-3";

Error packSharedLibraries(const PackConfig &Config,
                          ArrayRef<CollectedFile> Files,
                          std::vector<PayloadItem> &Items, PayloadInfo &Info,
                          CompileCache *Cache) {
  std::optional<GlibcVersion> Max;
  if (!Config.MaxGlibc.empty()) {
    Expected<GlibcVersion> V = parseGlibcVersion(Config.MaxGlibc);
    if (!V)
      return createStringError(std::errc::invalid_argument, "--max-glibc: %s",
                               toString(V.takeError()).c_str());
    Max = *V;
  }

  // 1. The closure of the packed objects' DT_NEEDED, carried as files (read
  // in step 3).
  std::vector<ClosureInput> Inputs;
  for (const CollectedFile &F : Files)
    if (mayBeSharedObject(F.Kind, F.Path) && !F.File.empty())
      Inputs.push_back({F.File, F.Path});
  ClosureConfig CC;
  CC.ExcludeLibs = Config.ExcludeLibs;
  CC.Warn = Config.Warn;
  Expected<std::vector<CarriedLibrary>> Carried =
      resolveCarriedLibraries(Inputs, CC);
  if (!Carried)
    return Carried.takeError();
  uint64_t CarriedBytes = 0;
  const size_t FirstCarried = Items.size();
  for (const CarriedLibrary &L : *Carried) {
    std::string Rel = std::string(PYOX_CARRIED_LIBS_DIR) + "/" + L.Soname;
    Items.push_back({PYOX_KIND_RESOURCE, Rel, Rel, {}});
  }

  // 2. Lowering: the objects above the template's floor (pack: above
  // --max-glibc) are rewritten to need versions an older glibc has, where
  // that is sound (GlibcLowering.h); the payload holds the rewritten bytes,
  // the files on disk are untouched.
  std::unique_ptr<MemoryBuffer> Template;
  std::optional<GlibcLoweringContext> Lower;
  if (!Config.TemplateFile.empty()) {
    auto Buf = MemoryBuffer::getFile(Config.TemplateFile, /*IsText=*/false,
                                     /*RequiresNullTerminator=*/false);
    if (!Buf)
      return createStringError(Buf.getError(), "%s: cannot read: %s",
                               Config.TemplateFile.c_str(),
                               Buf.getError().message().c_str());
    Template = std::move(*Buf);
    Expected<ElfDynamicInfo> T =
        readElfDynamicInfo(Template->getBuffer(), Config.TemplateFile);
    if (!T)
      return T.takeError();
    if (!T->Floor.empty()) {
      Lower.emplace();
      Lower->Target = T->Floor;
      if (Error E = readTemplateExports(Template->getBuffer(),
                                        Config.TemplateFile, *Lower))
        return E;
    }
  } else if (Max) {
    Lower.emplace();
    Lower->Target = *Max;
  }
  if (Lower)
    if (Error E = readHostGlibc(*Lower))
      return E;
  // The lowering's remark for the object at tree path Path, if any.
  auto Lowered = [&](PayloadItem &It) -> Expected<std::string> {
    if (!Lower)
      return std::string();
    Expected<GlibcLowering> L = lowerGlibcNeeds(It.Data, It.Path, *Lower);
    if (!L)
      return L.takeError();
    if (L->Bytes)
      It.Data = std::move(*L->Bytes);
    if (!L->Bytes && L->Kept.empty())
      return std::string();
    return "glibc needs " + (L->Bytes ? "lowered to " + Lower->Target.str()
                                      : "kept: " + join(L->Kept, ", "));
  };

  // 3. The glibc floor: the template and every ELF object in the payload.
  GlibcVersion Floor;
  std::map<std::string, std::vector<std::string>> TooNew; // object: symbols
  // The floor of Bytes, the object Name.
  auto Account = [&](StringRef Bytes,
                     StringRef Name) -> Expected<GlibcVersion> {
    Expected<ElfDynamicInfo> I = readElfDynamicInfo(Bytes, Name);
    if (!I)
      return I.takeError();
    if (Max && *Max < I->Floor) {
      std::vector<std::string> &Syms = TooNew[Name.str()];
      for (const ElfDynamicInfo::VersionedImport &V : I->GlibcImports)
        if (*Max < V.Version)
          Syms.push_back(V.Symbol + "@GLIBC_" + V.Version.str());
      llvm::sort(Syms);
      Syms.erase(std::unique(Syms.begin(), Syms.end()), Syms.end());
    }
    return I->Floor;
  };
  if (Template) {
    Expected<GlibcVersion> F =
        Account(Template->getBuffer(), Config.TemplateFile);
    if (!F)
      return F.takeError();
    Floor = *F;
  }

  // The memo of native objects. An object is read, lowered, its floor read
  // and its bytes compressed the same way by every build that packs it
  // unchanged, with the same template and host glibc; a warm build knows it
  // unchanged by its stat (SourceIndex) and finds in the compile cache a
  // record of the outcome (the floor, the lowering's remark, the key of the
  // frame compressFiles made): it reads the frame, some 40% of the file,
  // and nothing else. A record whose frame is gone (trimmed, or the bytes
  // were stored raw), or whose floor is above --max-glibc (the error names
  // symbols), is passed by: the object is prepared in full.
  const bool Memo = Cache && Config.Compress;
  CacheKey Context{};
  if (Memo) {
    std::vector<std::string> Parts = {NativeMemoVersion};
    if (Lower) {
      Parts.push_back(Lower->Target.str());
      std::vector<std::string> Read = Lower->HostFiles;
      if (!Config.TemplateFile.empty())
        Read.push_back(Config.TemplateFile);
      for (const std::string &File : Read) {
        Expected<SourceState> State = Cache->source(File);
        if (!State)
          return State.takeError();
        Parts.push_back(File);
        Parts.push_back(keyBytes(State->Digest).str());
      }
    }
    Context = makeCacheKey("native-object-context",
                           std::vector<StringRef>(Parts.begin(), Parts.end()));
  }
  // The system copies' lines (docs/runtime.md, "System copies"): each
  // object's file as read, before lowering, by its absolute path.
  std::vector<SystemCopy> Copies;
  auto AddCopy = [&](const PayloadItem &It, StringRef File, uint64_t Size,
                     uint32_t Crc, GlibcVersion FileFloor, StringRef BuildId) {
    SmallString<256> Abs(File);
    if (!sys::fs::make_absolute(Abs))
      Copies.push_back(
          {It.Path, Abs.str().str(), Size, Crc, FileFloor, BuildId.str()});
  };
  // Prepares It, the object File on disk (its bytes already in It.Data when
  // Read), and adds its floor and its system copy's line; Size: the file's.
  auto Prepare = [&](PayloadItem &It, const std::string &File, bool Read,
                     uint64_t &Size) -> Error {
    auto Note = [&](StringRef Remark) {
      if (Config.Remark && !Remark.empty())
        Config.Remark(It.Path + ": " + Remark);
    };
    std::optional<CacheKey> Key;
    if (Memo) {
      Expected<SourceState> State = Cache->source(File);
      if (!State)
        return State.takeError();
      Size = State->Size;
      Key = makeCacheKey("native-object",
                         {keyBytes(Context), keyBytes(State->Digest)});
      std::optional<std::string> Record = Cache->lookup(*Key);
      std::optional<PreparedObject> P;
      if (Record)
        P = decodePrepared(*Record);
      std::optional<std::string> Frame;
      if (P && !(Max && *Max < P->Floor))
        Frame = Cache->lookup(P->Frame);
      if (Frame && fileFrameWorth(P->RawSize, Frame->size())) {
        It.Data = std::move(*Frame);
        It.Flags = PYOX_ENTRY_ZSTD;
        It.RawSize = P->RawSize;
        Cache->countKnownObject();
        Note(P->Remark);
        Floor = std::max(Floor, P->Floor);
        if (P->Elf)
          AddCopy(It, File, Size, P->FileCrc, P->FileFloor, P->BuildId);
        return Error::success();
      }
      if (!Read && State->Text) { // read for its digest: the same bytes
        It.Data = std::move(*State->Text);
        Read = true;
      }
    }
    if (!Read) {
      auto Bytes = readFile(File);
      if (!Bytes)
        return Bytes.takeError();
      It.Data = std::move(*Bytes);
    }
    Size = It.Data.size();
    const uint32_t FileCrc = pyox_crc32c(0, It.Data.data(), It.Data.size());
    const bool Elf = StringRef(It.Data).starts_with("\x7f"
                                                    "ELF");
    ElfDynamicInfo FileInfo; // before lowering
    if (Elf) {
      Expected<ElfDynamicInfo> I = readElfDynamicInfo(It.Data, It.Path);
      if (!I)
        return I.takeError();
      FileInfo = std::move(*I);
    }
    Expected<std::string> Remark = Lowered(It);
    if (!Remark)
      return Remark.takeError();
    Note(*Remark);
    Expected<GlibcVersion> Own = Account(It.Data, It.Path);
    if (!Own)
      return Own.takeError();
    Floor = std::max(Floor, *Own);
    if (Elf)
      AddCopy(It, File, Size, FileCrc, FileInfo.Floor, FileInfo.BuildId);
    if (Key && It.Data.size() <= UINT32_MAX) {
      PreparedObject P{*Own,
                       uint32_t(It.Data.size()),
                       fileFrameKey(It.Data),
                       FileInfo.Floor,
                       FileCrc,
                       Elf,
                       FileInfo.BuildId,
                       *Remark};
      // Best effort, as every store: compressFiles reports a cache that
      // cannot be written.
      consumeError(Cache->store(*Key, encodePrepared(P)));
    }
    return Error::success();
  };
  // The packed objects' items hold their bytes as read (compressed later).
  StringMap<size_t> ItemOf;
  for (size_t I = 0; I < FirstCarried; ++I)
    if (Items[I].Kind == PYOX_KIND_EXTENSION ||
        Items[I].Kind == PYOX_KIND_RESOURCE)
      ItemOf.try_emplace(Items[I].Path, I);
  for (const ClosureInput &In : Inputs) {
    auto It = ItemOf.find(In.TreeRel);
    if (It == ItemOf.end())
      continue;
    uint64_t Size;
    if (Error E = Prepare(Items[It->second], In.File, /*Read=*/true, Size))
      return E;
  }
  for (size_t I = FirstCarried; I < Items.size(); ++I) {
    const CarriedLibrary &L = (*Carried)[I - FirstCarried];
    uint64_t Size;
    if (Error E = Prepare(Items[I], L.File, /*Read=*/false, Size))
      return E;
    CarriedBytes += Size;
  }
  Info.GlibcFloor = Floor.encode();
  if (Config.SystemCopies && !Copies.empty())
    Items.push_back({PYOX_KIND_RESOURCE, PYOX_SYSTEM_COPIES, PYOX_SYSTEM_COPIES,
                     systemCopiesTable(std::move(Copies))});

  if (!Max || !(*Max < Floor)) {
    if (Config.Summary) {
      char Size[32];
      snprintf(Size, sizeof Size, "%.1f", double(CarriedBytes) / 1048576.0);
      Config.Summary(Twine(Carried->size()) + " shared libraries carried (" +
                     Size + " MiB); glibc floor " +
                     (Floor.empty() ? std::string("none") : Floor.str()));
    }
    return Error::success();
  }
  std::string Why;
  for (const auto &[Object, Syms] : TooNew) {
    Why += Why.empty() ? "" : "; ";
    Why += Object + " (";
    for (size_t I = 0; I < Syms.size() && I < 4; ++I)
      Why += (I ? ", " : "") + Syms[I];
    if (Syms.size() > 4)
      Why += ", +" + std::to_string(Syms.size() - 4) + " more";
    Why += ")";
  }
  return createStringError(std::errc::invalid_argument,
                           "the program needs glibc %s, above --max-glibc "
                           "%s: %s",
                           Floor.str().c_str(), Max->str().c_str(),
                           Why.c_str());
}

Error packHostData(const PackConfig &Config, std::vector<PayloadItem> &Items) {
  std::string Roots;
  auto Add = [&](StringRef File, StringRef AbsPath) -> Error {
    auto Buf = MemoryBuffer::getFile(File, /*IsText=*/false,
                                     /*RequiresNullTerminator=*/false);
    if (!Buf)
      return createStringError(Buf.getError(), "--host-data %s: %s",
                               File.str().c_str(),
                               Buf.getError().message().c_str());
    std::string Rel =
        (Twine(PYOX_HOST_DATA_DIR) + "/" + AbsPath.drop_front()).str();
    Items.push_back({PYOX_KIND_RESOURCE, Rel, Rel, (*Buf)->getBuffer().str()});
    return Error::success();
  };
  for (StringRef Given : Config.HostData) {
    SmallString<256> Path(Given);
    sys::path::remove_dots(Path, /*remove_dot_dot=*/true);
    while (Path.size() > 1 && Path.back() == '/')
      Path.pop_back();
    if (!sys::path::is_absolute(Path) || Path == "/" ||
        StringRef(Path).contains('\n'))
      return createStringError(std::errc::invalid_argument,
                               "--host-data %s: an absolute path below / is "
                               "needed (served at the same path)",
                               Given.str().c_str());
    if (sys::fs::is_regular_file(Path)) {
      if (Error E = Add(Path, Path))
        return E;
    } else if (sys::fs::is_directory(Path)) {
      std::vector<std::string> Found;
      std::error_code EC;
      for (sys::fs::recursive_directory_iterator It(Path, EC, false), End;
           It != End && !EC; It.increment(EC))
        if (sys::fs::is_regular_file(It->path()))
          Found.push_back(It->path());
      if (EC)
        return createStringError(EC, "--host-data %s: %s", Path.c_str(),
                                 EC.message().c_str());
      llvm::sort(Found);
      for (const std::string &F : Found)
        if (Error E = Add(F, F))
          return E;
    } else {
      return createStringError(std::errc::no_such_file_or_directory,
                               "--host-data %s: no such file or directory",
                               Path.c_str());
    }
    Roots += Path.str().str() + "\n";
  }
  if (!Roots.empty())
    Items.push_back({PYOX_KIND_RESOURCE, PYOX_HOST_DATA_ROOTS,
                     PYOX_HOST_DATA_ROOTS, Roots});
  return Error::success();
}

} // namespace pyox
