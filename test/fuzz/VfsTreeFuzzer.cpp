//===- VfsTreeFuzzer.cpp - libFuzzer target for the VFS's tree ------------===//
//
// The VFS answers path questions from a payload's index inside users'
// programs (runtime/lib/VfsTree.cpp). The fuzzer mounts each input payload
// (opened lazily, as the runtime does; as it is, and with its checksums
// repaired) and asks about paths made
// from the payload's own names: as they are, under "..", "." and trailing
// slashes, cut at every '/', and with an entry's name appended to another;
// it lists every directory it finds and reads the DT_NEEDED entries of
// every file as a bundled shared object would be read. Any out-of-bounds
// access is an ASan finding.
//
//===----------------------------------------------------------------------===//

#include "PayloadRepair.h"

#include "../../runtime/lib/Vfs.h"

#include <cstring>
#include <string>
#include <vector>

using namespace pyox::vfs;

namespace {

void neededSink(const char *Rel, size_t Len, void *Ctx) {
  Resolved *R = static_cast<Resolved *>(Ctx);
  (void)lookup(Rel, Len);
  (void)R;
}

void ask(const std::string &Rel) {
  Resolved R;
  std::string Path = std::string(TheMount.Root) + "/" + Rel;
  resolve(Path.c_str(), false, R);
  if (R.Where != Resolved::Inside)
    return;
  if (R.N.Kind == NodeKind::Dir) {
    for (const DirItem &I : list(R.Rel, R.RelLen))
      (void)lookup(I.Name.data(), I.Name.size());
  } else if (R.N.Kind == NodeKind::File) {
    struct stat St;
    fillStat(R.N, St);
    // The entry's bytes as stored: what the ELF reader sees of a raw one.
    if (R.N.Entry)
      forEachBundledNeeded(pyox_entry_data(TheMount.P, R.N.Entry),
                           R.N.Entry->data_size, R.Rel, R.RelLen, neededSink,
                           &R);
  }
  resolveAt(R.Rel, R.RelLen, "../x/./y/", R);
}

void walk(const pyox_payload &P) {
  TheMount.RootLen = strlen(strcpy(TheMount.Root, "/fuzz/program"));
  TheMount.ParentLen = 5;
  memset(&TheMount.RootStat, 0, sizeof TheMount.RootStat);
  __atomic_store_n(&TheMount.P, &P, __ATOMIC_RELEASE);
  ask("");
  for (uint32_t I = 0; I < P.header->entry_count && I < 256; ++I) {
    const pyox_entry *E = pyox_payload_entry(&P, I);
    if (!E)
      continue;
    std::string Name(pyox_entry_name(&P, E), E->name_size);
    std::string Path(pyox_entry_path(&P, E), E->path_size);
    for (const std::string &S : {Name, Path}) {
      ask(S);
      ask(S + "/");
      ask(S + "/..");
      ask("./" + S + "/../" + S);
      for (size_t Slash = S.find('/'); Slash != std::string::npos;
           Slash = S.find('/', Slash + 1))
        ask(S.substr(0, Slash));
    }
    if (const pyox_entry *Prev =
            I > 0 ? pyox_payload_entry(&P, I - 1) : nullptr)
      ask(Path + "/" + std::string(pyox_entry_name(&P, Prev), Prev->name_size));
  }
  __atomic_store_n(&TheMount.P, nullptr, __ATOMIC_RELEASE);
}

void ignoreDamage(const pyox_payload *, const char *) {}

// As the runtime mounts it: opened lazily, chunks checked on first use.
void mountAndWalk(const void *Data, size_t Size) {
  pyox_payload P;
  const char *Error = nullptr;
  if (pyox_payload_open_lazy(&P, Data, Size, ignoreDamage, &Error) == 0) {
    walk(P);
    pyox_payload_close(&P);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  std::vector<uint64_t> Aligned((Size + 7) / 8);
  uint8_t *Bytes = reinterpret_cast<uint8_t *>(Aligned.data());
  if (Size)
    std::memcpy(Bytes, Data, Size);
  mountAndWalk(Bytes, Size);
  repairChecksums(Bytes, Size);
  mountAndWalk(Bytes, Size);
  return 0;
}
