//===- MachOWriter.cpp - Put payloads into a linked Mach-O file -----------===//
//
// The problem: give a linked Mach-O image a segment dyld maps read-only,
// without moving the code and data the linker laid out, and so that doing it
// again replaces that segment. llvm-objcopy --add-section puts a new segment
// after __LINKEDIT (llvm/llvm-project#67773), which dyld rejects:
// __LINKEDIT must be the last segment.
//
// The approach (loader.h), per slice:
//
//   [header + load commands: one more LC_SEGMENT_64, before __LINKEDIT's]
//   [__TEXT, __DATA_CONST, __DATA ... untouched]
//   [__PYOX,__pyox: the payload directory and payloads]   <- old __LINKEDIT
//   [__LINKEDIT, moved up by the size of __PYOX]              page-aligned
//
// The new load command needs room between the load commands and the first
// section; ld64 leaves plenty, lld only what -headerpad asks for. Moving
// __LINKEDIT changes nothing that code refers to (nothing points into it by
// address); every load command that holds a file offset into it is updated:
// LC_SYMTAB, LC_DYSYMTAB, LC_DYLD_INFO(_ONLY), the linkedit_data_commands
// (chained fixups, exports trie, function starts, data in code, split info,
// code signature, ...), LC_TWOLEVEL_HINTS and LC_NOTE. Section numbers of
// symbols do not change: __LINKEDIT has no sections and __pyox comes after
// all the others.
//
// Chained fixups (LC_DYLD_CHAINED_FIXUPS) also list the segments:
// dyld_chained_starts_in_image has seg_count entries, one per segment, and
// dyld checks seg_count against the segment count. Inserting __PYOX before
// __LINKEDIT inserts a 0 ("no fixups") entry at its index; the structures
// after the array move by a multiple of 8 to keep their alignment, and with
// them everything after the fixups blob in __LINKEDIT.
//
// A signed slice is signed again, ad hoc (CodeSignature.cpp), over the new
// bytes; the signature stays last in __LINKEDIT.
//
// Refresh replaces the __PYOX segment in place (the same payload gives the
// same file); remove takes it and its load command out again.
//
//===----------------------------------------------------------------------===//

#include "MachO/MachOImage.h"

#include "pyox/section.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/BinaryFormat/MachO.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace llvm;
using namespace llvm::support;

namespace pyox {
namespace macho {

namespace {

// Offsets (within each command) of the uint32 file-offset fields that may
// point into __LINKEDIT, per loader.h.
std::vector<uint32_t> linkEditOffsetFields(uint32_t Cmd) {
  switch (Cmd) {
  case MachO::LC_SYMTAB: // symoff, stroff
    return {8, 16};
  case MachO::LC_DYSYMTAB: // tocoff, modtaboff, extrefsymoff, indirectsymoff,
                           // extreloff, locreloff
    return {32, 40, 48, 56, 64, 72};
  case MachO::LC_DYLD_INFO:
  case MachO::LC_DYLD_INFO_ONLY: // rebase, bind, weak_bind, lazy_bind, export
    return {8, 16, 24, 32, 40};
  case MachO::LC_CODE_SIGNATURE:
  case MachO::LC_SEGMENT_SPLIT_INFO:
  case MachO::LC_FUNCTION_STARTS:
  case MachO::LC_DATA_IN_CODE:
  case MachO::LC_DYLIB_CODE_SIGN_DRS:
  case MachO::LC_LINKER_OPTIMIZATION_HINT:
  case MachO::LC_DYLD_EXPORTS_TRIE:
  case MachO::LC_DYLD_CHAINED_FIXUPS:
  case MachO::LC_ATOM_INFO:
  case MachO::LC_TWOLEVEL_HINTS: // linkedit_data_command.dataoff / offset
    return {8};
  default:
    return {};
  }
}

// The chained-fixups blob with one entry inserted into (At, Value) or removed
// from (At, nullopt) dyld_chained_starts_in_image.seg_info_offset. Shift is
// how far the bytes after the old array move (a multiple of 8).
struct ChainedEdit {
  std::vector<uint8_t> Blob;
  int64_t Shift = 0;
  uint64_t OldRest = 0; // offset in the old blob of the first moved byte
};

Expected<ChainedEdit> editChainedFixups(ArrayRef<uint8_t> Old, size_t At,
                                        bool Insert, StringRef FileName) {
  auto Bad = [&](const Twine &Why) {
    return fileError(FileName, "malformed chained fixups: " + Why);
  };
  // dyld_chained_fixups_header: version, starts_offset, imports_offset,
  // symbols_offset, imports_count, imports_format, symbols_format.
  if (Old.size() < 28)
    return Bad("header truncated");
  uint32_t StartsOff = endian::read32le(Old.data() + 4);
  if (StartsOff > Old.size() || Old.size() - StartsOff < 4)
    return Bad("starts out of bounds");
  uint32_t Count = endian::read32le(Old.data() + StartsOff);
  uint64_t ArrayEnd = StartsOff + 4 + uint64_t(Count) * 4;
  if (ArrayEnd > Old.size())
    return Bad("seg_info_offset out of bounds");
  std::vector<uint32_t> Entries(Count);
  for (uint32_t I = 0; I < Count; ++I)
    Entries[I] = endian::read32le(Old.data() + StartsOff + 4 + 4 * I);
  // The first structure after the array: per-segment starts, imports or
  // symbols; the bytes before it are padding.
  uint64_t Rest = Old.size();
  for (uint32_t E : Entries)
    if (E && StartsOff + uint64_t(E) >= ArrayEnd)
      Rest = std::min<uint64_t>(Rest, StartsOff + uint64_t(E));
  for (int Field : {8, 12}) {
    uint32_t Off = endian::read32le(Old.data() + Field);
    if (Off >= ArrayEnd)
      Rest = std::min<uint64_t>(Rest, Off);
  }
  for (uint64_t I = ArrayEnd; I < Rest; ++I)
    if (Old[I] != 0)
      return Bad("unexpected bytes after seg_info_offset");
  if (Insert) {
    if (At > Entries.size())
      return Bad("segment index out of range");
    Entries.insert(Entries.begin() + At, 0);
  } else {
    if (At >= Entries.size() || Entries[At] != 0)
      return Bad("the __PYOX segment has fixups");
    Entries.erase(Entries.begin() + At);
  }
  uint64_t NewArrayEnd = StartsOff + 4 + uint64_t(Entries.size()) * 4;
  // The smallest NewRest >= NewArrayEnd with NewRest == Rest (mod 8).
  uint64_t NewRest = NewArrayEnd + ((Rest - NewArrayEnd) % 8 + 8) % 8;
  if (Rest < NewArrayEnd)
    NewRest = NewArrayEnd + ((8 - (NewArrayEnd - Rest) % 8) % 8);
  ChainedEdit E;
  E.Shift = int64_t(NewRest) - int64_t(Rest);
  E.OldRest = Rest;
  E.Blob.assign(NewRest + (Old.size() - Rest), 0);
  std::memcpy(E.Blob.data(), Old.data(), StartsOff);
  endian::write32le(E.Blob.data() + StartsOff, Entries.size());
  for (size_t I = 0; I < Entries.size(); ++I) {
    uint32_t V = Entries[I];
    if (V && StartsOff + uint64_t(V) >= ArrayEnd)
      V += E.Shift;
    endian::write32le(E.Blob.data() + StartsOff + 4 + 4 * I, V);
  }
  std::memcpy(E.Blob.data() + NewRest, Old.data() + Rest, Old.size() - Rest);
  for (int Field : {8, 12}) {
    uint32_t Off = endian::read32le(Old.data() + Field);
    if (Off >= ArrayEnd)
      endian::write32le(E.Blob.data() + Field, Off + E.Shift);
  }
  return std::move(E);
}

// The end of the last table in __LINKEDIT other than the code signature:
// where the signature's alignment padding starts.
uint64_t linkEditDataEnd(const Slice &S) {
  uint64_t End = S.Segments[S.LinkEdit].FileOff;
  auto Cover = [&](ArrayRef<uint8_t> C, uint32_t OffAt, uint32_t CountAt,
                   uint64_t EntrySize) {
    if (CountAt + 4 > C.size())
      return;
    uint64_t Off = endian::read32le(C.data() + OffAt);
    uint64_t Count = endian::read32le(C.data() + CountAt);
    if (Count)
      End = std::max(End, Off + Count * EntrySize);
  };
  for (const LoadCommand &LC : S.Commands) {
    switch (LC.Cmd) {
    case MachO::LC_SYMTAB:
      Cover(LC.Bytes, 8, 12, 16); // nlist_64
      Cover(LC.Bytes, 16, 20, 1);
      break;
    case MachO::LC_DYSYMTAB:
      Cover(LC.Bytes, 32, 36, 8);  // dylib_table_of_contents
      Cover(LC.Bytes, 40, 44, 56); // dylib_module_64
      Cover(LC.Bytes, 48, 52, 4);
      Cover(LC.Bytes, 56, 60, 4);
      Cover(LC.Bytes, 64, 68, 8); // relocation_info
      Cover(LC.Bytes, 72, 76, 8);
      break;
    case MachO::LC_DYLD_INFO:
    case MachO::LC_DYLD_INFO_ONLY:
      for (uint32_t F = 8; F <= 40; F += 8)
        Cover(LC.Bytes, F, F + 4, 1);
      break;
    case MachO::LC_CODE_SIGNATURE:
      break;
    default:
      if (!linkEditOffsetFields(LC.Cmd).empty())
        Cover(LC.Bytes, 8, 12, 1);
    }
  }
  return End;
}

} // namespace

Expected<std::vector<uint8_t>> writeSlice(const Slice &S,
                                          ArrayRef<NamedPayload> Payloads,
                                          WarningHandler Warn) {
  const Segment &LE = S.Segments[S.LinkEdit];
  const uint64_t Page = S.PageSize;
  const uint64_t Base = S.Pyox ? S.Segments[*S.Pyox].FileOff : LE.FileOff;
  const uint64_t BaseVM = S.Pyox ? S.Segments[*S.Pyox].VMAddr : LE.VMAddr;
  if (Base % Page != 0 || BaseVM % Page != 0)
    return fileError(S.FileName, "segment __PYOX is not page aligned");
  std::vector<uint8_t> Content;
  if (!Payloads.empty())
    Content = buildPayloadSection(Payloads);
  const uint64_t PyoxSize = alignTo(Content.size(), Page);
  const uint64_t NewLEOff = Base + PyoxSize, NewLEVM = BaseVM + PyoxSize;

  // Segment count changes shift the index of __LINKEDIT in chained fixups.
  std::optional<size_t> ChainedCmd;
  for (size_t I = 0; I < S.Commands.size(); ++I)
    if (S.Commands[I].Cmd == MachO::LC_DYLD_CHAINED_FIXUPS)
      ChainedCmd = I;
  uint64_t ChainedOff = 0, ChainedSize = 0;
  ChainedEdit Chained;
  bool EditChained = false;
  if (ChainedCmd) {
    ArrayRef<uint8_t> C = S.Commands[*ChainedCmd].Bytes;
    ChainedOff = endian::read32le(C.data() + 8);
    ChainedSize = endian::read32le(C.data() + 12);
    if (ChainedOff < LE.FileOff ||
        ChainedOff + ChainedSize > LE.FileOff + LE.FileSize)
      return fileError(S.FileName, "chained fixups lie outside __LINKEDIT");
    ArrayRef<uint8_t> Blob =
        arrayRefFromStringRef(S.Bytes.substr(ChainedOff, ChainedSize));
    uint32_t SegCount = 0;
    if (Blob.size() >= 8) {
      uint32_t StartsOff = endian::read32le(Blob.data() + 4);
      if (StartsOff <= Blob.size() - 4)
        SegCount = endian::read32le(Blob.data() + StartsOff);
    }
    bool Adding = !S.Pyox && !Content.empty();
    bool Removing = S.Pyox && Content.empty();
    // Only a table that lists every segment is kept that way; dyld accepts
    // shorter ones that leave out trailing segments without fixups.
    if ((Adding || Removing) && SegCount == S.Segments.size()) {
      Expected<ChainedEdit> E = editChainedFixups(
          Blob, Adding ? S.LinkEdit : *S.Pyox, Adding, S.FileName);
      if (!E)
        return E.takeError();
      Chained = std::move(*E);
      EditChained = true;
    }
  }
  // New file offset of an old offset into __LINKEDIT.
  auto Map = [&](uint64_t Old) -> uint64_t {
    uint64_t New = Old - LE.FileOff + NewLEOff;
    if (EditChained && Old >= ChainedOff + ChainedSize)
      New += Chained.Shift;
    return New;
  };

  // __LINKEDIT's new contents, up to the signature.
  uint64_t LEDataEnd = LE.FileOff + LE.FileSize;
  MachO::linkedit_data_command OldSig{};
  if (S.CodeSignature) {
    std::memcpy(&OldSig, S.Commands[*S.CodeSignature].Bytes.data(),
                sizeof OldSig);
    LEDataEnd = std::min<uint64_t>(OldSig.dataoff, linkEditDataEnd(S));
  }
  uint64_t NewDataEnd = Map(LEDataEnd);
  if (EditChained && LEDataEnd < ChainedOff + ChainedSize)
    return fileError(S.FileName, "the code signature precedes chained fixups");

  // The code signature to make.
  std::optional<SignatureLayout> Sig;
  uint64_t SigOff = 0, SigSize = 0;
  if (S.Signature) {
    const SignatureInfo &Old = *S.Signature;
    SignatureLayout L;
    L.Identifier = Old.Identifier.empty()
                       ? sys::path::filename(S.FileName).str()
                       : Old.Identifier;
    L.Flags = Old.Flags | MachO::CS_ADHOC;
    bool Certificate = !Old.AdHoc || Old.HasCms;
    if (Certificate) {
      Warn(S.FileName + ": replaced a certificate code signature with an "
                        "ad-hoc one; sign the output again (codesign --force "
                        "--sign IDENTITY)");
      L.Flags &= ~uint32_t(MachO::CS_LINKER_SIGNED);
    }
    for (const auto &B : Old.SpecialBlobs)
      if (!(Certificate && B.first == 2)) // requirements name the certificate
        L.SpecialBlobs.push_back(B);
    L.SpecialHashes = Old.SpecialHashes;
    if (Certificate && L.SpecialHashes.size() >= 2)
      std::memset(L.SpecialHashes[1].data(), 0, 32);
    if (S.TextSegment) {
      L.ExecSegBase = S.Segments[*S.TextSegment].FileOff;
      L.ExecSegLimit = S.Segments[*S.TextSegment].FileSize;
    }
    L.ExecSegFlags = Old.ExecSegFlags;
    if (S.FileType == MachO::MH_EXECUTE)
      L.ExecSegFlags |= MachO::CS_EXECSEG_MAIN_BINARY;
    SigOff = alignTo(NewDataEnd, 16);
    SigSize = signatureSize(L, SigOff);
    Sig = std::move(L);
  }
  uint64_t NewLEFileSize = (Sig ? SigOff + SigSize : NewDataEnd) - NewLEOff;
  uint64_t FileSize = NewLEOff + NewLEFileSize;
  if (FileSize > UINT32_MAX)
    return fileError(S.FileName, "the output would exceed 4 GiB, the limit of "
                                 "Mach-O file offsets");

  // Load commands.
  std::vector<uint8_t> Cmds;
  uint32_t NCmds = 0;
  auto PyoxCommand = [&] {
    std::vector<uint8_t> C(
        sizeof(MachO::segment_command_64) + sizeof(MachO::section_64), 0);
    put32(C, 0, MachO::LC_SEGMENT_64);
    put32(C, 4, C.size());
    std::memcpy(C.data() + 8, PYOX_MACHO_SEGMENT,
                sizeof(PYOX_MACHO_SEGMENT) - 1);
    put64(C, 24, BaseVM);
    put64(C, 32, PyoxSize);
    put64(C, 40, Base);
    put64(C, 48, PyoxSize);
    put32(C, 56, MachO::VM_PROT_READ); // maxprot
    put32(C, 60, MachO::VM_PROT_READ); // initprot
    put32(C, 64, 1);                   // nsects
    size_t Sec = sizeof(MachO::segment_command_64);
    std::memcpy(C.data() + Sec, PYOX_MACHO_SECTION,
                sizeof(PYOX_MACHO_SECTION) - 1);
    std::memcpy(C.data() + Sec + 16, PYOX_MACHO_SEGMENT,
                sizeof(PYOX_MACHO_SEGMENT) - 1);
    put64(C, Sec + 32, BaseVM);         // addr
    put64(C, Sec + 40, Content.size()); // size
    put32(C, Sec + 48, Base);           // offset
    put32(C, Sec + 52, 4);              // align: 2^4, PYOX_DATA_ALIGN
    put32(C, Sec + 64, MachO::S_REGULAR);
    return C;
  };
  for (size_t I = 0; I < S.Commands.size(); ++I) {
    if (S.Pyox && I == S.Segments[*S.Pyox].Command)
      continue;
    if (I == LE.Command && !Content.empty()) {
      std::vector<uint8_t> P = PyoxCommand();
      Cmds.insert(Cmds.end(), P.begin(), P.end());
      ++NCmds;
    }
    const LoadCommand &LC = S.Commands[I];
    std::vector<uint8_t> C(LC.Bytes.begin(), LC.Bytes.end());
    if (I == LE.Command) {
      put64(C, 24, NewLEVM);
      // lld leaves vmsize == filesize, ld64 rounds it to a page: keep the
      // linker's choice.
      put64(C, 32,
            LE.VMSize == LE.FileSize ? NewLEFileSize
                                     : alignTo(NewLEFileSize, Page));
      put64(C, 40, NewLEOff);
      put64(C, 48, NewLEFileSize);
    }
    std::vector<uint32_t> Fields = linkEditOffsetFields(LC.Cmd);
    for (uint32_t F : Fields) {
      if (F + 4 > C.size())
        return fileError(S.FileName, "load command too small");
      uint32_t Old = endian::read32le(C.data() + F);
      if (Old != 0 && Old >= LE.FileOff && Old <= LE.FileOff + LE.FileSize)
        put32(C, F, Map(Old));
    }
    if (LC.Cmd == MachO::LC_NOTE && C.size() >= 56) {
      uint64_t Old = endian::read64le(C.data() + 40);
      if (Old >= LE.FileOff && Old <= LE.FileOff + LE.FileSize)
        put64(C, 40, Map(Old));
    }
    if (LC.Cmd == MachO::LC_DYLD_CHAINED_FIXUPS && EditChained)
      put32(C, 12, Chained.Blob.size());
    if (LC.Cmd == MachO::LC_CODE_SIGNATURE) {
      put32(C, 8, SigOff);
      put32(C, 12, SigSize);
    }
    Cmds.insert(Cmds.end(), C.begin(), C.end());
    ++NCmds;
  }
  if (sizeof(MachO::mach_header_64) + Cmds.size() > S.HeaderRoom)
    return fileError(
        S.FileName,
        "no room for the __PYOX load command between the load "
        "commands and the first section (" +
            Twine(S.HeaderRoom - sizeof(MachO::mach_header_64) - S.SizeOfCmds) +
            " bytes free, " + Twine(Cmds.size() - S.SizeOfCmds) +
            " needed); link with -headerpad 0x1000 or "
            "-headerpad_max_install_names");

  // The file: the original up to Base, __PYOX, then __LINKEDIT.
  std::vector<uint8_t> Out(FileSize, 0);
  std::memcpy(Out.data(), S.Bytes.data(), Base);
  size_t H = sizeof(MachO::mach_header_64);
  std::memset(Out.data() + H, 0, S.SizeOfCmds);
  put32(Out, 16, NCmds);
  put32(Out, 20, Cmds.size());
  std::memcpy(Out.data() + H, Cmds.data(), Cmds.size());
  if (!Content.empty())
    std::memcpy(Out.data() + Base, Content.data(), Content.size());
  if (EditChained) {
    uint64_t Before = ChainedOff - LE.FileOff;
    std::memcpy(Out.data() + NewLEOff, S.Bytes.data() + LE.FileOff, Before);
    std::memcpy(Out.data() + NewLEOff + Before, Chained.Blob.data(),
                Chained.Blob.size());
    uint64_t After = ChainedOff + ChainedSize;
    std::memcpy(Out.data() + Map(After), S.Bytes.data() + After,
                LEDataEnd - After);
  } else {
    std::memcpy(Out.data() + NewLEOff, S.Bytes.data() + LE.FileOff,
                LEDataEnd - LE.FileOff);
  }
  if (Sig)
    writeSignature(*Sig, ArrayRef<uint8_t>(Out).take_front(SigOff),
                   MutableArrayRef<uint8_t>(Out).slice(SigOff, SigSize));
  return std::move(Out);
}

Expected<std::vector<uint8_t>>
writeFile(const File &F, ArrayRef<std::vector<NamedPayload>> Payloads,
          WarningHandler Warn) {
  if (!F.Fat)
    return writeSlice(F.Slices[0], Payloads[0], Warn);
  // fat_header and fat_arch(_64) are big-endian (mach-o/fat.h).
  std::vector<std::vector<uint8_t>> Slices;
  for (size_t I = 0; I < F.Slices.size(); ++I) {
    Expected<std::vector<uint8_t>> S =
        writeSlice(F.Slices[I], Payloads[I], Warn);
    if (!S)
      return S.takeError();
    Slices.push_back(std::move(*S));
  }
  size_t ArchSize =
      F.Fat64 ? sizeof(MachO::fat_arch_64) : sizeof(MachO::fat_arch);
  uint64_t Cursor = sizeof(MachO::fat_header) + ArchSize * Slices.size();
  std::vector<uint64_t> Offsets;
  for (size_t I = 0; I < Slices.size(); ++I) {
    Cursor = alignTo(Cursor, uint64_t(1) << F.Arches[I].Align);
    Offsets.push_back(Cursor);
    Cursor += Slices[I].size();
  }
  if (!F.Fat64 && Cursor > UINT32_MAX)
    return fileError(F.FileName, "the universal file would exceed 4 GiB");
  std::vector<uint8_t> Out(Cursor, 0);
  endian::write32be(Out.data(),
                    F.Fat64 ? MachO::FAT_MAGIC_64 : MachO::FAT_MAGIC);
  endian::write32be(Out.data() + 4, Slices.size());
  for (size_t I = 0; I < Slices.size(); ++I) {
    uint8_t *A = Out.data() + sizeof(MachO::fat_header) + ArchSize * I;
    endian::write32be(A, F.Arches[I].CpuType);
    endian::write32be(A + 4, F.Arches[I].CpuSubType);
    if (F.Fat64) {
      endian::write64be(A + 8, Offsets[I]);
      endian::write64be(A + 16, Slices[I].size());
      endian::write32be(A + 24, F.Arches[I].Align);
    } else {
      endian::write32be(A + 8, Offsets[I]);
      endian::write32be(A + 12, Slices[I].size());
      endian::write32be(A + 16, F.Arches[I].Align);
    }
    std::memcpy(Out.data() + Offsets[I], Slices[I].data(), Slices[I].size());
  }
  return std::move(Out);
}

static Error writeOutput(const File &F,
                         ArrayRef<std::vector<NamedPayload>> Payloads,
                         StringRef OutputPath, WarningHandler Warn) {
  Expected<std::vector<uint8_t>> Bytes = writeFile(F, Payloads, Warn);
  if (!Bytes)
    return Bytes.takeError();
  return writeBinaryOutput(F.FileName, OutputPath, *Bytes);
}

Error injectPayload(MemoryBufferRef Input, StringRef Name,
                    ArrayRef<uint8_t> Payload, StringRef OutputPath,
                    WarningHandler Warn) {
  Expected<ArrayRef<uint8_t>> Bytes = checkPayloadBytes(Payload);
  if (!Bytes)
    return Bytes.takeError();
  Expected<File> F = readFile(Input);
  if (!F)
    return F.takeError();
  std::vector<std::vector<NamedPayload>> Payloads;
  for (const Slice &S : F->Slices) {
    Payloads.push_back(S.Payloads);
    setPayload(Payloads.back(), Name, *Bytes);
  }
  return writeOutput(*F, Payloads, OutputPath, Warn);
}

Error removePayload(MemoryBufferRef Input, StringRef Name, StringRef OutputPath,
                    WarningHandler Warn) {
  Expected<File> F = readFile(Input);
  if (!F)
    return F.takeError();
  std::vector<std::vector<NamedPayload>> Payloads;
  bool Found = false;
  for (const Slice &S : F->Slices) {
    Payloads.push_back(S.Payloads);
    Found |= erasePayload(Payloads.back(), Name);
  }
  if (!Found)
    return fileError(F->FileName, "no payload named '" + Name + "'");
  return writeOutput(*F, Payloads, OutputPath, Warn);
}

} // namespace macho
} // namespace pyox
