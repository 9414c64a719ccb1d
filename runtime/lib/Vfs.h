//===- Vfs.h - The read-only virtual filesystem (internal) ----------------===//
//
// Three parts: the tree (VfsTree.cpp) answers "what is at this path" from
// the payload's sorted, hashed index, with no table of its own; the open
// files (VfsFiles.cpp) give each file and directory a sealed memfd, made on
// first use, and map a descriptor back to its node; the hooks
// (VfsHooks.cpp) are the C library's entry points. See VfsHooks.cpp for
// the design as a whole.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_RUNTIME_VFS_H
#define PYOX_RUNTIME_VFS_H

#include "pyox/payload.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <string>
#include <vector>

namespace pyox::vfs {

// Where the interpreter is, relative to ROOT.
constexpr char InterpreterDir[] = "bin";
constexpr char InterpreterRel[] = "bin/python3";

// The environment variable the exec hooks give a program started through
// the interpreter, "PYOX_INTERPRETER=ROOT": it then runs as python3.
constexpr char InterpreterVariable[] = "PYOX_INTERPRETER";

// What is mounted: the payload and the root path, fixed before the hooks
// see any path (Mount.P == nullptr until then).
struct Mount {
  const pyox_payload *P = nullptr;
  char Root[PATH_MAX];
  size_t RootLen = 0;
  size_t ParentLen = 0;    // bytes of Root's directory ("/opt" of "/opt/app")
  struct stat RootStat;    // the executable: st_dev, owner, times
  uint64_t RootDirIno;     // the synthetic inode of ROOT as a directory
  bool FileMapped = false; // PYOX_VFS_FILE_MAPPED
  // "PYOX_INTERPRETER=ROOT", for the environment of exec'd interpreters.
  char InterpreterMarker[sizeof(InterpreterVariable) + PATH_MAX];
  // The --host-data paths this system lacks, served from the payload's
  // PYOX_HOST_DATA_DIR (pointers into the PYOX_HOST_DATA_ROOTS entry).
  static constexpr unsigned MaxHostData = 16;
  const char *HostData[MaxHostData];
  size_t HostDataLen[MaxHostData];
  unsigned HostDataCount = 0;
};

// Fills M.HostData with the --host-data paths of payload P that do not
// exist here (the real one wins when present). Before the mount is public.
void findMissingHostData(const pyox_payload *P, Mount &M);
extern Mount TheMount;

inline bool mounted() {
  return __atomic_load_n(&TheMount.P, __ATOMIC_ACQUIRE) != nullptr;
}

enum class NodeKind : uint8_t { None, Dir, File };

// A node of the tree: a directory (no entry) or a file (its entry), or
// the program itself as the python3 of the tree, ROOT/bin/python3
// (sys.executable; no entry): see VfsHooks.cpp, "The interpreter".
struct Node {
  NodeKind Kind = NodeKind::None;
  bool Executable = false; // shared libraries and extension modules
  bool Interpreter = false;
  const pyox_entry *Entry = nullptr;
  uint64_t Ino = 0;
};

// A path taken apart: inside the tree (REL relative to ROOT, normalised:
// no ".", "..", empty or trailing components), or outside it (OUTSIDE,
// possibly rewritten from ROOT/.. to ROOT's directory).
struct Resolved {
  enum { Outside, Inside, Error } Where = Outside;
  int Errno = 0;             // for Error: ENOENT, ENOTDIR, ENAMETOOLONG
  bool ParentExists = false; // for ENOENT: the parent is a directory
  bool TrailingSlash = false;
  Node N;             // for Inside
  char Rel[PATH_MAX]; // for Inside and Error
  size_t RelLen = 0;
  const char *OutsidePath = nullptr; // for Outside: the path to forward
  char Buffer[PATH_MAX];             // storage when it was rewritten
};

// Classifies PATH (absolute; relative paths are never inside). ROOT itself
// is outside (the executable) unless AS_DIR, for opendir and O_DIRECTORY.
void resolve(const char *Path, bool AsDir, Resolved &R);

// The same for DIR_REL (a directory inside the tree) joined with PATH.
void resolveAt(const char *DirRel, size_t DirRelLen, const char *Path,
               Resolved &R);

// The node at REL, or a None node.
Node lookup(const char *Rel, size_t Len);

// Fills ST as stat(2) would for node N.
void fillStat(const Node &N, struct stat &St);

// The entries of directory REL, "." and ".." first, then sorted by name.
struct DirItem {
  std::string Name;
  uint64_t Ino;
  bool IsDir;
};
std::vector<DirItem> list(const char *Rel, size_t Len);

// Synthetic inode number of the directory REL.
uint64_t dirIno(const char *Rel, size_t Len);

// Reports E as damaged on stderr and exits, as the importer does.
[[noreturn]] void fatalDamaged(const pyox_entry *E);

// For each DT_NEEDED library of the shared object IMAGE[0, SIZE) (the file
// at REL) that its RUNPATH/RPATH ($ORIGIN included) places inside the tree,
// or that pack carried into PYOX_CARRIED_LIBS_DIR, calls FN(rel of that
// library) in DT_NEEDED order.
void forEachBundledNeeded(const uint8_t *Image, uint64_t Size, const char *Rel,
                          size_t RelLen,
                          void (*Fn)(const char *Rel, size_t Len, void *Ctx),
                          void *Ctx);

} // namespace pyox::vfs

#endif
