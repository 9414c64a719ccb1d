//===- LocateWindows.cpp - Find a payload in the running PE image ---------===//
//
// A PE image carries its payloads in a section named .pyox (pyox/section.h)
// that the Windows loader maps read-only with the rest of the image. Which
// image? The module containing the caller's address:
// GetModuleHandleExW(FROM_ADDRESS | UNCHANGED_REFCOUNT) gives its handle,
// which is the address it is loaded at, where its headers are mapped (PE/COFF
// spec 3: DOS header, e_lfanew, "PE\0\0", file header, optional header, then
// the section table). The section's VirtualAddress is an RVA from that base.
//
// The headers are the loader's, but the section contents are only as good as
// the file: the directory and every payload range are checked against the
// section's mapped size (and that against SizeOfImage) before they are read.
// No allocation, no I/O.
//
//===----------------------------------------------------------------------===//

#include "pyox/runtime.h"

#include "pyox/section.h"

#include <windows.h>

#include <string.h>

namespace {

uint32_t readU32(const uint8_t *P) {
  uint32_t V;
  memcpy(&V, P, 4);
  return V;
}

uint16_t readU16(const uint8_t *P) {
  uint16_t V;
  memcpy(&V, P, 2);
  return V;
}

int fail(int Result, const char *Message, const char **Error) {
  if (Error)
    *Error = Message;
  return Result;
}

// The mapped bytes of section .pyox of the module at BASE, or NULL.
const uint8_t *findSection(const uint8_t *Base, uint64_t *Size) {
  // The loader checked these headers when it mapped the module.
  uint32_t PeOffset = readU32(Base + 0x3c);
  const uint8_t *FileHeader = Base + PeOffset + 4;
  uint16_t NumSections = readU16(FileHeader + 2);
  uint16_t OptionalSize = readU16(FileHeader + 16);
  const uint8_t *Optional = FileHeader + 20;
  uint32_t SizeOfImage = readU32(Optional + 56);
  const uint8_t *Table = Optional + OptionalSize;
  for (uint16_t I = 0; I < NumSections; ++I) {
    const uint8_t *S = Table + 40u * I;
    if (memcmp(S, PYOX_PE_SECTION, sizeof(PYOX_PE_SECTION)) != 0)
      continue; // the name is NUL-padded to 8 bytes
    uint32_t VirtualSize = readU32(S + 8);
    uint32_t Rva = readU32(S + 12);
    if (Rva > SizeOfImage || VirtualSize > SizeOfImage - Rva)
      return nullptr;
    *Size = VirtualSize;
    return Base + Rva;
  }
  return nullptr;
}

} // namespace

extern "C" int pyox_find_payload(const char *name, const void *caller_address,
                                 const void **data, size_t *size,
                                 const char **error) {
  const char *Name = name ? name : PYOX_DEFAULT_PAYLOAD_NAME;
  size_t NameSize = strlen(Name);
  HMODULE Module = nullptr;
  if (!caller_address)
    Module = GetModuleHandleW(nullptr);
  else if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                                   GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                               static_cast<LPCWSTR>(caller_address), &Module))
    Module = nullptr;
  if (!Module)
    return fail(PYOX_FIND_NOT_FOUND, "pyox: the address is in no loaded image",
                error);
  uint64_t SectionSize = 0;
  const uint8_t *Section =
      findSection(reinterpret_cast<const uint8_t *>(Module), &SectionSize);
  if (!Section)
    return fail(PYOX_FIND_NOT_FOUND,
                "pyox: no embedded payload of that name in this image", error);
  return pyox_section_find(Section, SectionSize, Name, NameSize, data, size,
                           error);
}
