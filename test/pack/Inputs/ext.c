// The smallest extension module: `ext`, exporting PyInit_ext.
#include <Python.h>

static struct PyModuleDef Def = {PyModuleDef_HEAD_INIT, "ext", NULL, -1, NULL};

PyMODINIT_FUNC PyInit_ext(void) { return PyModule_Create(&Def); }
