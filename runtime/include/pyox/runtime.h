/*===- pyox/runtime.h - The pyox runtime C API -----------------*- C -*-===*
 *
 * What a program that carries a pyox payload calls at run time.
 *
 * Locating a payload
 * ------------------
 * A payload lives in the read-only memory of the image (the main executable
 * or a shared library) it was injected into, post-link by `pyox-inject
 * inject` or at link time from a `pyox-inject object` file. Both paths
 * describe it the same way, with a record in the format of an ELF note,
 *
 *   namesz = 5, name = "PYOX\0", type = PYOX_NOTE_PAYLOAD,
 *   desc   = pyox_elf_note (below), followed by the payload name bytes,
 *
 * whose descriptor says where the payload is *relative to the descriptor
 * itself*. A relative offset needs no dynamic relocation (the record stays
 * read-only and correct wherever the image is loaded) and is what a
 * link-time object expresses with one PC-relative relocation.
 *
 * Where the records are: a link-time object puts them in a note section,
 * which the linker places in a PT_NOTE segment. `pyox-inject inject` puts
 * them at the end of the read-only PT_LOAD it adds, followed by a trailer
 * (pyox_elf_trailer) that ends that segment's file contents, and adds no
 * PT_NOTE: note checkers (eu-elflint) reject note types they do not know.
 *
 * pyox_find_payload walks the program headers of the image that contains
 * CALLER_ADDRESS (dl_iterate_phdr, which also works in static executables),
 * reads its PT_NOTE segments and the last bytes of its readable,
 * non-writable PT_LOADs, checks that the payload range lies inside one of
 * the image's PT_LOAD segments, and checks the payload's header and chunk
 * table with pyox_payload_check_header. It is linear in the number of
 * program headers and
 * records, allocates nothing and does no file I/O. See
 * docs/elf-injection.md.
 *===----------------------------------------------------------------------===*/

#ifndef PYOX_RUNTIME_H
#define PYOX_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Payload location (ELF) -------------------------------------------- */

/* Owner name of pyox notes (with its NUL: namesz == 5). */
#define PYOX_NOTE_OWNER "PYOX"
#define PYOX_NOTE_OWNER_SIZE 5u
/* Note type of a payload descriptor. */
#define PYOX_NOTE_PAYLOAD 1u
/* Note type of the record `pyox-inject inject` leaves so `remove` can put the
 * original program header table back (see docs/elf-injection.md). */
#define PYOX_NOTE_ORIGINAL_LAYOUT 2u
/* Note type `pyox-inject remove` gives a link-time payload's note, whose
 * bytes it cannot take out of the file; the locator skips it. */
#define PYOX_NOTE_REMOVED 3u

/* The name used when none is given. */
#define PYOX_DEFAULT_PAYLOAD_NAME "pyox"
/* Longest payload name, in bytes. */
#define PYOX_MAX_PAYLOAD_NAME 255u

/* Descriptor of a PYOX_NOTE_PAYLOAD note; all fields little-endian, at
 * 4-byte aligned offsets (read with memcpy). name_size name bytes follow,
 * padded to the note alignment. */
typedef struct pyox_elf_note {
  int64_t payload_offset; /*  0: payload address minus this field's address */
  uint64_t payload_size;  /*  8: bytes reserved for the payload (>= its
                                 total_size; padding is zero) */
  uint32_t name_size;     /* 16: bytes of name that follow */
} pyox_elf_note;
#define PYOX_ELF_NOTE_SIZE 20u

/* Descriptor of a PYOX_NOTE_ORIGINAL_LAYOUT note. */
typedef struct pyox_elf_layout_note {
  uint64_t original_phoff; /*  0: e_phoff before the first injection */
  uint32_t original_phnum; /*  8: e_phnum before the first injection */
  uint32_t flags;          /* 12: PYOX_LAYOUT_* */
  uint64_t original_end;   /* 16: end of the original bytes pyox keeps */
} pyox_elf_layout_note;
/* The PT_PHDR entry was added by pyox-inject (the file had none); `remove`
 * drops it again. */
#define PYOX_LAYOUT_ADDED_PHDR 1u
#define PYOX_ELF_LAYOUT_NOTE_SIZE 24u

/* The last bytes of the file contents of the PT_LOAD `pyox-inject inject`
 * adds: records_size bytes of PYOX records (laid out as notes with 4-byte
 * alignment) end where the trailer starts. The trailer is 8-byte aligned. */
typedef struct pyox_elf_trailer {
  uint8_t magic[8];      /* 0: PYOX_ELF_TRAILER_MAGIC */
  uint64_t records_size; /* 8: bytes of records before the trailer */
} pyox_elf_trailer;
#define PYOX_ELF_TRAILER_MAGIC "PYOXRECS"
#define PYOX_ELF_TRAILER_SIZE 16u

/* Results of pyox_find_payload. */
enum pyox_find_result {
  PYOX_FIND_OK = 0,
  PYOX_FIND_NOT_FOUND = 1, /* no image contains the address, or no payload
                              of that name in it */
  PYOX_FIND_INVALID = 2    /* a note or payload header is malformed */
};

/* Finds the payload called NAME (NULL: PYOX_DEFAULT_PAYLOAD_NAME) in the
 * image containing CALLER_ADDRESS (NULL: the main executable). On success
 * sets *DATA and *SIZE to the payload's bytes (SIZE is the header's
 * total_size) and returns PYOX_FIND_OK; otherwise returns another
 * pyox_find_result and sets *ERROR (if ERROR is not NULL) to a static
 * one-line message. Thread-safe; no allocation, no I/O. */
int pyox_find_payload(const char *name, const void *caller_address,
                      const void **data, size_t *size, const char **error);

/* The same search over one image described by its load bias and program
 * headers (ElfW(Phdr) of the running process), as dl_iterate_phdr reports
 * them. For programs that obtain program headers another way (getauxval
 * AT_PHDR, a custom loader). */
int pyox_find_payload_in_image(uintptr_t load_bias, const void *phdrs,
                               size_t phnum, const char *name,
                               const void **data, size_t *size,
                               const char **error);

/* ---- Running Python from a payload (library pyox_runtime) --------------- *
 *
 * pyox_run starts an embedded CPython 3.11 whose import system reads the
 * payload first: modules, packages, extension modules, resources and
 * distribution metadata, all from memory (docs/runtime.md). With an entry
 * point in the payload it runs that; without one it behaves like the
 * python3 command line. It returns the process exit status, python3's
 * (SystemExit values, 1 for an uncaught exception, 130 after Ctrl-C); on a
 * missing, damaged or mismatched payload it prints one `pyox: ` line on
 * stderr and returns 1. Call it once per process, from the main thread. */
typedef struct pyox_run_config {
  /* The payload bytes (8-byte aligned, alive until exit), or NULL to locate
   * PAYLOAD_NAME in the image containing pyox_run (pyox_find_payload). */
  const void *payload;
  size_t payload_size;
  const char *payload_name; /* NULL: PYOX_DEFAULT_PAYLOAD_NAME */
  /* Path that modules' virtual file names start with and that sys.path
   * holds; NULL: the executable (/proc/self/exe). */
  const char *root;
  int argc; /* the program's arguments, argv[0] first */
  char **argv;
} pyox_run_config;

int pyox_run(const pyox_run_config *config);

/* pyox_run with the default payload of this image: what pyox-run's main
 * calls. */
int pyox_main(int argc, char **argv);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PYOX_RUNTIME_H */
