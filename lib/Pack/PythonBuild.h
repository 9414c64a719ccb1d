//===- PythonBuild.h - The template's CPython against the host's ----------===//
//
// A template links a static CPython; `build --stdlib` packs the host's
// standard library. Both come from Debian's python3.11 packages, and when
// an upgrade changed the library but not a template built earlier, the
// program ran new library code on the old interpreter (re's possessive
// quantifiers matched differently, CPython's test_re and test_csv failed).
// So the template records its interpreter's sys.version (with its build
// date and time) in section .cpython_build, and build compares that with
// the host python3.11's before it packs.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_PACK_PYTHONBUILD_H
#define PYOX_PACK_PYTHONBUILD_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace pyox {

// The section a template records its CPython's sys.version in.
inline constexpr llvm::StringLiteral CPythonBuildSection = ".cpython_build";

class CompileCache;

// sys.version of the host python3.11, the interpreter of the standard
// library pack takes: the interpreter run to print it (~10 ms), or, with
// CACHE, found there under the interpreter file's digest, which CACHE's
// source index knows by the file's stat.
llvm::Expected<std::string> hostPythonBuild(CompileCache *Cache = nullptr);

// Fails, in one line naming Template and the fix, when the build it records
// (Recorded, the section's bytes) is not the host's.
llvm::Error checkTemplateBuild(llvm::StringRef Template,
                               llvm::StringRef Recorded, llvm::StringRef Host);

} // namespace pyox

#endif
