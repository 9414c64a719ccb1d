/* wheelpkg._core: an extension module that needs a vendored library from
 * wheelpkg.libs/, found through RUNPATH $ORIGIN/../wheelpkg.libs, as
 * auditwheel lays out manylinux wheels. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

int helper_value(void);

static PyObject *value(PyObject *Self, PyObject *Args) {
  (void)Self;
  (void)Args;
  return PyLong_FromLong(helper_value());
}

static PyMethodDef Methods[] = {{"value", value, METH_NOARGS, NULL},
                                {NULL, NULL, 0, NULL}};
static struct PyModuleDef Module = {PyModuleDef_HEAD_INIT, "_core", NULL, -1,
                                    Methods};
PyMODINIT_FUNC PyInit__core(void) { return PyModule_Create(&Module); }
