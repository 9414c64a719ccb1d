//===- Extract.cpp --------------------------------------------------------===//

#include "Pack/Extract.h"

#include "Support/AtomicFile.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cstring>
#include <vector>

using namespace llvm;

namespace pyox {

// A payload path is written below the output directory only if it stays
// there: relative, no "..", no empty or "." components.
bool isSafeRelativePath(StringRef Path) {
  if (Path.empty() || Path.starts_with("/"))
    return false;
  SmallVector<StringRef, 16> Parts;
  Path.split(Parts, '/');
  for (StringRef P : Parts)
    if (P.empty() || P == "." || P == ".." || P.contains('\0'))
      return false;
  return true;
}

// Writes one entry's file below Dir; for bytecode, a sourceless .pyc that
// python3.11 imports from Dir as a sys.path entry (PEP 552 unchecked
// hash-based header).
static Error extractEntry(StringRef File, StringRef Dir, const pyox_payload &P,
                          const pyox_entry &E) {
  StringRef Name(pyox_entry_name(&P, &E), E.name_size);
  StringRef Path(pyox_entry_path(&P, &E), E.path_size);
  StringRef Rel = Path;
  std::string PycPath;
  if (E.kind == PYOX_KIND_MAPPED_CODE) {
    // The same module as its MODULE/PACKAGE entry's .pyc, in a form only
    // the template it was laid out for can use: nothing to write.
    if (pyox_entry_verify(&P, &E) != 0)
      return createStringError(std::errc::invalid_argument,
                               "%s: entry '%s': data checksum mismatch",
                               File.str().c_str(), Name.str().c_str());
    return Error::success();
  }
  if (E.kind == PYOX_KIND_MODULE || E.kind == PYOX_KIND_PACKAGE) {
    if (!Path.ends_with(".py"))
      return createStringError(
          std::errc::invalid_argument, "%s: entry '%s' has a bad path '%s'",
          File.str().c_str(), Name.str().c_str(), Path.str().c_str());
    PycPath = (Path + "c").str();
    Rel = PycPath;
  }
  if (!isSafeRelativePath(Rel))
    return createStringError(std::errc::invalid_argument,
                             "%s: entry '%s' has a path that escapes the "
                             "output directory: '%s'",
                             File.str().c_str(), Name.str().c_str(),
                             Rel.str().c_str());
  SmallString<256> Out(Dir);
  sys::path::append(Out, sys::path::Style::posix, Rel);
  if (E.kind == PYOX_KIND_NAMESPACE) {
    if (std::error_code EC = sys::fs::create_directories(Out))
      return createStringError(EC, "%s: %s", Out.c_str(), EC.message().c_str());
    return Error::success();
  }
  if (std::error_code EC =
          sys::fs::create_directories(sys::path::parent_path(Out)))
    return createStringError(EC, "%s: %s", Out.c_str(), EC.message().c_str());
  ArrayRef<uint8_t> Data(pyox_entry_data(&P, &E), E.data_size);
  if (pyox_entry_verify(&P, &E) != 0)
    return createStringError(std::errc::invalid_argument,
                             "%s: entry '%s': data checksum mismatch",
                             File.str().c_str(), Name.str().c_str());
  std::vector<uint8_t> Raw, Bytes;
  if (E.flags & PYOX_ENTRY_ZSTD) { // the file or the code, decompressed
    Raw.resize(E.raw_size);
    if (pyox_entry_decompress(&P, &E, Raw.data()) != 0)
      return createStringError(std::errc::invalid_argument,
                               "%s: entry '%s': compressed data does not "
                               "decompress",
                               File.str().c_str(), Name.str().c_str());
    Data = Raw;
  }
  if (!PycPath.empty()) {
    uint32_t Header[4] = {P.header->bytecode_magic, 0x1 /* hash-based */, 0, 0};
    Bytes.resize(sizeof Header + Data.size());
    std::memcpy(Bytes.data(), Header, sizeof Header);
    std::memcpy(Bytes.data() + sizeof Header, Data.data(), Data.size());
    Data = Bytes;
  }
  AtomicWriteOptions Options;
  Options.Sync = false;
  Options.Executable = E.kind == PYOX_KIND_EXTENSION;
  return writeFileAtomically(Out, Data, Options);
}

Error extractPayload(const pyox_payload &P, StringRef Dir, StringRef File) {
  for (uint32_t I = 0; I < P.header->entry_count; ++I)
    if (Error E = extractEntry(File, Dir, P, P.entries[I]))
      return E;
  return Error::success();
}

} // namespace pyox
