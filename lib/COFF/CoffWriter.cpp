//===- CoffWriter.cpp - Put payloads into a linked PE image ---------------===//
//
// The problem: give a linked PE image one more section that the Windows
// loader maps read-only, without moving anything the linker placed, and so
// that doing it again replaces that section instead of adding another.
//
// The approach (PE/COFF spec 3.4 and 4):
//
//   [headers: one more 40-byte entry in the section table]
//   [every section's raw data, untouched]
//   [whatever followed them: COFF symbols, debug data, overlays]
//   [zeros up to FileAlignment]
//   [.pyox raw data: the payload directory and payloads]   <- end of file
//
// The section table sits in the headers, which end at SizeOfHeaders; linkers
// round that up to FileAlignment, which leaves room for a few more entries.
// When there is none we stop: growing the headers would move every
// section's raw data. .pyox gets the next SectionAlignment boundary after
// the last section in memory, so sections stay sorted and contiguous, and
// the raw data goes at the end of the file, behind anything the image
// carries after its sections (MinGW's COFF symbol table, installers'
// overlays). The loader maps raw data from PointerToRawData wherever it is.
// SizeOfImage, SizeOfInitializedData and NumberOfSections follow, and the
// CheckSum is recomputed last.
//
// The attribute certificate table (Authenticode) must be the last thing in
// the file and signs everything before it, so it cannot survive: it is
// dropped, with a warning that the image must be signed again.
//
// Refresh: a .pyox section written before is the last entry of the table
// with its raw data at the end of the file, so the file is cut there and the
// section laid out again; the same payload gives the same file. Remove cuts
// it and drops the table entry.
//
// A .pyox section the linker placed (from a `pyox-inject object` file or
// pyox-link) sits among the other sections and cannot move. It is rewritten
// in place when the new directory fits both its raw data and the address
// range before the next section: the file keeps its size, only VirtualSize
// and the checksum change. Remove leaves an empty directory there.
//
//===----------------------------------------------------------------------===//

#include "COFF/CoffImage.h"

#include "pyox/section.h"

#include "llvm/BinaryFormat/COFF.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cstring>

using namespace llvm;
using namespace llvm::support;

namespace pyox {
namespace coff {

namespace {

Error problem(const Image &Img, const Twine &What) {
  return fileError(Img.FileName, What);
}

uint64_t rawEnd(const object::coff_section &S) {
  return S.SizeOfRawData ? uint64_t(S.PointerToRawData) + S.SizeOfRawData : 0;
}

// Where the image ends in memory: the loader maps VirtualSize bytes (or
// SizeOfRawData when VirtualSize is 0) at VirtualAddress.
uint64_t virtualEnd(const object::coff_section &S, uint32_t SectionAlignment) {
  uint64_t Size = S.VirtualSize ? S.VirtualSize : S.SizeOfRawData;
  return alignTo(uint64_t(S.VirtualAddress) + Size, SectionAlignment);
}

} // namespace

uint32_t peChecksum(ArrayRef<uint8_t> File, uint64_t ChecksumOffset) {
  // 16-bit one's-complement-style sum with end-around carry over the whole
  // file, the CheckSum field counted as zero, plus the file length.
  uint64_t Sum = 0;
  size_t N = File.size();
  for (size_t I = 0; I < N; I += 2) {
    if (I >= ChecksumOffset && I < ChecksumOffset + 4)
      continue;
    uint32_t Word = File[I] | (I + 1 < N ? uint32_t(File[I + 1]) << 8 : 0);
    Sum += Word;
    Sum = (Sum & 0xffff) + (Sum >> 16);
  }
  Sum = (Sum & 0xffff) + (Sum >> 16);
  return static_cast<uint32_t>(Sum + N);
}

// The last touches of every output: the certificate table entry cleared
// when the signature was dropped, and the checksum over the final bytes.
static void finishImage(const Image &Img, std::vector<uint8_t> &Out) {
  if (Img.CertificateSize) {
    uint8_t *D =
        Out.data() + Img.DataDirectoryOffset + 8 * COFF::CERTIFICATE_TABLE;
    endian::write32le(D, 0);
    endian::write32le(D + 4, 0);
  }
  uint64_t ChecksumAt = Img.OptionalHeaderOffset + 64;
  endian::write32le(Out.data() + ChecksumAt, peChecksum(Out, ChecksumAt));
}

// Rewrites a .pyox section the linker placed among the others, in place.
// Keep is where the kept part of the file ends (before a certificate table);
// writeImage has checked that the headers end before Keep and before the
// section's raw data.
static Expected<std::vector<uint8_t>>
rewriteInPlace(const Image &Img, ArrayRef<NamedPayload> Payloads,
               uint64_t Keep) {
  const object::coff_section &Old = Img.Sections[*Img.PyoxSection];
  // The next section in memory bounds how far VirtualSize may grow.
  uint64_t NextVA = UINT64_MAX;
  for (const object::coff_section &S : Img.Sections)
    if (S.VirtualAddress > Old.VirtualAddress)
      NextVA = std::min<uint64_t>(NextVA, S.VirtualAddress);
  uint64_t Capacity =
      std::min<uint64_t>(Old.SizeOfRawData, NextVA - Old.VirtualAddress);
  if (rawEnd(Old) > Keep)
    return problem(Img, "the raw data of section .pyox runs past the end of "
                        "the image");
  std::vector<uint8_t> Content = buildPayloadSection(Payloads);
  if (Content.size() > Capacity)
    return problem(Img, "the payload needs " + Twine(Content.size()) +
                            " bytes but section .pyox, placed by the linker, "
                            "holds " +
                            Twine(Capacity) +
                            "; relink with room to spare (pyox-inject object "
                            "--reserve, pyox-ld --pyox-reserve)");
  std::vector<uint8_t> Out(Img.Bytes.begin(), Img.Bytes.begin() + Keep);
  uint8_t *Raw = Out.data() + Old.PointerToRawData;
  std::memset(Raw, 0, Old.SizeOfRawData);
  std::memcpy(Raw, Content.data(), Content.size());
  object::coff_section New = Old;
  New.VirtualSize = Content.size();
  std::memcpy(Out.data() + Img.SectionTableOffset +
                  *Img.PyoxSection * sizeof(object::coff_section),
              &New, sizeof New);
  finishImage(Img, Out);
  return std::move(Out);
}

Expected<std::vector<uint8_t>> writeImage(const Image &Img,
                                          ArrayRef<NamedPayload> Payloads,
                                          WarningHandler Warn) {
  const uint64_t FileSize = Img.Bytes.size();
  // Where the kept part of the file ends.
  uint64_t Keep = FileSize;
  if (Img.CertificateSize) {
    uint64_t SectionsEnd = 0;
    for (const object::coff_section &S : Img.Sections)
      SectionsEnd = std::max(SectionsEnd, rawEnd(S));
    if (Img.CertificateOffset < SectionsEnd)
      return problem(Img, "the certificate table overlaps section data");
    Keep = Img.CertificateOffset;
    Warn(Img.FileName + ": removed the Authenticode signature; sign the "
                        "output again (signtool, osslsigncode)");
  }
  // Everything written into the headers (section table, NumberOfSections,
  // SizeOfImage, the checksum) must lie in the kept part of the file.
  uint64_t OldTableEnd = Img.SectionTableOffset +
                         Img.Sections.size() * sizeof(object::coff_section);
  if (OldTableEnd > Keep)
    return problem(Img, "the certificate table overlaps the PE headers");
  if (Img.PyoxSection) {
    const object::coff_section &Old = Img.Sections[*Img.PyoxSection];
    if (Old.SizeOfRawData && Old.PointerToRawData < OldTableEnd)
      return problem(Img, "the raw data of section .pyox overlaps the PE "
                          "headers");
  }
  if (Img.PyoxSection && *Img.PyoxSection + 1 != Img.Sections.size())
    return rewriteInPlace(Img, Payloads, Keep);
  std::vector<object::coff_section> Sections = Img.Sections;
  uint32_t InitializedData = Img.SizeOfInitializedData;
  if (Img.PyoxSection) {
    const object::coff_section &Old = Sections[*Img.PyoxSection];
    if (Old.SizeOfRawData && rawEnd(Old) < Keep)
      return problem(Img, "data follows the raw data of section .pyox");
    if (Old.SizeOfRawData)
      Keep = std::min<uint64_t>(Keep, Old.PointerToRawData);
    InitializedData -= std::min(InitializedData, uint32_t(Old.SizeOfRawData));
    Sections.pop_back();
  }

  std::vector<uint8_t> Content;
  if (!Payloads.empty())
    Content = buildPayloadSection(Payloads);

  // Room for the table in the headers (PE/COFF spec 3.4: the table follows
  // the optional header, inside SizeOfHeaders).
  uint64_t TableEnd =
      Img.SectionTableOffset +
      (Sections.size() + !Content.empty()) * sizeof(object::coff_section);
  uint64_t FirstRaw = Img.SizeOfHeaders;
  for (const object::coff_section &S : Sections)
    if (S.SizeOfRawData)
      FirstRaw = std::min<uint64_t>(FirstRaw, S.PointerToRawData);
  if (TableEnd > FirstRaw || TableEnd > Keep)
    return problem(Img, "no room in the PE headers for another section "
                        "header (SizeOfHeaders " +
                            Twine(Img.SizeOfHeaders) +
                            "); relink leaving room for one more section");
  for (uint64_t I = OldTableEnd; I < TableEnd; ++I)
    if (Img.Bytes[I] != 0)
      return problem(Img, "the bytes after the section table are in use; no "
                          "room for another section header");

  uint64_t ImageEnd = alignTo(Img.SizeOfHeaders, Img.SectionAlignment);
  for (const object::coff_section &S : Sections)
    ImageEnd = std::max(ImageEnd, virtualEnd(S, Img.SectionAlignment));

  object::coff_section New;
  std::memset(&New, 0, sizeof New);
  uint64_t RawAt = 0, RawSize = 0;
  if (!Content.empty()) {
    RawAt = alignTo(Keep, Img.FileAlignment);
    RawSize = alignTo(Content.size(), Img.FileAlignment);
    if (RawAt + RawSize > UINT32_MAX || ImageEnd + Content.size() > UINT32_MAX)
      return problem(Img, "the payload does not fit in a PE image (4 GiB)");
    std::memcpy(New.Name, PYOX_PE_SECTION, sizeof(PYOX_PE_SECTION) - 1);
    New.VirtualSize = Content.size();
    New.VirtualAddress = ImageEnd;
    New.SizeOfRawData = RawSize;
    New.PointerToRawData = RawAt;
    New.Characteristics =
        COFF::IMAGE_SCN_CNT_INITIALIZED_DATA | COFF::IMAGE_SCN_MEM_READ;
    Sections.push_back(New);
    ImageEnd = virtualEnd(New, Img.SectionAlignment);
    InitializedData += RawSize;
  }

  std::vector<uint8_t> Out(Content.empty() ? Keep : RawAt + RawSize, 0);
  std::memcpy(Out.data(), Img.Bytes.data(), Keep);
  if (!Content.empty())
    std::memcpy(Out.data() + RawAt, Content.data(), Content.size());
  // The section table, then zeros where a longer old table ended.
  for (uint64_t I = Img.SectionTableOffset; I < OldTableEnd; ++I)
    Out[I] = 0;
  std::memcpy(Out.data() + Img.SectionTableOffset, Sections.data(),
              Sections.size() * sizeof(object::coff_section));
  endian::write16le(Out.data() + Img.FileHeaderOffset + 2, Sections.size());
  uint8_t *OH = Out.data() + Img.OptionalHeaderOffset;
  endian::write32le(OH + 8, InitializedData);
  endian::write32le(OH + 56, ImageEnd);
  finishImage(Img, Out);
  return std::move(Out);
}

static Error writeFile(const Image &Img, ArrayRef<NamedPayload> Payloads,
                       StringRef OutputPath, WarningHandler Warn) {
  Expected<std::vector<uint8_t>> Bytes = writeImage(Img, Payloads, Warn);
  if (!Bytes)
    return Bytes.takeError();
  return writeBinaryOutput(Img.FileName, OutputPath, *Bytes);
}

Error injectPayload(MemoryBufferRef Input, StringRef Name,
                    ArrayRef<uint8_t> Payload, StringRef OutputPath,
                    WarningHandler Warn) {
  Expected<ArrayRef<uint8_t>> Bytes = checkPayloadBytes(Payload);
  if (!Bytes)
    return Bytes.takeError();
  Expected<Image> Img = readImage(Input);
  if (!Img)
    return Img.takeError();
  std::vector<NamedPayload> Payloads = Img->Payloads;
  setPayload(Payloads, Name, *Bytes);
  return writeFile(*Img, Payloads, OutputPath, Warn);
}

Error removePayload(MemoryBufferRef Input, StringRef Name, StringRef OutputPath,
                    WarningHandler Warn) {
  Expected<Image> Img = readImage(Input);
  if (!Img)
    return Img.takeError();
  std::vector<NamedPayload> Payloads = Img->Payloads;
  if (!erasePayload(Payloads, Name))
    return problem(*Img, "no payload named '" + Name + "'");
  return writeFile(*Img, Payloads, OutputPath, Warn);
}

} // namespace coff
} // namespace pyox
