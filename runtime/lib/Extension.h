//===- Extension.h - Extension modules from memory (internal) -------------===//

#ifndef PYOX_RUNTIME_EXTENSION_H
#define PYOX_RUNTIME_EXTENSION_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>

namespace pyox {

// The sealed memory files of the extension modules loaded so far, by entry
// index, so that a second import of the same entry reaches the same image.
struct ExtensionCache;
ExtensionCache *newExtensionCache(uint32_t EntryCount);

// The sealed memory file of extension entry INDEX, or -1 if it has not
// been made yet.
int cachedExtensionFile(const ExtensionCache &Cache, uint32_t Index);

// Makes the sealed memory file of extension entry INDEX, named NAME, from
// its (verified) shared object bytes DATA[0, SIZE): its descriptor, or -1
// with a Python OSError set.
int makeExtensionFile(ExtensionCache &Cache, uint32_t Index, const char *Name,
                      const uint8_t *Data, uint64_t Size);

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
