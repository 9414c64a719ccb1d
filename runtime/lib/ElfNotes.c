/*===- ElfNotes.c - The GNU build-id among an ELF object's notes ----------===*/

#include "ElfNotes.h"

#include <string.h>

int pyox_find_build_id(const uint8_t *notes, size_t size, size_t align,
                       const uint8_t **id, size_t *id_size) {
  enum { Header = 12, GnuBuildId = 3 }; /* Elf{32,64}_Nhdr; NT_GNU_BUILD_ID */
  size_t at = 0;
  while (size - at >= Header) {
    uint32_t h[3]; /* n_namesz, n_descsz, n_type */
    memcpy(h, notes + at, sizeof h);
    size_t name = ((size_t)h[0] + align - 1) & ~(align - 1);
    size_t desc = ((size_t)h[1] + align - 1) & ~(align - 1);
    if (h[0] > size || h[1] > size || name > size - at - Header ||
        h[1] > size - at - Header - name)
      return 0;
    if (h[2] == GnuBuildId && h[0] == 4 &&
        memcmp(notes + at + Header, "GNU", 4) == 0) {
      *id = notes + at + Header + name;
      *id_size = h[1];
      return 1;
    }
    if (desc > size - at - Header - name)
      return 0;
    at += Header + name + desc;
  }
  return 0;
}
