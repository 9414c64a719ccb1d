//===- MachOReader.cpp - Read Mach-O files into the injection model -------===//
//
// LLVM's MachOObjectFile checks a slice's header and load commands (sizes,
// overlaps of the __LINKEDIT tables, section ranges); this reader then
// records what the writer needs and checks the layout it relies on
// (loader.h): __LINKEDIT is the last segment, in load-command order, in the
// file and in memory, and ends the file; a __PYOX segment from an earlier
// injection lies right before it. Universal files are read with
// MachOUniversalBinary and each slice the same way.
//
//===----------------------------------------------------------------------===//

#include "MachO/MachOImage.h"

#include "pyox/section.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/BinaryFormat/MachO.h"
#include "llvm/Object/MachO.h"
#include "llvm/Object/MachOUniversal.h"
#include "llvm/Support/Endian.h"

using namespace llvm;
using namespace llvm::support;

namespace pyox {
namespace macho {

bool isMachO(StringRef Bytes) {
  if (Bytes.size() < 4)
    return false;
  uint32_t LE = endian::read32le(Bytes.data());
  uint32_t BE = endian::read32be(Bytes.data());
  return LE == MachO::MH_MAGIC_64 || LE == MachO::MH_MAGIC ||
         BE == MachO::MH_MAGIC_64 || BE == MachO::MH_MAGIC ||
         BE == MachO::FAT_MAGIC || BE == MachO::FAT_MAGIC_64;
}

Expected<Slice> readSlice(StringRef Bytes, StringRef FileName) {
  if (Bytes.size() < 4 || endian::read32le(Bytes.data()) != MachO::MH_MAGIC_64)
    return fileError(FileName, "only 64-bit little-endian Mach-O is supported");
  Expected<std::unique_ptr<object::MachOObjectFile>> ObjOr =
      object::MachOObjectFile::create(MemoryBufferRef(Bytes, FileName),
                                      /*IsLittleEndian=*/true,
                                      /*Is64Bits=*/true);
  if (!ObjOr)
    return fileError(FileName,
                     "malformed Mach-O: " + toString(ObjOr.takeError()));
  const object::MachOObjectFile &Obj = **ObjOr;
  Slice S;
  S.Bytes = Bytes;
  S.FileName = FileName.str();
  MachO::mach_header_64 H = Obj.getHeader64();
  S.CpuType = H.cputype;
  S.FileType = H.filetype;
  S.SizeOfCmds = H.sizeofcmds;
  if (H.cputype == MachO::CPU_TYPE_ARM64) {
    S.ArchName = "arm64";
    S.PageSize = 0x4000;
  } else if (H.cputype == MachO::CPU_TYPE_X86_64) {
    S.ArchName = "x86_64";
    S.PageSize = 0x1000;
  } else {
    return fileError(FileName,
                     "unsupported Mach-O CPU type " + Twine(H.cputype));
  }
  if (H.filetype != MachO::MH_EXECUTE && H.filetype != MachO::MH_DYLIB &&
      H.filetype != MachO::MH_BUNDLE)
    return fileError(FileName,
                     "not a linked Mach-O executable, dylib or bundle "
                     "(filetype " +
                         Twine(H.filetype) + ")");
  uint64_t FirstSection = Bytes.size();
  for (const object::MachOObjectFile::LoadCommandInfo &L :
       Obj.load_commands()) {
    LoadCommand C;
    C.Cmd = L.C.cmd;
    C.Offset = L.Ptr - Bytes.data();
    C.Bytes = arrayRefFromStringRef(Bytes.substr(C.Offset, L.C.cmdsize));
    if (L.C.cmd == MachO::LC_SEGMENT)
      return fileError(FileName, "32-bit segment in a 64-bit Mach-O");
    if (L.C.cmd == MachO::LC_SEGMENT_64) {
      MachO::segment_command_64 SC = Obj.getSegment64LoadCommand(L);
      Segment Seg;
      Seg.Name = StringRef(SC.segname, strnlen(SC.segname, 16)).str();
      Seg.Command = S.Commands.size();
      Seg.VMAddr = SC.vmaddr;
      Seg.VMSize = SC.vmsize;
      Seg.FileOff = SC.fileoff;
      Seg.FileSize = SC.filesize;
      for (unsigned I = 0; I < SC.nsects; ++I) {
        MachO::section_64 Sec = Obj.getSection64(L, I);
        uint32_t Type = Sec.flags & MachO::SECTION_TYPE;
        bool ZeroFill = Type == MachO::S_ZEROFILL ||
                        Type == MachO::S_GB_ZEROFILL ||
                        Type == MachO::S_THREAD_LOCAL_ZEROFILL;
        if (!ZeroFill && Sec.size && Sec.offset)
          FirstSection = std::min<uint64_t>(FirstSection, Sec.offset);
        if (Seg.Name == PYOX_MACHO_SEGMENT &&
            StringRef(Sec.sectname, strnlen(Sec.sectname, 16)) ==
                PYOX_MACHO_SECTION) {
          if (Sec.offset > Bytes.size() || Sec.size > Bytes.size() - Sec.offset)
            return fileError(FileName,
                             "section __PYOX,__pyox lies outside the file");
          Expected<std::vector<NamedPayload>> P = readPayloadSection(
              arrayRefFromStringRef(Bytes.substr(Sec.offset, Sec.size)));
          if (!P)
            return fileError(FileName, "section __PYOX,__pyox: " +
                                           toString(P.takeError()));
          S.Payloads = std::move(*P);
          S.PyoxSectionOffset = Sec.offset;
        }
      }
      if (Seg.Name == "__TEXT")
        S.TextSegment = S.Segments.size();
      if (Seg.Name == PYOX_MACHO_SEGMENT) {
        if (S.Pyox)
          return fileError(FileName, "more than one __PYOX segment");
        S.Pyox = S.Segments.size();
      }
      S.Segments.push_back(Seg);
    }
    if (L.C.cmd == MachO::LC_CODE_SIGNATURE)
      S.CodeSignature = S.Commands.size();
    S.Commands.push_back(C);
  }
  S.HeaderRoom = FirstSection;

  // __LINKEDIT: last in command order, in the file and in memory.
  if (S.Segments.empty() || S.Segments.back().Name != "__LINKEDIT")
    return fileError(FileName, "__LINKEDIT is not the last segment; not a "
                               "layout pyox-inject can extend");
  S.LinkEdit = S.Segments.size() - 1;
  const Segment &LE = S.Segments[S.LinkEdit];
  if (LE.FileOff > Bytes.size() || LE.FileSize > Bytes.size() - LE.FileOff)
    return fileError(FileName, "__LINKEDIT lies outside the file");
  if (LE.FileOff + LE.FileSize != Bytes.size())
    return fileError(FileName, "data follows __LINKEDIT in the file");
  if (LE.FileOff % S.PageSize != 0 || LE.VMAddr % S.PageSize != 0)
    return fileError(FileName, "__LINKEDIT is not page aligned");
  for (size_t I = 0; I + 1 < S.Segments.size(); ++I) {
    const Segment &Seg = S.Segments[I];
    if (Seg.FileSize && Seg.FileOff + Seg.FileSize > LE.FileOff)
      return fileError(FileName,
                       "segment " + Seg.Name + " overlaps __LINKEDIT");
    if (Seg.VMSize && Seg.VMAddr + Seg.VMSize > LE.VMAddr)
      return fileError(FileName,
                       "segment " + Seg.Name + " lies above __LINKEDIT");
  }
  if (S.Pyox) {
    const Segment &P = S.Segments[*S.Pyox];
    if (*S.Pyox + 2 != S.Segments.size() ||
        P.FileOff + P.FileSize != LE.FileOff ||
        P.VMAddr + P.VMSize != LE.VMAddr)
      return fileError(FileName,
                       "segment __PYOX is not right before __LINKEDIT");
  }
  if (S.CodeSignature) {
    MachO::linkedit_data_command CS;
    std::memcpy(&CS, S.Commands[*S.CodeSignature].Bytes.data(), sizeof CS);
    if (CS.dataoff < LE.FileOff ||
        uint64_t(CS.dataoff) + CS.datasize != LE.FileOff + LE.FileSize)
      return fileError(FileName, "the code signature is not at the end of "
                                 "__LINKEDIT");
    Expected<SignatureInfo> Sig = readSignature(
        arrayRefFromStringRef(Bytes.substr(CS.dataoff, CS.datasize)));
    if (!Sig)
      return fileError(FileName, toString(Sig.takeError()));
    S.Signature = std::move(*Sig);
  }
  return std::move(S);
}

Expected<File> readFile(MemoryBufferRef Buffer) {
  StringRef Name = Buffer.getBufferIdentifier();
  StringRef B = Buffer.getBuffer();
  File F;
  F.FileName = Name.str();
  if (!isMachO(B))
    return fileError(Name, "not a Mach-O file");
  uint32_t BE = endian::read32be(B.data());
  if (BE != MachO::FAT_MAGIC && BE != MachO::FAT_MAGIC_64) {
    Expected<Slice> S = readSlice(B, Name);
    if (!S)
      return S.takeError();
    F.Slices.push_back(std::move(*S));
    return std::move(F);
  }
  Expected<std::unique_ptr<object::MachOUniversalBinary>> U =
      object::MachOUniversalBinary::create(Buffer);
  if (!U)
    return fileError(Name,
                     "malformed universal file: " + toString(U.takeError()));
  F.Fat = true;
  F.Fat64 = BE == MachO::FAT_MAGIC_64;
  for (const object::MachOUniversalBinary::ObjectForArch &A : (*U)->objects()) {
    FatArch Arch;
    Arch.CpuType = A.getCPUType();
    Arch.CpuSubType = A.getCPUSubType();
    Arch.Offset = A.getOffset();
    Arch.Size = A.getSize();
    Arch.Align = A.getAlign();
    if (Arch.Align > 16)
      return fileError(Name, "universal file slice alignment 2^" +
                                 Twine(Arch.Align) + " is too large");
    Expected<Slice> S =
        readSlice(B.substr(Arch.Offset, Arch.Size),
                  (Name + " (" + A.getArchFlagName() + ")").str());
    if (!S)
      return S.takeError();
    F.Arches.push_back(Arch);
    F.Slices.push_back(std::move(*S));
  }
  return std::move(F);
}

Expected<std::vector<EmbeddedPayload>>
findMachOPayloads(MemoryBufferRef Buffer) {
  Expected<File> F = readFile(Buffer);
  if (!F)
    return F.takeError();
  std::vector<EmbeddedPayload> Result;
  for (size_t I = 0; I < F->Slices.size(); ++I) {
    const Slice &S = F->Slices[I];
    uint64_t Base = F->Fat ? F->Arches[I].Offset : 0;
    for (const NamedPayload &P : S.Payloads)
      Result.push_back({P.Name,
                        (F->Fat ? S.ArchName + " " : std::string()) +
                            "section __PYOX,__pyox",
                        Base + S.PyoxSectionOffset + P.SectionOffset, P.Bytes});
  }
  return std::move(Result);
}

} // namespace macho
} // namespace pyox
