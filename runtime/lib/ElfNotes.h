/*===- ElfNotes.h - The GNU build-id among an ELF object's notes ----------===*/

#ifndef PYOX_RUNTIME_ELFNOTES_H
#define PYOX_RUNTIME_ELFNOTES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The NT_GNU_BUILD_ID note of owner "GNU" among the notes NOTES[0, SIZE) (a
 * PT_NOTE segment, its entries aligned to ALIGN: 4, or 8 for a segment of
 * 8-byte alignment): sets *ID and *ID_SIZE and returns 1; 0 when there is
 * none. Every size is checked against SIZE. */
int pyox_find_build_id(const uint8_t *notes, size_t size, size_t align,
                       const uint8_t **id, size_t *id_size);

#ifdef __cplusplus
}
#endif

#endif
