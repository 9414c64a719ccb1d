//===- pyox-ld.cpp - lld with a payload
//------------------------------------===//
//
// `pyox-ld` is lld plus one option: `--pyox-payload=FILE` links the payload
// into the output in the same step (docs/link-time.md). It runs lld in this
// process through lld::lldMain with the ELF, MinGW, Mach-O and COFF drivers;
// like lld, the flavour comes from the program name: pyox-ld (ELF, or MinGW
// with a PE emulation), pyox-ld64 (Mach-O), pyox-link (COFF).
//
// The pipeline:
//   1. take pyox's options out of the command line and find the target
//      (lib/Link/LinkerArgs), leaving lld's arguments as they were;
//   2. build the payload object in memory (lib/Link/PayloadObject);
//   3. hand it to lld as one more input through an anonymous memory file
//      (memfd_create, named /proc/self/fd/N): nothing is written to the
//      file system, so nothing is left behind, whatever happens to lld;
//   4. run lld, which prints its own diagnostics and writes the output
//      itself (to a temporary file it renames on success and discards on
//      failure). Any failure is exit status 1.
//
//===----------------------------------------------------------------------===//

#include "Link/LinkerArgs.h"
#include "Link/PayloadObject.h"

#include "lld/Common/Driver.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Allocator.h"
#include "llvm/Support/Errno.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/StringSaver.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <sys/mman.h>
#include <unistd.h>

LLD_HAS_DRIVER(elf)
LLD_HAS_DRIVER(mingw)
LLD_HAS_DRIVER(macho)
LLD_HAS_DRIVER(coff)

using namespace llvm;
using namespace pyox;

namespace {

std::string ProgramName = "pyox-ld";

int fail(Error E) {
  handleAllErrors(std::move(E), [](const ErrorInfoBase &EI) {
    WithColor::error(errs(), ProgramName) << EI.message() << "\n";
  });
  return 1;
}

// An anonymous in-memory file holding Bytes, and a path lld can open it by.
// The descriptor stays open (and the file alive) until the process ends.
Expected<std::string> memoryFile(ArrayRef<char> Bytes) {
  int Fd = memfd_create("pyox-payload.o", MFD_CLOEXEC);
  if (Fd < 0)
    return createStringError(errnoAsErrorCode(),
                             "cannot create the in-memory payload object: " +
                                 sys::StrError());
  for (size_t Done = 0; Done < Bytes.size();) {
    ssize_t N = write(Fd, Bytes.data() + Done, Bytes.size() - Done);
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      return createStringError(errnoAsErrorCode(),
                               "cannot write the in-memory payload object: " +
                                   sys::StrError());
    Done += static_cast<size_t>(N);
  }
  return "/proc/self/fd/" + utostr(static_cast<unsigned>(Fd));
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM X(argc, argv);
  ProgramName = sys::path::stem(argv[0]).str();
  BumpPtrAllocator Alloc;
  StringSaver Saver(Alloc);

  Expected<link::LinkRequest> Request =
      link::parseLinkerArgs(ArrayRef<const char *>(argv, argc), Saver);
  if (!Request)
    return fail(Request.takeError());
  std::vector<const char *> Args = std::move(Request->LinkerArgs);

  if (!Request->PayloadFile.empty()) {
    Expected<std::unique_ptr<MemoryBuffer>> Payload =
        link::readPayloadFile(Request->PayloadFile);
    if (!Payload)
      return fail(Payload.takeError());
    Expected<SmallVector<char, 0>> Object = link::createPayloadObject(
        arrayRefFromStringRef((*Payload)->getBuffer()), Request->Object);
    if (!Object)
      return fail(Object.takeError());
    Expected<std::string> Path = memoryFile(*Object);
    if (!Path)
      return fail(Path.takeError());
    // One more input, after the user's: it only adds sections.
    Args.push_back(Saver.save(*Path).data());
  }

  lld::Result R = lld::lldMain(Args, outs(), errs(),
                               {{lld::Gnu, &lld::elf::link},
                                {lld::MinGW, &lld::mingw::link},
                                {lld::Darwin, &lld::macho::link},
                                {lld::WinLink, &lld::coff::link}});
  return R.retCode == 0 ? 0 : 1;
}
