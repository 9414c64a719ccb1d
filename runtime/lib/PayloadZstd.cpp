//===- PayloadZstd.cpp - Compressed entries (PYOX_ENTRY_ZSTD) -------------===//
//
// Two kinds of frame (pyox/format.h). Sources are compressed against their
// module's code: the marshalled code holds the source's identifiers,
// strings and docstrings, so a frame that may refer back into it is a
// fraction of one compressed alone, at no cost in payload bytes since the
// code is there anyway. Extension modules, carried shared libraries and
// other files are frames on their own: they are copied before use (into a
// memfd to be loaded, into a bytes object to be read), and the copy is the
// decompression; so is the code of modules a program imports only later.
// Decompression happens only when something reads the entry. Into a buffer
// of the whole size, it is one-shot (no window buffer), with a decompressor
// the thread keeps once it has made one (~100 KB): code imported later is
// decompressed a module at a time, hundreds of them, and making a
// decompressor each time was a third of the cost. Into a file, it is
// streamed (pyox_entry_decompress_each) with a decompressor of its own,
// whose window buffer (up to 1 MiB) is not kept: pieces of a block that
// stay in the cache are handed to write(), so the file's pages are written
// once by the kernel's copy, where a mapping of the file would have them
// cleared first and then written by the decoder (EntryFile.cpp).
//
// A separate object in the archive: programs that never read a compressed
// entry do not link zstd.
//
//===----------------------------------------------------------------------===//

#include "pyox/payload.h"

#include <zstd.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

namespace {

// The thread's one-shot decompressor, made at its first use.
class CachedDecompressor {
public:
  ~CachedDecompressor() { ZSTD_freeDCtx(D); }
  ZSTD_DCtx *get() {
    if (!D)
      D = ZSTD_createDCtx();
    else
      ZSTD_DCtx_reset(D, ZSTD_reset_session_and_parameters);
    return D;
  }

private:
  ZSTD_DCtx *D = nullptr;
};

thread_local CachedDecompressor Cached;

// A decompressor for compressed entry E, its checksum checked (and, for a
// source, that of the code it was compressed against, its prefix), or null
// when either is damaged or E may not be compressed: the thread's own when
// OneShot, a new one (the caller frees it) otherwise. A source's prefix is
// its code's content: when that is compressed too, it is decompressed into
// *PrefixCopy, which the caller frees after the decompressor.
ZSTD_DCtx *entryDecompressor(const pyox_payload *P, const pyox_entry *E,
                             void **PrefixCopy, bool OneShot) {
  *PrefixCopy = nullptr;
  if (!(E->flags & PYOX_ENTRY_ZSTD))
    return nullptr;
  const void *Prefix = nullptr;
  size_t PrefixSize = 0;
  if (E->kind == PYOX_KIND_SOURCE) {
    const pyox_entry *Code = pyox_payload_find(
        P, PYOX_GROUP_MODULE, pyox_entry_name(P, E), E->name_size);
    if (!Code ||
        (Code->kind != PYOX_KIND_MODULE && Code->kind != PYOX_KIND_PACKAGE))
      return nullptr;
    if (Code->flags & PYOX_ENTRY_ZSTD) {
      // Before this entry's decompressor is taken: the code's may be the
      // same cached one.
      *PrefixCopy = malloc(Code->raw_size ? Code->raw_size : 1);
      if (!*PrefixCopy || pyox_entry_decompress(P, Code, *PrefixCopy) != 0)
        return nullptr;
      Prefix = *PrefixCopy;
      PrefixSize = Code->raw_size;
    } else {
      if (pyox_entry_verify(P, Code) != 0)
        return nullptr;
      Prefix = pyox_entry_data(P, Code);
      PrefixSize = Code->data_size;
    }
  }
  if (pyox_entry_verify(P, E) != 0)
    return nullptr;
  ZSTD_DCtx *D = OneShot ? Cached.get() : ZSTD_createDCtx();
  if (D && Prefix && ZSTD_isError(ZSTD_DCtx_refPrefix(D, Prefix, PrefixSize))) {
    if (!OneShot)
      ZSTD_freeDCtx(D);
    return nullptr;
  }
  return D;
}

} // namespace

extern "C" int pyox_entry_decompress(const pyox_payload *P, const pyox_entry *E,
                                     void *Out) {
  void *Prefix;
  ZSTD_DCtx *D = entryDecompressor(P, E, &Prefix, /*OneShot=*/true);
  size_t R = D ? ZSTD_decompressDCtx(D, Out, E->raw_size, pyox_entry_data(P, E),
                                     E->data_size)
               : 0;
  free(Prefix);
  return !D || ZSTD_isError(R) || R != E->raw_size ? -1 : 0;
}

extern "C" int pyox_entry_decompress_each(const pyox_payload *P,
                                          const pyox_entry *E,
                                          pyox_piece_sink Sink, void *Ctx) {
  void *Prefix;
  ZSTD_DCtx *D = entryDecompressor(P, E, &Prefix, /*OneShot=*/false);
  // 64 KiB: half a block, so that the piece stays in the L2 cache between
  // the decoder's copy and the sink's, and below malloc's mmap threshold.
  constexpr size_t PieceSize = 64 << 10;
  void *Piece = D ? malloc(PieceSize) : nullptr;
  int Result = D && !Piece ? ENOMEM : -1;
  if (Piece) {
    ZSTD_inBuffer In = {pyox_entry_data(P, E), size_t(E->data_size), 0};
    uint64_t Total = 0;
    for (;;) {
      ZSTD_outBuffer Out = {Piece, PieceSize, 0};
      size_t Read = In.pos;
      size_t R = ZSTD_decompressStream(D, &Out, &In);
      if (ZSTD_isError(R) || Out.pos > E->raw_size - Total)
        break;
      if (Out.pos == 0 && In.pos == Read && R != 0)
        break; // no progress: the frame is cut short
      Total += Out.pos;
      if (Out.pos) {
        int SinkResult = Sink(Ctx, Piece, Out.pos);
        if (SinkResult) {
          Result = SinkResult;
          break;
        }
      }
      if (R == 0 && In.pos == In.size) {
        Result = Total == E->raw_size ? 0 : -1;
        break;
      }
    }
  }
  free(Piece);
  ZSTD_freeDCtx(D);
  free(Prefix);
  return Result;
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
