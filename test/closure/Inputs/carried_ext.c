// An extension module whose answer comes from a library outside the
// program (libdep.so.1), which needs another (libdep2.so.1): what pack must
// carry and the runtime load from memory.
#include <Python.h>

int dep_answer(void);

static PyObject *answer(PyObject *Self, PyObject *Args) {
  (void)Self;
  (void)Args;
  return PyLong_FromLong(dep_answer());
}

static PyMethodDef Methods[] = {{"answer", answer, METH_NOARGS, NULL},
                                {NULL, NULL, 0, NULL}};
static struct PyModuleDef Def = {PyModuleDef_HEAD_INIT, "ext", NULL, -1,
                                 Methods};

PyMODINIT_FUNC PyInit_ext(void) { return PyModule_Create(&Def); }
