//===- PayloadZstd.cpp - Compressed entries (PYOX_ENTRY_ZSTD) -------------===//
//
// Two kinds of frame (pyox/format.h). Sources are compressed against their
// module's code: the marshalled code holds the source's identifiers,
// strings and docstrings, so a frame that may refer back into it is a
// fraction of one compressed alone, at no cost in payload bytes since the
// code is there anyway. Extension modules, carried shared libraries and
// other files are frames on their own: they are copied before use (into a
// memfd to be loaded, into a bytes object to be read), and the copy is the
// decompression. Decompression happens only when something reads the entry,
// so it allocates its state per call rather than keeping ~100 KB around,
// and it is one-shot into the caller's buffer (no window buffer).
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
  if (!(E->flags & PYOX_ENTRY_ZSTD))
    return -1;
  const void *Prefix = nullptr;
  size_t PrefixSize = 0;
  if (E->kind == PYOX_KIND_SOURCE) {
    const pyox_entry *Code = pyox_payload_find(
        P, PYOX_GROUP_MODULE, pyox_entry_name(P, E), E->name_size);
    if (!Code ||
        (Code->kind != PYOX_KIND_MODULE && Code->kind != PYOX_KIND_PACKAGE) ||
        pyox_entry_verify(P, Code) != 0)
      return -1;
    Prefix = pyox_entry_data(P, Code);
    PrefixSize = Code->data_size;
  } else if (pyox_kind_group(E->kind) == PYOX_GROUP_MODULE &&
             E->kind != PYOX_KIND_EXTENSION) {
    return -1; // bytecode is never compressed (the reader refuses the flag)
  }
  if (pyox_entry_verify(P, E) != 0)
    return -1;
  ZSTD_DCtx *D = ZSTD_createDCtx();
  if (!D)
    return -1;
  size_t R = Prefix ? ZSTD_DCtx_refPrefix(D, Prefix, PrefixSize) : 0;
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
