//===- EntryFile.cpp - A payload entry as a sealed memfd ------------------===//
//
// A raw entry is written into the memfd after its checksum is checked; a
// compressed one is decompressed in pieces that stay in the cache, each
// written into the memfd as it comes (pyox_entry_decompress_each). write()
// fills a new page of the memfd by copying into it; a shared mapping of
// the memfd for the decoder to write into (what this did before) had each
// page cleared by the kernel first and then written again, which on a
// carried OpenSSL is 4.7 MB more memory written and 6-16% of the time.
// The bytes are produced once, where they are loaded from, with no buffer
// the size of the file in between.
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

int writePiece(void *Fd, const void *Data, size_t Size) {
  return writeAll(*static_cast<int *>(Fd), static_cast<const uint8_t *>(Data),
                  Size);
}

// Decompresses entry E into FD; 0 or an errno value (EBADMSG: damaged).
int decompressInto(int Fd, const pyox_payload *P, const pyox_entry *E) {
  int R = pyox_entry_decompress_each(P, E, writePiece, &Fd);
  return R < 0 ? EBADMSG : R;
}

// Seals FD against every change; 0 or an errno value. F_SEAL_WRITE waits
// for the kernel's transient references to the pages just written (per-CPU
// LRU batches, a page being migrated) to go, and gives up with EBUSY after
// ~150 ms (mm/memfd.c, memfd_wait_for_pins). Seen once while benchmarking
// on a loaded virtual machine, where it would have failed an import: tried
// again a few times.
int sealAll(int Fd) {
  constexpr int Seals =
      F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
  for (int Try = 0;; ++Try) {
    if (fcntl(Fd, F_ADD_SEALS, Seals) == 0)
      return 0;
    if ((errno != EBUSY && errno != EINTR) || Try == 3)
      return errno;
  }
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
  if (!Err)
    Err = sealAll(Fd);
  if (Err) {
    close(Fd);
    errno = Err;
    return -1;
  }
  return Fd;
}

} // namespace pyox
