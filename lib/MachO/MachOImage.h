//===- MachOImage.h - Mach-O files as pyox reads and rewrites them --------===//
//
// The model for post-link injection into Mach-O (docs/macho-pe.md). A file
// is a thin 64-bit little-endian image (x86-64 or arm64: executable, dylib
// or bundle) or a universal ("fat") file of such slices. Each slice is
// checked with LLVM's MachOObjectFile and read into a Slice: its load
// commands, its segments, where __LINKEDIT and an earlier __PYOX segment
// are, its code signature, and the payloads of __PYOX,__pyox.
// MachOWriter.cpp lays a slice out again with the wanted payloads;
// CodeSignature.cpp re-signs it.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_MACHO_MACHOIMAGE_H
#define PYOX_MACHO_MACHOIMAGE_H

#include "Common/PayloadSection.h"
#include "Container/PayloadContainer.h"

#include "llvm/Support/MemoryBuffer.h"

#include <optional>

namespace pyox {
namespace macho {

struct LoadCommand {
  uint32_t Cmd = 0;
  uint64_t Offset = 0;           // in the slice
  llvm::ArrayRef<uint8_t> Bytes; // cmdsize bytes
};

struct Segment {
  std::string Name;
  size_t Command = 0; // index into Slice::Commands
  uint64_t VMAddr = 0, VMSize = 0, FileOff = 0, FileSize = 0;
};

// What an existing code signature says (Mach-O code signing, the
// CS_SuperBlob of LC_CODE_SIGNATURE; big-endian).
struct SignatureInfo {
  bool AdHoc = false;        // CS_ADHOC in the CodeDirectory
  bool LinkerSigned = false; // CS_LINKER_SIGNED
  bool HasCms = false;       // a CMS blob (a certificate signature)
  std::string Identifier;
  uint32_t Flags = 0;
  uint64_t ExecSegFlags = 0;
  // Blobs other than code directories and CMS (requirements, entitlements)
  // by slot; copied into the new signature and hashed in its special slots.
  std::vector<std::pair<uint32_t, llvm::ArrayRef<uint8_t>>> SpecialBlobs;
  // Special slot hashes of the SHA-256 CodeDirectory (slot 1 first), for
  // slots no blob backs (Info.plist, resources).
  std::vector<std::array<uint8_t, 32>> SpecialHashes;
};

struct Slice {
  llvm::StringRef Bytes;
  std::string FileName;
  std::string ArchName; // "arm64", "x86_64"
  uint32_t CpuType = 0, FileType = 0;
  uint64_t PageSize = 0x1000; // 16 KiB on arm64
  uint32_t SizeOfCmds = 0;
  uint64_t HeaderRoom = 0; // bytes from the header start to the first section
  std::vector<LoadCommand> Commands;
  std::vector<Segment> Segments;
  size_t LinkEdit = 0;        // index into Segments
  std::optional<size_t> Pyox; // index into Segments
  std::optional<size_t> TextSegment;
  std::optional<size_t> CodeSignature; // index into Commands
  std::optional<SignatureInfo> Signature;
  std::vector<NamedPayload> Payloads;
  uint64_t PyoxSectionOffset = 0; // file offset of __pyox
};

struct FatArch {
  uint32_t CpuType = 0, CpuSubType = 0, Align = 0;
  uint64_t Offset = 0, Size = 0;
};

struct File {
  std::string FileName;
  bool Fat = false, Fat64 = false;
  std::vector<FatArch> Arches; // fat only
  std::vector<Slice> Slices;
};

// True for the thin 64-bit or universal Mach-O magics.
bool isMachO(llvm::StringRef Bytes);

llvm::Expected<File> readFile(llvm::MemoryBufferRef Buffer);
llvm::Expected<Slice> readSlice(llvm::StringRef Bytes,
                                llvm::StringRef FileName);

// The slice holding exactly Payloads (none: no __PYOX segment), re-signed
// ad hoc when it was signed (Warn is told when a certificate signature is
// replaced).
llvm::Expected<std::vector<uint8_t>>
writeSlice(const Slice &S, llvm::ArrayRef<NamedPayload> Payloads,
           WarningHandler Warn);

// The whole file with Payloads in every slice.
llvm::Expected<std::vector<uint8_t>>
writeFile(const File &F, llvm::ArrayRef<std::vector<NamedPayload>> Payloads,
          WarningHandler Warn);

// The code signature of Slice bytes whose code ends at CodeLimit (the
// signature's offset), as ld64 makes it: a SuperBlob with one SHA-256
// CodeDirectory (version 0x20400, 4 KiB pages) plus the special blobs of
// Old.
struct SignatureLayout {
  std::string Identifier;
  uint32_t Flags = 0;
  uint64_t ExecSegBase = 0, ExecSegLimit = 0, ExecSegFlags = 0;
  std::vector<std::pair<uint32_t, llvm::ArrayRef<uint8_t>>> SpecialBlobs;
  std::vector<std::array<uint8_t, 32>> SpecialHashes;
};
uint64_t signatureSize(const SignatureLayout &L, uint64_t CodeLimit);
void writeSignature(const SignatureLayout &L, llvm::ArrayRef<uint8_t> Code,
                    llvm::MutableArrayRef<uint8_t> Out);
llvm::Expected<SignatureInfo> readSignature(llvm::ArrayRef<uint8_t> Blob);

llvm::Error injectPayload(llvm::MemoryBufferRef Input, llvm::StringRef Name,
                          llvm::ArrayRef<uint8_t> Payload,
                          llvm::StringRef OutputPath, WarningHandler Warn);
llvm::Error removePayload(llvm::MemoryBufferRef Input, llvm::StringRef Name,
                          llvm::StringRef OutputPath, WarningHandler Warn);

llvm::Expected<std::vector<EmbeddedPayload>>
findMachOPayloads(llvm::MemoryBufferRef File);

} // namespace macho
} // namespace pyox

#endif
