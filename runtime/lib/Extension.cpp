//===- Extension.cpp - Extension modules from memory ----------------------===//
//
// The dynamic loader only maps files, and pyox never writes one. Linux has a
// file that is not on any filesystem: memfd_create(2). The shared object's
// bytes go into a memfd (decompressed into it when the payload holds them
// compressed), which is then sealed (F_SEAL_WRITE, _SHRINK, _GROW, _SEAL:
// nobody, not even this process, can change the image afterwards), and the
// loader opens it by its /proc/self/fd/N name (EntryFile.h).
//
// The module is then created by CPython's own extension loader,
// _imp.create_dynamic, with a spec whose origin is that /proc name: it
// dlopens with sys.getdlopenflags(), finds PyInit_<name>, handles single-
// and multi-phase initialisation (PEP 489) and records the module for
// re-imports exactly as for a file on disk. Afterwards __file__ is the
// virtual path (ROOT/pkg/_ext.cpython-311-x86_64-linux-gnu.so).
//
// The memfd stays open for the life of the process: glibc recognises a
// second dlopen of the same /proc name as the same object only while the
// name still denotes it, and the mapping keeps the pages alive anyway.
//
//===----------------------------------------------------------------------===//

#include "Extension.h"

#include "EntryFile.h"

#include <vector>

namespace pyox {

struct ExtensionCache {
  std::vector<int> Fds; // by entry index; -1 when not loaded yet
};

ExtensionCache *newExtensionCache(uint32_t EntryCount) {
  ExtensionCache *C = new ExtensionCache;
  C->Fds.assign(EntryCount, -1);
  return C;
}

namespace {

// _imp.METHOD(ARG): CPython's own extension loader.
PyObject *callImp(const char *Method, PyObject *Arg) {
  PyObject *Imp = PyImport_ImportModule("_imp");
  if (!Imp)
    return nullptr;
  PyObject *R = PyObject_CallMethod(Imp, Method, "O", Arg);
  Py_DECREF(Imp);
  return R;
}

} // namespace

int cachedExtensionFile(const ExtensionCache &Cache, uint32_t Index) {
  return Cache.Fds[Index];
}

int makeExtensionFile(ExtensionCache &Cache, uint32_t Index, const char *Name,
                      const pyox_payload *P, const pyox_entry *E) {
  return Cache.Fds[Index] = entryMemoryFile(P, E, Name);
}

PyObject *createExtensionModule(int Fd, PyObject *Spec, PyObject *ModuleSpec,
                                PyObject *Loader) {
  PyObject *Name = PyObject_GetAttrString(Spec, "name");
  if (!Name)
    return nullptr;
  PyObject *Module = nullptr, *LoadSpec = nullptr;
  PyObject *Origin = PyUnicode_FromFormat("/proc/self/fd/%d", Fd);
  PyObject *Args = Origin ? PyTuple_Pack(2, Name, Loader) : nullptr;
  PyObject *Kwargs = Args ? Py_BuildValue("{sO}", "origin", Origin) : nullptr;
  if (Kwargs)
    LoadSpec = PyObject_Call(ModuleSpec, Args, Kwargs);
  Py_XDECREF(Args);
  Py_XDECREF(Kwargs);
  if (LoadSpec)
    Module = callImp("create_dynamic", LoadSpec);
  if (Module) {
    // Single-phase modules get __file__ from the loader's origin; show the
    // virtual path instead, as for every other module.
    PyObject *File = PyObject_GetAttrString(Spec, "origin");
    if (File && File != Py_None && PyModule_Check(Module) &&
        PyObject_SetAttrString(Module, "__file__", File) < 0)
      Py_CLEAR(Module);
    Py_XDECREF(File);
  }
  Py_XDECREF(LoadSpec);
  Py_XDECREF(Origin);
  Py_DECREF(Name);
  return Module;
}

PyObject *createExtensionModuleAt(PyObject *Spec) {
  return callImp("create_dynamic", Spec);
}

PyObject *execExtensionModule(PyObject *Module) {
  PyObject *R = callImp("exec_dynamic", Module);
  if (!R)
    return nullptr;
  Py_DECREF(R);
  Py_RETURN_NONE;
}

} // namespace pyox
