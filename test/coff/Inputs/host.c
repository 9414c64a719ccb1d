/* A PE host for the pyox tests: finds the payload named argv[1] (default:
 * "pyox") in its own image through the runtime locator and prints its size
 * and CRC-32 (zlib's), which the tests compare with the payload file. */
#include "pyox/runtime.h"

#include <stdio.h>
#include <string.h>

static unsigned long crc32(const unsigned char *p, size_t n) {
  unsigned long c = 0xffffffffUL;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k)
      c = (c >> 1) ^ (0xedb88320UL & (0UL - (c & 1)));
  }
  return c ^ 0xffffffffUL;
}

int main(int argc, char **argv) {
  const void *data = 0;
  size_t size = 0;
  const char *error = 0;
  int r = pyox_find_payload(argc > 1 ? argv[1] : NULL, (const void *)&main,
                            &data, &size, &error);
  if (r != PYOX_FIND_OK) {
    printf("not found (%d): %s\n", r, error);
    return 2;
  }
  printf("payload %lu bytes crc32 %08lx\n", (unsigned long)size,
         crc32((const unsigned char *)data, size));
  return 0;
}
