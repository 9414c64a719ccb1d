//===- Extract.h - Write a payload's contents back out --------------------===//
//
// `extract` turns a payload back into a directory that python3.11 can use
// as a sys.path entry: resources, metadata and extension modules byte for
// byte, sources as .py, and bytecode as sourceless .pyc files (PEP 552
// unchecked hash-based header, so no source is needed to import them).
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_PACK_EXTRACT_H
#define PYOX_PACK_EXTRACT_H

#include "pyox/payload.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace pyox {

// True if Path stays below a directory it is joined to: relative, with no
// empty, "." or ".." components.
bool isSafeRelativePath(llvm::StringRef Path);

// Writes every entry of P below Dir. File names the payload's file in error
// messages. Entries whose paths would escape Dir are refused.
llvm::Error extractPayload(const pyox_payload &P, llvm::StringRef Dir,
                           llvm::StringRef File);

} // namespace pyox

#endif
