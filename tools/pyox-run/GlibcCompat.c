/*===- GlibcCompat.c - Lower pyox-run's glibc floor to 2.34 ----------------===*
 *
 * Debian 12 links pyox-run against glibc 2.36, and the prebuilt archives it
 * takes whole (libpython3.11.a, libstdc++.a, libgcc_eh.a, libexpat.a) bind
 * a few symbols at versions newer than 2.34: hypot@GLIBC_2.35,
 * _dl_find_object@GLIBC_2.35, arc4random and arc4random_buf@GLIBC_2.36. A
 * program needing them does not start on RHEL 9, Ubuntu 22.04 or Amazon
 * Linux 2023 (glibc 2.34-2.35).
 *
 * A `.symver` header cannot change what a prebuilt archive asks for; a
 * definition in the executable can: the archives' references bind to these
 * at static link time, before any shared library is searched. Each is
 * hidden, so --export-dynamic exports none of them and extension modules
 * keep binding to the C library's own. For each symbol:
 *  - hypot: the same function at its older version, GLIBC_2.2.5 (2.35 only
 *    added a faster default version);
 *  - _dl_find_object (what GCC 12's unwinder asks to find the unwind table
 *    of a PC): the C library's when it has one (dlvsym), else the same
 *    answer from dl_iterate_phdr. It must really find the table: GCC 12's
 *    _Unwind_Find_FDE does not fall back when it fails, so a stub would
 *    make every C++ throw terminate;
 *  - arc4random, arc4random_buf: getrandom(2) (GLIBC_2.25), as glibc 2.36
 *    implements them, with /dev/urandom when the kernel lacks getrandom.
 *
 * The floor is checked after the link (cmake/GlibcFloor.cmake): a new
 * symbol above it fails the build. docs/runtime.md, "The glibc floor".
 *
 * Not done: a 2.28 floor (RHEL 8, Ubuntu 20.04, Debian 10). It needs here
 * older versions for what 2.29-2.34 moved or re-versioned: exp, exp2, log,
 * log2, pow (@GLIBC_2.2.5 wrappers); fcntl64 (fcntl@2.2.5); the stat
 * family (__xstat64, __fxstat64, __lxstat64, __fxstatat64, __xmknod(at)
 * with _STAT_VER); pthread_*, sem_*, dlopen/dlsym/dlerror, openpty,
 * forkpty, login_tty at their libpthread/libdl/libutil versions, with
 * those libraries DT_NEEDED before libc; pthread_sigmask; a local
 * __libc_single_threaded = 0; close_range by syscall(2) with an ENOSYS
 * fallback; sem_clockwait@2.30; and __libc_start_main@2.2.5 with an init
 * function that runs _init and .init_array (2.36's crt1.o passes NULL, so
 * constructors would not run). Then every carried library's and
 * lib-dynload module's SHT_GNU_verneed must be rewritten to versions the
 * old glibc has (Debian 12's libssl, libcrypto, libsqlite3, liblzma need
 * 2.33-2.34), by pyox's ELF code at pack time.
 *
 *===----------------------------------------------------------------------===*/

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

#define PYOX_HIDDEN __attribute__((visibility("hidden")))

#if defined(__x86_64__)
#define PYOX_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define PYOX_GLIBC_BASE "GLIBC_2.17"
#else
#error "GlibcCompat.c: unknown glibc base version for this architecture"
#endif

/* --- hypot ------------------------------------------------------------ */

double pyox_hypot_base(double, double);
__asm__(".symver pyox_hypot_base, hypot@" PYOX_GLIBC_BASE);

PYOX_HIDDEN double hypot(double X, double Y) { return pyox_hypot_base(X, Y); }

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
  static FindObjectFn Real;
  static int Looked;
#ifndef PYOX_COMPAT_NO_DLVSYM /* tests: the path of glibc < 2.35 */
  if (!__atomic_load_n(&Looked, __ATOMIC_ACQUIRE)) {
    FindObjectFn F =
        (FindObjectFn)dlvsym(RTLD_DEFAULT, "_dl_find_object", "GLIBC_2.35");
    __atomic_store_n(&Real, F, __ATOMIC_RELAXED);
    __atomic_store_n(&Looked, 1, __ATOMIC_RELEASE);
  }
#endif
  FindObjectFn F = __atomic_load_n(&Real, __ATOMIC_RELAXED);
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
