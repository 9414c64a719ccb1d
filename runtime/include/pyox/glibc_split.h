/*===- pyox/glibc_split.h - The libraries glibc merged into libc -*- C -*-===*
 *
 * Below glibc 2.34 the thread, dl, pty and realtime calls live in four
 * libraries of their own; from 2.34 on they are empty stubs and libc.so.6
 * answers. pyox-run does not list them as DT_NEEDED, which would map the
 * four stubs at every start on current systems (36 more system calls and
 * 20 page faults, 3-5% of a hello's start-up): below 2.34 it loads them
 * itself before anything runs (tools/pyox-run/GlibcCompat.c), and exports
 * PYOX_GLIBC_SPLIT_MARKER, the null-terminated list of them, to say so
 * (lib/Pack/GlibcLowering.cpp counts them as the template's libraries).
 *
 *===----------------------------------------------------------------------===*/

#ifndef PYOX_GLIBC_SPLIT_H
#define PYOX_GLIBC_SPLIT_H

#define PYOX_GLIBC_SPLIT_MARKER "pyox_glibc_split_libraries"
#define PYOX_GLIBC_SPLIT_LIBRARIES                                             \
  "libpthread.so.0", "libdl.so.2", "libutil.so.1", "librt.so.1"
/* The first glibc with all of them in libc.so.6. */
#define PYOX_GLIBC_SPLIT_MERGED_MAJOR 2
#define PYOX_GLIBC_SPLIT_MERGED_MINOR 34

#endif
