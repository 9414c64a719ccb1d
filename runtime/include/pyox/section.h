/*===- pyox/section.h - The pyox section of Mach-O and PE images -*- C -*-===*
 *
 * ELF images describe each payload with a PYOX note (pyox/runtime.h). Mach-O
 * and PE/COFF have no notes, and their section names are short: 16 bytes in
 * a Mach-O section_64 (loader.h), 8 bytes in a PE section header (PE/COFF
 * spec 3.4; longer names need the COFF string table, which images do not
 * load). So these formats carry one section,
 *
 *   Mach-O: segment __PYOX, section __pyox   (PYOX_MACHO_SEGMENT/SECTION)
 *   PE:     section .pyox                    (PYOX_PE_SECTION)
 *
 * that holds every payload of the image behind a small directory:
 *
 *   [pyox_section_header]           16 bytes at offset 0
 *   [pyox_section_entry x count]    24 bytes each
 *   [names]                         not NUL-terminated
 *   [payloads]                      each at a PYOX_DATA_ALIGN offset,
 *                                   zero padding between
 *
 * All offsets are from the start of the section, so the directory is
 * position-independent: the runtime finds the section through the image's
 * own headers (getsectiondata; the PE section table) and needs no
 * relocation. Every field is little-endian with a fixed width. Readers check
 * every entry against the section size before following it.
 *===----------------------------------------------------------------------===*/

#ifndef PYOX_SECTION_H
#define PYOX_SECTION_H

#include "pyox/format.h"
#include "pyox/payload.h"
#include "pyox/runtime.h"

#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PYOX_MACHO_SEGMENT "__PYOX"
#define PYOX_MACHO_SECTION "__pyox"
#define PYOX_PE_SECTION ".pyox"

/* "PYOXSECT" */
#define PYOX_SECTION_MAGIC "PYOXSECT"
#define PYOX_SECTION_MAGIC_SIZE 8
#define PYOX_SECTION_VERSION 1u

typedef struct pyox_section_header {
  uint8_t magic[8]; /*  0: PYOX_SECTION_MAGIC */
  uint32_t version; /*  8: PYOX_SECTION_VERSION */
  uint32_t count;   /* 12: entries that follow */
} pyox_section_header;
#define PYOX_SECTION_HEADER_SIZE 16u

typedef struct pyox_section_entry {
  uint64_t offset;      /*  0: of the payload; PYOX_DATA_ALIGN aligned */
  uint64_t size;        /*  8: the payload's total_size */
  uint32_t name_offset; /* 16: of the name bytes */
  uint32_t name_size;   /* 20: 1..PYOX_MAX_PAYLOAD_NAME */
} pyox_section_entry;
#define PYOX_SECTION_ENTRY_SIZE 24u
/* Longest payload name (PYOX_MAX_PAYLOAD_NAME in pyox/runtime.h). */
#define PYOX_MAX_SECTION_NAME 255u

/* Checks the directory of SECTION[0, SIZE) and sets *COUNT. Returns 0, or -1
 * with *ERROR set to a static message. */
static inline int pyox_section_open(const uint8_t *section, uint64_t size,
                                    uint32_t *count, const char **error) {
  uint32_t version, n;
  if (size < PYOX_SECTION_HEADER_SIZE ||
      memcmp(section, PYOX_SECTION_MAGIC, PYOX_SECTION_MAGIC_SIZE) != 0) {
    *error = "pyox: the pyox section has no payload directory";
    return -1;
  }
  memcpy(&version, section + 8, 4);
  memcpy(&n, section + 12, 4);
  if (version != PYOX_SECTION_VERSION) {
    *error = "pyox: the pyox section directory has an unknown version";
    return -1;
  }
  if (n > (size - PYOX_SECTION_HEADER_SIZE) / PYOX_SECTION_ENTRY_SIZE) {
    *error = "pyox: the pyox section directory is truncated";
    return -1;
  }
  *count = n;
  return 0;
}

/* Reads entry INDEX (< the count pyox_section_open gave) of SECTION[0, SIZE)
 * into *ENTRY after checking that its name and payload lie inside the
 * section. Returns 0, or -1 with *ERROR set. */
static inline int pyox_section_entry_at(const uint8_t *section, uint64_t size,
                                        uint32_t index,
                                        pyox_section_entry *entry,
                                        const char **error) {
  const uint8_t *p = section + PYOX_SECTION_HEADER_SIZE +
                     (uint64_t)index * PYOX_SECTION_ENTRY_SIZE;
  memcpy(&entry->offset, p, 8);
  memcpy(&entry->size, p + 8, 8);
  memcpy(&entry->name_offset, p + 16, 4);
  memcpy(&entry->name_size, p + 20, 4);
  if (entry->name_size == 0 || entry->name_size > PYOX_MAX_SECTION_NAME ||
      entry->name_offset > size ||
      entry->name_size > size - entry->name_offset) {
    *error = "pyox: a pyox section entry has a name out of bounds";
    return -1;
  }
  if (entry->offset % PYOX_DATA_ALIGN != 0 || entry->offset > size ||
      entry->size > size - entry->offset) {
    *error = "pyox: a pyox section entry has a payload out of bounds";
    return -1;
  }
  return 0;
}

/* The runtime's lookup: finds the payload NAME[0, NAME_SIZE) in SECTION[0,
 * SIZE), opens it, and returns a pyox_find_result as pyox_find_payload does. */
static inline int pyox_section_find(const uint8_t *section, uint64_t size,
                                    const char *name, size_t name_size,
                                    const void **data, size_t *data_size,
                                    const char **error) {
  uint32_t count = 0, i;
  const char *why = 0;
  if (pyox_section_open(section, size, &count, &why) != 0) {
    if (error)
      *error = why;
    return PYOX_FIND_INVALID;
  }
  for (i = 0; i < count; ++i) {
    pyox_section_entry e;
    uint64_t total = 0;
    if (pyox_section_entry_at(section, size, i, &e, &why) != 0) {
      if (error)
        *error = why;
      return PYOX_FIND_INVALID;
    }
    if (e.name_size != name_size ||
        memcmp(section + e.name_offset, name, name_size) != 0)
      continue;
    if (pyox_payload_check_header(section + e.offset, e.size, &total, &why) !=
        0) {
      if (error)
        *error = why;
      return PYOX_FIND_INVALID;
    }
    *data = section + e.offset;
    *data_size = (size_t)total;
    return PYOX_FIND_OK;
  }
  if (error)
    *error = "pyox: no embedded payload of that name in this image";
  return PYOX_FIND_NOT_FOUND;
}

#ifdef __cplusplus
} /* extern "C" */
static_assert(sizeof(pyox_section_header) == PYOX_SECTION_HEADER_SIZE, "");
static_assert(sizeof(pyox_section_entry) == PYOX_SECTION_ENTRY_SIZE, "");
#else
_Static_assert(sizeof(pyox_section_header) == PYOX_SECTION_HEADER_SIZE, "");
_Static_assert(sizeof(pyox_section_entry) == PYOX_SECTION_ENTRY_SIZE, "");
#endif

#endif /* PYOX_SECTION_H */
