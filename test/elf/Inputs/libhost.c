/* A shared library that carries its own payload: the address passed to the
 * locator is in this library, so it must find the library's payload, not
 * the executable's. */
#include "pyox/runtime.h"

#include <stdint.h>
#include <stdio.h>

int libhost_report(const char *name, const char *out) {
  const void *data;
  size_t size;
  const char *error = "";
  int rc = pyox_find_payload(name, (const void *)&libhost_report, &data, &size,
                             &error);
  if (rc != PYOX_FIND_OK) {
    printf("lib: not found (%d): %s\n", rc, error);
    return 1;
  }
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < size; ++i)
    h = (h ^ ((const uint8_t *)data)[i]) * 16777619u;
  printf("lib: found %zu bytes, fnv1a %08x\n", size, h);
  if (out) {
    FILE *f = fopen(out, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
      return 2;
  }
  return 0;
}
