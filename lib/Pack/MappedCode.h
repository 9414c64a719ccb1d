//===- MappedCode.h - Lay modules out as CPython objects, for one template ===//
//
// Mapped code (docs/format.md, "Mapped code") is each module's code object
// laid out as the objects CPython 3.11 itself uses, with the template's
// addresses in it, so the runtime uses it in place instead of unmarshalling.
// Only the template knows its own addresses and object layouts, so it does
// the work: `TEMPLATE --pyox-lay-out-code IN OUT` (runtime/lib/MappedCode.h)
// unmarshals every module with its own interpreter, writes the objects and
// checks each result against a fresh unmarshal. This side feeds it the
// marshal data and adds what comes back as MAPPED_CODE entries; the
// MODULE/PACKAGE entries stay, the portable form.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_PACK_MAPPEDCODE_H
#define PYOX_PACK_MAPPEDCODE_H

#include "Pack/PayloadWriter.h"

#include "pyox/payload.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace pyox {

struct MappedCodeCounts {
  size_t Modules = 0; // MODULE/PACKAGE items
  size_t Mapped = 0;  // of which the template laid out
  uint64_t Bytes = 0; // in the MAPPED_CODE entries
  std::string Why;    // when the template cannot have mapped code at all
};

// Appends a MAPPED_CODE item for every MODULE/PACKAGE item of Items that
// Wanted accepts and Template lays out, and the shared strings they use.
// Template must be able to run here (an executable of the host's machine),
// be position-dependent and hold no payload: the caller checks
// (tools/pyox-inject/BuildCommand.cpp). A spooled item's bytecode is read
// back from Spool.
llvm::Expected<MappedCodeCounts>
addMappedCode(std::vector<PayloadItem> &Items, llvm::StringRef Template,
              const DataSpool *Spool,
              llvm::function_ref<bool(llvm::StringRef)> Wanted);

// Checks what a reader can check of P's mapped code without being the
// template: each MAPPED_CODE entry has the header's magic, the key every
// other one has, and a MODULE/PACKAGE entry of its name (the portable
// form); and, given the GNU build-id of the binary holding P, that the key
// names it. The checksums are pyox_payload_verify_all's. Returns the
// number of mapped entries.
llvm::Expected<uint32_t> checkMappedCode(const pyox_payload &P,
                                         llvm::ArrayRef<uint8_t> BuildId);

} // namespace pyox

#endif
