//===- VfsFiles.cpp - Descriptors for files and directories of the tree ---===//
//
// Everything the kernel does with a descriptor (read, pread, lseek, mmap,
// sendfile, dup, fork, close) should just work on a file of the tree, so
// an open returns a real descriptor: each node gets one sealed memfd, its
// "master", made on first use, and every open reopens the master through
// /proc/self/fd/N, which gives a new open file description with its own
// offset over the same pages. A directory's master is an empty memfd: the
// hooks recognise it when it comes back as a dirfd or to fstat.
//
// The way back from a descriptor to its node is the memfd's inode: fstat
// gives (st_dev, st_ino), and a table maps the inode to the master. So
// close, dup and fork need no hooks at all.
//
// Threads: both tables are open-addressing arrays whose slots are claimed
// and filled with compare-and-swap; two threads making the same master
// race, and the loser closes its memfd. No lock is ever taken, so a fork
// at any moment leaves a usable state, and the lookups a vfork child may
// make allocate nothing.
//
//===----------------------------------------------------------------------===//

#include "VfsFiles.h"

#include "EntryFile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

namespace pyox::vfs {

namespace {

struct Slot {
  std::atomic<uint64_t> Key;
  std::atomic<Master *> Value;
};

struct Table {
  size_t Mask;
  Slot Slots[1];
};

// Masters by node inode, and by memfd inode.
std::atomic<Table *> ByNode{nullptr};
std::atomic<Table *> ByMemfd{nullptr};
std::atomic<dev_t> MemfdDev{0};
std::atomic<bool> AnyDirMaster{false};

Table *table(std::atomic<Table *> &T) {
  Table *Cur = T.load(std::memory_order_acquire);
  if (Cur)
    return Cur;
  // Room for every file and directory twice over: a directory holds at
  // least one entry, so there are at most entry_count + 1 of them.
  size_t Need = (size_t(TheMount.P->header->entry_count) + 1) * 4;
  size_t Cap = 64;
  while (Cap < Need)
    Cap <<= 1;
  Table *New =
      static_cast<Table *>(calloc(1, sizeof(Table) + (Cap - 1) * sizeof(Slot)));
  if (!New)
    return nullptr;
  New->Mask = Cap - 1;
  if (T.compare_exchange_strong(Cur, New, std::memory_order_acq_rel))
    return New;
  free(New);
  return Cur;
}

uint64_t mix(uint64_t K) {
  K ^= K >> 33;
  K *= 0xff51afd7ed558ccdull;
  K ^= K >> 33;
  return K;
}

// The slot of KEY (non-zero), claimed if CLAIM; nullptr when absent or
// the table is full.
Slot *slotFor(Table *T, uint64_t Key, bool Claim) {
  if (!T)
    return nullptr;
  for (size_t I = mix(Key) & T->Mask, N = 0; N <= T->Mask;
       I = (I + 1) & T->Mask, ++N) {
    Slot &S = T->Slots[I];
    uint64_t K = S.Key.load(std::memory_order_acquire);
    if (K == Key)
      return &S;
    if (K == 0) {
      if (!Claim)
        return nullptr;
      if (S.Key.compare_exchange_strong(K, Key, std::memory_order_acq_rel) ||
          K == Key)
        return &S;
    }
  }
  return nullptr;
}

int rawFstat(int Fd, struct stat &St) {
  return int(syscall(SYS_newfstatat, Fd, "", &St, AT_EMPTY_PATH));
}

// The master memfd of a file (its entry's contents) or of a directory
// (ENTRY null: empty), or -1 with errno set.
int sealedMemfd(const char *Rel, size_t RelLen, const pyox_entry *Entry) {
  // The memfd's name shows in /proc/self/maps and dladdr: "pyox:" and the
  // file's base name.
  char Name[200] = "pyox:";
  const char *Base = Rel;
  for (size_t I = 0; I < RelLen; ++I)
    if (Rel[I] == '/')
      Base = Rel + I + 1;
  size_t BaseLen = size_t(Rel + RelLen - Base);
  if (BaseLen > sizeof(Name) - 6)
    BaseLen = sizeof(Name) - 6;
  memcpy(Name + 5, Base, BaseLen);
  Name[5 + BaseLen] = '\0';
  int Fd = entryMemoryFile(TheMount.P, Entry, Name);
  if (Fd < 0 && errno == EBADMSG)
    fatalDamaged(Entry);
  return Fd;
}

// Gives back the payload pages a copy has pulled in, as the importer does
// after unmarshalling (Importer.cpp, releasePages): only from a private
// file mapping, where a dropped page is read back from the page cache if
// anything touches it again. A fault maps the aligned 64 KiB around it
// ("fault-around"), so the blocks the copy spans are dropped whole, within
// the payload's data area.
} // namespace

void releasePayloadPages(const uint8_t *Data, uint64_t Size) {
  static const uintptr_t Page = uintptr_t(sysconf(_SC_PAGESIZE));
  constexpr uintptr_t Block = 64 << 10;
  if (!TheMount.FileMapped)
    return;
  const pyox_payload *P = TheMount.P;
  uintptr_t Base = reinterpret_cast<uintptr_t>(P->base);
  uintptr_t AreaBegin = (Base + P->header->index_size + Page - 1) & ~(Page - 1);
  // Mapped code is written in place (Importer.cpp): never dropped.
  uintptr_t AreaEnd = (Base + pyox_payload_mapped_begin(P)) & ~(Page - 1);
  uintptr_t Begin = reinterpret_cast<uintptr_t>(Data) & ~(Block - 1);
  uintptr_t End =
      (reinterpret_cast<uintptr_t>(Data) + Size + Block - 1) & ~(Block - 1);
  Begin = Begin < AreaBegin ? AreaBegin : Begin;
  End = End > AreaEnd ? AreaEnd : End;
  if (End > Begin)
    madvise(reinterpret_cast<void *>(Begin), End - Begin, MADV_DONTNEED);
}

const Master *masterOf(const Node &N, const char *Rel, size_t RelLen) {
  Slot *S = slotFor(table(ByNode), N.Ino, true);
  if (!S) {
    errno = ENFILE;
    return nullptr;
  }
  if (Master *M = S->Value.load(std::memory_order_acquire))
    return M;
  const pyox_entry *Entry = N.Kind == NodeKind::File ? N.Entry : nullptr;
  int Fd = sealedMemfd(Rel, RelLen, Entry);
  // The memfd holds the bytes now (copied or decompressed).
  if (Entry)
    releasePayloadPages(pyox_entry_data(TheMount.P, Entry), Entry->data_size);
  if (Fd < 0)
    return nullptr;
  struct stat St;
  Master *M = static_cast<Master *>(malloc(sizeof(Master) + RelLen + 1));
  if (!M || rawFstat(Fd, St) != 0) {
    int Err = M ? errno : ENOMEM;
    free(M);
    close(Fd);
    errno = Err;
    return nullptr;
  }
  M->Fd = Fd;
  M->MemfdIno = uint64_t(St.st_ino);
  M->N = N;
  M->RelLen = RelLen;
  memcpy(M->Rel, Rel, RelLen);
  M->Rel[RelLen] = '\0';
  // Known by its memfd inode before anyone can get a descriptor of it.
  dev_t NoDev = 0;
  MemfdDev.compare_exchange_strong(NoDev, St.st_dev);
  Slot *Back = slotFor(table(ByMemfd), M->MemfdIno, true);
  if (!Back) {
    free(M);
    close(Fd);
    errno = ENFILE;
    return nullptr;
  }
  Back->Value.store(M, std::memory_order_release);
  Master *Expected = nullptr;
  if (!S->Value.compare_exchange_strong(Expected, M,
                                        std::memory_order_acq_rel)) {
    // Another thread made it first: use that one. No descriptor of ours
    // was ever handed out, so nobody can have found M by its inode.
    Back->Value.store(nullptr, std::memory_order_release);
    close(Fd);
    free(M);
    return Expected;
  }
  if (N.Kind == NodeKind::Dir)
    AnyDirMaster.store(true, std::memory_order_release);
  return M;
}

int procPath(int Fd, char (&Buf)[32]) {
  static const char Prefix[] = "/proc/self/fd/";
  memcpy(Buf, Prefix, sizeof(Prefix) - 1);
  char Digits[16];
  int N = 0;
  unsigned V = unsigned(Fd);
  do {
    Digits[N++] = char('0' + V % 10);
    V /= 10;
  } while (V);
  int Len = sizeof(Prefix) - 1;
  while (N)
    Buf[Len++] = Digits[--N];
  Buf[Len] = '\0';
  return Len;
}

int openNode(const Node &N, const char *Rel, size_t RelLen, int Flags) {
  if (N.Interpreter) // the program file itself
    return int(syscall(SYS_openat, AT_FDCWD, TheMount.Root,
                       O_RDONLY | (Flags & (O_CLOEXEC | O_NONBLOCK | O_PATH))));
  const Master *M = masterOf(N, Rel, RelLen);
  if (!M)
    return -1;
  char Path[32];
  procPath(M->Fd, Path);
  int Keep = O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOATIME | O_PATH;
  return int(syscall(SYS_openat, AT_FDCWD, Path, O_RDONLY | (Flags & Keep)));
}

const Master *madeMaster(const Node &N) {
  Slot *S = slotFor(ByNode.load(std::memory_order_acquire), N.Ino, false);
  return S ? S->Value.load(std::memory_order_acquire) : nullptr;
}

const Master *masterOfStat(const struct stat &St) {
  dev_t Dev = MemfdDev.load(std::memory_order_acquire);
  if (!Dev || St.st_dev != Dev)
    return nullptr;
  Slot *S = slotFor(ByMemfd.load(std::memory_order_acquire),
                    uint64_t(St.st_ino), false);
  return S ? S->Value.load(std::memory_order_acquire) : nullptr;
}

const Master *masterOfFd(int Fd) {
  if (!MemfdDev.load(std::memory_order_acquire))
    return nullptr;
  struct stat St;
  if (rawFstat(Fd, St) != 0)
    return nullptr;
  return masterOfStat(St);
}

const Master *dirMasterOfFd(int Fd) {
  if (!AnyDirMaster.load(std::memory_order_acquire))
    return nullptr;
  const Master *M = masterOfFd(Fd);
  return M && M->N.Kind == NodeKind::Dir ? M : nullptr;
}

} // namespace pyox::vfs
