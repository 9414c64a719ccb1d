//===- VfsHooks.cpp - The C library's file calls, for paths under ROOT ----===//
//
// A pyox program's modules have virtual paths under ROOT, the program's own
// path, and packages treat the directory of their __file__ as a directory:
// they open templates next to it, list it, stat it, dlopen libraries from
// it, hand it to OpenSSL or sqlite. This file makes those paths real for
// the whole process, read-only, with nothing written anywhere.
//
// Mechanism. The executable defines the C library's file entry points and
// exports them (pyox-run links with --export-dynamic), so the static
// libpython, every extension module and every library they load bind to
// these definitions, as they would to an LD_PRELOAD library's. Each one
// compares its path with ROOT (one strncmp) and forwards anything else to
// the C library's own definition, found with dlsym(RTLD_NEXT). ROOT is a
// regular file, so the kernel answers ENOTDIR for every path below it: the
// VFS can never hide a real file.
//
// Coverage. glibc calls itself without the PLT (fopen, opendir, realpath,
// dlopen, scandir, glob and nftw never reach an open or stat defined
// here), so each of those has a definition of its own; so do the 64
// variants, the fortified __*_chk/__*_2 entry points and the pre-2.33
// __xstat family that wheels built on old systems still import (an
// unversioned definition in the executable satisfies a versioned
// reference). Descriptors are real (VfsFiles.cpp): read, mmap, lseek,
// sendfile, dup and close need no hook; fstat, the *at calls and
// fdopendir recognise the memfds behind them. Writes of every kind fail
// with EROFS, with the errno a read-only mount gives (EEXIST before EROFS
// for a name that exists, ENOENT for a missing directory).
//
// The interpreter. sys.executable is ROOT/bin/python3, a file of the tree
// that stats and opens as the program itself. Exec'ing it (execve, execv,
// the exec*p forms with a path, posix_spawn: what _posixsubprocess, os.exec*
// and os.posix_spawn call) runs the program with PYOX_INTERPRETER=ROOT in
// its environment, and such a program runs as python3 (-c, -m, a script),
// importing from the same payload; Startup.cpp removes the variable at
// once, so that its own children are apps again unless they too come
// through the interpreter. A person running the program still hands every
// argument to the app. The hooks allocate nothing (the new environment is
// on the stack): _posixsubprocess calls them between vfork and exec.
//
// Not covered, and documented in docs/runtime.md: relative paths (the
// current directory cannot be inside the tree: chdir says ENOTSUP), raw
// system calls (Go, io_uring), fts(3), and other programs, which exec'ing
// a file under ROOT cannot see.
//
// Cost outside ROOT: one compare, then the C library's function through a
// pointer; fstat adds a compare of st_dev once a file of the tree has been
// opened.
//
//===----------------------------------------------------------------------===//

#include "VfsFiles.h"
#include "VfsSystemCopies.h"

#include "pyox/vfs.h"

#include <alloca.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <new>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <utime.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

using namespace pyox::vfs;

// Entry points glibc exports but no longer declares (or declares only for
// _FORTIFY_SOURCE).
extern "C" {
int __open_2(const char *, int);
int __open64_2(const char *, int);
int __openat_2(int, const char *, int);
int __openat64_2(int, const char *, int);
char *__realpath_chk(const char *, char *, size_t);
ssize_t __readlink_chk(const char *, char *, size_t, size_t);
ssize_t __readlinkat_chk(int, const char *, char *, size_t, size_t);
int __xstat(int, const char *, struct stat *);
int __xstat64(int, const char *, struct stat64 *);
int __lxstat(int, const char *, struct stat *);
int __lxstat64(int, const char *, struct stat64 *);
int __fxstat(int, int, struct stat *);
int __fxstat64(int, int, struct stat64 *);
int __fxstatat(int, int, const char *, struct stat *, int);
int __fxstatat64(int, int, const char *, struct stat64 *, int);
int __xmknod(int, const char *, mode_t, dev_t *);
int __xmknodat(int, int, const char *, mode_t, dev_t *);
void __chk_fail(void) __attribute__((noreturn));
// pyox-run's glibc compat layer (tools/pyox-run/GlibcCompat.c): what to
// forward to when the C library does not export a function by that name.
__attribute__((weak)) void *pyox_glibc_compat_function(const char *);
}

// The C library's definitions, resolved once before main (and on first use
// for calls made before that, e.g. by a sanitizer runtime starting up).
// clang-format off
#define PYOX_VFS_FORWARDED(X) \
  X(open) X(open64) X(openat) X(openat64) X(creat) X(creat64) X(fopen) \
  X(fopen64) X(freopen) X(freopen64) X(stat) X(stat64) X(lstat) X(lstat64) \
  X(fstat) X(fstat64) X(fstatat) X(fstatat64) X(statx) X(statfs) \
  X(statfs64) X(statvfs) X(statvfs64) X(access) X(faccessat) X(euidaccess) \
  X(eaccess) X(readlink) X(readlinkat) X(realpath) \
  X(canonicalize_file_name) X(opendir) X(fdopendir) X(readdir) X(readdir64) \
  X(readdir_r) X(readdir64_r) X(closedir) X(rewinddir) X(telldir) \
  X(seekdir) X(dirfd) X(scandir) X(scandir64) X(glob) X(glob64) X(ftw) \
  X(ftw64) X(nftw) X(nftw64) X(dlopen) X(mkdir) X(mkdirat) X(unlink) \
  X(unlinkat) X(rmdir) X(rename) X(renameat) X(renameat2) X(link) X(linkat) \
  X(symlink) X(symlinkat) X(chmod) X(fchmod) X(fchmodat) X(lchmod) X(chown) \
  X(lchown) X(fchown) X(fchownat) X(truncate) X(truncate64) X(utime) \
  X(utimes) X(lutimes) X(futimes) X(futimesat) X(utimensat) X(futimens) \
  X(mknod) X(mknodat) X(mkfifo) X(mkfifoat) X(setxattr) X(lsetxattr) \
  X(fsetxattr) X(removexattr) X(lremovexattr) X(fremovexattr) X(getxattr) \
  X(lgetxattr) X(fgetxattr) X(listxattr) X(llistxattr) X(flistxattr) \
  X(chdir) X(fchdir) X(execve) X(execv) X(execvp) X(execvpe) X(posix_spawn) \
  X(posix_spawnp)
// clang-format on

namespace {

// readdir_r is deprecated, and still defined here for whoever calls it.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
#define PYOX_DECLARE_NEXT(name) decltype(&::name) Next_##name;
PYOX_VFS_FORWARDED(PYOX_DECLARE_NEXT)
#undef PYOX_DECLARE_NEXT
#pragma clang diagnostic pop

// glibc declares some path arguments nonnull that callers do pass as NULL
// (utimensat's is a Linux extension; statx's "" with AT_EMPTY_PATH): the
// compiler must not drop the checks for it.
template <class T> T *opaque(T *P) {
  asm("" : "+r"(P));
  return P;
}

template <class F> F resolveNext(F &Slot, const char *Name) {
  F P = __atomic_load_n(&Slot, __ATOMIC_ACQUIRE);
  if (!P) {
    P = reinterpret_cast<F>(dlsym(RTLD_NEXT, Name));
    if (!P && pyox_glibc_compat_function) // the stat family below glibc 2.33
      P = reinterpret_cast<F>(pyox_glibc_compat_function(Name));
    if (!P) {
      // Without the C library's function there is nothing to forward to.
      static const char Msg[] = "pyox: cannot find the C library's ";
      ssize_t W = write(2, Msg, sizeof(Msg) - 1);
      W = write(2, Name, strlen(Name));
      W = write(2, "\n", 1);
      (void)W;
      abort();
    }
    __atomic_store_n(&Slot, P, __ATOMIC_RELEASE);
  }
  return P;
}
#define NEXT(name) resolveNext(Next_##name, #name)

__attribute__((constructor)) void resolveAll() {
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
#define PYOX_RESOLVE(name) NEXT(name);
  PYOX_VFS_FORWARDED(PYOX_RESOLVE)
#undef PYOX_RESOLVE
#pragma clang diagnostic pop
}

int fail(int E) {
  errno = E;
  return -1;
}

template <class T> T *failNull(int E) {
  errno = E;
  return nullptr;
}

bool inside(const Resolved &R) { return R.Where != Resolved::Outside; }

// PATH relative to DIRFD: inside the tree when DIRFD is a directory of the
// tree, or PATH is absolute and under ROOT.
void resolveAtFd(int Dirfd, const char *Path, bool AsDir, Resolved &R) {
  if (Path && Path[0] != '/' && Dirfd != AT_FDCWD) {
    if (const Master *M = dirMasterOfFd(Dirfd)) {
      resolveAt(M->Rel, M->RelLen, Path, R);
      return;
    }
  }
  if (Path && Path[0] == '/') {
    resolve(Path, AsDir, R);
    return;
  }
  R.Where = Resolved::Outside;
  R.OutsidePath = Path;
}

// Every path-taking hook: PATH outside the tree goes to the C library's
// function (FORWARD, given the path to use: ROOT/.. is rewritten), inside
// it to the tree's answer (SERVE).
template <class Forward, class Serve>
auto onPath(const char *Path, bool AsDir, Forward F, Serve S) {
  Resolved R;
  resolve(Path, AsDir, R);
  return inside(R) ? S(R) : F(R.OutsidePath);
}

// The same for PATH relative to DIRFD.
template <class Forward, class Serve>
auto onPathAt(int Dirfd, const char *Path, bool AsDir, Forward F, Serve S) {
  Resolved R;
  resolveAtFd(Dirfd, Path, AsDir, R);
  return inside(R) ? S(R) : F(R.OutsidePath);
}

// --- open ---------------------------------------------------------------

// open(2) on a read-only tree; R is inside.
int openResolved(const Resolved &R, int Flags) {
  int Acc = Flags & O_ACCMODE;
  bool Write = Acc == O_WRONLY || Acc == O_RDWR;
  // O_TMPFILE contains the O_DIRECTORY bit: test it whole, first.
  bool TmpFile = (Flags & O_TMPFILE) == O_TMPFILE;
  if (R.Where == Resolved::Error) {
    if (R.Errno == ENOENT && R.ParentExists && (Flags & O_CREAT) && !TmpFile)
      return fail(EROFS);
    return fail(R.Errno);
  }
  if (TmpFile)
    return fail(R.N.Kind == NodeKind::Dir ? EROFS : ENOTDIR);
  if ((Flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
    return fail(EEXIST);
  if (R.N.Kind == NodeKind::Dir) {
    if (Write || (Flags & O_CREAT))
      return fail(EISDIR);
  } else {
    if (Flags & O_DIRECTORY)
      return fail(ENOTDIR);
    if (Write || (Flags & O_TRUNC))
      return fail(EROFS);
  }
  return openNode(R.N, R.Rel, R.RelLen, Flags);
}

mode_t modeArg(int Flags, va_list Ap) {
  if ((Flags & O_CREAT) || (Flags & O_TMPFILE) == O_TMPFILE)
    return mode_t(va_arg(Ap, int));
  return 0;
}

// The open flags of an fopen mode string.
int fopenFlags(const char *Mode) {
  int Flags = 0;
  switch (Mode[0]) {
  case 'r':
    Flags = O_RDONLY;
    break;
  case 'w':
    Flags = O_WRONLY | O_CREAT | O_TRUNC;
    break;
  case 'a':
    Flags = O_WRONLY | O_CREAT | O_APPEND;
    break;
  default:
    return -1;
  }
  for (const char *C = Mode + 1; *C; ++C) {
    if (*C == '+')
      Flags = (Flags & ~O_ACCMODE) | O_RDWR;
    else if (*C == 'x')
      Flags |= O_EXCL;
    else if (*C == 'e')
      Flags |= O_CLOEXEC;
  }
  return Flags;
}

FILE *fopenResolved(const Resolved &R, const char *Mode) {
  int Flags = fopenFlags(Mode);
  if (Flags < 0)
    return failNull<FILE>(EINVAL);
  int Fd = openResolved(R, Flags);
  if (Fd < 0)
    return nullptr;
  FILE *F = fdopen(Fd, Mode);
  if (!F) {
    int Err = errno;
    close(Fd);
    errno = Err;
  }
  return F;
}

FILE *freopenResolved(const Resolved &R, const char *Mode, FILE *Stream,
                      decltype(&::freopen) Next) {
  int Flags = fopenFlags(Mode);
  if (Flags < 0)
    return failNull<FILE>(EINVAL);
  int Fd = openResolved(R, Flags);
  if (Fd < 0)
    return nullptr;
  char Path[32];
  procPath(Fd, Path);
  FILE *F = Next(Path, Mode, Stream);
  int Err = errno;
  close(Fd);
  errno = Err;
  return F;
}

// --- stat ---------------------------------------------------------------

int statResolved(const Resolved &R, struct stat *St) {
  if (R.Where == Resolved::Error)
    return fail(R.Errno);
  fillStat(R.N, *St);
  return 0;
}

// After the C library's fstat of a descriptor: the tree's identity for a
// descriptor of the tree.
int fixFstat(int Result, struct stat *St) {
  if (Result == 0)
    if (const Master *M = masterOfStat(*St))
      fillStat(M->N, *St);
  return Result;
}

void fillStatx(const struct stat &St, struct statx *Out) {
  memset(Out, 0, sizeof(*Out));
  Out->stx_mask = STATX_BASIC_STATS;
  Out->stx_blksize = uint32_t(St.st_blksize);
  Out->stx_nlink = uint32_t(St.st_nlink);
  Out->stx_uid = St.st_uid;
  Out->stx_gid = St.st_gid;
  Out->stx_mode = uint16_t(St.st_mode);
  Out->stx_ino = St.st_ino;
  Out->stx_size = uint64_t(St.st_size);
  Out->stx_blocks = uint64_t(St.st_blocks);
  auto Ts = [](const timespec &T) {
    struct statx_timestamp S = {};
    S.tv_sec = T.tv_sec;
    S.tv_nsec = uint32_t(T.tv_nsec);
    return S;
  };
  Out->stx_atime = Ts(St.st_atim);
  Out->stx_mtime = Ts(St.st_mtim);
  Out->stx_ctime = Ts(St.st_ctim);
  Out->stx_dev_major = major(St.st_dev);
  Out->stx_dev_minor = minor(St.st_dev);
}

int fstatatImpl(int Dirfd, const char *Path, struct stat *St, int Flags) {
  if (opaque(Path) && !*Path && (Flags & AT_EMPTY_PATH))
    return fixFstat(NEXT(fstatat)(Dirfd, Path, St, Flags), St);
  return onPathAt(
      Dirfd, Path, false,
      [&](const char *P) { return NEXT(fstatat)(Dirfd, P, St, Flags); },
      [&](const Resolved &R) { return statResolved(R, St); });
}

// statvfs/statfs of the tree: the filesystem the program is on, marked
// read-only by SET_READ_ONLY.
template <class T, class F, class G>
int statfsResolved(const Resolved &R, T *Buf, F Next, G SetReadOnly) {
  if (R.Where == Resolved::Error)
    return fail(R.Errno);
  char Dir[PATH_MAX];
  size_t P = TheMount.ParentLen ? TheMount.ParentLen : 1;
  memcpy(Dir, TheMount.Root, P);
  Dir[P] = '\0';
  int Result = Next(Dir, Buf);
  if (Result == 0)
    SetReadOnly(*Buf);
  return Result;
}
auto StatfsReadOnly = [](auto &B) { B.f_flags |= ST_RDONLY; };
auto StatvfsReadOnly = [](auto &B) { B.f_flag |= ST_RDONLY; };

// --- access, readlink, realpath -----------------------------------------

int accessResolved(const Resolved &R, int Mode) {
  if (R.Where == Resolved::Error)
    return fail(R.Errno);
  if (Mode & W_OK)
    return fail(EROFS);
  if ((Mode & X_OK) && R.N.Kind == NodeKind::File && !R.N.Executable)
    return fail(EACCES);
  return 0;
}

ssize_t readlinkResolved(const Resolved &R) {
  return fail(R.Where == Resolved::Error ? R.Errno : EINVAL);
}

char *realpathResolved(const Resolved &R, char *Out) {
  if (R.Where == Resolved::Error)
    return failNull<char>(R.Errno);
  size_t Len = TheMount.RootLen + (R.RelLen ? R.RelLen + 1 : 0);
  if (Len >= PATH_MAX)
    return failNull<char>(ENAMETOOLONG);
  if (!Out && !(Out = static_cast<char *>(malloc(Len + 1))))
    return failNull<char>(ENOMEM);
  memcpy(Out, TheMount.Root, TheMount.RootLen);
  if (R.RelLen) {
    Out[TheMount.RootLen] = '/';
    memcpy(Out + TheMount.RootLen + 1, R.Rel, R.RelLen);
  }
  Out[Len] = '\0';
  return Out;
}

// --- directories --------------------------------------------------------

// The DIR of a directory of the tree. glibc's DIR starts with its
// descriptor, never negative; ours starts with -1 and a magic number.
struct VfsDir {
  int32_t Marker = -1;
  uint32_t Magic = 0x58595056; // "VPYX"
  int Fd;
  size_t Pos = 0;
  std::vector<DirItem> Items;
  struct dirent64 Entry;
};

VfsDir *asVfsDir(void *D) {
  VfsDir *V = static_cast<VfsDir *>(D);
  return V && V->Marker == -1 && V->Magic == 0x58595056 ? V : nullptr;
}

DIR *makeDir(int Fd, const char *Rel, size_t RelLen) {
  VfsDir *V = new (std::nothrow) VfsDir;
  if (!V) {
    close(Fd);
    return failNull<DIR>(ENOMEM);
  }
  V->Fd = Fd;
  V->Items = list(Rel, RelLen);
  return reinterpret_cast<DIR *>(V);
}

DIR *opendirResolved(const Resolved &R) {
  if (R.Where == Resolved::Error)
    return failNull<DIR>(R.Errno);
  if (R.N.Kind != NodeKind::Dir)
    return failNull<DIR>(ENOTDIR);
  int Fd = openNode(R.N, R.Rel, R.RelLen, O_CLOEXEC);
  if (Fd < 0)
    return nullptr;
  return makeDir(Fd, R.Rel, R.RelLen);
}

struct dirent64 *readVfsDir(VfsDir *V) {
  if (V->Pos >= V->Items.size())
    return nullptr;
  const DirItem &I = V->Items[V->Pos++];
  struct dirent64 &E = V->Entry;
  E.d_ino = I.Ino;
  E.d_off = off64_t(V->Pos);
  E.d_reclen = sizeof(E);
  E.d_type = I.IsDir ? DT_DIR : DT_REG;
  size_t N = I.Name.size() < sizeof(E.d_name) - 1 ? I.Name.size()
                                                  : sizeof(E.d_name) - 1;
  memcpy(E.d_name, I.Name.data(), N);
  E.d_name[N] = '\0';
  return &E;
}

// scandir over a directory of the tree, with glibc's semantics.
template <class Dirent>
int scandirVfs(const char *Dir, Dirent ***List, int (*Select)(const Dirent *),
               int (*Compare)(const Dirent **, const Dirent **)) {
  DIR *D = opendir(Dir);
  if (!D)
    return -1;
  std::vector<Dirent *> Out;
  VfsDir *V = asVfsDir(D);
  while (Dirent *E = V ? reinterpret_cast<Dirent *>(readVfsDir(V)) : nullptr) {
    if (Select && !Select(E))
      continue;
    Dirent *Copy = static_cast<Dirent *>(malloc(sizeof(Dirent)));
    if (!Copy) {
      for (Dirent *C : Out)
        free(C);
      closedir(D);
      return fail(ENOMEM);
    }
    memcpy(Copy, E, sizeof(Dirent));
    Out.push_back(Copy);
  }
  closedir(D);
  if (Compare)
    qsort(Out.data(), Out.size(), sizeof(Dirent *),
          reinterpret_cast<int (*)(const void *, const void *)>(Compare));
  Dirent **Array = static_cast<Dirent **>(
      malloc((Out.size() ? Out.size() : 1) * sizeof(Dirent *)));
  if (!Array) {
    for (Dirent *C : Out)
      free(C);
    return fail(ENOMEM);
  }
  memcpy(Array, Out.data(), Out.size() * sizeof(Dirent *));
  *List = Array;
  return int(Out.size());
}

// glob over the tree: glibc's own glob, given this file's directory and
// stat functions (GLOB_ALTDIRFUNC).
void *globOpendir(const char *Path) { return opendir(Path); }
void *globReaddir(void *D) { return readdir64(static_cast<DIR *>(D)); }
void globClosedir(void *D) { closedir(static_cast<DIR *>(D)); }

bool globWantsTree(const char *Pattern, int Flags) {
  return Pattern && !(Flags & GLOB_ALTDIRFUNC) && mounted() &&
         strncmp(Pattern, TheMount.Root, TheMount.RootLen) == 0 &&
         Pattern[TheMount.RootLen] == '/';
}

template <class GlobT, class StatT>
void setGlobFunctions(GlobT *G, int (*Stat)(const char *, StatT *),
                      int (*Lstat)(const char *, StatT *)) {
  G->gl_opendir = globOpendir;
  G->gl_readdir = reinterpret_cast<decltype(G->gl_readdir)>(globReaddir);
  G->gl_closedir = globClosedir;
  G->gl_stat = Stat;
  G->gl_lstat = Lstat;
}

// nftw/ftw over the tree.
struct TreeWalk {
  int (*Nftw)(const char *, const struct stat *, int, struct FTW *);
  int (*Ftw)(const char *, const struct stat *, int);
  int Flags;
  std::string Path;
};

int callWalk(TreeWalk &W, const struct stat *St, int Type, int Base,
             int Level) {
  if (W.Ftw)
    return W.Ftw(W.Path.c_str(), St, Type == FTW_DP ? FTW_D : Type);
  struct FTW F = {Base, Level};
  return W.Nftw(W.Path.c_str(), St, Type, &F);
}

// Visits W.Path (BASE: offset of its last component); returns the value
// that ends the walk, or 0 to go on. With FTW_ACTIONRETVAL, SKIP_SIBLINGS
// is returned to the caller's loop through *SKIP.
int walkTree(TreeWalk &W, int Base, int Level, bool *SkipSiblings) {
  bool Action = W.Flags & FTW_ACTIONRETVAL;
  struct stat St;
  if (stat(W.Path.c_str(), &St) != 0) {
    int R = callWalk(W, &St, FTW_NS, Base, Level);
    return Action && R != FTW_STOP ? 0 : R;
  }
  if (!S_ISDIR(St.st_mode)) {
    int R = callWalk(W, &St, FTW_F, Base, Level);
    if (Action) {
      if (R == FTW_SKIP_SIBLINGS)
        *SkipSiblings = true;
      return R == FTW_STOP ? R : 0;
    }
    return R;
  }
  bool Depth = W.Flags & FTW_DEPTH;
  if (!Depth) {
    int R = callWalk(W, &St, FTW_D, Base, Level);
    if (Action) {
      if (R == FTW_STOP)
        return R;
      if (R == FTW_SKIP_SIBLINGS)
        *SkipSiblings = true;
      if (R == FTW_SKIP_SUBTREE || R == FTW_SKIP_SIBLINGS)
        return 0;
    } else if (R) {
      return R;
    }
  }
  DIR *D = opendir(W.Path.c_str());
  if (!D) {
    int R = callWalk(W, &St, FTW_DNR, Base, Level);
    return Action && R != FTW_STOP ? 0 : R;
  }
  size_t Len = W.Path.size();
  bool Skip = false;
  while (struct dirent64 *E = readdir64(D)) {
    if (!strcmp(E->d_name, ".") || !strcmp(E->d_name, ".."))
      continue;
    W.Path.resize(Len);
    W.Path += '/';
    W.Path += E->d_name;
    int R = walkTree(W, int(Len + 1), Level + 1, &Skip);
    if (R) {
      closedir(D);
      return R;
    }
    if (Skip)
      break;
  }
  closedir(D);
  W.Path.resize(Len);
  if (Depth) {
    int R = callWalk(W, &St, FTW_DP, Base, Level);
    if (Action) {
      if (R == FTW_SKIP_SIBLINGS)
        *SkipSiblings = true;
      return R == FTW_STOP ? R : 0;
    }
    return R;
  }
  return 0;
}

int walkResolved(const Resolved &R, const char *Dir, TreeWalk W) {
  if (R.Where == Resolved::Error)
    return fail(R.Errno);
  if (W.Flags & FTW_CHDIR)
    return fail(ENOTSUP); // the working directory cannot be in the tree
  W.Path = Dir;
  while (W.Path.size() > 1 && W.Path.back() == '/')
    W.Path.pop_back();
  size_t Slash = W.Path.rfind('/');
  bool Skip = false;
  int Result = walkTree(W, int(Slash + 1), 0, &Skip);
  return (W.Flags & FTW_ACTIONRETVAL) && Result != FTW_STOP ? 0 : Result;
}

// --- dlopen -------------------------------------------------------------

// The libraries an object needs are loaded before it (dlopenNode), and each
// is first decompressed into its memfd: for _ssl, a carried libssl (0.7 MB)
// and libcrypto (4.7 MB), ~6.5 ms of decompression where python3.11 maps
// files it has. Nothing orders the decompressions, only the loads: so the
// needed libraries that have no memfd yet are made side by side, largest
// first, by the calling thread and at most one helper thread per other CPU
// the process may run on, and then loaded in order as before; the import
// waits for the largest alone. Helpers block every signal, touch nothing
// of Python's and are joined before dlopen returns. masterOf is safe to
// race (VfsFiles.cpp); a library a helper could not make is made again by
// the load that needs it, which reports the failure (damage ends the
// program from whichever thread finds it, with the same message).
// A dlopen from an ELF constructor comes here with ld.so's load lock held
// by this thread. For the new thread's TLS, pthread_create takes no lock
// before glibc 2.34, that same lock again, recursively, in 2.34, and from
// 2.35 a lock of its own that ld.so does not hold while constructors run
// (glibc bug 28357); the helpers take no lock of ld.so's
// (test/vfs/dlopen-in-constructor.test).
struct NeededLibrary {
  std::string Rel;
  Node N;
};

void collectNeeded(const char *Rel, size_t Len, void *Ctx) {
  Node N = lookup(Rel, Len);
  if (N.Kind == NodeKind::File)
    static_cast<std::vector<NeededLibrary> *>(Ctx)->push_back(
        {std::string(Rel, Len), N});
}

struct MakeQueue {
  std::vector<const NeededLibrary *> Libraries;
  std::atomic<size_t> Next{0};
};

void *makeQueuedMasters(void *Queue) {
  MakeQueue &Q = *static_cast<MakeQueue *>(Queue);
  for (size_t I; (I = Q.Next.fetch_add(1)) < Q.Libraries.size();) {
    const NeededLibrary &L = *Q.Libraries[I];
    masterOf(L.N, L.Rel.data(), L.Rel.size());
  }
  return nullptr;
}

void makeMastersTogether(const std::vector<NeededLibrary> &Needed) {
  MakeQueue Q;
  for (const NeededLibrary &L : Needed)
    if (L.N.Entry && !madeMaster(L.N) &&
        systemCopyOf(L.N, L.Rel.data(), L.Rel.size()) < 0)
      Q.Libraries.push_back(&L);
  cpu_set_t Cpus;
  size_t Helpers = 0;
  if (Q.Libraries.size() > 1 &&
      sched_getaffinity(0, sizeof(Cpus), &Cpus) == 0 && CPU_COUNT(&Cpus) > 1)
    Helpers = std::min(Q.Libraries.size(), size_t(CPU_COUNT(&Cpus))) - 1;
  if (!Helpers)
    return; // each is made by the load that needs it
  std::sort(Q.Libraries.begin(), Q.Libraries.end(),
            [](const NeededLibrary *A, const NeededLibrary *B) {
              return pyox_entry_content_size(A->N.Entry) >
                     pyox_entry_content_size(B->N.Entry);
            });
  sigset_t All, Old;
  sigfillset(&All);
  pthread_sigmask(SIG_SETMASK, &All, &Old);
  std::vector<pthread_t> Threads;
  for (size_t I = 0; I < Helpers; ++I) {
    pthread_t T;
    if (pthread_create(&T, nullptr, makeQueuedMasters, &Q) == 0)
      Threads.push_back(T);
  }
  pthread_sigmask(SIG_SETMASK, &Old, nullptr);
  makeQueuedMasters(&Q);
  for (pthread_t T : Threads)
    pthread_join(T, nullptr);
}

// Loads a shared object of the tree from its master memfd, or from the
// system's identical copy of it (VfsSystemCopies.h), after the DT_NEEDED
// libraries its RUNPATH finds in the tree: ld.so then matches them by
// soname instead of searching the filesystem, where they are not.
void *dlopenNode(const Node &N, const char *Rel, size_t RelLen, int Mode,
                 int Depth) {
  int Fd = systemCopyOf(N, Rel, RelLen);
  const Master *M = nullptr;
  if (Fd < 0) {
    if (!(M = masterOf(N, Rel, RelLen)))
      return nullptr;
    Fd = M->Fd;
  }
  if (N.Entry && Depth < 16 && !(Mode & RTLD_NOLOAD)) {
    // The headers are read from the file ld.so maps, where the object is
    // whole (payload entries may be compressed).
    std::vector<NeededLibrary> Needed;
    uint64_t Size = pyox_entry_content_size(N.Entry);
    struct stat St; // a system copy is the file as read, before lowering
    if (!M && syscall(SYS_newfstatat, Fd, "", &St, AT_EMPTY_PATH) == 0)
      Size = uint64_t(St.st_size);
    void *Image =
        Size ? mmap(nullptr, Size, PROT_READ, MAP_SHARED, Fd, 0) : MAP_FAILED;
    if (Image != MAP_FAILED) {
      forEachBundledNeeded(static_cast<const uint8_t *>(Image), Size, Rel,
                           RelLen, collectNeeded, &Needed);
      munmap(Image, Size);
    }
    makeMastersTogether(Needed);
    for (const NeededLibrary &L : Needed)
      dlopenNode(L.N, L.Rel.data(), L.Rel.size(), Mode, Depth + 1);
  }
  char Path[32];
  procPath(Fd, Path);
  return NEXT(dlopen)(Path, Mode);
}

// --- writes -------------------------------------------------------------

// The errno of a change to an existing name (IF_EXISTS) or the creation of
// a new one (EROFS) on a read-only tree.
int refuse(const Resolved &R, int IfExists) {
  if (R.Where == Resolved::Error)
    return fail(R.Errno == ENOENT && R.ParentExists ? EROFS : R.Errno);
  return fail(IfExists);
}

// Changes to an existing name only (chmod, utimes, truncate, xattrs).
int refuseChange(const Resolved &R) {
  return fail(R.Where == Resolved::Error ? R.Errno : EROFS);
}

// unlink and rmdir: the kernel asks for write access to the directory
// before it looks the name up.
int refuseRemove(const Resolved &R) {
  if (R.Where == Resolved::Error && !(R.Errno == ENOENT && R.ParentExists))
    return fail(R.Errno);
  return fail(EROFS);
}

// rename and link between OLD and NEW, at least one inside. rename asks
// for write access before it looks OLD up; link looks it up first.
int refusePair(const Resolved &Old, const Resolved &New, bool IsLink) {
  if (inside(Old) && Old.Where == Resolved::Error &&
      (IsLink || !(Old.Errno == ENOENT && Old.ParentExists)))
    return fail(Old.Errno);
  if (inside(Old) != inside(New))
    return fail(EXDEV);
  return fail(EROFS);
}

// --- exec ---------------------------------------------------------------

bool isInterpreter(const char *Path) {
  if (!mounted() || !Path || strncmp(Path, TheMount.Root, TheMount.RootLen))
    return false;
  Resolved R;
  resolve(Path, false, R);
  return R.Where == Resolved::Inside && R.N.Interpreter;
}

size_t countEntries(char *const *List) {
  size_t N = 0;
  while (List && List[N])
    ++N;
  return N;
}

// ENV without any PYOX_INTERPRETER entry, plus ours, into OUT (room for
// countEntries(ENV) + 2 pointers).
char **withMarker(char *const *Env, char **Out) {
  size_t L = sizeof(InterpreterVariable) - 1, N = 0;
  for (char *const *E = Env; E && *E; ++E)
    if (strncmp(*E, InterpreterVariable, L) != 0 || (*E)[L] != '=')
      Out[N++] = *E;
  Out[N++] = TheMount.InterpreterMarker;
  Out[N] = nullptr;
  return Out;
}

// The environment an exec of the interpreter gets, on the caller's stack.
#define PYOX_MARKED_ENV(Env)                                                   \
  withMarker(Env, static_cast<char **>(                                        \
                      alloca((countEntries(Env) + 2) * sizeof(char *))))

// The arguments of execl/execle/execlp as an array on the caller's stack
// (and, for execle, the environment after them).
#define PYOX_VARARGS_ARGV(First, Argv, Envp)                                   \
  do {                                                                         \
    va_list Ap, Count;                                                         \
    va_start(Ap, First);                                                       \
    va_copy(Count, Ap);                                                        \
    size_t N = 1;                                                              \
    while (va_arg(Count, char *))                                              \
      ++N;                                                                     \
    va_end(Count);                                                             \
    Argv = static_cast<char **>(alloca((N + 1) * sizeof(char *)));             \
    Argv[0] = const_cast<char *>(First);                                       \
    for (size_t I = 1; I <= N; ++I)                                            \
      Argv[I] = I < N ? va_arg(Ap, char *) : nullptr;                          \
    if (Envp)                                                                  \
      *Envp = va_arg(Ap, char **);                                             \
    va_end(Ap);                                                                \
  } while (0)

} // namespace

// ===--- The entry points ---=== //

extern "C" {

int pyox_vfs_mount(const pyox_payload *P, const char *Root, unsigned Flags,
                   const char **Error) {
  Mount &M = TheMount;
  if (mounted()) {
    *Error = "the virtual filesystem is already mounted";
    return -1;
  }
  size_t Len = Root ? strlen(Root) : 0;
  if (Len < 2 || Root[0] != '/' || Root[Len - 1] == '/') {
    *Error = "the virtual filesystem root must be an absolute file path";
    return -1;
  }
  if (Len >= sizeof(M.Root)) {
    *Error = "the virtual filesystem root path is too long";
    return -1;
  }
  if (NEXT(stat)(Root, &M.RootStat) != 0 || !S_ISREG(M.RootStat.st_mode)) {
    *Error = "the virtual filesystem root is not a regular file";
    return -1;
  }
  memcpy(M.Root, Root, Len + 1);
  M.RootLen = Len;
  M.ParentLen = size_t(strrchr(Root, '/') - Root);
  M.RootDirIno = dirIno("", 0);
  M.FileMapped = Flags & PYOX_VFS_FILE_MAPPED;
  memcpy(M.InterpreterMarker, InterpreterVariable,
         sizeof(InterpreterVariable) - 1);
  M.InterpreterMarker[sizeof(InterpreterVariable) - 1] = '=';
  memcpy(M.InterpreterMarker + sizeof(InterpreterVariable), Root, Len + 1);
  findMissingHostData(P, M);
  __atomic_store_n(&M.P, P, __ATOMIC_RELEASE);
  return 0;
}

int pyox_vfs_mounted(void) { return mounted() ? 1 : 0; }

// open

int open(const char *Path, int Flags, ...) {
  va_list Ap;
  va_start(Ap, Flags);
  mode_t Mode = modeArg(Flags, Ap);
  va_end(Ap);
  return onPath(
      Path, Flags & O_DIRECTORY,
      [&](const char *P) { return NEXT(open)(P, Flags, Mode); },
      [&](const Resolved &R) { return openResolved(R, Flags); });
}

int open64(const char *Path, int Flags, ...) {
  va_list Ap;
  va_start(Ap, Flags);
  mode_t Mode = modeArg(Flags, Ap);
  va_end(Ap);
  return onPath(
      Path, Flags & O_DIRECTORY,
      [&](const char *P) { return NEXT(open64)(P, Flags, Mode); },
      [&](const Resolved &R) { return openResolved(R, Flags); });
}

int openat(int Dirfd, const char *Path, int Flags, ...) {
  va_list Ap;
  va_start(Ap, Flags);
  mode_t Mode = modeArg(Flags, Ap);
  va_end(Ap);
  return onPathAt(
      Dirfd, Path, Flags & O_DIRECTORY,
      [&](const char *P) { return NEXT(openat)(Dirfd, P, Flags, Mode); },
      [&](const Resolved &R) { return openResolved(R, Flags); });
}

int openat64(int Dirfd, const char *Path, int Flags, ...) {
  va_list Ap;
  va_start(Ap, Flags);
  mode_t Mode = modeArg(Flags, Ap);
  va_end(Ap);
  return onPathAt(
      Dirfd, Path, Flags & O_DIRECTORY,
      [&](const char *P) { return NEXT(openat64)(Dirfd, P, Flags, Mode); },
      [&](const Resolved &R) { return openResolved(R, Flags); });
}

// The fortified forms check that O_CREAT comes with a mode: these never
// get one.
int __open_2(const char *Path, int Flags) {
  if (Flags & O_CREAT)
    __chk_fail();
  return open(Path, Flags);
}
int __open64_2(const char *Path, int Flags) {
  if (Flags & O_CREAT)
    __chk_fail();
  return open64(Path, Flags);
}
int __openat_2(int Dirfd, const char *Path, int Flags) {
  if (Flags & O_CREAT)
    __chk_fail();
  return openat(Dirfd, Path, Flags);
}
int __openat64_2(int Dirfd, const char *Path, int Flags) {
  if (Flags & O_CREAT)
    __chk_fail();
  return openat64(Dirfd, Path, Flags);
}

int creat(const char *Path, mode_t Mode) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(creat)(P, Mode); },
      [&](const Resolved &R) {
        return openResolved(R, O_WRONLY | O_CREAT | O_TRUNC);
      });
}
int creat64(const char *Path, mode_t Mode) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(creat64)(P, Mode); },
      [&](const Resolved &R) {
        return openResolved(R, O_WRONLY | O_CREAT | O_TRUNC);
      });
}

FILE *fopen(const char *Path, const char *Mode) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(fopen)(P, Mode); },
      [&](const Resolved &R) { return fopenResolved(R, Mode); });
}
FILE *fopen64(const char *Path, const char *Mode) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(fopen64)(P, Mode); },
      [&](const Resolved &R) { return fopenResolved(R, Mode); });
}

FILE *freopen(const char *Path, const char *Mode, FILE *Stream) {
  return onPath(
      Path, false,
      [&](const char *P) { return NEXT(freopen)(P, Mode, Stream); },
      [&](const Resolved &R) {
        return freopenResolved(R, Mode, Stream, NEXT(freopen));
      });
}
FILE *freopen64(const char *Path, const char *Mode, FILE *Stream) {
  return onPath(
      Path, false,
      [&](const char *P) { return NEXT(freopen64)(P, Mode, Stream); },
      [&](const Resolved &R) {
        return freopenResolved(R, Mode, Stream, NEXT(freopen64));
      });
}

// stat

int stat(const char *Path, struct stat *St) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(stat)(P, St); },
      [&](const Resolved &R) { return statResolved(R, St); });
}
int stat64(const char *Path, struct stat64 *St) {
  return stat(Path, reinterpret_cast<struct stat *>(St));
}
// The tree has no symbolic links: lstat is stat.
int lstat(const char *Path, struct stat *St) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(lstat)(P, St); },
      [&](const Resolved &R) { return statResolved(R, St); });
}
int lstat64(const char *Path, struct stat64 *St) {
  return lstat(Path, reinterpret_cast<struct stat *>(St));
}
int fstat(int Fd, struct stat *St) { return fixFstat(NEXT(fstat)(Fd, St), St); }
int fstat64(int Fd, struct stat64 *St) {
  return fstat(Fd, reinterpret_cast<struct stat *>(St));
}
int fstatat(int Dirfd, const char *Path, struct stat *St, int Flags) {
  return fstatatImpl(Dirfd, Path, St, Flags);
}
int fstatat64(int Dirfd, const char *Path, struct stat64 *St, int Flags) {
  return fstatatImpl(Dirfd, Path, reinterpret_cast<struct stat *>(St), Flags);
}

int statx(int Dirfd, const char *Path, int Flags, unsigned Mask,
          struct statx *Out) {
  if (!opaque(Path) || (!*Path && (Flags & AT_EMPTY_PATH))) {
    int Result = NEXT(statx)(Dirfd, Path, Flags, Mask, Out);
    if (Result == 0) {
      struct stat St = {};
      St.st_dev = makedev(Out->stx_dev_major, Out->stx_dev_minor);
      St.st_ino = Out->stx_ino;
      if (const Master *M = masterOfStat(St)) {
        fillStat(M->N, St);
        fillStatx(St, Out);
      }
    }
    return Result;
  }
  Resolved R;
  resolveAtFd(Dirfd, Path, false, R);
  if (!inside(R))
    return NEXT(statx)(Dirfd, R.OutsidePath, Flags, Mask, Out);
  struct stat St;
  if (statResolved(R, &St) != 0)
    return -1;
  fillStatx(St, Out);
  return 0;
}

// The pre-2.33 entry points; struct stat is the kernel's on x86-64 and
// AArch64, whatever the version argument says.
int __xstat(int, const char *Path, struct stat *St) { return stat(Path, St); }
int __xstat64(int, const char *Path, struct stat64 *St) {
  return stat64(Path, St);
}
int __lxstat(int, const char *Path, struct stat *St) { return lstat(Path, St); }
int __lxstat64(int, const char *Path, struct stat64 *St) {
  return lstat64(Path, St);
}
int __fxstat(int, int Fd, struct stat *St) { return fstat(Fd, St); }
int __fxstat64(int, int Fd, struct stat64 *St) { return fstat64(Fd, St); }
int __fxstatat(int, int Dirfd, const char *Path, struct stat *St, int Flags) {
  return fstatat(Dirfd, Path, St, Flags);
}
int __fxstatat64(int, int Dirfd, const char *Path, struct stat64 *St,
                 int Flags) {
  return fstatat64(Dirfd, Path, St, Flags);
}

int statfs(const char *Path, struct statfs *Buf) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(statfs)(P, Buf); },
      [&](const Resolved &R) {
        return statfsResolved(R, Buf, NEXT(statfs), StatfsReadOnly);
      });
}
int statfs64(const char *Path, struct statfs64 *Buf) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(statfs64)(P, Buf); },
      [&](const Resolved &R) {
        return statfsResolved(R, Buf, NEXT(statfs64), StatfsReadOnly);
      });
}
int statvfs(const char *Path, struct statvfs *Buf) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(statvfs)(P, Buf); },
      [&](const Resolved &R) {
        return statfsResolved(R, Buf, NEXT(statvfs), StatvfsReadOnly);
      });
}
int statvfs64(const char *Path, struct statvfs64 *Buf) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(statvfs64)(P, Buf); },
      [&](const Resolved &R) {
        return statfsResolved(R, Buf, NEXT(statvfs64), StatvfsReadOnly);
      });
}

// access

int access(const char *Path, int Mode) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(access)(P, Mode); },
      [&](const Resolved &R) { return accessResolved(R, Mode); });
}
int faccessat(int Dirfd, const char *Path, int Mode, int Flags) {
  return onPathAt(
      Dirfd, Path, false,
      [&](const char *P) { return NEXT(faccessat)(Dirfd, P, Mode, Flags); },
      [&](const Resolved &R) { return accessResolved(R, Mode); });
}
int euidaccess(const char *Path, int Mode) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(euidaccess)(P, Mode); },
      [&](const Resolved &R) { return accessResolved(R, Mode); });
}
int eaccess(const char *Path, int Mode) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(eaccess)(P, Mode); },
      [&](const Resolved &R) { return accessResolved(R, Mode); });
}

// readlink: nothing in the tree is a link.

ssize_t readlink(const char *Path, char *Buf, size_t Size) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(readlink)(P, Buf, Size); },
      [&](const Resolved &R) { return readlinkResolved(R); });
}
ssize_t readlinkat(int Dirfd, const char *Path, char *Buf, size_t Size) {
  return onPathAt(
      Dirfd, Path, false,
      [&](const char *P) { return NEXT(readlinkat)(Dirfd, P, Buf, Size); },
      [&](const Resolved &R) { return readlinkResolved(R); });
}
ssize_t __readlink_chk(const char *Path, char *Buf, size_t Size,
                       size_t BufSize) {
  if (Size > BufSize)
    __chk_fail();
  return readlink(Path, Buf, Size);
}
ssize_t __readlinkat_chk(int Dirfd, const char *Path, char *Buf, size_t Size,
                         size_t BufSize) {
  if (Size > BufSize)
    __chk_fail();
  return readlinkat(Dirfd, Path, Buf, Size);
}

char *realpath(const char *Path, char *Out) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(realpath)(P, Out); },
      [&](const Resolved &R) { return realpathResolved(R, Out); });
}
char *__realpath_chk(const char *Path, char *Out, size_t OutSize) {
  if (Out && OutSize < PATH_MAX)
    __chk_fail();
  return realpath(Path, Out);
}
char *canonicalize_file_name(const char *Path) {
  return onPath(
      Path, false,
      [&](const char *P) { return NEXT(canonicalize_file_name)(P); },
      [&](const Resolved &R) { return realpathResolved(R, nullptr); });
}

// directories

DIR *opendir(const char *Path) {
  return onPath(
      Path, true, [&](const char *P) { return NEXT(opendir)(P); },
      [&](const Resolved &R) { return opendirResolved(R); });
}

DIR *fdopendir(int Fd) {
  if (const Master *M = dirMasterOfFd(Fd))
    return makeDir(Fd, M->Rel, M->RelLen);
  return NEXT(fdopendir)(Fd);
}

struct dirent *readdir(DIR *D) {
  if (VfsDir *V = asVfsDir(D))
    return reinterpret_cast<struct dirent *>(readVfsDir(V));
  return NEXT(readdir)(D);
}
struct dirent64 *readdir64(DIR *D) {
  if (VfsDir *V = asVfsDir(D))
    return readVfsDir(V);
  return NEXT(readdir64)(D);
}
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
int readdir_r(DIR *D, struct dirent *Entry, struct dirent **Result) {
  if (VfsDir *V = asVfsDir(D)) {
    struct dirent64 *E = readVfsDir(V);
    if (E)
      memcpy(Entry, E, sizeof(*Entry));
    *Result = E ? Entry : nullptr;
    return 0;
  }
  return NEXT(readdir_r)(D, Entry, Result);
}
int readdir64_r(DIR *D, struct dirent64 *Entry, struct dirent64 **Result) {
  if (VfsDir *V = asVfsDir(D)) {
    struct dirent64 *E = readVfsDir(V);
    if (E)
      memcpy(Entry, E, sizeof(*Entry));
    *Result = E ? Entry : nullptr;
    return 0;
  }
  return NEXT(readdir64_r)(D, Entry, Result);
}
#pragma clang diagnostic pop
int closedir(DIR *D) {
  if (VfsDir *V = asVfsDir(D)) {
    int Fd = V->Fd;
    V->Marker = 0;
    delete V;
    return close(Fd);
  }
  return NEXT(closedir)(D);
}
void rewinddir(DIR *D) {
  if (VfsDir *V = asVfsDir(D)) {
    V->Pos = 0;
    return;
  }
  NEXT(rewinddir)(D);
}
long telldir(DIR *D) {
  if (VfsDir *V = asVfsDir(D))
    return long(V->Pos);
  return NEXT(telldir)(D);
}
void seekdir(DIR *D, long Pos) {
  if (VfsDir *V = asVfsDir(D)) {
    V->Pos = Pos < 0 ? 0 : size_t(Pos);
    return;
  }
  NEXT(seekdir)(D, Pos);
}
int dirfd(DIR *D) {
  if (VfsDir *V = asVfsDir(D))
    return V->Fd;
  return NEXT(dirfd)(D);
}

int scandir(const char *Dir, struct dirent ***List,
            int (*Select)(const struct dirent *),
            int (*Compare)(const struct dirent **, const struct dirent **)) {
  return onPath(
      Dir, true,
      [&](const char *P) { return NEXT(scandir)(P, List, Select, Compare); },
      [&](const Resolved &) { return scandirVfs(Dir, List, Select, Compare); });
}
int scandir64(const char *Dir, struct dirent64 ***List,
              int (*Select)(const struct dirent64 *),
              int (*Compare)(const struct dirent64 **,
                             const struct dirent64 **)) {
  return onPath(
      Dir, true,
      [&](const char *P) { return NEXT(scandir64)(P, List, Select, Compare); },
      [&](const Resolved &) { return scandirVfs(Dir, List, Select, Compare); });
}

int glob(const char *Pattern, int Flags, int (*Err)(const char *, int),
         glob_t *G) {
  if (!globWantsTree(Pattern, Flags))
    return NEXT(glob)(Pattern, Flags, Err, G);
  setGlobFunctions(G, &::stat, &::lstat);
  return NEXT(glob)(Pattern, Flags | GLOB_ALTDIRFUNC, Err, G);
}
int glob64(const char *Pattern, int Flags, int (*Err)(const char *, int),
           glob64_t *G) {
  if (!globWantsTree(Pattern, Flags))
    return NEXT(glob64)(Pattern, Flags, Err, G);
  setGlobFunctions(G, &::stat64, &::lstat64);
  return NEXT(glob64)(Pattern, Flags | GLOB_ALTDIRFUNC, Err, G);
}

int ftw(const char *Dir, __ftw_func_t Fn, int Fds) {
  return onPath(
      Dir, true, [&](const char *P) { return NEXT(ftw)(P, Fn, Fds); },
      [&](const Resolved &R) {
        return walkResolved(R, Dir, {nullptr, Fn, 0, {}});
      });
}
int ftw64(const char *Dir, __ftw64_func_t Fn, int Fds) {
  return onPath(
      Dir, true, [&](const char *P) { return NEXT(ftw64)(P, Fn, Fds); },
      [&](const Resolved &R) {
        return walkResolved(
            R, Dir, {nullptr, reinterpret_cast<__ftw_func_t>(Fn), 0, {}});
      });
}
int nftw(const char *Dir, __nftw_func_t Fn, int Fds, int Flags) {
  return onPath(
      Dir, true, [&](const char *P) { return NEXT(nftw)(P, Fn, Fds, Flags); },
      [&](const Resolved &R) {
        return walkResolved(R, Dir, {Fn, nullptr, Flags, {}});
      });
}
int nftw64(const char *Dir, __nftw64_func_t Fn, int Fds, int Flags) {
  return onPath(
      Dir, true, [&](const char *P) { return NEXT(nftw64)(P, Fn, Fds, Flags); },
      [&](const Resolved &R) {
        return walkResolved(
            R, Dir, {reinterpret_cast<__nftw_func_t>(Fn), nullptr, Flags, {}});
      });
}

// dlopen. For paths outside the tree the C library's dlopen must see the
// caller's return address (it decides whose RUNPATH and namespace apply),
// so the call is a guaranteed tail call.
void *dlopen(const char *File, int Mode) {
  if (!File || File[0] != '/' || !mounted() ||
      strncmp(File, TheMount.Root, TheMount.RootLen) != 0 ||
      File[TheMount.RootLen] != '/') [[clang::musttail]]
    return NEXT(dlopen)(File, Mode);
  Resolved R;
  resolve(File, false, R);
  if (R.Where == Resolved::Outside)
    return NEXT(dlopen)(R.OutsidePath, Mode);
  if (R.Where == Resolved::Error || R.N.Kind != NodeKind::File)
    return NEXT(dlopen)(File, Mode); // the C library's message for it
  if (R.N.Interpreter)
    return NEXT(dlopen)(TheMount.Root, Mode);
  return dlopenNode(R.N, R.Rel, R.RelLen, Mode, 0);
}

// writes

int mkdir(const char *Path, mode_t Mode) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(mkdir)(P, Mode); },
      [&](const Resolved &R) { return refuse(R, EEXIST); });
}
int mkdirat(int Dirfd, const char *Path, mode_t Mode) {
  return onPathAt(
      Dirfd, Path, false,
      [&](const char *P) { return NEXT(mkdirat)(Dirfd, P, Mode); },
      [&](const Resolved &R) { return refuse(R, EEXIST); });
}
int unlink(const char *Path) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(unlink)(P); },
      [&](const Resolved &R) { return refuseRemove(R); });
}
int unlinkat(int Dirfd, const char *Path, int Flags) {
  return onPathAt(
      Dirfd, Path, false,
      [&](const char *P) { return NEXT(unlinkat)(Dirfd, P, Flags); },
      [&](const Resolved &R) { return refuseRemove(R); });
}
int rmdir(const char *Path) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(rmdir)(P); },
      [&](const Resolved &R) { return refuseRemove(R); });
}
int rename(const char *Old, const char *New) {
  Resolved RO, RN;
  resolve(Old, false, RO);
  resolve(New, false, RN);
  if (!inside(RO) && !inside(RN))
    return NEXT(rename)(RO.OutsidePath, RN.OutsidePath);
  return refusePair(RO, RN, false);
}
int renameat(int OldDirfd, const char *Old, int NewDirfd, const char *New) {
  Resolved RO, RN;
  resolveAtFd(OldDirfd, Old, false, RO);
  resolveAtFd(NewDirfd, New, false, RN);
  if (!inside(RO) && !inside(RN))
    return NEXT(renameat)(OldDirfd, RO.OutsidePath, NewDirfd, RN.OutsidePath);
  return refusePair(RO, RN, false);
}
int renameat2(int OldDirfd, const char *Old, int NewDirfd, const char *New,
              unsigned Flags) {
  Resolved RO, RN;
  resolveAtFd(OldDirfd, Old, false, RO);
  resolveAtFd(NewDirfd, New, false, RN);
  if (!inside(RO) && !inside(RN))
    return NEXT(renameat2)(OldDirfd, RO.OutsidePath, NewDirfd, RN.OutsidePath,
                           Flags);
  return refusePair(RO, RN, false);
}
int link(const char *Old, const char *New) {
  Resolved RO, RN;
  resolve(Old, false, RO);
  resolve(New, false, RN);
  if (!inside(RO) && !inside(RN))
    return NEXT(link)(RO.OutsidePath, RN.OutsidePath);
  if (inside(RN) && RN.Where == Resolved::Inside)
    return fail(EEXIST);
  return refusePair(RO, RN, true);
}
int linkat(int OldDirfd, const char *Old, int NewDirfd, const char *New,
           int Flags) {
  Resolved RO, RN;
  resolveAtFd(OldDirfd, Old, false, RO);
  resolveAtFd(NewDirfd, New, false, RN);
  if (!inside(RO) && !inside(RN))
    return NEXT(linkat)(OldDirfd, RO.OutsidePath, NewDirfd, RN.OutsidePath,
                        Flags);
  if (inside(RN) && RN.Where == Resolved::Inside)
    return fail(EEXIST);
  return refusePair(RO, RN, true);
}
int symlink(const char *Target, const char *Path) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(symlink)(Target, P); },
      [&](const Resolved &R) { return refuse(R, EEXIST); });
}
int symlinkat(const char *Target, int Dirfd, const char *Path) {
  return onPathAt(
      Dirfd, Path, false,
      [&](const char *P) { return NEXT(symlinkat)(Target, Dirfd, P); },
      [&](const Resolved &R) { return refuse(R, EEXIST); });
}
int mknod(const char *Path, mode_t Mode, dev_t Dev) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(mknod)(P, Mode, Dev); },
      [&](const Resolved &R) { return refuse(R, EEXIST); });
}
int mknodat(int Dirfd, const char *Path, mode_t Mode, dev_t Dev) {
  return onPathAt(
      Dirfd, Path, false,
      [&](const char *P) { return NEXT(mknodat)(Dirfd, P, Mode, Dev); },
      [&](const Resolved &R) { return refuse(R, EEXIST); });
}
int __xmknod(int, const char *Path, mode_t Mode, dev_t *Dev) {
  return mknod(Path, Mode, *Dev);
}
int __xmknodat(int, int Dirfd, const char *Path, mode_t Mode, dev_t *Dev) {
  return mknodat(Dirfd, Path, Mode, *Dev);
}
int mkfifo(const char *Path, mode_t Mode) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(mkfifo)(P, Mode); },
      [&](const Resolved &R) { return refuse(R, EEXIST); });
}
int mkfifoat(int Dirfd, const char *Path, mode_t Mode) {
  return onPathAt(
      Dirfd, Path, false,
      [&](const char *P) { return NEXT(mkfifoat)(Dirfd, P, Mode); },
      [&](const Resolved &R) { return refuse(R, EEXIST); });
}

int chmod(const char *Path, mode_t Mode) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(chmod)(P, Mode); },
      [&](const Resolved &R) { return refuseChange(R); });
}
int lchmod(const char *Path, mode_t Mode) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(lchmod)(P, Mode); },
      [&](const Resolved &R) { return refuseChange(R); });
}
int fchmodat(int Dirfd, const char *Path, mode_t Mode, int Flags) {
  return onPathAt(
      Dirfd, Path, false,
      [&](const char *P) { return NEXT(fchmodat)(Dirfd, P, Mode, Flags); },
      [&](const Resolved &R) { return refuseChange(R); });
}
int chown(const char *Path, uid_t Uid, gid_t Gid) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(chown)(P, Uid, Gid); },
      [&](const Resolved &R) { return refuseChange(R); });
}
int lchown(const char *Path, uid_t Uid, gid_t Gid) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(lchown)(P, Uid, Gid); },
      [&](const Resolved &R) { return refuseChange(R); });
}
int fchownat(int Dirfd, const char *Path, uid_t Uid, gid_t Gid, int Flags) {
  if (opaque(Path) && !*Path && (Flags & AT_EMPTY_PATH) && masterOfFd(Dirfd))
    return fail(EROFS);
  return onPathAt(
      Dirfd, Path, false,
      [&](const char *P) { return NEXT(fchownat)(Dirfd, P, Uid, Gid, Flags); },
      [&](const Resolved &R) { return refuseChange(R); });
}
int truncate(const char *Path, off_t Size) {
  Resolved R;
  resolve(Path, false, R);
  if (!inside(R))
    return NEXT(truncate)(R.OutsidePath, Size);
  if (R.Where == Resolved::Inside && R.N.Kind == NodeKind::Dir)
    return fail(EISDIR);
  return refuseChange(R);
}
int truncate64(const char *Path, off64_t Size) {
  Resolved R;
  resolve(Path, false, R);
  if (!inside(R))
    return NEXT(truncate64)(R.OutsidePath, Size);
  if (R.Where == Resolved::Inside && R.N.Kind == NodeKind::Dir)
    return fail(EISDIR);
  return refuseChange(R);
}
int utime(const char *Path, const struct utimbuf *Times) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(utime)(P, Times); },
      [&](const Resolved &R) { return refuseChange(R); });
}
int utimes(const char *Path, const struct timeval Times[2]) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(utimes)(P, Times); },
      [&](const Resolved &R) { return refuseChange(R); });
}
int lutimes(const char *Path, const struct timeval Times[2]) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(lutimes)(P, Times); },
      [&](const Resolved &R) { return refuseChange(R); });
}
int futimesat(int Dirfd, const char *Path, const struct timeval Times[2]) {
  if (!opaque(Path))
    return futimes(Dirfd, Times);
  return onPathAt(
      Dirfd, Path, false,
      [&](const char *P) { return NEXT(futimesat)(Dirfd, P, Times); },
      [&](const Resolved &R) { return refuseChange(R); });
}
int utimensat(int Dirfd, const char *Path, const struct timespec Times[2],
              int Flags) {
  if (!opaque(Path)) // glibc's EINVAL
    return NEXT(utimensat)(Dirfd, Path, Times, Flags);
  return onPathAt(
      Dirfd, Path, false,
      [&](const char *P) { return NEXT(utimensat)(Dirfd, P, Times, Flags); },
      [&](const Resolved &R) { return refuseChange(R); });
}

int setxattr(const char *Path, const char *Name, const void *Value, size_t Size,
             int Flags) {
  return onPath(
      Path, false,
      [&](const char *P) {
        return NEXT(setxattr)(P, Name, Value, Size, Flags);
      },
      [&](const Resolved &R) { return refuseChange(R); });
}
int lsetxattr(const char *Path, const char *Name, const void *Value,
              size_t Size, int Flags) {
  return onPath(
      Path, false,
      [&](const char *P) {
        return NEXT(lsetxattr)(P, Name, Value, Size, Flags);
      },
      [&](const Resolved &R) { return refuseChange(R); });
}
int removexattr(const char *Path, const char *Name) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(removexattr)(P, Name); },
      [&](const Resolved &R) { return refuseChange(R); });
}
int lremovexattr(const char *Path, const char *Name) {
  return onPath(
      Path, false, [&](const char *P) { return NEXT(lremovexattr)(P, Name); },
      [&](const Resolved &R) { return refuseChange(R); });
}

// Descriptors of the tree are memfds, which would accept these.
int fchmod(int Fd, mode_t Mode) {
  if (masterOfFd(Fd))
    return fail(EROFS);
  return NEXT(fchmod)(Fd, Mode);
}
int fchown(int Fd, uid_t Uid, gid_t Gid) {
  if (masterOfFd(Fd))
    return fail(EROFS);
  return NEXT(fchown)(Fd, Uid, Gid);
}
int futimes(int Fd, const struct timeval Times[2]) {
  if (masterOfFd(Fd))
    return fail(EROFS);
  return NEXT(futimes)(Fd, Times);
}
int futimens(int Fd, const struct timespec Times[2]) {
  if (masterOfFd(Fd))
    return fail(EROFS);
  return NEXT(futimens)(Fd, Times);
}
int fsetxattr(int Fd, const char *Name, const void *Value, size_t Size,
              int Flags) {
  if (masterOfFd(Fd))
    return fail(EROFS);
  return NEXT(fsetxattr)(Fd, Name, Value, Size, Flags);
}
int fremovexattr(int Fd, const char *Name) {
  if (masterOfFd(Fd))
    return fail(EROFS);
  return NEXT(fremovexattr)(Fd, Name);
}

// Extended attributes: the tree has none.
ssize_t getxattr(const char *Path, const char *Name, void *Value, size_t Size) {
  return onPath(
      Path, false,
      [&](const char *P) { return NEXT(getxattr)(P, Name, Value, Size); },
      [&](const Resolved &R) {
        return fail(R.Where == Resolved::Error ? R.Errno : ENODATA);
      });
}
ssize_t lgetxattr(const char *Path, const char *Name, void *Value,
                  size_t Size) {
  return onPath(
      Path, false,
      [&](const char *P) { return NEXT(lgetxattr)(P, Name, Value, Size); },
      [&](const Resolved &R) {
        return fail(R.Where == Resolved::Error ? R.Errno : ENODATA);
      });
}
ssize_t fgetxattr(int Fd, const char *Name, void *Value, size_t Size) {
  if (masterOfFd(Fd))
    return fail(ENODATA);
  return NEXT(fgetxattr)(Fd, Name, Value, Size);
}
ssize_t listxattr(const char *Path, char *List, size_t Size) {
  return onPath(
      Path, false,
      [&](const char *P) { return NEXT(listxattr)(P, List, Size); },
      [&](const Resolved &R) {
        return R.Where == Resolved::Error ? fail(R.Errno) : 0;
      });
}
ssize_t llistxattr(const char *Path, char *List, size_t Size) {
  return onPath(
      Path, false,
      [&](const char *P) { return NEXT(llistxattr)(P, List, Size); },
      [&](const Resolved &R) {
        return R.Where == Resolved::Error ? fail(R.Errno) : 0;
      });
}
ssize_t flistxattr(int Fd, char *List, size_t Size) {
  if (masterOfFd(Fd))
    return 0;
  return NEXT(flistxattr)(Fd, List, Size);
}

// The working directory cannot be in the tree: every relative path would
// have to be rewritten, and children would still get the kernel's idea.
int chdir(const char *Path) {
  Resolved R;
  resolve(Path, true, R);
  if (!inside(R))
    return NEXT(chdir)(R.OutsidePath);
  if (R.Where == Resolved::Error)
    return fail(R.Errno);
  return fail(R.N.Kind == NodeKind::Dir ? ENOTSUP : ENOTDIR);
}
int fchdir(int Fd) {
  if (dirMasterOfFd(Fd))
    return fail(ENOTSUP);
  return NEXT(fchdir)(Fd);
}

// exec: the interpreter runs the program as python3 (see the top).

int execve(const char *Path, char *const Argv[], char *const Envp[]) {
  if (isInterpreter(Path))
    return NEXT(execve)(TheMount.Root, Argv, PYOX_MARKED_ENV(Envp));
  return NEXT(execve)(Path, Argv, Envp);
}
int execv(const char *Path, char *const Argv[]) {
  if (isInterpreter(Path))
    return NEXT(execve)(TheMount.Root, Argv, PYOX_MARKED_ENV(environ));
  return NEXT(execv)(Path, Argv);
}
// With a '/' the exec*p forms take the path as it is.
int execvp(const char *File, char *const Argv[]) {
  if (strchr(File, '/') && isInterpreter(File))
    return NEXT(execve)(TheMount.Root, Argv, PYOX_MARKED_ENV(environ));
  return NEXT(execvp)(File, Argv);
}
int execvpe(const char *File, char *const Argv[], char *const Envp[]) {
  if (strchr(File, '/') && isInterpreter(File))
    return NEXT(execve)(TheMount.Root, Argv, PYOX_MARKED_ENV(Envp));
  return NEXT(execvpe)(File, Argv, Envp);
}
int execl(const char *Path, const char *Arg, ...) {
  char **Argv;
  PYOX_VARARGS_ARGV(Arg, Argv, static_cast<char ***>(nullptr));
  return execv(Path, Argv);
}
int execlp(const char *File, const char *Arg, ...) {
  char **Argv;
  PYOX_VARARGS_ARGV(Arg, Argv, static_cast<char ***>(nullptr));
  return execvp(File, Argv);
}
int execle(const char *Path, const char *Arg, ...) {
  char **Argv, **Envp;
  PYOX_VARARGS_ARGV(Arg, Argv, &Envp);
  return execve(Path, Argv, Envp);
}
int posix_spawn(pid_t *Pid, const char *Path,
                const posix_spawn_file_actions_t *Actions,
                const posix_spawnattr_t *Attr, char *const Argv[],
                char *const Envp[]) {
  if (isInterpreter(Path))
    return NEXT(posix_spawn)(Pid, TheMount.Root, Actions, Attr, Argv,
                             PYOX_MARKED_ENV(Envp));
  return NEXT(posix_spawn)(Pid, Path, Actions, Attr, Argv, Envp);
}
int posix_spawnp(pid_t *Pid, const char *File,
                 const posix_spawn_file_actions_t *Actions,
                 const posix_spawnattr_t *Attr, char *const Argv[],
                 char *const Envp[]) {
  if (strchr(File, '/') && isInterpreter(File))
    return NEXT(posix_spawn)(Pid, TheMount.Root, Actions, Attr, Argv,
                             PYOX_MARKED_ENV(Envp));
  return NEXT(posix_spawnp)(Pid, File, Actions, Attr, Argv, Envp);
}

} // extern "C"
