// An extension module whose ELF constructor dlopens a library of the
// program's tree (the path in $CTOREXT_PLUG): ld.so runs constructors with
// its load lock held, so the runtime's dlopen hook, and what it does for
// the library's own needs, then runs under that lock.
#include <Python.h>

#include <dlfcn.h>
#include <stdlib.h>

static void *Plug;

__attribute__((constructor)) static void openPlug(void) {
  const char *Path = getenv("CTOREXT_PLUG");
  if (Path)
    Plug = dlopen(Path, RTLD_NOW);
}

static PyObject *answer(PyObject *Self, PyObject *Args) {
  (void)Self;
  (void)Args;
  int (*PlugAnswer)(void) =
      Plug ? (int (*)(void))dlsym(Plug, "plug_answer") : NULL;
  return PyLong_FromLong(PlugAnswer ? PlugAnswer() : -1);
}

static PyMethodDef Methods[] = {{"answer", answer, METH_NOARGS, NULL},
                                {NULL, NULL, 0, NULL}};
static struct PyModuleDef Def = {PyModuleDef_HEAD_INIT, "ctorext", NULL, -1,
                                 Methods};

PyMODINIT_FUNC PyInit_ctorext(void) { return PyModule_Create(&Def); }
