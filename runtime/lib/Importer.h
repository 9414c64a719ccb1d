//===- Importer.h - The in-memory importer (internal) ---------------------===//
//
// The importer is a CPython extension type written against the C API: one
// object, `_pyox.Finder`, that is both the PEP 451 meta path finder and the
// loader of every module in the payload, plus `_pyox.PathEntryFinder`, the
// PEP 302 path entry finder its path hook returns (for pkgutil). Start-up
// (Startup.cpp) creates one Finder per interpreter and installs it.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_RUNTIME_IMPORTER_H
#define PYOX_RUNTIME_IMPORTER_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "pyox/payload.h"

namespace pyox {

// The init function of the built-in module `_pyox`; register it with
// PyImport_AppendInittab before the interpreter starts.
PyObject *initPyoxModule();

// Creates the finder over P (which must outlive the interpreter) with ROOT,
// the path modules' virtual file names start with (normally the executable).
// Puts it at sys.meta_path[0] and in sys.path_importer_cache for ROOT. Call
// between core initialisation and _Py_InitializeMain. Returns 0, or -1 with
// a Python exception set. FILE_MAPPED: P lies in a read-only mapping of
// the program file (located by pyox_find_payload), so pages of bytecode
// already unmarshalled may be dropped from memory.
int installFinder(const pyox_payload &P, const char *Root, bool FileMapped);

// Puts the finder's path hook at sys.path_hooks[0] and gives the frozen
// modules imported during start-up their __file__. Call after
// _Py_InitializeMain, which installs the other hooks. 0 or -1 as above.
int finishImporter();

// Sets sys.excepthook to one that prints tracebacks with the traceback
// module, which reads source lines through the loaders (linecache); the
// built-in printer only opens files on disk. For payloads with sources.
int installSourceExcepthook();

// The Python glue for importlib.resources and importlib.metadata
// (ResourceGlue.cpp): small classes compiled from source on first use.
// Returns a new reference to the namespace dict, or NULL with an exception.
PyObject *resourceGlue();
PyObject *metadataGlue();

} // namespace pyox

#endif
