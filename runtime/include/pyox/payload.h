/*===- pyox/payload.h - Bounds-checked payload reader ----------*- C -*-===*
 *
 * Two ways to open a payload. pyox_payload_open checks everything at once
 * (header, chunk table, every index chunk, every entry's bounds): linear in
 * the size of the index, for tools and tests. The runtime uses
 * pyox_payload_open_lazy: the header and the chunk table only, so that a
 * program starts as fast with 100,000 entries as with 100; each index chunk
 * is then checked (CRC32C, and the bounds of the entries in it) the first
 * time an accessor below touches it, and a damaged chunk is reported to the
 * caller's handler. (A payload of a version before chunks is checked whole
 * either way.) Entry data is checked (CRC32C) separately, when it is used:
 * pyox_entry_verify. Nothing here does I/O, and nothing allocates but the
 * lazy open's chunk bitmap and the decompression of compressed entries,
 * which is also the only part that needs zstd (a separate object: programs
 * that do not call it do not link zstd).
 *
 * Entries must be reached through pyox_payload_find, pyox_payload_entry or
 * pyox_payload_lower_bound + pyox_payload_entry, never by indexing
 * `entries` directly in lazy mode: the name, path and data of an entry they
 * return are in bounds.
 *===----------------------------------------------------------------------===*/

#ifndef PYOX_PAYLOAD_H
#define PYOX_PAYLOAD_H

#include "pyox/format.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pyox_payload pyox_payload;

/* Told that index chunk CHUNK of P is damaged (WHAT: a static message). The
 * runtime's handler ends the process; if it returns, the accessor that
 * found the damage acts as if the entry did not exist. */
typedef void (*pyox_damage_handler)(const pyox_payload *p, const char *what);

struct pyox_payload {
  const uint8_t *base;
  uint64_t size;
  const pyox_header *header;
  const pyox_entry *entries;
  const uint32_t *buckets;
  const uint32_t *chunk_crcs;
  uint64_t pool_begin, pool_end, data_begin;
  uint32_t entry_chunks, bucket_chunks;
  /* Lazy mode: a bit per chunk, set once the chunk is checked; NULL when
   * everything was checked at open. */
  uint32_t *verified;
  pyox_damage_handler damaged;
};

/* Checks DATA[0, SIZE) as a payload, every byte of its index included, and
 * fills *OUT. SIZE may exceed header.total_size (a section padded to a
 * page); the payload is the first total_size bytes. Returns 0, or -1 with
 * *ERROR set to a static message. Allocates nothing. */
int pyox_payload_open(pyox_payload *out, const void *data, uint64_t size,
                      const char **error);

/* The same with the index chunks checked on first use (see above):
 * constant time in the number of entries. Allocates the chunk bitmap
 * (pyox_payload_close frees it). DAMAGED may be NULL. */
int pyox_payload_open_lazy(pyox_payload *out, const void *data, uint64_t size,
                           pyox_damage_handler damaged, const char **error);

/* Frees what pyox_payload_open_lazy allocated. */
void pyox_payload_close(pyox_payload *p);

/* Checks the header and the chunk table of the payload at DATA[0, SIZE)
 * and sets *TOTAL_SIZE: what a locator needs to say "here is a payload".
 * Allocates nothing. Returns 0 or -1 with *ERROR set. */
int pyox_payload_check_header(const void *data, uint64_t size,
                              uint64_t *total_size, const char **error);

/* Entry INDEX, checked (its chunk, and the pool bytes of its name and path),
 * or NULL when INDEX is out of range or damaged. */
const pyox_entry *pyox_payload_entry(const pyox_payload *p, uint32_t index);

/* Checks that the payload was compiled for this Python version and bytecode
 * magic. Returns 0 or -1 with *ERROR set. */
int pyox_payload_check_python(const pyox_payload *p, uint32_t python_version,
                              uint32_t bytecode_magic, const char **error);

/* The entry named NAME[0, SIZE) in GROUP (pyox_group), or NULL. */
const pyox_entry *pyox_payload_find(const pyox_payload *p, uint32_t group,
                                    const char *name, size_t size);

/* Index of the first entry of GROUP whose name starts with PREFIX, for range
 * scans over the sorted table; entry_count when there is none. */
uint32_t pyox_payload_lower_bound(const pyox_payload *p, uint32_t group,
                                  const char *prefix, size_t size);

/* Offset of the mapped code (the data of the first PYOX_GROUP_MAPPED entry,
 * which is last in the data area), or total_size when there is none. The
 * runtime writes those pages: nothing may drop them (MADV_DONTNEED). */
uint64_t pyox_payload_mapped_begin(const pyox_payload *p);

static inline const char *pyox_entry_name(const pyox_payload *p,
                                          const pyox_entry *e) {
  return (const char *)p->base + e->name_offset;
}
static inline const char *pyox_entry_path(const pyox_payload *p,
                                          const pyox_entry *e) {
  return (const char *)p->base + e->path_offset;
}
static inline const uint8_t *pyox_entry_data(const pyox_payload *p,
                                             const pyox_entry *e) {
  return p->base + e->data_offset;
}

/* 0 when the entry's data matches its checksum, -1 otherwise. */
int pyox_entry_verify(const pyox_payload *p, const pyox_entry *e);

/* The size of the entry's contents: raw_size for a compressed entry
 * (PYOX_ENTRY_ZSTD), data_size otherwise. What stat reports for its file. */
static inline uint64_t pyox_entry_content_size(const pyox_entry *e) {
  return (e->flags & PYOX_ENTRY_ZSTD) ? e->raw_size : e->data_size;
}

/* Decompresses a PYOX_ENTRY_ZSTD entry into OUT[0, raw_size), after checking
 * its checksum (and, for a source, that of the code entry it was compressed
 * against). Returns 0, or -1 when either is damaged or the data does not
 * decompress to exactly raw_size bytes. Allocates the decompressor's state
 * for the call only. */
int pyox_entry_decompress(const pyox_payload *p, const pyox_entry *e,
                          void *out);

/* What pyox_entry_decompress_each hands each piece to: 0 to go on, or a
 * positive value (an errno) to stop with. */
typedef int (*pyox_piece_sink)(void *ctx, const void *data, size_t size);

/* The same, streamed: hands the decompressed bytes to SINK in order, in
 * pieces of at most 64 KiB, and keeps no more than the frame's window
 * (at most 1 MiB for native code: lib/Pack/SourceCompression.cpp).
 * Returns 0; -1 when the entry is damaged (found before anything reaches
 * SINK when its checksum fails; after some pieces when the frame does not
 * decompress to exactly raw_size bytes, which a checked entry written by
 * pack never does); ENOMEM when the piece cannot be allocated; or the
 * non-zero value SINK returned. */
int pyox_entry_decompress_each(const pyox_payload *p, const pyox_entry *e,
                               pyox_piece_sink sink, void *ctx);

/* Full structural check for `verify` (on a payload opened with
 * pyox_payload_open): everything pyox_payload_open checks,
 * plus every entry's checksum, sorted unique names, a consistent hash table,
 * and zero padding and reserved fields, so that any changed byte is found.
 * Returns 0 or -1 with a message in ERROR[0, ERROR_SIZE). */
int pyox_payload_verify_all(const pyox_payload *p, char *error,
                            size_t error_size);

/* For `verify`, after pyox_payload_verify_all: decompresses every compressed
 * entry. Returns 0 or -1 with a message in ERROR[0, ERROR_SIZE). */
int pyox_payload_verify_compressed(const pyox_payload *p, char *error,
                                   size_t error_size);

/* CRC32C (Castagnoli, reflected 0x82F63B78), hardware-accelerated where the
 * CPU has it. Chain calls by passing the previous result as CRC; start at 0. */
uint32_t pyox_crc32c(uint32_t crc, const void *data, size_t size);

const char *pyox_kind_name(uint32_t kind);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PYOX_PAYLOAD_H */
