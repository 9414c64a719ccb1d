/* A small host for the ELF tests: finds its payload with the pyox locator
 * and prints its size and FNV-1a hash; with a file name, also writes the
 * bytes there so the test can compare them with the payload file. Built with
 * -DWITH_LIB it asks the shared library libhost.so for that library's own
 * payload too. */
#include "pyox/runtime.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef WITH_LIB
int libhost_report(const char *name, const char *out);
#endif

int report(const char *who, const char *name, const void *self,
           const char *out) {
  const void *data;
  size_t size;
  const char *error = "";
  int rc = pyox_find_payload(name, self, &data, &size, &error);
  if (rc != PYOX_FIND_OK) {
    printf("%s: not found (%d): %s\n", who, rc, error);
    return 1;
  }
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < size; ++i)
    h = (h ^ ((const uint8_t *)data)[i]) * 16777619u;
  printf("%s: found %zu bytes, fnv1a %08x\n", who, size, h);
  if (out) {
    FILE *f = fopen(out, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
      return 2;
  }
  return 0;
}

/* host [NAME|-] [OUT] [LIBOUT] */
int main(int argc, char **argv) {
  const char *name = argc > 1 && strcmp(argv[1], "-") != 0 ? argv[1] : NULL;
  int rc = report("exe", name, (const void *)&main, argc > 2 ? argv[2] : NULL);
#ifdef WITH_LIB
  rc |= libhost_report(name, argc > 3 ? argv[3] : NULL);
#endif
  return rc;
}
