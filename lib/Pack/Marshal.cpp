//===- Marshal.cpp --------------------------------------------------------===//
//
// One walk over the stream (MarshalWalker) records where the FLAG_REF
// objects, the back-references and the singleton strings are; the output
// is the input with those bytes rewritten in place: flags nobody uses
// dropped, references renumbered, singletons' types made interned. Nothing
// changes size, so nothing moves.
//
//===----------------------------------------------------------------------===//

#include "Pack/Marshal.h"

#include <cstdint>
#include <vector>

using namespace llvm;

namespace pyox {
namespace {

// The empty string and one-character Latin-1 strings are singletons whose
// interned state is the process's history (see Marshal.h): their type, made
// interned, or 0 for any other string.
uint8_t singletonType(uint8_t Type, StringRef Text) {
  switch (Type) {
  case 'z':
  case 'Z':
    return Text.size() <= 1 ? 'Z' : 0;
  case 'a':
  case 'A':
    return Text.size() <= 1 ? 'A' : 0;
  case 'u':
  case 't':
    return Text.size() <= 1 || (Text.size() == 2 && (uint8_t(Text[0]) == 0xC2 ||
                                                     uint8_t(Text[0]) == 0xC3))
               ? 't'
               : 0;
  default:
    return 0;
  }
}

// What canonicalizeMarshal rewrites, found in one walk.
struct Rewrites {
  std::vector<size_t> FlagAt; // type byte of each FLAG_REF object, by index
  std::vector<bool> Used;     // by index: a TYPE_REF points here
  std::vector<std::pair<size_t, uint32_t>> Refs;    // TYPE_REF: at, index
  std::vector<std::pair<size_t, uint8_t>> Interned; // type byte, new type

  void begin(uint8_t Code, size_t At) {
    if (Code & MarshalFlagRef) {
      FlagAt.push_back(At);
      Used.push_back(false);
    }
  }
  void string(uint8_t Type, size_t At, StringRef Text) {
    if (uint8_t T = singletonType(Type, Text))
      Interned.push_back({At, T});
  }
  void integer(int32_t) {}
  void ref(uint32_t Index, size_t At) {
    Used[Index] = true;
    Refs.push_back({At, Index});
  }
  void end() {}
};

} // namespace

Expected<std::string> canonicalizeMarshal(StringRef Data) {
  Rewrites R;
  MarshalWalker<Rewrites> Walker(Data, R);
  if (Error E = Walker.walk(/*Whole=*/true))
    return std::move(E);
  std::string Out = Data.str();
  // Used flags are renumbered in stream order; unused ones go.
  std::vector<uint32_t> NewIndex(R.FlagAt.size(), UINT32_MAX);
  uint32_t Kept = 0;
  for (size_t I = 0; I < R.FlagAt.size(); ++I) {
    if (R.Used[I])
      NewIndex[I] = Kept++;
    else
      Out[R.FlagAt[I]] = char(uint8_t(Out[R.FlagAt[I]]) & ~MarshalFlagRef);
  }
  for (auto [At, Type] : R.Interned)
    Out[At] = char((uint8_t(Out[At]) & MarshalFlagRef) | Type);
  for (auto [At, Index] : R.Refs)
    for (int I = 0; I < 4; ++I)
      Out[At + I] = char((NewIndex[Index] >> (8 * I)) & 0xff);
  return Out;
}

} // namespace pyox
