//===- VfsSystemCopies.cpp - Objects the system has unchanged
//--------------===//
//
// A program that imports ssl, sqlite3 and the rest copies each extension
// module and carried library into a memfd before ld.so maps it: 11 MiB of
// OpenSSL, SQLite and friends decompressed and written into fresh pages,
// ~25 ms that python3.11, mapping the same files from the page cache,
// never pays. Where the program runs on a system that has the very file
// pack took an object from, that file is as good as the copy: the same
// bytes, and its pages are already in memory, shared with every other
// process using them.
//
// So pack records, for each ELF object of the tree, the file it read
// (PYOX_SYSTEM_COPIES, pyox/format.h): its absolute path, size, CRC32C,
// glibc floor and GNU build-id, before lowering rewrote anything. The first
// dlopen of the object opens that path and uses the file instead of a
// memfd only if
//   - it is a regular file of that size with the recorded build-id, or,
//     for an object without one, the recorded CRC32C; read through the
//     descriptor that ld.so will map (/proc/self/fd/N), so no later rename
//     can put another file in its place. The build-id is the linker's
//     hash of the object's contents, which a rebuilt or updated library
//     changes, and reading the note costs two small preads where a
//     checksum reads the whole file (14 MiB for the stdlib's modules and
//     libraries: ~5 ms, as much as the copies it saves on small ones);
//   - only root or the user running the program can write it (owner root
//     or the effective user, no group or other write bits, which also
//     bound what an ACL grants): nobody else can change it after the
//     check. The checksum guards against a different build of the file,
//     not against someone crafting one; the owner rule does that;
//   - the running glibc is at least the file's own floor (pack lowers the
//     copies it carries; the system's file needs what it needs), and the
//     file is not on a noexec mount, from which ld.so could not map it.
// Anything else, and every object of a program packed with
// --no-system-copies, loads from memory as before. The verdict is made
// once per object and the descriptor kept open until exit: ld.so knows a
// loaded object by the /proc name as well as by its inode. The payload's
// entry is still checked (its CRC32C, ~40% of the file's bytes, at memory
// speed) before the copy is used: a damaged program is reported on every
// machine, whatever the machine has.
//
//===----------------------------------------------------------------------===//

#include "VfsSystemCopies.h"

#include "ElfNotes.h"
#include "VfsFiles.h"

#include "pyox/format.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string_view>

namespace pyox::vfs {

namespace {

constexpr int Unknown = -2, NoCopy = -1;

struct Copy {
  std::string_view Tree, File;
  uint64_t Size = 0;
  uint32_t Crc = 0;
  uint32_t Floor = 0;       // major << 16 | minor
  std::string_view BuildId; // hex; empty for none
  std::atomic<int> Fd{Unknown};
};

struct CopyTable {
  std::unique_ptr<char[]> Text; // the table's lines, copied out
  std::unique_ptr<Copy[]> Copies;
  size_t Count = 0;
  uint32_t Glibc = 0; // the running glibc, major << 16 | minor
};

bool parseUnsigned(std::string_view S, int Base, uint64_t Max, uint64_t &V) {
  if (S.empty() || S.size() > 20)
    return false;
  V = 0;
  for (char C : S) {
    unsigned D;
    if (C >= '0' && C <= '9')
      D = unsigned(C - '0');
    else if (Base == 16 && C >= 'a' && C <= 'f')
      D = unsigned(C - 'a' + 10);
    else
      return false;
    if (V > (Max - D) / unsigned(Base))
      return false;
    V = V * unsigned(Base) + D;
  }
  return true;
}

// "2.34" as major << 16 | minor.
bool parseVersion(std::string_view S, uint32_t &V) {
  size_t Dot = S.find('.');
  uint64_t Major, Minor;
  if (Dot == std::string_view::npos ||
      !parseUnsigned(S.substr(0, Dot), 10, 0xffff, Major))
    return false;
  // glibc's own version may have a third part ("2.31.9000").
  std::string_view Rest = S.substr(Dot + 1);
  Rest = Rest.substr(0, Rest.find('.'));
  if (!parseUnsigned(Rest, 10, 0xffff, Minor))
    return false;
  V = uint32_t(Major << 16 | Minor);
  return true;
}

constexpr size_t MaxBuildId = 64; // bytes; GNU ld's SHA-1 is 20

// One line, "TREE\tHOST\tSIZE\tCRC\tFLOOR\tBUILDID"; false when malformed.
bool parseLine(std::string_view Line, Copy &C) {
  constexpr int Fields = 6;
  std::string_view F[Fields];
  for (int I = 0; I < Fields; ++I) {
    size_t Tab = I < Fields - 1 ? Line.find('\t') : Line.size();
    if (Tab == std::string_view::npos)
      return false;
    F[I] = Line.substr(0, Tab);
    Line.remove_prefix(I < Fields - 1 ? Tab + 1 : Tab);
  }
  uint64_t Crc;
  C.Tree = F[0];
  C.File = F[1];
  C.BuildId = F[5] == "-" ? std::string_view() : F[5];
  return !C.Tree.empty() && C.File.size() > 1 && C.File[0] == '/' &&
         C.File.size() < PATH_MAX &&
         parseUnsigned(F[2], 10, UINT64_MAX, C.Size) && C.Size > 0 &&
         F[3].size() == 8 && parseUnsigned(F[3], 16, UINT32_MAX, Crc) &&
         (C.Crc = uint32_t(Crc), parseVersion(F[4], C.Floor)) &&
         C.BuildId.size() % 2 == 0 && C.BuildId.size() <= 2 * MaxBuildId &&
         C.BuildId.find_first_not_of("0123456789abcdef") ==
             std::string_view::npos;
}

// Whether the ELF file FD (SIZE bytes) has the GNU build-id HEX: its
// PT_NOTE segments read with pread, every bound checked.
bool hasBuildId(int Fd, uint64_t Size, std::string_view Hex) {
  Elf64_Ehdr Eh;
  if (pread(Fd, &Eh, sizeof Eh, 0) != ssize_t(sizeof Eh) ||
      memcmp(Eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      Eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      Eh.e_phentsize != sizeof(Elf64_Phdr) || Eh.e_phnum > 64 ||
      Eh.e_phoff > Size || Eh.e_phnum * sizeof(Elf64_Phdr) > Size - Eh.e_phoff)
    return false;
  Elf64_Phdr Ph[64];
  size_t PhSize = Eh.e_phnum * sizeof(Elf64_Phdr);
  if (pread(Fd, Ph, PhSize, off_t(Eh.e_phoff)) != ssize_t(PhSize))
    return false;
  for (unsigned I = 0; I < Eh.e_phnum; ++I) {
    const Elf64_Phdr &P = Ph[I];
    alignas(8) uint8_t Notes[4096];
    const uint8_t *Id;
    size_t IdSize;
    if (P.p_type != PT_NOTE || P.p_filesz > sizeof Notes || P.p_offset > Size ||
        P.p_filesz > Size - P.p_offset ||
        pread(Fd, Notes, P.p_filesz, off_t(P.p_offset)) !=
            ssize_t(P.p_filesz) ||
        !pyox_find_build_id(Notes, P.p_filesz, P.p_align == 8 ? 8 : 4, &Id,
                            &IdSize))
      continue;
    static const char Digits[] = "0123456789abcdef";
    if (2 * IdSize != Hex.size())
      return false;
    for (size_t B = 0; B < IdSize; ++B)
      if (Hex[2 * B] != Digits[Id[B] >> 4] ||
          Hex[2 * B + 1] != Digits[Id[B] & 15])
        return false;
    return true;
  }
  return false;
}

// The payload's table, read once and copied out of the payload, whose
// pages are then given back; empty when there is none or a line is
// malformed. A damaged table ends the program, as any damaged entry.
const CopyTable &table() {
  static const CopyTable *T = [] {
    CopyTable *New = new CopyTable;
    const pyox_payload *P = TheMount.P;
    const char *Name = PYOX_SYSTEM_COPIES;
    const pyox_entry *E =
        pyox_payload_find(P, PYOX_GROUP_RESOURCE, Name, strlen(Name));
    if (!E)
      return New;
    if (E->flags != 0 || pyox_entry_verify(P, E) != 0)
      fatalDamaged(E);
    if (!parseVersion(gnu_get_libc_version(), New->Glibc))
      return New;
    const uint8_t *Bytes = pyox_entry_data(P, E);
    New->Text.reset(new char[E->data_size]);
    memcpy(New->Text.get(), Bytes, E->data_size);
    releasePayloadPages(Bytes, E->data_size);
    std::string_view Data(New->Text.get(), size_t(E->data_size));
    size_t Lines = size_t(std::count(Data.begin(), Data.end(), '\n'));
    New->Copies.reset(new Copy[Lines]);
    for (size_t I = 0; I < Lines; ++I) {
      size_t Eol = Data.find('\n');
      if (!parseLine(Data.substr(0, Eol), New->Copies[I])) {
        New->Copies.reset();
        return New;
      }
      Data.remove_prefix(Eol + 1);
    }
    New->Count = Lines;
    return New;
  }();
  return *T;
}

// C's file, opened and found to be what pack read; else NoCopy.
int openIdentical(const Copy &C, uint32_t Glibc) {
  if (C.Floor > Glibc)
    return NoCopy;
  char Path[PATH_MAX];
  memcpy(Path, C.File.data(), C.File.size());
  Path[C.File.size()] = '\0';
  // The system call itself: the path is outside the tree.
  int Fd = int(syscall(SYS_openat, AT_FDCWD, Path,
                       O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (Fd < 0)
    return NoCopy;
  struct stat St;
  struct statfs Fs; // ld.so cannot map code from a noexec mount
  bool Same = syscall(SYS_newfstatat, Fd, "", &St, AT_EMPTY_PATH) == 0 &&
              S_ISREG(St.st_mode) && uint64_t(St.st_size) == C.Size &&
              (St.st_uid == 0 || St.st_uid == geteuid()) &&
              !(St.st_mode & (S_IWGRP | S_IWOTH)) &&
              syscall(SYS_fstatfs, Fd, &Fs) == 0 && !(Fs.f_flags & ST_NOEXEC);
  if (Same && !C.BuildId.empty()) {
    Same = hasBuildId(Fd, C.Size, C.BuildId);
  } else if (Same) {
    void *Map =
        mmap(nullptr, C.Size, PROT_READ, MAP_SHARED | MAP_POPULATE, Fd, 0);
    Same = Map != MAP_FAILED && pyox_crc32c(0, Map, C.Size) == C.Crc;
    if (Map != MAP_FAILED)
      munmap(Map, C.Size);
  }
  if (!Same) {
    close(Fd);
    return NoCopy;
  }
  return Fd;
}

} // namespace

int systemCopyOf(const Node &N, const char *Rel, size_t RelLen) {
  if (N.Kind != NodeKind::File || !N.Entry)
    return NoCopy;
  const CopyTable &T = table();
  std::string_view Key(Rel, RelLen);
  Copy *End = T.Copies.get() + T.Count;
  Copy *C = std::lower_bound(
      T.Copies.get(), End, Key,
      [](const Copy &A, std::string_view K) { return A.Tree < K; });
  if (C == End || C->Tree != Key)
    return NoCopy;
  int Fd = C->Fd.load(std::memory_order_acquire);
  if (Fd != Unknown)
    return Fd;
  int Mine = openIdentical(*C, T.Glibc);
  if (Mine >= 0) {
    if (pyox_entry_verify(TheMount.P, N.Entry) != 0)
      fatalDamaged(N.Entry);
    releasePayloadPages(pyox_entry_data(TheMount.P, N.Entry),
                        N.Entry->data_size);
  }
  // Threads loading the same object race here: the first verdict stands.
  if (C->Fd.compare_exchange_strong(Fd, Mine, std::memory_order_acq_rel))
    return Mine;
  if (Mine >= 0)
    close(Mine);
  return Fd;
}

} // namespace pyox::vfs
