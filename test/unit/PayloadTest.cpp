//===- PayloadTest.cpp - PayloadWriter and the runtime reader together ----===//

#include "Pack/PayloadWriter.h"
#include "Pack/SourceCompression.h"

#include "pyox/payload.h"

#include "gtest/gtest.h"

#include "../fuzz/PayloadRepair.h"

#define ZSTD_STATIC_LINKING_ONLY // ZSTD_getFrameHeader, ZSTD_frameHeaderSize
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <random>
#include <string>

using namespace pyox;

namespace {

std::string errorOf(llvm::Error E) { return llvm::toString(std::move(E)); }

std::vector<uint8_t> sample(std::vector<PayloadItem> Items = {},
                            uint32_t Version = PYOX_FORMAT_VERSION) {
  if (Items.empty())
    Items = {
        {PYOX_KIND_PACKAGE, "pkg", "pkg/__init__.py", "code-of-pkg"},
        {PYOX_KIND_MODULE, "pkg.mod", "pkg/mod.py", "code-of-mod"},
        {PYOX_KIND_MODULE, "pkg.sub.deep", "pkg/sub/deep.py", "x"},
        {PYOX_KIND_NAMESPACE, "pkg.sub", "pkg/sub", ""},
        {PYOX_KIND_EXTENSION, "_speedups", "_speedups.abi3.so",
         std::string("\x7f"
                     "ELF",
                     4)},
        {PYOX_KIND_SOURCE, "pkg.mod", "pkg/mod.py", "print('hi')\n"},
        {PYOX_KIND_RESOURCE, "pkg/data.txt", "pkg/data.txt", "hello"},
        {PYOX_KIND_RESOURCE, "pkg/sub/more.bin", "pkg/sub/more.bin",
         std::string(1000, '\xab')},
        {PYOX_KIND_METADATA, "pkg-1.0.dist-info/METADATA",
         "pkg-1.0.dist-info/METADATA", "Name: pkg\nVersion: 1.0\n"},
    };
  PayloadInfo Info{0x030b0000, 0x0a0d0da7, "pkg.mod:main", 1, true};
  Info.FormatVersion = Version;
  auto Out = writePayload(std::move(Items), Info);
  EXPECT_TRUE(bool(Out)) << (Out ? "" : errorOf(Out.takeError()));
  return Out ? *Out : std::vector<uint8_t>{};
}

TEST(Crc32c, KnownAnswer) {
  // The CRC-32C check value from the iSCSI specification (RFC 3720).
  EXPECT_EQ(pyox_crc32c(0, "123456789", 9), 0xE3069283u);
  // Chaining equals one pass, across the 8-byte block boundary.
  uint32_t C = pyox_crc32c(0, "12345", 5);
  EXPECT_EQ(pyox_crc32c(C, "6789", 4), 0xE3069283u);
  EXPECT_EQ(pyox_crc32c(0, "", 0), 0u);
}

TEST(Payload, RoundTrip) {
  std::vector<uint8_t> Bytes = sample();
  pyox_payload P;
  const char *Error = nullptr;
  ASSERT_EQ(pyox_payload_open(&P, Bytes.data(), Bytes.size(), &Error), 0)
      << Error;
  EXPECT_EQ(P.header->entry_count, 9u);
  EXPECT_EQ(P.header->total_size, Bytes.size());
  EXPECT_EQ(P.header->optimize, 1);
  EXPECT_EQ(std::string((const char *)P.base + P.header->entry_point_offset,
                        P.header->entry_point_size),
            "pkg.mod:main");
  char Message[256];
  EXPECT_EQ(pyox_payload_verify_all(&P, Message, sizeof Message), 0) << Message;

  const pyox_entry *M = pyox_payload_find(&P, PYOX_GROUP_MODULE, "pkg.mod", 7);
  ASSERT_NE(M, nullptr);
  EXPECT_EQ(M->kind, PYOX_KIND_MODULE);
  EXPECT_EQ(std::string((const char *)pyox_entry_data(&P, M), M->data_size),
            "code-of-mod");
  EXPECT_EQ(std::string(pyox_entry_path(&P, M), M->path_size), "pkg/mod.py");
  EXPECT_EQ(pyox_entry_verify(&P, M), 0);
  EXPECT_EQ(M->data_offset % PYOX_DATA_ALIGN, 0u);

  // The same name in another group is another entry.
  const pyox_entry *S = pyox_payload_find(&P, PYOX_GROUP_SOURCE, "pkg.mod", 7);
  ASSERT_NE(S, nullptr);
  EXPECT_EQ(S->kind, PYOX_KIND_SOURCE);
  EXPECT_EQ(pyox_payload_find(&P, PYOX_GROUP_MODULE, "pkg.mo", 6), nullptr);
  EXPECT_EQ(pyox_payload_find(&P, PYOX_GROUP_RESOURCE, "pkg.mod", 7), nullptr);
}

TEST(Payload, PrefixScan) {
  std::vector<uint8_t> Bytes = sample();
  pyox_payload P;
  const char *Error;
  ASSERT_EQ(pyox_payload_open(&P, Bytes.data(), Bytes.size(), &Error), 0);
  uint32_t I = pyox_payload_lower_bound(&P, PYOX_GROUP_MODULE, "pkg.", 4);
  ASSERT_LT(I, P.header->entry_count);
  std::vector<std::string> Children;
  for (; I < P.header->entry_count; ++I) {
    const pyox_entry &E = P.entries[I];
    std::string N(pyox_entry_name(&P, &E), E.name_size);
    if (pyox_kind_group(E.kind) != PYOX_GROUP_MODULE || N.rfind("pkg.", 0) != 0)
      break;
    Children.push_back(N);
  }
  EXPECT_EQ(Children,
            (std::vector<std::string>{"pkg.mod", "pkg.sub", "pkg.sub.deep"}));
  EXPECT_EQ(pyox_payload_lower_bound(&P, PYOX_GROUP_MODULE, "zzz", 3),
            P.header->entry_count);
  uint32_t R = pyox_payload_lower_bound(&P, PYOX_GROUP_RESOURCE, "pkg/sub/", 8);
  ASSERT_LT(R, P.header->entry_count);
  EXPECT_EQ(
      std::string(pyox_entry_name(&P, &P.entries[R]), P.entries[R].name_size),
      "pkg/sub/more.bin");
}

TEST(Payload, Deterministic) { EXPECT_EQ(sample(), sample()); }

TEST(Payload, RejectsDuplicates) {
  PayloadInfo Info{0x030b0000, 1, "", 0, false};
  auto Out = writePayload({{PYOX_KIND_MODULE, "a", "a.py", "1"},
                           {PYOX_KIND_PACKAGE, "a", "a/__init__.py", "2"}},
                          Info);
  ASSERT_FALSE(bool(Out));
  EXPECT_NE(errorOf(Out.takeError()).find("two entries"), std::string::npos);
}

TEST(Payload, EmptyPayload) {
  PayloadInfo Info{0x030b0000, 1, "", 0, false};
  auto Out = writePayload({}, Info);
  ASSERT_TRUE(bool(Out));
  pyox_payload P;
  const char *Error;
  ASSERT_EQ(pyox_payload_open(&P, Out->data(), Out->size(), &Error), 0);
  EXPECT_EQ(pyox_payload_find(&P, PYOX_GROUP_MODULE, "x", 1), nullptr);
  char Message[256];
  EXPECT_EQ(pyox_payload_verify_all(&P, Message, sizeof Message), 0);
}

TEST(Payload, ChecksPythonVersion) {
  std::vector<uint8_t> Bytes = sample();
  pyox_payload P;
  const char *Error;
  ASSERT_EQ(pyox_payload_open(&P, Bytes.data(), Bytes.size(), &Error), 0);
  EXPECT_EQ(pyox_payload_check_python(&P, 0x030b02f0, 0x0a0d0da7, &Error), 0);
  EXPECT_NE(pyox_payload_check_python(&P, 0x030c00f0, 0x0a0d0da7, &Error), 0);
  EXPECT_NE(pyox_payload_check_python(&P, 0x030b02f0, 0x0a0d0dcb, &Error), 0);
}

// Every single-byte change anywhere is caught by open or by verify_all: the
// property `pyox-inject verify` promises (the lit test checks it on a full
// stdlib payload; this checks every offset of a small one).
TEST(Payload, EverySingleByteCorruptionIsDetected) {
  std::vector<uint8_t> Good = sample();
  for (size_t Off = 0; Off < Good.size(); ++Off) {
    for (uint8_t Flip : {uint8_t(0x01), uint8_t(0x80), uint8_t(0xff)}) {
      std::vector<uint8_t> Bad = Good;
      Bad[Off] ^= Flip;
      pyox_payload P;
      const char *Error;
      char Message[256];
      bool Detected =
          pyox_payload_open(&P, Bad.data(), Bad.size(), &Error) != 0 ||
          pyox_payload_verify_all(&P, Message, sizeof Message) != 0;
      EXPECT_TRUE(Detected) << "offset " << Off << " flip " << int(Flip);
    }
  }
}

// A source compressed against its module's code (PYOX_ENTRY_ZSTD) reads
// back as the text; a frame that decompresses to another size, a flag on
// another kind, a flag in a version 1 payload and a missing code entry are
// all refused.
std::vector<uint8_t> compressedSample(const std::string &Text,
                                      bool WithCode = true,
                                      uint32_t Version = PYOX_FORMAT_VERSION) {
  const std::string Code = "code mentioning compressed_function and its doc";
  std::vector<PayloadItem> Items = {
      {PYOX_KIND_SOURCE, "pkg.mod", "pkg/mod.py", Text}};
  if (WithCode)
    Items.push_back({PYOX_KIND_MODULE, "pkg.mod", "pkg/mod.py", Code});
  llvm::Expected<std::string> Frame = compressSource(Text, Code);
  EXPECT_TRUE(bool(Frame));
  Items[0].Data = Frame ? *Frame : "";
  Items[0].Flags = PYOX_ENTRY_ZSTD;
  Items[0].RawSize = uint32_t(Text.size());
  PayloadInfo Info{0x030b0000, 0x0a0d0da7, "", 0, true};
  Info.FormatVersion = Version;
  auto Out = writePayload(std::move(Items), Info);
  EXPECT_TRUE(bool(Out)) << (Out ? "" : errorOf(Out.takeError()));
  return Out ? *Out : std::vector<uint8_t>{};
}

// The first entry of the entry table, which follows the header (and, from
// version 3, the chunk table).
pyox_entry *firstEntry(std::vector<uint8_t> &Bytes) {
  pyox_header H;
  std::memcpy(&H, Bytes.data(), sizeof H);
  size_t Begin = H.format_version >= PYOX_FORMAT_VERSION_CHUNKS
                     ? (sizeof H + 4 * size_t(H.chunk_count) + 15) & ~size_t(15)
                     : sizeof H;
  return reinterpret_cast<pyox_entry *>(Bytes.data() + Begin);
}

pyox_entry *sourceEntry(std::vector<uint8_t> &Bytes) {
  pyox_header H;
  std::memcpy(&H, Bytes.data(), sizeof H);
  pyox_entry *E = firstEntry(Bytes);
  for (uint32_t I = 0; I < H.entry_count; ++I)
    if (E[I].kind == PYOX_KIND_SOURCE)
      return &E[I];
  return nullptr;
}

// Recomputes the index checksums after a test edited the entry table:
// what the fuzzers' repair does (test/fuzz/PayloadRepair.h).
void resealIndex(std::vector<uint8_t> &Bytes) {
  repairChecksums(Bytes.data(), Bytes.size());
}

// Compressed entry E of P holds Raw, and `verify` finds P whole.
void expectDecompresses(const pyox_payload &P, const pyox_entry *E,
                        const std::string &Raw) {
  EXPECT_EQ(pyox_entry_content_size(E), Raw.size());
  std::string Out(E->raw_size, '\0');
  ASSERT_EQ(pyox_entry_decompress(&P, E, Out.data()), 0);
  EXPECT_EQ(Out, Raw);
  char Message[256];
  EXPECT_EQ(pyox_payload_verify_all(&P, Message, sizeof Message), 0) << Message;
  EXPECT_EQ(pyox_payload_verify_compressed(&P, Message, sizeof Message), 0)
      << Message;
}

TEST(Payload, CompressedSource) {
  std::string Text;
  for (int I = 0; I < 50; ++I)
    Text += "def compressed_function():\n    '''its doc'''\n    return " +
            std::to_string(I) + "\n";
  std::vector<uint8_t> Bytes = compressedSample(Text);
  pyox_payload P;
  const char *Error = nullptr;
  ASSERT_EQ(pyox_payload_open(&P, Bytes.data(), Bytes.size(), &Error), 0)
      << Error;
  EXPECT_EQ(P.header->format_version, PYOX_FORMAT_VERSION);
  const pyox_entry *S = pyox_payload_find(&P, PYOX_GROUP_SOURCE, "pkg.mod", 7);
  ASSERT_NE(S, nullptr);
  EXPECT_EQ(S->flags, PYOX_ENTRY_ZSTD);
  EXPECT_LT(S->data_size, Text.size());
  expectDecompresses(P, S, Text);
  char Message[256];

  // A raw size the frame does not have: structurally sound, but `verify`
  // finds it.
  std::vector<uint8_t> Bad = Bytes;
  sourceEntry(Bad)->raw_size += 1;
  resealIndex(Bad);
  ASSERT_EQ(pyox_payload_open(&P, Bad.data(), Bad.size(), &Error), 0) << Error;
  EXPECT_EQ(pyox_payload_verify_all(&P, Message, sizeof Message), 0);
  EXPECT_NE(pyox_payload_verify_compressed(&P, Message, sizeof Message), 0);
  EXPECT_STREQ(Message,
               "entry 1: compressed data does not decompress to its raw size");

  // The flag on a namespace package (never), on a module before version
  // 7, an unknown flag, the flag in version 1.
  Bad = Bytes;
  sourceEntry(Bad)->kind = PYOX_KIND_NAMESPACE;
  resealIndex(Bad);
  EXPECT_NE(pyox_payload_open(&P, Bad.data(), Bad.size(), &Error), 0);
  EXPECT_STREQ(Error, "payload entry has bad flags");
  Bad = compressedSample(Text, /*WithCode=*/true, /*Version=*/6);
  sourceEntry(Bad)->kind = PYOX_KIND_MODULE;
  resealIndex(Bad);
  EXPECT_NE(pyox_payload_open(&P, Bad.data(), Bad.size(), &Error), 0);
  EXPECT_STREQ(Error, "payload entry has bad flags");
  Bad = Bytes;
  sourceEntry(Bad)->flags = 0x02;
  resealIndex(Bad);
  EXPECT_NE(pyox_payload_open(&P, Bad.data(), Bad.size(), &Error), 0);
  EXPECT_STREQ(Error, "payload entry has bad flags");
  Bad = compressedSample(Text, /*WithCode=*/true, /*Version=*/1);
  EXPECT_NE(pyox_payload_open(&P, Bad.data(), Bad.size(), &Error), 0);
  EXPECT_STREQ(Error, "payload entry has bad flags");

  // A source without its module cannot be decompressed.
  std::vector<uint8_t> Orphan = compressedSample(Text, /*WithCode=*/false);
  ASSERT_EQ(pyox_payload_open(&P, Orphan.data(), Orphan.size(), &Error), 0);
  EXPECT_NE(pyox_payload_verify_compressed(&P, Message, sizeof Message), 0);
}

// Files (an extension module, a resource, metadata) compressed alone, as
// compressFiles chooses them, read back whole; the flag on a file in a
// version 3 payload (what a reader that predates compressed files would
// see, had the version not changed) is refused, and so is the flag on
// bytecode.
TEST(Payload, CompressedFiles) {
  std::string Elf = std::string("\x7f"
                                "ELF",
                                4);
  for (int I = 0; I < 400; ++I)
    Elf += "symbol_" + std::to_string(I % 37) + std::string(8, '\0');
  std::mt19937 Random(7);
  std::string Noise(8192, '\0');
  for (char &C : Noise)
    C = char(Random());
  std::string Small(1000, 'a');
  std::string Roots(5000, '/');
  std::vector<PayloadItem> Items = {
      {PYOX_KIND_EXTENSION, "pkg._ext", "pkg/_ext.so", Elf},
      {PYOX_KIND_RESOURCE, "pkg/noise.bin", "pkg/noise.bin", Noise},
      {PYOX_KIND_RESOURCE, "pkg/small.txt", "pkg/small.txt", Small},
      {PYOX_KIND_RESOURCE, PYOX_HOST_DATA_ROOTS, PYOX_HOST_DATA_ROOTS, Roots},
      {PYOX_KIND_METADATA, "pkg-1.0.dist-info/RECORD",
       "pkg-1.0.dist-info/RECORD", Elf + "metadata"},
      {PYOX_KIND_MODULE, "pkg.mod", "pkg/mod.py", Elf},
  };
  ASSERT_FALSE(bool(compressFiles(Items, nullptr)));
  // Compressible and at least 4 KiB: compressed; noise, a small file, the
  // host-data list and bytecode: as they were.
  EXPECT_EQ(Items[0].Flags, PYOX_ENTRY_ZSTD);
  EXPECT_EQ(Items[0].RawSize, Elf.size());
  EXPECT_LT(Items[0].Data.size(), Elf.size() / 4);
  EXPECT_EQ(Items[1].Flags, 0u);
  EXPECT_EQ(Items[2].Flags, 0u);
  EXPECT_EQ(Items[3].Flags, 0u);
  EXPECT_EQ(Items[4].Flags, PYOX_ENTRY_ZSTD);
  EXPECT_EQ(Items[5].Flags, 0u);
  EXPECT_EQ(Items[5].Data, Elf);

  PayloadInfo Info{0x030b0000, 0x0a0d0da7, "", 0, false};
  auto Out = writePayload(Items, Info);
  ASSERT_TRUE(bool(Out)) << errorOf(Out.takeError());
  std::vector<uint8_t> Bytes = *Out;
  pyox_payload P;
  const char *Error = nullptr;
  ASSERT_EQ(pyox_payload_open(&P, Bytes.data(), Bytes.size(), &Error), 0)
      << Error;
  const pyox_entry *E = pyox_payload_find(&P, PYOX_GROUP_MODULE, "pkg._ext", 8);
  ASSERT_NE(E, nullptr);
  expectDecompresses(P, E, Elf);
  std::string Raw(E->raw_size, '\0');

  // A damaged frame: its checksum fails, so it is not decompressed.
  std::vector<uint8_t> Bad = Bytes;
  Bad[E->data_offset + E->data_size / 2] ^= 0x10;
  ASSERT_EQ(pyox_payload_open(&P, Bad.data(), Bad.size(), &Error), 0);
  E = pyox_payload_find(&P, PYOX_GROUP_MODULE, "pkg._ext", 8);
  EXPECT_NE(pyox_entry_decompress(&P, E, Raw.data()), 0);

  // Version 3 allowed only sources to be compressed.
  Info.FormatVersion = 3;
  Out = writePayload(Items, Info);
  ASSERT_TRUE(bool(Out)) << errorOf(Out.takeError());
  EXPECT_NE(pyox_payload_open(&P, Out->data(), Out->size(), &Error), 0);
  EXPECT_STREQ(Error, "payload entry has bad flags");

  // Bytecode (of modules imported later: compressCode) may be compressed
  // from version 7 on, and decompresses like a file; not before.
  ASSERT_FALSE(bool(compressCode(Items, nullptr, [](const PayloadItem &It) {
    return It.Name == "pkg.mod";
  })));
  EXPECT_EQ(Items[5].Flags, PYOX_ENTRY_ZSTD);
  EXPECT_EQ(Items[5].RawSize, Elf.size());
  Info.FormatVersion = PYOX_FORMAT_VERSION;
  Out = writePayload(Items, Info);
  ASSERT_TRUE(bool(Out)) << errorOf(Out.takeError());
  ASSERT_EQ(pyox_payload_open(&P, Out->data(), Out->size(), &Error), 0)
      << Error;
  E = pyox_payload_find(&P, PYOX_GROUP_MODULE, "pkg.mod", 7);
  ASSERT_TRUE(E);
  std::string Code(E->raw_size, '\0');
  ASSERT_EQ(pyox_entry_decompress(&P, E, Code.data()), 0);
  EXPECT_EQ(Code, Elf);
  Info.FormatVersion = PYOX_FORMAT_VERSION_ZSTD_CODE - 1;
  Out = writePayload(Items, Info);
  ASSERT_TRUE(bool(Out)) << errorOf(Out.takeError());
  EXPECT_NE(pyox_payload_open(&P, Out->data(), Out->size(), &Error), 0);
  EXPECT_STREQ(Error, "payload entry has bad flags");
}

// 2 MiB after Prefix, made of a few hundred 8-byte words, so that there
// are matches and literals: like machine code (Text false: any byte) or
// like text (lower-case letters and spaces, which Huffman coding shrinks).
std::string generated(const std::string &Prefix, bool Text, unsigned Seed) {
  std::mt19937 Random(Seed);
  std::vector<std::string> Words(300);
  for (std::string &W : Words)
    for (int K = 0; K < 8; ++K)
      W += Text ? (K == 7 ? ' ' : char('a' + Random() % 26)) : char(Random());
  std::string Out = Prefix;
  while (Out.size() < (2u << 20))
    Out += Words[Random() % Words.size()];
  return Out;
}

// The literals section type (RFC 8878, 3.1.1.3.1.1) of each compressed
// block of the zstd frame Frame: 0 raw, 1 RLE, 2 Huffman, 3 Huffman with
// the previous block's tree.
std::vector<int> literalTypes(const std::string &Frame) {
  std::vector<int> Types;
  size_t Off = ZSTD_frameHeaderSize(Frame.data(), Frame.size());
  EXPECT_FALSE(ZSTD_isError(Off));
  for (bool Last = false; !Last && Off + 3 <= Frame.size();) {
    uint32_t Header = uint8_t(Frame[Off]) | uint8_t(Frame[Off + 1]) << 8 |
                      uint8_t(Frame[Off + 2]) << 16;
    Off += 3;
    Last = Header & 1;
    uint32_t Type = (Header >> 1) & 3, Size = Header >> 3;
    if (Type == 2 && Off < Frame.size())
      Types.push_back(uint8_t(Frame[Off]) & 3);
    Off += Type == 1 ? 1 : Size;
  }
  EXPECT_EQ(Off, Frame.size());
  return Types;
}

// Native code (an ELF object, extension module or carried library) is
// compressed for the decoder's speed: literals stored raw, a window of at
// most 1 MiB; other files keep Huffman-coded literals and zstd's window.
TEST(Payload, NativeCodeFramesDecodeFast) {
  std::string Elf = generated(std::string("\x7f"
                                          "ELF",
                                          4),
                              false, 1);
  std::string Data = generated("data", true, 2);
  std::vector<PayloadItem> Items = {
      {PYOX_KIND_EXTENSION, "pkg._ext", "pkg/_ext.so", Elf},
      {PYOX_KIND_RESOURCE, ".pyox-libs/libx.so.1", ".pyox-libs/libx.so.1", Elf},
      {PYOX_KIND_RESOURCE, "pkg/data.bin", "pkg/data.bin", Data},
  };
  ASSERT_FALSE(bool(compressFiles(Items, nullptr)));
  for (const PayloadItem &It : Items) {
    ASSERT_EQ(It.Flags, PYOX_ENTRY_ZSTD) << It.Path;
    ZSTD_frameHeader Header;
    ASSERT_EQ(ZSTD_getFrameHeader(&Header, It.Data.data(), It.Data.size()), 0u);
    std::vector<int> Types = literalTypes(It.Data);
    ASSERT_FALSE(Types.empty());
    bool Huffman = std::count(Types.begin(), Types.end(), 2) +
                       std::count(Types.begin(), Types.end(), 3) >
                   0;
    if (It.Path == "pkg/data.bin") {
      EXPECT_TRUE(Huffman);
      EXPECT_GT(Header.windowSize, 1u << 20);
    } else {
      EXPECT_FALSE(Huffman) << It.Path;
      EXPECT_LE(Header.windowSize, 1u << 20) << It.Path;
    }
  }
}

struct Pieces {
  std::string Bytes;
  size_t Count = 0, Largest = 0;
  size_t FailAt = SIZE_MAX; // the piece the sink refuses with EIO
};

int collectPiece(void *Ctx, const void *Data, size_t Size) {
  Pieces *P = static_cast<Pieces *>(Ctx);
  if (P->Count++ == P->FailAt)
    return EIO;
  P->Bytes.append(static_cast<const char *>(Data), Size);
  P->Largest = std::max(P->Largest, Size);
  return 0;
}

// P opened on Bytes, and its entry "pkg._ext" (null when either fails).
const pyox_entry *openedExtension(pyox_payload &P,
                                  std::vector<uint8_t> &Bytes) {
  const char *Error = nullptr;
  if (pyox_payload_open(&P, Bytes.data(), Bytes.size(), &Error) != 0)
    return nullptr;
  return pyox_payload_find(&P, PYOX_GROUP_MODULE, "pkg._ext", 8);
}

// The streamed decompression (what a memfd is filled from) hands over the
// file in order, in pieces of at most 64 KiB; stops at the sink's error
// and returns it; hands over nothing from a damaged frame; and refuses a
// frame that does not decompress to the entry's raw size.
TEST(Payload, CompressedEntryStreamsInPieces) {
  std::string Elf = generated(std::string("\x7f"
                                          "ELF",
                                          4),
                              false, 3);
  std::vector<PayloadItem> Items = {
      {PYOX_KIND_EXTENSION, "pkg._ext", "pkg/_ext.so", Elf}};
  ASSERT_FALSE(bool(compressFiles(Items, nullptr)));
  auto Written = writePayload(Items, {0x030b0000, 0x0a0d0da7, "", 0, false});
  ASSERT_TRUE(bool(Written)) << errorOf(Written.takeError());
  std::vector<uint8_t> Bytes = *Written;
  pyox_payload P;
  const pyox_entry *E = openedExtension(P, Bytes);
  ASSERT_NE(E, nullptr);
  ASSERT_EQ(E->flags, PYOX_ENTRY_ZSTD);

  Pieces Whole;
  ASSERT_EQ(pyox_entry_decompress_each(&P, E, collectPiece, &Whole), 0);
  EXPECT_TRUE(Whole.Bytes == Elf);
  EXPECT_GE(Whole.Count, Elf.size() / (64 << 10));
  EXPECT_LE(Whole.Largest, size_t(64 << 10));

  Pieces Refused;
  Refused.FailAt = 2;
  EXPECT_EQ(pyox_entry_decompress_each(&P, E, collectPiece, &Refused), EIO);
  EXPECT_EQ(Refused.Count, 3u);

  std::vector<uint8_t> Bad = Bytes;
  Bad[E->data_offset + E->data_size / 2] ^= 0x10;
  E = openedExtension(P, Bad);
  ASSERT_NE(E, nullptr);
  Pieces Damaged;
  EXPECT_EQ(pyox_entry_decompress_each(&P, E, collectPiece, &Damaged), -1);
  EXPECT_EQ(Damaged.Count, 0u);

  for (int Delta : {-1, 1}) {
    Bad = Bytes;
    firstEntry(Bad)->raw_size += Delta;
    resealIndex(Bad);
    E = openedExtension(P, Bad);
    ASSERT_NE(E, nullptr);
    Pieces Wrong;
    EXPECT_EQ(pyox_entry_decompress_each(&P, E, collectPiece, &Wrong), -1)
        << Delta;
  }
}

// Payloads of versions 1 and 2 (no chunk table) still open, lazily too
// (checked whole), and read the same; an unknown version does not.
TEST(Payload, ReadsOlderVersions) {
  for (uint32_t Version : {1u, 2u}) {
    std::vector<uint8_t> Bytes = sample({}, Version);
    pyox_payload P;
    const char *Error = nullptr;
    ASSERT_EQ(pyox_payload_open(&P, Bytes.data(), Bytes.size(), &Error), 0)
        << Error;
    EXPECT_EQ(P.header->chunk_count, 0u);
    char Message[256];
    EXPECT_EQ(pyox_payload_verify_all(&P, Message, sizeof Message), 0)
        << Message;
    ASSERT_EQ(
        pyox_payload_open_lazy(&P, Bytes.data(), Bytes.size(), nullptr, &Error),
        0)
        << Error;
    EXPECT_NE(pyox_payload_find(&P, PYOX_GROUP_MODULE, "pkg.mod", 7), nullptr);
    pyox_payload_close(&P);
    // Every byte of an old index is still covered by its one checksum.
    for (size_t Off = 64; Off < P.header->index_size; Off += 7) {
      std::vector<uint8_t> Bad = Bytes;
      Bad[Off] ^= 0x04;
      EXPECT_NE(
          pyox_payload_open_lazy(&P, Bad.data(), Bad.size(), nullptr, &Error),
          0)
          << Version << " " << Off;
    }
  }
  std::vector<uint8_t> Bytes = sample();
  reinterpret_cast<pyox_header *>(Bytes.data())->format_version =
      PYOX_FORMAT_VERSION + 1;
  resealIndex(Bytes);
  pyox_payload P;
  const char *Error = nullptr;
  EXPECT_NE(pyox_payload_open(&P, Bytes.data(), Bytes.size(), &Error), 0);
}

// Mapped code (format version 5) comes last in the data area, and a reader
// of an older version's payload rejects the kind.
TEST(Payload, MappedCodeIsVersion5AndLast) {
  std::vector<PayloadItem> Items = {
      {PYOX_KIND_MODULE, "b", "b.py", "code-of-b"},
      {PYOX_KIND_MAPPED_CODE, "a", "a.py", std::string(100, 'm')},
      {PYOX_KIND_MODULE, "a", "a.py", "code-of-a"},
      {PYOX_KIND_RESOURCE, "z/data", "z/data", "zzz"},
  };
  PayloadInfo Info{0x030b0000, 0x0a0d0da7, "", 0, false};
  Info.FormatVersion = PYOX_FORMAT_VERSION_MAPPED - 1;
  auto Old = writePayload(Items, Info);
  ASSERT_FALSE(bool(Old));
  EXPECT_NE(errorOf(Old.takeError()).find("bad entry kind"), std::string::npos);

  std::vector<uint8_t> Bytes = sample(Items);
  pyox_payload P;
  const char *Error = nullptr;
  ASSERT_EQ(pyox_payload_open(&P, Bytes.data(), Bytes.size(), &Error), 0)
      << Error;
  const pyox_entry *M = pyox_payload_find(&P, PYOX_GROUP_MAPPED, "a", 1);
  ASSERT_NE(M, nullptr);
  EXPECT_EQ(M->kind, PYOX_KIND_MAPPED_CODE);
  EXPECT_EQ(pyox_payload_mapped_begin(&P), M->data_offset);
  for (uint32_t I = 0; I < P.header->entry_count; ++I)
    if (&P.entries[I] != M)
      EXPECT_LT(P.entries[I].data_offset, M->data_offset);
  EXPECT_STREQ(pyox_kind_name(M->kind), "mapped");
  pyox_payload_close(&P);

  reinterpret_cast<pyox_header *>(Bytes.data())->format_version =
      PYOX_FORMAT_VERSION_MAPPED - 1;
  resealIndex(Bytes);
  EXPECT_NE(pyox_payload_open(&P, Bytes.data(), Bytes.size(), &Error), 0);

  std::vector<uint8_t> Plain = sample();
  ASSERT_EQ(pyox_payload_open(&P, Plain.data(), Plain.size(), &Error), 0);
  EXPECT_EQ(pyox_payload_mapped_begin(&P), P.header->total_size);
  pyox_payload_close(&P);
}

// A payload with several chunks of every kind: 300 modules (5 entry
// chunks; 1,024 buckets: 16 bucket chunks, 1 before version 6), long names
// (several pool chunks).
std::vector<uint8_t> largeSample(uint32_t Version = PYOX_FORMAT_VERSION) {
  std::vector<PayloadItem> Items;
  for (int I = 0; I < 300; ++I) {
    std::string Name = "pkg.module_with_a_long_name_" + std::to_string(I);
    Items.push_back({PYOX_KIND_MODULE, Name, Name + ".py", "code"});
  }
  return sample(std::move(Items), Version);
}

std::vector<std::string> Damage; // what the handler was told
void recordDamage(const pyox_payload *, const char *What) {
  Damage.push_back(What);
}

TEST(PayloadLazy, OpensWithoutTouchingTheTables) {
  std::vector<uint8_t> Bytes = largeSample();
  pyox_payload P;
  const char *Error = nullptr;
  ASSERT_EQ(pyox_payload_open(&P, Bytes.data(), Bytes.size(), &Error), 0);
  uint32_t Chunks = P.header->chunk_count;
  EXPECT_EQ(P.entry_chunks, 5u);
  EXPECT_EQ(P.header->bucket_count, 1024u);
  EXPECT_EQ(P.bucket_chunks, 16u);
  EXPECT_GT(Chunks, 22u);
  // Damage the last entry chunk: a lazy open does not notice...
  size_t Last =
      reinterpret_cast<const uint8_t *>(&P.entries[299]) - Bytes.data();
  Bytes[Last + 2] ^= 0x10;
  Damage.clear();
  ASSERT_EQ(pyox_payload_open_lazy(&P, Bytes.data(), Bytes.size(), recordDamage,
                                   &Error),
            0)
      << Error;
  // ...entries elsewhere work, and check only their own chunks...
  const pyox_entry *E = pyox_payload_entry(&P, 3);
  ASSERT_NE(E, nullptr);
  EXPECT_EQ(P.verified[0] & 1u, 1u);
  EXPECT_EQ(P.verified[0] & (1u << 4), 0u);
  EXPECT_TRUE(Damage.empty());
  // ...and the damaged chunk is reported when it is used.
  EXPECT_EQ(pyox_payload_entry(&P, 299), nullptr);
  ASSERT_EQ(Damage.size(), 1u);
  EXPECT_NE(Damage[0].find("chunk checksum mismatch"), std::string::npos);
  // A full open sees it at once.
  pyox_payload Full;
  EXPECT_NE(pyox_payload_open(&Full, Bytes.data(), Bytes.size(), &Error), 0);
  pyox_payload_close(&P);
}

TEST(PayloadLazy, LookupsAgreeWithTheFullOpen) {
  // Version 5 checked its hash table in chunks of 1,024 buckets.
  for (uint32_t Version :
       {uint32_t(PYOX_FORMAT_VERSION), uint32_t(PYOX_FORMAT_VERSION_MAPPED)}) {
    std::vector<uint8_t> Bytes = largeSample(Version);
    pyox_payload Full, Lazy;
    const char *Error = nullptr;
    ASSERT_EQ(pyox_payload_open(&Full, Bytes.data(), Bytes.size(), &Error), 0)
        << Error;
    ASSERT_EQ(pyox_payload_open_lazy(&Lazy, Bytes.data(), Bytes.size(), nullptr,
                                     &Error),
              0);
    EXPECT_EQ(Lazy.bucket_chunks,
              Version == PYOX_FORMAT_VERSION_MAPPED ? 1u : 16u);
    for (uint32_t I = 0; I < Full.header->entry_count; ++I) {
      const pyox_entry *E = &Full.entries[I];
      uint32_t G = pyox_kind_group(E->kind);
      EXPECT_EQ(
          pyox_payload_find(&Lazy, G, pyox_entry_name(&Full, E), E->name_size),
          E);
      EXPECT_EQ(pyox_payload_lower_bound(&Lazy, G, pyox_entry_name(&Full, E),
                                         E->name_size),
                I);
    }
    EXPECT_EQ(pyox_payload_find(&Lazy, 0, "nothing", 7), nullptr);
    char Message[256];
    EXPECT_EQ(pyox_payload_verify_all(&Lazy, Message, sizeof Message), 0)
        << Message;
    pyox_payload_close(&Lazy);
  }
}

// A lookup checks the 64 buckets around its name's slot, not the table: a
// damaged bucket elsewhere is noticed only by the lookups that reach it.
TEST(PayloadLazy, ALookupChecksOnlyItsBucketChunk) {
  std::vector<uint8_t> Bytes = largeSample();
  pyox_payload P;
  const char *Error = nullptr;
  ASSERT_EQ(pyox_payload_open(&P, Bytes.data(), Bytes.size(), &Error), 0);
  const pyox_entry *First = &P.entries[0];
  std::string Name(pyox_entry_name(&P, First), First->name_size);
  uint32_t Group = pyox_kind_group(First->kind);
  uint64_t Slot = pyox_name_hash(Group, Name.data(), Name.size()) &
                  (P.header->bucket_count - 1);
  uint32_t Own = uint32_t(Slot / PYOX_CHUNK_BUCKETS);
  uint32_t Other = (Own + P.bucket_chunks / 2) % P.bucket_chunks;
  size_t At = reinterpret_cast<const uint8_t *>(
                  &P.buckets[Other * PYOX_CHUNK_BUCKETS + 5]) -
              Bytes.data();
  Bytes[At] ^= 0x40;
  Damage.clear();
  ASSERT_EQ(pyox_payload_open_lazy(&P, Bytes.data(), Bytes.size(), recordDamage,
                                   &Error),
            0)
      << Error;
  EXPECT_EQ(pyox_payload_find(&P, Group, Name.data(), Name.size()),
            &P.entries[0]);
  EXPECT_TRUE(Damage.empty());
  auto Checked = [&](uint32_t BucketChunk) {
    uint32_t C = P.entry_chunks + BucketChunk;
    return (P.verified[C / 32] >> (C % 32)) & 1u;
  };
  EXPECT_EQ(Checked(Own), 1u);
  EXPECT_EQ(Checked(Other), 0u);
  // Looking everything up reaches the damaged chunk.
  for (uint32_t I = 0; I < P.header->entry_count; ++I) {
    std::string N(pyox_entry_name(&P, &P.entries[I]), P.entries[I].name_size);
    pyox_payload_find(&P, pyox_kind_group(P.entries[I].kind), N.data(),
                      N.size());
  }
  ASSERT_FALSE(Damage.empty());
  EXPECT_NE(Damage[0].find("chunk checksum mismatch"), std::string::npos);
  pyox_payload_close(&P);
}

TEST(PayloadLazy, HeaderAndChunkTableAreCheckedAtOpen) {
  std::vector<uint8_t> Good = largeSample();
  pyox_payload P;
  const char *Error = nullptr;
  ASSERT_EQ(pyox_payload_open(&P, Good.data(), Good.size(), &Error), 0);
  size_t TableEnd = 64 + 4 * P.header->chunk_count;
  for (size_t Off = 0; Off < TableEnd; ++Off) {
    std::vector<uint8_t> Bad = Good;
    Bad[Off] ^= 0x01;
    uint64_t Total;
    EXPECT_NE(pyox_payload_check_header(Bad.data(), Bad.size(), &Total, &Error),
              0)
        << Off;
    EXPECT_NE(
        pyox_payload_open_lazy(&P, Bad.data(), Bad.size(), nullptr, &Error), 0)
        << Off;
  }
  uint64_t Total = 0;
  EXPECT_EQ(pyox_payload_check_header(Good.data(), Good.size(), &Total, &Error),
            0);
  EXPECT_EQ(Total, Good.size());
}

TEST(Payload, TruncationIsDetected) {
  std::vector<uint8_t> Good = sample();
  for (size_t Size = 0; Size < Good.size(); Size += 7) {
    pyox_payload P;
    const char *Error;
    EXPECT_NE(pyox_payload_open(&P, Good.data(), Size, &Error), 0) << Size;
  }
}

} // namespace

// The writer's three ways to the same bytes: into memory, streamed into a
// file's stream, and with items' data spooled to a temporary file
// (DataSpool; pack does so past 32 MiB of data), for the chunked format and
// the older one whose header CRC covers the whole index.
TEST(PayloadWriter, StreamedAndSpooledWritesAreByteIdentical) {
  std::vector<PayloadItem> Items = {
      {PYOX_KIND_PACKAGE, "pkg", "pkg/__init__.py", "code-of-pkg"},
      {PYOX_KIND_RESOURCE, "pkg/empty.txt", "pkg/empty.txt", ""},
      {PYOX_KIND_RESOURCE, "pkg/big.bin", "pkg/big.bin",
       std::string(3 << 20, '\x5a')}, // more than the spool's copy buffer
  };
  // Enough entries for several index chunks of each kind.
  for (int I = 0; I < 3000; ++I) {
    std::string Name = "pkg.m" + std::to_string(I);
    std::string Path = "pkg/m" + std::to_string(I) + ".py";
    Items.push_back({PYOX_KIND_MODULE, Name, Path, std::string(I % 97, 'c')});
    Items.push_back({PYOX_KIND_SOURCE, Name, Path, "x = " + std::to_string(I)});
  }
  for (uint32_t Version :
       {uint32_t(PYOX_FORMAT_VERSION), uint32_t(PYOX_FORMAT_VERSION_MAPPED),
        uint32_t(PYOX_FORMAT_VERSION_CHUNKS - 1)}) {
    PayloadInfo Info{0x030b0000, 0x0a0d0da7, "pkg:main", 0, true};
    Info.FormatVersion = Version;
    auto Reference = writePayload(Items, Info);
    ASSERT_TRUE(bool(Reference)) << errorOf(Reference.takeError());

    std::string Streamed;
    llvm::raw_string_ostream OS(Streamed);
    ASSERT_FALSE(bool(writePayload(Items, Info, OS)));
    OS.flush();
    EXPECT_EQ(Streamed, std::string(Reference->begin(), Reference->end()))
        << "version " << Version;

    auto Spool = DataSpool::create();
    ASSERT_TRUE(bool(Spool)) << errorOf(Spool.takeError());
    std::vector<PayloadItem> Spooled = Items;
    for (size_t I = 0; I < Spooled.size(); I += 2) {
      ASSERT_FALSE(bool(Spool->add(Spooled[I])));
      EXPECT_TRUE(Spooled[I].Data.empty());
      EXPECT_EQ(Spooled[I].size(), Items[I].Data.size());
    }
    auto FromSpool = writePayload(Spooled, Info, &*Spool);
    ASSERT_TRUE(bool(FromSpool)) << errorOf(FromSpool.takeError());
    EXPECT_TRUE(*FromSpool == *Reference) << "version " << Version;

    // Spooled data without its spool is an error, not a payload.
    auto NoSpool = writePayload(Spooled, Info);
    ASSERT_FALSE(bool(NoSpool));
    EXPECT_NE(errorOf(NoSpool.takeError()).find("without its spool"),
              std::string::npos);
  }
}
