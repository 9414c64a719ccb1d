//===- ElfInjectorTest.cpp - lib/ELF planning and round trips -------------===//
//
// The layout rules of docs/elf-injection.md, checked on a real linked file
// (this test executable): the new segment sits on the first PT_LOAD's
// diagonal above every segment, PT_PHDR describes the moved table, the
// output reads back with the same payloads, a refresh is byte-identical, and
// removing the last payload gives back the original bytes.
//
//===----------------------------------------------------------------------===//

#include "ELF/ElfImage.h"

#include "pyox/runtime.h"

#include "llvm/BinaryFormat/ELF.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

using namespace llvm;
using namespace pyox::elf;

namespace {

std::string readSelf() {
  auto B = MemoryBuffer::getFile("/proc/self/exe", false, false);
  EXPECT_TRUE(bool(B));
  return B ? (*B)->getBuffer().str() : std::string();
}

Expected<std::string> apply(StringRef In, ArrayRef<PayloadInput> Payloads,
                            OutputPlan *PlanOut = nullptr) {
  Expected<Image> Img = readImage(MemoryBufferRef(In, "in"));
  if (!Img)
    return Img.takeError();
  Expected<OutputPlan> Plan = planOutput(*Img, Payloads);
  if (!Plan)
    return Plan.takeError();
  std::string Out;
  raw_string_ostream OS(Out);
  if (Error E = writeOutput(*Img, *Plan, OS))
    return std::move(E);
  OS.flush();
  EXPECT_EQ(Out.size(), Plan->FileSize);
  if (PlanOut)
    *PlanOut = *Plan;
  return Out;
}

std::vector<uint8_t> bytes(size_t N, uint8_t Seed) {
  std::vector<uint8_t> V(N);
  for (size_t I = 0; I < N; ++I)
    V[I] = static_cast<uint8_t>(Seed + I * 7);
  return V;
}

TEST(ElfInjector, LayoutFollowsTheLoaderRules) {
  std::string Self = readSelf();
  std::vector<uint8_t> A = bytes(5000, 1);
  Expected<std::string> Out = apply(Self, {{"pyox", A}});
  ASSERT_TRUE(bool(Out)) << toString(Out.takeError());
  Expected<Image> Img = readImage(MemoryBufferRef(*Out, "out"));
  ASSERT_TRUE(bool(Img)) << toString(Img.takeError());
  ASSERT_TRUE(Img->PyoxLoad.has_value());
  const Segment &New = Img->Segments[*Img->PyoxLoad];
  const Segment *First = nullptr;
  uint64_t LastVAddr = 0;
  for (size_t I = 0; I < Img->Segments.size(); ++I) {
    const Segment &S = Img->Segments[I];
    if (S.Type != ELF::PT_LOAD)
      continue;
    if (!First)
      First = &S;
    // Sorted by address, and the new one above everything else in memory.
    EXPECT_GE(S.VAddr, LastVAddr);
    LastVAddr = S.VAddr;
    if (&S != &New)
      EXPECT_LE(S.VAddr + S.MemSize, New.VAddr);
    EXPECT_EQ(S.VAddr % Img->PageSize, S.Offset % Img->PageSize);
  }
  // Pre-5.18 kernels: AT_PHDR = first p_vaddr - first p_offset + e_phoff.
  EXPECT_EQ(First->VAddr - First->Offset + Img->PhOff, New.VAddr);
  EXPECT_EQ(Img->PhOff, New.Offset);
  bool SawPhdr = false;
  for (const Segment &S : Img->Segments)
    if (S.Type == ELF::PT_PHDR) {
      SawPhdr = true;
      EXPECT_EQ(S.Offset, Img->PhOff);
      EXPECT_EQ(S.VAddr, New.VAddr);
      EXPECT_EQ(S.FileSize, Img->Segments.size() * Img->phdrSize());
    }
  EXPECT_TRUE(SawPhdr);
  ASSERT_EQ(Img->Payloads.size(), 1u);
  EXPECT_EQ(Img->Payloads[0].Name, "pyox");
  EXPECT_TRUE(Img->Payloads[0].PostLink);
  EXPECT_EQ(StringRef(*Out).substr(Img->Payloads[0].FileOffset, A.size()),
            StringRef(reinterpret_cast<const char *>(A.data()), A.size()));
  // The original bytes before the new segment are unchanged, but for the
  // ELF header.
  Expected<Image> Orig = readImage(MemoryBufferRef(Self, "self"));
  ASSERT_TRUE(bool(Orig));
  for (const Segment &S : Orig->Segments)
    if (S.Type == ELF::PT_LOAD && S.Offset >= 64)
      EXPECT_EQ(StringRef(*Out).substr(S.Offset, S.FileSize),
                StringRef(Self).substr(S.Offset, S.FileSize));
  // The records and their trailer end the segment's file contents, and no
  // PT_NOTE is added (note checkers reject unknown note types).
  StringRef Trailer = StringRef(*Out).substr(
      New.Offset + New.FileSize - PYOX_ELF_TRAILER_SIZE, PYOX_ELF_TRAILER_SIZE);
  EXPECT_EQ(Trailer.take_front(8), StringRef(PYOX_ELF_TRAILER_MAGIC, 8));
  EXPECT_EQ((New.VAddr + New.FileSize) % 8, 0u);
  size_t Notes = 0, OrigNotes = 0;
  for (const Segment &S : Img->Segments)
    Notes += S.Type == ELF::PT_NOTE;
  for (const Segment &S : Orig->Segments)
    OrigNotes += S.Type == ELF::PT_NOTE;
  EXPECT_EQ(Notes, OrigNotes);
  // Sections over the records and the payload, so that strip keeps them.
  bool SawRecords = false, SawPayload = false;
  for (const Section &S : Img->Sections) {
    EXPECT_FALSE(S.Pyox && S.Type == ELF::SHT_NOTE) << S.Name;
    SawRecords |= S.Name == ".pyox_records" && S.Type == ELF::SHT_PROGBITS &&
                  (S.Flags & ELF::SHF_ALLOC) &&
                  S.Offset + S.Size == New.Offset + New.FileSize;
    SawPayload |= S.Name == ".pyox" && S.Size == A.size() &&
                  (S.Flags & ELF::SHF_ALLOC) &&
                  S.Offset == Img->Payloads[0].FileOffset;
  }
  EXPECT_TRUE(SawRecords);
  EXPECT_TRUE(SawPayload);
}

TEST(ElfInjector, RefreshIsStableAndRemoveRestores) {
  std::string Self = readSelf();
  std::vector<uint8_t> A = bytes(70000, 3), B = bytes(100, 9);
  Expected<std::string> One = apply(Self, {{"pyox", A}});
  ASSERT_TRUE(bool(One)) << toString(One.takeError());
  Expected<std::string> Again = apply(*One, {{"pyox", A}});
  ASSERT_TRUE(bool(Again)) << toString(Again.takeError());
  EXPECT_EQ(*One, *Again);
  Expected<std::string> Smaller = apply(*One, {{"pyox", B}});
  ASSERT_TRUE(bool(Smaller));
  EXPECT_LT(Smaller->size(), One->size());
  Expected<std::string> Two = apply(*Smaller, {{"pyox", B}, {"other", A}});
  ASSERT_TRUE(bool(Two));
  Expected<Image> Img = readImage(MemoryBufferRef(*Two, "two"));
  ASSERT_TRUE(bool(Img));
  ASSERT_EQ(Img->Payloads.size(), 2u);
  EXPECT_EQ(Img->Payloads[1].Name, "other");
  EXPECT_EQ(Img->Payloads[1].Size, A.size());
  Expected<std::string> None = apply(*Two, {});
  ASSERT_TRUE(bool(None));
  EXPECT_LE(None->size(), Self.size() + 4096);
  Expected<Image> Back = readImage(MemoryBufferRef(*None, "none"));
  ASSERT_TRUE(bool(Back));
  EXPECT_TRUE(Back->Payloads.empty());
  EXPECT_FALSE(Back->PyoxLoad.has_value());
}

TEST(ElfReader, RejectsWhatItCannotEdit) {
  auto Message = [](StringRef Bytes) {
    Expected<Image> Img = readImage(MemoryBufferRef(Bytes, "f"));
    return Img ? std::string("ok") : toString(Img.takeError());
  };
  EXPECT_EQ(Message("hello"), "f: not an ELF file");
  std::string Self = readSelf();
  std::string Big = Self;
  Big[llvm::ELF::EI_DATA] = llvm::ELF::ELFDATA2MSB;
  EXPECT_EQ(Message(Big), "f: big-endian ELF files are not supported");
  std::string Machine = Self;
  Machine[18] = 21; // e_machine = EM_PPC64
  Machine[19] = 0;
  EXPECT_EQ(Message(Machine), "f: unsupported machine (e_machine 21)");
  EXPECT_NE(Message(Self.substr(0, 200)).find("program headers"),
            std::string::npos);
}

TEST(ElfReader, MalformedPyoxNoteIsAnError) {
  std::string Self = readSelf();
  std::vector<uint8_t> A = bytes(64, 5);
  Expected<std::string> Out = apply(Self, {{"pyox", A}});
  ASSERT_TRUE(bool(Out));
  Expected<Image> Img = readImage(MemoryBufferRef(*Out, "out"));
  ASSERT_TRUE(bool(Img));
  // Point the payload far outside the file.
  std::string Bad = *Out;
  uint64_t Desc = Img->Payloads[0].NoteDescOffset;
  Bad[Desc + 7] = 0x40;
  Expected<Image> BadImg = readImage(MemoryBufferRef(Bad, "bad"));
  ASSERT_FALSE(bool(BadImg));
  EXPECT_EQ(toString(BadImg.takeError()),
            "bad: PYOX payload note for 'pyox' points outside the "
            "file-backed segments");
}

TEST(ElfReader, DamagedRecordTrailerIsAnError) {
  std::string Self = readSelf();
  std::vector<uint8_t> A = bytes(64, 7);
  Expected<std::string> Out = apply(Self, {{"pyox", A}});
  ASSERT_TRUE(bool(Out));
  Expected<Image> Img = readImage(MemoryBufferRef(*Out, "out"));
  ASSERT_TRUE(bool(Img));
  const Segment &Load = Img->Segments[*Img->PyoxLoad];
  uint64_t Trailer = Load.Offset + Load.FileSize - PYOX_ELF_TRAILER_SIZE;
  auto Message = [](const std::string &Bytes) {
    Expected<Image> I = readImage(MemoryBufferRef(Bytes, "bad"));
    return I ? std::string("ok") : toString(I.takeError());
  };
  // A records size beyond the segment.
  std::string Big = *Out;
  Big[Trailer + 14] = 0x7f;
  EXPECT_EQ(Message(Big), "bad: PYOX record trailer size out of bounds");
  // The layout record turned into an unknown type: the records are no
  // longer pyox-inject's, and nothing tells what the segment holds.
  std::string NoLayout = *Out;
  uint64_t Records =
      Trailer - support::endian::read64le(Out->data() + Trailer + 8);
  NoLayout[Records + 8] = 9; // n_type of the first record (the layout)
  EXPECT_EQ(Message(NoLayout), "bad: pyox segment records are incomplete or "
                               "mixed with foreign notes");
}

} // namespace
