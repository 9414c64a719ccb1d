//===- VfsFiles.h - Descriptors for the tree (internal) -------------------===//

#ifndef PYOX_RUNTIME_VFSFILES_H
#define PYOX_RUNTIME_VFSFILES_H

#include "Vfs.h"

namespace pyox::vfs {

// The sealed memfd that stands for a node, made once and kept until exit.
struct Master {
  int Fd;
  uint64_t MemfdIno;
  Node N;
  size_t RelLen;
  char Rel[]; // NUL-terminated
};

// The master of node N at REL, made on first use; nullptr with errno set
// when it cannot be made. A file's bytes are checked (CRC32C) first.
const Master *masterOf(const Node &N, const char *Rel, size_t RelLen);

// The master of node N if it has been made, else nullptr (nothing is made).
const Master *madeMaster(const Node &N);

// A new read-only descriptor of node N with its own file offset; FLAGS
// contributes O_CLOEXEC, O_NONBLOCK, O_NOATIME, O_NOCTTY and O_PATH. -1
// with errno set on failure.
int openNode(const Node &N, const char *Rel, size_t RelLen, int Flags);

// Drops the payload pages DATA[0, SIZE) (and the 64 KiB blocks around
// them) that reading has mapped, when the payload is a file mapping.
void releasePayloadPages(const uint8_t *Data, uint64_t Size);

// "/proc/self/fd/FD" into BUF; its length.
int procPath(int Fd, char (&Buf)[32]);

// The master a descriptor or a stat result belongs to, or nullptr for
// anything else (one fstat system call, and only once a master exists).
const Master *masterOfFd(int Fd);
const Master *masterOfStat(const struct stat &St);

// masterOfFd for directories only; free until a directory has been opened.
const Master *dirMasterOfFd(int Fd);

} // namespace pyox::vfs

#endif
