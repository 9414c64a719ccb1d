/*===- MappedCode.h - Code objects used in place from the payload -*- C -*-===*
 *
 * The two halves of mapped code (pyox/format.h, docs/format.md "Mapped
 * code"), both in the template because both need its addresses:
 *
 *   lay out   at build time, `TEMPLATE --pyox-lay-out-code IN OUT` (only a
 *             template without a payload answers it) unmarshals each module
 *             with the template's own interpreter and writes its objects
 *             out as a MAPPED_CODE entry, then checks the entry against a
 *             fresh unmarshal of the same bytes;
 *   use       at run time the importer checks an entry (pyox_mapped_check)
 *             and the chunks of the shared strings it uses, relocates it in
 *             its private writable mapping, interns its strings, makes its
 *             frozensets and sets co_filename (pyox_mapped_prepare), once
 *             per module.
 *
 *===----------------------------------------------------------------------===*/

#ifndef PYOX_RUNTIME_MAPPEDCODE_H
#define PYOX_RUNTIME_MAPPEDCODE_H

#include <Python.h>

#include "pyox/format.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* This program's key (pyox_mapped_header.abi_key): 0, or -1 when the
 * program has no GNU build-id (then it can neither make nor use mapped
 * code). */
int pyox_mapped_abi_key(uint8_t key[PYOX_MAPPED_KEY_SIZE]);

/* NULL when BLOB (SIZE bytes, 16-byte aligned, not yet relocated) is a
 * well-formed mapped entry for KEY: magic, counts and every slot and
 * offset in bounds, its shared slots below STRINGS_END (the end of the
 * strings entry's objects; 0 without one); otherwise what is wrong. A key
 * mismatch is the answer "laid out for another template". */
const char *pyox_mapped_check(const uint8_t *blob, uint64_t size,
                              const uint8_t key[PYOX_MAPPED_KEY_SIZE],
                              uint64_t strings_end);

/* The shared slots of a checked entry BLOB (before pyox_mapped_prepare,
 * each holds an offset into the strings entry), and their count. */
const uint32_t *pyox_mapped_shared_slots(const uint8_t *blob, uint32_t *count);

/* NULL when BLOB (SIZE bytes) is a strings entry (PYOX_MAPPED_STRINGS_NAME)
 * for KEY with well-formed sizes and an intact chunk 0 (the header);
 * otherwise what is wrong ("damaged" for chunk 0). The other chunks are
 * checked apart: */
const char *pyox_mapped_strings_check(const uint8_t *blob, uint64_t size,
                                      const uint8_t key[PYOX_MAPPED_KEY_SIZE]);

/* 1 when chunk CHUNK of the checked strings entry BLOB has its CRC32C. */
int pyox_mapped_strings_chunk_ok(const uint8_t *blob, uint32_t chunk);

/* Makes a checked BLOB usable in place (it must be writable): relocates
 * it (its shared slots against STRINGS, the strings entry, whose chunks
 * they point into must have been checked), interns its strings, turns its
 * frozenset tuples into frozensets and sets every code object's
 * co_filename to FILENAME. Returns a new reference to the module's code
 * object, or NULL with an exception. Call once per entry; afterwards the
 * code object is at blob + root. */
PyObject *pyox_mapped_prepare(uint8_t *blob, uint8_t *strings,
                              PyObject *filename);

/* `TEMPLATE --pyox-lay-out-code IN OUT` (see above; the record formats are
 * in MappedCode.c). Returns the process exit status. */
int pyox_lay_out_code_main(const char *in, const char *out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PYOX_RUNTIME_MAPPEDCODE_H */
