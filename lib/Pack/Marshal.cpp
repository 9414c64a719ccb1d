//===- Marshal.cpp --------------------------------------------------------===//
//
// Two walks over the stream, the layout of Python/marshal.c (3.11, version
// 4): the first numbers the FLAG_REF objects in stream order, as the reader
// does, and records which numbers a TYPE_REF uses; the second copies the
// stream, dropping the flags nobody uses and renumbering the references.
//
//===----------------------------------------------------------------------===//

#include "Pack/Marshal.h"

#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <cstring>
#include <vector>

using namespace llvm;

namespace pyox {
namespace {

constexpr uint8_t FlagRef = 0x80;
// marshal.c's MAX_MARSHAL_STACK_DEPTH: deeper data cannot be loaded anyway.
constexpr unsigned MaxDepth = 2000;

class MarshalRewriter {
public:
  explicit MarshalRewriter(StringRef Data) : Data(Data) {}

  Expected<std::string> run() {
    if (Error E = pass(/*Emit=*/false))
      return std::move(E);
    NewIndex.assign(Used.size(), UINT32_MAX);
    Out.reserve(Data.size());
    if (Error E = pass(/*Emit=*/true))
      return std::move(E);
    return std::move(Out);
  }

private:
  StringRef Data;
  size_t Pos = 0;
  bool Emit = false;
  std::string Out;
  std::vector<bool> Used;         // by old index: a TYPE_REF points here
  std::vector<uint32_t> NewIndex; // old index -> index in the output
  uint32_t Seen = 0, Kept = 0;    // FLAG_REF objects so far, in/out

  Error pass(bool EmitNow) {
    Emit = EmitNow;
    Pos = 0;
    Seen = Kept = 0;
    uint8_t Type;
    if (Error E = object(0, Type))
      return E;
    if (Pos != Data.size())
      return bad("bytes after the end of the object");
    return Error::success();
  }

  Error bad(const char *What) const {
    return createStringError(std::errc::illegal_byte_sequence,
                             "marshal data at offset %zu: %s", Pos, What);
  }

  // Copies N bytes through.
  Error bytes(size_t N) {
    if (Data.size() - Pos < N)
      return bad("truncated");
    if (Emit)
      Out.append(Data.data() + Pos, N);
    Pos += N;
    return Error::success();
  }
  Error u8(uint8_t &V) {
    if (Pos >= Data.size())
      return bad("truncated");
    V = uint8_t(Data[Pos]);
    return bytes(1);
  }
  Error i32(int32_t &V) {
    if (Data.size() - Pos < 4)
      return bad("truncated");
    uint32_t U = 0;
    for (int I = 3; I >= 0; --I)
      U = (U << 8) | uint8_t(Data[Pos + I]);
    V = int32_t(U);
    return bytes(4);
  }
  Error size32(size_t &N) {
    int32_t V;
    if (Error E = i32(V))
      return E;
    if (V < 0)
      return bad("negative size");
    N = size_t(V);
    return Error::success();
  }
  Error objects(unsigned Depth, size_t N) {
    for (size_t I = 0; I < N; ++I) {
      uint8_t T;
      if (Error E = object(Depth, T))
        return E;
      if (T == '0')
        return bad("NULL inside a container");
    }
    return Error::success();
  }

  // The empty string and one-character Latin-1 strings are singletons
  // whose interned state is the process's history (see Marshal.h); always
  // write them as interned.
  static bool isSingletonString(uint8_t Type, StringRef Text) {
    switch (Type) {
    case 'z':
    case 'Z':
    case 'a':
    case 'A':
      return Text.size() <= 1;
    case 'u':
    case 't':
      return Text.size() <= 1 ||
             (Text.size() == 2 &&
              (uint8_t(Text[0]) == 0xC2 || uint8_t(Text[0]) == 0xC3));
    default:
      return false;
    }
  }
  static uint8_t internedType(uint8_t Type) {
    switch (Type) {
    case 'z':
      return 'Z';
    case 'a':
      return 'A';
    case 'u':
      return 't';
    default:
      return Type;
    }
  }

  // One object; Type receives its type code without FLAG_REF.
  Error object(unsigned Depth, uint8_t &Type) {
    if (Depth > MaxDepth)
      return bad("nested too deeply");
    if (Pos >= Data.size())
      return bad("truncated");
    uint8_t Code = uint8_t(Data[Pos++]);
    Type = Code & ~FlagRef;
    size_t TypeAt = Out.size();
    if (Code & FlagRef) {
      uint32_t Old = Seen++;
      if (!Emit) {
        Used.push_back(false);
      } else if (Used[Old]) {
        NewIndex[Old] = Kept++;
      } else {
        Code = Type; // nothing points back here
      }
    }
    if (Emit)
      Out.push_back(char(Code));

    switch (Type) {
    case '0':
    case 'N':
    case 'F':
    case 'T':
    case 'S':
    case '.':
      return Error::success();
    case 'i':
      return bytes(4);
    case 'g':
      return bytes(8);
    case 'y':
      return bytes(16);
    case 'l': {
      int32_t N;
      if (Error E = i32(N))
        return E;
      if (N < -(1 << 28) || N > (1 << 28))
        return bad("bad long size");
      return bytes(size_t(N < 0 ? -int64_t(N) : N) * 2);
    }
    case 'f': {
      uint8_t N;
      if (Error E = u8(N))
        return E;
      return bytes(N);
    }
    case 'x': {
      for (int Part = 0; Part < 2; ++Part) {
        uint8_t N;
        if (Error E = u8(N))
          return E;
        if (Error E = bytes(N))
          return E;
      }
      return Error::success();
    }
    case 's':
    case 'u':
    case 't':
    case 'a':
    case 'A':
    case 'z':
    case 'Z': {
      // TYPE_SHORT_ASCII*: a one-byte length; the others: four bytes.
      size_t N;
      uint8_t Short;
      if (Error E = (Type == 'z' || Type == 'Z') ? u8(Short) : size32(N))
        return E;
      if (Type == 'z' || Type == 'Z')
        N = Short;
      if (Data.size() - Pos < N)
        return bad("truncated");
      if (Emit && isSingletonString(Type, Data.substr(Pos, N)))
        Out[TypeAt] =
            char((uint8_t(Out[TypeAt]) & FlagRef) | internedType(Type));
      return bytes(N);
    }
    case ')': {
      uint8_t N;
      if (Error E = u8(N))
        return E;
      return objects(Depth + 1, N);
    }
    case '(':
    case '[':
    case '<':
    case '>': {
      size_t N;
      if (Error E = size32(N))
        return E;
      if (N > Data.size() - Pos)
        return bad("container larger than the data");
      return objects(Depth + 1, N);
    }
    case '{':
      for (;;) {
        uint8_t Key;
        if (Error E = object(Depth + 1, Key))
          return E;
        if (Key == '0')
          return Error::success();
        if (Error E = objects(Depth + 1, 1))
          return E;
      }
    case 'r': {
      if (Data.size() - Pos < 4)
        return bad("truncated");
      int32_t Old;
      if (Error E = i32(Old))
        return E;
      if (Old < 0 || uint32_t(Old) >= Seen)
        return bad("reference to an object not yet read");
      if (!Emit) {
        Used[Old] = true;
        return Error::success();
      }
      uint32_t New = NewIndex[Old];
      if (New == UINT32_MAX)
        return bad("reference to an object not yet read");
      size_t OutAt = Out.size() - 4;
      for (int I = 0; I < 4; ++I)
        Out[OutAt + I] = char((New >> (8 * I)) & 0xff);
      return Error::success();
    }
    case 'c': {
      // Python/marshal.c w_complex_object, TYPE_CODE, 3.11: argcount,
      // posonlyargcount, kwonlyargcount, stacksize, flags; code, consts,
      // names, localsplusnames, localspluskinds, filename, name, qualname;
      // firstlineno; linetable, exceptiontable.
      if (Error E = bytes(5 * 4))
        return E;
      if (Error E = objects(Depth + 1, 8))
        return E;
      if (Error E = bytes(4))
        return E;
      return objects(Depth + 1, 2);
    }
    default:
      return bad("unknown type code");
    }
  }
};

} // namespace

Expected<std::string> canonicalizeMarshal(StringRef Data) {
  return MarshalRewriter(Data).run();
}

} // namespace pyox
