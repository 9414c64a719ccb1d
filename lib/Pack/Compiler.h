//===- Compiler.h - Python source to marshalled code objects --------------===//
//
// CPython 3.11 has one GIL per process, so compiling in parallel means
// worker processes. The compiler forks N workers before any thread exists;
// each starts an embedded CPython (the same static 3.11 that pyox-run links)
// in its "core" phase only (PEP 587 _init_main = 0: no site, no encodings,
// no path configuration, ~5 ms), compiles its share of the files with the
// built-in compiler, marshals the code objects, and streams the results back
// through a pipe. The codec registry imports `encodings` from the host
// standard library when something needs it (a decoding error's message);
// a source whose PEP 263 declaration names a codec other than UTF-8 or
// Latin-1 (koi8-r, cp1252, shift_jis: some are extension modules, which
// the embedded interpreter cannot load) is decoded by the host python3.11
// and compiled as the text it is, as compile() does a str.
//
// Jobs go out in chunks, largest first. What a worker compiled before a
// file changes CPython's marshal output for it (reference counts, interned
// singletons), so each result is rewritten into a canonical form
// (Marshal.h): a file's bytes depend on the file, its co_filename, the
// optimisation level and the interpreter alone, which is what lets the
// compile cache (CompileCache.h) store them per file.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_PACK_COMPILER_H
#define PYOX_PACK_COMPILER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace pyox {

struct CompileJob {
  std::string File;         // source file on disk
  std::string CodeFilename; // co_filename to record (root-relative path)
  // The source, if the caller has read it already (null-terminated, as
  // std::string is); else the worker reads File.
  const std::string *Source = nullptr;
};

struct CompileOutput {
  std::vector<std::string> Bytecode; // marshal data, one per job
  uint32_t BytecodeMagic = 0;        // importlib.util.MAGIC_NUMBER, LE u32
  uint32_t PythonVersion = 0;        // (major << 24) | (minor << 16)
};

// Compiles every job at optimisation level Optimize (0, 1, 2 as python -O)
// with Workers processes (0: one per core). The first failure, in job order,
// is returned as "FILE:LINE: SyntaxError: message". OnCompiled, if given,
// sees each result in this process as it arrives, while the workers go on
// (the compile cache stores it then). Without KeepBytecode the results are
// left to OnCompiled alone (CompileOutput::Bytecode stays empty): a large
// pack spools them as they come.
llvm::Expected<CompileOutput> compileSources(
    llvm::ArrayRef<CompileJob> Jobs, int Optimize, unsigned Workers,
    llvm::function_ref<void(size_t Job, llvm::StringRef Bytes)> OnCompiled =
        nullptr,
    bool KeepBytecode = true);

// What, besides a file's source, name and optimisation level, its compiled
// bytes depend on: the embedded CPython's version and build
// (Py_GetVersion(), which fixes its bytecode magic) and the version of the
// canonical marshal form. Part of every compile-cache key; known without
// starting the interpreter.
std::string compilerIdentity();

// The embedded interpreter's bytecode magic (starts it, ~5 ms, once) and
// version, as compileSources reports them.
llvm::Expected<uint32_t> bytecodeMagic();
uint32_t embeddedPythonVersion();

// The attributes of the modules built into the embedded interpreter
// (PyImport_Inittab), as lines "module\tattribute\n": what `from _sha512
// import sha512` finds. Read in children forked from the interpreter
// (importing them here would change the state compile workers are forked
// from), ~30 ms: callers keep the answer (the compile cache's result index,
// under compilerIdentity()). Empty if that fails.
std::string readBuiltinModuleAttributes();

} // namespace pyox

#endif
