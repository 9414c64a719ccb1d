//===- LocateElf.cpp - Find a payload in the running ELF image ------------===//
//
// The payload of an image is described by a PYOX record in note format
// (pyox/runtime.h): a descriptor that holds the payload's offset from the
// descriptor itself, its size and its name. The objects of `pyox-inject
// object` (link time) put the records in a PT_NOTE segment; `pyox-inject
// inject` (post-link) puts them at the end of its PT_LOAD, before a trailer
// that ends the segment's file contents. This one locator serves both.
//
// Which image? The one whose PT_LOAD segments contain the caller's address.
// dl_iterate_phdr reports every loaded image with its load bias and program
// headers, in static executables too (glibc fills it from AT_PHDR), where
// dladdr would need a dynamic symbol table. Nothing here trusts the file:
// the note segment and the payload range must both lie inside a file-backed
// PT_LOAD range of the same image before a byte of them is read (a trailer
// is read only at the end of a readable PT_LOAD's file contents, and the
// records it announces must lie in that segment), every note size is
// checked against its container, and the payload header is checked by
// pyox_payload_check_header. No allocation, no I/O, no global state.
//
//===----------------------------------------------------------------------===//

#include "pyox/runtime.h"

#include "pyox/format_record.h"
#include "pyox/payload.h"

#include <link.h>
#include <string.h>

// The payload formats this program reads, for pyox-inject to check
// (FormatRecord.c): referred to here, so that a program linking the static
// archive has the record wherever it has the locator.
extern "C" const pyox_format_record pyox_readable_formats;
[[gnu::used]] static const void *const FormatRecordAnchor =
    &pyox_readable_formats;

namespace {

using Phdr = ElfW(Phdr);

// True when [Addr, Addr + Size) lies in the file-backed part of one of the
// image's PT_LOAD segments.
bool inLoadedFile(uintptr_t Bias, const Phdr *Phdrs, size_t Phnum,
                  uintptr_t Addr, uint64_t Size) {
  for (size_t I = 0; I < Phnum; ++I) {
    const Phdr &P = Phdrs[I];
    if (P.p_type != PT_LOAD)
      continue;
    uintptr_t Start = Bias + P.p_vaddr;
    if (Addr < Start)
      continue;
    uint64_t Off = Addr - Start;
    if (Off <= P.p_filesz && Size <= P.p_filesz - Off)
      return true;
  }
  return false;
}

uint32_t readU32(const uint8_t *P) {
  uint32_t V;
  memcpy(&V, P, 4);
  return V;
}

uint64_t readU64(const uint8_t *P) {
  uint64_t V;
  memcpy(&V, P, 8);
  return V;
}

struct Search {
  const char *Name;
  size_t NameSize;
  const void *Data = nullptr;
  size_t Size = 0;
  const char *Error = nullptr;
  int Result = PYOX_FIND_NOT_FOUND;
};

// The note alignment that walks [P, P + Size) without overrunning it: the
// segment's p_align (gABI: 4 or 8), else 4. The fallback is for linkers (mold)
// that put 4-aligned notes in a PT_NOTE whose p_align is 8 because it also
// holds .note.gnu.property. Returns 0 when neither walks.
uint64_t noteAlignment(const uint8_t *P, uint64_t Size, uint64_t PAlign) {
  const uint64_t Candidates[2] = {PAlign == 8 ? 8u : 4u, 4u};
  for (uint64_t Align : Candidates) {
    uint64_t Off = 0;
    bool Fits = true;
    while (Fits && Size - Off >= 12) {
      uint64_t NameSz = readU32(P + Off), DescSz = readU32(P + Off + 4);
      uint64_t DescOff = Off + 12 + ((NameSz + Align - 1) & ~(Align - 1));
      uint64_t Next = DescOff + ((DescSz + Align - 1) & ~(Align - 1));
      Fits = DescOff <= Size && DescSz <= Size - DescOff;
      Off = Next > Size ? Size : Next;
    }
    if (Fits)
      return Align;
  }
  return 0;
}

// Looks through the notes at [Base, Base + Size), which the caller has
// checked lie in the loaded file. Returns true when the search is over
// (found, or a malformed PYOX note stopped it).
bool searchNotes(uintptr_t Bias, const Phdr *Phdrs, size_t Phnum,
                 uintptr_t Base, uint64_t Size, uint64_t PAlign, Search &S) {
  const uint8_t *P = reinterpret_cast<const uint8_t *>(Base);
  uint64_t Align = noteAlignment(P, Size, PAlign);
  if (Align == 0)
    return false; // not a note list we can read; not ours either
  uint64_t Off = 0;
  while (Size - Off >= 12) {
    uint32_t NameSz = readU32(P + Off);
    uint32_t DescSz = readU32(P + Off + 4);
    uint32_t Type = readU32(P + Off + 8);
    uint64_t NameOff = Off + 12;
    uint64_t DescOff =
        NameOff + ((uint64_t(NameSz) + Align - 1) & ~(Align - 1));
    uint64_t Next = DescOff + ((uint64_t(DescSz) + Align - 1) & ~(Align - 1));
    Off = Next > Size ? Size : Next; // the walk above checked the bounds
    if (NameSz != PYOX_NOTE_OWNER_SIZE ||
        memcmp(P + NameOff, PYOX_NOTE_OWNER, PYOX_NOTE_OWNER_SIZE) != 0 ||
        Type != PYOX_NOTE_PAYLOAD)
      continue;
    const uint8_t *Desc = P + DescOff;
    if (DescSz < PYOX_ELF_NOTE_SIZE) {
      S.Error = "pyox: malformed PYOX payload note (descriptor too small)";
      S.Result = PYOX_FIND_INVALID;
      return true;
    }
    uint32_t NameSize = readU32(Desc + 16);
    if (NameSize > DescSz - PYOX_ELF_NOTE_SIZE) {
      S.Error = "pyox: malformed PYOX payload note (name out of bounds)";
      S.Result = PYOX_FIND_INVALID;
      return true;
    }
    if (NameSize != S.NameSize ||
        memcmp(Desc + PYOX_ELF_NOTE_SIZE, S.Name, NameSize) != 0)
      continue;
    int64_t Rel = static_cast<int64_t>(readU64(Desc));
    uint64_t PayloadSize = readU64(Desc + 8);
    uintptr_t DescAddr = reinterpret_cast<uintptr_t>(Desc);
    uintptr_t Addr = DescAddr + static_cast<uintptr_t>(Rel);
    if ((Rel < 0 && Addr > DescAddr) || (Rel > 0 && Addr < DescAddr) ||
        !inLoadedFile(Bias, Phdrs, Phnum, Addr, PayloadSize)) {
      S.Error = "pyox: PYOX payload note points outside the loaded image";
      S.Result = PYOX_FIND_INVALID;
      return true;
    }
    const char *Why = nullptr;
    uint64_t Total = 0;
    if (pyox_payload_check_header(reinterpret_cast<const void *>(Addr),
                                  PayloadSize, &Total, &Why) != 0) {
      S.Error = Why;
      S.Result = PYOX_FIND_INVALID;
      return true;
    }
    S.Data = reinterpret_cast<const void *>(Addr);
    S.Size = static_cast<size_t>(Total);
    S.Result = PYOX_FIND_OK;
    return true;
  }
  return false;
}

// The records a post-link injection put before the trailer that ends the
// file contents of a read-only PT_LOAD, if this one has it.
bool searchTrailer(uintptr_t Bias, const Phdr *Phdrs, size_t Phnum,
                   const Phdr &Load, Search &S) {
  if ((Load.p_flags & (PF_R | PF_W)) != PF_R ||
      Load.p_filesz < PYOX_ELF_TRAILER_SIZE)
    return false;
  uintptr_t End = Bias + Load.p_vaddr + Load.p_filesz;
  const uint8_t *T =
      reinterpret_cast<const uint8_t *>(End) - PYOX_ELF_TRAILER_SIZE;
  if (reinterpret_cast<uintptr_t>(T) % 8 != 0 ||
      memcmp(T, PYOX_ELF_TRAILER_MAGIC, 8) != 0)
    return false;
  uint64_t Size = readU64(T + 8);
  if (Size > Load.p_filesz - PYOX_ELF_TRAILER_SIZE) {
    S.Error = "pyox: malformed PYOX record trailer (size out of bounds)";
    S.Result = PYOX_FIND_INVALID;
    return true;
  }
  uintptr_t Base = reinterpret_cast<uintptr_t>(T) - Size;
  return searchNotes(Bias, Phdrs, Phnum, Base, Size, 4, S);
}

void searchImage(uintptr_t Bias, const Phdr *Phdrs, size_t Phnum, Search &S) {
  for (size_t I = 0; I < Phnum; ++I) {
    const Phdr &P = Phdrs[I];
    if (P.p_type == PT_LOAD && searchTrailer(Bias, Phdrs, Phnum, P, S))
      return;
    // A PT_NOTE not mapped from the file is not something we can read.
    if (P.p_type == PT_NOTE &&
        inLoadedFile(Bias, Phdrs, Phnum, Bias + P.p_vaddr, P.p_filesz) &&
        searchNotes(Bias, Phdrs, Phnum, Bias + P.p_vaddr, P.p_filesz, P.p_align,
                    S))
      return;
  }
}

struct ImageQuery {
  uintptr_t Address; // 0: the first image reported (the main program)
  Search *S;
  bool Matched = false;
};

int visitImage(struct dl_phdr_info *Info, size_t, void *Arg) {
  ImageQuery &Q = *static_cast<ImageQuery *>(Arg);
  if (Q.Address != 0 && !inLoadedFile(Info->dlpi_addr, Info->dlpi_phdr,
                                      Info->dlpi_phnum, Q.Address, 1)) {
    // The address may be in .bss (memsz beyond filesz): accept that too.
    bool InMemory = false;
    for (size_t I = 0; I < Info->dlpi_phnum && !InMemory; ++I) {
      const Phdr &P = Info->dlpi_phdr[I];
      uintptr_t Start = Info->dlpi_addr + P.p_vaddr;
      InMemory = P.p_type == PT_LOAD && Q.Address >= Start &&
                 Q.Address - Start < P.p_memsz;
    }
    if (!InMemory)
      return 0;
  }
  Q.Matched = true;
  searchImage(Info->dlpi_addr, Info->dlpi_phdr, Info->dlpi_phnum, *Q.S);
  return 1;
}

int finish(const Search &S, const void **Data, size_t *Size,
           const char **Error) {
  if (S.Result == PYOX_FIND_OK) {
    *Data = S.Data;
    *Size = S.Size;
  } else if (Error) {
    *Error = S.Error;
  }
  return S.Result;
}

Search makeSearch(const char *Name) {
  Search S;
  S.Name = Name ? Name : PYOX_DEFAULT_PAYLOAD_NAME;
  S.NameSize = strlen(S.Name);
  S.Error = "pyox: no embedded payload of that name in this image";
  return S;
}

} // namespace

extern "C" int pyox_find_payload_in_image(uintptr_t load_bias,
                                          const void *phdrs, size_t phnum,
                                          const char *name, const void **data,
                                          size_t *size, const char **error) {
  Search S = makeSearch(name);
  searchImage(load_bias, static_cast<const Phdr *>(phdrs), phnum, S);
  return finish(S, data, size, error);
}

extern "C" int pyox_find_payload(const char *name, const void *caller_address,
                                 const void **data, size_t *size,
                                 const char **error) {
  Search S = makeSearch(name);
  ImageQuery Q{reinterpret_cast<uintptr_t>(caller_address), &S};
  dl_iterate_phdr(visitImage, &Q);
  if (!Q.Matched) {
    S.Error = "pyox: the address is in no loaded image";
    S.Result = PYOX_FIND_NOT_FOUND;
  }
  return finish(S, data, size, error);
}
