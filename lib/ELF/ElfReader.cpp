//===- ElfReader.cpp - Read a linked ELF file into an Image ---------------===//
//
// LLVM's ELFFile does the bounds checking of the header, the program header
// table, the section header table and note iteration; this file widens what
// it reads into the Image model and recognises what pyox put there:
//
//  * PYOX payload notes (pyox/runtime.h), wherever they are: their payload
//    range must lie in the file-backed part of a PT_LOAD, or the file is
//    rejected as malformed.
//  * The segment a post-link injection appended: the read-only PT_LOAD whose
//    file contents end with a PYOX record trailer, in front of which are the
//    PYOX_NOTE_ORIGINAL_LAYOUT record and its payload records. It must be
//    the last PT_LOAD, by index and by address, as the writer makes it.
//
//===----------------------------------------------------------------------===//

#include "ELF/ElfImage.h"

#include "Common/PayloadSection.h"

#include "pyox/runtime.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/BinaryFormat/ELF.h"
#include "llvm/Object/ELF.h"
#include "llvm/Support/Endian.h"

using namespace llvm;
using namespace llvm::object;

namespace pyox {
namespace elf {

bool isElf(StringRef Bytes) {
  return Bytes.starts_with("\x7f"
                           "ELF");
}

std::optional<StringRef> sectionContents(const Image &Img, StringRef Name) {
  for (const Section &S : Img.Sections)
    if (S.Name == Name && S.Type != ELF::SHT_NOBITS &&
        S.Offset <= Img.Bytes.size() && S.Size <= Img.Bytes.size() - S.Offset)
      return Img.Bytes.substr(S.Offset, S.Size);
  return std::nullopt;
}

static bool isSupportedMachine(uint16_t Machine, bool Is64) {
  if (Is64)
    return Machine == ELF::EM_X86_64 || Machine == ELF::EM_AARCH64 ||
           Machine == ELF::EM_RISCV;
  return Machine == ELF::EM_386 || Machine == ELF::EM_ARM ||
         Machine == ELF::EM_RISCV;
}

static Error malformed(const Image &Img, const Twine &What) {
  return fileError(Img.FileName, What);
}

// The file offset of [VAddr, VAddr + Size) through the PT_LOAD that maps it
// from the file, if any.
static std::optional<uint64_t> fileOffsetOf(const Image &Img, uint64_t VAddr,
                                            uint64_t Size) {
  for (const Segment &S : Img.Segments) {
    if (S.Type != ELF::PT_LOAD || VAddr < S.VAddr)
      continue;
    uint64_t Off = VAddr - S.VAddr;
    if (Off <= S.FileSize && Size <= S.FileSize - Off)
      return S.Offset + Off;
  }
  return std::nullopt;
}

// One note of a PT_NOTE segment, as offsets into the file.
struct RawNote {
  uint64_t Offset, NameOffset, DescOffset;
  uint32_t NameSize, DescSize, Type;
};

// Walks the notes of [Offset, Offset + Size) with alignment Align; false if
// one overruns the segment.
static bool walkNotes(StringRef Bytes, uint64_t Offset, uint64_t Size,
                      uint64_t Align, std::vector<RawNote> &Out) {
  Out.clear();
  const uint8_t *P = reinterpret_cast<const uint8_t *>(Bytes.data()) + Offset;
  uint64_t Off = 0;
  while (Size - Off >= 12) {
    RawNote N;
    N.NameSize = support::endian::read32le(P + Off);
    N.DescSize = support::endian::read32le(P + Off + 4);
    N.Type = support::endian::read32le(P + Off + 8);
    uint64_t DescOff = Off + 12 + alignTo(uint64_t(N.NameSize), Align);
    uint64_t Next = DescOff + alignTo(uint64_t(N.DescSize), Align);
    if (DescOff > Size || N.DescSize > Size - DescOff)
      return false;
    N.Offset = Offset + Off;
    N.NameOffset = N.Offset + 12;
    N.DescOffset = Offset + DescOff;
    Out.push_back(N);
    Off = std::min(Next, Size);
  }
  return true;
}

// The PYOX records of one block of notes at file offset Offset, mapped at
// VAddr: pyox-inject's block (PostLink: before the trailer of its segment,
// all PYOX records, one of them the layout record) or a PT_NOTE, where
// link-time objects put payload notes among others. Payloads found are added
// to Img.Payloads.
static Error readNoteBlock(Image &Img, uint64_t Offset, uint64_t VAddr,
                           const std::vector<RawNote> &Notes, bool PostLink) {
  bool AllPyox = true, HasLayout = false;
  std::vector<PayloadRef> Found;
  for (const RawNote &N : Notes) {
    if (N.NameSize != PYOX_NOTE_OWNER_SIZE ||
        Img.Bytes.substr(N.NameOffset, PYOX_NOTE_OWNER_SIZE) !=
            StringRef(PYOX_NOTE_OWNER, PYOX_NOTE_OWNER_SIZE)) {
      AllPyox = false;
      continue;
    }
    ArrayRef<uint8_t> Desc =
        arrayRefFromStringRef(Img.Bytes.substr(N.DescOffset, N.DescSize));
    uint64_t DescOff = N.DescOffset;
    uint64_t DescVAddr = VAddr + (DescOff - Offset);
    if (N.Type == PYOX_NOTE_ORIGINAL_LAYOUT) {
      if (!PostLink)
        return malformed(Img, "PYOX layout note outside the pyox segment");
      if (Desc.size() < PYOX_ELF_LAYOUT_NOTE_SIZE)
        return malformed(Img, "truncated PYOX layout note");
      HasLayout = true;
      Img.OriginalPhOff = support::endian::read64le(Desc.data());
      Img.OriginalPhNum = support::endian::read32le(Desc.data() + 8);
      Img.AddedPhdrEntry =
          support::endian::read32le(Desc.data() + 12) & PYOX_LAYOUT_ADDED_PHDR;
      Img.OriginalEnd = support::endian::read64le(Desc.data() + 16);
      continue;
    }
    if (N.Type != PYOX_NOTE_PAYLOAD)
      continue;
    if (Desc.size() < PYOX_ELF_NOTE_SIZE)
      return malformed(Img, "truncated PYOX payload note");
    int64_t Rel = support::endian::read64le(Desc.data());
    uint64_t Size = support::endian::read64le(Desc.data() + 8);
    uint32_t NameSize = support::endian::read32le(Desc.data() + 16);
    if (NameSize > Desc.size() - PYOX_ELF_NOTE_SIZE)
      return malformed(Img, "PYOX payload note name out of bounds");
    PayloadRef Ref;
    Ref.Name = StringRef(reinterpret_cast<const char *>(Desc.data()) +
                             PYOX_ELF_NOTE_SIZE,
                         NameSize)
                   .str();
    Ref.NoteDescOffset = DescOff;
    Ref.NoteTypeOffset = N.Offset + 8;
    Ref.Size = Size;
    uint64_t PayloadVAddr = DescVAddr + static_cast<uint64_t>(Rel);
    std::optional<uint64_t> Off = fileOffsetOf(Img, PayloadVAddr, Size);
    if (!Off)
      return malformed(Img, "PYOX payload note for '" + Ref.Name +
                                "' points outside the file-backed segments");
    Ref.FileOffset = *Off;
    Found.push_back(std::move(Ref));
  }
  if (PostLink && !(AllPyox && HasLayout))
    return malformed(Img, "pyox segment records are incomplete or mixed "
                          "with foreign notes");
  for (PayloadRef &R : Found) {
    R.PostLink = PostLink;
    for (const PayloadRef &Other : Img.Payloads)
      if (Other.Name == R.Name)
        return malformed(Img, "two payloads named '" + R.Name + "'");
    Img.Payloads.push_back(std::move(R));
  }
  return Error::success();
}

// The PYOX records of the image: in the trailer-terminated block at the end
// of a read-only PT_LOAD (pyox-inject's segment), and in every PT_NOTE (from
// link-time objects). PT_NOTE walks use p_align (4 or 8) and fall back to 4,
// like the runtime locator (pyox/runtime.h), because mold puts 4-aligned
// notes in a PT_NOTE aligned to 8. A block that cannot be walked either way
// holds no record the runtime could find.
static Error readNotes(Image &Img) {
  for (size_t I = 0; I < Img.Segments.size(); ++I) {
    const Segment &P = Img.Segments[I];
    if (P.Type != ELF::PT_LOAD ||
        (P.Flags & (ELF::PF_R | ELF::PF_W)) != ELF::PF_R ||
        P.FileSize < PYOX_ELF_TRAILER_SIZE)
      continue;
    uint64_t TrailerAt = P.Offset + P.FileSize - PYOX_ELF_TRAILER_SIZE;
    if ((P.VAddr + P.FileSize) % 8 != 0 ||
        Img.Bytes.substr(TrailerAt, 8) != StringRef(PYOX_ELF_TRAILER_MAGIC, 8))
      continue;
    uint64_t Size = support::endian::read64le(Img.Bytes.data() + TrailerAt + 8);
    if (Size > P.FileSize - PYOX_ELF_TRAILER_SIZE)
      return malformed(Img, "PYOX record trailer size out of bounds");
    uint64_t At = TrailerAt - Size;
    std::vector<RawNote> Notes;
    if (!walkNotes(Img.Bytes, At, Size, 4, Notes))
      return malformed(Img, "malformed PYOX records");
    if (Img.PyoxLoad)
      return malformed(Img, "two pyox-inject segments");
    if (Error E = readNoteBlock(Img, At, P.VAddr + (At - P.Offset), Notes,
                                /*PostLink=*/true))
      return E;
    Img.PyoxLoad = I;
  }
  for (size_t I = 0; I < Img.Segments.size(); ++I) {
    const Segment &P = Img.Segments[I];
    if (P.Type != ELF::PT_NOTE)
      continue;
    std::vector<RawNote> Notes;
    if (!walkNotes(Img.Bytes, P.Offset, P.FileSize, P.Align == 8 ? 8 : 4,
                   Notes) &&
        !walkNotes(Img.Bytes, P.Offset, P.FileSize, 4, Notes))
      continue;
    if (Error E = readNoteBlock(Img, P.Offset, P.VAddr, Notes,
                                /*PostLink=*/false))
      return E;
  }
  if (!Img.PyoxLoad)
    return Error::success();
  // The writer made its PT_LOAD the last one.
  for (size_t I = 0; I < Img.Segments.size(); ++I) {
    const Segment &S = Img.Segments[I];
    if (S.Type == ELF::PT_LOAD && I != *Img.PyoxLoad &&
        (I > *Img.PyoxLoad || S.VAddr > Img.Segments[*Img.PyoxLoad].VAddr))
      return malformed(Img, "pyox segment is not the last PT_LOAD; it cannot "
                            "be rewritten safely");
  }
  return Error::success();
}

template <class ELFT>
static Expected<Image> readTyped(MemoryBufferRef Buffer, Image Img) {
  Expected<ELFFile<ELFT>> FileOr = ELFFile<ELFT>::create(Buffer.getBuffer());
  if (!FileOr)
    return malformed(Img, toString(FileOr.takeError()));
  const ELFFile<ELFT> &File = *FileOr;
  const typename ELFT::Ehdr &H = File.getHeader();
  Img.Type = H.e_type;
  Img.Machine = H.e_machine;
  Img.EhSize = H.e_ehsize;
  Img.PhOff = H.e_phoff;
  Img.ShOff = H.e_shoff;
  if (Img.Type != ELF::ET_EXEC && Img.Type != ELF::ET_DYN)
    return malformed(Img, "not a linked executable or shared library (e_type " +
                              Twine(Img.Type) + ")");
  if (!isSupportedMachine(Img.Machine, Img.Is64))
    return malformed(Img, "unsupported machine (e_machine " +
                              Twine(Img.Machine) + ")");
  if (H.e_ehsize != sizeof(typename ELFT::Ehdr))
    return malformed(Img, "bad ELF header size");
  if (H.e_phnum == 0 || H.e_phnum == 0xffff /* PN_XNUM */)
    return malformed(Img, "no usable program header table");
  if (H.e_phentsize != sizeof(typename ELFT::Phdr))
    return malformed(Img, "bad program header entry size");
  if (H.e_shnum != 0 && H.e_shentsize != sizeof(typename ELFT::Shdr))
    return malformed(Img, "bad section header entry size");

  auto PhdrsOr = File.program_headers();
  if (!PhdrsOr)
    return malformed(Img, toString(PhdrsOr.takeError()));
  uint64_t FileSize = Buffer.getBufferSize();
  for (const typename ELFT::Phdr &P : *PhdrsOr) {
    Segment S;
    S.Type = P.p_type;
    S.Flags = P.p_flags;
    S.Offset = P.p_offset;
    S.VAddr = P.p_vaddr;
    S.PAddr = P.p_paddr;
    S.FileSize = P.p_filesz;
    S.MemSize = P.p_memsz;
    S.Align = P.p_align;
    if (S.Type == ELF::PT_LOAD || S.Type == ELF::PT_NOTE ||
        S.Type == ELF::PT_PHDR || S.Type == ELF::PT_INTERP ||
        S.Type == ELF::PT_DYNAMIC) {
      if (S.Offset > FileSize || S.FileSize > FileSize - S.Offset)
        return malformed(Img, "segment extends past the end of the file");
      if (S.FileSize > S.MemSize)
        return malformed(Img, "segment file size exceeds its memory size");
    }
    if (S.Type == ELF::PT_LOAD) {
      if (S.VAddr + S.MemSize < S.VAddr)
        return malformed(Img, "PT_LOAD wraps around the address space");
      if (S.Align > 1 && (S.Align & (S.Align - 1)))
        return malformed(Img, "PT_LOAD alignment is not a power of two");
      if (S.Align > 1 && (S.VAddr - S.Offset) % S.Align)
        return malformed(Img, "PT_LOAD p_vaddr and p_offset disagree modulo "
                              "p_align");
      if (S.Align > Img.PageSize)
        Img.PageSize = S.Align;
    }
    Img.Segments.push_back(S);
  }
  if (Img.PageSize > (uint64_t(1) << 24))
    return malformed(Img, "PT_LOAD alignment too large");
  bool HasLoad = false;
  for (const Segment &S : Img.Segments)
    HasLoad |= S.Type == ELF::PT_LOAD;
  if (!HasLoad)
    return malformed(Img, "no PT_LOAD segment");

  if (H.e_shoff != 0 || H.e_shnum != 0) {
    auto SectionsOr = File.sections();
    if (!SectionsOr)
      return malformed(Img, toString(SectionsOr.takeError()));
    auto StrTabOr = File.getSectionStringTable(*SectionsOr);
    if (!StrTabOr)
      return malformed(Img, toString(StrTabOr.takeError()));
    for (const typename ELFT::Shdr &Sh : *SectionsOr) {
      Section S;
      S.NameOffset = Sh.sh_name;
      S.Type = Sh.sh_type;
      S.Flags = Sh.sh_flags;
      S.Addr = Sh.sh_addr;
      S.Offset = Sh.sh_offset;
      S.Size = Sh.sh_size;
      S.Link = Sh.sh_link;
      S.Info = Sh.sh_info;
      S.AddrAlign = Sh.sh_addralign;
      S.EntSize = Sh.sh_entsize;
      if (S.Type != ELF::SHT_NOBITS && S.Type != ELF::SHT_NULL &&
          (S.Offset > FileSize || S.Size > FileSize - S.Offset))
        return malformed(Img, "section extends past the end of the file");
      Expected<StringRef> Name = File.getSectionName(Sh, *StrTabOr);
      if (!Name)
        return malformed(Img, toString(Name.takeError()));
      S.Name = Name->str();
      Img.Sections.push_back(std::move(S));
    }
    Img.ShStrNdx = H.e_shstrndx;
    if (Img.ShStrNdx == ELF::SHN_XINDEX && !Img.Sections.empty())
      Img.ShStrNdx = Img.Sections[0].Link;
    if (Img.ShStrNdx == 0 || Img.ShStrNdx >= Img.Sections.size() ||
        Img.Sections[Img.ShStrNdx].Type != ELF::SHT_STRTAB)
      return malformed(Img, "no section name string table");
  }

  if (Error E = readNotes(Img))
    return std::move(E);
  if (Img.PyoxLoad) {
    const Segment &L = Img.Segments[*Img.PyoxLoad];
    for (Section &S : Img.Sections)
      if ((S.Name == ".note.pyox" || StringRef(S.Name).starts_with(".pyox")) &&
          S.Offset >= L.Offset && S.Offset + S.Size <= L.Offset + L.FileSize)
        S.Pyox = true;
  }
  return std::move(Img);
}

Expected<Image> readImage(MemoryBufferRef Buffer) {
  Image Img;
  Img.Bytes = Buffer.getBuffer();
  Img.FileName = Buffer.getBufferIdentifier().str();
  StringRef B = Img.Bytes;
  if (!isElf(B))
    return malformed(Img, "not an ELF file");
  if (B.size() < ELF::EI_NIDENT)
    return malformed(Img, "truncated ELF header");
  uint8_t Class = B[ELF::EI_CLASS], Data = B[ELF::EI_DATA];
  if (Data != ELF::ELFDATA2LSB)
    return malformed(Img, "big-endian ELF files are not supported");
  if (Class == ELF::ELFCLASS64) {
    Img.Is64 = true;
    return readTyped<ELF64LE>(Buffer, std::move(Img));
  }
  if (Class == ELF::ELFCLASS32) {
    Img.Is64 = false;
    return readTyped<ELF32LE>(Buffer, std::move(Img));
  }
  return malformed(Img, "unknown ELF class");
}

} // namespace elf
} // namespace pyox
