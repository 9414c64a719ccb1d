/*===- GlibcCompat.c - Lower pyox-run's glibc floor to 2.28 ----------------===*
 *
 * Debian 12 links pyox-run against glibc 2.36, and the prebuilt archives it
 * takes whole (libpython3.11.a, libstdc++.a, libgcc_eh.a, libexpat.a, and
 * crt1.o) bind symbols at the versions 2.36 defines as defaults: up to
 * GLIBC_2.36. A program needing them does not start on an older system.
 * This layer brings the template down to GLIBC_2.28: RHEL 8, Ubuntu 20.04,
 * Debian 10, and everything newer (docs/runtime.md, "The glibc floor").
 *
 * How. A `.symver` header cannot change what a prebuilt archive asks for; a
 * definition in the executable can: the archives' references bind to these
 * at static link time, before any shared library is searched. Each is
 * hidden, so --export-dynamic exports none of them and extension modules
 * keep binding to the C library's own. A definition is either
 *  - a pin, PYOX_PIN(NAME, VERSION): NAME is one jump to the C library's
 *    NAME@VERSION, an older version that 2.36 still defines (as the same
 *    function or a compatible one), whatever NAME's signature; or
 *  - a replacement, for the few symbols with no version old enough.
 *
 * What is pinned, by reason:
 *  - libm re-versioned exp, exp2, log, log2 and pow in 2.29 (the new
 *    versions dropped the SVID error handling) and hypot in 2.35 (a faster
 *    one): the older versions compute the same values, by the same code
 *    behind a wrapper of some 20 instructions (0.3% more instructions in
 *    a Python loop of math.exp/log/pow/log2 calls, by callgrind); only
 *    libpython's own calls take them, not extension modules';
 *  - libpthread merged into libc in 2.34 (pthread_sigmask in 2.32): the
 *    thread, key, once, semaphore and signal calls the archives use are
 *    pinned to their libpthread versions;
 *  - libdl (dlerror, dlsym, dlvsym) and libutil (openpty, forkpty,
 *    login_tty) merged into libc in 2.34, likewise.
 * Below 2.34 those live in libpthread.so.0, libdl.so.2 and libutil.so.1:
 * __libc_start_main below loads them (and librt.so.1) first, with
 * RTLD_GLOBAL, so that the executable's calls bind there; on 2.34 and
 * later they are empty stubs, not loaded (not DT_NEEDED either: the loader
 * would map them at every start), and libc's compat versions answer.
 *
 * What is replaced:
 *  - __libc_start_main: crt1.o of 2.34 and later calls it with init=NULL,
 *    which the 2.34 version reads as "run the constructors from the dynamic
 *    segment" but older ones as "there are none". It is pinned to the base
 *    version with an init function that runs _init and .init_array, as
 *    glibc's own did (.preinit_array is run by ld.so);
 *  - __libc_single_threaded (2.32, a variable libstdc++ reads to skip
 *    atomic operations): a local 0, "threads may exist", always correct;
 *  - close_range (2.34): the system call; ENOSYS on older kernels, where
 *    CPython falls back to closing one by one;
 *  - sem_clockwait (2.30): the C library's when it has one, else
 *    sem_timedwait with the deadline moved to CLOCK_REALTIME;
 *  - _dl_find_object (2.35, what GCC 12's unwinder asks to find the unwind
 *    table of a PC): the C library's when it has one, else the same answer
 *    from dl_iterate_phdr. It must really find the table: GCC 12's
 *    _Unwind_Find_FDE does not fall back when it fails, so a stub would
 *    make every C++ throw terminate;
 *  - arc4random, arc4random_buf (2.36): getrandom(2) (GLIBC_2.25), as glibc
 *    2.36 implements them, with /dev/urandom when the kernel lacks it;
 *  - the stat family and mknod (2.33; older glibc defines them only in
 *    libc_nonshared.a): system calls, as 2.33 implements them, returned by
 *    pyox_glibc_compat_function for the virtual filesystem, which forwards
 *    to the C library's functions by name (runtime/lib/VfsHooks.cpp), and
 *    defined here when the template has no virtual filesystem
 *    (PYOX_COMPAT_WITHOUT_VFS), together with a dlopen pin.
 * fcntl64, statx, renameat2 and the rest are 2.28 or older and stay.
 *
 * The floor is checked after the link (cmake/GlibcFloor.cmake,
 * PYOX_GLIBC_FLOOR): a new symbol above it fails the build. A program runs
 * on glibc 2.31 in test/closure/old-glibc.test (Debian 11's libc6; 2.28
 * itself is not tested). AArch64 builds but is not tested.
 *
 * A carried library's or extension module's own floor is not this file's:
 * pyox-inject lowers their version needs to this template's floor when it
 * packs them (lib/Pack/GlibcLowering.h), relying on the stat family and
 * open that the template exports (the virtual filesystem's hooks) and on
 * libpthread, libdl, libutil and librt being loaded here below 2.34
 * (pyox_glibc_split_libraries says so).
 *
 *===----------------------------------------------------------------------===*/

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "pyox/glibc_split.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <semaphore.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PYOX_HIDDEN __attribute__((visibility("hidden")))

#if defined(__x86_64__)
#define PYOX_GLIBC_BASE "GLIBC_2.2.5"
#define PYOX_GLIBC_2_3_3 "GLIBC_2.3.3"
#define PYOX_JUMP(target) "jmp " target "@PLT"
#elif defined(__aarch64__)
#define PYOX_GLIBC_BASE "GLIBC_2.17"
#define PYOX_GLIBC_2_3_3 "GLIBC_2.17"
#define PYOX_JUMP(target) "b " target
#else
#error "GlibcCompat.c: unknown glibc base version for this architecture"
#endif

/* A hidden NAME whose one instruction jumps to the C library's
 * NAME@VERSION (through pyox_pinned_NAME, the local name of that version):
 * arguments and return value pass through untouched, and the caller's
 * return address stays the caller's (dlsym's RTLD_NEXT depends on it). */
// clang-format off
#define PYOX_PIN(name, version)                                                \
  __asm__(".symver pyox_pinned_" #name ", " #name "@" version "\n"             \
          ".pushsection .text." #name ",\"ax\",%progbits\n"                    \
          ".globl " #name "\n"                                                 \
          ".hidden " #name "\n"                                                \
          ".type " #name ", %function\n"                                       \
          #name ":\n"                                                          \
          PYOX_JUMP("pyox_pinned_" #name) "\n"                                 \
          ".size " #name ", . - " #name "\n"                                   \
          ".popsection\n");
// clang-format on

/* --- Pins ------------------------------------------------------------- */

// clang-format off
/* libm: re-versioned in 2.29 (exp ... pow) and 2.35 (hypot). */
PYOX_PIN(exp,                        PYOX_GLIBC_BASE)
PYOX_PIN(exp2,                       PYOX_GLIBC_BASE)
PYOX_PIN(log,                        PYOX_GLIBC_BASE)
PYOX_PIN(log2,                       PYOX_GLIBC_BASE)
PYOX_PIN(pow,                        PYOX_GLIBC_BASE)
PYOX_PIN(hypot,                      PYOX_GLIBC_BASE)

/* libpthread: in libc from 2.34 (pthread_sigmask from 2.32); pthread_join
 * for std::thread (test/closure/Inputs/compat_throw.cpp). */
PYOX_PIN(pthread_create,             PYOX_GLIBC_BASE)
PYOX_PIN(pthread_detach,             PYOX_GLIBC_BASE)
PYOX_PIN(pthread_join,               PYOX_GLIBC_BASE)
PYOX_PIN(pthread_kill,               PYOX_GLIBC_BASE)
PYOX_PIN(pthread_sigmask,            PYOX_GLIBC_BASE)
PYOX_PIN(pthread_getcpuclockid,      PYOX_GLIBC_BASE)
PYOX_PIN(pthread_attr_setstacksize,  PYOX_GLIBC_BASE)
PYOX_PIN(pthread_condattr_setclock,  PYOX_GLIBC_2_3_3)
PYOX_PIN(pthread_once,               PYOX_GLIBC_BASE)
PYOX_PIN(pthread_key_create,         PYOX_GLIBC_BASE)
PYOX_PIN(__pthread_key_create,       PYOX_GLIBC_BASE)
PYOX_PIN(pthread_key_delete,         PYOX_GLIBC_BASE)
PYOX_PIN(pthread_getspecific,        PYOX_GLIBC_BASE)
PYOX_PIN(pthread_setspecific,        PYOX_GLIBC_BASE)
PYOX_PIN(sem_init,                   PYOX_GLIBC_BASE)
PYOX_PIN(sem_destroy,                PYOX_GLIBC_BASE)
PYOX_PIN(sem_post,                   PYOX_GLIBC_BASE)
PYOX_PIN(sem_wait,                   PYOX_GLIBC_BASE)
PYOX_PIN(sem_trywait,                PYOX_GLIBC_BASE)
PYOX_PIN(sem_timedwait,              PYOX_GLIBC_BASE)

/* libdl and libutil: in libc from 2.34. */
PYOX_PIN(dlerror,                    PYOX_GLIBC_BASE)
PYOX_PIN(dlsym,                      PYOX_GLIBC_BASE)
PYOX_PIN(dlvsym,                     PYOX_GLIBC_BASE)
PYOX_PIN(openpty,                    PYOX_GLIBC_BASE)
PYOX_PIN(forkpty,                    PYOX_GLIBC_BASE)
PYOX_PIN(login_tty,                  PYOX_GLIBC_BASE)
#ifdef PYOX_COMPAT_WITHOUT_VFS /* else the virtual filesystem's dlopen */
PYOX_PIN(dlopen,                     PYOX_GLIBC_BASE)
#endif
// clang-format on

/* --- __libc_start_main -------------------------------------------------- */

typedef int (*MainFn)(int, char **, char **);
typedef void (*InitFn)(int, char **, char **);

int pyox_pinned___libc_start_main(MainFn, int, char **, InitFn, void (*)(void),
                                  void (*)(void), void *);
__asm__(".symver pyox_pinned___libc_start_main, "
        "__libc_start_main@" PYOX_GLIBC_BASE);

extern void _init(void) __attribute__((weak));  /* crti.o */
extern InitFn __init_array_start[] PYOX_HIDDEN; /* the linker's */
extern InitFn __init_array_end[] PYOX_HIDDEN;

static void runConstructors(int Argc, char **Argv, char **Envp) {
  if (_init)
    _init();
  for (InitFn *F = __init_array_start; F != __init_array_end; ++F)
    (*F)(Argc, Argv, Envp);
}

/* --- libpthread, libdl, libutil, librt below 2.34 ----------------------- */

/* pyox/glibc_split.h: not DT_NEEDED; loaded here, below 2.34 only. */
const char *const pyox_glibc_split_libraries[] = {PYOX_GLIBC_SPLIT_LIBRARIES,
                                                  NULL};

/* NAME@VERSION defined by the C library (libc.so.6), by its GNU hash table
 * and version definitions; NULL when it has none. */
typedef struct {
  const char *Name, *Version;
  void *Found;
} LibcSymbol;

static uint32_t gnuHash(const char *S) {
  uint32_t H = 5381;
  for (; *S; ++S)
    H = H * 33 + (unsigned char)*S;
  return H;
}

static int findInLibc(struct dl_phdr_info *Info, size_t Size, void *Data) {
  LibcSymbol *L = (LibcSymbol *)Data;
  const ElfW(Dyn) *Dyn = NULL;
  (void)Size;
  for (int I = 0; I < Info->dlpi_phnum; ++I)
    if (Info->dlpi_phdr[I].p_type == PT_DYNAMIC)
      Dyn = (const ElfW(Dyn) *)(Info->dlpi_addr + Info->dlpi_phdr[I].p_vaddr);
  uintptr_t Strtab = 0, Symtab = 0, Hash = 0, Versym = 0, Verdef = 0;
  size_t Soname = (size_t)-1;
  for (; Dyn && Dyn->d_tag != DT_NULL; ++Dyn)
    switch (Dyn->d_tag) {
    case DT_STRTAB:
      Strtab = Dyn->d_un.d_ptr;
      break;
    case DT_SYMTAB:
      Symtab = Dyn->d_un.d_ptr;
      break;
    case DT_GNU_HASH:
      Hash = Dyn->d_un.d_ptr;
      break;
    case DT_VERSYM:
      Versym = Dyn->d_un.d_ptr;
      break;
    case DT_VERDEF:
      Verdef = Dyn->d_un.d_ptr;
      break;
    case DT_SONAME:
      Soname = Dyn->d_un.d_val;
      break;
    }
  if (!Strtab || !Symtab || !Hash || Soname == (size_t)-1)
    return 0;
  /* ld.so makes these absolute in place; an unrelocated one is an offset. */
#define PYOX_ABS(P) ((P) < Info->dlpi_addr ? (P) + Info->dlpi_addr : (P))
  const char *Str = (const char *)PYOX_ABS(Strtab);
  if (strcmp(Str + Soname, "libc.so.6") != 0)
    return 0;
  const uint32_t *H = (const uint32_t *)PYOX_ABS(Hash);
  uint32_t Buckets = H[0], SymOffset = H[1], BloomWords = H[2];
  const uint32_t *Bucket =
      (const uint32_t *)((const ElfW(Addr) *)(H + 4) + BloomWords);
  const uint32_t *Chain = Bucket + Buckets;
  const ElfW(Sym) *Sym = (const ElfW(Sym) *)PYOX_ABS(Symtab);
  const ElfW(Half) *Ver = Versym ? (const ElfW(Half) *)PYOX_ABS(Versym) : NULL;
  uint32_t Want = gnuHash(L->Name);
  for (uint32_t I = Bucket[Want % Buckets]; I >= SymOffset; ++I) {
    uint32_t Here = Chain[I - SymOffset];
    if ((Here | 1) == (Want | 1) && Sym[I].st_shndx != SHN_UNDEF &&
        strcmp(Str + Sym[I].st_name, L->Name) == 0) {
      /* Its version: the definition whose index the symbol's versym has. */
      const char *Name = NULL;
      const char *D = Verdef ? (const char *)PYOX_ABS(Verdef) : NULL;
      for (; Ver && D; D = ((const ElfW(Verdef) *)D)->vd_next
                               ? D + ((const ElfW(Verdef) *)D)->vd_next
                               : NULL) {
        const ElfW(Verdef) *Def = (const ElfW(Verdef) *)D;
        if (Def->vd_ndx == (Ver[I] & 0x7fff)) {
          Name = Str + ((const ElfW(Verdaux) *)(D + Def->vd_aux))->vda_name;
          break;
        }
      }
      if (Name && strcmp(Name, L->Version) == 0) {
        L->Found = (void *)(Info->dlpi_addr + Sym[I].st_value);
        return 1;
      }
    }
    if (Here & 1)
      break;
  }
#undef PYOX_ABS
  return 1;
}

static void failToLoad(const char *Library, const char *Glibc) {
  const char *Parts[] = {"pyox: cannot load ", Library, " (glibc ", Glibc,
                         ", which keeps its thread, dl and pty calls there)\n"};
  for (size_t I = 0; I < sizeof Parts / sizeof *Parts; ++I)
    if (write(2, Parts[I], strlen(Parts[I])) < 0)
      break;
  _exit(127);
}

/* Below 2.34, loads the libraries holding the calls the pins above name,
 * before any of them runs: the executable's calls bind lazily, on first
 * use, over the global scope, which RTLD_GLOBAL extends. libdl's dlopen
 * is one of them, so the C library's own (__libc_dlopen_mode, a
 * GLIBC_PRIVATE symbol of every glibc below 2.34, which its NSS and iconv
 * modules load with) loads them; a library linked against libpthread and
 * dlopened by a program without it works from glibc 2.25 on. */
static void loadSplitLibraries(void) {
  const char *Glibc = gnu_get_libc_version();
  char *End;
  unsigned long Major = strtoul(Glibc, &End, 10);
  unsigned long Minor = *End == '.' ? strtoul(End + 1, NULL, 10) : 0;
  if (Major > PYOX_GLIBC_SPLIT_MERGED_MAJOR ||
      (Major == PYOX_GLIBC_SPLIT_MERGED_MAJOR &&
       Minor >= PYOX_GLIBC_SPLIT_MERGED_MINOR))
    return;
  LibcSymbol Open = {"__libc_dlopen_mode", "GLIBC_PRIVATE", NULL};
  dl_iterate_phdr(findInLibc, &Open);
  typedef void *(*DlopenModeFn)(const char *, int);
  for (const char *const *L = pyox_glibc_split_libraries; *L; ++L)
    if (!Open.Found || !((DlopenModeFn)Open.Found)(*L, RTLD_NOW | RTLD_GLOBAL))
      failToLoad(*L, Glibc);
}

PYOX_HIDDEN int __libc_start_main(MainFn Main, int Argc, char **Argv,
                                  InitFn Init, void (*Fini)(void),
                                  void (*RtldFini)(void), void *StackEnd) {
  loadSplitLibraries();
  return pyox_pinned___libc_start_main(Main, Argc, Argv,
                                       Init ? Init : runConstructors, Fini,
                                       RtldFini, StackEnd);
}

/* --- __libc_single_threaded, close_range -------------------------------- */

PYOX_HIDDEN char __libc_single_threaded = 0;

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

PYOX_HIDDEN int close_range(unsigned First, unsigned Last, int Flags) {
  return (int)syscall(SYS_close_range, First, Last, Flags);
}

/* --- Newer versions, when the C library has them ------------------------ */

/* NAME@VERSION from the C library, or NULL on an older one; looked up
 * once into *SLOT (LOOKED says whether it was). */
static void *newerVersion(void **Slot, int *Looked, const char *Name,
                          const char *Version) {
#ifdef PYOX_COMPAT_NO_DLVSYM /* tests: the paths of an older glibc */
  (void)Slot, (void)Looked, (void)Name, (void)Version;
  return NULL;
#endif
  if (!__atomic_load_n(Looked, __ATOMIC_ACQUIRE)) {
    __atomic_store_n(Slot, dlvsym(RTLD_DEFAULT, Name, Version),
                     __ATOMIC_RELAXED);
    __atomic_store_n(Looked, 1, __ATOMIC_RELEASE);
  }
  return __atomic_load_n(Slot, __ATOMIC_RELAXED);
}

/* --- sem_clockwait ------------------------------------------------------ */

typedef int (*ClockwaitFn)(sem_t *, clockid_t, const struct timespec *);

PYOX_HIDDEN int sem_clockwait(sem_t *Sem, clockid_t Clock,
                              const struct timespec *Abstime) {
  static void *Real;
  static int Looked;
  ClockwaitFn F =
      (ClockwaitFn)newerVersion(&Real, &Looked, "sem_clockwait", "GLIBC_2.30");
  if (F)
    return F(Sem, Clock, Abstime);
  if (Clock == CLOCK_REALTIME)
    return sem_timedwait(Sem, Abstime);
  struct timespec Now, Wall;
  if (clock_gettime(Clock, &Now) != 0 ||
      clock_gettime(CLOCK_REALTIME, &Wall) != 0)
    return -1; /* EINVAL for a clock the system lacks */
  long long Left = (Abstime->tv_sec - Now.tv_sec) * 1000000000LL +
                   (Abstime->tv_nsec - Now.tv_nsec);
  long long Nanos = (Left > 0 ? Left : 0) + Wall.tv_nsec;
  struct timespec Deadline = {Wall.tv_sec + (time_t)(Nanos / 1000000000LL),
                              (long)(Nanos % 1000000000LL)};
  return sem_timedwait(Sem, &Deadline);
}

/* --- _dl_find_object --------------------------------------------------- */

/* glibc 2.35's <dlfcn.h> declares struct dl_find_object; the layout is
 * glibc's ABI (dlfcn/dlfcn.h), fixed for all later versions. */
typedef int (*FindObjectFn)(void *, struct dl_find_object *);

struct PhdrSearch {
  uintptr_t Pc;
  struct dl_find_object *Result;
  int Found;
};

static int findInObject(struct dl_phdr_info *Info, size_t Size, void *Data) {
  (void)Size;
  struct PhdrSearch *S = (struct PhdrSearch *)Data;
  uintptr_t Start = UINTPTR_MAX, End = 0;
  int Contains = 0;
  void *EhFrame = NULL;
  for (size_t I = 0; I < Info->dlpi_phnum; ++I) {
    const ElfW(Phdr) *P = &Info->dlpi_phdr[I];
    uintptr_t Lo = Info->dlpi_addr + P->p_vaddr;
    if (P->p_type == PT_LOAD) {
      uintptr_t Hi = Lo + P->p_memsz;
      if (Lo < Start)
        Start = Lo;
      if (Hi > End)
        End = Hi;
      if (S->Pc >= Lo && S->Pc < Hi)
        Contains = 1;
    } else if (P->p_type == PT_GNU_EH_FRAME) {
      EhFrame = (void *)Lo;
    }
  }
  if (!Contains)
    return 0;
  S->Result->dlfo_flags = 0;
  S->Result->dlfo_map_start = (void *)Start;
  S->Result->dlfo_map_end = (void *)End;
  S->Result->dlfo_link_map = NULL;
  S->Result->dlfo_eh_frame = EhFrame;
  S->Found = 1;
  return 1;
}

PYOX_HIDDEN int _dl_find_object(void *Pc, struct dl_find_object *Result) {
  static void *Real;
  static int Looked;
  FindObjectFn F = (FindObjectFn)newerVersion(&Real, &Looked, "_dl_find_object",
                                              "GLIBC_2.35");
  if (F)
    return F(Pc, Result);
  struct PhdrSearch S = {(uintptr_t)Pc, Result, 0};
  dl_iterate_phdr(findInObject, &S);
  return S.Found ? 0 : -1;
}

/* --- arc4random -------------------------------------------------------- */

PYOX_HIDDEN void arc4random_buf(void *Buf, size_t N) {
  unsigned char *P = (unsigned char *)Buf;
  while (N > 0) {
    ssize_t R = getrandom(P, N, 0);
    if (R > 0) {
      P += R;
      N -= (size_t)R;
      continue;
    }
    if (R < 0 && errno == EINTR)
      continue;
    break; /* ENOSYS: a kernel older than 3.17 */
  }
  if (N == 0)
    return;
  int Fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  while (Fd >= 0 && N > 0) {
    ssize_t R = read(Fd, P, N);
    if (R > 0) {
      P += R;
      N -= (size_t)R;
    } else if (!(R < 0 && errno == EINTR)) {
      break;
    }
  }
  if (Fd >= 0)
    close(Fd);
  if (N > 0)
    abort(); /* as glibc's arc4random: no randomness is not an option */
}

PYOX_HIDDEN uint32_t arc4random(void) {
  uint32_t V;
  arc4random_buf(&V, sizeof V);
  return V;
}

/* --- The stat family and mknod ------------------------------------------ */

/* struct stat is the kernel's on x86-64 and AArch64, and stat64 the same. */
static int sysStat(const char *Path, struct stat *St) {
  return (int)syscall(SYS_newfstatat, AT_FDCWD, Path, St, 0);
}
static int sysLstat(const char *Path, struct stat *St) {
  return (int)syscall(SYS_newfstatat, AT_FDCWD, Path, St, AT_SYMLINK_NOFOLLOW);
}
static int sysFstat(int Fd, struct stat *St) {
  return (int)syscall(SYS_fstat, Fd, St);
}
static int sysFstatat(int Dirfd, const char *Path, struct stat *St, int Flags) {
  return (int)syscall(SYS_newfstatat, Dirfd, Path, St, Flags);
}
static int sysMknodat(int Dirfd, const char *Path, mode_t Mode, dev_t Dev) {
  /* The kernel's dev is 32 bits: glibc refuses what does not fit. */
  if ((unsigned)Dev != Dev) {
    errno = EINVAL;
    return -1;
  }
  return (int)syscall(SYS_mknodat, Dirfd, Path, Mode, (unsigned)Dev);
}
static int sysMknod(const char *Path, mode_t Mode, dev_t Dev) {
  return sysMknodat(AT_FDCWD, Path, Mode, Dev);
}

// clang-format off
#define PYOX_STAT_FAMILY(X)                                                    \
  X(stat, sysStat) X(stat64, sysStat) X(lstat, sysLstat)                      \
  X(lstat64, sysLstat) X(fstat, sysFstat) X(fstat64, sysFstat)                \
  X(fstatat, sysFstatat) X(fstatat64, sysFstatat) X(mknod, sysMknod)          \
  X(mknodat, sysMknodat)
// clang-format on

/* What the virtual filesystem forwards NAME to when the C library does not
 * export it (glibc < 2.33): the system call, or NULL. */
PYOX_HIDDEN void *pyox_glibc_compat_function(const char *Name) {
#define PYOX_MATCH(name, impl)                                                 \
  if (strcmp(Name, #name) == 0)                                                \
    return (void *)impl;
  PYOX_STAT_FAMILY(PYOX_MATCH)
#undef PYOX_MATCH
  return NULL;
}

#ifdef PYOX_COMPAT_WITHOUT_VFS
/* No virtual filesystem defines them: the archives bind to these. */
PYOX_HIDDEN int stat(const char *P, struct stat *S) { return sysStat(P, S); }
PYOX_HIDDEN int stat64(const char *P, struct stat64 *S) {
  return sysStat(P, (struct stat *)S);
}
PYOX_HIDDEN int lstat(const char *P, struct stat *S) { return sysLstat(P, S); }
PYOX_HIDDEN int lstat64(const char *P, struct stat64 *S) {
  return sysLstat(P, (struct stat *)S);
}
PYOX_HIDDEN int fstat(int Fd, struct stat *S) { return sysFstat(Fd, S); }
PYOX_HIDDEN int fstat64(int Fd, struct stat64 *S) {
  return sysFstat(Fd, (struct stat *)S);
}
PYOX_HIDDEN int fstatat(int D, const char *P, struct stat *S, int F) {
  return sysFstatat(D, P, S, F);
}
PYOX_HIDDEN int fstatat64(int D, const char *P, struct stat64 *S, int F) {
  return sysFstatat(D, P, (struct stat *)S, F);
}
PYOX_HIDDEN int mknod(const char *P, mode_t M, dev_t D) {
  return sysMknod(P, M, D);
}
PYOX_HIDDEN int mknodat(int Dir, const char *P, mode_t M, dev_t D) {
  return sysMknodat(Dir, P, M, D);
}
#endif
