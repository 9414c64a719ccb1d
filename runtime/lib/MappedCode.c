/*===- MappedCode.c - Code objects laid out as CPython objects -*- C -*-===*
 *
 * CPython 3.11 imports its deep-frozen modules without unmarshalling: their
 * code objects are static data in the binary (Tools/scripts/deepfreeze.py).
 * This is the same after link time. The layout is written by the template
 * itself: it unmarshals each module with its own interpreter and copies
 * the objects marshal made, byte for byte, into an entry, so every field
 * CPython derives (co_nlocalsplus, _co_firsttraceable, the unicode state
 * bits) is the one CPython computed; only what is process-specific is
 * reset (reference counts, str/bytes hashes, interned bits, caches), and
 * every pointer becomes either a template address (types, None, small
 * ints, the empty tuple, one-character strings and the other static
 * objects marshal returns) or an offset into the entry that the runtime
 * relocates. Objects are grouped by kind (code, tuples, str, bytes,
 * numbers): interning, the costly part of using them, walks them in order.
 *
 * What the runtime must still do per process, and the entry lists for it:
 * intern the strings marshal interned (identity-based dict lookups depend
 * on it), build frozensets (their tables depend on the hash secret), and
 * set co_filename to the module's virtual path.
 *
 * The writer checks its output: each entry is copied, relocated and
 * compared with a fresh marshal.loads of the same bytes, field by field,
 * including which slots share one object and which strings get interned.
 * A writer bug would otherwise be silently wrong code.
 *
 * Needs Py_BUILD_CORE for _PyRuntime (the singletons live in it) and
 * QUICKENING_INITIAL_WARMUP_VALUE.
 *
 *===----------------------------------------------------------------------===*/

#define Py_BUILD_CORE 1
#include "MappedCode.h"
#include "ElfNotes.h"

#include "internal/pycore_code.h"
#include "internal/pycore_gc.h"
#include "internal/pycore_runtime.h"

#include <marshal.h>

#include "pyox/payload.h"

/* PyBytesObject.ob_shash is deprecated for users of the C API, not for
 * whoever writes a bytes object's bytes. */
#pragma clang diagnostic ignored "-Wdeprecated-declarations"

#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The template's static objects (types, None, small ints, _PyRuntime's
 * singletons) lie in its writable segments: their bounds, from the
 * program headers. Not from linker-defined symbols: llvm-bolt rewrites a
 * reference to `_end` as 0 (test/runtime/mapped-code.test fails then). */
struct StaticBounds {
  uintptr_t lo, hi;
};

static int findWritable(struct dl_phdr_info *info, size_t size, void *arg) {
  struct StaticBounds *b = (struct StaticBounds *)arg;
  uintptr_t anchor = (uintptr_t)&PyCode_Type;
  struct StaticBounds w = {UINTPTR_MAX, 0};
  (void)size;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
      continue;
    uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
    uintptr_t hi = lo + ph->p_memsz;
    if (lo < w.lo)
      w.lo = lo;
    if (hi > w.hi)
      w.hi = hi;
  }
  if (anchor < w.lo || anchor >= w.hi)
    return 0;
  *b = w;
  return 1;
}

static const struct StaticBounds *staticBounds(void) {
  static struct StaticBounds bounds;
  if (!bounds.hi)
    dl_iterate_phdr(findWritable, &bounds);
  return &bounds;
}

static int isStatic(const void *p) {
  const struct StaticBounds *b = staticBounds();
  return (uintptr_t)p >= b->lo && (uintptr_t)p < b->hi;
}

/* deepfreeze's count: large enough never to reach zero (3.11 has no
 * immortal objects; increfs and decrefs still write it). */
#define BIG_REFCNT 999999999

/* --- The key ------------------------------------------------------------ */

struct IdSearch {
  uintptr_t addr;
  uint8_t id[20];
  int found;
};

static int findBuildId(struct dl_phdr_info *info, size_t size, void *arg) {
  struct IdSearch *s = (struct IdSearch *)arg;
  (void)size;
  int mine = 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
    if (ph->p_type == PT_LOAD && s->addr >= lo && s->addr - lo < ph->p_memsz)
      mine = 1;
  }
  if (!mine)
    return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    const uint8_t *id;
    size_t n;
    if (ph->p_type == PT_NOTE &&
        pyox_find_build_id((const uint8_t *)(info->dlpi_addr + ph->p_vaddr),
                           ph->p_memsz, ph->p_align == 8 ? 8 : 4, &id, &n) &&
        n > 0) {
      memcpy(s->id, id, n < 20 ? n : 20);
      s->found = 1;
      return 1;
    }
  }
  return 1;
}

int pyox_mapped_abi_key(uint8_t key[PYOX_MAPPED_KEY_SIZE]) {
  static uint8_t cached[PYOX_MAPPED_KEY_SIZE];
  static int state; /* 0: not computed, 1: have it, -1: none */
  if (state == 0) {
    struct IdSearch s;
    memset(&s, 0, sizeof s);
    s.addr = (uintptr_t)&pyox_mapped_abi_key;
    dl_iterate_phdr(findBuildId, &s);
    /* Everything the objects' bytes depend on besides the build-id, which
     * already pins them: a second line of defence against a build-id that
     * a tool kept across a rebuild. */
    const uint64_t table[] = {
        PY_VERSION_HEX,
        staticBounds()->lo,
        staticBounds()->hi,
        (uintptr_t)&_PyRuntime,
        sizeof(_PyRuntime),
        (uintptr_t)&PyCode_Type,
        (uintptr_t)&PyUnicode_Type,
        (uintptr_t)&PyBytes_Type,
        (uintptr_t)&PyTuple_Type,
        (uintptr_t)&PyLong_Type,
        (uintptr_t)&PyFloat_Type,
        (uintptr_t)&PyComplex_Type,
        (uintptr_t)Py_None,
        (uintptr_t)Py_True,
        (uintptr_t)Py_False,
        (uintptr_t)Py_Ellipsis,
        offsetof(PyCodeObject, co_code_adaptive),
        sizeof(PyASCIIObject),
        sizeof(PyCompactUnicodeObject),
        sizeof(PyBytesObject),
        sizeof(PyTupleObject),
        sizeof(PyGC_Head),
        sizeof(PyLongObject),
        sizeof(digit),
        sizeof(PyFloatObject),
        sizeof(PyComplexObject),
        sizeof(wchar_t),
        (uint64_t)(int64_t)QUICKENING_INITIAL_WARMUP_VALUE,
    };
    uint64_t h = 0xcbf29ce484222325ull;
    const uint8_t *b = (const uint8_t *)table;
    for (size_t i = 0; i < sizeof table; ++i)
      h = (h ^ b[i]) * 0x100000001b3ull;
    memcpy(cached, s.id, 20);
    memcpy(cached + 24, &h, 8);
    state = s.found ? 1 : -1;
  }
  memcpy(key, cached, PYOX_MAPPED_KEY_SIZE);
  return state > 0 ? 0 : -1;
}

/* --- Reading an entry (runtime and self-check) --------------------------- */

static const uint32_t *lists(const uint8_t *blob) {
  const pyox_mapped_header *h = (const pyox_mapped_header *)blob;
  return (const uint32_t *)(blob + sizeof *h + h->objects_size);
}

/* A slot lies inside the objects, 8-byte aligned. */
static int goodSlot(const pyox_mapped_header *h, uint32_t off) {
  return off % 8 == 0 && off >= sizeof *h &&
         (uint64_t)off + 8 <= sizeof *h + (uint64_t)h->objects_size;
}

static uint64_t listTotal(const pyox_mapped_header *h) {
  return (uint64_t)h->reloc_count + h->intern_count + h->code_count +
         h->frozenset_count + h->shared_count;
}

const uint32_t *pyox_mapped_shared_slots(const uint8_t *blob, uint32_t *count) {
  const pyox_mapped_header *h = (const pyox_mapped_header *)blob;
  *count = h->shared_count;
  return lists(blob) + listTotal(h) - h->shared_count;
}

int pyox_mapped_strings_chunk_ok(const uint8_t *blob, uint32_t chunk) {
  const pyox_mapped_strings_header *h =
      (const pyox_mapped_strings_header *)blob;
  uint64_t covered = sizeof *h + (uint64_t)h->objects_size;
  uint64_t lo = (uint64_t)chunk << h->chunk_shift;
  uint64_t hi = lo + (1u << h->chunk_shift);
  if (chunk >= h->chunk_count)
    return 0;
  if (hi > covered)
    hi = covered;
  uint32_t want;
  memcpy(&want, blob + covered + 4 * (uint64_t)chunk, 4);
  return pyox_crc32c(0, blob + lo, hi - lo) == want;
}

const char *pyox_mapped_strings_check(const uint8_t *blob, uint64_t size,
                                      const uint8_t key[PYOX_MAPPED_KEY_SIZE]) {
  const pyox_mapped_strings_header *h =
      (const pyox_mapped_strings_header *)blob;
  if ((uintptr_t)blob % 16 != 0 || size < sizeof *h ||
      memcmp(h->magic, PYOX_MAPPED_STRINGS_MAGIC, 8) != 0)
    return "not a mapped strings entry";
  uint64_t covered = sizeof *h + (uint64_t)h->objects_size;
  if (h->objects_size % 16 != 0 || h->chunk_shift < 12 || h->chunk_shift > 20 ||
      h->chunk_count !=
          (covered + (1u << h->chunk_shift) - 1) >> h->chunk_shift ||
      covered + 4 * (uint64_t)h->chunk_count > size)
    return "mapped strings entry has bad sizes";
  /* Chunk 0 holds the header: a damaged key is damage, not another
   * template. */
  if (!pyox_mapped_strings_chunk_ok(blob, 0))
    return "damaged";
  if (memcmp(h->abi_key, key, PYOX_MAPPED_KEY_SIZE) != 0)
    return "mapped code laid out for another template build";
  return NULL;
}

const char *pyox_mapped_check(const uint8_t *blob, uint64_t size,
                              const uint8_t key[PYOX_MAPPED_KEY_SIZE],
                              uint64_t strings_end) {
  const pyox_mapped_header *h = (const pyox_mapped_header *)blob;
  if ((uintptr_t)blob % 16 != 0 || size < sizeof *h ||
      memcmp(h->magic, PYOX_MAPPED_MAGIC, 8) != 0)
    return "not a mapped code entry";
  if (memcmp(h->abi_key, key, PYOX_MAPPED_KEY_SIZE) != 0)
    return "mapped code laid out for another template build";
  uint64_t count = listTotal(h);
  if (h->objects_size % 8 != 0 ||
      sizeof *h + (uint64_t)h->objects_size + 4 * count > size ||
      !goodSlot(h, h->root) || h->code_count == 0 || h->hot_end <= sizeof *h ||
      h->hot_end > sizeof *h + (uint64_t)h->objects_size)
    return "mapped code entry has bad sizes";
  const uint32_t *l = lists(blob);
  for (uint64_t i = 0; i < count; ++i)
    if (!goodSlot(h, l[i]))
      return "mapped code entry has a slot out of bounds";
  for (uint32_t i = 0; i < h->reloc_count; ++i) {
    uint64_t target;
    memcpy(&target, blob + l[i], 8);
    if (!goodSlot(h, (uint32_t)target) || target > UINT32_MAX)
      return "mapped code entry points out of bounds";
  }
  const uint32_t *shared = l + count - h->shared_count;
  for (uint32_t i = 0; i < h->shared_count; ++i) {
    uint64_t target;
    memcpy(&target, blob + shared[i], 8);
    if (target % 8 != 0 || target < sizeof(pyox_mapped_strings_header) ||
        target + sizeof(PyASCIIObject) > strings_end)
      return "mapped code entry points out of the shared strings";
  }
  return NULL;
}

static void relocate(uint8_t *blob, const uint8_t *strings) {
  const pyox_mapped_header *h = (const pyox_mapped_header *)blob;
  const uint32_t *l = lists(blob);
  for (uint32_t i = 0; i < h->reloc_count; ++i)
    *(uint64_t *)(blob + l[i]) += (uintptr_t)blob;
  uint32_t n;
  const uint32_t *shared = pyox_mapped_shared_slots(blob, &n);
  for (uint32_t i = 0; i < n; ++i)
    *(uint64_t *)(blob + shared[i]) += (uintptr_t)strings;
}

/* Replaces each frozenset slot's tuple with a frozenset of its items; a
 * tuple in several slots (marshal shared the frozenset) gives one
 * frozenset. */
static int makeFrozensets(uint8_t *blob) {
  const pyox_mapped_header *h = (const pyox_mapped_header *)blob;
  const uint32_t *l =
      lists(blob) + h->reloc_count + h->intern_count + h->code_count;
  for (uint32_t i = 0; i < h->frozenset_count; ++i) {
    PyObject **slot = (PyObject **)(blob + l[i]);
    if (PyFrozenSet_CheckExact(*slot))
      continue; /* the same tuple as an earlier slot's */
    if (!PyTuple_CheckExact(*slot)) {
      PyErr_SetString(PyExc_SystemError, "pyox: bad mapped frozenset");
      return -1;
    }
    PyObject *made = PyFrozenSet_New(*slot);
    if (!made)
      return -1;
    /* Later slots holding the same tuple get the same frozenset. */
    PyObject *tuple = *slot;
    for (uint32_t j = i; j < h->frozenset_count; ++j) {
      PyObject **s = (PyObject **)(blob + l[j]);
      if (*s == tuple) {
        Py_INCREF(made);
        *s = made;
      }
    }
    Py_DECREF(made);
  }
  return 0;
}

PyObject *pyox_mapped_prepare(uint8_t *blob, uint8_t *strings,
                              PyObject *filename) {
  const pyox_mapped_header *h = (const pyox_mapped_header *)blob;
  relocate(blob, strings);
  const uint32_t *l = lists(blob) + h->reloc_count;
  for (uint32_t i = 0; i < h->intern_count; ++i)
    PyUnicode_InternInPlace((PyObject **)(blob + l[i]));
  /* A shared string is interned by the first module that uses it (it is
   * then the process's, and this returns at once for every later slot),
   * or found equal to one interned before (a slot then points there). */
  uint32_t n;
  const uint32_t *shared = pyox_mapped_shared_slots(blob, &n);
  for (uint32_t i = 0; i < n; ++i)
    PyUnicode_InternInPlace((PyObject **)(blob + shared[i]));
  l += h->intern_count;
  for (uint32_t i = 0; i < h->code_count; ++i) {
    PyCodeObject *co = (PyCodeObject *)(blob + l[i]);
    Py_INCREF(filename);
    Py_SETREF(co->co_filename, filename);
  }
  if (makeFrozensets(blob) < 0)
    return NULL;
  PyObject *root = (PyObject *)(blob + h->root);
  Py_INCREF(root);
  return root;
}

/* --- Writing an entry (build time, in the template) ---------------------- */

typedef struct {
  uint32_t *v;
  size_t n, cap;
} U32Vec;

static int push(U32Vec *vec, uint32_t x) {
  if (vec->n == vec->cap) {
    size_t cap = vec->cap ? vec->cap * 2 : 64;
    uint32_t *v = (uint32_t *)realloc(vec->v, cap * sizeof *v);
    if (!v)
      return -1;
    vec->v = v;
    vec->cap = cap;
  }
  vec->v[vec->n++] = x;
  return 0;
}

/* Objects are grouped, in this order, from those the runtime writes when
 * it prepares the entry (relocation, interning, co_filename) to those a
 * program seldom writes (bytes: line and exception tables): the runtime
 * gives back the pages it has not written (Importer.cpp), and a page
 * holding only seldom-written objects then stays out of memory until read.
 * Docstrings come with the first: making a function reads its code's
 * first constant, then takes a reference to it if it is a str, and a read
 * of a page not yet the process's own maps the file's pages around it
 * (fault-around), which then stay; the runtime copies everything up to
 * them when it prepares the entry (hot_end). */
enum {
  RANK_CODE,
  RANK_TUPLE,
  RANK_NAME, /* an interned str */
  RANK_DOC,  /* another str, the first constant of a code object */
  RANK_NUMBER,
  RANK_STR,
  RANK_BYTES,
  RANKS
};

/* The strings entry being written: the interned ASCII strings of all
 * modules, laid out once, most shared first (a program's first imports use
 * the common ones, which then share a few chunks). */
typedef struct {
  PyObject *offsets; /* dict: id(str) -> its offset in the entry */
  PyObject *keep;    /* list: the strings, alive until the end */
  uint8_t *out;      /* the entry */
  size_t size;
} Pool;

#define POOL_CHUNK_SHIFT 12
/* A str larger than this stays in its module's entry (it could not share a
 * chunk with others). */
#define POOL_MAX_STR 1024

typedef struct {
  PyObject *index;   /* dict: id(object) -> its number */
  PyObject **objs;   /* borrowed: the unmarshalled root keeps them alive */
  uint32_t *offsets; /* by number, once assigned */
  uint8_t *ranks;    /* by number, once all are known */
  size_t count, cap;
  uint8_t *out;
  size_t size;
  U32Vec relocs, interns, codes, frozensets, shared;
  const Pool *pool;  /* NULL while the strings are being collected */
  const char *error; /* why this module cannot be laid out */
} Layout;

static int rankOf(PyObject *o) {
  if (PyCode_Check(o))
    return RANK_CODE;
  if (PyTuple_CheckExact(o) || PyFrozenSet_CheckExact(o))
    return RANK_TUPLE;
  if (PyUnicode_CheckExact(o))
    return PyUnicode_CHECK_INTERNED(o) ? RANK_NAME : RANK_STR;
  if (PyBytes_CheckExact(o))
    return RANK_BYTES;
  if (PyLong_CheckExact(o) || PyFloat_CheckExact(o) || PyComplex_CheckExact(o))
    return RANK_NUMBER;
  return -1;
}

/* Bytes the object takes in the entry (after a tuple's PyGC_Head). */
static size_t sizeOf(PyObject *o) {
  if (PyCode_Check(o))
    return _PyObject_VAR_SIZE(&PyCode_Type, Py_SIZE(o));
  if (PyTuple_CheckExact(o))
    return _PyObject_VAR_SIZE(&PyTuple_Type, Py_SIZE(o));
  if (PyFrozenSet_CheckExact(o))
    return _PyObject_VAR_SIZE(&PyTuple_Type, PySet_GET_SIZE(o));
  if (PyUnicode_CheckExact(o)) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(o) + 1;
    return PyUnicode_IS_ASCII(o)
               ? sizeof(PyASCIIObject) + (size_t)n
               : sizeof(PyCompactUnicodeObject) + (size_t)n * PyUnicode_KIND(o);
  }
  if (PyBytes_CheckExact(o))
    return offsetof(PyBytesObject, ob_sval) + (size_t)Py_SIZE(o) + 1;
  if (PyLong_CheckExact(o)) {
    Py_ssize_t n = Py_ABS(Py_SIZE(o));
    return offsetof(PyLongObject, ob_digit) +
           (size_t)(n ? n : 1) * sizeof(digit);
  }
  if (PyFloat_CheckExact(o))
    return sizeof(PyFloatObject);
  return sizeof(PyComplexObject);
}

/* Whether O goes in the strings entry rather than its module's. */
static int poolable(PyObject *o) {
  return PyUnicode_CheckExact(o) && PyUnicode_CHECK_INTERNED(o) &&
         PyUnicode_IS_READY(o) && PyUnicode_IS_COMPACT(o) &&
         PyUnicode_IS_ASCII(o) && sizeOf(o) <= POOL_MAX_STR;
}

/* DICT[id(O)] (a number); -1 when O is not a key, -2 on error. */
static Py_ssize_t byIdentity(PyObject *dict, PyObject *o) {
  PyObject *key = PyLong_FromVoidPtr(o);
  if (!key)
    return -2;
  PyObject *v = PyDict_GetItemWithError(dict, key);
  Py_DECREF(key);
  if (!v)
    return PyErr_Occurred() ? -2 : -1;
  return PyLong_AsSsize_t(v);
}

/* O's offset in the strings entry; -1 when it is not there, -2 on error. */
static Py_ssize_t poolOffset(const Pool *pool, PyObject *o) {
  return pool && poolable(o) ? byIdentity(pool->offsets, o) : -1;
}

static Py_ssize_t numberOf(Layout *L, PyObject *o) {
  return byIdentity(L->index, o);
}

static int visit(Layout *L, PyObject *o);

static int visitAll(Layout *L, PyObject *const *items, Py_ssize_t n) {
  for (Py_ssize_t i = 0; i < n; ++i)
    if (visit(L, items[i]) < 0)
      return -1;
  return 0;
}

/* Numbers every object reachable from O that is not the template's. */
static int visit(Layout *L, PyObject *o) {
  if (!o || isStatic(o))
    return 0;
  Py_ssize_t pooled = poolOffset(L->pool, o);
  if (pooled != -1)
    return pooled < -1 ? -1 : 0;
  Py_ssize_t known = numberOf(L, o);
  if (known != -1)
    return known < -1 ? -1 : 0;
  int rank = rankOf(o);
  if (rank < 0) {
    L->error = "a constant of a type mapped code does not lay out";
    return -1;
  }
  if (PyUnicode_CheckExact(o) &&
      (!PyUnicode_IS_READY(o) || !PyUnicode_IS_COMPACT(o))) {
    L->error = "a str that is not compact";
    return -1;
  }
  if (!isStatic(Py_TYPE(o))) {
    L->error = "an object of a heap type";
    return -1;
  }
  if (L->count == L->cap) {
    size_t cap = L->cap ? L->cap * 2 : 256;
    PyObject **objs = (PyObject **)realloc(L->objs, cap * sizeof *objs);
    if (!objs)
      return -1;
    L->objs = objs;
    L->cap = cap;
  }
  PyObject *key = PyLong_FromVoidPtr(o);
  PyObject *num = PyLong_FromSize_t(L->count);
  int r = key && num ? PyDict_SetItem(L->index, key, num) : -1;
  Py_XDECREF(key);
  Py_XDECREF(num);
  if (r < 0)
    return -1;
  L->objs[L->count++] = o;
  if (PyCode_Check(o)) {
    PyCodeObject *co = (PyCodeObject *)o;
    PyObject *fields[] = {co->co_consts,
                          co->co_names,
                          co->co_exceptiontable,
                          co->co_localsplusnames,
                          co->co_localspluskinds,
                          co->co_filename,
                          co->co_name,
                          co->co_qualname,
                          co->co_linetable};
    return visitAll(L, fields, sizeof fields / sizeof *fields);
  }
  if (PyTuple_CheckExact(o))
    return visitAll(L, &PyTuple_GET_ITEM(o, 0), PyTuple_GET_SIZE(o));
  if (PyFrozenSet_CheckExact(o)) {
    PyObject *items = PySequence_Tuple(o);
    if (!items)
      return -1;
    r = visitAll(L, &PyTuple_GET_ITEM(items, 0), PyTuple_GET_SIZE(items));
    Py_DECREF(items);
    return r;
  }
  return 0;
}

/* Writes the pointer to TARGET at entry offset SLOT. */
static int ref(Layout *L, size_t slot, PyObject *target) {
  uint64_t v = 0;
  Py_ssize_t pooled = target ? poolOffset(L->pool, target) : -1;
  if (pooled < -1)
    return -1;
  if (target && isStatic(target)) {
    v = (uintptr_t)target;
  } else if (pooled >= 0) {
    v = (uint64_t)pooled;
    if (push(&L->shared, (uint32_t)slot) < 0)
      return -1;
  } else if (target) {
    Py_ssize_t n = numberOf(L, target);
    if (n < 0)
      return -1;
    v = L->offsets[n];
    if (push(&L->relocs, (uint32_t)slot) < 0)
      return -1;
    if (PyUnicode_CheckExact(target) && PyUnicode_CHECK_INTERNED(target) &&
        push(&L->interns, (uint32_t)slot) < 0)
      return -1;
    if (PyFrozenSet_CheckExact(target) &&
        push(&L->frozensets, (uint32_t)slot) < 0)
      return -1;
  }
  memcpy(L->out + slot, &v, 8);
  return 0;
}

static int writeObject(Layout *L, PyObject *o, size_t at) {
  uint8_t *p = L->out + at;
  if (PyFrozenSet_CheckExact(o)) {
    PyTupleObject t;
    memset(&t, 0, sizeof t);
    Py_SET_TYPE(&t, &PyTuple_Type);
    Py_SET_SIZE(&t, PySet_GET_SIZE(o));
    memcpy(p, &t, offsetof(PyTupleObject, ob_item));
  } else {
    memcpy(p, o, sizeOf(o));
  }
  ((PyObject *)p)->ob_refcnt = BIG_REFCNT;
  if (PyCode_Check(o)) {
    PyCodeObject *co = (PyCodeObject *)o, *w = (PyCodeObject *)p;
    w->co_weakreflist = NULL;
    w->_co_code = NULL;
    w->_co_linearray = NULL;
    w->_co_linearray_entry_size = 0;
    w->co_extra = NULL;
    /* The same bytes from the same module, every build: no padding or
     * allocation slack from the heap object. */
    size_t after = offsetof(PyCodeObject, _co_firsttraceable) + sizeof(int);
    memset(p + after, 0, offsetof(PyCodeObject, co_extra) - after);
    size_t code = offsetof(PyCodeObject, co_code_adaptive) +
                  (size_t)Py_SIZE(co) * sizeof(_Py_CODEUNIT);
    memset(p + code, 0, sizeOf(o) - code);
    w->co_warmup = QUICKENING_INITIAL_WARMUP_VALUE;
#define REF(field)                                                             \
  if (ref(L, at + offsetof(PyCodeObject, field), co->field) < 0)               \
    return -1;
    REF(co_consts)
    REF(co_names)
    REF(co_exceptiontable)
    REF(co_localsplusnames)
    REF(co_localspluskinds)
    REF(co_filename)
    REF(co_name)
    REF(co_qualname)
    REF(co_linetable)
#undef REF
    return push(&L->codes, (uint32_t)at);
  }
  if (PyTuple_CheckExact(o) || PyFrozenSet_CheckExact(o)) {
    PyObject *items = PySequence_Tuple(o);
    if (!items)
      return -1;
    int r = 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(items) && r == 0; ++i)
      r = ref(L, at + offsetof(PyTupleObject, ob_item) + 8 * (size_t)i,
              PyTuple_GET_ITEM(items, i));
    Py_DECREF(items);
    return r;
  }
  if (PyUnicode_CheckExact(o)) {
    PyASCIIObject *a = (PyASCIIObject *)p;
    a->hash = -1;
    /* Only the state's named bits, and zero padding after it (see code). */
    unsigned kind = a->state.kind, compact = a->state.compact,
             ascii = a->state.ascii, ready = a->state.ready;
    size_t after = offsetof(PyASCIIObject, state);
    memset(p + after, 0, offsetof(PyASCIIObject, wstr) - after);
    a->state.kind = kind;
    a->state.compact = compact;
    a->state.ascii = ascii;
    a->state.ready = ready;
    a->wstr = NULL;
    if (!a->state.ascii) {
      PyCompactUnicodeObject *c = (PyCompactUnicodeObject *)p;
      c->utf8 = NULL;
      c->utf8_length = 0;
      c->wstr_length = 0;
      /* As PyUnicode_New leaves it: wstr shares the data when a code unit
       * is a wchar_t. */
      if (a->state.kind == sizeof(wchar_t)) {
        uint64_t data = at + sizeof(PyCompactUnicodeObject);
        memcpy(&a->wstr, &data, 8);
        c->wstr_length = a->length;
        if (push(&L->relocs, (uint32_t)(at + offsetof(PyASCIIObject, wstr))) <
            0)
          return -1;
      }
    }
    return 0;
  }
  if (PyBytes_CheckExact(o))
    ((PyBytesObject *)p)->ob_shash = -1;
  return 0;
}

static int compareU32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Lays ROOT's object graph out into L->out (L->size bytes). */
static int layOut(Layout *L, PyObject *root) {
  if (visit(L, root) < 0)
    return -1;
  L->offsets = (uint32_t *)calloc(L->count, sizeof *L->offsets);
  L->ranks = (uint8_t *)malloc(L->count);
  if (!L->offsets || !L->ranks)
    return -1;
  for (size_t i = 0; i < L->count; ++i)
    L->ranks[i] = (uint8_t)rankOf(L->objs[i]);
  for (size_t i = 0; i < L->count; ++i) {
    if (L->ranks[i] != RANK_CODE)
      continue;
    PyObject *consts = ((PyCodeObject *)L->objs[i])->co_consts;
    if (PyTuple_GET_SIZE(consts) == 0)
      continue;
    Py_ssize_t doc = numberOf(L, PyTuple_GET_ITEM(consts, 0));
    if (doc < -1)
      return -1;
    if (doc >= 0 && L->ranks[doc] == RANK_STR)
      L->ranks[doc] = RANK_DOC;
  }
  size_t at = sizeof(pyox_mapped_header), hotEnd = 0;
  for (int rank = 0; rank < RANKS; ++rank) {
    if (rank == RANK_NUMBER)
      hotEnd = at;
    for (size_t i = 0; i < L->count; ++i) {
      PyObject *o = L->objs[i];
      if (L->ranks[i] != rank)
        continue;
      if (rank == RANK_TUPLE)
        at += sizeof(PyGC_Head);
      L->offsets[i] = (uint32_t)at;
      at = (at + sizeOf(o) + 7) & ~(size_t)7;
      if (at > UINT32_MAX / 2) {
        L->error = "a module too large for mapped code";
        return -1;
      }
    }
  }
  size_t objectsEnd = (at + 15) & ~(size_t)15;
  L->size = objectsEnd; /* the lists follow once their sizes are known */
  L->out = (uint8_t *)calloc(1, objectsEnd);
  if (!L->out)
    return -1;
  for (int rank = 0; rank < RANKS; ++rank)
    for (size_t i = 0; i < L->count; ++i)
      if (L->ranks[i] == rank && writeObject(L, L->objs[i], L->offsets[i]) < 0)
        return -1;
  U32Vec *all[] = {&L->relocs, &L->interns, &L->codes, &L->frozensets,
                   &L->shared};
  size_t lists = 0;
  for (int i = 0; i < 5; ++i) {
    if (all[i]->n)
      qsort(all[i]->v, all[i]->n, sizeof(uint32_t), compareU32);
    lists += all[i]->n * 4;
  }
  uint8_t *out = (uint8_t *)realloc(L->out, objectsEnd + lists);
  if (!out)
    return -1;
  L->out = out;
  for (int i = 0; i < 5; ++i) {
    if (all[i]->n)
      memcpy(out + L->size, all[i]->v, all[i]->n * 4);
    L->size += all[i]->n * 4;
  }
  pyox_mapped_header *h = (pyox_mapped_header *)out;
  memcpy(h->magic, PYOX_MAPPED_MAGIC, 8);
  pyox_mapped_abi_key(h->abi_key);
  h->root = L->offsets[0];
  h->objects_size = (uint32_t)(objectsEnd - sizeof *h);
  h->reloc_count = (uint32_t)L->relocs.n;
  h->intern_count = (uint32_t)L->interns.n;
  h->code_count = (uint32_t)L->codes.n;
  h->frozenset_count = (uint32_t)L->frozensets.n;
  h->shared_count = (uint32_t)L->shared.n;
  h->hot_end = (uint32_t)hotEnd;
  return 0;
}

static void freeLayout(Layout *L) {
  Py_XDECREF(L->index);
  free(L->objs);
  free(L->offsets);
  free(L->ranks);
  free(L->out);
  free(L->relocs.v);
  free(L->interns.v);
  free(L->codes.v);
  free(L->frozensets.v);
  free(L->shared.v);
}

/* --- The writer's self-check --------------------------------------------- */

typedef struct {
  const uint8_t *base; /* the relocated copy */
  size_t size;
  const uint8_t *strings; /* the strings entry, and its end */
  size_t stringsSize;
  PyObject *pairs, *back; /* id(mapped) -> id(fresh), and back */
  const uint32_t *interns, *codes, *frozensets, *shared;
  uint32_t internCount, codeCount, frozensetCount, sharedCount;
  uint32_t internsSeen, codesSeen, frozensetsSeen;
  const char *why;
} Check;

static int listed(const uint32_t *l, uint32_t n, size_t x) {
  uint32_t key = (uint32_t)x;
  return x <= UINT32_MAX && bsearch(&key, l, n, 4, compareU32) != NULL;
}

static int fail(Check *C, const char *why) {
  if (!C->why)
    C->why = why;
  return 0;
}

/* 1 when the pair A (mapped, in the slot at SLOT) and B (unmarshalled)
 * was met before, with the same partner each side; 0 when new; -1 when
 * the sharing differs. */
static int paired(Check *C, PyObject *a, PyObject *b) {
  PyObject *ka = PyLong_FromVoidPtr(a), *kb = PyLong_FromVoidPtr(b);
  int r = -1;
  if (ka && kb) {
    PyObject *pa = PyDict_GetItem(C->pairs, ka);
    PyObject *pb = PyDict_GetItem(C->back, kb);
    if (!pa && !pb)
      r = PyDict_SetItem(C->pairs, ka, kb) < 0 ||
                  PyDict_SetItem(C->back, kb, ka) < 0
              ? -1
              : 0;
    else if (pa && pb && PyObject_RichCompareBool(pa, kb, Py_EQ) == 1 &&
             PyObject_RichCompareBool(pb, ka, Py_EQ) == 1)
      r = 1;
  }
  Py_XDECREF(ka);
  Py_XDECREF(kb);
  return r;
}

static int same(Check *C, PyObject *const *slot, PyObject *b);

static int sameItems(Check *C, PyObject *const *a, PyObject *const *b,
                     Py_ssize_t n) {
  for (Py_ssize_t i = 0; i < n; ++i)
    if (!same(C, &a[i], b[i]))
      return 0;
  return 1;
}

static int sameCode(Check *C, PyCodeObject *a, PyCodeObject *b) {
  if (a->co_flags != b->co_flags || a->co_warmup != b->co_warmup ||
      a->_co_linearray_entry_size != 0 || a->co_argcount != b->co_argcount ||
      a->co_posonlyargcount != b->co_posonlyargcount ||
      a->co_kwonlyargcount != b->co_kwonlyargcount ||
      a->co_stacksize != b->co_stacksize ||
      a->co_firstlineno != b->co_firstlineno ||
      a->co_nlocalsplus != b->co_nlocalsplus ||
      a->co_nlocals != b->co_nlocals ||
      a->co_nplaincellvars != b->co_nplaincellvars ||
      a->co_ncellvars != b->co_ncellvars ||
      a->co_nfreevars != b->co_nfreevars ||
      a->_co_firsttraceable != b->_co_firsttraceable ||
      Py_SIZE(a) != Py_SIZE(b) ||
      memcmp(a->co_code_adaptive, b->co_code_adaptive,
             (size_t)Py_SIZE(b) * sizeof(_Py_CODEUNIT)) != 0)
    return fail(C, "a code object's fields or bytecode differ");
  if (a->co_weakreflist || a->_co_code || a->_co_linearray || a->co_extra)
    return fail(C, "a code object's caches are set");
  if (!listed(C->codes, C->codeCount, (const uint8_t *)a - C->base))
    return fail(C, "a code object is not in the code list");
  ++C->codesSeen;
  return same(C, &a->co_consts, b->co_consts) &&
         same(C, &a->co_names, b->co_names) &&
         same(C, &a->co_exceptiontable, b->co_exceptiontable) &&
         same(C, &a->co_localsplusnames, b->co_localsplusnames) &&
         same(C, &a->co_localspluskinds, b->co_localspluskinds) &&
         same(C, &a->co_filename, b->co_filename) &&
         same(C, &a->co_name, b->co_name) &&
         same(C, &a->co_qualname, b->co_qualname) &&
         same(C, &a->co_linetable, b->co_linetable);
}

static int sameStr(Check *C, PyObject *a, PyObject *b) {
  PyASCIIObject *x = (PyASCIIObject *)a, *y = (PyASCIIObject *)b;
  if (x->length != y->length || x->state.kind != y->state.kind ||
      x->state.compact != 1 || x->state.ascii != y->state.ascii ||
      x->state.ready != 1 || x->state.interned != 0 || x->hash != -1 ||
      memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b),
             (size_t)(x->length + 1) * x->state.kind) != 0)
    return fail(C, "a str differs");
  if (x->state.ascii)
    return x->wstr == NULL ? 1 : fail(C, "an ASCII str has wstr");
  PyCompactUnicodeObject *c = (PyCompactUnicodeObject *)a;
  int shares = x->state.kind == sizeof(wchar_t);
  if (c->utf8 || c->utf8_length ||
      x->wstr != (shares ? (wchar_t *)PyUnicode_DATA(a) : NULL) ||
      c->wstr_length != (shares ? x->length : 0))
    return fail(C, "a str's utf8 or wstr is wrong");
  return 1;
}

static int same(Check *C, PyObject *const *slot, PyObject *b) {
  PyObject *a = *slot;
  if (C->why)
    return 0;
  if (a == b || isStatic(a) || isStatic(b))
    return a == b ? 1 : fail(C, "a template object differs");
  int inStrings = C->strings && (const uint8_t *)a >= C->strings &&
                  (const uint8_t *)a < C->strings + C->stringsSize;
  if (!inStrings &&
      ((const uint8_t *)a < C->base || (const uint8_t *)a >= C->base + C->size))
    return fail(C, "a pointer leaves the entry");
  size_t at = (const uint8_t *)slot - C->base;
  int interned = PyUnicode_CheckExact(b) && PyUnicode_CHECK_INTERNED(b);
  int shared = listed(C->shared, C->sharedCount, at);
  if (shared != inStrings)
    return fail(C, "the shared list differs from the slots holding shared "
                   "strings");
  if ((listed(C->interns, C->internCount, at) || shared) != interned)
    return fail(C, "the intern list differs from what marshal interns");
  C->internsSeen += (uint32_t)interned;
  int frozen = PyFrozenSet_CheckExact(b);
  if (listed(C->frozensets, C->frozensetCount, at) != frozen)
    return fail(C, "the frozenset list is wrong");
  C->frozensetsSeen += (uint32_t)frozen;
  if (a->ob_refcnt != BIG_REFCNT)
    return fail(C, "a reference count is wrong");
  int seen = paired(C, a, b);
  if (seen != 0)
    return seen > 0 ? 1 : fail(C, "objects are shared differently");
  if (frozen) {
    PyObject *items = PySequence_Tuple(b);
    int r = items && Py_TYPE(a) == &PyTuple_Type &&
                    Py_SIZE(a) == PyTuple_GET_SIZE(items)
                ? sameItems(C, &PyTuple_GET_ITEM(a, 0),
                            &PyTuple_GET_ITEM(items, 0), Py_SIZE(a))
                : fail(C, "a frozenset differs");
    Py_XDECREF(items);
    return r;
  }
  if (Py_TYPE(a) != Py_TYPE(b))
    return fail(C, "an object's type differs");
  if (PyCode_Check(b))
    return sameCode(C, (PyCodeObject *)a, (PyCodeObject *)b);
  if (PyTuple_CheckExact(b))
    return Py_SIZE(a) == Py_SIZE(b)
               ? sameItems(C, &PyTuple_GET_ITEM(a, 0), &PyTuple_GET_ITEM(b, 0),
                           Py_SIZE(a))
               : fail(C, "a tuple's size differs");
  if (PyUnicode_CheckExact(b))
    return sameStr(C, a, b);
  if (PyBytes_CheckExact(b))
    return Py_SIZE(a) == Py_SIZE(b) && ((PyBytesObject *)a)->ob_shash == -1 &&
                   memcmp(PyBytes_AS_STRING(a), PyBytes_AS_STRING(b),
                          (size_t)Py_SIZE(b) + 1) == 0
               ? 1
               : fail(C, "a bytes object differs");
  /* int, float, complex: the value's bytes after the header. */
  size_t head = PyLong_CheckExact(b) ? offsetof(PyLongObject, ob_digit)
                                     : sizeof(PyObject);
  return Py_SIZE(a) == Py_SIZE(b) &&
                 memcmp((const uint8_t *)a + head, (const uint8_t *)b + head,
                        sizeOf(b) - head) == 0
             ? 1
             : fail(C, "a number differs");
}

/* NULL when BLOB, copied and relocated (against POOL's strings entry),
 * holds what FRESH holds. */
static const char *checkLayout(const uint8_t *blob, size_t size,
                               PyObject *fresh, const Pool *pool) {
  uint8_t key[PYOX_MAPPED_KEY_SIZE];
  pyox_mapped_abi_key(key);
  const pyox_mapped_strings_header *sh =
      (const pyox_mapped_strings_header *)pool->out;
  uint64_t stringsEnd = sh ? sizeof *sh + (uint64_t)sh->objects_size : 0;
  const char *bad = pyox_mapped_check(blob, size, key, stringsEnd);
  if (bad)
    return bad;
  uint8_t *copy = NULL;
  if (posix_memalign((void **)&copy, 16, size) != 0)
    return "out of memory";
  memcpy(copy, blob, size);
  relocate(copy, pool->out);
  const pyox_mapped_header *h = (const pyox_mapped_header *)copy;
  Check C;
  memset(&C, 0, sizeof C);
  C.base = copy;
  C.size = size;
  C.pairs = PyDict_New();
  C.back = PyDict_New();
  C.interns = lists(copy) + h->reloc_count;
  C.internCount = h->intern_count;
  C.codes = C.interns + h->intern_count;
  C.codeCount = h->code_count;
  C.frozensets = C.codes + h->code_count;
  C.frozensetCount = h->frozenset_count;
  C.shared = pyox_mapped_shared_slots(copy, &C.sharedCount);
  C.strings = pool->out;
  C.stringsSize = (size_t)stringsEnd;
  PyObject *root = (PyObject *)(copy + h->root);
  if (!C.pairs || !C.back)
    C.why = "out of memory";
  else if (same(&C, &root, fresh) && C.codesSeen != C.codeCount)
    C.why = "the code list holds more than the code objects";
  /* Every slot is reached once: fewer means a listed slot is unreachable. */
  else if (!C.why && (C.internsSeen != C.internCount + C.sharedCount ||
                      C.frozensetsSeen != C.frozensetCount))
    C.why = "a listed slot is not reachable";
  if (PyErr_Occurred()) {
    PyErr_Clear();
    C.why = C.why ? C.why : "a Python error";
  }
  Py_XDECREF(C.pairs);
  Py_XDECREF(C.back);
  free(copy);
  return C.why;
}

/* --- `TEMPLATE --pyox-lay-out-code IN OUT` ------------------------------- */
/* IN holds one record per module: u32 name size, the name, u32 data size,
 * the marshal data of its code object. OUT gets one record per input
 * record, in order: u32 size, then the mapped entry (size 0: this module
 * holds an object mapped code does not lay out; it stays marshal only);
 * then one more, the strings entry (size 0: no module has shared strings).
 * The u32s are little-endian, as the host. Exit status 0, 3 when this
 * template cannot have mapped code (the reason on stderr), 1 on error. */

static int readAll(const char *path, uint8_t **data, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  size_t cap = 1 << 20, n = 0;
  uint8_t *buf = (uint8_t *)malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      uint8_t *bigger = (uint8_t *)realloc(buf, cap *= 2);
      if (!bigger)
        free(buf);
      buf = bigger;
    }
  }
  int bad = ferror(f) || !buf;
  fclose(f);
  if (bad) {
    free(buf);
    return -1;
  }
  *data = buf;
  *size = n;
  return 0;
}

typedef struct {
  const char *name, *data;
  uint32_t nameSize, dataSize;
} Record;

/* Splits IN into its records; the count, or -1 (after a message). */
static Py_ssize_t readRecords(const uint8_t *in, size_t size,
                              Record **records) {
  size_t pos = 0, n = 0, cap = 0;
  *records = NULL;
  while (pos < size) {
    Record r;
    if (size - pos < 4)
      return fprintf(stderr, "pyox: lay out code: truncated input\n"), -1;
    memcpy(&r.nameSize, in + pos, 4);
    if (size - pos - 4 < (uint64_t)r.nameSize + 4)
      return fprintf(stderr, "pyox: lay out code: truncated input\n"), -1;
    r.name = (const char *)in + pos + 4;
    memcpy(&r.dataSize, in + pos + 4 + r.nameSize, 4);
    pos += 8 + (size_t)r.nameSize;
    if (size - pos < r.dataSize)
      return fprintf(stderr, "pyox: lay out code: truncated input\n"), -1;
    r.data = (const char *)in + pos;
    pos += r.dataSize;
    if (n == cap) {
      cap = cap ? cap * 2 : 256;
      Record *bigger = (Record *)realloc(*records, cap * sizeof r);
      if (!bigger)
        return fprintf(stderr, "pyox: lay out code: out of memory\n"), -1;
      *records = bigger;
    }
    (*records)[n++] = r;
  }
  return (Py_ssize_t)n;
}

static PyObject *unmarshal(const Record *r) {
  PyObject *code = PyMarshal_ReadObjectFromString(r->data, r->dataSize);
  if (!code || !PyCode_Check(code)) {
    fprintf(stderr, "pyox: %.*s: not a marshalled code object\n",
            (int)r->nameSize, r->name);
    PyErr_Print();
    Py_XDECREF(code);
    return NULL;
  }
  return code;
}

/* The modules every program imports at start-up from the payload (the
 * interpreter's codec set-up; site, os and the rest are deep-frozen). */
static int startupModule(const Record *r) {
  static const char *const names[] = {"encodings", "encodings.aliases",
                                      "encodings.utf_8"};
  for (size_t i = 0; i < sizeof names / sizeof *names; ++i)
    if (strlen(names[i]) == r->nameSize &&
        memcmp(names[i], r->name, r->nameSize) == 0)
      return 1;
  return 0;
}

/* Fills POOL with the interned ASCII strings of every module that can be
 * laid out: those of the start-up modules first, then sorted by the
 * number of modules using each (then by first use), so that a program's
 * first imports copy a few chunks (a hello 32 KiB of them instead of 124)
 * and the common names share the next ones. */
static int makePool(Pool *pool, const Record *records, Py_ssize_t n) {
  PyObject *uses = PyDict_New(); /* id(str) -> [count, first, str] */
  PyObject *order = PyList_New(0);
  int r = -1;
  if (!uses || !order)
    goto done;
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject *code = unmarshal(&records[i]);
    if (!code)
      goto done;
    /* A start-up module's use outweighs all others. */
    Py_ssize_t weight = startupModule(&records[i]) ? (Py_ssize_t)1 << 24 : 1;
    Layout L;
    memset(&L, 0, sizeof L);
    L.index = PyDict_New();
    int v = L.index ? visit(&L, code) : -1;
    if (v < 0 && !L.error) {
      freeLayout(&L);
      Py_DECREF(code);
      goto done;
    }
    PyErr_Clear();
    for (size_t j = 0; v == 0 && j < L.count; ++j) {
      PyObject *o = L.objs[j];
      if (!poolable(o))
        continue;
      PyObject *key = PyLong_FromVoidPtr(o);
      PyObject *use = key ? PyDict_GetItemWithError(uses, key) : NULL;
      if (use) {
        PyObject *count = PyLong_FromSsize_t(
            PyLong_AsSsize_t(PyList_GET_ITEM(use, 0)) + weight);
        if (!count || PyList_SetItem(use, 0, count) < 0)
          v = -1;
      } else if (!key || PyErr_Occurred() ||
                 !(use = Py_BuildValue("[nnO]", weight, PyList_GET_SIZE(order),
                                       o)) ||
                 PyDict_SetItem(uses, key, use) < 0 ||
                 PyList_Append(order, use) < 0) {
        v = -1;
        Py_XDECREF(use);
      } else {
        Py_DECREF(use);
      }
      Py_XDECREF(key);
    }
    freeLayout(&L);
    Py_DECREF(code);
    if (v < 0 && PyErr_Occurred())
      goto done;
  }
  /* Most used first; then in the order first met (deterministic). */
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(order); ++i) {
    PyObject *use = PyList_GET_ITEM(order, i);
    PyObject *neg =
        PyLong_FromSsize_t(-PyLong_AsSsize_t(PyList_GET_ITEM(use, 0)));
    if (!neg || PyList_SetItem(use, 0, neg) < 0)
      goto done;
  }
  if (PyList_Sort(order) < 0)
    goto done;
  const size_t chunk = (size_t)1 << POOL_CHUNK_SHIFT;
  size_t at = sizeof(pyox_mapped_strings_header);
  pool->offsets = PyDict_New();
  pool->keep = PyList_New(0);
  if (!pool->offsets || !pool->keep)
    goto done;
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(order); ++i) {
    PyObject *o = PyList_GET_ITEM(PyList_GET_ITEM(order, i), 2);
    size_t size = sizeOf(o);
    if (at / chunk != (at + size - 1) / chunk) /* never across chunks */
      at = (at + chunk - 1) & ~(chunk - 1);
    PyObject *key = PyLong_FromVoidPtr(o);
    PyObject *off = PyLong_FromSize_t(at);
    int bad = !key || !off || PyDict_SetItem(pool->offsets, key, off) < 0 ||
              PyList_Append(pool->keep, o) < 0;
    Py_XDECREF(key);
    Py_XDECREF(off);
    if (bad)
      goto done;
    at = (at + size + 7) & ~(size_t)7;
    if (at > UINT32_MAX / 2) {
      fprintf(stderr, "pyox: lay out code: too many strings\n");
      goto done;
    }
  }
  if (PyList_GET_SIZE(order) == 0) {
    r = 0; /* no strings entry */
    goto done;
  }
  size_t end = (at + 15) & ~(size_t)15;
  uint32_t chunks = (uint32_t)((end + chunk - 1) >> POOL_CHUNK_SHIFT);
  pool->size = end + 4 * (size_t)chunks;
  pool->out = (uint8_t *)calloc(1, pool->size);
  if (!pool->out)
    goto done;
  Layout W; /* writes str objects only: no lists */
  memset(&W, 0, sizeof W);
  W.out = pool->out;
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(pool->keep); ++i) {
    PyObject *o = PyList_GET_ITEM(pool->keep, i);
    Py_ssize_t off = byIdentity(pool->offsets, o);
    if (off < 0 || writeObject(&W, o, (size_t)off) < 0)
      goto done;
  }
  pyox_mapped_strings_header *h = (pyox_mapped_strings_header *)pool->out;
  memcpy(h->magic, PYOX_MAPPED_STRINGS_MAGIC, 8);
  pyox_mapped_abi_key(h->abi_key);
  h->objects_size = (uint32_t)(end - sizeof *h);
  h->chunk_shift = POOL_CHUNK_SHIFT;
  h->chunk_count = chunks;
  for (uint32_t i = 0; i < chunks; ++i) {
    size_t lo = (size_t)i << POOL_CHUNK_SHIFT;
    size_t hi = lo + chunk < end ? lo + chunk : end;
    uint32_t crc = pyox_crc32c(0, pool->out + lo, hi - lo);
    memcpy(pool->out + end + 4 * (size_t)i, &crc, 4);
  }
  r = 0;
done:
  if (r < 0 && PyErr_Occurred())
    PyErr_Print();
  Py_XDECREF(uses);
  Py_XDECREF(order);
  return r;
}

static int layOutAll(const uint8_t *in, size_t size, FILE *out) {
  Record *records;
  Py_ssize_t n = readRecords(in, size, &records);
  if (n < 0) {
    free(records);
    return 1;
  }
  Pool pool;
  memset(&pool, 0, sizeof pool);
  int status = 1;
  if (makePool(&pool, records, n) < 0)
    goto done;
  for (Py_ssize_t i = 0; i < n; ++i) {
    const Record *rec = &records[i];
    PyObject *code = unmarshal(rec);
    PyObject *fresh = code ? unmarshal(rec) : NULL;
    if (!fresh) {
      Py_XDECREF(code);
      goto done;
    }
    Layout L;
    memset(&L, 0, sizeof L);
    L.index = PyDict_New();
    L.pool = &pool;
    uint32_t written = 0;
    int r = L.index ? layOut(&L, code) : -1;
    if (r < 0 && !L.error) {
      PyErr_Print();
      goto done;
    }
    PyErr_Clear();
    if (r == 0) {
      const char *why = checkLayout(L.out, L.size, fresh, &pool);
      if (why) {
        fprintf(stderr,
                "pyox: %.*s: mapped code self-check failed: %s (a pyox bug; "
                "build without --mapped-code meanwhile)\n",
                (int)rec->nameSize, rec->name, why);
        goto done;
      }
      written = (uint32_t)L.size;
    }
    if (fwrite(&written, 4, 1, out) != 1 ||
        fwrite(L.out, 1, written, out) != written) {
      fprintf(stderr, "pyox: lay out code: cannot write\n");
      goto done;
    }
    freeLayout(&L);
    Py_DECREF(code);
    Py_DECREF(fresh);
  }
  /* Last, the strings entry (size 0: none). */
  uint32_t poolSize = (uint32_t)pool.size;
  if (fwrite(&poolSize, 4, 1, out) != 1 ||
      fwrite(pool.out, 1, poolSize, out) != poolSize) {
    fprintf(stderr, "pyox: lay out code: cannot write\n");
    goto done;
  }
  status = 0;
done:
  Py_XDECREF(pool.offsets);
  Py_XDECREF(pool.keep);
  free(pool.out);
  free(records);
  return status;
}

int pyox_lay_out_code_main(const char *inPath, const char *outPath) {
  uint8_t key[PYOX_MAPPED_KEY_SIZE];
  if (pyox_mapped_abi_key(key) != 0) {
    /* Not an error: such a template's programs unmarshal (exit status 3
     * tells pyox-inject so). */
    fprintf(stderr, "the template has no GNU build-id\n");
    return 3;
  }
  /* The core of an interpreter is all marshal needs (as the compiler's
   * workers: PEP 587, _init_main = 0). */
  PyConfig config;
  PyConfig_InitIsolatedConfig(&config);
  config._init_main = 0;
  config.install_signal_handlers = 0;
  config.pathconfig_warnings = 0;
  /* Frozensets are laid out in their iteration order: the same every
   * build. (Programs use their own hash secret.) */
  config.use_hash_seed = 1;
  config.hash_seed = 0;
  PyStatus status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status)) {
    fprintf(stderr, "pyox: lay out code: cannot start the interpreter\n");
    return 1;
  }
  /* Strings with lone surrogates are unmarshalled with the error handler
   * "surrogatepass", and the first handler lookup initialises the codec
   * registry, which imports `encodings`: a core-only interpreter has no
   * path to find it on. The built-in handlers are all marshal uses, so an
   * empty module stands in (the registry needs only the import to work). */
  if (!PyImport_AddModule("encodings")) {
    PyErr_Print();
    return 1;
  }
  uint8_t *in;
  size_t size;
  if (readAll(inPath, &in, &size) != 0) {
    fprintf(stderr, "pyox: lay out code: cannot read %s\n", inPath);
    return 1;
  }
  FILE *out = fopen(outPath, "wb");
  if (!out) {
    fprintf(stderr, "pyox: lay out code: cannot write %s\n", outPath);
    return 1;
  }
  int r = layOutAll(in, size, out);
  if (fclose(out) != 0 && r == 0) {
    fprintf(stderr, "pyox: lay out code: cannot write %s\n", outPath);
    r = 1;
  }
  free(in);
  return r;
}
