/*===- pyox/format.h - The pyox payload format, version 5 ------*- C -*-===*
 *
 * This header is the one definition of the payload layout. The build-time
 * library (lib/) writes it, the runtime (runtime/) reads it; nothing else
 * describes these bytes. The prose specification is docs/format.md.
 *
 * A payload is one contiguous, position-independent blob:
 *
 *   [pyox_header]                 64 bytes at offset 0
 *   [uint32 x chunk_count]        CRC32C of each index chunk (below), then
 *                                 zero padding to PYOX_DATA_ALIGN
 *   ---- header + chunk table: index_crc ----
 *   [pyox_entry x entry_count]    sorted by (lookup group, name bytes)
 *   [uint32 x bucket_count]       open-addressing hash table of entry indices
 *   [string pool]                 names and paths, not NUL-terminated
 *   ---- index_size ----
 *   [data]                        each entry's bytes, 16-byte aligned,
 *                                 zero padding between; entry.data_crc each
 *   ---- total_size ----
 *
 * Every multi-byte field is little-endian with a fixed width and a fixed
 * offset. The runtime maps the blob and points into it: nothing is copied or
 * parsed per entry at start-up, and every offset is bounds-checked before it
 * is followed (see pyox/payload.h).
 *
 * The tables are checked in chunks so that opening a payload costs the same
 * at 100 entries as at 100,000: the entry table in chunks of
 * PYOX_CHUNK_ENTRIES entries, the hash table in chunks of PYOX_CHUNK_BUCKETS
 * buckets, the string pool in chunks of PYOX_CHUNK_POOL bytes, in that order
 * in the chunk table. A reader checks the header and the chunk table at
 * open, and each chunk before it first uses it.
 *
 * Checksums are CRC32C (Castagnoli). A CRC detects every error burst of up to
 * 32 bits, so every single-byte corruption of a covered range is detected,
 * not merely detected with high probability; padding bytes are required to be
 * zero, so `verify` covers every byte of a payload.
 *===----------------------------------------------------------------------===*/

#ifndef PYOX_FORMAT_H
#define PYOX_FORMAT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "\x89PYOX\r\n\x1a": a high byte to catch 7-bit transfers, CR LF and ^Z to
 * catch newline translation, as PNG does. */
#define PYOX_MAGIC "\x89PYOX\r\n\x1a"
#define PYOX_MAGIC_SIZE 8
#define PYOX_FORMAT_VERSION 8u
/* Version 7 is version 8 with each mapped entry holding its own interned
 * strings (a 64-byte pyox_mapped_header without shared_count, and no
 * PYOX_MAPPED_STRINGS_NAME entry); version 6 is version 7 without compressed
 * bytecode (PYOX_ENTRY_ZSTD on a MODULE or PACKAGE entry); version 5 is version
 * 6 with the hash table checked in chunks of PYOX_CHUNK_BUCKETS_V3 buckets;
 * version 4 is version 5 without mapped code (PYOX_KIND_MAPPED_CODE); version 3
 * is version 4 with only sources compressed; version 2 is version 3 without the
 * chunk table (chunk_count zero, one index_crc over [64, index_size)); version
 * 1 is version 2 without compressed entries and without a glibc floor (zero:
 * not known). Readers accept all eight; a payload of version 1 or 2 is checked
 * whole when it is opened. */
#define PYOX_FORMAT_VERSION_MIN 1u
#define PYOX_FORMAT_VERSION_CHUNKS 3u
#define PYOX_FORMAT_VERSION_ZSTD_FILES 4u
#define PYOX_FORMAT_VERSION_MAPPED 5u
#define PYOX_FORMAT_VERSION_SMALL_BUCKETS 6u
#define PYOX_FORMAT_VERSION_ZSTD_CODE 7u
#define PYOX_FORMAT_VERSION_MAPPED_STRINGS 8u

/* Index chunk sizes (see above). Entries and names are sorted, so the
 * modules of one package share their chunks; a name's bucket is wherever its
 * hash puts it, so every lookup of a new name checks a new bucket chunk:
 * from version 6 on one of 256 bytes (1,024 buckets, 4 KiB, before). */
#define PYOX_CHUNK_ENTRIES 64u
#define PYOX_CHUNK_BUCKETS 64u
#define PYOX_CHUNK_BUCKETS_V3 1024u
#define PYOX_CHUNK_POOL 4096u

/* Alignment of the index tables and of each entry's data. 16 suits every
 * scalar a consumer may read in place and keeps padding small. */
#define PYOX_DATA_ALIGN 16u

/* Entry kinds. Names are in one of five lookup groups (pyox_kind_group):
 * modules, sources, resources, metadata, mapped code. */
enum pyox_kind {
  PYOX_KIND_MODULE = 1,     /* name "pkg.mod"; data: marshalled code object */
  PYOX_KIND_PACKAGE = 2,    /* name "pkg"; data: code of pkg/__init__.py */
  PYOX_KIND_NAMESPACE = 3,  /* name "ns"; PEP 420 namespace package, no data */
  PYOX_KIND_EXTENSION = 4,  /* name "pkg._speedups"; data: shared object */
  PYOX_KIND_SOURCE = 5,     /* name "pkg.mod"; data: the .py text */
  PYOX_KIND_RESOURCE = 6,   /* name "pkg/sub/data.txt"; data: file bytes */
  PYOX_KIND_METADATA = 7,   /* name "dist-1.0.dist-info/METADATA"; file bytes */
  PYOX_KIND_MAPPED_CODE = 8 /* name "pkg.mod"; data: pyox_mapped_header and
                               the module's code as CPython objects (below) */
};
#define PYOX_KIND_LAST PYOX_KIND_MAPPED_CODE

enum pyox_group {
  PYOX_GROUP_MODULE = 0, /* kinds MODULE, PACKAGE, NAMESPACE, EXTENSION */
  PYOX_GROUP_SOURCE = 1,
  PYOX_GROUP_RESOURCE = 2,
  PYOX_GROUP_METADATA = 3,
  PYOX_GROUP_MAPPED = 4 /* kind MAPPED_CODE: last, so its data is too */
};

static inline uint32_t pyox_kind_group(uint32_t kind) {
  return kind <= PYOX_KIND_EXTENSION ? (uint32_t)PYOX_GROUP_MODULE
                                     : kind - PYOX_KIND_SOURCE + 1u;
}

/* Buckets per hash-table chunk in a payload of FORMAT_VERSION (3 on). */
static inline uint32_t pyox_chunk_buckets(uint32_t format_version) {
  return format_version >= PYOX_FORMAT_VERSION_SMALL_BUCKETS
             ? PYOX_CHUNK_BUCKETS
             : PYOX_CHUNK_BUCKETS_V3;
}

/* Header flags. */
#define PYOX_FLAG_HAS_SOURCES 0x01u
/* The program runs its entry point with no PYTHON* environment variable
 * honoured (`build --isolated`; docs/runtime.md, "Environment"). */
#define PYOX_FLAG_ISOLATED 0x02u

/* The directory of the tree, relative to the program, that holds the shared
 * libraries carried for extension modules (resource entries
 * ".pyox-libs/SONAME"): the runtime loads them from memory before an object
 * of the tree that needs them (docs/runtime.md, "Carried libraries"). */
#define PYOX_CARRIED_LIBS_DIR ".pyox-libs"

/* Host data (`pack --host-data PATH`): the files of the build host's PATH
 * are resources ".pyox-host/PATH/..." (PATH without its leading '/'), and
 * the resource ".pyox-host-roots" lists each PATH, one per line. Where the
 * target system lacks PATH, the runtime serves the packed copy at PATH
 * (docs/runtime.md, "Host data"). The list is read in place: it is never
 * compressed. */
#define PYOX_HOST_DATA_DIR ".pyox-host"
#define PYOX_HOST_DATA_ROOTS ".pyox-host-roots"

/* System copies: the ELF objects of the tree (extension modules, bundled and
 * carried libraries) as the build host had them, one line each,
 * "TREE\tHOST\tSIZE\tCRC\tFLOOR\tBUILDID\n": the object's path in the
 * tree, the absolute path it was packed from, that file's size and CRC32C
 * (pyox_crc32c, 8 hex digits) before pack rewrote anything, its glibc floor
 * ("2.34", "0.0" for none) and its GNU build-id (hex, "-" for none). When
 * the running system has a file at HOST of that size and build-id (or
 * CRC32C, without one) that only root or the user can change, and its glibc
 * is at least FLOOR, the runtime loads that file instead of a copy from
 * memory (docs/runtime.md, "System copies"). Never compressed. */
#define PYOX_SYSTEM_COPIES ".pyox-system-copies"

/* Entry flags. The bytecode a program imports when it starts (MODULE,
 * PACKAGE) is not compressed: it is unmarshalled in place. Every other
 * entry with data is read by copying it (a source for a traceback,
 * linecache or inspect; an extension module or shared library into the
 * memfd it is loaded from; a resource or metadata file into a memfd or a
 * bytes object; the code of a module imported later into a buffer), so the
 * copy may as well be a decompression.
 *
 * PYOX_ENTRY_ZSTD: data is one zstd frame (RFC 8878) that decompresses to
 * raw_size bytes; data_crc covers the compressed bytes.
 * - A SOURCE (version 2 on) is compressed with the data of the group-0
 *   entry of the same name (the module's marshalled code, a MODULE or
 *   PACKAGE) as a raw-content prefix (ZSTD_CCtx_refPrefix): the code's
 *   names, strings and docstrings are the source's, so each source costs
 *   little more than its layout and comments.
 * - An EXTENSION, RESOURCE or METADATA entry (version
 *   PYOX_FORMAT_VERSION_ZSTD_FILES on) is a frame on its own, no prefix.
 * - A MODULE or PACKAGE entry (version PYOX_FORMAT_VERSION_ZSTD_CODE on:
 *   code the program imports only later, if at all) is a frame on its own,
 *   no prefix; its source is still compressed against the marshalled code,
 *   the frame's content. */
#define PYOX_ENTRY_ZSTD 0x01u

typedef struct pyox_header {
  uint8_t magic[8];            /*  0: PYOX_MAGIC */
  uint32_t format_version;     /*  8: PYOX_FORMAT_VERSION */
  uint32_t header_size;        /* 12: sizeof(pyox_header) == 64 */
  uint32_t python_version;     /* 16: (major << 24) | (minor << 16) */
  uint32_t bytecode_magic;     /* 20: importlib.util.MAGIC_NUMBER as LE u32 */
  uint32_t entry_count;        /* 24 */
  uint32_t bucket_count;       /* 28: power of two > entry_count, or 0 */
  uint64_t total_size;         /* 32: bytes in the whole payload */
  uint32_t index_size;         /* 40: header + chunk table + entries +
                                      buckets + strings */
  uint32_t entry_point_offset; /* 44: "module[:function]" in the pool */
  uint16_t entry_point_size;   /* 48: 0 when there is no entry point */
  uint8_t optimize;            /* 50: 0, 1 or 2 as for python -O */
  uint8_t flags;               /* 51: PYOX_FLAG_* */
  uint32_t glibc_floor;        /* 52: (major << 16) | minor, 0: unknown */
  uint32_t chunk_count;        /* 56: CRC32Cs in the chunk table (version 3;
                                      zero before) */
  uint32_t index_crc;          /* 60: CRC32C of [0,60) then the chunk table
                                      with its padding (before version 3:
                                      then [64,index_size)) */
} pyox_header;

typedef struct pyox_entry {
  uint32_t name_offset; /*  0: from payload start, into the string pool */
  uint16_t name_size;   /*  4 */
  uint8_t kind;         /*  6: pyox_kind */
  uint8_t flags;        /*  7: PYOX_ENTRY_*, zero in version 1 */
  uint32_t path_offset; /*  8: file path relative to its sys.path root */
  uint16_t path_size;   /* 12: 0 for namespace packages */
  uint16_t reserved;    /* 14: zero */
  uint32_t data_crc;    /* 16: CRC32C of the data bytes */
  uint32_t raw_size;    /* 20: size once decompressed (PYOX_ENTRY_ZSTD), or 0 */
  uint64_t data_offset; /* 24: from payload start; PYOX_DATA_ALIGN aligned */
  uint64_t data_size;   /* 32 */
} pyox_entry;

/* The lookup hash: 64-bit FNV-1a over the group byte, then the name bytes.
 * Buckets hold entry index + 1 (0 is empty) and are probed linearly from
 * hash & (bucket_count - 1). */
static inline uint64_t pyox_name_hash(uint32_t group, const char *name,
                                      uint64_t size) {
  uint64_t h = 0xcbf29ce484222325ull;
  h = (h ^ (uint8_t)group) * 0x100000001b3ull;
  for (uint64_t i = 0; i < size; ++i)
    h = (h ^ (uint8_t)name[i]) * 0x100000001b3ull;
  return h;
}

/* Mapped code (format version 5; docs/format.md, "Mapped code").
 *
 * A MAPPED_CODE entry is the code object of the module or package of the
 * same name laid out as the CPython 3.11 objects themselves (code, str,
 * bytes, tuple, int, float, complex and nested code objects), for one
 * template build: the objects' type pointers and the interpreter's
 * singletons (None, small ints, the empty tuple, one-character strings)
 * are that template's absolute addresses. The runtime uses them in place,
 * in a private writable mapping, instead of unmarshalling the module's
 * MODULE/PACKAGE entry, which stays (the portable form).
 *
 *   [pyox_mapped_header]           offsets below are from its first byte
 *   [objects]                      8-byte aligned; a tuple is preceded by
 *                                  its 16-byte (zero) PyGC_Head
 *   [uint32 x reloc_count]         slots holding an offset into the entry:
 *                                  the runtime adds the entry's address
 *   [uint32 x intern_count]        slots whose str the runtime interns
 *   [uint32 x code_count]          code objects, for co_filename
 *   [uint32 x frozenset_count]     slots holding a tuple that the runtime
 *                                  replaces with a frozenset of its items
 *   [uint32 x shared_count]        slots holding an offset into the
 *                                  payload's shared strings (below): the
 *                                  runtime adds that entry's address and
 *                                  interns the str
 *
 * Every slot is 8-byte aligned and lies inside the objects. str and bytes
 * hashes are -1 (unknown: hash randomisation), reference counts large.
 * abi_key names the template: its GNU build-id (20 bytes, zero padded to
 * 24) then a 64-bit FNV-1a hash of the addresses and layouts the objects
 * depend on; a runtime whose key differs refuses the entry.
 *
 * The interned ASCII strings of all modules (names, identifiers) are laid
 * out once, in the MAPPED_CODE entry named PYOX_MAPPED_STRINGS_NAME (no
 * module has a '/' in its name), most shared first:
 *
 *   [pyox_mapped_strings_header]   offsets below are from its first byte
 *   [objects]                      str objects, 8-byte aligned, none
 *                                  across a chunk boundary
 *   [uint32 x chunk_count]         CRC32C of each chunk: bytes
 *                                  [i << chunk_shift, (i + 1) << chunk_shift)
 *                                  of the header and objects
 *
 * The runtime checks a chunk the first time a module it prepares refers to
 * a string in it, instead of the whole entry (data_crc covers it too, for
 * verify). */
#define PYOX_MAPPED_MAGIC "PYOXCODE"
#define PYOX_MAPPED_KEY_SIZE 32u

typedef struct pyox_mapped_header {
  uint8_t magic[8];                      /*  0: PYOX_MAPPED_MAGIC */
  uint8_t abi_key[PYOX_MAPPED_KEY_SIZE]; /*  8 */
  uint32_t root;                         /* 40: the module's code object */
  uint32_t objects_size;                 /* 44: bytes of objects after the
                                                header, 16-byte multiple (a reader
                                                 needs an 8-byte one) */
  uint32_t reloc_count;                  /* 48 */
  uint32_t intern_count;                 /* 52 */
  uint32_t code_count;                   /* 56 */
  uint32_t frozenset_count;              /* 60 */
  uint32_t shared_count;                 /* 64 */
  uint32_t hot_end;                      /* 68: end of the objects the
                                                runtime copies first (code,
                                                tuples, names, docstrings) */
  uint32_t reserved[2];                  /* 72: zero */
} pyox_mapped_header;

#define PYOX_MAPPED_STRINGS_NAME "/strings"
#define PYOX_MAPPED_STRINGS_MAGIC "PYOXSTRS"

typedef struct pyox_mapped_strings_header {
  uint8_t magic[8];                      /*  0: PYOX_MAPPED_STRINGS_MAGIC */
  uint8_t abi_key[PYOX_MAPPED_KEY_SIZE]; /*  8: as the entries' */
  uint32_t objects_size;                 /* 40: bytes of str objects after
                                                the header, 16-byte multiple */
  uint32_t chunk_shift;                  /* 44: 12 to 20 */
  uint32_t chunk_count;                  /* 48: chunks of header + objects */
  uint32_t reserved[3];                  /* 52: zero */
} pyox_mapped_strings_header;

#ifdef __cplusplus
} /* extern "C" */
static_assert(sizeof(pyox_header) == 64, "pyox_header is 64 bytes on disk");
static_assert(sizeof(pyox_entry) == 40, "pyox_entry is 40 bytes on disk");
static_assert(sizeof(pyox_mapped_header) == 80, "pyox_mapped_header is 80");
static_assert(sizeof(pyox_mapped_strings_header) == 64,
              "pyox_mapped_strings_header is 64");
#else
_Static_assert(sizeof(pyox_header) == 64, "pyox_header is 64 bytes on disk");
_Static_assert(sizeof(pyox_entry) == 40, "pyox_entry is 40 bytes on disk");
_Static_assert(sizeof(pyox_mapped_header) == 80, "pyox_mapped_header is 80");
_Static_assert(sizeof(pyox_mapped_strings_header) == 64,
               "pyox_mapped_strings_header is 64");
#endif

#endif /* PYOX_FORMAT_H */
