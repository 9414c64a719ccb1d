//===- PayloadZstd.cpp - Compressed entries (PYOX_ENTRY_ZSTD) -------------===//
//
// Sources are packed as zstd frames compressed against their module's code
// (pyox/format.h): the marshalled code holds the source's identifiers,
// strings and docstrings, so a frame that may refer back into it is a
// fraction of one compressed alone, at no cost in payload bytes since the
// code is there anyway. Decompression happens only when something reads a
// source (a traceback, linecache, inspect, the VFS's .py files), so it
// allocates its state per call rather than keeping ~100 KB around.
//
// A separate object in the archive: programs that never read a compressed
// entry do not link zstd.
//
//===----------------------------------------------------------------------===//

#include "pyox/payload.h"

#include <zstd.h>

#include <stdio.h>
#include <stdlib.h>

extern "C" int pyox_entry_decompress(const pyox_payload *P, const pyox_entry *E,
                                     void *Out) {
  if (!(E->flags & PYOX_ENTRY_ZSTD) || E->kind != PYOX_KIND_SOURCE)
    return -1;
  const pyox_entry *Code = pyox_payload_find(
      P, PYOX_GROUP_MODULE, pyox_entry_name(P, E), E->name_size);
  if (!Code ||
      (Code->kind != PYOX_KIND_MODULE && Code->kind != PYOX_KIND_PACKAGE))
    return -1;
  if (pyox_entry_verify(P, E) != 0 || pyox_entry_verify(P, Code) != 0)
    return -1;
  ZSTD_DCtx *D = ZSTD_createDCtx();
  if (!D)
    return -1;
  size_t R = ZSTD_DCtx_refPrefix(D, pyox_entry_data(P, Code), Code->data_size);
  if (!ZSTD_isError(R))
    R = ZSTD_decompressDCtx(D, Out, E->raw_size, pyox_entry_data(P, E),
                            E->data_size);
  ZSTD_freeDCtx(D);
  return ZSTD_isError(R) || R != E->raw_size ? -1 : 0;
}

extern "C" int pyox_payload_verify_compressed(const pyox_payload *P,
                                              char *Error, size_t ErrorSize) {
  for (uint32_t I = 0; I < P->header->entry_count; ++I) {
    const pyox_entry &E = P->entries[I];
    if (!(E.flags & PYOX_ENTRY_ZSTD))
      continue;
    void *Raw = malloc(E.raw_size ? E.raw_size : 1);
    int Bad = !Raw || pyox_entry_decompress(P, &E, Raw) != 0;
    free(Raw);
    if (Bad) {
      snprintf(Error, ErrorSize,
               "entry %u: compressed data does not decompress to its raw size",
               I);
      return -1;
    }
  }
  return 0;
}
