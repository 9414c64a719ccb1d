/* A host for the link-time tests: asks the pyox locator for a payload of
 * the image it is linked into, prints its size and FNV-1a hash, and with an
 * OUT argument writes the located bytes there, so a test can compare them
 * with the payload file it linked in.
 *
 *   host [NAME|-] [OUT]
 */
#include "pyox/runtime.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  const char *name = argc > 1 && strcmp(argv[1], "-") != 0 ? argv[1] : NULL;
  const void *data;
  size_t size;
  const char *error = "";
  int rc = pyox_find_payload(name, (const void *)&main, &data, &size, &error);
  if (rc != PYOX_FIND_OK) {
    printf("payload: not found (%d): %s\n", rc, error);
    return 1;
  }
  uint32_t hash = 2166136261u;
  for (size_t i = 0; i < size; ++i)
    hash = (hash ^ ((const uint8_t *)data)[i]) * 16777619u;
  printf("payload: %zu bytes, fnv1a %08x\n", size, hash);
  if (argc > 2) {
    FILE *f = fopen(argv[2], "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
      return 2;
  }
  return 0;
}
