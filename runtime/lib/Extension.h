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

// create_module for an extension entry whose (verified) shared object bytes
// are DATA[0, SIZE): loads it without touching the filesystem and runs its
// PyInit function. SPEC is the module's spec; MODULE_SPEC the ModuleSpec
// class and LOADER the finder, to build the spec CPython's loader sees.
PyObject *createExtensionModule(ExtensionCache &Cache, uint32_t Index,
                                const uint8_t *Data, uint64_t Size,
                                PyObject *Spec, PyObject *ModuleSpec,
                                PyObject *Loader);

// exec_module for an extension module (multi-phase init, PEP 489).
PyObject *execExtensionModule(PyObject *Module);

} // namespace pyox

#endif
