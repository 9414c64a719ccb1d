//===- EntryFile.h - A payload entry as a sealed memfd (internal) ---------===//
//
// The dynamic loader maps files only, and pyox never writes one: an
// extension module or shared library is loaded from a memfd holding its
// bytes, and the virtual filesystem gives every file of the tree one such
// memfd to open (Extension.cpp, VfsFiles.cpp). Linux only.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_RUNTIME_ENTRYFILE_H
#define PYOX_RUNTIME_ENTRYFILE_H

#include "pyox/payload.h"

namespace pyox {

// A sealed memfd named NAME (what /proc/self/maps and dladdr show) holding
// the contents of entry E of P, or nothing when E is null: the data copied
// after its checksum is checked, or, for a compressed entry
// (PYOX_ENTRY_ZSTD), decompressed into it a piece at a time. Sealed
// against every change (F_SEAL_WRITE, _SHRINK, _GROW, _SEAL). -1 with errno
// set on failure: EBADMSG when the entry is damaged.
int entryMemoryFile(const pyox_payload *P, const pyox_entry *E,
                    const char *Name);

} // namespace pyox

#endif
