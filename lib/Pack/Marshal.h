//===- Marshal.h - marshal data that depends only on the code object ------===//
//
// CPython's marshal writer (Python/marshal.c, format version 4) reads two
// things off the interpreter rather than off the object it writes:
//   - FLAG_REF (0x80 on the type byte) marks an object that later TYPE_REF
//     records may point back to. The writer sets it on every object whose
//     reference count is above one, whether or not anything in the stream
//     points back to it: a string also held by another module, a cache or
//     an earlier compilation gets the flag, the same string held by nothing
//     else does not.
//   - The "interned" string types (TYPE_INTERNED, TYPE_ASCII_INTERNED,
//     TYPE_SHORT_ASCII_INTERNED) say whether the object is interned. The
//     empty string and the 256 one-character Latin-1 strings are process-wide
//     singletons that stay interned once anything interns them (`from m
//     import *` interns "*"), so their type depends on what was compiled
//     before in the same process.
// So the bytes for one source file depended on which files a worker had
// compiled before it. A compile cache needs the bytes of a file to depend
// on that file alone; canonicalizeMarshal rewrites a stream so they do:
// FLAG_REF stays only on objects a TYPE_REF points to (the back-reference
// indices are renumbered to match), and the singleton strings are always
// written as interned. The object graph marshal.loads() builds is the same
// (equal objects, the same sharing); only unused back-reference slots go.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_PACK_MARSHAL_H
#define PYOX_PACK_MARSHAL_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace pyox {

// Rewrites one marshal version-4 stream (a code object as CPython 3.11
// writes it) into its canonical form. Fails on anything that is not exactly
// one well-formed object.
llvm::Expected<std::string> canonicalizeMarshal(llvm::StringRef Data);

} // namespace pyox

#endif
