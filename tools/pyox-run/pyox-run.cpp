//===- pyox-run.cpp - The template single-file Python program -------------===//
//
// pyox-run is the runtime library linked with static CPython 3.11. On its
// own it has no payload and says so; `pyox-inject build` copies it and
// injects one, which turns the copy into the application (docs/runtime.md).
//
//===----------------------------------------------------------------------===//

#include "pyox/runtime.h"

int main(int argc, char **argv) { return pyox_main(argc, argv); }
