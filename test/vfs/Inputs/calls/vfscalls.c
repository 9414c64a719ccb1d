/* An extension module that calls every C library entry point the pyox VFS
 * defines, directly, under each of its names and sizes, on a small tree
 * (calls/ below ROOT), and prints what each returns and the errno. The
 * same module runs in a pyox program (ROOT = the program) and in
 * python3.11 on the same tree extracted to a read-only mount: the two
 * outputs must be the same (test/vfs/libc-calls.test). Inode numbers,
 * devices and times differ between the two by nature: the module prints
 * whether they agree between calls, not their values. */
#define _GNU_SOURCE
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#pragma GCC diagnostic ignored "-Wnonnull"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <utime.h>

/* Entry points old binaries import: bind to those exact versions. */
int old_xstat(int, const char *, struct stat *);
int old_xstat64(int, const char *, struct stat64 *);
int old_lxstat(int, const char *, struct stat *);
int old_lxstat64(int, const char *, struct stat64 *);
int old_fxstat(int, int, struct stat *);
int old_fxstat64(int, int, struct stat64 *);
int old_fxstatat(int, int, const char *, struct stat *, int);
int old_fxstatat64(int, int, const char *, struct stat64 *, int);
int old_xmknod(int, const char *, mode_t, dev_t *);
int old_xmknodat(int, int, const char *, mode_t, dev_t *);
__asm__(".symver old_xstat, __xstat@GLIBC_2.2.5");
__asm__(".symver old_xstat64, __xstat64@GLIBC_2.2.5");
__asm__(".symver old_lxstat, __lxstat@GLIBC_2.2.5");
__asm__(".symver old_lxstat64, __lxstat64@GLIBC_2.2.5");
__asm__(".symver old_fxstat, __fxstat@GLIBC_2.2.5");
__asm__(".symver old_fxstat64, __fxstat64@GLIBC_2.2.5");
__asm__(".symver old_fxstatat, __fxstatat@GLIBC_2.4");
__asm__(".symver old_fxstatat64, __fxstatat64@GLIBC_2.4");
__asm__(".symver old_xmknod, __xmknod@GLIBC_2.2.5");
__asm__(".symver old_xmknodat, __xmknodat@GLIBC_2.4");
/* Fortified forms. */
int __open_2(const char *, int);
int __open64_2(const char *, int);
int __openat_2(int, const char *, int);
int __openat64_2(int, const char *, int);
char *__realpath_chk(const char *, char *, size_t);
ssize_t __readlink_chk(const char *, char *, size_t, size_t);
ssize_t __readlinkat_chk(int, const char *, char *, size_t, size_t);

static char Root[PATH_MAX];
static size_t RootLen;
static FILE *Out;

static const char *at(const char *Rel) {
  static char Buf[256][PATH_MAX];
  static int Next;
  char *B = Buf[Next++ & 255];
  snprintf(B, PATH_MAX, "%s/%s", Root, Rel);
  return B;
}

static const char *errname(int E) {
  switch (E) {
    // clang-format off
#define N(x) case x: return #x;
    N(ENOENT) N(ENOTDIR) N(EROFS) N(EEXIST) N(EISDIR) N(EACCES) N(EINVAL)
    N(ENODATA) N(ENOTSUP) N(EXDEV) N(EBADF) N(ENOTEMPTY) N(EPERM) N(ELOOP)
    N(ENAMETOOLONG) N(ERANGE)
    // clang-format on
#undef N
  }
  static char B[32];
  snprintf(B, sizeof(B), "errno%d", E);
  return B;
}

/* Prints "LABEL: -1 EXXX" or "LABEL: ok DETAILS". */
static void result(const char *Label, long R, const char *Details) {
  if (R < 0)
    fprintf(Out, "%s: -1 %s\n", Label, errname(errno));
  else
    fprintf(Out, "%s: ok%s%s\n", Label, Details ? " " : "",
            Details ? Details : "");
}

static const char *describe(const struct stat *St) {
  static char B[128];
  if (S_ISDIR(St->st_mode))
    snprintf(B, sizeof(B), "dir %o", St->st_mode & 07777);
  else
    snprintf(B, sizeof(B), "file %o size %lld nlink %lu", St->st_mode & 07777,
             (long long)St->st_size, (unsigned long)St->st_nlink);
  return B;
}

#define STAT_CALL(label, call, st)                                             \
  do {                                                                         \
    memset(&(st), 0, sizeof(st));                                              \
    errno = 0;                                                                 \
    long R_ = (call);                                                          \
    result(label, R_, R_ < 0 ? NULL : describe((const struct stat *)&(st)));   \
  } while (0)

#define CALL(label, call)                                                      \
  do {                                                                         \
    errno = 0;                                                                 \
    long R_ = (long)(call);                                                    \
    result(label, R_, NULL);                                                   \
  } while (0)

/* An fd call: the descriptor is closed again; prints what fstat says. */
static void fdResult(const char *Label, int Fd) {
  if (Fd < 0) {
    result(Label, -1, NULL);
    return;
  }
  struct stat St;
  char B[256];
  char Data[8] = {0};
  ssize_t N = -1;
  /* read() of a directory descriptor is EISDIR on disk and end-of-file in
     the VFS (its descriptors are memfds): documented, not compared. */
  if (fstat(Fd, &St) == 0 && !S_ISDIR(St.st_mode))
    N = read(Fd, Data, sizeof(Data) - 1);
  if (fstat(Fd, &St) == 0)
    snprintf(B, sizeof(B), "%s read %zd \"%.7s\"", describe(&St), N,
             N > 0 ? Data : "");
  else
    snprintf(B, sizeof(B), "fstat failed");
  for (char *C = B; *C; ++C)
    if (*C == '\n')
      *C = '|';
  close(Fd);
  result(Label, 0, B);
}

static void streamResult(const char *Label, FILE *F) {
  if (!F) {
    result(Label, -1, NULL);
    return;
  }
  char Line[64] = {0};
  if (!fgets(Line, sizeof(Line), F))
    Line[0] = '\0';
  Line[strcspn(Line, "\n")] = '\0';
  fclose(F);
  char B[96];
  snprintf(B, sizeof(B), "\"%s\"", Line);
  result(Label, 0, B);
}

static void relResult(const char *Label, const char *P) {
  if (!P) {
    result(Label, -1, NULL);
    return;
  }
  char B[PATH_MAX];
  if (strncmp(P, Root, RootLen) == 0)
    snprintf(B, sizeof(B), "ROOT%s", P + RootLen);
  else
    snprintf(B, sizeof(B), "%s", P);
  result(Label, 0, B);
}

static int cmpNames(const void *A, const void *B) {
  return strcmp(*(const char *const *)A, *(const char *const *)B);
}

/* readdir's names (sorted) with their d_type. */
static void listResult(const char *Label, DIR *D, int Use64, int UseR) {
  if (!D) {
    result(Label, -1, NULL);
    return;
  }
  char *Names[64];
  int N = 0;
  for (;;) {
    const char *Name;
    unsigned char Type;
    if (UseR) {
      struct dirent64 E, *P = NULL;
      struct dirent E32, *P32 = NULL;
      if (Use64 ? readdir64_r(D, &E, &P) : readdir_r(D, &E32, &P32))
        break;
      if (Use64 ? !P : !P32)
        break;
      Name = Use64 ? P->d_name : P32->d_name;
      Type = Use64 ? P->d_type : P32->d_type;
    } else if (Use64) {
      struct dirent64 *E = readdir64(D);
      if (!E)
        break;
      Name = E->d_name;
      Type = E->d_type;
    } else {
      struct dirent *E = readdir(D);
      if (!E)
        break;
      Name = E->d_name;
      Type = E->d_type;
    }
    if (N < 64 && asprintf(&Names[N], "%s%s", Name,
                           Type == DT_DIR   ? "/"
                           : Type == DT_REG ? ""
                                            : "?") > 0)
      ++N;
  }
  qsort(Names, N, sizeof(char *), cmpNames);
  char B[1024] = "";
  for (int I = 0; I < N; ++I) {
    strncat(B, Names[I], sizeof(B) - strlen(B) - 2);
    strncat(B, " ", sizeof(B) - strlen(B) - 1);
    free(Names[I]);
  }
  result(Label, 0, B);
}

static int walkVisit(const char *Path, const struct stat *St, int Flag,
                     struct FTW *F) {
  (void)St;
  (void)F;
  if (strncmp(Path, Root, RootLen) == 0)
    Path += RootLen;
  fprintf(Out, "  %s %s level %d\n",
          Flag == FTW_D    ? "D"
          : Flag == FTW_DP ? "DP"
          : Flag == FTW_F  ? "F"
                           : "other",
          Path, F->level);
  return 0;
}
static int walkVisit64(const char *Path, const struct stat64 *St, int Flag,
                       struct FTW *F) {
  return walkVisit(Path, (const struct stat *)St, Flag, F);
}
static int ftwVisit(const char *Path, const struct stat *St, int Flag) {
  (void)St;
  if (strncmp(Path, Root, RootLen) == 0)
    Path += RootLen;
  fprintf(Out, "  %s %s\n",
          Flag == FTW_D   ? "D"
          : Flag == FTW_F ? "F"
                          : "other",
          Path);
  return 0;
}
static int ftwVisit64(const char *Path, const struct stat64 *St, int Flag) {
  return ftwVisit(Path, (const struct stat *)St, Flag);
}

static int selectAll(const struct dirent *E) { return E->d_name[0] != '.'; }
static int selectAll64(const struct dirent64 *E) { return E->d_name[0] != '.'; }

static void opens(void) {
  const char *File = at("calls/data.txt");
  const char *Dir = at("calls/sub");
  fdResult("open file", open(File, O_RDONLY));
  fdResult("open64 file", open64(File, O_RDONLY | O_CLOEXEC));
  fdResult("__open_2 file", __open_2(File, O_RDONLY));
  fdResult("__open64_2 file", __open64_2(File, O_RDONLY));
  fdResult("open dir", open(Dir, O_RDONLY | O_DIRECTORY));
  fdResult("open dir plain", open(Dir, O_RDONLY));
  fdResult("open file O_DIRECTORY", open(File, O_RDONLY | O_DIRECTORY));
  fdResult("open missing", open(at("calls/missing"), O_RDONLY));
  fdResult("open under file", open(at("calls/data.txt/x"), O_RDONLY));
  fdResult("open under missing", open(at("calls/nodir/x"), O_RDONLY));
  fdResult("open trailing slash", open(at("calls/data.txt/"), O_RDONLY));
  fdResult("open dotdot", open(at("calls/sub/../data.txt"), O_RDONLY));
  fdResult("open WRONLY", open(File, O_WRONLY));
  fdResult("open RDWR", open(File, O_RDWR));
  fdResult("open TRUNC", open(File, O_RDONLY | O_TRUNC));
  fdResult("open CREAT existing", open(File, O_RDONLY | O_CREAT, 0644));
  fdResult("open CREAT new",
           open(at("calls/new.txt"), O_WRONLY | O_CREAT, 0644));
  fdResult("open CREAT EXCL", open(File, O_WRONLY | O_CREAT | O_EXCL, 0644));
  fdResult("open dir WRONLY", open(Dir, O_WRONLY));
  fdResult("open TMPFILE", open(Dir, O_TMPFILE | O_RDWR, 0600));
  fdResult("creat", creat(at("calls/new.txt"), 0644));
  fdResult("creat64", creat64(File, 0644));
  int D = open(Dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  fdResult("openat", openat(D, "inner.txt", O_RDONLY));
  fdResult("openat64", openat64(D, "inner.txt", O_RDONLY));
  fdResult("__openat_2", __openat_2(D, "inner.txt", O_RDONLY));
  fdResult("__openat64_2", __openat64_2(D, "inner.txt", O_RDONLY));
  fdResult("openat dotdot", openat(D, "../data.txt", O_RDONLY));
  fdResult("openat missing", openat(D, "nope", O_RDONLY));
  fdResult("openat CREAT", openat(D, "nope", O_WRONLY | O_CREAT, 0644));
  fdResult("openat absolute", openat(D, File, O_RDONLY));
  fdResult("openat dir", openat(D, ".", O_RDONLY | O_DIRECTORY));
  close(D);
  streamResult("fopen r", fopen(File, "r"));
  streamResult("fopen re", fopen(File, "re"));
  streamResult("fopen64 rb", fopen64(File, "rb"));
  streamResult("fopen w", fopen(File, "w"));
  streamResult("fopen a", fopen(at("calls/new.txt"), "a"));
  streamResult("fopen r+", fopen(File, "r+"));
  streamResult("fopen missing", fopen(at("calls/missing"), "r"));
  streamResult("fopen dir", fopen(Dir, "r"));
  FILE *F = tmpfile();
  streamResult("freopen", freopen(File, "r", F));
  F = tmpfile();
  streamResult("freopen64", freopen64(File, "r", F));
  F = tmpfile();
  streamResult("freopen w", freopen(File, "w", F));
}

static void stats(void) {
  const char *File = at("calls/data.txt");
  const char *Dir = at("calls/sub");
  const char *Lib = at("calls/lib/libx.so");
  struct stat St;
  struct stat64 St64;
  STAT_CALL("stat file", stat(File, &St), St);
  STAT_CALL("stat dir", stat(Dir, &St), St);
  STAT_CALL("stat lib", stat(Lib, &St), St);
  STAT_CALL("stat source", stat(at("calls/__init__.py"), &St), St);
  STAT_CALL("stat missing", stat(at("calls/missing"), &St), St);
  STAT_CALL("stat under file", stat(at("calls/data.txt/x"), &St), St);
  STAT_CALL("stat trailing slash dir", stat(at("calls/sub/"), &St), St);
  STAT_CALL("stat trailing slash file", stat(at("calls/data.txt/"), &St), St);
  STAT_CALL("stat dot", stat(at("calls/sub/."), &St), St);
  STAT_CALL("stat dotdot", stat(at("calls/sub/.."), &St), St);
  STAT_CALL("stat file dotdot", stat(at("calls/data.txt/.."), &St), St);
  STAT_CALL("stat64", stat64(File, &St64), St64);
  STAT_CALL("lstat", lstat(File, &St), St);
  STAT_CALL("lstat64", lstat64(Dir, &St64), St64);
  STAT_CALL("__xstat", old_xstat(1, File, &St), St);
  STAT_CALL("__xstat64", old_xstat64(1, Dir, &St64), St64);
  STAT_CALL("__lxstat", old_lxstat(1, File, &St), St);
  STAT_CALL("__lxstat64", old_lxstat64(1, Lib, &St64), St64);
  int Fd = open(File, O_RDONLY);
  int D = open(Dir, O_RDONLY | O_DIRECTORY);
  STAT_CALL("fstat", fstat(Fd, &St), St);
  STAT_CALL("fstat64", fstat64(D, &St64), St64);
  STAT_CALL("__fxstat", old_fxstat(1, Fd, &St), St);
  STAT_CALL("__fxstat64", old_fxstat64(1, D, &St64), St64);
  STAT_CALL("fstatat", fstatat(D, "inner.txt", &St, 0), St);
  STAT_CALL("fstatat64", fstatat64(D, "inner.txt", &St64, AT_SYMLINK_NOFOLLOW),
            St64);
  STAT_CALL("fstatat empty", fstatat(Fd, "", &St, AT_EMPTY_PATH), St);
  STAT_CALL("fstatat missing", fstatat(D, "nope", &St, 0), St);
  STAT_CALL("fstatat absolute", fstatat(D, Lib, &St, 0), St);
  STAT_CALL("__fxstatat", old_fxstatat(1, D, "inner.txt", &St, 0), St);
  STAT_CALL("__fxstatat64", old_fxstatat64(1, D, "..", &St64, 0), St64);
  struct statx Sx;
  errno = 0;
  int R = statx(D, "inner.txt", 0, STATX_BASIC_STATS, &Sx);
  char B[128];
  snprintf(B, sizeof(B), "mode %o size %llu", Sx.stx_mode & 0777,
           (unsigned long long)Sx.stx_size);
  result("statx", R, R < 0 ? NULL : B);
  errno = 0;
  R = statx(Fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &Sx);
  snprintf(B, sizeof(B), "mode %o size %llu", Sx.stx_mode & 0777,
           (unsigned long long)Sx.stx_size);
  result("statx fd", R, R < 0 ? NULL : B);
  errno = 0;
  R = statx(AT_FDCWD, at("calls/missing"), 0, STATX_BASIC_STATS, &Sx);
  result("statx missing", R, NULL);
  /* Identity: stat of a path and fstat of an open descriptor agree, and
     differ between files. */
  struct stat A, Bs, C;
  stat(File, &A);
  fstat(Fd, &Bs);
  stat(at("calls/sub/inner.txt"), &C);
  fprintf(Out, "identity: fstat==stat %d, distinct %d, dev as ROOT's dir %d\n",
          A.st_dev == Bs.st_dev && A.st_ino == Bs.st_ino, A.st_ino != C.st_ino,
          A.st_dev == C.st_dev);
  struct stat Ds, Dfs;
  stat(Dir, &Ds);
  fstat(D, &Dfs);
  fprintf(Out, "identity: dir fstat==stat %d\n",
          Ds.st_dev == Dfs.st_dev && Ds.st_ino == Dfs.st_ino);
  int Dup = dup(Fd);
  fstat(Dup, &Bs);
  fprintf(Out, "identity: dup %d\n", A.st_ino == Bs.st_ino);
  close(Dup);
  close(Fd);
  close(D);
  struct statvfs V;
  struct statvfs64 V64;
  struct statfs Fs;
  struct statfs64 Fs64;
  errno = 0;
  R = statvfs(File, &V);
  result("statvfs", R, R < 0 ? NULL : (V.f_flag & ST_RDONLY) ? "ro" : "rw");
  R = statvfs64(Dir, &V64);
  result("statvfs64", R, R < 0 ? NULL : (V64.f_flag & ST_RDONLY) ? "ro" : "rw");
  R = statfs(File, &Fs);
  result("statfs", R, R < 0 ? NULL : (Fs.f_flags & ST_RDONLY) ? "ro" : "rw");
  R = statfs64(Dir, &Fs64);
  result("statfs64", R,
         R < 0                        ? NULL
         : (Fs64.f_flags & ST_RDONLY) ? "ro"
                                      : "rw");
  R = statvfs(at("calls/missing"), &V);
  result("statvfs missing", R, NULL);
}

static void accessAndLinks(void) {
  const char *File = at("calls/data.txt");
  const char *Lib = at("calls/lib/libx.so");
  CALL("access F_OK", access(File, F_OK));
  CALL("access R_OK", access(File, R_OK));
  CALL("access W_OK", access(File, W_OK));
  CALL("access X_OK data", access(File, X_OK));
  CALL("access X_OK lib", access(Lib, X_OK));
  CALL("access X_OK dir", access(at("calls/sub"), X_OK));
  CALL("access missing", access(at("calls/missing"), F_OK));
  CALL("faccessat", faccessat(AT_FDCWD, File, R_OK, 0));
  CALL("faccessat W_OK", faccessat(AT_FDCWD, File, W_OK, AT_EACCESS));
  CALL("euidaccess", euidaccess(File, R_OK));
  CALL("eaccess", eaccess(Lib, X_OK));
  char B[PATH_MAX];
  CALL("readlink", readlink(File, B, sizeof(B)));
  CALL("readlink missing", readlink(at("calls/missing"), B, sizeof(B)));
  int D = open(at("calls/sub"), O_RDONLY | O_DIRECTORY);
  CALL("readlinkat", readlinkat(D, "inner.txt", B, sizeof(B)));
  CALL("__readlink_chk", __readlink_chk(File, B, sizeof(B), sizeof(B)));
  CALL("__readlinkat_chk",
       __readlinkat_chk(D, "inner.txt", B, sizeof(B), sizeof(B)));
  CALL("faccessat at", faccessat(D, "inner.txt", R_OK, 0));
  close(D);
  char R[PATH_MAX];
  relResult("realpath", realpath(at("calls/sub/../sub/./inner.txt"), R));
  char *M = realpath(at("calls/sub/"), NULL);
  relResult("realpath malloc", M);
  free(M);
  relResult("realpath missing", realpath(at("calls/missing"), R));
  relResult("realpath under file", realpath(at("calls/data.txt/x"), R));
  relResult("__realpath_chk",
            __realpath_chk(at("calls/lib/libx.so"), R, sizeof(R)));
  M = canonicalize_file_name(at("calls//data.txt"));
  relResult("canonicalize_file_name", M);
  free(M);
}

static void directories(void) {
  const char *Dir = at("calls");
  listResult("opendir/readdir", opendir(Dir), 0, 0);
  listResult("opendir/readdir64", opendir(at("calls/sub")), 1, 0);
  listResult("readdir_r", opendir(Dir), 0, 1);
  listResult("readdir64_r", opendir(Dir), 1, 1);
  listResult("opendir file", opendir(at("calls/data.txt")), 0, 0);
  listResult("opendir missing", opendir(at("calls/missing")), 0, 0);
  int Fd = open(Dir, O_RDONLY | O_DIRECTORY);
  listResult("fdopendir", fdopendir(Fd), 0, 0);
  int FileFd = open(at("calls/data.txt"), O_RDONLY);
  DIR *Bad = fdopendir(FileFd);
  result("fdopendir file", Bad ? 0 : -1, NULL);
  close(FileFd);
  DIR *D = opendir(Dir);
  int N = 0;
  while (readdir(D))
    ++N;
  long Mid = -1;
  rewinddir(D);
  readdir(D);
  Mid = telldir(D);
  struct dirent *E1 = readdir(D);
  char First[256];
  snprintf(First, sizeof(First), "%s", E1 ? E1->d_name : "");
  seekdir(D, Mid);
  struct dirent *E2 = readdir(D);
  fprintf(Out, "rewinddir/telldir/seekdir: count %d, same after seek %d\n", N,
          E2 && strcmp(E2->d_name, First) == 0);
  struct stat A, B;
  fstat(dirfd(D), &A);
  stat(Dir, &B);
  fprintf(Out, "dirfd: same as stat %d\n",
          A.st_ino == B.st_ino && A.st_dev == B.st_dev);
  CALL("closedir", closedir(D));
  struct dirent **List;
  int Count = scandir(Dir, &List, selectAll, alphasort);
  char Buf[512] = "";
  for (int I = 0; I < Count; ++I) {
    strncat(Buf, List[I]->d_name, sizeof(Buf) - strlen(Buf) - 2);
    strncat(Buf, " ", sizeof(Buf) - strlen(Buf) - 1);
    free(List[I]);
  }
  if (Count >= 0)
    free(List);
  result("scandir", Count, Count >= 0 ? Buf : NULL);
  struct dirent64 **List64;
  Count = scandir64(at("calls/sub"), &List64, selectAll64, alphasort64);
  Buf[0] = '\0';
  for (int I = 0; I < Count; ++I) {
    strncat(Buf, List64[I]->d_name, sizeof(Buf) - strlen(Buf) - 2);
    strncat(Buf, " ", sizeof(Buf) - strlen(Buf) - 1);
    free(List64[I]);
  }
  if (Count >= 0)
    free(List64);
  result("scandir64", Count, Count >= 0 ? Buf : NULL);
  Count = scandir(at("calls/missing"), &List, NULL, NULL);
  result("scandir missing", Count, NULL);
  glob_t G;
  int R = glob(at("calls/*/*.txt"), 0, NULL, &G);
  Buf[0] = '\0';
  for (size_t I = 0; R == 0 && I < G.gl_pathc; ++I) {
    strncat(Buf, G.gl_pathv[I] + RootLen, sizeof(Buf) - strlen(Buf) - 2);
    strncat(Buf, " ", sizeof(Buf) - strlen(Buf) - 1);
  }
  fprintf(Out, "glob: %d %s\n", R, Buf);
  if (R == 0)
    globfree(&G);
  glob64_t G64;
  R = glob64(at("calls/[sl]*"), GLOB_MARK, NULL, &G64);
  Buf[0] = '\0';
  for (size_t I = 0; R == 0 && I < G64.gl_pathc; ++I) {
    strncat(Buf, G64.gl_pathv[I] + RootLen, sizeof(Buf) - strlen(Buf) - 2);
    strncat(Buf, " ", sizeof(Buf) - strlen(Buf) - 1);
  }
  fprintf(Out, "glob64: %d %s\n", R, Buf);
  if (R == 0)
    globfree64(&G64);
  R = glob(at("calls/nothing*"), 0, NULL, &G);
  fprintf(Out, "glob nomatch: %s\n", R == GLOB_NOMATCH ? "GLOB_NOMATCH" : "?");
  fprintf(Out, "nftw:\n");
  R = nftw(at("calls/sub"), walkVisit, 4, FTW_PHYS);
  fprintf(Out, "nftw: %d\n", R);
  fprintf(Out, "nftw64 depth:\n");
  R = nftw64(at("calls/sub"), walkVisit64, 4, FTW_DEPTH | FTW_PHYS);
  fprintf(Out, "nftw64: %d\n", R);
  fprintf(Out, "ftw:\n");
  R = ftw(at("calls/lib"), ftwVisit, 4);
  fprintf(Out, "ftw: %d\n", R);
  fprintf(Out, "ftw64:\n");
  R = ftw64(at("calls/lib"), ftwVisit64, 4);
  fprintf(Out, "ftw64: %d\n", R);
  errno = 0;
  R = nftw(at("calls/missing"), walkVisit, 4, 0);
  result("nftw missing", R, NULL);
}

static void loading(void) {
  void *H = dlopen(at("calls/lib/libx.so"), RTLD_NOW);
  int (*Fn)(void) = H ? (int (*)(void))dlsym(H, "libx_value") : NULL;
  char B[64];
  snprintf(B, sizeof(B), "libx_value %d", Fn ? Fn() : -1);
  fprintf(Out, "dlopen: %s\n", H ? B : "NULL");
  void *H2 = dlopen(at("calls/lib/libx.so"), RTLD_NOW | RTLD_NOLOAD);
  fprintf(Out, "dlopen again: same handle %d\n", H2 == H);
  fprintf(Out, "dlopen missing: %s\n",
          dlopen(at("calls/lib/nope.so"), RTLD_NOW) ? "loaded" : "NULL");
}

static void writes(void) {
  const char *File = at("calls/data.txt");
  const char *Dir = at("calls/sub");
  const char *New = at("calls/new");
  const char *Deep = at("calls/nodir/new");
  CALL("mkdir new", mkdir(New, 0755));
  CALL("mkdir existing", mkdir(Dir, 0755));
  CALL("mkdir deep", mkdir(Deep, 0755));
  CALL("mkdirat", mkdirat(AT_FDCWD, New, 0755));
  CALL("unlink", unlink(File));
  CALL("unlink missing", unlink(at("calls/missing")));
  CALL("unlink deep", unlink(Deep));
  CALL("unlinkat", unlinkat(AT_FDCWD, File, 0));
  CALL("unlinkat dir", unlinkat(AT_FDCWD, Dir, AT_REMOVEDIR));
  CALL("rmdir", rmdir(Dir));
  CALL("rmdir missing", rmdir(at("calls/missing")));
  CALL("rename", rename(File, New));
  CALL("rename missing", rename(at("calls/missing"), New));
  CALL("renameat", renameat(AT_FDCWD, File, AT_FDCWD, New));
  CALL("renameat2", renameat2(AT_FDCWD, File, AT_FDCWD, New, 0));
  CALL("link", link(File, New));
  CALL("link existing", link(File, Dir));
  CALL("linkat", linkat(AT_FDCWD, File, AT_FDCWD, New, 0));
  CALL("symlink", symlink("x", New));
  CALL("symlink existing", symlink("x", File));
  CALL("symlinkat", symlinkat("x", AT_FDCWD, New));
  CALL("chmod", chmod(File, 0644));
  CALL("chmod missing", chmod(at("calls/missing"), 0644));
  CALL("fchmodat", fchmodat(AT_FDCWD, File, 0644, 0));
  CALL("chown", chown(File, 0, 0));
  CALL("lchown", lchown(File, 0, 0));
  CALL("fchownat", fchownat(AT_FDCWD, File, 0, 0, 0));
  CALL("truncate", truncate(File, 0));
  CALL("truncate64", truncate64(File, 0));
  CALL("truncate missing", truncate(at("calls/missing"), 0));
  CALL("utime", utime(File, (const struct utimbuf *)0));
  CALL("utimes", utimes(File, NULL));
  CALL("lutimes", lutimes(File, NULL));
  CALL("utimensat", utimensat(AT_FDCWD, File, NULL, 0));
  CALL("futimesat", futimesat(AT_FDCWD, File, NULL));
  CALL("mknod", mknod(New, S_IFIFO | 0644, 0));
  CALL("mknod existing", mknod(File, S_IFIFO | 0644, 0));
  CALL("mknodat", mknodat(AT_FDCWD, New, S_IFIFO | 0644, 0));
  dev_t Dev = 0;
  CALL("__xmknod", old_xmknod(0, New, S_IFIFO | 0644, &Dev));
  CALL("__xmknodat", old_xmknodat(0, AT_FDCWD, New, S_IFIFO | 0644, &Dev));
  CALL("mkfifo", mkfifo(New, 0644));
  CALL("mkfifoat", mkfifoat(AT_FDCWD, New, 0644));
  CALL("setxattr", setxattr(File, "user.x", "1", 1, 0));
  CALL("lsetxattr", lsetxattr(File, "user.x", "1", 1, 0));
  CALL("removexattr", removexattr(File, "user.x"));
  CALL("lremovexattr", lremovexattr(File, "user.x"));
  char V[64];
  CALL("getxattr", getxattr(File, "user.x", V, sizeof(V)));
  CALL("lgetxattr", lgetxattr(File, "user.x", V, sizeof(V)));
  CALL("getxattr missing", getxattr(at("calls/missing"), "user.x", V, 64));
  CALL("listxattr", listxattr(File, V, sizeof(V)));
  CALL("llistxattr", llistxattr(Dir, V, sizeof(V)));
  int Fd = open(File, O_RDONLY);
  CALL("fchmod", fchmod(Fd, 0644));
  CALL("fchown", fchown(Fd, 0, 0));
  CALL("futimens", futimens(Fd, NULL));
  CALL("futimes", futimes(Fd, NULL));
  CALL("utimensat fd", utimensat(Fd, NULL, NULL, 0));
  CALL("fsetxattr", fsetxattr(Fd, "user.x", "1", 1, 0));
  CALL("fremovexattr", fremovexattr(Fd, "user.x"));
  CALL("fgetxattr", fgetxattr(Fd, "user.x", V, sizeof(V)));
  CALL("flistxattr", flistxattr(Fd, V, sizeof(V)));
  CALL("ftruncate", ftruncate(Fd, 0));
  CALL("write", write(Fd, "x", 1));
  void *Map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, Fd, 0);
  result("mmap shared writable", Map == MAP_FAILED ? -1 : 0, NULL);
  Map = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, Fd, 0);
  char First[8] = {0};
  if (Map != MAP_FAILED)
    memcpy(First, Map, 5);
  result("mmap private", Map == MAP_FAILED ? -1 : 0,
         Map == MAP_FAILED ? NULL : First);
  close(Fd);
}

static PyObject *run(PyObject *Self, PyObject *Args) {
  (void)Self;
  const char *R;
  const char *OutPath;
  if (!PyArg_ParseTuple(Args, "ss", &R, &OutPath))
    return NULL;
  snprintf(Root, sizeof(Root), "%s", R);
  RootLen = strlen(Root);
  Out = fopen(OutPath, "w");
  if (!Out)
    return PyErr_SetFromErrnoWithFilename(PyExc_OSError, OutPath);
  setvbuf(Out, NULL, _IOLBF, 0);
  opens();
  stats();
  accessAndLinks();
  directories();
  loading();
  writes();
  fclose(Out);
  Py_RETURN_NONE;
}

/* chdir into the tree: a documented difference (the VFS refuses it). */
static PyObject *chdirInto(PyObject *Self, PyObject *Args) {
  (void)Self;
  const char *Path;
  if (!PyArg_ParseTuple(Args, "s", &Path))
    return NULL;
  int R = chdir(Path);
  int E = errno;
  int D = open(Path, O_RDONLY | O_DIRECTORY);
  int F = fchdir(D);
  int E2 = errno;
  close(D);
  return Py_BuildValue("(iiii)", R, R < 0 ? E : 0, F, F < 0 ? E2 : 0);
}

static PyMethodDef Methods[] = {
    {"run", run, METH_VARARGS, "run(root, output_file)"},
    {"chdir_into", chdirInto, METH_VARARGS, "chdir_into(dir)"},
    {NULL, NULL, 0, NULL}};
static struct PyModuleDef Module = {PyModuleDef_HEAD_INIT, "vfscalls", NULL, -1,
                                    Methods};
PyMODINIT_FUNC PyInit_vfscalls(void) { return PyModule_Create(&Module); }
