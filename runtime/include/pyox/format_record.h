/*===- pyox/format_record.h - The payload formats a program reads -*- C -*-===*
 *
 * A program that reads its own payload (pyox-run, any program linking the
 * runtime) reads the format versions PYOX_FORMAT_VERSION_MIN to
 * PYOX_FORMAT_VERSION of the pyox it was built with and refuses any other
 * when it starts. A newer pyox-inject writing into an older template would
 * make a program that fails only when it runs; so the runtime records the
 * range it reads in the binary, and `pyox-inject build` and `inject` refuse
 * a payload outside it when they write it (docs/format.md, "Versioning").
 *
 * The record is one pyox_format_record in an allocated, retained section
 * of its own (ELF: PYOX_FORMATS_SECTION), defined by
 * runtime/lib/FormatRecord.c and linked wherever the locator is: linkers
 * keep it (SHF_GNU_RETAIN, under --gc-sections), and strip and llvm-bolt
 * keep every allocated section.
 *
 * The record grows by appending fields: record_size says how many bytes it
 * has (a multiple of 4), and a reader takes any record of at least
 * PYOX_FORMAT_RECORD_SIZE bytes and reads the fields it knows. Zero bytes
 * between and after records are padding (alignment, a sanitizer's redzone).
 * A section holding several records (one image linking two runtimes) reads
 * what every one of them reads. Fields are little-endian, as every host
 * pyox runs on.
 *===----------------------------------------------------------------------===*/

#ifndef PYOX_FORMAT_RECORD_H
#define PYOX_FORMAT_RECORD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PYOX_FORMATS_SECTION ".pyox_formats"
#define PYOX_FORMATS_MAGIC "PYOXFMTS"
#define PYOX_FORMATS_MAGIC_SIZE 8

typedef struct pyox_format_record {
  uint8_t magic[8];     /*  0: PYOX_FORMATS_MAGIC */
  uint32_t record_size; /*  8: bytes of this record, 20 and up */
  uint32_t min_version; /* 12: the oldest format_version read */
  uint32_t max_version; /* 16: the newest */
} pyox_format_record;
#define PYOX_FORMAT_RECORD_SIZE 20u

#ifdef __cplusplus
} /* extern "C" */
static_assert(sizeof(pyox_format_record) == PYOX_FORMAT_RECORD_SIZE, "");
#else
_Static_assert(sizeof(pyox_format_record) == PYOX_FORMAT_RECORD_SIZE, "");
#endif

#endif /* PYOX_FORMAT_RECORD_H */
