//===- EntryFile.cpp - A payload entry as a sealed memfd ------------------===//
//
// A raw entry is written into the memfd; a compressed one is decompressed
// into it through a shared writable mapping (MAP_POPULATE: the pages are
// allocated in one go rather than faulted in one by one), so the bytes are
// produced once, where they are loaded from, with no buffer in between.
// The mapping is gone before the seals go on: F_SEAL_WRITE refuses while a
// writable shared mapping exists.
//
//===----------------------------------------------------------------------===//

#include "EntryFile.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace pyox {

namespace {

// Writes DATA[0, SIZE) to FD; 0 or an errno value.
int writeAll(int Fd, const uint8_t *Data, uint64_t Size) {
  for (uint64_t Done = 0; Done < Size;) {
    ssize_t W = write(Fd, Data + Done, size_t(Size - Done));
    if (W < 0 && errno == EINTR)
      continue;
    if (W <= 0)
      return W < 0 ? errno : EIO;
    Done += uint64_t(W);
  }
  return 0;
}

// Decompresses entry E into FD's pages; 0 or an errno value.
int decompressInto(int Fd, const pyox_payload *P, const pyox_entry *E) {
  uint64_t Size = E->raw_size;
  if (Size == 0) {
    char None;
    return pyox_entry_decompress(P, E, &None) == 0 ? 0 : EBADMSG;
  }
  if (ftruncate(Fd, off_t(Size)) != 0)
    return errno;
  void *Out = mmap(nullptr, Size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_POPULATE, Fd, 0);
  if (Out == MAP_FAILED)
    return errno;
  int Bad = pyox_entry_decompress(P, E, Out);
  munmap(Out, Size);
  return Bad ? EBADMSG : 0;
}

} // namespace

int entryMemoryFile(const pyox_payload *P, const pyox_entry *E,
                    const char *Name) {
  int Fd = memfd_create(Name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (Fd < 0)
    return -1;
  int Err = 0;
  if (E && (E->flags & PYOX_ENTRY_ZSTD))
    Err = decompressInto(Fd, P, E);
  else if (E)
    Err = pyox_entry_verify(P, E) != 0
              ? EBADMSG
              : writeAll(Fd, pyox_entry_data(P, E), E->data_size);
  if (!Err &&
      fcntl(Fd, F_ADD_SEALS,
            F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
    Err = errno;
  if (Err) {
    close(Fd);
    errno = Err;
    return -1;
  }
  return Fd;
}

} // namespace pyox
