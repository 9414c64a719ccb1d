//===- ElfImage.h - ELF files as pyox reads and rewrites them -------------===//
//
// The model for post-link injection (docs/elf-injection.md). A linked ELF
// file is read, with LLVM's bounds-checked ELFFile, into an ElfImage: its
// program headers, its section headers, and the pyox parts already in it
// (the segment a previous injection appended, and every PYOX payload note,
// including those a link-time object put there). ElfInjector.cpp turns an
// image plus the wanted set of payloads into a new file.
//
// Every field is widened to 64 bits; Is64 says how to write it back. Only
// little-endian files of the machines in isSupportedMachine are accepted.
//
//===----------------------------------------------------------------------===//

#ifndef PYOX_ELF_ELFIMAGE_H
#define PYOX_ELF_ELFIMAGE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
}

namespace pyox {
namespace elf {

struct Segment {
  uint32_t Type = 0;
  uint32_t Flags = 0;
  uint64_t Offset = 0;
  uint64_t VAddr = 0;
  uint64_t PAddr = 0;
  uint64_t FileSize = 0;
  uint64_t MemSize = 0;
  uint64_t Align = 0;
};

struct Section {
  std::string Name;
  uint32_t NameOffset = 0;
  uint32_t Type = 0;
  uint64_t Flags = 0;
  uint64_t Addr = 0;
  uint64_t Offset = 0;
  uint64_t Size = 0;
  uint32_t Link = 0;
  uint32_t Info = 0;
  uint64_t AddrAlign = 0;
  uint64_t EntSize = 0;
  bool Pyox = false; // written by pyox-inject (.note.pyox, .pyox*)
};

// A payload described by a PYOX note somewhere in the file.
struct PayloadRef {
  std::string Name;
  uint64_t FileOffset = 0; // of the payload bytes
  uint64_t Size = 0;       // bytes reserved (the note's payload_size)
  uint64_t NoteDescOffset = 0;
  uint64_t NoteTypeOffset = 0; // of the note header's n_type field
  bool PostLink = false;       // in the segment pyox-inject appended
};

struct Image {
  llvm::StringRef Bytes;
  std::string FileName;
  bool Is64 = true;
  uint16_t Type = 0;    // e_type
  uint16_t Machine = 0; // e_machine
  uint16_t EhSize = 0;
  uint64_t PhOff = 0;
  uint64_t ShOff = 0;
  uint32_t ShStrNdx = 0;
  uint64_t PageSize = 0x1000; // largest PT_LOAD alignment, at least 4 KiB
  std::vector<Segment> Segments;
  std::vector<Section> Sections; // with the null section at index 0
  std::vector<PayloadRef> Payloads;
  // The PT_LOAD of a previous post-link injection, if any.
  std::optional<size_t> PyoxLoad;
  // e_phoff/e_phnum before the first injection (PYOX_NOTE_ORIGINAL_LAYOUT).
  std::optional<uint64_t> OriginalPhOff;
  uint32_t OriginalPhNum = 0;
  bool AddedPhdrEntry = false; // PYOX_LAYOUT_ADDED_PHDR
  uint64_t OriginalEnd = 0;    // original bytes kept before the segment

  size_t phdrSize() const { return Is64 ? 56 : 32; }
  size_t shdrSize() const { return Is64 ? 64 : 40; }
};

// Reads Buffer as a linked ELF file (executable or shared object). Errors
// name the file: not ELF, truncated or malformed headers, unsupported class,
// byte order or machine, inconsistent pyox notes.
llvm::Expected<Image> readImage(llvm::MemoryBufferRef Buffer);

// True when the buffer starts with the ELF magic (whatever else it holds).
bool isElf(llvm::StringRef Bytes);

// The file contents of the (first) section called Name that has bytes in
// the file; none when there is none (absent, SHT_NOBITS, outside the file).
std::optional<llvm::StringRef> sectionContents(const Image &Img,
                                               llvm::StringRef Name);

// Writes a payload's bytes to a stream, once.
using PayloadWriter = llvm::function_ref<llvm::Error(llvm::raw_ostream &)>;

// A payload to place in the output: name and bytes, or (Write set) the
// StreamSize bytes Write writes, streamed into the output from where their
// parts are rather than held whole.
struct PayloadInput {
  PayloadInput(std::string Name, llvm::ArrayRef<uint8_t> Bytes)
      : Name(std::move(Name)), Bytes(Bytes) {}
  PayloadInput(std::string Name, uint64_t Size, PayloadWriter Write)
      : Name(std::move(Name)), StreamSize(Size), Write(Write) {}
  std::string Name;
  llvm::ArrayRef<uint8_t> Bytes;
  uint64_t StreamSize = 0;
  PayloadWriter Write;
  uint64_t size() const { return Write ? StreamSize : Bytes.size(); }
};

// The file a set of payloads gives: computed by planOutput, written by
// writeOutput. Kept apart so that tests can check the plan.
struct OutputPlan {
  std::vector<uint8_t> Header; // the ELF header as it is written
  uint64_t KeepEnd = 0;        // input bytes [0, KeepEnd) are copied
  uint64_t SegmentOffset = 0;  // 0: no pyox segment
  uint64_t SegmentVAddr = 0;
  std::vector<uint8_t> SegmentHead; // the program header table
  // Bytes at Offset, then zeros up to Size (when Size is larger); or, with
  // Write, the Size bytes it writes.
  struct Placed {
    uint64_t Offset = 0;
    llvm::ArrayRef<uint8_t> Bytes;
    uint64_t Size = 0;
    PayloadWriter Write = {};
  };
  std::vector<Placed> Payloads; // in the segment, after SegmentHead
  // The PYOX records and their trailer, which end the segment.
  uint64_t RecordsOffset = 0;
  std::vector<uint8_t> Records;
  uint64_t SegmentEnd = 0;
  // Non-allocated sections that lay after the old pyox segment and move
  // behind the new one, then the rebuilt .shstrtab and the header table.
  std::vector<Placed> Tail;
  uint64_t FileSize = 0;
  std::vector<uint8_t> ShStrTab; // Tail's last entry points here
  std::vector<uint8_t> SectionHeaders;
  uint64_t SectionHeaderOffset = 0;
  // In-place updates of payloads a link-time object reserved room for.
  std::vector<Placed> Overwrites;
};

// Plans the file holding exactly Payloads, starting from Image: existing
// post-link payloads not in the list are dropped, link-time payloads are
// refreshed in place when they fit. With no payloads left, the original
// program header table is restored when it is still intact.
llvm::Expected<OutputPlan> planOutput(const Image &Img,
                                      llvm::ArrayRef<PayloadInput> Payloads);

// Writes the planned file.
llvm::Error writeOutput(const Image &Img, const OutputPlan &Plan,
                        llvm::raw_ostream &OS);

// The section name pyox gives the payload called Name.
std::string payloadSectionName(llvm::StringRef Name);

// Adds or replaces the payload Name, or removes it, writing OutputPath
// atomically. The input buffer is not modified.
llvm::Error injectPayload(llvm::MemoryBufferRef Input, llvm::StringRef Name,
                          llvm::ArrayRef<uint8_t> Payload,
                          llvm::StringRef OutputPath);
// The same for a payload of Size bytes that Write writes, streamed into the
// output (pyox-inject build: the payload is never held whole). A payload
// refreshed in a link-time section is first written to memory.
llvm::Error injectPayload(llvm::MemoryBufferRef Input, llvm::StringRef Name,
                          uint64_t Size, PayloadWriter Write,
                          llvm::StringRef OutputPath);
llvm::Error removePayload(llvm::MemoryBufferRef Input, llvm::StringRef Name,
                          llvm::StringRef OutputPath);

} // namespace elf
} // namespace pyox

#endif
