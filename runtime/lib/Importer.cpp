//===- Importer.cpp - Import modules straight from the payload ------------===//
//
// The payload already holds everything the import system needs, indexed:
// a hash table from dotted module name to entry, and a sorted table for
// prefix scans. So the importer is thin. It is one C++ object that plays
// every part the import system asks for:
//
//   meta path finder (PEP 451)   find_spec: one hash lookup, then a
//                                ModuleSpec; find_distributions for
//                                importlib.metadata;
//   loader (PEP 451/302)         create_module/exec_module, get_code,
//                                get_source, is_package, get_filename,
//                                get_data, get_resource_reader;
//   path hook (PEP 302)          for paths under the root, returning a
//                                PathEntryFinder with iter_modules, so that
//                                pkgutil sees the payload as a directory.
//
// File names are virtual, in the style of zipimport: a module packed from
// `json/decoder.py` gets `__file__` and `co_filename` ROOT/json/decoder.py,
// where ROOT is the executable's path, and `sys.path` holds ROOT itself.
// Nothing under ROOT exists on disk; get_data and the resource reader
// answer for it from the payload.
//
// Bytecode is unmarshalled in place: PyMarshal_ReadObjectFromString reads
// the mapped section bytes directly, after the entry's CRC32C has been
// checked. A damaged entry is fatal (one `pyox:` line, exit status 1): an
// ImportError would let `try: import x except ImportError:` silently run a
// fallback, and there is no correct fallback for a damaged binary.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"
#include "Extension.h"
#include "MappedCode.h"

#include "pyox/vfs.h"

#include <marshal.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

// Linked when the program links the virtual filesystem (pyox/vfs.h).
extern "C" __attribute__((weak)) int pyox_vfs_mounted(void);
// CPython's (internal/pycore_pylifecycle.h): set when the main code died of
// KeyboardInterrupt, for Py_RunMain to exit by SIGINT.
extern "C" int _Py_UnhandledKeyboardInterrupt;

namespace pyox {
namespace {

// True when the paths under the root are a real (virtual) tree: then
// extension modules are dlopened by their virtual path, and resources are
// pathlib paths.
bool treeMounted() { return pyox_vfs_mounted && pyox_vfs_mounted(); }

struct FinderObject {
  PyObject_HEAD pyox_payload Payload;
  std::string *Root;       // UTF-8/filesystem bytes of the root path
  PyObject *RootStr;       // the same as str
  PyObject *ModuleSpec;    // importlib.machinery.ModuleSpec
  PyObject *FixCoFilename; // _imp._fix_co_filename
  PyObject *SpecKwnames;   // ("origin", "is_package")
  PyObject *Frozen;        // frozenset: names the interpreter has frozen
  ExtensionCache *Extensions;
  bool DropPages; // payload is a read-only file mapping (see releasePages)
  bool Advised;   // adviseReadAround has run
  uint64_t FaultedBytes; // payload blocks mapped since the last drop
  uint64_t MappedBegin;  // pyox_payload_mapped_begin: where mapped code is
  uint64_t LoadCount;    // code objects loadCode has made
  uint64_t LoadNs;       // and the time it took (code_load_stats)
  // Mapped code (MappedCode.h): its pages are private and writable, and
  // Prepared[i] says whether entry i has been made usable.
  bool Mapped;
  uint8_t *Prepared; // by entry index: 0, PreparedBusy or PreparedDone
  // The shared strings (PYOX_MAPPED_STRINGS_NAME), if any: the entry, the
  // end of its objects, and which of its chunks have been checked.
  uint8_t *Strings;
  uint64_t StringsEnd;
  uint8_t *StringsChecked; // by chunk: 1 once its CRC32C matched
  int PagemapFd;           // /proc/self/pagemap for releaseCleanPages, or -1
  unsigned PagemapForks;   // Forks when it was opened
  uint64_t MappedCount;    // of LoadCount, code objects used in place
};

enum : uint8_t { PreparedBusy = 1, PreparedDone = 2 };

struct PathEntryObject {
  PyObject_HEAD FinderObject *Finder;
  PyObject *Package; // dotted package name, "" for the root
};

PyTypeObject *FinderType;
PyObject *BuiltinsKey; // "__builtins__", interned
PyTypeObject *PathEntryType;
FinderObject *TheFinder; // the one finder of the main interpreter

std::string_view entryName(const pyox_payload &P, const pyox_entry *E) {
  return {pyox_entry_name(&P, E), E->name_size};
}
std::string_view entryPath(const pyox_payload &P, const pyox_entry *E) {
  return {pyox_entry_path(&P, E), E->path_size};
}

const pyox_entry *findModule(const FinderObject *F, std::string_view Name) {
  return pyox_payload_find(&F->Payload, PYOX_GROUP_MODULE, Name.data(),
                           Name.size());
}

bool isPackageKind(uint32_t Kind) {
  return Kind == PYOX_KIND_PACKAGE || Kind == PYOX_KIND_NAMESPACE;
}

// UTF-8 view of a str argument, or false with TypeError.
bool utf8(PyObject *O, std::string_view &Out) {
  if (!PyUnicode_Check(O)) {
    PyErr_Format(PyExc_TypeError, "expected str, got %.100s",
                 Py_TYPE(O)->tp_name);
    return false;
  }
  Py_ssize_t N;
  const char *S = PyUnicode_AsUTF8AndSize(O, &N);
  if (!S)
    return false;
  Out = {S, size_t(N)};
  return true;
}

PyObject *fsString(std::string_view S) {
  return PyUnicode_DecodeFSDefaultAndSize(S.data(), Py_ssize_t(S.size()));
}

// ROOT/REL as str.
PyObject *virtualPath(const FinderObject *F, std::string_view Rel) {
  std::string S = *F->Root;
  if (!Rel.empty()) {
    S += '/';
    S += Rel;
  }
  return fsString(S);
}

// The directory of a package relative to the root: "json" for json, from
// its __init__ path when there is one, else from the dotted name.
std::string packageDir(const FinderObject *F, const pyox_entry *E) {
  std::string_view Path = entryPath(F->Payload, E);
  if (E->kind == PYOX_KIND_PACKAGE) {
    size_t Slash = Path.rfind('/');
    if (Slash != std::string_view::npos)
      return std::string(Path.substr(0, Slash));
  }
  std::string Dir(entryName(F->Payload, E));
  for (char &C : Dir)
    if (C == '.')
      C = '/';
  return Dir;
}

[[noreturn]] void fatalDamaged(const FinderObject *F, std::string_view What) {
  // Flush what the program has written so far, then stop: see the file
  // comment for why this is not an ImportError.
  PyObject *Type, *Value, *Tb;
  PyErr_Fetch(&Type, &Value, &Tb);
  for (const char *Stream : {"stdout", "stderr"}) {
    PyObject *S = PySys_GetObject(Stream);
    if (S && S != Py_None) {
      PyObject *R = PyObject_CallMethod(S, "flush", nullptr);
      Py_XDECREF(R);
      PyErr_Clear();
    }
  }
  fprintf(stderr,
          "pyox: %s: payload entry '%.*s' is damaged (checksum "
          "mismatch); rebuild the program\n",
          F->Root->c_str(), int(What.size()), What.data());
  fflush(stderr);
  _exit(1);
}

const uint8_t *verifiedData(const FinderObject *F, const pyox_entry *E) {
  if (pyox_entry_verify(&F->Payload, E) != 0)
    fatalDamaged(F, entryName(F->Payload, E));
  return pyox_entry_data(&F->Payload, E);
}

PyObject *importError(PyObject *Name, const char *Message) {
  PyObject *Msg = PyUnicode_FromFormat("%s %R", Message, Name);
  if (Msg) {
    PyErr_SetImportError(Msg, Name, nullptr);
    Py_DECREF(Msg);
  }
  return nullptr;
}

// The entry for module NAME, or NULL with ImportError set.
const pyox_entry *requireModule(FinderObject *F, PyObject *Name) {
  std::string_view N;
  if (!utf8(Name, N))
    return nullptr;
  const pyox_entry *E = findModule(F, N);
  if (!E)
    importError(Name, "pyox: no module named");
  return E;
}

// The entry SPEC loads: the one its loader_state names when a path entry
// found it under another name (PathEntry_find_spec), else its name's.
const pyox_entry *specEntry(FinderObject *F, PyObject *Spec) {
  PyObject *State = PyObject_GetAttrString(Spec, "loader_state");
  if (!State)
    return nullptr;
  PyObject *Name =
      PyUnicode_Check(State) ? State : PyObject_GetAttrString(Spec, "name");
  if (Name != State)
    Py_DECREF(State);
  if (!Name)
    return nullptr;
  const pyox_entry *E = requireModule(F, Name);
  Py_DECREF(Name);
  return E;
}

// ModuleSpec(name, finder, origin=..., is_package=...), with the file
// attributes set the way importlib's spec_from_file_location does.
PyObject *makeSpec(FinderObject *F, PyObject *Name, const pyox_entry *E) {
  bool Pkg = isPackageKind(E->kind);
  PyObject *Origin = Py_None;
  Py_INCREF(Origin);
  if (E->kind != PYOX_KIND_NAMESPACE) {
    Py_DECREF(Origin);
    Origin = virtualPath(F, entryPath(F->Payload, E));
    if (!Origin)
      return nullptr;
  }
  PyObject *Args[] = {nullptr, Name, (PyObject *)F, Origin,
                      Pkg ? Py_True : Py_False};
  PyObject *Spec =
      PyObject_Vectorcall(F->ModuleSpec, Args + 1,
                          2 | PY_VECTORCALL_ARGUMENTS_OFFSET, F->SpecKwnames);
  Py_DECREF(Origin);
  if (!Spec)
    return nullptr;
  if (E->kind != PYOX_KIND_NAMESPACE &&
      PyObject_SetAttrString(Spec, "has_location", Py_True) < 0)
    goto fail;
  if (Pkg) {
    PyObject *Dir = virtualPath(F, packageDir(F, E));
    if (!Dir)
      goto fail;
    PyObject *Locations = PyList_New(1);
    if (!Locations) {
      Py_DECREF(Dir);
      goto fail;
    }
    PyList_SET_ITEM(Locations, 0, Dir);
    int R =
        PyObject_SetAttrString(Spec, "submodule_search_locations", Locations);
    Py_DECREF(Locations);
    if (R < 0)
      goto fail;
  }
  return Spec;
fail:
  Py_DECREF(Spec);
  return nullptr;
}

// The payload's data area: from the first whole page after the index
// (lookups keep using the index) to the last whole page.
std::pair<uintptr_t, uintptr_t> dataPages(const FinderObject *F) {
  static const uintptr_t Page = uintptr_t(sysconf(_SC_PAGESIZE));
  uintptr_t Base = reinterpret_cast<uintptr_t>(F->Payload.base);
  const pyox_header &H = *F->Payload.header;
  // Mapped code, at the end, is written in place: never dropped.
  return {(Base + H.index_size + Page - 1) & ~(Page - 1),
          (Base + F->MappedBegin) & ~(Page - 1)};
}

// Without advice, a fault on the payload maps more than the 64 KiB of
// fault-around: measured on Linux 6.18, ~0.5 MiB of payload stayed mapped
// per 256 KiB release period. MADV_RANDOM keeps it to the fault-around
// block. It also turns off read-ahead, which a payload not yet in the page
// cache (the first run after a reboot) needs, so the advice is only given
// when the data area is in the page cache, judged from eight pages spread
// over it (one mincore call each: a call over the whole area costs ~60 ns
// a page, too much at start-up). Six of the eight will do: the kernel
// evicts a cached file piecemeal (64 KiB at a time, seen here), and a
// payload that is mostly cached loses little by reading the odd missing
// page on its own. Given when the data area is first released, not at
// start: a program whose code is mapped may never read it (nine system
// calls fewer for a hello).
void adviseReadAround(const FinderObject *F) {
  static const uintptr_t Page = uintptr_t(sysconf(_SC_PAGESIZE));
  constexpr unsigned Samples = 8;
  auto [Begin, End] = dataPages(F);
  if (End <= Begin)
    return;
  uintptr_t Pages = (End - Begin) / Page;
  unsigned Cached = 0;
  for (unsigned I = 0; I < Samples; ++I) {
    unsigned char Resident = 0;
    void *At = reinterpret_cast<void *>(Begin + Pages * I / Samples * Page);
    if (mincore(At, Page, &Resident) == 0 && (Resident & 1))
      ++Cached;
  }
  if (Cached >= Samples - 2)
    madvise(reinterpret_cast<void *>(Begin), End - Begin, MADV_RANDOM);
}

// Gives back the payload pages that unmarshalling and copying have pulled in
// (python3.11 frees its .pyc buffers likewise). Only for a payload the
// locator found in a non-writable segment of the program's own file: a
// private, never-written file mapping, where a dropped page is read back
// from the page cache if anything touches it again.
//
// An entry leaves more than its own pages mapped: a page fault also maps
// the cached pages of the aligned 64 KiB around it ("fault-around"; more,
// unless the area is MADV_RANDOM: see adviseReadAround), and modules are
// imported in dependency order, not payload order, so each entry brings
// blocks of its own. Releasing each entry's pages alone would not do: the
// next fault maps its neighbours again. So each entry is charged the
// blocks it spans, and once that reaches 256 KiB the whole data area is
// dropped in one call (a few microseconds: the cost is in the pages
// actually mapped).
void releasePages(FinderObject *F, const uint8_t *Data, uint64_t Size) {
  constexpr uintptr_t Block = 64 << 10;
  constexpr uint64_t Threshold = 256 << 10;
  if (!F->DropPages)
    return;
  if (!F->Advised) {
    F->Advised = true;
    adviseReadAround(F);
  }
  uintptr_t First = reinterpret_cast<uintptr_t>(Data) & ~(Block - 1);
  uintptr_t Last = (reinterpret_cast<uintptr_t>(Data) + Size) | (Block - 1);
  if ((F->FaultedBytes += Last - First + 1) < Threshold)
    return;
  F->FaultedBytes = 0;
  auto [Begin, End] = dataPages(F);
  if (End > Begin)
    madvise(reinterpret_cast<void *>(Begin), End - Begin, MADV_DONTNEED);
}

// ENTRY's data as a new bytes object (checksum checked; the payload pages
// released after the copy).
PyObject *entryBytes(FinderObject *F, const pyox_entry *E) {
  if (E->flags & PYOX_ENTRY_ZSTD) { // a source, read only for its text
    PyObject *Bytes =
        PyBytes_FromStringAndSize(nullptr, Py_ssize_t(E->raw_size));
    if (Bytes &&
        pyox_entry_decompress(&F->Payload, E, PyBytes_AS_STRING(Bytes)) != 0)
      fatalDamaged(F, entryName(F->Payload, E));
    return Bytes;
  }
  const uint8_t *Data = verifiedData(F, E);
  PyObject *Bytes = PyBytes_FromStringAndSize(
      reinterpret_cast<const char *>(Data), Py_ssize_t(E->data_size));
  releasePages(F, Data, E->data_size);
  return Bytes;
}

// Adds the time from its construction to its destruction to F's code
// loading figures.
class LoadClock {
public:
  explicit LoadClock(FinderObject *F) : F(F) {
    clock_gettime(CLOCK_MONOTONIC, &Start);
  }
  ~LoadClock() {
    timespec End;
    clock_gettime(CLOCK_MONOTONIC, &End);
    F->LoadNs += uint64_t((End.tv_sec - Start.tv_sec) * 1000000000LL +
                          (End.tv_nsec - Start.tv_nsec));
    ++F->LoadCount;
  }

private:
  FinderObject *F;
  timespec Start;
};

// Forks since start-up, counted in each child (pthread_atfork).
std::atomic<unsigned> Forks{0};

// Checking an entry's checksum maps all its pages; preparing it and
// running its module write (copy) only some: its code objects, tuples,
// names and docstrings, which come first (MappedCode.c, hot_end), and the
// constants the module's code uses. So, once its module has run (or its
// code was only asked for), the pages around it that are still the file's
// (never written: /proc/self/pagemap says they are file pages, not
// anonymous copies) are given back: a page the program reads later is
// mapped again from the page cache, and one it never touches (most line
// tables, strings only unexecuted code uses) costs no memory. A written
// page is never dropped: it holds reference counts, interned strings and
// quickened code. "Around" is the 64 KiB blocks the entry spans, what
// fault-around may have mapped while it was read.
void releaseCleanPages(FinderObject *F, const pyox_entry *M) {
  static const uintptr_t Page = uintptr_t(sysconf(_SC_PAGESIZE));
  constexpr uintptr_t Block = 64 << 10;
  constexpr uint64_t FilePage = 1ull << 61, Present = 1ull << 63;
  if (F->PagemapFd < 0)
    return;
  // The file is the pagemap of the process that opened it: a forked child
  // (multiprocessing's fork and forkserver) must not act on its parent's.
  unsigned Now = Forks.load(std::memory_order_relaxed);
  if (F->PagemapForks != Now) {
    close(F->PagemapFd);
    F->PagemapFd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    F->PagemapForks = Now;
    if (F->PagemapFd < 0)
      return;
  }
  const pyox_payload &P = F->Payload;
  uintptr_t Base = reinterpret_cast<uintptr_t>(P.base);
  uintptr_t AreaLo = (Base + F->MappedBegin) & ~(Page - 1);
  uintptr_t AreaHi = (Base + P.header->total_size + Page - 1) & ~(Page - 1);
  uintptr_t Lo = (Base + M->data_offset) & ~(Block - 1);
  uintptr_t Hi =
      (Base + M->data_offset + M->data_size + Block - 1) & ~(Block - 1);
  Lo = Lo < AreaLo ? AreaLo : Lo;
  Hi = Hi > AreaHi ? AreaHi : Hi;
  uint64_t Flags[512];
  while (Lo < Hi) {
    size_t N = std::min<size_t>((Hi - Lo) / Page, 512);
    ssize_t Got = pread(F->PagemapFd, Flags, N * 8, off_t(Lo / Page * 8));
    if (Got != ssize_t(N * 8))
      return;
    for (size_t I = 0; I < N;) {
      size_t J = I;
      while (J < N && (Flags[J] & (FilePage | Present)) == (FilePage | Present))
        ++J;
      if (J > I)
        madvise(reinterpret_cast<void *>(Lo + I * Page), (J - I) * Page,
                MADV_DONTNEED);
      I = J + 1;
    }
    Lo += N * Page;
  }
}

[[noreturn]] void fatalMapped(const FinderObject *F, const char *Why) {
  fprintf(stderr,
          "pyox: %s: %s; rebuild the program with `pyox-inject build` "
          "(or build it without --mapped-code)\n",
          F->Root->c_str(), Why);
  fflush(stderr);
  _exit(1);
}

#ifdef MADV_POPULATE_WRITE
constexpr int PopulateWrite = MADV_POPULATE_WRITE;
#else
constexpr int PopulateWrite = 23; // Linux 5.14, uapi/asm-generic/mman-common.h
#endif

// Makes the pages of [DATA, DATA + SIZE) the process's own copies.
void populateWrite(uint8_t *Data, uint64_t Size) {
  static const uintptr_t Page = uintptr_t(sysconf(_SC_PAGESIZE));
  uintptr_t Lo = reinterpret_cast<uintptr_t>(Data) & ~(Page - 1);
  uintptr_t Hi =
      (reinterpret_cast<uintptr_t>(Data) + Size + Page - 1) & ~(Page - 1);
  if (Hi > Lo)
    madvise(reinterpret_cast<void *>(Lo), Hi - Lo, PopulateWrite);
}

// The code object of mapped entry M, made usable the first time: its
// checksum and structure checked, then relocated, interned and given its
// file name. Later imports of the module get the same code object, as
// they do for CPython's deep-frozen modules. *PREPARED is set to M when
// this call prepared it: the caller then gives back its clean pages
// (releaseCleanPages), once the module has run if it runs it.
PyObject *mappedCode(FinderObject *F, const pyox_entry *M,
                     const pyox_entry **Prepared) {
  uint32_t Index = uint32_t(M - F->Payload.entries);
  uint8_t *Data = const_cast<uint8_t *>(pyox_entry_data(&F->Payload, M));
  const auto *H = reinterpret_cast<const pyox_mapped_header *>(Data);
  if (F->Prepared[Index] == PreparedDone)
    return Py_NewRef(reinterpret_cast<PyObject *>(Data + H->root));
  // Preparing may run Python code (a collection's finalizers, when making
  // frozensets allocates), which could ask for this module again: it must
  // not be relocated twice.
  if (F->Prepared[Index] == PreparedBusy) {
    PyErr_Format(PyExc_ImportError,
                 "pyox: the code of '%s' is being made ready (recursion)",
                 std::string(entryName(F->Payload, M)).c_str());
    return nullptr;
  }
  // Preparing writes (copies) the pages of the entry's code objects,
  // tuples and names, and running the module the docstrings' (making a
  // function reads its docstring, then takes a reference): one call makes
  // them the process's own, up to hot_end, instead of a fault each (Linux
  // 5.14; before, EINVAL, and the faults as before), and before anything
  // reads them, the checksum included, as a read would map the file's
  // pages around them too (fault-around), which would stay. The header is
  // not checked yet: its hot_end only bounds what is copied.
  if (M->data_size >= sizeof *H)
    populateWrite(Data, std::min<uint64_t>(H->hot_end, M->data_size));
  verifiedData(F, M);
  uint8_t Key[PYOX_MAPPED_KEY_SIZE];
  pyox_mapped_abi_key(Key);
  if (const char *Why =
          pyox_mapped_check(Data, M->data_size, Key, F->StringsEnd))
    fatalMapped(F, Why);
  // The shared strings it uses: their chunks checked, each once (a whole
  // check at start-up would read all of them, ~1.5 MiB for the stdlib),
  // and made the process's own first, as above (interning writes each).
  uint32_t SharedCount;
  const uint32_t *Shared = pyox_mapped_shared_slots(Data, &SharedCount);
  if (SharedCount) {
    const auto *SH =
        reinterpret_cast<const pyox_mapped_strings_header *>(F->Strings);
    std::vector<uint32_t> Chunks;
    for (uint32_t I = 0; I < SharedCount; ++I) {
      uint64_t Target;
      memcpy(&Target, Data + Shared[I], 8);
      uint32_t Chunk = uint32_t(Target >> SH->chunk_shift);
      if (!F->StringsChecked[Chunk])
        Chunks.push_back(Chunk);
    }
    std::sort(Chunks.begin(), Chunks.end());
    Chunks.erase(std::unique(Chunks.begin(), Chunks.end()), Chunks.end());
    for (size_t I = 0, J; I < Chunks.size(); I = J) {
      for (J = I + 1; J < Chunks.size() && Chunks[J] == Chunks[J - 1] + 1;)
        ++J;
      populateWrite(F->Strings + (uint64_t(Chunks[I]) << SH->chunk_shift),
                    uint64_t(J - I) << SH->chunk_shift);
    }
    for (uint32_t Chunk : Chunks) {
      if (!pyox_mapped_strings_chunk_ok(F->Strings, Chunk))
        fatalDamaged(F, PYOX_MAPPED_STRINGS_NAME);
      F->StringsChecked[Chunk] = 1;
    }
  }
  PyObject *Path = virtualPath(F, entryPath(F->Payload, M));
  if (!Path)
    return nullptr;
  F->Prepared[Index] = PreparedBusy; // for good if it fails half-way
  PyObject *Code = pyox_mapped_prepare(Data, F->Strings, Path);
  Py_DECREF(Path);
  if (!Code)
    return nullptr;
  F->Prepared[Index] = PreparedDone;
  *Prepared = M;
  return Code;
}

// The module's code object with co_filename set to its virtual path. When
// it is mapped code prepared by this call, *PREPARED is its entry, whose
// clean pages the caller gives back (releaseCleanPages); else null.
PyObject *loadCode(FinderObject *F, const pyox_entry *E,
                   const pyox_entry **Prepared) {
  LoadClock Clock(F); // two vDSO clock reads: ~40 ns a module
  *Prepared = nullptr;
  if (F->Mapped) {
    std::string_view Name = entryName(F->Payload, E);
    if (const pyox_entry *M = pyox_payload_find(&F->Payload, PYOX_GROUP_MAPPED,
                                                Name.data(), Name.size())) {
      ++F->MappedCount;
      return mappedCode(F, M, Prepared);
    }
  }
  PyObject *Code;
  if (E->flags & PYOX_ENTRY_ZSTD) {
    // Code the build found imported only later (in a function), if at all:
    // stored compressed (docs/format.md), decompressed here once.
    std::unique_ptr<char, decltype(&free)> Raw(
        static_cast<char *>(malloc(E->raw_size ? E->raw_size : 1)), free);
    if (!Raw)
      return PyErr_NoMemory();
    if (pyox_entry_decompress(&F->Payload, E, Raw.get()) != 0)
      fatalDamaged(F, entryName(F->Payload, E));
    releasePages(F, pyox_entry_data(&F->Payload, E), E->data_size);
    Code = PyMarshal_ReadObjectFromString(Raw.get(), Py_ssize_t(E->raw_size));
  } else {
    const uint8_t *Data = verifiedData(F, E);
    Code = PyMarshal_ReadObjectFromString(reinterpret_cast<const char *>(Data),
                                          Py_ssize_t(E->data_size));
    releasePages(F, Data, E->data_size);
  }
  if (!Code)
    return nullptr;
  if (!PyCode_Check(Code)) {
    Py_DECREF(Code);
    PyErr_Format(PyExc_ImportError,
                 "pyox: payload entry '%s' does not hold a code object",
                 std::string(entryName(F->Payload, E)).c_str());
    return nullptr;
  }
  PyObject *Path = virtualPath(F, entryPath(F->Payload, E));
  if (!Path) {
    Py_DECREF(Code);
    return nullptr;
  }
  PyObject *R =
      PyObject_CallFunctionObjArgs(F->FixCoFilename, Code, Path, nullptr);
  Py_DECREF(Path);
  if (!R) {
    Py_DECREF(Code);
    return nullptr;
  }
  Py_DECREF(R);
  return Code;
}

// A file under the root, by root-relative path: a resource, a metadata
// file, or the source of a module. NULL when there is none.
const pyox_entry *findFile(const FinderObject *F, std::string_view Rel) {
  const pyox_payload *P = &F->Payload;
  if (const pyox_entry *E =
          pyox_payload_find(P, PYOX_GROUP_RESOURCE, Rel.data(), Rel.size()))
    return E;
  if (const pyox_entry *E =
          pyox_payload_find(P, PYOX_GROUP_METADATA, Rel.data(), Rel.size()))
    return E;
  if (Rel.size() > 3 && Rel.substr(Rel.size() - 3) == ".py") {
    std::string Dotted(Rel.substr(0, Rel.size() - 3));
    if (Dotted == "__init__")
      return nullptr;
    if (Dotted.size() > 9 &&
        Dotted.compare(Dotted.size() - 9, 9, "/__init__") == 0)
      Dotted.resize(Dotted.size() - 9);
    for (char &C : Dotted)
      if (C == '/')
        C = '.';
    const pyox_entry *E =
        pyox_payload_find(P, PYOX_GROUP_SOURCE, Dotted.data(), Dotted.size());
    if (E && entryPath(*P, E) == Rel)
      return E;
  }
  return nullptr;
}

PyObject *fileNotFound(PyObject *Path) {
  errno = ENOENT;
  return PyErr_SetFromErrnoWithFilenameObject(PyExc_FileNotFoundError, Path);
}

// Root-relative form of PATH (a str under the root), or false.
bool relativeToRoot(const FinderObject *F, PyObject *Path, std::string &Rel) {
  PyObject *Bytes = PyUnicode_EncodeFSDefault(Path);
  if (!Bytes)
    return false;
  std::string_view S(PyBytes_AS_STRING(Bytes), size_t(PyBytes_GET_SIZE(Bytes)));
  const std::string &Root = *F->Root;
  bool Under = S.size() > Root.size() && S.substr(0, Root.size()) == Root &&
               S[Root.size()] == '/';
  if (Under)
    Rel.assign(S.substr(Root.size() + 1));
  else if (S == Root)
    Rel.clear();
  Py_DECREF(Bytes);
  return Under || S == Root;
}

// Mapped code, if the payload has any: checks that it was laid out for
// this program (on its first entry, so that a payload made for another
// template build never runs) and makes its pages writable: the objects are
// used in place, in the private mapping, and copied on write page by page.
void setUpMappedCode(FinderObject *F) {
  static const uintptr_t Page = uintptr_t(sysconf(_SC_PAGESIZE));
  const pyox_payload &P = F->Payload;
  uint64_t Begin = F->MappedBegin;
  if (Begin >= P.header->total_size)
    return;
  const pyox_entry *First = pyox_payload_entry(
      &P, pyox_payload_lower_bound(&P, PYOX_GROUP_MAPPED, "", 0));
  uint8_t Key[PYOX_MAPPED_KEY_SIZE];
  if (!First)
    fatalDamaged(F, "(mapped code)");
  if (pyox_mapped_abi_key(Key) != 0)
    fatalMapped(F, "the payload has mapped code and this program has no "
                   "build-id to check it against");
  // The shared strings, if any (first but for an odd module name: looked
  // up by name): the chunk holding their header is checked now, the others
  // when used; their key stands for the code entries'.
  constexpr std::string_view StringsName = PYOX_MAPPED_STRINGS_NAME;
  const pyox_entry *Strings = pyox_payload_find(
      &P, PYOX_GROUP_MAPPED, StringsName.data(), StringsName.size());
  if (Strings) {
    if (const char *Why = pyox_mapped_strings_check(
            pyox_entry_data(&P, Strings), Strings->data_size, Key)) {
      if (std::string_view(Why) == "damaged")
        fatalDamaged(F, StringsName);
      fatalMapped(F, Why);
    }
  } else {
    verifiedData(F, First);
    if (const char *Why = pyox_mapped_check(pyox_entry_data(&P, First),
                                            First->data_size, Key, 0))
      fatalMapped(F, Why);
  }
  uintptr_t Lo = (reinterpret_cast<uintptr_t>(P.base) + Begin) & ~(Page - 1);
  uintptr_t Hi =
      (reinterpret_cast<uintptr_t>(P.base) + P.header->total_size + Page - 1) &
      ~(Page - 1);
  // A payload the program was given in memory may not be page-backed by a
  // mapping of its own; then, as when mprotect fails, unmarshal.
  if (mprotect(reinterpret_cast<void *>(Lo), Hi - Lo, PROT_READ | PROT_WRITE) !=
      0)
    return;
  F->Prepared = static_cast<uint8_t *>(calloc(P.header->entry_count, 1));
  F->Mapped = F->Prepared != nullptr;
  if (F->Mapped && Strings) {
    F->Strings = const_cast<uint8_t *>(pyox_entry_data(&P, Strings));
    const auto *SH =
        reinterpret_cast<const pyox_mapped_strings_header *>(F->Strings);
    F->StringsEnd = sizeof *SH + uint64_t(SH->objects_size);
    F->StringsChecked = static_cast<uint8_t *>(calloc(SH->chunk_count, 1));
    F->Mapped = F->StringsChecked != nullptr;
  }
  // Without the fork count (a system call less per module than getpid),
  // no pages are given back.
  static const bool Counting = pthread_atfork(nullptr, nullptr, [] {
                                 Forks.fetch_add(1, std::memory_order_relaxed);
                               }) == 0;
  if (F->Mapped && F->DropPages && Counting) {
    F->PagemapFd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    F->PagemapForks = Forks.load(std::memory_order_relaxed);
  }
}

// --- Finder methods -----------------------------------------------------

PyObject *Finder_find_spec(PyObject *Self, PyObject *const *Args, Py_ssize_t N,
                           PyObject *Kwnames) {
  // find_spec(fullname, path=None, target=None): the payload is one flat
  // namespace, so path and target do not change the answer.
  if (N < 1) {
    PyErr_SetString(PyExc_TypeError, "find_spec() needs a module name");
    return nullptr;
  }
  (void)Kwnames;
  FinderObject *F = (FinderObject *)Self;
  std::string_view Name;
  if (!utf8(Args[0], Name))
    return nullptr;
  // Modules CPython 3.11 carries deep-frozen (os, site, codecs, io, ...)
  // are the same stdlib code, already unmarshalled in the binary: the
  // FrozenImporter right behind us serves them, as in python3.11 itself.
  int IsFrozen = PySet_Contains(F->Frozen, Args[0]);
  if (IsFrozen != 0)
    return IsFrozen < 0 ? nullptr : Py_NewRef(Py_None);
  const pyox_entry *E = findModule(F, Name);
  if (!E)
    Py_RETURN_NONE;
  return makeSpec(F, Args[0], E);
}

PyObject *Finder_create_module(PyObject *Self, PyObject *Spec) {
  FinderObject *F = (FinderObject *)Self;
  PyObject *Name = PyObject_GetAttrString(Spec, "name");
  if (!Name)
    return nullptr;
  const pyox_entry *E = specEntry(F, Spec);
  PyObject *Result = nullptr;
  if (E && E->kind == PYOX_KIND_EXTENSION && treeMounted()) {
    // CPython's loader dlopens the virtual path; the VFS loads it from
    // memory, after the libraries it needs from the tree.
    Result = createExtensionModuleAt(Spec);
  } else if (E && E->kind == PYOX_KIND_EXTENSION) {
    uint32_t Index = uint32_t(E - F->Payload.entries);
    int Fd = cachedExtensionFile(*F->Extensions, Index);
    const char *NameUtf8 = Fd < 0 ? PyUnicode_AsUTF8(Name) : nullptr;
    if (NameUtf8) {
      Fd = makeExtensionFile(*F->Extensions, Index, NameUtf8, &F->Payload, E);
      if (Fd < 0 && errno == EBADMSG)
        fatalDamaged(F, entryName(F->Payload, E));
      if (Fd < 0)
        PyErr_SetFromErrno(PyExc_OSError);
      // The memfd holds the copy now; drop the payload pages before PyInit
      // imports more.
      releasePages(F, pyox_entry_data(&F->Payload, E), E->data_size);
    }
    if (Fd >= 0)
      Result = createExtensionModule(Fd, Spec, F->ModuleSpec, Self);
  } else if (E) {
    Result = Py_None;
    Py_INCREF(Result);
  }
  Py_DECREF(Name);
  return Result;
}

// pkg_resources knows loaders and path entry finders by type: tell it that
// ours are served by its DefaultProvider and find_on_path, which work on
// the tree like on any directory. A failure here must not fail the import.
void registerWithPkgResources(PyObject *Finder, PyObject *Module) {
  PyObject *Glue = resourceGlue();
  PyObject *Fn =
      Glue ? PyDict_GetItemString(Glue, "register_pkg_resources") : nullptr;
  PyObject *R = Fn ? PyObject_CallFunctionObjArgs(
                         Fn, Module, Finder, (PyObject *)PathEntryType, nullptr)
                   : nullptr;
  if (!R)
    PyErr_WriteUnraisable(Module);
  Py_XDECREF(R);
  Py_XDECREF(Glue);
}

PyObject *Finder_exec_module(PyObject *Self, PyObject *Module) {
  FinderObject *F = (FinderObject *)Self;
  PyObject *Spec = PyObject_GetAttrString(Module, "__spec__");
  if (!Spec)
    return nullptr;
  const pyox_entry *E = specEntry(F, Spec);
  Py_DECREF(Spec);
  if (!E)
    return nullptr;
  if (E->kind == PYOX_KIND_NAMESPACE)
    Py_RETURN_NONE;
  if (E->kind == PYOX_KIND_EXTENSION)
    return execExtensionModule(Module);
  const pyox_entry *Prepared;
  PyObject *Code = loadCode(F, E, &Prepared);
  if (!Code)
    return nullptr;
  PyObject *Dict = PyModule_Check(Module)
                       ? PyModule_GetDict(Module)
                       : PyObject_GetAttrString(Module, "__dict__");
  if (!Dict) {
    Py_DECREF(Code);
    return nullptr;
  }
  if (!PyModule_Check(Module))
    Py_DECREF(Dict); // borrowed from here on: the module holds it
  // As exec() does: module globals carry __builtins__ (C code importing
  // from a frame of this module looks it up there).
  int HasBuiltins = PyDict_Check(Dict) ? PyDict_Contains(Dict, BuiltinsKey) : 1;
  if (HasBuiltins == 0 &&
      PyDict_SetItem(Dict, BuiltinsKey, PyEval_GetBuiltins()) < 0)
    HasBuiltins = -1;
  if (HasBuiltins < 0) {
    Py_DECREF(Code);
    return nullptr;
  }
  PyObject *R = PyEval_EvalCode(Code, Dict, Dict);
  Py_DECREF(Code);
  // A module's body reads its own line table (every exception passing
  // through it makes a traceback entry, with its line number, in 3.11) and
  // exception table, which maps the file's pages around them again
  // (fault-around): its pages are given back once it has run, not before.
  if (Prepared)
    releaseCleanPages(F, Prepared);
  if (!R)
    return nullptr;
  Py_DECREF(R);
  if (treeMounted() && entryName(F->Payload, E) == "pkg_resources")
    registerWithPkgResources(Self, Module);
  Py_RETURN_NONE;
}

PyObject *Finder_get_code(PyObject *Self, PyObject *Name) {
  FinderObject *F = (FinderObject *)Self;
  const pyox_entry *E = requireModule(F, Name);
  if (!E)
    return nullptr;
  if (E->kind != PYOX_KIND_MODULE && E->kind != PYOX_KIND_PACKAGE)
    Py_RETURN_NONE;
  const pyox_entry *Prepared;
  PyObject *Code = loadCode(F, E, &Prepared);
  if (Prepared)
    releaseCleanPages(F, Prepared);
  return Code;
}

PyObject *Finder_get_source(PyObject *Self, PyObject *Name) {
  FinderObject *F = (FinderObject *)Self;
  const pyox_entry *E = requireModule(F, Name);
  if (!E)
    return nullptr;
  std::string_view N = entryName(F->Payload, E);
  const pyox_entry *S =
      pyox_payload_find(&F->Payload, PYOX_GROUP_SOURCE, N.data(), N.size());
  if (!S)
    Py_RETURN_NONE;
  // decode_source honours PEP 263 coding cookies and translates newlines,
  // as SourceLoader.get_source does.
  PyObject *External = PyImport_ImportModule("_frozen_importlib_external");
  if (!External)
    return nullptr;
  PyObject *Bytes = entryBytes(F, S);
  PyObject *R = Bytes
                    ? PyObject_CallMethod(External, "decode_source", "O", Bytes)
                    : nullptr;
  Py_XDECREF(Bytes);
  Py_DECREF(External);
  return R;
}

PyObject *Finder_is_package(PyObject *Self, PyObject *Name) {
  const pyox_entry *E = requireModule((FinderObject *)Self, Name);
  if (!E)
    return nullptr;
  return PyBool_FromLong(isPackageKind(E->kind));
}

PyObject *Finder_get_filename(PyObject *Self, PyObject *Name) {
  FinderObject *F = (FinderObject *)Self;
  const pyox_entry *E = requireModule(F, Name);
  if (!E)
    return nullptr;
  if (E->kind == PYOX_KIND_NAMESPACE)
    return importError(Name, "pyox: namespace package has no file:");
  return virtualPath(F, entryPath(F->Payload, E));
}

PyObject *Finder_get_data(PyObject *Self, PyObject *PathArg) {
  FinderObject *F = (FinderObject *)Self;
  PyObject *Path = PyOS_FSPath(PathArg);
  if (!Path)
    return nullptr;
  if (PyBytes_Check(Path)) {
    PyObject *S = PyUnicode_DecodeFSDefault(PyBytes_AS_STRING(Path));
    Py_DECREF(Path);
    if (!S)
      return nullptr;
    Path = S;
  }
  std::string Rel;
  const pyox_entry *E = nullptr;
  if (relativeToRoot(F, Path, Rel))
    E = findFile(F, Rel);
  else if (PyErr_Occurred()) {
    Py_DECREF(Path);
    return nullptr;
  }
  if (!E) {
    fileNotFound(Path);
    Py_DECREF(Path);
    return nullptr;
  }
  Py_DECREF(Path);
  return entryBytes(F, E);
}

PyObject *Finder_get_resource_reader(PyObject *Self, PyObject *Name) {
  FinderObject *F = (FinderObject *)Self;
  const pyox_entry *E = requireModule(F, Name);
  if (!E)
    return nullptr;
  if (!isPackageKind(E->kind))
    Py_RETURN_NONE;
  PyObject *Glue = resourceGlue();
  if (!Glue)
    return nullptr;
  PyObject *R = nullptr;
  if (treeMounted()) {
    // A pathlib.Path into the tree: as_file() needs no temporary copy, and
    // str() of it is a path C libraries can open.
    PyObject *Cls = PyDict_GetItemString(Glue, "TreeResources");
    PyObject *Dir = virtualPath(F, packageDir(F, E));
    R = Cls && Dir ? PyObject_CallOneArg(Cls, Dir) : nullptr;
    Py_XDECREF(Dir);
    Py_DECREF(Glue);
    return R;
  }
  PyObject *Cls = PyDict_GetItemString(Glue, "PayloadResources");
  PyObject *Dir = fsString(packageDir(F, E));
  R = Cls && Dir ? PyObject_CallFunctionObjArgs(Cls, Self, Dir, nullptr)
                 : nullptr;
  Py_XDECREF(Dir);
  Py_DECREF(Glue);
  return R;
}

PyObject *Finder_find_distributions(PyObject *Self, PyObject *Args,
                                    PyObject *Kwargs) {
  // With the virtual filesystem, the root on sys.path is a directory to
  // importlib.metadata's own path finder, which finds the payload's
  // *.dist-info there as python3 does: answering here too would list
  // every distribution twice.
  if (treeMounted())
    return PyList_New(0);
  PyObject *Glue = metadataGlue();
  if (!Glue)
    return nullptr;
  PyObject *Fn = PyDict_GetItemString(Glue, "find_distributions");
  PyObject *Full = nullptr;
  if (Fn) {
    // find_distributions(self, context=DistributionFinder.Context())
    Py_ssize_t N = PyTuple_GET_SIZE(Args);
    Full = PyTuple_New(N + 1);
    if (Full) {
      Py_INCREF(Self);
      PyTuple_SET_ITEM(Full, 0, Self);
      for (Py_ssize_t I = 0; I < N; ++I) {
        PyObject *A = PyTuple_GET_ITEM(Args, I);
        Py_INCREF(A);
        PyTuple_SET_ITEM(Full, I + 1, A);
      }
    }
  }
  PyObject *R = Full ? PyObject_Call(Fn, Full, Kwargs) : nullptr;
  Py_XDECREF(Full);
  Py_DECREF(Glue);
  return R;
}

PyObject *Finder_invalidate_caches(PyObject *, PyObject *) { Py_RETURN_NONE; }

// --- Helpers for the resource and metadata glue -------------------------

std::string relArg(PyObject *O, bool &Ok) {
  Ok = false;
  PyObject *B = PyUnicode_EncodeFSDefault(O);
  if (!B)
    return {};
  std::string S(PyBytes_AS_STRING(B), size_t(PyBytes_GET_SIZE(B)));
  Py_DECREF(B);
  Ok = true;
  return S;
}

PyObject *stringList(const std::set<std::string> &Names) {
  PyObject *List = PyList_New(0);
  for (const std::string &N : Names) {
    PyObject *S = List ? fsString(N) : nullptr;
    if (!S || PyList_Append(List, S) < 0) {
      Py_XDECREF(S);
      Py_XDECREF(List);
      return nullptr;
    }
    Py_DECREF(S);
  }
  return List;
}

// _read(rel) -> bytes: a file under the root; FileNotFoundError otherwise.
PyObject *Finder_read(PyObject *Self, PyObject *RelArg) {
  FinderObject *F = (FinderObject *)Self;
  bool Ok;
  std::string Rel = relArg(RelArg, Ok);
  if (!Ok)
    return nullptr;
  const pyox_entry *E = findFile(F, Rel);
  if (!E) {
    PyObject *Path = virtualPath(F, Rel);
    if (Path) {
      fileNotFound(Path);
      Py_DECREF(Path);
    }
    return nullptr;
  }
  return entryBytes(F, E);
}

// Adds the first path component after PREFIX of every name in GROUP that
// starts with PREFIX.
void addChildren(const FinderObject *F, uint32_t Group,
                 const std::string &Prefix, std::set<std::string> &Out) {
  const pyox_payload *P = &F->Payload;
  uint32_t Count = P->header->entry_count;
  for (uint32_t I =
           pyox_payload_lower_bound(P, Group, Prefix.data(), Prefix.size());
       I < Count; ++I) {
    const pyox_entry *E = pyox_payload_entry(P, I);
    if (!E)
      break;
    std::string_view Name = entryName(*P, E);
    if (pyox_kind_group(E->kind) != Group ||
        Name.substr(0, Prefix.size()) != Prefix)
      break;
    std::string_view Rest = Name.substr(Prefix.size());
    Out.insert(std::string(Rest.substr(0, Rest.find('/'))));
  }
}

std::string dotted(std::string_view Rel) {
  std::string D(Rel);
  for (char &C : D)
    if (C == '/')
      C = '.';
  return D;
}

// _listdir(rel) -> sorted list of the names in directory REL.
PyObject *Finder_listdir(PyObject *Self, PyObject *RelArg) {
  FinderObject *F = (FinderObject *)Self;
  bool Ok;
  std::string Rel = relArg(RelArg, Ok);
  if (!Ok)
    return nullptr;
  std::string Prefix = Rel.empty() ? Rel : Rel + "/";
  std::set<std::string> Names;
  addChildren(F, PYOX_GROUP_RESOURCE, Prefix, Names);
  addChildren(F, PYOX_GROUP_METADATA, Prefix, Names);
  // Modules appear as their files (mod.py, pkg/, ext.cpython-...so).
  const pyox_payload *P = &F->Payload;
  std::string Package = dotted(Rel);
  if (const pyox_entry *E = findModule(F, Package);
      E && E->kind == PYOX_KIND_PACKAGE) {
    std::string_view Path = entryPath(*P, E);
    Names.insert(std::string(Path.substr(Path.rfind('/') + 1)));
  }
  std::string ModPrefix = Package.empty() ? Package : Package + ".";
  uint32_t Count = P->header->entry_count;
  for (uint32_t I = pyox_payload_lower_bound(
           P, PYOX_GROUP_MODULE, ModPrefix.data(), ModPrefix.size());
       I < Count; ++I) {
    const pyox_entry *E = pyox_payload_entry(P, I);
    if (!E)
      break;
    std::string_view Name = entryName(*P, E);
    if (pyox_kind_group(E->kind) != PYOX_GROUP_MODULE ||
        Name.substr(0, ModPrefix.size()) != ModPrefix)
      break;
    std::string_view Rest = Name.substr(ModPrefix.size());
    if (Rest.empty() || Rest.find('.') != std::string_view::npos)
      continue;
    if (isPackageKind(E->kind)) {
      Names.insert(std::string(Rest));
    } else {
      std::string_view Path = entryPath(*P, E);
      size_t Slash = Path.rfind('/');
      Names.insert(std::string(
          Slash == std::string_view::npos ? Path : Path.substr(Slash + 1)));
    }
  }
  return stringList(Names);
}

bool isDir(const FinderObject *F, const std::string &Rel) {
  if (Rel.empty())
    return true;
  const pyox_entry *E = findModule(F, dotted(Rel));
  if (E && isPackageKind(E->kind))
    return true;
  std::string Prefix = Rel + "/";
  uint32_t Count = F->Payload.header->entry_count;
  for (uint32_t G : {PYOX_GROUP_RESOURCE, PYOX_GROUP_METADATA})
    if (pyox_payload_lower_bound(&F->Payload, G, Prefix.data(),
                                 Prefix.size()) != Count)
      return true;
  return false;
}

PyObject *Finder_isdir(PyObject *Self, PyObject *RelArg) {
  bool Ok;
  std::string Rel = relArg(RelArg, Ok);
  if (!Ok)
    return nullptr;
  return PyBool_FromLong(isDir((FinderObject *)Self, Rel));
}

PyObject *Finder_isfile(PyObject *Self, PyObject *RelArg) {
  bool Ok;
  std::string Rel = relArg(RelArg, Ok);
  if (!Ok)
    return nullptr;
  return PyBool_FromLong(findFile((FinderObject *)Self, Rel) != nullptr);
}

// _distributions() -> list of the top-level *.dist-info/*.egg-info names.
PyObject *Finder_distributions(PyObject *Self, PyObject *) {
  std::set<std::string> Names;
  addChildren((FinderObject *)Self, PYOX_GROUP_METADATA, "", Names);
  return stringList(Names);
}

PyObject *newPathEntry(FinderObject *F, PyObject *Package) {
  PathEntryObject *PE = PyObject_New(PathEntryObject, PathEntryType);
  if (!PE)
    return nullptr;
  Py_INCREF(F);
  PE->Finder = F;
  Py_INCREF(Package);
  PE->Package = Package;
  return (PyObject *)PE;
}

// path_hook(path): a PathEntryFinder for the root and each package
// directory under it; ImportError for anything else, as PEP 302 asks.
PyObject *Finder_path_hook(PyObject *Self, PyObject *PathArg) {
  FinderObject *F = (FinderObject *)Self;
  if (!PyUnicode_Check(PathArg))
    return importError(PathArg, "pyox: not a payload path:");
  std::string Rel;
  if (!relativeToRoot(F, PathArg, Rel)) {
    if (PyErr_Occurred())
      return nullptr;
    return importError(PathArg, "pyox: not a payload path:");
  }
  std::string Package = dotted(Rel);
  if (!Rel.empty()) {
    const pyox_entry *E = findModule(F, Package);
    if (!E || !isPackageKind(E->kind) || packageDir(F, E) != Rel)
      return importError(PathArg, "pyox: not a package in the payload:");
  }
  PyObject *Name =
      PyUnicode_FromStringAndSize(Package.data(), Py_ssize_t(Package.size()));
  if (!Name)
    return nullptr;
  PyObject *R = newPathEntry(F, Name);
  Py_DECREF(Name);
  return R;
}

void Finder_dealloc(PyObject *Self) {
  FinderObject *F = (FinderObject *)Self;
  delete F->Root;
  Py_XDECREF(F->RootStr);
  Py_XDECREF(F->ModuleSpec);
  Py_XDECREF(F->FixCoFilename);
  Py_XDECREF(F->SpecKwnames);
  Py_XDECREF(F->Frozen);
  // Extension modules stay loaded until exit; their memfds with them.
  PyTypeObject *T = Py_TYPE(Self);
  T->tp_free(Self);
  Py_DECREF(T);
}

PyObject *Finder_repr(PyObject *Self) {
  return PyUnicode_FromFormat("<pyox finder for %R>",
                              ((FinderObject *)Self)->RootStr);
}

PyObject *Finder_get_root(PyObject *Self, void *) {
  PyObject *R = ((FinderObject *)Self)->RootStr;
  Py_INCREF(R);
  return R;
}

// code_load_stats() -> (modules, seconds, mapped): how many code objects
// the finder has made from the payload, the time that took (checksum,
// unmarshal or mapped-code preparation, file names), and how many of them
// were mapped code. bench/runtime/bench_runtime.py reports it.
PyObject *Finder_code_load_stats(PyObject *Self, PyObject *) {
  FinderObject *F = (FinderObject *)Self;
  return Py_BuildValue("(KdK)", (unsigned long long)F->LoadCount,
                       double(F->LoadNs) / 1e9,
                       (unsigned long long)F->MappedCount);
}

PyMethodDef FinderMethods[] = {
    {"find_spec", (PyCFunction)(void (*)(void))Finder_find_spec,
     METH_FASTCALL | METH_KEYWORDS,
     "find_spec(fullname, path=None, target=None): PEP 451 spec or None"},
    {"create_module", Finder_create_module, METH_O,
     "Creates extension modules; None (the default) for the others."},
    {"exec_module", Finder_exec_module, METH_O, "Runs the module's code."},
    {"get_code", Finder_get_code, METH_O, "The module's code object."},
    {"get_source", Finder_get_source, METH_O,
     "The module's source text, or None when packed with --no-sources."},
    {"is_package", Finder_is_package, METH_O, "True for packages."},
    {"get_filename", Finder_get_filename, METH_O,
     "The module's virtual file name."},
    {"get_data", Finder_get_data, METH_O,
     "The bytes of a file under the payload root, by virtual path."},
    {"get_resource_reader", Finder_get_resource_reader, METH_O,
     "A TraversableResources for a package."},
    {"find_distributions",
     (PyCFunction)(void (*)(void))Finder_find_distributions,
     METH_VARARGS | METH_KEYWORDS,
     "importlib.metadata distributions in the payload."},
    {"invalidate_caches", Finder_invalidate_caches, METH_NOARGS,
     "Nothing to invalidate: the payload does not change."},
    {"path_hook", Finder_path_hook, METH_O,
     "sys.path_hooks entry for paths under the payload root."},
    {"_read", Finder_read, METH_O, nullptr},
    {"_listdir", Finder_listdir, METH_O, nullptr},
    {"_isdir", Finder_isdir, METH_O, nullptr},
    {"_isfile", Finder_isfile, METH_O, nullptr},
    {"_distributions", Finder_distributions, METH_NOARGS, nullptr},
    {"code_load_stats", Finder_code_load_stats, METH_NOARGS,
     "(modules, seconds, mapped): code objects made from the payload, "
     "time taken, how many were mapped code."},
    {nullptr, nullptr, 0, nullptr}};

PyGetSetDef FinderGetSet[] = {
    {"root", Finder_get_root, nullptr, "The virtual root path.", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

PyType_Slot FinderSlots[] = {
    {Py_tp_dealloc, (void *)Finder_dealloc},
    {Py_tp_repr, (void *)Finder_repr},
    {Py_tp_methods, FinderMethods},
    {Py_tp_getset, FinderGetSet},
    {Py_tp_doc, (void *)"The pyox meta path finder and loader."},
    {0, nullptr}};

PyType_Spec FinderSpec = {"_pyox.Finder", sizeof(FinderObject), 0,
                          Py_TPFLAGS_DEFAULT, FinderSlots};

// --- PathEntryFinder ----------------------------------------------------

PyObject *PathEntry_find_spec(PyObject *Self, PyObject *const *Args,
                              Py_ssize_t N, PyObject *) {
  PathEntryObject *PE = (PathEntryObject *)Self;
  if (N < 1) {
    PyErr_SetString(PyExc_TypeError, "find_spec() needs a module name");
    return nullptr;
  }
  std::string_view Name, Package;
  if (!utf8(Args[0], Name) || !utf8(PE->Package, Package))
    return nullptr;
  // A directory holds the modules named by the last part of NAME, wherever
  // it is: on sys.path or in any package's __path__, as for FileFinder and
  // zipimport. So "foo" in ROOT/a/b is the payload's a.b.foo, loaded under
  // the name asked for (loader_state keeps the payload's: specEntry).
  size_t Dot = Name.rfind('.');
  std::string Entry(Package);
  if (!Entry.empty())
    Entry += '.';
  Entry += Dot == std::string_view::npos ? Name : Name.substr(Dot + 1);
  const pyox_entry *E = findModule(PE->Finder, Entry);
  if (!E)
    Py_RETURN_NONE;
  if (E->kind == PYOX_KIND_NAMESPACE) {
    // A portion (PEP 420): PathFinder merges it with the other entries'.
    PyObject *Spec = PyObject_CallFunctionObjArgs(PE->Finder->ModuleSpec,
                                                  Args[0], Py_None, nullptr);
    PyObject *Dir =
        Spec ? virtualPath(PE->Finder, packageDir(PE->Finder, E)) : nullptr;
    PyObject *Portions = Dir ? PyList_New(1) : nullptr;
    if (Portions)
      PyList_SET_ITEM(Portions, 0, Py_NewRef(Dir));
    int R = Portions ? PyObject_SetAttrString(
                           Spec, "submodule_search_locations", Portions)
                     : -1;
    Py_XDECREF(Portions);
    Py_XDECREF(Dir);
    if (R < 0)
      Py_CLEAR(Spec);
    return Spec;
  }
  PyObject *Spec = makeSpec(PE->Finder, Args[0], E);
  if (Spec && Entry != Name) {
    PyObject *State =
        PyUnicode_FromStringAndSize(Entry.data(), Py_ssize_t(Entry.size()));
    if (!State || PyObject_SetAttrString(Spec, "loader_state", State) < 0)
      Py_CLEAR(Spec);
    Py_XDECREF(State);
  }
  return Spec;
}

// iter_modules(prefix='') -> [(prefix + name, ispkg)], used by pkgutil.
PyObject *PathEntry_iter_modules(PyObject *Self, PyObject *Args) {
  PathEntryObject *PE = (PathEntryObject *)Self;
  const char *Prefix = "";
  if (!PyArg_ParseTuple(Args, "|s:iter_modules", &Prefix))
    return nullptr;
  std::string_view Package;
  if (!utf8(PE->Package, Package))
    return nullptr;
  std::string ModPrefix(Package);
  if (!ModPrefix.empty())
    ModPrefix += '.';
  const pyox_payload *P = &PE->Finder->Payload;
  PyObject *List = PyList_New(0);
  if (!List)
    return nullptr;
  uint32_t Count = P->header->entry_count;
  for (uint32_t I = pyox_payload_lower_bound(
           P, PYOX_GROUP_MODULE, ModPrefix.data(), ModPrefix.size());
       I < Count; ++I) {
    const pyox_entry *E = pyox_payload_entry(P, I);
    if (!E)
      break;
    std::string_view Name = entryName(*P, E);
    if (pyox_kind_group(E->kind) != PYOX_GROUP_MODULE ||
        Name.substr(0, ModPrefix.size()) != ModPrefix)
      break;
    std::string_view Rest = Name.substr(ModPrefix.size());
    if (Rest.empty() || Rest.find('.') != std::string_view::npos ||
        Rest == "__init__")
      continue;
    std::string Full = std::string(Prefix) + std::string(Rest);
    PyObject *T = Py_BuildValue("(s#O)", Full.data(), Py_ssize_t(Full.size()),
                                isPackageKind(E->kind) ? Py_True : Py_False);
    if (!T || PyList_Append(List, T) < 0) {
      Py_XDECREF(T);
      Py_DECREF(List);
      return nullptr;
    }
    Py_DECREF(T);
  }
  return List;
}

PyObject *PathEntry_invalidate_caches(PyObject *, PyObject *) {
  Py_RETURN_NONE;
}

void PathEntry_dealloc(PyObject *Self) {
  PathEntryObject *PE = (PathEntryObject *)Self;
  Py_XDECREF(PE->Finder);
  Py_XDECREF(PE->Package);
  PyTypeObject *T = Py_TYPE(Self);
  T->tp_free(Self);
  Py_DECREF(T);
}

PyObject *PathEntry_repr(PyObject *Self) {
  PathEntryObject *PE = (PathEntryObject *)Self;
  return PyUnicode_FromFormat("<pyox path entry finder for %R in %R>",
                              PE->Package, PE->Finder->RootStr);
}

PyMethodDef PathEntryMethods[] = {
    {"find_spec", (PyCFunction)(void (*)(void))PathEntry_find_spec,
     METH_FASTCALL | METH_KEYWORDS,
     "find_spec(fullname, target=None): a direct child of this directory"},
    {"iter_modules", PathEntry_iter_modules, METH_VARARGS,
     "iter_modules(prefix=''): (name, ispkg) pairs, for pkgutil"},
    {"invalidate_caches", PathEntry_invalidate_caches, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr}};

PyType_Slot PathEntrySlots[] = {
    {Py_tp_dealloc, (void *)PathEntry_dealloc},
    {Py_tp_repr, (void *)PathEntry_repr},
    {Py_tp_methods, PathEntryMethods},
    {Py_tp_doc, (void *)"A directory of the payload, for sys.path_hooks."},
    {0, nullptr}};

PyType_Spec PathEntrySpec = {"_pyox.PathEntryFinder", sizeof(PathEntryObject),
                             0, Py_TPFLAGS_DEFAULT, PathEntrySlots};

// call_entry_point(module, attribute): imports MODULE, follows the dotted
// ATTRIBUTE and calls it with no arguments; the payload's entry point.
PyObject *callEntryPoint(PyObject *, PyObject *Args) {
  const char *ModuleName, *Attribute;
  if (!PyArg_ParseTuple(Args, "ss:call_entry_point", &ModuleName, &Attribute))
    return nullptr;
  PyObject *O = PyImport_ImportModule(ModuleName);
  std::string_view Rest(Attribute);
  while (O && !Rest.empty()) {
    size_t Dot = Rest.find('.');
    std::string Part(Rest.substr(0, Dot));
    Rest = Dot == std::string_view::npos ? std::string_view()
                                         : Rest.substr(Dot + 1);
    PyObject *Next = PyObject_GetAttrString(O, Part.c_str());
    Py_DECREF(O);
    O = Next;
  }
  if (!O)
    return nullptr;
  PyObject *R = PyObject_CallNoArgs(O);
  Py_DECREF(O);
  return R;
}

// excepthook(type, value, traceback): traceback.print_exception, falling
// back to the built-in printer if that fails.
PyObject *sourceExcepthook(PyObject *, PyObject *Args) {
  PyObject *Type, *Value, *Tb;
  if (!PyArg_UnpackTuple(Args, "excepthook", 3, 3, &Type, &Value, &Tb))
    return nullptr;
  // Py_RunMain exits by SIGINT, as python3 does, when this flag says the
  // main code died of KeyboardInterrupt; running Python code to print the
  // traceback resets it.
  int Interrupted = _Py_UnhandledKeyboardInterrupt;
  PyObject *Traceback = PyImport_ImportModule("traceback");
  PyObject *R = Traceback ? PyObject_CallMethod(Traceback, "print_exception",
                                                "OOO", Type, Value, Tb)
                          : nullptr;
  Py_XDECREF(Traceback);
  _Py_UnhandledKeyboardInterrupt = Interrupted;
  if (R)
    return R;
  PyErr_Clear();
  PyErr_Display(Type, Value, Tb);
  Py_RETURN_NONE;
}

PyMethodDef PyoxFunctions[] = {
    {"call_entry_point", callEntryPoint, METH_VARARGS,
     "call_entry_point(module, attribute): run a MODULE:FUNCTION entry point"},
    {"excepthook", sourceExcepthook, METH_VARARGS,
     "sys.excepthook that shows source lines from the payload"},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef PyoxModule = {PyModuleDef_HEAD_INIT,
                          "_pyox",
                          "The pyox in-memory importer.",
                          -1,
                          PyoxFunctions,
                          nullptr,
                          nullptr,
                          nullptr,
                          nullptr};

// The frozen modules FrozenImporter will serve: all of _imp's frozen names,
// or only the import system's own with -X frozen_modules=off.
PyObject *frozenModuleNames() {
  const PyConfig *Config =
      _PyInterpreterState_GetConfig(PyInterpreterState_Get());
  PyObject *Names = nullptr;
  if (!Config->use_frozen_modules) {
    Names = Py_BuildValue("(sss)", "_frozen_importlib",
                          "_frozen_importlib_external", "zipimport");
  } else if (PyObject *Imp = PyImport_ImportModule("_imp")) {
    Names = PyObject_CallMethod(Imp, "_frozen_module_names", nullptr);
    Py_DECREF(Imp);
  }
  if (!Names)
    return nullptr;
  PyObject *Set = PyFrozenSet_New(Names);
  Py_DECREF(Names);
  return Set;
}

} // namespace

PyObject *initPyoxModule() {
  PyObject *M = PyModule_Create(&PyoxModule);
  if (!M)
    return nullptr;
  BuiltinsKey = PyUnicode_InternFromString("__builtins__");
  FinderType = (PyTypeObject *)PyType_FromSpec(&FinderSpec);
  PathEntryType = (PyTypeObject *)PyType_FromSpec(&PathEntrySpec);
  if (!BuiltinsKey || !FinderType || !PathEntryType ||
      PyModule_AddObjectRef(M, "Finder", (PyObject *)FinderType) < 0 ||
      PyModule_AddObjectRef(M, "PathEntryFinder", (PyObject *)PathEntryType) <
          0) {
    Py_DECREF(M);
    return nullptr;
  }
  return M;
}

int installFinder(const pyox_payload &P, const char *Root, bool FileMapped) {
  PyObject *Module = PyImport_ImportModule("_pyox");
  if (!Module)
    return -1;
  Py_DECREF(Module);
  FinderObject *F = PyObject_New(FinderObject, FinderType);
  if (!F)
    return -1;
  F->Payload = P;
  F->Root = new std::string(Root);
  F->RootStr = fsString(*F->Root);
  F->ModuleSpec = nullptr;
  F->FixCoFilename = nullptr;
  F->SpecKwnames = Py_BuildValue("(ss)", "origin", "is_package");
  F->Extensions = newExtensionCache(P.header->entry_count);
  F->Frozen = frozenModuleNames();
  F->DropPages = FileMapped;
  F->Advised = false;
  F->FaultedBytes = 0;
  F->MappedBegin = pyox_payload_mapped_begin(&P);
  F->LoadCount = 0;
  F->LoadNs = 0;
  F->Mapped = false;
  F->Prepared = nullptr;
  F->Strings = nullptr;
  F->StringsEnd = 0;
  F->StringsChecked = nullptr;
  F->PagemapFd = -1;
  F->MappedCount = 0;
  setUpMappedCode(F);
  PyObject *Bootstrap = PyImport_ImportModule("_frozen_importlib");
  PyObject *Imp = PyImport_ImportModule("_imp");
  if (Bootstrap)
    F->ModuleSpec = PyObject_GetAttrString(Bootstrap, "ModuleSpec");
  if (Imp)
    F->FixCoFilename = PyObject_GetAttrString(Imp, "_fix_co_filename");
  Py_XDECREF(Bootstrap);
  Py_XDECREF(Imp);
  int Result = -1;
  PyObject *MetaPath = PySys_GetObject("meta_path");
  PyObject *Cache = PySys_GetObject("path_importer_cache");
  PyObject *RootEntry = nullptr, *Empty = nullptr;
  if (!F->RootStr || !F->ModuleSpec || !F->FixCoFilename || !F->SpecKwnames ||
      !F->Frozen || !MetaPath || !Cache)
    goto done;
  if (PyList_Insert(MetaPath, 0, (PyObject *)F) < 0)
    goto done;
  // The root is a file, not a directory: without this entry, the path
  // finder would offer it to zipimport (which reads the executable) and
  // FileFinder first.
  Empty = PyUnicode_FromString("");
  RootEntry = Empty ? newPathEntry(F, Empty) : nullptr;
  if (!RootEntry || PyDict_SetItem(Cache, F->RootStr, RootEntry) < 0)
    goto done;
  TheFinder = F;
  Py_INCREF(F);
  Result = 0;
done:
  if (Result < 0 && !PyErr_Occurred())
    PyErr_SetString(PyExc_RuntimeError, "pyox: cannot set up the importer");
  Py_XDECREF(RootEntry);
  Py_XDECREF(Empty);
  Py_DECREF(F);
  return Result;
}

int installSourceExcepthook() {
  PyObject *Module = PyImport_ImportModule("_pyox");
  if (!Module)
    return -1;
  PyObject *Hook = PyObject_GetAttrString(Module, "excepthook");
  Py_DECREF(Module);
  int R = Hook ? PySys_SetObject("excepthook", Hook) : -1;
  Py_XDECREF(Hook);
  return R;
}

// Frozen modules imported while the interpreter started (os, site, io...)
// were found before _Py_InitializeMain reset sys._stdlib_dir, so they lack
// __file__. Give them ROOT/<name>.py, what FrozenImporter gives the ones
// imported from now on.
int fixFrozenFiles(FinderObject *F) {
  if (PySys_SetObject("_stdlib_dir", F->RootStr) < 0)
    return -1;
  PyObject *Modules = PySys_GetObject("modules");
  if (!Modules)
    return -1;
  PyObject *It = PyObject_GetIter(F->Frozen);
  if (!It)
    return -1;
  while (PyObject *Name = PyIter_Next(It)) {
    PyObject *M = PyDict_GetItemWithError(Modules, Name);
    PyObject *Spec = M && PyModule_Check(M)
                         ? PyObject_GetAttrString(M, "__spec__")
                         : nullptr;
    PyObject *State =
        Spec ? PyObject_GetAttrString(Spec, "loader_state") : nullptr;
    PyObject *Orig =
        State ? PyObject_GetAttrString(State, "origname") : nullptr;
    PyObject *Sub =
        Spec ? PyObject_GetAttrString(Spec, "submodule_search_locations")
             : nullptr;
    PyErr_Clear();
    bool HasFile = M && PyObject_HasAttrString(M, "__file__");
    if (Orig && PyUnicode_Check(Orig) && Sub == Py_None && !HasFile) {
      std::string_view O;
      if (utf8(Orig, O)) {
        std::string Rel(O);
        for (char &C : Rel)
          if (C == '.')
            C = '/';
        PyObject *File = virtualPath(F, Rel + ".py");
        if (File) {
          PyObject_SetAttrString(State, "filename", File);
          PyObject_SetAttrString(M, "__file__", File);
          Py_DECREF(File);
        }
      }
      PyErr_Clear();
    }
    Py_XDECREF(Sub);
    Py_XDECREF(Orig);
    Py_XDECREF(State);
    Py_XDECREF(Spec);
    Py_DECREF(Name);
  }
  Py_DECREF(It);
  return PyErr_Occurred() ? -1 : 0;
}

int finishImporter() {
  if (!TheFinder)
    return 0;
  if (fixFrozenFiles(TheFinder) < 0)
    return -1;
  PyObject *Hooks = PySys_GetObject("path_hooks");
  PyObject *Hook = PyObject_GetAttrString((PyObject *)TheFinder, "path_hook");
  int R = Hooks && Hook ? PyList_Insert(Hooks, 0, Hook) : -1;
  Py_XDECREF(Hook);
  return R;
}

} // namespace pyox
