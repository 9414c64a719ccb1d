//===- Compiler.h - Python source to marshalled code objects --------------===//
//
// CPython 3.11 has one GIL per process, so compiling in parallel means
// worker processes. The compiler forks N workers before any thread exists;
// each starts an embedded CPython (the same static 3.11 that pyox-run links)
// in its "core" phase only (PEP 587 _init_main = 0: no site, no encodings,
// no path configuration, ~5 ms), compiles its share of the files with the
// built-in compiler, marshals the code objects, and streams the results back
// through a pipe.
//
// Jobs are dealt round-robin, largest file first: a fixed assignment for a
// given worker count, so the interpreter state each file is compiled in, and
// with it the marshal output, is the same on every run.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_PACK_COMPILER_H
#define PYOX_PACK_COMPILER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace pyox {

struct CompileJob {
  std::string File;         // source file on disk
  std::string CodeFilename; // co_filename to record (root-relative path)
};

struct CompileOutput {
  std::vector<std::string> Bytecode; // marshal data, one per job
  uint32_t BytecodeMagic = 0;        // importlib.util.MAGIC_NUMBER, LE u32
  uint32_t PythonVersion = 0;        // (major << 24) | (minor << 16)
};

// Compiles every job at optimisation level Optimize (0, 1, 2 as python -O)
// with Workers processes (0: one per core). The first failure, in job order,
// is returned as "FILE:LINE: SyntaxError: message".
llvm::Expected<CompileOutput> compileSources(llvm::ArrayRef<CompileJob> Jobs,
                                             int Optimize, unsigned Workers);

} // namespace pyox

#endif
