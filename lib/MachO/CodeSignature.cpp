//===- CodeSignature.cpp - Read and make Mach-O code signatures -----------===//
//
// Adding a segment changes the bytes a code signature covers, so a signed
// slice must be signed again; on arm64 macOS the kernel refuses to run
// unsigned code. What ld64 writes with -adhoc_codesign (and codesign -s -)
// is an "ad-hoc" signature: no certificate, only hashes, which anyone can
// make. It is an embedded-signature SuperBlob at the end of __LINKEDIT,
// pointed to by LC_CODE_SIGNATURE, holding a CodeDirectory:
//
//   CS_SuperBlob   magic 0xfade0cc0, length, count, {type, offset} x count
//   CS_CodeDirectory (slot 0) version 0x20400 (with the exec segment
//                  fields), SHA-256, 4 KiB pages, flags CS_ADHOC (and
//                  CS_LINKER_SIGNED when the linker made it), identifier,
//                  then nSpecialSlots hashes *before* hashOffset (slot -N
//                  first) and one hash per page of [0, codeLimit) after it
//   other blobs    requirements (slot 2), entitlements (5, 7): their hashes
//                  are the special slots -2, -5, -7
//
// All of it is big-endian (Apple's cs_blobs.h; the structs and constants are
// LLVM's BinaryFormat/MachO.h). codeLimit is the signature's own offset:
// every byte before it, load commands included, is hashed.
//
// A slice signed with a certificate (a CMS blob, no CS_ADHOC) cannot be
// signed again here; the caller replaces it with an ad-hoc signature and
// warns. Entitlements and requirements blobs are carried over, and the hashes
// of external special slots (Info.plist, resources) are kept.
//
//===----------------------------------------------------------------------===//

#include "MachO/MachOImage.h"

#include "llvm/BinaryFormat/MachO.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/SHA256.h"

#include <cstring>

using namespace llvm;
using namespace llvm::support;

namespace pyox {
namespace macho {

namespace {

constexpr uint32_t PageShift = 12; // 4 KiB pages, as ld64 hashes them
constexpr uint32_t PageBytes = 1u << PageShift;
constexpr uint32_t HashSize = 32;                // SHA-256
constexpr uint32_t CodeDirectoryHeaderSize = 88; // version 0x20400
constexpr uint32_t SuperBlobHeaderSize = 12, BlobIndexSize = 8;

Error malformed(const Twine &What) {
  return createStringError(std::errc::invalid_argument,
                           "malformed code signature: %s", What.str().c_str());
}

uint32_t nCodeSlots(uint64_t CodeLimit) {
  return static_cast<uint32_t>(divideCeil(CodeLimit, PageBytes));
}

uint32_t nSpecialSlots(const SignatureLayout &L) {
  uint32_t N = L.SpecialHashes.size();
  for (const auto &B : L.SpecialBlobs)
    N = std::max(N, B.first);
  return N;
}

// Where the CodeDirectory starts in the SuperBlob, and how many bytes its
// NUL-padded identifier takes: as lld lays them out (the index padded to 8,
// the hashes starting 16-byte aligned), so that a slice we re-sign has the
// bytes the linker would have written.
uint64_t codeDirectoryOffset(const SignatureLayout &L) {
  return alignTo(
      SuperBlobHeaderSize + BlobIndexSize * (1 + L.SpecialBlobs.size()), 8);
}
uint64_t identifierSize(const SignatureLayout &L) {
  uint64_t Fixed = codeDirectoryOffset(L) + CodeDirectoryHeaderSize;
  return alignTo(Fixed + L.Identifier.size() + 1, 16) - Fixed;
}

uint64_t codeDirectorySize(const SignatureLayout &L, uint64_t CodeLimit) {
  return CodeDirectoryHeaderSize + identifierSize(L) +
         uint64_t(nSpecialSlots(L) + nCodeSlots(CodeLimit)) * HashSize;
}

} // namespace

uint64_t signatureSize(const SignatureLayout &L, uint64_t CodeLimit) {
  uint64_t Size = codeDirectoryOffset(L) + codeDirectorySize(L, CodeLimit);
  for (const auto &B : L.SpecialBlobs)
    Size += B.second.size();
  return alignTo(Size, 16);
}

void writeSignature(const SignatureLayout &L, ArrayRef<uint8_t> Code,
                    MutableArrayRef<uint8_t> Out) {
  std::memset(Out.data(), 0, Out.size());
  uint32_t Count = 1 + L.SpecialBlobs.size();
  uint64_t CDSize = codeDirectorySize(L, Code.size());
  uint8_t *P = Out.data();
  uint64_t Cursor = codeDirectoryOffset(L);
  endian::write32be(P, MachO::CSMAGIC_EMBEDDED_SIGNATURE);
  endian::write32be(P + 8, Count);
  // Index: the CodeDirectory, then the special blobs in slot order.
  endian::write32be(P + SuperBlobHeaderSize, MachO::CSSLOT_CODEDIRECTORY);
  endian::write32be(P + SuperBlobHeaderSize + 4, Cursor);
  uint8_t *CD = P + Cursor;
  Cursor += CDSize;
  std::vector<uint64_t> BlobAt;
  for (size_t I = 0; I < L.SpecialBlobs.size(); ++I) {
    uint8_t *Index = P + SuperBlobHeaderSize + BlobIndexSize * (I + 1);
    endian::write32be(Index, L.SpecialBlobs[I].first);
    endian::write32be(Index + 4, Cursor);
    std::memcpy(P + Cursor, L.SpecialBlobs[I].second.data(),
                L.SpecialBlobs[I].second.size());
    Cursor += L.SpecialBlobs[I].second.size();
  }
  // Like ld64 and lld, the SuperBlob spans the 16-byte padding too.
  endian::write32be(P + 4, Out.size());

  uint32_t NSpecial = nSpecialSlots(L), NCode = nCodeSlots(Code.size());
  uint32_t IdentOffset = CodeDirectoryHeaderSize;
  uint32_t HashOffset = IdentOffset + identifierSize(L) + NSpecial * HashSize;
  endian::write32be(CD + 0, MachO::CSMAGIC_CODEDIRECTORY);
  endian::write32be(CD + 4, CDSize);
  endian::write32be(CD + 8, MachO::CS_SUPPORTSEXECSEG);
  endian::write32be(CD + 12, L.Flags);
  endian::write32be(CD + 16, HashOffset);
  endian::write32be(CD + 20, IdentOffset);
  endian::write32be(CD + 24, NSpecial);
  endian::write32be(CD + 28, NCode);
  endian::write32be(CD + 32, static_cast<uint32_t>(Code.size()));
  CD[36] = HashSize;
  CD[37] = MachO::kSecCodeSignatureHashSHA256;
  CD[38] = 0; // platform
  CD[39] = PageShift;
  // spare2, scatterOffset, teamOffset, spare3, codeLimit64: zero.
  endian::write64be(CD + 64, L.ExecSegBase);
  endian::write64be(CD + 72, L.ExecSegLimit);
  endian::write64be(CD + 80, L.ExecSegFlags);
  std::memcpy(CD + IdentOffset, L.Identifier.data(), L.Identifier.size());
  // Special slots: slot K's hash is at HashOffset - K * HashSize.
  for (size_t K = 1; K <= L.SpecialHashes.size(); ++K)
    std::memcpy(CD + HashOffset - K * HashSize, L.SpecialHashes[K - 1].data(),
                HashSize);
  for (const auto &B : L.SpecialBlobs) {
    std::array<uint8_t, 32> H = SHA256::hash(B.second);
    std::memcpy(CD + HashOffset - B.first * HashSize, H.data(), HashSize);
  }
  for (uint32_t I = 0; I < NCode; ++I) {
    std::array<uint8_t, 32> H = SHA256::hash(Code.slice(
        uint64_t(I) * PageBytes,
        std::min<uint64_t>(PageBytes, Code.size() - uint64_t(I) * PageBytes)));
    std::memcpy(CD + HashOffset + uint64_t(I) * HashSize, H.data(), HashSize);
  }
}

Expected<SignatureInfo> readSignature(ArrayRef<uint8_t> Blob) {
  if (Blob.size() < SuperBlobHeaderSize ||
      endian::read32be(Blob.data()) != MachO::CSMAGIC_EMBEDDED_SIGNATURE)
    return malformed("no embedded-signature SuperBlob");
  uint32_t Length = endian::read32be(Blob.data() + 4);
  uint32_t Count = endian::read32be(Blob.data() + 8);
  if (Length > Blob.size() || Length < SuperBlobHeaderSize ||
      Count > (Length - SuperBlobHeaderSize) / BlobIndexSize)
    return malformed("SuperBlob length or count out of bounds");
  Blob = Blob.take_front(Length);
  SignatureInfo Info;
  bool HaveCD = false, HaveSha256 = false;
  for (uint32_t I = 0; I < Count; ++I) {
    const uint8_t *Index =
        Blob.data() + SuperBlobHeaderSize + I * BlobIndexSize;
    uint32_t Type = endian::read32be(Index),
             Offset = endian::read32be(Index + 4);
    if (Offset > Length || Length - Offset < 8)
      return malformed("blob offset out of bounds");
    uint32_t BlobLength = endian::read32be(Blob.data() + Offset + 4);
    if (BlobLength < 8 || BlobLength > Length - Offset)
      return malformed("blob length out of bounds");
    ArrayRef<uint8_t> B = Blob.slice(Offset, BlobLength);
    uint32_t Magic = endian::read32be(B.data());
    if (Type == MachO::CSSLOT_CODEDIRECTORY ||
        (Type >= MachO::CSSLOT_ALTERNATE_CODEDIRECTORIES &&
         Type < MachO::CSSLOT_ALTERNATE_CODEDIRECTORY_LIMIT)) {
      if (Magic != MachO::CSMAGIC_CODEDIRECTORY || B.size() < 44)
        return malformed("bad CodeDirectory");
      uint32_t Version = endian::read32be(B.data() + 8);
      uint32_t Flags = endian::read32be(B.data() + 12);
      uint32_t HashOffset = endian::read32be(B.data() + 16);
      uint32_t IdentOffset = endian::read32be(B.data() + 20);
      uint32_t NSpecial = endian::read32be(B.data() + 24);
      uint8_t HashSz = B[36], HashType = B[37];
      if (IdentOffset >= B.size())
        return malformed("CodeDirectory identifier out of bounds");
      size_t IdentEnd = IdentOffset;
      while (IdentEnd < B.size() && B[IdentEnd] != 0)
        ++IdentEnd;
      if (IdentEnd == B.size())
        return malformed("CodeDirectory identifier is not terminated");
      if (Type == MachO::CSSLOT_CODEDIRECTORY) {
        HaveCD = true;
        Info.Flags = Flags;
        Info.AdHoc = Flags & MachO::CS_ADHOC;
        Info.LinkerSigned = Flags & MachO::CS_LINKER_SIGNED;
        Info.Identifier.assign(reinterpret_cast<const char *>(B.data()) +
                                   IdentOffset,
                               IdentEnd - IdentOffset);
        if (Version >= MachO::CS_SUPPORTSEXECSEG && B.size() >= 88)
          Info.ExecSegFlags = endian::read64be(B.data() + 80);
      }
      if (!HaveSha256 && HashType == MachO::kSecCodeSignatureHashSHA256 &&
          HashSz == HashSize) {
        if (NSpecial > 64 || uint64_t(NSpecial) * HashSize > HashOffset ||
            HashOffset > B.size())
          return malformed("CodeDirectory special slots out of bounds");
        HaveSha256 = true;
        Info.SpecialHashes.clear();
        for (uint32_t K = 1; K <= NSpecial; ++K) {
          std::array<uint8_t, 32> H;
          std::memcpy(H.data(), B.data() + HashOffset - K * HashSize, HashSize);
          Info.SpecialHashes.push_back(H);
        }
      }
    } else if (Type == MachO::CSSLOT_SIGNATURESLOT) {
      // codesign leaves an empty CMS wrapper (8 bytes) in ad-hoc signatures.
      Info.HasCms = BlobLength > 8;
    } else if (Type >= 1 && Type <= 7) {
      Info.SpecialBlobs.push_back({Type, B});
    }
  }
  if (!HaveCD)
    return malformed("no CodeDirectory");
  return std::move(Info);
}

} // namespace macho
} // namespace pyox
