//===- CoffReader.cpp - Read a PE image into the injection model ----------===//
//
// This reader takes the few fields of a PE image that post-link injection
// changes, with their file offsets (PE/COFF spec 3 and
// 4: the file header follows the "PE\0\0" signature at e_lfanew, the optional
// header follows the file header, the section table follows the optional
// header). Every offset is checked against the file before it is read.
//
//===----------------------------------------------------------------------===//

#include "COFF/CoffImage.h"

#include "pyox/section.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/BinaryFormat/COFF.h"
#include "llvm/Support/Endian.h"

#include <cstring>

using namespace llvm;
using namespace llvm::support;

namespace pyox {
namespace coff {

namespace {

bool isSupportedMachine(uint16_t M) {
  return M == COFF::IMAGE_FILE_MACHINE_AMD64 ||
         M == COFF::IMAGE_FILE_MACHINE_I386 ||
         M == COFF::IMAGE_FILE_MACHINE_ARM64 ||
         M == COFF::IMAGE_FILE_MACHINE_ARMNT;
}

} // namespace

bool isCoff(StringRef Bytes) { return Bytes.starts_with("MZ"); }

Expected<Image> readImage(MemoryBufferRef Buffer) {
  StringRef Name = Buffer.getBufferIdentifier();
  StringRef B = Buffer.getBuffer();
  // 0x40: the DOS header; its e_lfanew is at 0x3c (PE/COFF spec 3.1).
  if (B.size() < 0x40 || !isCoff(B))
    return fileError(Name, "not a PE image (truncated DOS header)");
  Image Img;
  Img.Bytes = B;
  Img.FileName = Name.str();
  const uint8_t *P = B.bytes_begin();
  uint64_t PeOffset = endian::read32le(P + 0x3c);
  if (PeOffset > B.size() ||
      B.size() - PeOffset < 4 + sizeof(object::coff_file_header) ||
      std::memcmp(P + PeOffset, COFF::PEMagic, 4) != 0)
    return fileError(Name, "not a PE image (no PE signature)");
  Img.FileHeaderOffset = PeOffset + 4;
  const uint8_t *FH = P + Img.FileHeaderOffset;
  Img.Machine = endian::read16le(FH);
  uint16_t NumSections = endian::read16le(FH + 2);
  uint16_t SizeOfOptional = endian::read16le(FH + 16);
  if (!isSupportedMachine(Img.Machine))
    return fileError(Name,
                     "unsupported PE machine 0x" + utohexstr(Img.Machine));
  Img.OptionalHeaderOffset =
      Img.FileHeaderOffset + sizeof(object::coff_file_header);
  if (SizeOfOptional < 2 ||
      Img.OptionalHeaderOffset + SizeOfOptional > B.size())
    return fileError(Name, "malformed PE image: truncated optional header");
  const uint8_t *OH = P + Img.OptionalHeaderOffset;
  uint16_t Magic = endian::read16le(OH);
  if (Magic != COFF::PE32Header::PE32_PLUS && Magic != COFF::PE32Header::PE32)
    return fileError(Name, "not a PE image (optional header magic 0x" +
                               utohexstr(Magic) + ")");
  Img.Pe32Plus = Magic == COFF::PE32Header::PE32_PLUS;
  // Both optional header forms have the same offsets up to CheckSum; the
  // data directories start at 96 (PE32) or 112 (PE32+) (spec 3.4).
  uint64_t DirStart = Img.Pe32Plus ? 112 : 96;
  if (SizeOfOptional < DirStart)
    return fileError(Name, "malformed PE image: truncated optional header");
  Img.SizeOfInitializedData = endian::read32le(OH + 8);
  Img.SectionAlignment = endian::read32le(OH + 32);
  Img.FileAlignment = endian::read32le(OH + 36);
  Img.SizeOfImage = endian::read32le(OH + 56);
  Img.SizeOfHeaders = endian::read32le(OH + 60);
  Img.NumberOfRvaAndSizes = endian::read32le(OH + DirStart - 4);
  Img.DataDirectoryOffset = Img.OptionalHeaderOffset + DirStart;
  if (Img.NumberOfRvaAndSizes > (SizeOfOptional - DirStart) / 8)
    return fileError(
        Name,
        "malformed PE image: data directories overrun the optional header");
  // PE/COFF spec 3.4.2: FileAlignment is a power of two up to 64 KiB (512
  // or more unless it equals SectionAlignment), SectionAlignment at least
  // FileAlignment. A larger one would have the writer pad the output to
  // gigabytes.
  if (!isPowerOf2_32(Img.FileAlignment) ||
      !isPowerOf2_32(Img.SectionAlignment) || Img.FileAlignment > 0x10000 ||
      Img.SectionAlignment < Img.FileAlignment ||
      (Img.FileAlignment < 0x200 && Img.FileAlignment != Img.SectionAlignment))
    return fileError(Name,
                     "malformed PE image: bad FileAlignment/SectionAlignment");
  Img.SectionTableOffset = Img.OptionalHeaderOffset + SizeOfOptional;
  if (Img.SectionTableOffset +
          uint64_t(NumSections) * sizeof(object::coff_section) >
      B.size())
    return fileError(Name, "malformed PE image: truncated section table");
  for (uint16_t I = 0; I < NumSections; ++I) {
    object::coff_section S;
    std::memcpy(&S, P + Img.SectionTableOffset + I * sizeof(S), sizeof(S));
    if (S.SizeOfRawData && (S.PointerToRawData > B.size() ||
                            S.SizeOfRawData > B.size() - S.PointerToRawData))
      return fileError(Name, "section " +
                                 StringRef(S.Name, strnlen(S.Name, 8)) +
                                 " lies outside the file");
    if (StringRef(S.Name, strnlen(S.Name, 8)) == PYOX_PE_SECTION) {
      if (Img.PyoxSection)
        return fileError(Name, "more than one .pyox section");
      Img.PyoxSection = I;
    }
    Img.Sections.push_back(S);
  }
  if (Img.NumberOfRvaAndSizes > COFF::CERTIFICATE_TABLE) {
    const uint8_t *D =
        P + Img.DataDirectoryOffset + 8 * COFF::CERTIFICATE_TABLE;
    Img.CertificateOffset = endian::read32le(D);
    Img.CertificateSize = endian::read32le(D + 4);
    if (Img.CertificateSize &&
        (Img.CertificateOffset > B.size() ||
         Img.CertificateSize > B.size() - Img.CertificateOffset))
      return fileError(
          Name,
          "malformed PE image: the certificate table lies outside the file");
  }
  if (Img.PyoxSection) {
    const object::coff_section &S = Img.Sections[*Img.PyoxSection];
    uint32_t Size = std::min<uint32_t>(S.VirtualSize, S.SizeOfRawData);
    ArrayRef<uint8_t> Data =
        arrayRefFromStringRef(B.substr(S.PointerToRawData, Size));
    Expected<std::vector<NamedPayload>> Payloads = readPayloadSection(Data);
    if (!Payloads)
      return fileError(Name,
                       "section .pyox: " + toString(Payloads.takeError()));
    Img.Payloads = std::move(*Payloads);
  }
  return std::move(Img);
}

Expected<std::vector<EmbeddedPayload>> findCoffPayloads(MemoryBufferRef File) {
  Expected<Image> Img = readImage(File);
  if (!Img)
    return Img.takeError();
  std::vector<EmbeddedPayload> Result;
  if (!Img->PyoxSection)
    return std::move(Result);
  uint64_t Base = Img->Sections[*Img->PyoxSection].PointerToRawData;
  for (const NamedPayload &P : Img->Payloads)
    Result.push_back(
        {P.Name, "section " PYOX_PE_SECTION, Base + P.SectionOffset, P.Bytes});
  return std::move(Result);
}

} // namespace coff
} // namespace pyox
