/*===- pyox/vfs.h - The read-only virtual filesystem -----------*- C -*-===*
 *
 * Library pyox_vfs makes the paths under the program (ROOT, normally the
 * executable's own path) a read-only directory tree for the whole process:
 * module directories, package data, distribution metadata, extension
 * modules and bundled shared libraries open, stat, list, mmap and dlopen
 * from the payload, and every write fails with EROFS. It does so by
 * defining the C library's file entry points in the executable, which
 * exports them, so that the static libpython and every object the process
 * loads call them (docs/runtime.md, "The virtual filesystem").
 *
 * Link it whole (--whole-archive) into an executable linked with
 * --export-dynamic: pyox-run does. A program that embeds pyox_runtime
 * without it keeps the C library's behaviour; pyox_run mounts the VFS when
 * this library is linked in. A shared library cannot interpose for the
 * process that loads it: there, only the importer's views (get_data,
 * importlib.resources through the loader) see the payload.
 *===----------------------------------------------------------------------===*/

#ifndef PYOX_VFS_H
#define PYOX_VFS_H

#include "pyox/payload.h"

#ifdef __cplusplus
extern "C" {
#endif

/* P lies in a read-only, private mapping of a file (the program's own, as
 * pyox_find_payload finds it): pages copied into memory files may be
 * dropped, and are read back from the page cache if touched again. */
#define PYOX_VFS_FILE_MAPPED 1u

/* Serves P (which must stay alive and unchanged until exit) under ROOT, an
 * absolute path to a regular file (so that the kernel answers ENOTDIR for
 * any path below it: the VFS never hides a real file). FLAGS: PYOX_VFS_*.
 * Call once, before other threads exist. Returns 0, or -1 with *ERROR set
 * to a static message. */
int pyox_vfs_mount(const pyox_payload *p, const char *root, unsigned flags,
                   const char **error);

/* 1 once pyox_vfs_mount has succeeded in this process, else 0. */
int pyox_vfs_mounted(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PYOX_VFS_H */
