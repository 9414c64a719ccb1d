//===- LinkerArgs.cpp - pyox options inside a linker command line ---------===//
//
// pyox-ld must not reinterpret lld's command line: every argument that is
// not pyox's goes to lld unchanged, in order, so lld's own parser and
// diagnostics see what the user wrote. Only two things are read here:
//
//  * pyox's own options, recognised by their full name in any of the
//    spellings the flavour's users write (GNU `--x=v`/`-x v`, link.exe
//    `/x:v`), and removed;
//  * the target machine, which the payload object must match or lld rejects
//    it ("incompatible with elf_x86_64"). Compiler drivers always pass it
//    (`-m EMULATION` to GNU ld, `-arch` to ld64, `/machine:` or the first
//    object to link.exe); a hand-written command line may not, and then lld
//    takes the machine of the first object file, and so do we.
//
//===----------------------------------------------------------------------===//

#include "Link/LinkerArgs.h"

#include "Common/PayloadSection.h"

#include "pyox/section.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/BinaryFormat/Magic.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace llvm;

namespace pyox {
namespace link {

namespace {

std::optional<LinkerFlavor> flavorFromWord(StringRef W) {
  std::string L = W.lower();
  if (L == "ld" || L == "ld.lld" || L == "gnu")
    return LinkerFlavor::Gnu;
  if (L == "ld64" || L == "ld64.lld" || L == "darwin")
    return LinkerFlavor::Darwin;
  if (L == "link")
    return LinkerFlavor::Link;
  return std::nullopt;
}

// GNU ld emulations (-m) of the machines pyox has objects for. The PE ones
// make lld run its MinGW driver, which links COFF.
struct Emulation {
  ObjectFormat Format;
  ObjectArch Arch;
};
std::optional<Emulation> emulation(StringRef M) {
  return StringSwitch<std::optional<Emulation>>(M)
      .Case("elf_x86_64", Emulation{ObjectFormat::ELF, ObjectArch::X86_64})
      .Cases("aarch64linux", "aarch64elf",
             Emulation{ObjectFormat::ELF, ObjectArch::AArch64})
      .Case("i386pep", Emulation{ObjectFormat::COFF, ObjectArch::X86_64})
      .Case("arm64pe", Emulation{ObjectFormat::COFF, ObjectArch::AArch64})
      .Default(std::nullopt);
}

// The machine of an input object named on the command line.
std::optional<ObjectArch> objectArch(StringRef Path, ObjectFormat Format) {
  sys::fs::file_status St;
  if (sys::fs::status(Path, St) || !sys::fs::is_regular_file(St))
    return std::nullopt;
  ErrorOr<std::unique_ptr<MemoryBuffer>> B =
      MemoryBuffer::getFileSlice(Path, 64, 0, /*IsVolatile=*/false);
  if (!B)
    return std::nullopt;
  return objectArchOf((*B)->getBuffer(), Format);
}

// One of pyox's options, in the spellings of Flavor. On a match, sets Value
// (taking the next argument for the separate form) and advances I past it.
// A value missing at the end of the line is recorded in Missing.
bool takeOption(ArrayRef<const char *> Args, size_t &I, StringRef Name,
                LinkerFlavor Flavor, std::string &Value, std::string &Missing) {
  StringRef A = Args[I];
  if (!A.consume_front("--") && !A.consume_front("-") &&
      !(Flavor == LinkerFlavor::Link && A.consume_front("/")))
    return false;
  if (!A.consume_front(Name))
    return false;
  if (A.consume_front("=") ||
      (Flavor == LinkerFlavor::Link && A.consume_front(":"))) {
    Value = A.str();
    if (Value.empty())
      Missing = Args[I];
    ++I;
    return true;
  }
  if (!A.empty())
    return false; // a longer name
  if (I + 1 >= Args.size()) {
    Missing = Args[I];
    I = Args.size();
    return true;
  }
  Value = Args[I + 1];
  I += 2;
  return true;
}

} // namespace

std::optional<ObjectArch> objectArchOf(StringRef H, ObjectFormat Format) {
  auto U16 = [&](size_t Off) {
    return uint16_t(uint8_t(H[Off]) | uint8_t(H[Off + 1]) << 8);
  };
  auto U32 = [&](size_t Off) {
    return uint32_t(U16(Off)) | uint32_t(U16(Off + 2)) << 16;
  };
  file_magic M = identify_magic(H);
  if (Format == ObjectFormat::ELF && M == file_magic::elf_relocatable &&
      H.size() >= 20 && H[5] == 1 /* ELFDATA2LSB */) {
    if (U16(18) == 62) // EM_X86_64
      return ObjectArch::X86_64;
    if (U16(18) == 183) // EM_AARCH64
      return ObjectArch::AArch64;
  }
  if (Format == ObjectFormat::MachO && M == file_magic::macho_object &&
      H.size() >= 8) {
    if (U32(4) == 0x01000007) // CPU_TYPE_X86_64
      return ObjectArch::X86_64;
    if (U32(4) == 0x0100000c) // CPU_TYPE_ARM64
      return ObjectArch::AArch64;
  }
  if (Format == ObjectFormat::COFF && M == file_magic::coff_object &&
      H.size() >= 2) {
    if (U16(0) == 0x8664) // IMAGE_FILE_MACHINE_AMD64
      return ObjectArch::X86_64;
    if (U16(0) == 0xaa64) // IMAGE_FILE_MACHINE_ARM64
      return ObjectArch::AArch64;
  }
  return std::nullopt;
}

std::optional<LinkerFlavor> flavorFromProgramName(StringRef Argv0) {
  StringRef Name = sys::path::filename(Argv0);
  if (Name.ends_with_insensitive(".exe"))
    Name = Name.drop_back(4);
  if (std::optional<LinkerFlavor> F = flavorFromWord(Name))
    return F;
  SmallVector<StringRef, 4> Words;
  Name.split(Words, '-');
  for (StringRef W : Words)
    if (std::optional<LinkerFlavor> F = flavorFromWord(W))
      return F;
  return std::nullopt;
}

Expected<LinkRequest> parseLinkerArgs(ArrayRef<const char *> Args,
                                      StringSaver &Saver) {
  if (Args.empty())
    return invalidInput("empty command line");
  LinkRequest R;
  std::optional<LinkerFlavor> Flavor = flavorFromProgramName(Args[0]);
  if (Args.size() > 2 && StringRef(Args[1]) == "-flavor")
    Flavor = flavorFromWord(Args[2]);
  if (!Flavor)
    return invalidInput(
        "cannot tell the linker flavour from the program name '" +
        sys::path::filename(Args[0]) +
        "': call it pyox-ld (ELF), pyox-ld64 (Mach-O) or "
        "pyox-link (COFF), or pass -flavor gnu|darwin|link");
  R.Flavor = *Flavor;

  // Expand @FILE like lld will, to see pyox options inside response files.
  SmallVector<const char *, 64> Expanded(Args.begin(), Args.end());
  if (any_of(Args.drop_front(), [](const char *A) { return A[0] == '@'; })) {
    cl::ExpansionContext ECtx(Saver.getAllocator(),
                              R.Flavor == LinkerFlavor::Link
                                  ? cl::TokenizeWindowsCommandLine
                                  : cl::TokenizeGNUCommandLine);
    if (Error E = ECtx.expandResponseFiles(Expanded))
      return std::move(E);
  }

  std::string Arch, Reserve, Name;
  std::optional<Emulation> Emul;
  std::optional<ObjectArch> CommandLineArch;
  bool SegprotGiven = false;
  std::string Missing;
  R.LinkerArgs.push_back(Expanded[0]);
  for (size_t I = 1; I < Expanded.size();) {
    ArrayRef<const char *> A(Expanded);
    if (takeOption(A, I, "pyox-payload", R.Flavor, R.PayloadFile, Missing) ||
        takeOption(A, I, "pyox-name", R.Flavor, Name, Missing) ||
        takeOption(A, I, "pyox-reserve", R.Flavor, Reserve, Missing) ||
        takeOption(A, I, "pyox-arch", R.Flavor, Arch, Missing)) {
      if (!Missing.empty())
        return invalidInput(Missing + " needs a value");
      continue;
    }
    StringRef S = Expanded[I];
    // Read, never taken: the target machine.
    if (R.Flavor == LinkerFlavor::Gnu) {
      StringRef M;
      if (S == "-m" && I + 1 < Expanded.size())
        M = Expanded[I + 1];
      else if (S.starts_with("-m") && emulation(S.drop_front(2)))
        M = S.drop_front(2);
      if (!M.empty()) {
        Emul = emulation(M);
        if (!Emul)
          return invalidInput(
              "--pyox-payload: no payload object for emulation '" + M +
              "' (supported: elf_x86_64, aarch64linux, "
              "aarch64elf, i386pep)");
      }
    } else if (R.Flavor == LinkerFlavor::Darwin && S == "-segprot" &&
               I + 1 < Expanded.size() &&
               StringRef(Expanded[I + 1]) == PYOX_MACHO_SEGMENT) {
      SegprotGiven = true;
    } else if (R.Flavor == LinkerFlavor::Darwin && S == "-arch" &&
               I + 1 < Expanded.size()) {
      StringRef V = Expanded[I + 1];
      if (V == "x86_64" || V == "x86_64h")
        CommandLineArch = ObjectArch::X86_64;
      else if (V == "arm64")
        CommandLineArch = ObjectArch::AArch64;
      else
        return invalidInput("--pyox-payload: no payload object for -arch " + V);
    } else if (R.Flavor == LinkerFlavor::Link &&
               (S.starts_with_insensitive("/machine:") ||
                S.starts_with_insensitive("-machine:"))) {
      std::string V = S.drop_front(9).lower();
      if (V == "x64" || V == "amd64")
        CommandLineArch = ObjectArch::X86_64;
      else if (V == "arm64")
        CommandLineArch = ObjectArch::AArch64;
      else
        return invalidInput("--pyox-payload: no payload object for " + S);
    }
    R.LinkerArgs.push_back(Expanded[I]);
    ++I;
  }
  if (R.PayloadFile.empty()) {
    if (!Name.empty() || !Reserve.empty() || !Arch.empty())
      return invalidInput("--pyox-name, --pyox-reserve and --pyox-arch need "
                          "--pyox-payload=FILE");
    return std::move(R);
  }

  ObjectConfig &C = R.Object;
  C.Format = R.Flavor == LinkerFlavor::Darwin ? ObjectFormat::MachO
             : R.Flavor == LinkerFlavor::Link ? ObjectFormat::COFF
                                              : ObjectFormat::ELF;
  if (Emul) {
    C.Format = Emul->Format;
    CommandLineArch = Emul->Arch;
  }
  if (!Arch.empty()) {
    Expected<ObjectArch> A = parseObjectArch(Arch);
    if (!A)
      return A.takeError();
    C.Arch = *A;
  } else if (CommandLineArch) {
    C.Arch = *CommandLineArch;
  } else {
    C.Arch = hostArch();
    for (size_t I = 1; I < R.LinkerArgs.size(); ++I)
      if (std::optional<ObjectArch> A = objectArch(R.LinkerArgs[I], C.Format)) {
        C.Arch = *A;
        break;
      }
  }
  // ld64 makes segments it does not know read-write; the payload segment
  // is read-only data, as `pyox-inject inject` makes it.
  if (R.Flavor == LinkerFlavor::Darwin && !SegprotGiven)
    for (const char *A : {"-segprot", PYOX_MACHO_SEGMENT, "r", "r"})
      R.LinkerArgs.push_back(A);
  if (!Name.empty())
    C.PayloadName = Name;
  if (!Reserve.empty() && !to_integer(Reserve, C.Reserve, 0))
    return invalidInput("--pyox-reserve needs a byte count, not '" + Reserve +
                        "'");
  if (Error E = checkObjectConfig(C))
    return std::move(E);
  return std::move(R);
}

} // namespace link
} // namespace pyox
