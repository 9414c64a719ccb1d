//===- Extension.h - Extension modules from memory (internal) -------------===//

#ifndef PYOX_RUNTIME_EXTENSION_H
#define PYOX_RUNTIME_EXTENSION_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "pyox/payload.h"

#include <stdint.h>

namespace pyox {

// The sealed memory files of the extension modules loaded so far, by entry
// index, so that a second import of the same entry reaches the same image.
struct ExtensionCache;
ExtensionCache *newExtensionCache(uint32_t EntryCount);

// The sealed memory file of extension entry INDEX, or -1 if it has not
// been made yet.
int cachedExtensionFile(const ExtensionCache &Cache, uint32_t Index);

// Makes the sealed memory file, named NAME, of extension entry E, index
// INDEX of P (its shared object, copied or decompressed: EntryFile.h): its
// descriptor, or -1 with errno set (EBADMSG: the entry is damaged).
int makeExtensionFile(ExtensionCache &Cache, uint32_t Index, const char *Name,
                      const pyox_payload *P, const pyox_entry *E);

// create_module for an extension module whose shared object is the memory
// file FD: loads it without touching the filesystem and runs its PyInit
// function. SPEC is the module's spec; MODULE_SPEC the ModuleSpec class and
// LOADER the finder, to build the spec CPython's loader sees.
PyObject *createExtensionModule(int Fd, PyObject *Spec, PyObject *ModuleSpec,
                                PyObject *Loader);

// create_module for an extension module whose spec's origin is a path the
// C library can dlopen (a path of the virtual filesystem).
PyObject *createExtensionModuleAt(PyObject *Spec);

// exec_module for an extension module (multi-phase init, PEP 489).
PyObject *execExtensionModule(PyObject *Module);

} // namespace pyox

#endif
