//===- PayloadObject.cpp - Write a payload as a relocatable object --------===//
//
// The problem: a build that links its program wants the payload linked in
// too, by whatever linker it already uses, and the result must be found by
// the same runtime locator, and edited by the same `pyox-inject` commands,
// as a payload injected after the link. So the object must hold exactly
// what a post-link injection would have written, expressed with relocations
// the linker resolves, and it must survive every linker's garbage collection
// (a program never references its payload by symbol).
//
// The approach: build the object with LLVM's MC layer, the integrated
// assembler behind clang, for the target triple of the format and machine.
// MC owns every object-file detail (symbol tables, relocation encodings,
// section headers) for all three formats; this file only says which
// sections to make and what goes in them:
//
//  * ELF. A read-only SHF_ALLOC section `.pyox` (`.pyox.NAME` for other
//    names), 16-byte aligned, and an SHF_ALLOC SHT_NOTE section `.note.pyox`
//    with one PYOX note (pyox/runtime.h) whose descriptor starts with
//    `.quad payload - .`: a PC-relative relocation (R_X86_64_PC64,
//    R_AARCH64_PREL64) that the linker resolves to the payload's offset from
//    the descriptor, so the note needs no dynamic relocation and the locator
//    finds it in the PT_NOTE segment linkers make from SHT_NOTE sections.
//    Both sections carry SHF_GNU_RETAIN, and the note's relocation keeps the
//    payload alive from the note, which linkers keep: lld keeps SHT_NOTE,
//    ld.bfd and gold keep notes, mold honours SHF_GNU_RETAIN (tested per
//    linker in test/link). The descriptor is padded to a multiple of 8 so
//    that a note list walked with 4- or 8-byte alignment (mold merges notes
//    of both alignments into one PT_NOTE) steps over this note alike.
//
//  * Mach-O and COFF have no notes; their images carry one section with a
//    payload directory (pyox/section.h, built by lib/Common), the same bytes
//    `pyox-inject inject` writes, 16-byte aligned so that each payload's
//    offset in it is PYOX_DATA_ALIGN aligned in memory too.
//    Mach-O: section `__pyox` of segment `__PYOX`, with S_ATTR_NO_DEAD_STRIP
//    so that `-dead_strip` keeps it.
//    COFF: section `.pyox`, initialized read-only data. It is not COMDAT,
//    and lld-link's /OPT:REF (and lld's MinGW --gc-sections) only discard
//    COMDAT sections (PE/COFF spec, "COMDAT Sections"). GNU ld for PE
//    collects any unreferenced section under --gc-sections; see
//    emitDirectorySection for the symbol that keeps it there.
//
//===----------------------------------------------------------------------===//

#include "Link/PayloadObject.h"

#include "Common/PayloadSection.h"

#include "pyox/payload.h"
#include "pyox/runtime.h"
#include "pyox/section.h"

#include "llvm/BinaryFormat/COFF.h"
#include "llvm/BinaryFormat/ELF.h"
#include "llvm/BinaryFormat/MachO.h"
#include "llvm/MC/MCAsmBackend.h"
#include "llvm/MC/MCAsmInfo.h"
#include "llvm/MC/MCCodeEmitter.h"
#include "llvm/MC/MCContext.h"
#include "llvm/MC/MCExpr.h"
#include "llvm/MC/MCInstrInfo.h"
#include "llvm/MC/MCObjectFileInfo.h"
#include "llvm/MC/MCObjectWriter.h"
#include "llvm/MC/MCRegisterInfo.h"
#include "llvm/MC/MCSectionCOFF.h"
#include "llvm/MC/MCSectionELF.h"
#include "llvm/MC/MCSectionMachO.h"
#include "llvm/MC/MCStreamer.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/MCTargetOptions.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <mutex>

using namespace llvm;

namespace pyox {
namespace link {

namespace {

// Payload bytes are aligned like the payload's own data (PYOX_DATA_ALIGN).
const Align PayloadAlign(PYOX_DATA_ALIGN);

std::string tripleFor(const ObjectConfig &C) {
  bool X86 = C.Arch == ObjectArch::X86_64;
  switch (C.Format) {
  case ObjectFormat::ELF:
    return X86 ? "x86_64-unknown-linux-gnu" : "aarch64-unknown-linux-gnu";
  case ObjectFormat::MachO:
    return X86 ? "x86_64-apple-macosx11.0.0" : "arm64-apple-macosx11.0.0";
  case ObjectFormat::COFF:
    return X86 ? "x86_64-pc-windows-msvc" : "aarch64-pc-windows-msvc";
  }
  llvm_unreachable("unknown object format");
}

// The MC objects one object file needs, for one triple. Members are
// declared in construction order; the streamer goes first on destruction.
struct Assembler {
  Triple TT;
  MCTargetOptions Options;
  std::unique_ptr<MCRegisterInfo> RegInfo;
  std::unique_ptr<MCAsmInfo> AsmInfo;
  std::unique_ptr<MCSubtargetInfo> SubtargetInfo;
  std::unique_ptr<MCInstrInfo> InstrInfo;
  std::unique_ptr<MCContext> Ctx;
  std::unique_ptr<MCObjectFileInfo> FileInfo;
  std::unique_ptr<MCStreamer> Streamer;
  std::string Diagnostics; // what MC reported, if anything
};

Expected<std::unique_ptr<Assembler>> createAssembler(const ObjectConfig &Config,
                                                     raw_pwrite_stream &OS) {
  // The registry is global; initialising it twice is harmless but racy.
  // Only the two architectures objects are made for: pyox-inject links
  // LLVM's MC layer statically, and every target registered is linked in.
  static std::once_flag Once;
  std::call_once(Once, [] {
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86TargetMC();
    LLVMInitializeAArch64TargetInfo();
    LLVMInitializeAArch64TargetMC();
  });
  auto A = std::make_unique<Assembler>();
  A->TT = Triple(tripleFor(Config));
  std::string Why;
  const Target *T = TargetRegistry::lookupTarget(A->TT.str(), Why);
  if (!T)
    return invalidInput("this LLVM cannot write " + A->TT.str() +
                        " objects: " + Why);
  A->RegInfo.reset(T->createMCRegInfo(A->TT.str()));
  A->AsmInfo.reset(T->createMCAsmInfo(*A->RegInfo, A->TT.str(), A->Options));
  A->SubtargetInfo.reset(T->createMCSubtargetInfo(A->TT.str(), "", ""));
  A->InstrInfo.reset(T->createMCInstrInfo());
  if (!A->RegInfo || !A->AsmInfo || !A->SubtargetInfo || !A->InstrInfo)
    return invalidInput("cannot set up the LLVM assembler for " + A->TT.str());
  A->Ctx = std::make_unique<MCContext>(
      A->TT, A->AsmInfo.get(), A->RegInfo.get(), A->SubtargetInfo.get());
  Assembler *Raw = A.get();
  A->Ctx->setDiagnosticHandler([Raw](const SMDiagnostic &D, bool,
                                     const SourceMgr &,
                                     std::vector<const MDNode *> &) {
    if (Raw->Diagnostics.empty())
      Raw->Diagnostics = D.getMessage().str();
  });
  A->FileInfo.reset(T->createMCObjectFileInfo(*A->Ctx, /*PIC=*/true));
  A->Ctx->setObjectFileInfo(A->FileInfo.get());
  std::unique_ptr<MCAsmBackend> Backend(
      T->createMCAsmBackend(*A->SubtargetInfo, *A->RegInfo, A->Options));
  std::unique_ptr<MCCodeEmitter> Emitter(
      T->createMCCodeEmitter(*A->InstrInfo, *A->Ctx));
  if (!Backend || !Emitter)
    return invalidInput("cannot set up the LLVM assembler for " + A->TT.str());
  std::unique_ptr<MCObjectWriter> Writer = Backend->createObjectWriter(OS);
  A->Streamer.reset(T->createMCObjectStreamer(
      A->TT, *A->Ctx, std::move(Backend), std::move(Writer), std::move(Emitter),
      *A->SubtargetInfo));
  if (!A->Streamer)
    return invalidInput("cannot create an object writer for " + A->TT.str());
  return std::move(A);
}

// Room for the payload: Reserved zero bytes, the region the locator and
// `pyox-inject inject` treat as the payload's. The bytes themselves are
// copied in after MC has written the object (placeContents): handing a
// payload of many megabytes to MC would copy it into a fragment first.
void emitPayloadRoom(MCStreamer &S, MCSection *Section, MCSymbol *Start,
                     uint64_t Reserved) {
  S.switchSection(Section);
  S.emitValueToAlignment(PayloadAlign);
  S.emitLabel(Start);
  S.emitZeros(Reserved);
}

// Copies Contents to the start of section SectionName of the object in
// Bytes, which MC wrote with zeros there.
Error placeContents(SmallVectorImpl<char> &Bytes, StringRef SectionName,
                    ArrayRef<uint8_t> Contents) {
  Expected<std::unique_ptr<object::ObjectFile>> Obj =
      object::ObjectFile::createObjectFile(
          MemoryBufferRef(StringRef(Bytes.data(), Bytes.size()), "object"));
  if (!Obj)
    return Obj.takeError();
  for (const object::SectionRef &Sec : (*Obj)->sections()) {
    Expected<StringRef> Name = Sec.getName();
    if (!Name || *Name != SectionName)
      continue;
    Expected<StringRef> Data = Sec.getContents();
    if (!Data)
      return Data.takeError();
    if (Data->size() < Contents.size())
      break;
    size_t Offset = Data->data() - Bytes.data();
    std::copy(Contents.begin(), Contents.end(), Bytes.begin() + Offset);
    return Error::success();
  }
  return invalidInput("LLVM wrote no " + SectionName +
                      " section of the right size");
}

// The ELF section name of a payload: the one `pyox-inject inject` gives it
// too (docs/elf-injection.md), so a binary looks the same either way.
std::string elfPayloadSection(StringRef Name) {
  if (Name == PYOX_DEFAULT_PAYLOAD_NAME)
    return ".pyox";
  return (".pyox." + Name).str();
}

void emitElf(Assembler &A, uint64_t Reserved, StringRef Name) {
  MCContext &Ctx = *A.Ctx;
  MCStreamer &S = *A.Streamer;
  const unsigned Flags = ELF::SHF_ALLOC | ELF::SHF_GNU_RETAIN;
  MCSymbol *Start = Ctx.createNamedTempSymbol("pyox_payload");
  emitPayloadRoom(
      S, Ctx.getELFSection(elfPayloadSection(Name), ELF::SHT_PROGBITS, Flags),
      Start, Reserved);

  // The note (ELF gABI "Note Section"): namesz, descsz, type, the owner
  // name padded to 4, then the descriptor padded to 8 (see the file top).
  uint64_t DescSize = alignTo(PYOX_ELF_NOTE_SIZE + Name.size(), 8);
  MCSection *Note = Ctx.getELFSection(".note.pyox", ELF::SHT_NOTE, Flags);
  S.switchSection(Note);
  S.emitValueToAlignment(Align(4));
  S.emitInt32(PYOX_NOTE_OWNER_SIZE);
  S.emitInt32(static_cast<uint32_t>(DescSize));
  S.emitInt32(PYOX_NOTE_PAYLOAD);
  S.emitBytes(StringRef(PYOX_NOTE_OWNER, PYOX_NOTE_OWNER_SIZE));
  S.emitZeros(alignTo(PYOX_NOTE_OWNER_SIZE, 4) - PYOX_NOTE_OWNER_SIZE);
  MCSymbol *Desc = Ctx.createTempSymbol("pyox_note_desc");
  S.emitLabel(Desc);
  // payload_offset = payload - &payload_offset: MC turns a difference whose
  // second symbol is in the current section into a PC-relative relocation.
  S.emitValue(MCBinaryExpr::createSub(MCSymbolRefExpr::create(Start, Ctx),
                                      MCSymbolRefExpr::create(Desc, Ctx), Ctx),
              8);
  S.emitInt64(Reserved);
  S.emitInt32(static_cast<uint32_t>(Name.size()));
  S.emitBytes(Name);
  S.emitZeros(DescSize - PYOX_ELF_NOTE_SIZE - Name.size());

  // An empty .note.GNU-stack: this object needs no executable stack (GNU
  // ld would otherwise make the whole program's stack executable).
  S.switchSection(A.AsmInfo->getNonexecutableStackSection(Ctx));
}

// The directory section of Mach-O and PE, with zeros after it up to the
// room Reserved asks for the payload. It starts at the global symbol
// `pyox_section` (SectionSymbol, in the format's C spelling): an image has
// one directory, so a second payload object in the same link is a
// duplicate-symbol error rather than two directories run together, and GNU
// ld for PE, whose --gc-sections drops sections nothing references, keeps
// it with `--require-defined=pyox_section` (docs/link-time.md).
void emitDirectorySection(Assembler &A, MCSection *Section,
                          StringRef SectionSymbol, uint64_t Size) {
  MCSymbol *Start = A.Ctx->getOrCreateSymbol(SectionSymbol);
  A.Streamer->emitSymbolAttribute(Start, MCSA_Global);
  if (A.TT.isOSBinFormatMachO())
    A.Streamer->emitSymbolAttribute(Start, MCSA_PrivateExtern);
  emitPayloadRoom(*A.Streamer, Section, Start, Size);
}

MCSection *machOSection(MCContext &Ctx) {
  return Ctx.getMachOSection(PYOX_MACHO_SEGMENT, PYOX_MACHO_SECTION,
                             MachO::S_REGULAR | MachO::S_ATTR_NO_DEAD_STRIP,
                             SectionKind::getReadOnly());
}

MCSection *coffSection(MCContext &Ctx) {
  return Ctx.getCOFFSection(PYOX_PE_SECTION,
                            COFF::IMAGE_SCN_CNT_INITIALIZED_DATA |
                                COFF::IMAGE_SCN_MEM_READ);
}

} // namespace

Expected<ObjectFormat> parseObjectFormat(StringRef Name) {
  std::string L = Name.lower();
  if (L == "elf")
    return ObjectFormat::ELF;
  if (L == "macho" || L == "mach-o")
    return ObjectFormat::MachO;
  if (L == "coff" || L == "pe")
    return ObjectFormat::COFF;
  return invalidInput("unknown object format '" + Name +
                      "' (expected elf, macho or coff)");
}

Expected<ObjectArch> parseObjectArch(StringRef Name) {
  std::string L = Name.lower();
  if (L == "x86-64" || L == "x86_64" || L == "amd64" || L == "x64")
    return ObjectArch::X86_64;
  if (L == "aarch64" || L == "arm64")
    return ObjectArch::AArch64;
  return invalidInput("unknown architecture '" + Name +
                      "' (expected x86-64 or aarch64/arm64)");
}

StringRef formatName(ObjectFormat Format) {
  switch (Format) {
  case ObjectFormat::ELF:
    return "elf";
  case ObjectFormat::MachO:
    return "macho";
  case ObjectFormat::COFF:
    return "coff";
  }
  llvm_unreachable("unknown object format");
}

StringRef archName(ObjectArch Arch) {
  return Arch == ObjectArch::X86_64 ? "x86-64" : "aarch64";
}

ObjectArch hostArch() {
  return Triple(sys::getProcessTriple()).getArch() == Triple::aarch64
             ? ObjectArch::AArch64
             : ObjectArch::X86_64;
}

Error checkObjectConfig(const ObjectConfig &Config) {
  if (Config.Format == ObjectFormat::COFF && Config.Arch != ObjectArch::X86_64)
    return invalidInput(
        "--format coff supports --arch x86-64 only (the Windows "
        "runtime locator is built for x86-64)");
  if (Error E = checkPayloadName(Config.PayloadName))
    return E;
  return Error::success();
}

Expected<std::unique_ptr<MemoryBuffer>> readPayloadFile(StringRef Path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> B =
      MemoryBuffer::getFile(Path, /*IsText=*/false,
                            /*RequiresNullTerminator=*/false);
  if (!B)
    return createStringError(B.getError(),
                             Path + ": " + B.getError().message());
  pyox_payload P;
  const char *Why = nullptr;
  if (pyox_payload_open(&P, (*B)->getBufferStart(), (*B)->getBufferSize(),
                        &Why) != 0)
    return invalidInput(Path + ": not a pyox payload: " + Why);
  return std::move(*B);
}

Expected<SmallVector<char, 0>> createPayloadObject(ArrayRef<uint8_t> Payload,
                                                   const ObjectConfig &Config) {
  if (Error E = checkObjectConfig(Config))
    return std::move(E);
  // Exactly the payload: its header checked, trailing bytes left out.
  Expected<ArrayRef<uint8_t>> Checked = checkPayloadBytes(Payload);
  if (!Checked)
    return Checked.takeError();
  Payload = *Checked;
  // The object is the payload plus a few hundred bytes of headers: one
  // allocation instead of a doubling series of copies of a large payload.
  SmallVector<char, 0> Bytes;
  uint64_t Reserved = std::max<uint64_t>(Config.Reserve, Payload.size());
  Bytes.reserve(Reserved + 4096);
  raw_svector_ostream OS(Bytes);
  Expected<std::unique_ptr<Assembler>> A = createAssembler(Config, OS);
  if (!A)
    return A.takeError();
  // What goes into the payload section, and its name in the object: the
  // payload itself (ELF), or the directory holding it (Mach-O, PE) with the
  // reserved room after it.
  std::vector<uint8_t> Directory;
  ArrayRef<uint8_t> Contents = Payload;
  std::string SectionName;
  switch (Config.Format) {
  case ObjectFormat::ELF:
    SectionName = elfPayloadSection(Config.PayloadName);
    emitElf(**A, Reserved, Config.PayloadName);
    break;
  case ObjectFormat::MachO:
  case ObjectFormat::COFF: {
    Directory =
        buildPayloadSection({NamedPayload{Config.PayloadName, Payload, 0}});
    Contents = Directory;
    uint64_t Size = Directory.size() + (Reserved - Payload.size());
    if (Config.Format == ObjectFormat::MachO) {
      SectionName = PYOX_MACHO_SECTION;
      emitDirectorySection(**A, machOSection(*(*A)->Ctx), "_pyox_section",
                           Size);
    } else {
      SectionName = PYOX_PE_SECTION;
      emitDirectorySection(**A, coffSection(*(*A)->Ctx), "pyox_section", Size);
    }
    break;
  }
  }
  (*A)->Streamer->finish();
  if ((*A)->Ctx->hadError())
    return invalidInput("LLVM could not write the " +
                        formatName(Config.Format) +
                        " object: " + (*A)->Diagnostics);
  A->reset(); // done with MC; the bytes are complete but for the contents
  if (Error E = placeContents(Bytes, SectionName, Contents))
    return std::move(E);
  return std::move(Bytes);
}

} // namespace link
} // namespace pyox
