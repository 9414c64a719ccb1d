//===- CoffImage.h - PE/COFF images as pyox reads and rewrites them -------===//
//
// The model for post-link injection into PE images (docs/macho-pe.md). A
// linked image is read, every offset bounds-checked, into an
// Image: the header fields injection changes, the section table, the
// attribute certificate table (Authenticode), and the payloads of a .pyox
// section. CoffWriter.cpp turns an image plus the wanted payloads into a new
// file.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_COFF_COFFIMAGE_H
#define PYOX_COFF_COFFIMAGE_H

#include "Common/PayloadSection.h"
#include "Container/PayloadContainer.h"

#include "llvm/Object/COFF.h"
#include "llvm/Support/MemoryBuffer.h"

#include <optional>

namespace pyox {
namespace coff {

struct Image {
  llvm::StringRef Bytes;
  std::string FileName;
  bool Pe32Plus = true;
  uint16_t Machine = 0;
  // File offsets of the parts that are rewritten.
  uint64_t FileHeaderOffset = 0; // IMAGE_FILE_HEADER, after "PE\0\0"
  uint64_t OptionalHeaderOffset = 0;
  uint64_t DataDirectoryOffset = 0;
  uint32_t NumberOfRvaAndSizes = 0;
  uint64_t SectionTableOffset = 0;
  uint32_t FileAlignment = 0;
  uint32_t SectionAlignment = 0;
  uint32_t SizeOfHeaders = 0;
  uint32_t SizeOfImage = 0;
  uint32_t SizeOfInitializedData = 0;
  std::vector<llvm::object::coff_section> Sections;
  std::optional<size_t> PyoxSection; // index into Sections
  // The attribute certificate table (PE/COFF spec 4.7): a file offset, not
  // an RVA. Size 0 when the image is not signed.
  uint32_t CertificateOffset = 0;
  uint32_t CertificateSize = 0;
  std::vector<NamedPayload> Payloads; // those in .pyox, pointing into Bytes
};

// True when Bytes starts like a PE image (MZ); readImage says the rest.
bool isCoff(llvm::StringRef Bytes);

// Reads a PE32 or PE32+ image of a supported machine. Errors name the file.
llvm::Expected<Image> readImage(llvm::MemoryBufferRef Buffer);

// The image holding exactly Payloads (none: no .pyox section), without a
// certificate table (Warn is told when one is dropped), with a fresh
// checksum.
llvm::Expected<std::vector<uint8_t>>
writeImage(const Image &Img, llvm::ArrayRef<NamedPayload> Payloads,
           WarningHandler Warn);

// The PE checksum (as imagehlp's CheckSumMappedFile computes it) of File,
// whose CheckSum field is at ChecksumOffset.
uint32_t peChecksum(llvm::ArrayRef<uint8_t> File, uint64_t ChecksumOffset);

// Adds or replaces / removes the payload Name, writing OutputPath atomically.
llvm::Error injectPayload(llvm::MemoryBufferRef Input, llvm::StringRef Name,
                          llvm::ArrayRef<uint8_t> Payload,
                          llvm::StringRef OutputPath, WarningHandler Warn);
llvm::Error removePayload(llvm::MemoryBufferRef Input, llvm::StringRef Name,
                          llvm::StringRef OutputPath, WarningHandler Warn);

// Every payload in the .pyox section of File, for list/verify/extract.
llvm::Expected<std::vector<EmbeddedPayload>>
findCoffPayloads(llvm::MemoryBufferRef File);

} // namespace coff
} // namespace pyox

#endif
