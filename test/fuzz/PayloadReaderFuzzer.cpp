//===- PayloadReaderFuzzer.cpp - libFuzzer target for the payload reader --===//
//
// The reader runs on untrusted bytes inside users' programs. The fuzzer feeds
// it arbitrary input through every entry point a consumer uses: open, the
// full verify, lookups of names taken from the input itself, prefix scans,
// and per-entry data checks. Any out-of-bounds access is an ASan finding.
//
// Random mutations almost never keep a CRC32C right, and a reader that stops
// at the index checksum hides everything behind it from the fuzzer. So each
// input runs twice: as it is, and with its checksums repaired (every entry's
// data_crc where the entry's data lies inside the input, then index_crc), as
// a malicious payload would carry them.
//
//===----------------------------------------------------------------------===//

#include "PayloadRepair.h"

#include "pyox/payload.h"

#include <cstddef>

#include <cstdlib>
#include <cstring>
#include <vector>

static void ignoreDamage(const pyox_payload *, const char *) {}

// What the runtime does: a lazy open, then entries through the checked
// accessors only (each chunk is checked when first touched).
static void readLazily(const void *Data, size_t Size) {
  pyox_payload P;
  const char *Error = nullptr;
  if (pyox_payload_open_lazy(&P, Data, Size, ignoreDamage, &Error) != 0)
    return;
  for (uint32_t I = 0; I < P.header->entry_count; ++I) {
    const pyox_entry *E = pyox_payload_entry(&P, I);
    if (!E)
      continue;
    const char *Name = pyox_entry_name(&P, E);
    uint32_t Group = pyox_kind_group(E->kind);
    if (const pyox_entry *Found =
            pyox_payload_find(&P, Group, Name, E->name_size))
      pyox_entry_verify(&P, Found);
    pyox_payload_lower_bound(&P, Group, Name, E->name_size / 2);
    (void)pyox_entry_path(&P, E);
  }
  pyox_payload_find(&P, PYOX_GROUP_MODULE, "encodings", 9);
  pyox_payload_close(&P);
}

static void readAll(const void *Data, size_t Size) {
  readLazily(Data, Size);
  pyox_payload P;
  const char *Error = nullptr;
  if (pyox_payload_open(&P, Data, Size, &Error) != 0)
    return;
  char Message[256];
  if (pyox_payload_verify_all(&P, Message, sizeof Message) == 0)
    pyox_payload_verify_compressed(&P, Message, sizeof Message);
  for (uint32_t I = 0; I < P.header->entry_count; ++I) {
    const pyox_entry *E = &P.entries[I];
    const char *Name = pyox_entry_name(&P, E);
    uint32_t Group = pyox_kind_group(E->kind);
    const pyox_entry *Found = pyox_payload_find(&P, Group, Name, E->name_size);
    if (Found)
      pyox_entry_verify(&P, Found);
    pyox_payload_lower_bound(&P, Group, Name, E->name_size / 2);
    (void)pyox_entry_path(&P, E);
  }
  pyox_payload_find(&P, PYOX_GROUP_MODULE, "encodings", 9);
  pyox_payload_lower_bound(&P, PYOX_GROUP_RESOURCE, "", 0);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  // The reader requires 8-byte alignment (the loader maps sections aligned);
  // a copy gives that and an exact-size allocation for ASan to guard.
  std::vector<uint64_t> Aligned((Size + 7) / 8);
  uint8_t *Bytes = reinterpret_cast<uint8_t *>(Aligned.data());
  if (Size)
    std::memcpy(Bytes, Data, Size);
  readAll(Bytes, Size);
  repairChecksums(Bytes, Size);
  readAll(Bytes, Size);
  return 0;
}
