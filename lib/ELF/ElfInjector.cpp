//===- ElfInjector.cpp - Put payloads into a linked ELF file --------------===//
//
// The problem: give an already-linked executable or shared library a
// read-only segment the kernel or ld.so maps, without moving a byte of what
// the linker laid out (code addresses, relocations, debug info and any
// tool's idea of the file stay valid), and so that doing it again replaces
// the segment instead of stacking a new one.
//
// The approach, in file order:
//
//   [original bytes, up to the end of the last section or segment]
//   [zeros up to a page boundary P]
//   [new program header table: the old entries + PT_LOAD]  <- P
//   [payloads, 16-byte aligned]
//   [PYOX records: one layout record, one per payload; trailer]
//   [non-allocated sections that had to move, rebuilt .shstrtab]
//   [section header table: the old entries + .pyox... + .pyox_records]
//
// A new PT_LOAD needs a program header table with room for it, and the old
// table cannot grow in place (the first sections follow it), so the table
// moves into the new segment and PT_PHDR follows it. The segment's address
// is chosen on the "diagonal" of the first PT_LOAD: V = P + (first p_vaddr -
// first p_offset). Kernels before 5.18 compute AT_PHDR as exactly that
// (load_addr + e_phoff), and ld.so trusts AT_PHDR; newer kernels look the
// table up through the PT_LOAD containing it and agree. V must also lie
// above every segment's p_vaddr + p_memsz (nothing over .bss) and start on a
// fresh page, which is what P is padded for; p_vaddr == p_offset modulo the
// page size holds because the first PT_LOAD's difference is page aligned.
// The new PT_LOAD has the highest address, so PT_LOADs stay sorted.
//
// The records (in note format, pyox/runtime.h) end the segment's file
// contents, followed by a trailer the runtime finds there: no PT_NOTE, as
// note checkers (eu-elflint) reject note types they do not know. Section
// headers over each payload and over the records (SHF_ALLOC) make strip and
// objcopy treat them as contents of the segment and keep them.
//
// Refresh: everything from the old pyox segment to the end of the file is
// pyox's (plus non-allocated sections a strip may have put after it, which
// are moved along), so a new injection cuts the file there and lays out the
// segment again: the same payload gives the same size, a smaller one a
// smaller file. `remove` of the last payload puts the original program
// header table back (its bytes were never touched) when it still matches,
// which gives back the original file.
//
//===----------------------------------------------------------------------===//

#include "ELF/ElfImage.h"

#include "Common/PayloadSection.h"
#include "pyox/payload.h"
#include "pyox/runtime.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/BinaryFormat/ELF.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

#include <sys/mman.h>
#include <unistd.h>

using namespace llvm;
using namespace llvm::support;

namespace pyox {
namespace elf {

namespace {

Error problem(const Image &Img, const Twine &What) {
  return fileError(Img.FileName, What);
}

// An address-sized field: 8 bytes in ELF64, 4 in ELF32.
void putAddr(const Image &Img, std::vector<uint8_t> &B, size_t At, uint64_t V) {
  if (Img.Is64)
    put64(B, At, V);
  else
    put32(B, At, static_cast<uint32_t>(V));
}

void appendPhdr(const Image &Img, std::vector<uint8_t> &B, const Segment &S) {
  size_t At = B.size();
  B.resize(At + Img.phdrSize());
  put32(B, At, S.Type);
  if (Img.Is64) {
    put32(B, At + 4, S.Flags);
    put64(B, At + 8, S.Offset);
    put64(B, At + 16, S.VAddr);
    put64(B, At + 24, S.PAddr);
    put64(B, At + 32, S.FileSize);
    put64(B, At + 40, S.MemSize);
    put64(B, At + 48, S.Align);
  } else {
    put32(B, At + 4, static_cast<uint32_t>(S.Offset));
    put32(B, At + 8, static_cast<uint32_t>(S.VAddr));
    put32(B, At + 12, static_cast<uint32_t>(S.PAddr));
    put32(B, At + 16, static_cast<uint32_t>(S.FileSize));
    put32(B, At + 20, static_cast<uint32_t>(S.MemSize));
    put32(B, At + 24, S.Flags);
    put32(B, At + 28, static_cast<uint32_t>(S.Align));
  }
}

Segment decodePhdr(const Image &Img, const uint8_t *P) {
  Segment S;
  S.Type = endian::read32le(P);
  if (Img.Is64) {
    S.Flags = endian::read32le(P + 4);
    S.Offset = endian::read64le(P + 8);
    S.VAddr = endian::read64le(P + 16);
    S.PAddr = endian::read64le(P + 24);
    S.FileSize = endian::read64le(P + 32);
    S.MemSize = endian::read64le(P + 40);
    S.Align = endian::read64le(P + 48);
  } else {
    S.Offset = endian::read32le(P + 4);
    S.VAddr = endian::read32le(P + 8);
    S.PAddr = endian::read32le(P + 12);
    S.FileSize = endian::read32le(P + 16);
    S.MemSize = endian::read32le(P + 20);
    S.Flags = endian::read32le(P + 24);
    S.Align = endian::read32le(P + 28);
  }
  return S;
}

void appendShdr(const Image &Img, std::vector<uint8_t> &B, const Section &S) {
  size_t At = B.size();
  B.resize(At + Img.shdrSize());
  put32(B, At, S.NameOffset);
  put32(B, At + 4, S.Type);
  if (Img.Is64) {
    put64(B, At + 8, S.Flags);
    put64(B, At + 16, S.Addr);
    put64(B, At + 24, S.Offset);
    put64(B, At + 32, S.Size);
    put32(B, At + 40, S.Link);
    put32(B, At + 44, S.Info);
    put64(B, At + 48, S.AddrAlign);
    put64(B, At + 56, S.EntSize);
  } else {
    put32(B, At + 8, static_cast<uint32_t>(S.Flags));
    put32(B, At + 12, static_cast<uint32_t>(S.Addr));
    put32(B, At + 16, static_cast<uint32_t>(S.Offset));
    put32(B, At + 20, static_cast<uint32_t>(S.Size));
    put32(B, At + 24, S.Link);
    put32(B, At + 28, S.Info);
    put32(B, At + 32, static_cast<uint32_t>(S.AddrAlign));
    put32(B, At + 36, static_cast<uint32_t>(S.EntSize));
  }
}

// Appends one note with owner PYOX; returns the offset of its descriptor.
size_t appendNote(std::vector<uint8_t> &B, uint32_t Type,
                  ArrayRef<uint8_t> Desc) {
  size_t At = B.size();
  size_t DescAt = At + 12 + 8;
  B.resize(DescAt + alignTo(Desc.size(), 4), 0);
  put32(B, At, PYOX_NOTE_OWNER_SIZE);
  put32(B, At + 4, static_cast<uint32_t>(Desc.size()));
  put32(B, At + 8, Type);
  memcpy(B.data() + At + 12, PYOX_NOTE_OWNER, PYOX_NOTE_OWNER_SIZE);
  std::copy(Desc.begin(), Desc.end(), B.begin() + DescAt);
  return DescAt;
}

bool sameSegment(const Segment &A, const Segment &B) {
  return A.Type == B.Type && A.Flags == B.Flags && A.Offset == B.Offset &&
         A.VAddr == B.VAddr && A.PAddr == B.PAddr && A.FileSize == B.FileSize &&
         A.MemSize == B.MemSize && A.Align == B.Align;
}

// The original program header table, when its bytes at OriginalPhOff still
// describe the kept segments (the PT_PHDR entry aside, which now points at
// the moved table).
std::optional<std::vector<Segment>>
intactOriginalTable(const Image &Img, ArrayRef<Segment> Kept, uint64_t Limit) {
  if (Img.AddedPhdrEntry && !Kept.empty() && Kept[0].Type == ELF::PT_PHDR)
    Kept = Kept.drop_front();
  if (!Img.OriginalPhOff || Img.OriginalPhNum != Kept.size())
    return std::nullopt;
  uint64_t Off = *Img.OriginalPhOff;
  uint64_t Size = uint64_t(Img.OriginalPhNum) * Img.phdrSize();
  if (Off < Img.EhSize || Off > Limit || Size > Limit - Off)
    return std::nullopt;
  std::vector<Segment> Original;
  for (size_t I = 0; I < Kept.size(); ++I) {
    Segment O =
        decodePhdr(Img, reinterpret_cast<const uint8_t *>(Img.Bytes.data()) +
                            Off + I * Img.phdrSize());
    if (O.Type == ELF::PT_PHDR) {
      if (Kept[I].Type != ELF::PT_PHDR || O.Offset != Off ||
          O.FileSize != Size || O.Flags != Kept[I].Flags)
        return std::nullopt;
    } else if (!sameSegment(O, Kept[I])) {
      return std::nullopt;
    }
    Original.push_back(O);
  }
  return Original;
}

// Asks the kernel to map the pages of a large input range before it is
// written out: write(2) from a file mapping otherwise takes a page fault per
// few pages inside the copy, which costs more than the copy itself (about
// 2x for a 15 MB payload on Linux 6). Best effort: a kernel without
// MADV_POPULATE_READ (before 5.14) refuses it and nothing changes.
void prefault(ArrayRef<uint8_t> Bytes) {
#ifdef MADV_POPULATE_READ
  if (Bytes.size() < (1u << 20))
    return;
  uintptr_t Page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uintptr_t Start = reinterpret_cast<uintptr_t>(Bytes.data()) & ~(Page - 1);
  uintptr_t End = reinterpret_cast<uintptr_t>(Bytes.data()) + Bytes.size();
  (void)madvise(reinterpret_cast<void *>(Start), End - Start,
                MADV_POPULATE_READ);
#else
  (void)Bytes;
#endif
}

} // namespace

std::string payloadSectionName(StringRef Name) {
  if (Name == PYOX_DEFAULT_PAYLOAD_NAME)
    return ".pyox";
  return (".pyox." + Name).str();
}

Expected<OutputPlan> planOutput(const Image &Img,
                                ArrayRef<PayloadInput> Payloads) {
  OutputPlan Plan;
  const uint64_t Page = Img.PageSize;

  // Link-time payloads are refreshed where the linker put them; the rest go
  // into the pyox segment.
  std::vector<PayloadInput> PostLink;
  for (const PayloadInput &In : Payloads) {
    const PayloadRef *Old = nullptr;
    for (const PayloadRef &R : Img.Payloads)
      if (R.Name == In.Name && !R.PostLink)
        Old = &R;
    if (!Old) {
      PostLink.push_back(In);
      continue;
    }
    // Its range comes from the note; a damaged or crafted one could point
    // at the headers or the notes themselves, which an in-place overwrite
    // would then rewrite. No linker lays a payload out like that.
    auto Overlaps = [&](uint64_t Begin, uint64_t Size) {
      return Size && Old->FileOffset < Begin + Size &&
             Begin < Old->FileOffset + Old->Size;
    };
    bool Bad = Overlaps(0, Img.EhSize) ||
               Overlaps(Img.PhOff, Img.Segments.size() * Img.phdrSize());
    for (const Segment &S : Img.Segments)
      if (S.Type == ELF::PT_NOTE && Overlaps(S.Offset, S.FileSize))
        Bad = true;
    if (Bad)
      return problem(Img, "link-time payload '" + In.Name +
                              "' overlaps the ELF headers or notes");
    if (In.Write) // injectPayload writes such a payload to memory first
      return problem(Img, "payload '" + In.Name +
                              "': a link-time section is refreshed from "
                              "bytes in memory, not from a stream");
    if (In.Bytes.size() > Old->Size)
      return problem(Img, "payload '" + In.Name + "' (" +
                              Twine(In.Bytes.size()) +
                              " bytes) does not fit the " + Twine(Old->Size) +
                              " bytes its link-time section reserved; relink "
                              "with the new payload");
    Plan.Overwrites.push_back({Old->FileOffset, In.Bytes, Old->Size});
  }
  for (const PayloadRef &R : Img.Payloads) {
    if (R.PostLink || any_of(Payloads, [&](const PayloadInput &In) {
          return In.Name == R.Name;
        }))
      continue;
    // A link-time payload to remove: its bytes stay reserved but zero, its
    // note gets a type the locator ignores.
    static const uint8_t Removed[4] = {PYOX_NOTE_REMOVED, 0, 0, 0};
    Plan.Overwrites.push_back(
        {R.NoteTypeOffset, ArrayRef<uint8_t>(Removed), 4});
    Plan.Overwrites.push_back({R.FileOffset, {}, R.Size});
  }

  // Only link-time payloads change and pyox-inject has added nothing to the
  // file: every byte stays where the linker put it and the payloads are
  // overwritten in place, so the file keeps its size whatever order the
  // linker gave the non-allocated sections (lld and mold put .shstrtab
  // before .symtab and .strtab).
  if (PostLink.empty() && !Img.PyoxLoad) {
    Plan.KeepEnd = Img.Bytes.size();
    Plan.FileSize = Img.Bytes.size();
    Plan.Header.assign(Img.Bytes.begin(), Img.Bytes.begin() + Img.EhSize);
    return std::move(Plan);
  }

  // What stays: every segment and section that is not pyox-inject's.
  std::vector<Segment> Kept;
  for (size_t I = 0; I < Img.Segments.size(); ++I)
    if (I != Img.PyoxLoad)
      Kept.push_back(Img.Segments[I]);
  uint64_t OldStart = Img.PyoxLoad ? Img.Segments[*Img.PyoxLoad].Offset
                                   : std::numeric_limits<uint64_t>::max();
  uint64_t KeepEnd = Img.EhSize;
  uint64_t VEnd = 0;
  for (const Segment &S : Kept) {
    if (S.Type == ELF::PT_PHDR && Img.PyoxLoad)
      continue; // it describes the moved table, in the old pyox segment
    // Segments of types the reader does not check may point anywhere;
    // only file ranges inside the file count.
    bool InFile = S.Offset <= Img.Bytes.size() &&
                  S.FileSize <= Img.Bytes.size() - S.Offset;
    if (S.FileSize && InFile && S.Offset < OldStart)
      KeepEnd = std::max(KeepEnd, S.Offset + S.FileSize);
    if (S.Type == ELF::PT_LOAD)
      VEnd = std::max(VEnd, S.VAddr + S.MemSize);
  }
  if (!Img.PyoxLoad)
    KeepEnd =
        std::max(KeepEnd, Img.PhOff + Img.Segments.size() * Img.phdrSize());
  std::vector<size_t> Moved; // sections after the old pyox segment
  for (size_t I = 1; I < Img.Sections.size(); ++I) {
    const Section &S = Img.Sections[I];
    if (S.Pyox || I == Img.ShStrNdx || S.Type == ELF::SHT_NOBITS ||
        S.Type == ELF::SHT_NULL)
      continue;
    if (S.Size == 0) {
      // Nothing to keep or to overlap, but its offset must still lie in
      // the output: one at or past the old pyox segment moves with the rest.
      if (S.Offset >= OldStart)
        Moved.push_back(I);
      continue;
    }
    if (S.Offset < OldStart)
      KeepEnd = std::max(KeepEnd, S.Offset + S.Size);
    else if (S.Offset >= Img.Segments[*Img.PyoxLoad].Offset +
                             Img.Segments[*Img.PyoxLoad].FileSize)
      Moved.push_back(I);
    else
      return problem(Img, "section " + S.Name +
                              " overlaps the pyox segment; cannot rewrite");
  }
  if (!Img.PyoxLoad) {
    // Bytes after everything the headers describe (an archive or signature
    // some tool appended) are kept, unless all that follows is the section
    // header table and .shstrtab, which are rewritten anyway.
    uint64_t Described = KeepEnd;
    if (!Img.Sections.empty()) {
      const Section &Str = Img.Sections[Img.ShStrNdx];
      Described = std::max(Described, Str.Offset + Str.Size);
      Described =
          std::max(Described, Img.ShOff + Img.Sections.size() * Img.shdrSize());
    }
    if (Img.Bytes.size() > Described)
      KeepEnd = Img.Bytes.size();
  }
  // Such bytes are recorded in the layout note (original_end), as nothing
  // else tells them from padding once a segment follows them.
  if (Img.PyoxLoad && Img.OriginalEnd <= OldStart)
    KeepEnd = std::max(KeepEnd, Img.OriginalEnd);
  Plan.KeepEnd = KeepEnd;

  const Segment *First = nullptr;
  for (const Segment &S : Kept)
    if (S.Type == ELF::PT_LOAD && !First)
      First = &S;
  if (!First)
    return problem(Img, "no PT_LOAD segment besides pyox's");
  uint64_t FirstDelta = First->VAddr - First->Offset;
  // The new PT_LOAD shares that difference, so its alignment is the largest
  // power of two dividing it, up to the page size (they are equal in files
  // whose PT_LOADs are all aligned alike, as linkers make them).
  uint64_t LoadAlign = Page;
  while (LoadAlign > 1 && FirstDelta % LoadAlign)
    LoadAlign >>= 1;
  if (LoadAlign < 0x1000)
    return problem(Img, "the first PT_LOAD's p_vaddr - p_offset (0x" +
                            Twine::utohexstr(FirstDelta) +
                            ") is not page aligned");

  std::vector<Segment> Phdrs;
  std::optional<std::vector<Segment>> Original;
  if (PostLink.empty())
    Original = intactOriginalTable(Img, Kept, KeepEnd);
  uint64_t Cursor;
  if (Original) {
    // Nothing to carry and the original table is intact: the file as it
    // was before the first injection.
    Phdrs = *Original;
    Cursor = KeepEnd;
  } else if (PostLink.empty() && !Img.PyoxLoad) {
    // Only link-time payloads changed: the layout stays.
    Phdrs = Kept;
    Cursor = KeepEnd;
  } else {
    // The pyox segment: program header table, notes, payloads.
    // P: at or after KeepEnd, on the first PT_LOAD's diagonal above every
    // segment, and congruent to the end of the loaded file contents
    // (LoadEnd) modulo the page size. The last condition is for GNU strip:
    // BFD lays out a segment that holds the program headers as if they
    // started right where the previous segment's file contents end, and
    // stays consistent only if no alignment padding is needed there.
    uint64_t LoadEnd = 0;
    for (const Segment &S : Kept)
      if (S.Type == ELF::PT_LOAD)
        LoadEnd = std::max(LoadEnd, S.Offset + S.FileSize);
    // Room for a segment above all the others, in the file's address space.
    uint64_t AddressLimit = Img.Is64 ? std::numeric_limits<uint64_t>::max()
                                     : std::numeric_limits<uint32_t>::max();
    if (VEnd > AddressLimit - 2 * Page)
      return problem(Img, "segments reach the top of the address space (0x" +
                              Twine::utohexstr(VEnd) +
                              "); no room for a new segment above them");
    uint64_t VFloor = alignTo(VEnd, Page);
    uint64_t Min =
        std::max(KeepEnd, VFloor > FirstDelta ? VFloor - FirstDelta : 0);
    uint64_t P = alignDown(Min, Page) + LoadEnd % Page;
    if (P < Min)
      P += Page;
    // The padding is the part of the address range (mostly .bss) that lies
    // beyond the file; refuse absurd gaps rather than write them out.
    if (P - KeepEnd > (uint64_t(1) << 30))
      return problem(Img, "the new segment would need " + Twine(P - KeepEnd) +
                              " bytes of padding (segments end at address 0x" +
                              Twine::utohexstr(VEnd) + "); not injecting");
    uint64_t V = FirstDelta + P;
    // The segment must lie above every other one in memory. With a first
    // PT_LOAD whose p_offset exceeds its p_vaddr the diagonal wraps below
    // them; no linker makes such a file, and it cannot take a new segment.
    if (V < VFloor)
      return problem(Img, "the first PT_LOAD's p_offset (0x" +
                              Twine::utohexstr(First->Offset) +
                              ") exceeds its p_vaddr (0x" +
                              Twine::utohexstr(First->VAddr) +
                              "); no room for a new segment above the others");
    // A file without PT_PHDR (shared libraries from ld.bfd, gold) gets one:
    // ld.so takes a library's table address from PT_PHDR when there is one,
    // and otherwise from the first segment whose page-rounded file range
    // covers e_phoff, which after a GNU strip (BFD packs the table right
    // behind the data segment) is the data segment, whose page tail ld.so
    // clears for .bss.
    bool AddPhdr =
        !any_of(Kept, [](const Segment &S) { return S.Type == ELF::PT_PHDR; });
    size_t Phnum = Kept.size() + 1 + AddPhdr;

    // Payloads first, then the records and the trailer that ends the
    // segment, where the runtime looks for them (pyox/runtime.h).
    uint64_t At = alignTo(P + Phnum * Img.phdrSize(), PYOX_DATA_ALIGN);
    for (const PayloadInput &In : PostLink) {
      Plan.Payloads.push_back({At, In.Bytes, In.size(), In.Write});
      At = alignTo(At + In.size(), PYOX_DATA_ALIGN);
    }
    uint64_t NotesAt =
        PostLink.empty()
            ? alignTo(P + Phnum * Img.phdrSize(), 8)
            : alignTo(Plan.Payloads.back().Offset + Plan.Payloads.back().Size,
                      8);
    std::vector<uint8_t> Notes;
    std::vector<uint8_t> Layout(PYOX_ELF_LAYOUT_NOTE_SIZE, 0);
    put64(Layout, 0, Img.OriginalPhOff ? *Img.OriginalPhOff : Img.PhOff);
    put32(Layout, 8,
          Img.OriginalPhOff ? Img.OriginalPhNum
                            : static_cast<uint32_t>(Img.Segments.size()));
    if (AddPhdr || Img.AddedPhdrEntry)
      put32(Layout, 12, PYOX_LAYOUT_ADDED_PHDR);
    put64(Layout, 16, KeepEnd);
    appendNote(Notes, PYOX_NOTE_ORIGINAL_LAYOUT, Layout);
    for (size_t I = 0; I < PostLink.size(); ++I) {
      const PayloadInput &In = PostLink[I];
      std::vector<uint8_t> Desc(PYOX_ELF_NOTE_SIZE + In.Name.size(), 0);
      memcpy(Desc.data() + PYOX_ELF_NOTE_SIZE, In.Name.data(), In.Name.size());
      size_t DescAt = appendNote(Notes, PYOX_NOTE_PAYLOAD, Desc);
      // The same delta in memory; negative, as the payload comes first.
      put64(Notes, DescAt, Plan.Payloads[I].Offset - (NotesAt + DescAt));
      put64(Notes, DescAt + 8, In.size());
      put32(Notes, DescAt + 16, static_cast<uint32_t>(In.Name.size()));
    }
    Notes.resize(alignTo(Notes.size(), 8), 0);
    uint64_t RecordsSize = Notes.size();
    Notes.resize(RecordsSize + PYOX_ELF_TRAILER_SIZE);
    memcpy(Notes.data() + RecordsSize, PYOX_ELF_TRAILER_MAGIC, 8);
    put64(Notes, RecordsSize + 8, RecordsSize);
    uint64_t End = NotesAt + Notes.size();

    if (End - P > AddressLimit - V)
      return problem(Img, "the new segment would end beyond the top of the "
                          "address space");
    Segment Load;
    Load.Type = ELF::PT_LOAD;
    Load.Flags = ELF::PF_R;
    Load.Offset = P;
    Load.VAddr = Load.PAddr = V;
    Load.FileSize = Load.MemSize = End - P;
    Load.Align = LoadAlign;

    // The old entries keep their indices (tools and diagnostics refer to
    // them); the new PT_LOAD goes at the end. PT_LOADs stay in
    // ascending address order among themselves (gABI), as the new one has
    // the highest address, and PT_PHDR still precedes them.
    if (AddPhdr) {
      Segment Phdr;
      Phdr.Type = ELF::PT_PHDR;
      Phdr.Flags = ELF::PF_R;
      Phdr.Align = Img.Is64 ? 8 : 4;
      Kept.insert(Kept.begin(), Phdr); // gABI: before any PT_LOAD
    }
    for (Segment S : Kept) {
      if (S.Type == ELF::PT_PHDR) {
        S.Offset = P;
        S.VAddr = S.PAddr = V;
        S.FileSize = S.MemSize = Phnum * Img.phdrSize();
      }
      Phdrs.push_back(S);
    }
    Phdrs.push_back(Load);

    Plan.SegmentOffset = P;
    Plan.SegmentVAddr = V;
    for (const Segment &S : Phdrs)
      appendPhdr(Img, Plan.SegmentHead, S);
    Plan.RecordsOffset = NotesAt;
    Plan.Records = std::move(Notes);
    Plan.SegmentEnd = End;
    Cursor = End;
  }

  // Sections: the kept ones in their places in the table (pyox's old ones
  // dropped from the end of it, or blanked if something follows them), then
  // pyox's new ones.
  std::vector<Section> Sections;
  size_t TableEnd = Img.Sections.size();
  while (TableEnd > 1 && Img.Sections[TableEnd - 1].Pyox)
    --TableEnd;
  for (size_t I = 0; I < TableEnd; ++I) {
    Section S = Img.Sections[I];
    if (S.Pyox)
      S = Section(); // SHT_NULL: keeps the indices of later sections
    Sections.push_back(S);
  }
  std::vector<uint8_t> ShStr;
  if (!Sections.empty()) {
    const Section &Old = Img.Sections[Img.ShStrNdx];
    uint64_t Used = 1;
    for (const Section &S : Sections)
      if (S.Type != ELF::SHT_NULL || S.NameOffset)
        Used = std::max<uint64_t>(Used, S.NameOffset + S.Name.size() + 1);
    Used = std::min(Used, Old.Size);
    StringRef OldBytes = Img.Bytes.substr(Old.Offset, Used);
    ShStr.assign(OldBytes.begin(), OldBytes.end());
    auto AddName = [&](StringRef Name) {
      uint32_t Off = static_cast<uint32_t>(ShStr.size());
      ShStr.insert(ShStr.end(), Name.begin(), Name.end());
      ShStr.push_back(0);
      return Off;
    };
    if (Plan.SegmentOffset) {
      for (size_t I = 0; I < PostLink.size(); ++I) {
        Section S;
        S.Name = payloadSectionName(PostLink[I].Name);
        S.NameOffset = AddName(S.Name);
        S.Type = ELF::SHT_PROGBITS;
        S.Flags = ELF::SHF_ALLOC;
        S.Offset = Plan.Payloads[I].Offset;
        S.Addr = Plan.SegmentVAddr + (S.Offset - Plan.SegmentOffset);
        S.Size = PostLink[I].size();
        S.AddrAlign = PYOX_DATA_ALIGN;
        Sections.push_back(S);
      }
      // PROGBITS, not NOTE: the records are found through the trailer, and
      // note checkers reject note types they do not know.
      Section Records;
      Records.Name = ".pyox_records";
      Records.NameOffset = AddName(Records.Name);
      Records.Type = ELF::SHT_PROGBITS;
      Records.Flags = ELF::SHF_ALLOC;
      Records.Offset = Plan.RecordsOffset;
      Records.Addr = Plan.SegmentVAddr + (Records.Offset - Plan.SegmentOffset);
      Records.Size = Plan.Records.size();
      Records.AddrAlign = 8;
      Sections.push_back(Records);
    }
    // Non-allocated sections from after the old segment move behind it.
    for (size_t I : Moved) {
      Section &S = Sections[I];
      Cursor = alignTo(Cursor, std::max<uint64_t>(S.AddrAlign, 1));
      Plan.Tail.push_back(
          {Cursor, arrayRefFromStringRef(Img.Bytes.substr(S.Offset, S.Size)),
           S.Size});
      S.Offset = Cursor;
      Cursor += S.Size;
    }
    Section &Str = Sections[Img.ShStrNdx];
    Str.Offset = Cursor;
    Str.Size = ShStr.size();
    Cursor += ShStr.size();
    if (Sections.size() >= ELF::SHN_LORESERVE)
      return problem(Img, "too many sections");
    Cursor = alignTo(Cursor, Img.Is64 ? 8 : 4);
    Plan.SectionHeaderOffset = Cursor;
    for (const Section &S : Sections)
      appendShdr(Img, Plan.SectionHeaders, S);
    Cursor += Plan.SectionHeaders.size();
  }
  Plan.FileSize = Cursor;
  if (!Img.Is64 && Cursor > std::numeric_limits<uint32_t>::max())
    return problem(Img, "the result would be too large for a 32-bit ELF file");

  // The ELF header, pointing at the new tables.
  Plan.Header.assign(Img.Bytes.begin(), Img.Bytes.begin() + Img.EhSize);
  uint64_t PhOff = Original             ? *Img.OriginalPhOff
                   : Plan.SegmentOffset ? Plan.SegmentOffset
                                        : Img.PhOff;
  uint16_t ShNum = static_cast<uint16_t>(Sections.size());
  uint16_t ShStrNdx =
      Sections.empty() ? 0 : static_cast<uint16_t>(Img.ShStrNdx);
  size_t PhOffAt = Img.Is64 ? 32 : 28, ShOffAt = Img.Is64 ? 40 : 32,
         PhNumAt = Img.Is64 ? 56 : 44;
  putAddr(Img, Plan.Header, PhOffAt, PhOff);
  putAddr(Img, Plan.Header, ShOffAt, Plan.SectionHeaderOffset);
  put16(Plan.Header, PhNumAt, static_cast<uint16_t>(Phdrs.size()));
  put16(Plan.Header, PhNumAt + 4, ShNum);
  put16(Plan.Header, PhNumAt + 6, ShStrNdx);
  Plan.ShStrTab = std::move(ShStr);
  if (!Sections.empty())
    Plan.Tail.push_back(
        {Sections[Img.ShStrNdx].Offset, Plan.ShStrTab, Plan.ShStrTab.size()});
  return std::move(Plan);
}

Error writeOutput(const Image &Img, const OutputPlan &Plan, raw_ostream &OS) {
  uint64_t Pos = 0;
  // Bytes at At (zeros up to At first), then zeros up to At + Size.
  bool InOrder = true;
  auto Emit = [&](uint64_t At, ArrayRef<uint8_t> Bytes, uint64_t Size) {
    if (At < Pos) { // a plan bug; never write backwards or wrap around
      InOrder = false;
      return;
    }
    OS.write_zeros(At - Pos);
    OS.write(reinterpret_cast<const char *>(Bytes.data()), Bytes.size());
    if (Size > Bytes.size())
      OS.write_zeros(Size - Bytes.size());
    Pos = At + std::max<uint64_t>(Size, Bytes.size());
  };
  // Input bytes up to KeepEnd, with the new ELF header and the link-time
  // payload updates applied over them.
  ArrayRef<uint8_t> Keep =
      arrayRefFromStringRef(Img.Bytes.substr(0, Plan.KeepEnd));
  prefault(Keep);
  for (const OutputPlan::Placed &P : Plan.Payloads)
    prefault(P.Bytes);
  std::vector<OutputPlan::Placed> Patches = Plan.Overwrites;
  Patches.push_back({0, Plan.Header, Plan.Header.size()});
  llvm::sort(Patches,
             [](const OutputPlan::Placed &A, const OutputPlan::Placed &B) {
               return A.Offset < B.Offset;
             });
  for (const OutputPlan::Placed &Patch : Patches) {
    if (Patch.Offset < Pos || Patch.Offset + Patch.Size > Keep.size())
      return createStringError(std::errc::invalid_argument,
                               "%s: overlapping in-place updates",
                               Img.FileName.c_str());
    Emit(Pos, Keep.slice(Pos, Patch.Offset - Pos), Patch.Offset - Pos);
    Emit(Patch.Offset, Patch.Bytes, Patch.Size);
  }
  Emit(Pos, Keep.slice(Pos), Keep.size() - Pos);
  if (Plan.SegmentOffset) {
    Emit(Plan.SegmentOffset, Plan.SegmentHead, Plan.SegmentHead.size());
    for (const OutputPlan::Placed &P : Plan.Payloads) {
      if (!P.Write) {
        Emit(P.Offset, P.Bytes, P.Size);
        continue;
      }
      // A streamed payload: it must write exactly the bytes it announced.
      Emit(P.Offset, {}, 0);
      uint64_t Begin = OS.tell();
      if (Error E = P.Write(OS))
        return E;
      if (OS.tell() - Begin != P.Size)
        InOrder = false;
      Pos = P.Offset + P.Size;
    }
    Emit(Plan.RecordsOffset, Plan.Records, Plan.Records.size());
  }
  for (const OutputPlan::Placed &P : Plan.Tail)
    Emit(P.Offset, P.Bytes, P.Size);
  if (!Plan.SectionHeaders.empty())
    Emit(Plan.SectionHeaderOffset, Plan.SectionHeaders,
         Plan.SectionHeaders.size());
  if (!InOrder || Pos != Plan.FileSize)
    return createStringError(
        std::errc::invalid_argument,
        "%s: internal error: inconsistent layout (planned %llu bytes, wrote "
        "%llu)",
        Img.FileName.c_str(), (unsigned long long)Plan.FileSize,
        (unsigned long long)Pos);
  return Error::success();
}

static Error writeImage(const Image &Img, ArrayRef<PayloadInput> Payloads,
                        StringRef OutputPath) {
  Expected<OutputPlan> Plan = planOutput(Img, Payloads);
  if (!Plan)
    return Plan.takeError();
  return writeBinaryOutput(
      Img.FileName, OutputPath,
      [&](raw_pwrite_stream &OS) { return writeOutput(Img, *Plan, OS); });
}

// The payloads the file carries now, by name, with their bytes.
static std::vector<PayloadInput> currentPayloads(const Image &Img) {
  std::vector<PayloadInput> Result;
  for (const PayloadRef &R : Img.Payloads)
    Result.push_back({R.Name, arrayRefFromStringRef(
                                  Img.Bytes.substr(R.FileOffset, R.Size))});
  return Result;
}

// Writes Img with In added, or in place of its payload of the same name:
// in place in the list, so that the order (and with it the layout of the
// other payloads) does not change on a refresh.
static Error writeWith(const Image &Img, const PayloadInput &In,
                       StringRef OutputPath) {
  std::vector<PayloadInput> Payloads = currentPayloads(Img);
  auto It = find_if(Payloads,
                    [&](const PayloadInput &P) { return P.Name == In.Name; });
  if (It != Payloads.end())
    *It = In;
  else
    Payloads.push_back(In);
  return writeImage(Img, Payloads, OutputPath);
}

Error injectPayload(MemoryBufferRef Input, StringRef Name,
                    ArrayRef<uint8_t> Payload, StringRef OutputPath) {
  if (Error E = checkPayloadName(Name))
    return E;
  Expected<ArrayRef<uint8_t>> Bytes = checkPayloadBytes(Payload);
  if (!Bytes)
    return Bytes.takeError();
  Expected<Image> Img = readImage(Input);
  if (!Img)
    return Img.takeError();
  return writeWith(*Img, {Name.str(), *Bytes}, OutputPath);
}

Error injectPayload(MemoryBufferRef Input, StringRef Name, uint64_t Size,
                    PayloadWriter Write, StringRef OutputPath) {
  if (Error E = checkPayloadName(Name))
    return E;
  Expected<Image> Img = readImage(Input);
  if (!Img)
    return Img.takeError();
  // A link-time section is overwritten in place, from bytes in memory.
  if (any_of(Img->Payloads, [&](const PayloadRef &R) {
        return R.Name == Name && !R.PostLink;
      })) {
    SmallVector<char, 0> Bytes;
    Bytes.reserve(Size);
    raw_svector_ostream OS(Bytes);
    if (Error E = Write(OS))
      return E;
    if (Bytes.size() != Size)
      return problem(*Img, "internal error: payload '" + Name +
                               "' is not the size it was laid out with");
    return injectPayload(Input, Name,
                         arrayRefFromStringRef(StringRef(Bytes.data(), Size)),
                         OutputPath);
  }
  PayloadInput In(Name.str(), Size, Write);
  return writeWith(*Img, In, OutputPath);
}

Error removePayload(MemoryBufferRef Input, StringRef Name,
                    StringRef OutputPath) {
  Expected<Image> Img = readImage(Input);
  if (!Img)
    return Img.takeError();
  std::vector<PayloadInput> Payloads = currentPayloads(*Img);
  auto It =
      find_if(Payloads, [&](const PayloadInput &P) { return P.Name == Name; });
  if (It == Payloads.end())
    return problem(*Img, "no payload named '" + Name + "'");
  Payloads.erase(It);
  return writeImage(*Img, Payloads, OutputPath);
}

} // namespace elf
} // namespace pyox
