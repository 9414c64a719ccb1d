//===- VfsTree.cpp - The payload seen as a directory tree -----------------===//
//
// The payload has no directory table, and needs none: its index is sorted
// by (lookup group, name) and hashed, and every name is a path or a dotted
// module name that maps to one. So "what is at ROOT/a/b" is answered from
// the index on every call, without building anything at mount time:
//
//   a file        a resource or metadata entry named a/b (one hash lookup);
//                 a module's source, a/b.py (dotted name a.b, group
//                 SOURCE, same path); an extension module a/b.cpython-...so
//                 (module a.b whose path is a/b...);
//   a directory   the root; a package or namespace package whose directory
//                 is a/b; or any resource or metadata name starting with
//                 a/b/ (one binary search per group).
//
// A module packed without its source has no .py file here: its __file__
// names a file that does not exist, as for a sourceless distribution.
// Inode numbers are synthetic and stable: an entry's index + 1 for a file,
// a hash of the path with bit 62 set for a directory.
//
//===----------------------------------------------------------------------===//

#include "Vfs.h"

#include <elf.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <string_view>

namespace pyox::vfs {

Mount TheMount;

namespace {

std::string_view nameOf(const pyox_entry *E) {
  return {pyox_entry_name(TheMount.P, E), E->name_size};
}
std::string_view pathOf(const pyox_entry *E) {
  return {pyox_entry_path(TheMount.P, E), E->path_size};
}

const pyox_entry *find(uint32_t Group, std::string_view Name) {
  return pyox_payload_find(TheMount.P, Group, Name.data(), Name.size());
}

uint64_t fileIno(const pyox_entry *E) {
  return uint64_t(E - TheMount.P->entries) + 1;
}

bool isSharedLibraryName(std::string_view Name) {
  size_t Slash = Name.rfind('/');
  std::string_view Base =
      Slash == std::string_view::npos ? Name : Name.substr(Slash + 1);
  return (Base.size() > 3 && Base.substr(Base.size() - 3) == ".so") ||
         Base.find(".so.") != std::string_view::npos;
}

Node fileNode(const pyox_entry *E, std::string_view Rel) {
  Node N;
  N.Kind = NodeKind::File;
  N.Entry = E;
  N.Ino = fileIno(E);
  N.Executable = E->kind == PYOX_KIND_EXTENSION || isSharedLibraryName(Rel);
  return N;
}

Node dirNode(std::string_view Rel) {
  Node N;
  N.Kind = NodeKind::Dir;
  N.Ino = dirIno(Rel.data(), Rel.size());
  return N;
}

// "a/b" -> "a.b" into OUT (PATH_MAX bytes).
std::string_view dotted(std::string_view Rel, char *Out) {
  size_t N = std::min(Rel.size(), size_t(PATH_MAX - 1));
  for (size_t I = 0; I < N; ++I)
    Out[I] = Rel[I] == '/' ? '.' : Rel[I];
  return {Out, N};
}

// The directory of a package or namespace package entry.
std::string_view packageDir(const pyox_entry *E) {
  std::string_view Path = pathOf(E);
  if (E->kind == PYOX_KIND_PACKAGE) {
    size_t Slash = Path.rfind('/');
    return Slash == std::string_view::npos ? std::string_view()
                                           : Path.substr(0, Slash);
  }
  return Path;
}

bool isPackageDir(std::string_view Rel) {
  char Buf[PATH_MAX];
  const pyox_entry *E = find(PYOX_GROUP_MODULE, dotted(Rel, Buf));
  return E &&
         (E->kind == PYOX_KIND_PACKAGE || E->kind == PYOX_KIND_NAMESPACE) &&
         packageDir(E) == Rel;
}

bool hasPrefix(uint32_t Group, std::string_view Prefix) {
  return pyox_payload_lower_bound(TheMount.P, Group, Prefix.data(),
                                  Prefix.size()) !=
         TheMount.P->header->entry_count;
}

// The source entry whose file is REL ("a/b.py" or "a/__init__.py").
const pyox_entry *sourceAt(std::string_view Rel) {
  if (Rel.size() <= 3 || Rel.substr(Rel.size() - 3) != ".py")
    return nullptr;
  std::string_view Stem = Rel.substr(0, Rel.size() - 3);
  if (Stem == "__init__")
    return nullptr;
  if (Stem.size() > 9 && Stem.substr(Stem.size() - 9) == "/__init__")
    Stem = Stem.substr(0, Stem.size() - 9);
  char Buf[PATH_MAX];
  const pyox_entry *E = find(PYOX_GROUP_SOURCE, dotted(Stem, Buf));
  return E && pathOf(E) == Rel ? E : nullptr;
}

// The extension module entry whose file is REL.
const pyox_entry *extensionAt(std::string_view Rel) {
  size_t Slash = Rel.rfind('/');
  size_t BaseStart = Slash == std::string_view::npos ? 0 : Slash + 1;
  size_t Dot = Rel.find('.', BaseStart);
  if (Dot == std::string_view::npos || Dot == BaseStart)
    return nullptr;
  char Buf[PATH_MAX];
  const pyox_entry *E =
      find(PYOX_GROUP_MODULE, dotted(Rel.substr(0, Dot), Buf));
  return E && E->kind == PYOX_KIND_EXTENSION && pathOf(E) == Rel ? E : nullptr;
}

} // namespace

uint64_t dirIno(const char *Rel, size_t Len) {
  uint64_t H = pyox_name_hash(0xd, Rel, Len);
  return (H & ~(uint64_t(3) << 62)) | (uint64_t(1) << 62);
}

Node lookup(const char *RelP, size_t Len) {
  std::string_view Rel(RelP, Len);
  if (Rel.empty())
    return dirNode(Rel);
  if (Rel == InterpreterRel) {
    Node N;
    N.Kind = NodeKind::File;
    N.Executable = N.Interpreter = true;
    N.Ino = uint64_t(TheMount.RootStat.st_ino);
    return N;
  }
  if (Rel == InterpreterDir)
    return dirNode(Rel);
  if (const pyox_entry *E = find(PYOX_GROUP_RESOURCE, Rel))
    return fileNode(E, Rel);
  if (const pyox_entry *E = find(PYOX_GROUP_METADATA, Rel))
    return fileNode(E, Rel);
  if (const pyox_entry *E = sourceAt(Rel))
    return fileNode(E, Rel);
  if (const pyox_entry *E = extensionAt(Rel))
    return fileNode(E, Rel);
  if (isPackageDir(Rel))
    return dirNode(Rel);
  char Prefix[PATH_MAX];
  if (Len + 1 < sizeof(Prefix)) {
    memcpy(Prefix, RelP, Len);
    Prefix[Len] = '/';
    std::string_view P(Prefix, Len + 1);
    if (hasPrefix(PYOX_GROUP_RESOURCE, P) || hasPrefix(PYOX_GROUP_METADATA, P))
      return dirNode(Rel);
  }
  return Node();
}

namespace {

// After a failed lookup of R.Rel: ENOTDIR when a leading component is a
// file, else ENOENT (ParentExists when the parent is a directory).
void setMissing(Resolved &R) {
  R.Where = Resolved::Error;
  R.Errno = ENOENT;
  size_t Len = R.RelLen;
  bool Parent = true;
  while (true) {
    size_t Cut = Len;
    while (Cut > 0 && R.Rel[Cut - 1] != '/')
      --Cut;
    Len = Cut > 0 ? Cut - 1 : 0;
    Node N = lookup(R.Rel, Len);
    if (N.Kind == NodeKind::File) {
      R.Errno = ENOTDIR;
      return;
    }
    if (N.Kind == NodeKind::Dir) {
      R.ParentExists = Parent;
      return;
    }
    Parent = false;
    if (Len == 0)
      return;
  }
}

// Normalises TAIL (what follows ROOT, starting with '/' or empty) into
// R.Rel and looks it up.
void resolveTail(const char *Tail, Resolved &R) {
  const Mount &M = TheMount;
  R.Where = Resolved::Inside;
  R.RelLen = 0;
  R.Rel[0] = '\0';
  bool MustBeDir = false;
  const char *S = Tail;
  while (*S) {
    while (*S == '/')
      ++S;
    if (!*S) {
      MustBeDir = R.RelLen > 0 || S != Tail;
      break;
    }
    const char *E = strchrnul(S, '/');
    size_t L = size_t(E - S);
    MustBeDir = false;
    if (L == 1 && S[0] == '.') {
      MustBeDir = true;
      S = E;
      continue;
    }
    if (L == 2 && S[0] == '.' && S[1] == '.') {
      if (R.RelLen == 0) {
        // ROOT/..: the directory ROOT is in, a real one.
        size_t Rest = strlen(E);
        size_t P = M.ParentLen ? M.ParentLen : 1;
        if (P + Rest + 1 > sizeof(R.Buffer)) {
          R.Where = Resolved::Error;
          R.Errno = ENAMETOOLONG;
          return;
        }
        memcpy(R.Buffer, M.Root, P);
        memcpy(R.Buffer + P, E, Rest + 1);
        R.Where = Resolved::Outside;
        R.OutsidePath = R.Buffer;
        return;
      }
      Node N = lookup(R.Rel, R.RelLen);
      if (N.Kind != NodeKind::Dir) {
        setMissing(R);
        if (N.Kind == NodeKind::File)
          R.Errno = ENOTDIR;
        return;
      }
      while (R.RelLen > 0 && R.Rel[R.RelLen - 1] != '/')
        --R.RelLen;
      if (R.RelLen > 0)
        --R.RelLen;
      R.Rel[R.RelLen] = '\0';
      MustBeDir = true;
      S = E;
      continue;
    }
    if (R.RelLen + 1 + L + 1 > sizeof(R.Rel)) {
      R.Where = Resolved::Error;
      R.Errno = ENAMETOOLONG;
      return;
    }
    if (R.RelLen)
      R.Rel[R.RelLen++] = '/';
    memcpy(R.Rel + R.RelLen, S, L);
    R.RelLen += L;
    R.Rel[R.RelLen] = '\0';
    S = E;
  }
  R.TrailingSlash = MustBeDir;
  R.N = lookup(R.Rel, R.RelLen);
  if (R.N.Kind == NodeKind::None) {
    setMissing(R);
    return;
  }
  if (MustBeDir && R.N.Kind == NodeKind::File) {
    R.Where = Resolved::Error;
    R.Errno = ENOTDIR;
  }
}

// A path under a --host-data path the system lacks: the packed copy, as
// ROOT/PYOX_HOST_DATA_DIR/PATH. Anything else, ".." out of it included,
// stays outside.
void resolveHostData(const char *Path, Resolved &R) {
  const Mount &M = TheMount;
  for (unsigned I = 0; I < M.HostDataCount; ++I) {
    size_t L = M.HostDataLen[I];
    if (strncmp(Path, M.HostData[I], L) != 0 ||
        (Path[L] != '/' && Path[L] != '\0'))
      continue;
    constexpr size_t DirLen = sizeof(PYOX_HOST_DATA_DIR) - 1;
    char Tail[PATH_MAX];
    size_t N = strlen(Path);
    if (1 + DirLen + N + 1 > sizeof(Tail))
      return;
    Tail[0] = '/';
    memcpy(Tail + 1, PYOX_HOST_DATA_DIR, DirLen);
    memcpy(Tail + 1 + DirLen, Path, N + 1);
    resolveTail(Tail, R);
    // Still below the host path (REL is "DIR/host/path[/...]")?
    if (R.RelLen >= DirLen + L &&
        memcmp(R.Rel + DirLen, M.HostData[I], L) == 0 &&
        (R.Rel[DirLen + L] == '/' || R.Rel[DirLen + L] == '\0'))
      return;
    R.Where = Resolved::Outside;
    R.OutsidePath = Path;
    return;
  }
}

} // namespace

void findMissingHostData(const pyox_payload *P, Mount &M) {
  const char *Name = PYOX_HOST_DATA_ROOTS;
  const pyox_entry *E =
      pyox_payload_find(P, PYOX_GROUP_RESOURCE, Name, strlen(Name));
  // A damaged list serves nothing (the checksum error shows when the
  // tree's files are read).
  if (!E || E->flags != 0 || pyox_entry_verify(P, E) != 0)
    return;
  const char *Data = reinterpret_cast<const char *>(pyox_entry_data(P, E));
  const char *End = Data + E->data_size;
  while (Data < End && M.HostDataCount < Mount::MaxHostData) {
    const char *Line = Data;
    const char *Eol = static_cast<const char *>(memchr(Line, '\n', End - Line));
    if (!Eol)
      break;
    Data = Eol + 1;
    size_t L = size_t(Eol - Line);
    char Path[PATH_MAX];
    if (L < 2 || L >= sizeof(Path) || Line[0] != '/')
      continue;
    memcpy(Path, Line, L);
    Path[L] = '\0';
    struct stat St;
    // The C library's stat: the tree is not mounted yet.
    if (stat(Path, &St) == 0 || (errno != ENOENT && errno != ENOTDIR))
      continue;
    M.HostData[M.HostDataCount] = Line;
    M.HostDataLen[M.HostDataCount++] = L;
  }
}

void resolve(const char *Path, bool AsDir, Resolved &R) {
  R.Where = Resolved::Outside;
  R.OutsidePath = Path;
  R.ParentExists = false;
  R.TrailingSlash = false;
  R.Errno = 0;
  const Mount &M = TheMount;
  if (!Path || Path[0] != '/' || !mounted())
    return;
  if (strncmp(Path, M.Root, M.RootLen) != 0) {
    if (M.HostDataCount)
      resolveHostData(Path, R);
    return;
  }
  char C = Path[M.RootLen];
  if (C == '\0' && !AsDir)
    return;
  if (C != '\0' && C != '/')
    return;
  resolveTail(Path + M.RootLen, R);
}

void resolveAt(const char *DirRel, size_t DirRelLen, const char *Path,
               Resolved &R) {
  if (Path[0] == '/') {
    resolve(Path, false, R);
    return;
  }
  char Tail[PATH_MAX];
  size_t L = strlen(Path);
  R.Where = Resolved::Outside;
  R.OutsidePath = Path;
  R.ParentExists = false;
  R.TrailingSlash = false;
  if (DirRelLen + L + 3 > sizeof(Tail)) {
    R.Where = Resolved::Error;
    R.Errno = ENAMETOOLONG;
    return;
  }
  Tail[0] = '/';
  memcpy(Tail + 1, DirRel, DirRelLen);
  Tail[1 + DirRelLen] = '/';
  memcpy(Tail + 2 + DirRelLen, Path, L + 1);
  resolveTail(Tail, R);
}

void fillStat(const Node &N, struct stat &St) {
  const struct stat &Exe = TheMount.RootStat;
  if (N.Interpreter) {
    St = Exe; // the program itself
    return;
  }
  memset(&St, 0, sizeof(St));
  St.st_dev = Exe.st_dev;
  St.st_ino = N.Ino;
  St.st_uid = Exe.st_uid;
  St.st_gid = Exe.st_gid;
  St.st_blksize = 4096;
  if (N.Kind == NodeKind::Dir) {
    St.st_mode = S_IFDIR | 0555;
    St.st_nlink = 2;
    St.st_size = 4096;
  } else {
    St.st_mode = S_IFREG | (N.Executable ? 0555 : 0444);
    St.st_nlink = 1;
    St.st_size = off_t(pyox_entry_content_size(N.Entry)); // a .py: unpacked
  }
  St.st_blocks = (St.st_size + 4095) / 4096 * 8;
  // The times of the program file: fixed when it was built, and what a
  // cache keyed by mtime (jinja2's auto_reload, linecache) should see.
  St.st_atim = Exe.st_mtim;
  St.st_mtim = Exe.st_mtim;
  St.st_ctim = Exe.st_mtim;
}

std::vector<DirItem> list(const char *RelP, size_t Len) {
  const pyox_payload *P = TheMount.P;
  std::string_view Rel(RelP, Len);
  std::vector<DirItem> Items;
  std::string Prefix(Rel);
  if (!Prefix.empty())
    Prefix += '/';
  auto AddDir = [&](std::string_view Name) {
    std::string Path = Prefix + std::string(Name);
    Items.push_back(
        {std::string(Name), dirIno(Path.data(), Path.size()), true});
  };
  auto AddFile = [&](std::string_view Name, const pyox_entry *E) {
    Items.push_back({std::string(Name), fileIno(E), false});
  };
  uint32_t Count = P->header->entry_count;
  for (uint32_t G : {PYOX_GROUP_RESOURCE, PYOX_GROUP_METADATA}) {
    for (uint32_t I =
             pyox_payload_lower_bound(P, G, Prefix.data(), Prefix.size());
         I < Count; ++I) {
      const pyox_entry *E = pyox_payload_entry(P, I);
      if (!E)
        break;
      std::string_view Name = nameOf(E);
      if (pyox_kind_group(E->kind) != G ||
          Name.substr(0, Prefix.size()) != Prefix)
        break;
      std::string_view Rest = Name.substr(Prefix.size());
      size_t Slash = Rest.find('/');
      if (Slash == std::string_view::npos)
        AddFile(Rest, E);
      else
        AddDir(Rest.substr(0, Slash));
    }
  }
  // The interpreter, ROOT/bin/python3.
  if (Rel.empty())
    AddDir(InterpreterDir);
  else if (Rel == InterpreterDir)
    Items.push_back({"python3", uint64_t(TheMount.RootStat.st_ino), false});
  // Modules show as their files: a package as its directory (and its
  // __init__.py when the source is packed), an extension module as its
  // shared object, a plain module as its source.
  char Buf[PATH_MAX];
  std::string Package(dotted(Rel, Buf));
  if (!Package.empty())
    if (const pyox_entry *S = find(PYOX_GROUP_SOURCE, Package);
        S && pathOf(S) == Prefix + "__init__.py")
      AddFile("__init__.py", S);
  std::string ModPrefix = Package.empty() ? Package : Package + ".";
  for (uint32_t I = pyox_payload_lower_bound(
           P, PYOX_GROUP_MODULE, ModPrefix.data(), ModPrefix.size());
       I < Count; ++I) {
    const pyox_entry *E = pyox_payload_entry(P, I);
    if (!E)
      break;
    std::string_view Name = nameOf(E);
    if (pyox_kind_group(E->kind) != PYOX_GROUP_MODULE ||
        Name.substr(0, ModPrefix.size()) != ModPrefix)
      break;
    std::string_view Rest = Name.substr(ModPrefix.size());
    if (Rest.empty() || Rest.find('.') != std::string_view::npos)
      continue;
    std::string_view Path =
        E->kind == PYOX_KIND_PACKAGE || E->kind == PYOX_KIND_NAMESPACE
            ? packageDir(E)
            : pathOf(E);
    size_t Slash = Path.rfind('/');
    std::string_view Dir = Slash == std::string_view::npos
                               ? std::string_view()
                               : Path.substr(0, Slash);
    std::string_view Base =
        Slash == std::string_view::npos ? Path : Path.substr(Slash + 1);
    if (Dir != Rel || Base.empty())
      continue;
    if (E->kind == PYOX_KIND_PACKAGE || E->kind == PYOX_KIND_NAMESPACE)
      AddDir(Base);
    else if (E->kind == PYOX_KIND_EXTENSION)
      AddFile(Base, E);
    else if (const pyox_entry *S = find(PYOX_GROUP_SOURCE, Name);
             S && pathOf(S) == Path)
      AddFile(Base, S);
  }
  std::sort(Items.begin(), Items.end(),
            [](const DirItem &A, const DirItem &B) { return A.Name < B.Name; });
  Items.erase(std::unique(Items.begin(), Items.end(),
                          [](const DirItem &A, const DirItem &B) {
                            return A.Name == B.Name;
                          }),
              Items.end());
  // "." and ".." first, as readdir returns them. ROOT's parent is a real
  // directory: its inode is the real one.
  uint64_t Self = dirIno(RelP, Len);
  uint64_t Parent = TheMount.RootStat.st_ino;
  if (Len > 0) {
    size_t Slash = Rel.rfind('/');
    Parent =
        Slash == std::string_view::npos ? dirIno("", 0) : dirIno(RelP, Slash);
  }
  Items.insert(Items.begin(), {{".", Self, true}, {"..", Parent, true}});
  return Items;
}

void fatalDamaged(const pyox_entry *E) {
  // The importer's message for the same condition (Importer.cpp).
  std::string_view Name = nameOf(E);
  std::string Msg = "pyox: ";
  Msg.append(TheMount.Root, TheMount.RootLen);
  Msg += ": payload entry '";
  Msg += Name;
  Msg += "' is damaged (checksum mismatch); rebuild the program\n";
  ssize_t W = write(2, Msg.data(), Msg.size());
  (void)W;
  _exit(1);
}

// --- DT_NEEDED of a bundled shared object -------------------------------

namespace {

// Bounds-checked reads of an ELF64 little-endian image held in memory.
struct ElfView {
  const uint8_t *Data;
  uint64_t Size;
  template <class T> bool read(uint64_t Off, T &Out) const {
    if (Off > Size || sizeof(T) > Size - Off)
      return false;
    memcpy(&Out, Data + Off, sizeof(T));
    return true;
  }
  // File offset of virtual address ADDR through the PT_LOAD segments.
  bool offsetOf(const Elf64_Ehdr &H, uint64_t Addr, uint64_t &Off) const {
    for (unsigned I = 0; I < H.e_phnum; ++I) {
      Elf64_Phdr Ph;
      if (!read(H.e_phoff + uint64_t(I) * sizeof(Ph), Ph))
        return false;
      if (Ph.p_type == PT_LOAD && Addr >= Ph.p_vaddr &&
          Addr - Ph.p_vaddr < Ph.p_filesz) {
        Off = Ph.p_offset + (Addr - Ph.p_vaddr);
        return true;
      }
    }
    return false;
  }
  std::string_view string(uint64_t Table, uint64_t TableSize,
                          uint64_t Index) const {
    if (Index >= TableSize || Table > Size || TableSize > Size - Table)
      return {};
    const char *S = reinterpret_cast<const char *>(Data + Table + Index);
    size_t Max = size_t(TableSize - Index);
    return {S, strnlen(S, Max)};
  }
};

} // namespace

void forEachBundledNeeded(const uint8_t *Image, uint64_t Size, const char *Rel,
                          size_t RelLen,
                          void (*Fn)(const char *, size_t, void *), void *Ctx) {
  ElfView V{Image, Size};
  Elf64_Ehdr H;
  if (!V.read(0, H) || memcmp(H.e_ident, ELFMAG, SELFMAG) != 0 ||
      H.e_ident[EI_CLASS] != ELFCLASS64 || H.e_ident[EI_DATA] != ELFDATA2LSB ||
      H.e_phentsize != sizeof(Elf64_Phdr))
    return;
  uint64_t DynOff = 0, DynSize = 0;
  for (unsigned I = 0; I < H.e_phnum; ++I) {
    Elf64_Phdr Ph;
    if (!V.read(H.e_phoff + uint64_t(I) * sizeof(Ph), Ph))
      return;
    if (Ph.p_type == PT_DYNAMIC) {
      DynOff = Ph.p_offset;
      DynSize = Ph.p_filesz;
    }
  }
  uint64_t StrAddr = 0, StrSize = 0, RunPath = ~0ull, RPath = ~0ull;
  std::vector<uint64_t> Needed;
  for (uint64_t Off = DynOff;
       DynSize && Off + sizeof(Elf64_Dyn) <= DynOff + DynSize;
       Off += sizeof(Elf64_Dyn)) {
    Elf64_Dyn D;
    if (!V.read(Off, D) || D.d_tag == DT_NULL)
      break;
    switch (D.d_tag) {
    case DT_STRTAB:
      StrAddr = D.d_un.d_ptr;
      break;
    case DT_STRSZ:
      StrSize = D.d_un.d_val;
      break;
    case DT_NEEDED:
      Needed.push_back(D.d_un.d_val);
      break;
    case DT_RUNPATH:
      RunPath = D.d_un.d_val;
      break;
    case DT_RPATH:
      RPath = D.d_un.d_val;
      break;
    }
  }
  uint64_t StrOff;
  if (Needed.empty() || !V.offsetOf(H, StrAddr, StrOff))
    return;
  // ld.so: DT_RPATH only when there is no DT_RUNPATH (LD_LIBRARY_PATH and
  // the system directories cannot be inside the tree).
  uint64_t Search = RunPath != ~0ull ? RunPath : RPath;
  std::string_view Dirs =
      Search != ~0ull ? V.string(StrOff, StrSize, Search) : std::string_view();
  std::string_view RelV(Rel, RelLen);
  size_t Slash = RelV.rfind('/');
  std::string Origin(TheMount.Root, TheMount.RootLen);
  if (Slash != std::string_view::npos) {
    Origin += '/';
    Origin += RelV.substr(0, Slash);
  }
  for (uint64_t N : Needed) {
    std::string_view Name = V.string(StrOff, StrSize, N);
    if (Name.empty())
      continue;
    std::vector<std::string> Candidates;
    if (Name.find('/') != std::string_view::npos) {
      Candidates.push_back(std::string(Name));
    } else {
      size_t Start = 0;
      while (Start <= Dirs.size() && !Dirs.empty()) {
        size_t End = Dirs.find(':', Start);
        if (End == std::string_view::npos)
          End = Dirs.size();
        std::string Dir(Dirs.substr(Start, End - Start));
        for (const char *Token : {"${ORIGIN}", "$ORIGIN"}) {
          size_t At;
          while ((At = Dir.find(Token)) != std::string::npos)
            Dir.replace(At, strlen(Token), Origin);
        }
        if (!Dir.empty())
          Candidates.push_back(Dir + "/" + std::string(Name));
        Start = End + 1;
      }
      // Last, where pack puts the libraries it carries from the build host
      // (lib/Pack/SharedLibraries.h): found there, the copy in memory
      // satisfies the soname before ld.so would search the system.
      Candidates.push_back(std::string(TheMount.Root, TheMount.RootLen) +
                           "/" PYOX_CARRIED_LIBS_DIR "/" + std::string(Name));
    }
    for (const std::string &C : Candidates) {
      Resolved R;
      resolve(C.c_str(), false, R);
      if (R.Where == Resolved::Inside && R.N.Kind == NodeKind::File) {
        Fn(R.Rel, R.RelLen, Ctx);
        break;
      }
    }
  }
}

} // namespace pyox::vfs
