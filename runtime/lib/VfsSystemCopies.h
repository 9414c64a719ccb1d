//===- VfsSystemCopies.h - Objects the system has unchanged (internal) ----===//

#ifndef PYOX_RUNTIME_VFSSYSTEMCOPIES_H
#define PYOX_RUNTIME_VFSSYSTEMCOPIES_H

#include "Vfs.h"

namespace pyox::vfs {

// A descriptor of the system's copy of the shared object at REL (node N):
// the file pack took it from (PYOX_SYSTEM_COPIES, pyox/format.h), opened
// and found identical to what pack read, writable by no one but root and
// the user, on a glibc at least as new as the file needs. Kept open until
// exit, the same descriptor for every call; -1 when there is none to use
// (the object then loads from memory).
int systemCopyOf(const Node &N, const char *Rel, size_t RelLen);

} // namespace pyox::vfs

#endif
