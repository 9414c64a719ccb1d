//===- PayloadObject.h - A relocatable object that carries a payload ------===//
//
// The link-time path (docs/link-time.md): instead of rewriting a linked
// binary, hand the linker one more input, an object file whose sections put
// the payload where the runtime locator (pyox/runtime.h) looks for it. Any
// linker can take it: ld.bfd, gold, lld, mold, ld64.lld, lld-link, MinGW ld.
// `pyox-inject object`, `pyox-ld` and the GNU linker plugin all call
// createPayloadObject.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_LINK_PAYLOADOBJECT_H
#define PYOX_LINK_PAYLOADOBJECT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <string>

namespace pyox {
namespace link {

enum class ObjectFormat { ELF, MachO, COFF };
enum class ObjectArch { X86_64, AArch64 };

struct ObjectConfig {
  ObjectFormat Format = ObjectFormat::ELF;
  ObjectArch Arch = ObjectArch::X86_64;
  // The name the program asks pyox_find_payload for.
  std::string PayloadName = "pyox";
  // Bytes reserved for the payload (zero-padded); 0 or anything smaller than
  // the payload means exactly its size. Room to refresh a larger payload in
  // place later with `pyox-inject inject`.
  uint64_t Reserve = 0;
};

// "elf", "macho", "coff" (also "mach-o", "pe").
llvm::Expected<ObjectFormat> parseObjectFormat(llvm::StringRef Name);
// "x86-64" (also "x86_64", "amd64", "x64"), "aarch64" (also "arm64").
llvm::Expected<ObjectArch> parseObjectArch(llvm::StringRef Name);
llvm::StringRef formatName(ObjectFormat Format);
llvm::StringRef archName(ObjectArch Arch);
// The machine this program runs on, when it is one of ours.
ObjectArch hostArch();

// Checks the combination: every format takes x86-64; ELF and Mach-O also
// take aarch64/arm64. COFF is x86-64 only because the Windows runtime
// locator is built and tested for x86-64 alone.
llvm::Error checkObjectConfig(const ObjectConfig &Config);

// Reads a payload file and checks its header (pyox_payload_open), so that a
// link never embeds something the runtime would reject. Errors name Path.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readPayloadFile(llvm::StringRef Path);

// The object file bytes: a read-only section holding Payload (16-byte
// aligned, kept by every linker's garbage collection) and the descriptor the
// runtime locator of Config.Format reads.
llvm::Expected<llvm::SmallVector<char, 0>>
createPayloadObject(llvm::ArrayRef<uint8_t> Payload,
                    const ObjectConfig &Config);

} // namespace link
} // namespace pyox

#endif
