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

#include <cstdint>
#include <string>

namespace pyox {

// Rewrites one marshal version-4 stream (a code object as CPython 3.11
// writes it) into its canonical form. Fails on anything that is not exactly
// one well-formed object.
llvm::Expected<std::string> canonicalizeMarshal(llvm::StringRef Data);

// FLAG_REF, on a type byte: later TYPE_REF records may point back here.
inline constexpr uint8_t MarshalFlagRef = 0x80;

// One walk over a marshal version-4 stream in the layout of
// Python/marshal.c (3.11), checking its structure as marshal.loads() does,
// for the readers that need the stream's shape rather than its objects:
// canonicalizeMarshal and the import analysis (ImportGraph.cpp). The
// visitor V is told, in stream order:
//   V.begin(Code, At)          an object's type byte Code (FLAG_REF
//                              included) at offset At, before its contents
//   V.string(Type, At, Text)   its text, for str and bytes objects
//   V.integer(Value)           its value, for TYPE_INT
//   V.ref(Index, At)           a TYPE_REF's index (checked to name an
//                              object already begun) and the offset of its
//                              four bytes
//   V.end()                    the end of the object begun last and not
//                              ended: a container's or a code object's
//                              after its items (a code object's ten object
//                              fields: code, consts, names, localsplusnames,
//                              localspluskinds, filename, name, qualname,
//                              linetable, exceptiontable)
// Objects are numbered for TYPE_REF at their type byte, as marshal.c's
// r_ref_reserve does.
template <typename Visitor> class MarshalWalker {
public:
  MarshalWalker(llvm::StringRef Data, Visitor &V) : Data(Data), V(V) {}

  // Walks the one object at the start; WHOLE: nothing may follow it.
  llvm::Error walk(bool Whole) {
    uint8_t Type;
    if (llvm::Error E = object(0, Type))
      return E;
    if (Whole && Pos != Data.size())
      return bad("bytes after the end of the object");
    return llvm::Error::success();
  }

private:
  // marshal.c's MAX_MARSHAL_STACK_DEPTH: deeper data cannot be loaded.
  static constexpr unsigned MaxDepth = 2000;

  llvm::StringRef Data;
  Visitor &V;
  size_t Pos = 0;
  uint32_t Flagged = 0; // FLAG_REF objects begun so far

  llvm::Error bad(const char *What) const {
    return llvm::createStringError(std::errc::illegal_byte_sequence,
                                   "marshal data at offset %zu: %s", Pos, What);
  }
  llvm::Error skip(size_t N) {
    if (Data.size() - Pos < N)
      return bad("truncated");
    Pos += N;
    return llvm::Error::success();
  }
  llvm::Error u8(uint8_t &Out) {
    if (Pos >= Data.size())
      return bad("truncated");
    Out = uint8_t(Data[Pos++]);
    return llvm::Error::success();
  }
  llvm::Error i32(int32_t &Out) {
    if (Data.size() - Pos < 4)
      return bad("truncated");
    uint32_t U = 0;
    for (int I = 3; I >= 0; --I)
      U = (U << 8) | uint8_t(Data[Pos + I]);
    Out = int32_t(U);
    Pos += 4;
    return llvm::Error::success();
  }
  // A count of things that follow, each at least a byte long.
  llvm::Error count(size_t &N) {
    int32_t I;
    if (llvm::Error E = i32(I))
      return E;
    if (I < 0)
      return bad("negative size");
    if (size_t(I) > Data.size() - Pos)
      return bad("size larger than the data");
    N = size_t(I);
    return llvm::Error::success();
  }
  llvm::Error items(unsigned Depth, size_t N) {
    for (size_t I = 0; I < N; ++I) {
      uint8_t Type;
      if (llvm::Error E = object(Depth, Type))
        return E;
      if (Type == '0')
        return bad("NULL inside a container");
    }
    return llvm::Error::success();
  }

  // One object; TYPE receives its type code without FLAG_REF.
  llvm::Error object(unsigned Depth, uint8_t &Type) {
    if (Depth > MaxDepth)
      return bad("nested too deeply");
    uint8_t Code;
    if (llvm::Error E = u8(Code))
      return E;
    const size_t At = Pos - 1;
    Type = Code & ~MarshalFlagRef;
    if (Code & MarshalFlagRef)
      ++Flagged;
    V.begin(Code, At);
    if (llvm::Error E = body(Depth, Type, At))
      return E;
    V.end();
    return llvm::Error::success();
  }

  llvm::Error body(unsigned Depth, uint8_t Type, size_t At) {
    switch (Type) {
    case '0':
    case 'N':
    case 'F':
    case 'T':
    case 'S':
    case '.':
      return llvm::Error::success();
    case 'i': {
      int32_t I;
      if (llvm::Error E = i32(I))
        return E;
      V.integer(I);
      return llvm::Error::success();
    }
    case 'g':
      return skip(8);
    case 'y':
      return skip(16);
    case 'l': {
      int32_t N;
      if (llvm::Error E = i32(N))
        return E;
      if (N < -(1 << 28) || N > (1 << 28))
        return bad("bad long size");
      return skip(size_t(N < 0 ? -int64_t(N) : N) * 2);
    }
    case 'f': {
      uint8_t N;
      if (llvm::Error E = u8(N))
        return E;
      return skip(N);
    }
    case 'x':
      for (int Part = 0; Part < 2; ++Part) {
        uint8_t N;
        if (llvm::Error E = u8(N))
          return E;
        if (llvm::Error E = skip(N))
          return E;
      }
      return llvm::Error::success();
    case 's':
    case 'u':
    case 't':
    case 'a':
    case 'A':
    case 'z':
    case 'Z': {
      // TYPE_SHORT_ASCII*: a one-byte length; the others: four bytes.
      size_t N;
      if (Type == 'z' || Type == 'Z') {
        uint8_t Short;
        if (llvm::Error E = u8(Short))
          return E;
        N = Short;
      } else if (llvm::Error E = count(N)) {
        return E;
      }
      if (Data.size() - Pos < N)
        return bad("truncated");
      V.string(Type, At, Data.substr(Pos, N));
      Pos += N;
      return llvm::Error::success();
    }
    case ')': {
      uint8_t N;
      if (llvm::Error E = u8(N))
        return E;
      return items(Depth + 1, N);
    }
    case '(':
    case '[':
    case '<':
    case '>': {
      size_t N;
      if (llvm::Error E = count(N))
        return E;
      return items(Depth + 1, N);
    }
    case '{':
      for (;;) {
        uint8_t Key;
        if (llvm::Error E = object(Depth + 1, Key))
          return E;
        if (Key == '0')
          return llvm::Error::success();
        if (llvm::Error E = items(Depth + 1, 1))
          return E;
      }
    case 'r': {
      const size_t IndexAt = Pos;
      int32_t Index;
      if (llvm::Error E = i32(Index))
        return E;
      // The object referring back was counted if it has FLAG_REF itself.
      if (Index < 0 || uint32_t(Index) >= Flagged)
        return bad("reference to an object not yet read");
      V.ref(uint32_t(Index), IndexAt);
      return llvm::Error::success();
    }
    case 'c':
      // w_complex_object, TYPE_CODE: argcount, posonlyargcount,
      // kwonlyargcount, stacksize, flags; eight objects; firstlineno;
      // linetable, exceptiontable.
      if (llvm::Error E = skip(5 * 4))
        return E;
      if (llvm::Error E = items(Depth + 1, 8))
        return E;
      if (llvm::Error E = skip(4))
        return E;
      return items(Depth + 1, 2);
    default:
      return bad("unknown type code");
    }
  }
};

} // namespace pyox

#endif
