//===- MappedCode.cpp -----------------------------------------------------===//

#include "Pack/MappedCode.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

using namespace llvm;

namespace pyox {

Expected<MappedCodeCounts> addMappedCode(std::vector<PayloadItem> &Items,
                                         StringRef Template) {
  SmallString<128> In, Out, Err;
  for (auto [Path, Ext] : {std::pair{&In, "in"}, {&Out, "out"}, {&Err, "txt"}})
    if (std::error_code EC =
            sys::fs::createTemporaryFile("pyox-mapped-code", Ext, *Path))
      return createStringError(EC, "cannot create a temporary file: %s",
                               EC.message().c_str());
  auto Remove = make_scope_exit([&] {
    sys::fs::remove(In);
    sys::fs::remove(Out);
    sys::fs::remove(Err);
  });

  // The records MappedCode.c reads: u32 size, name, u32 size, marshal data.
  MappedCodeCounts Counts;
  std::vector<size_t> Sent;
  {
    std::error_code EC;
    raw_fd_ostream OS(In, EC);
    if (EC)
      return createStringError(EC, "%s: %s", In.c_str(), EC.message().c_str());
    for (size_t I = 0; I < Items.size(); ++I) {
      const PayloadItem &It = Items[I];
      if (It.Kind != PYOX_KIND_MODULE && It.Kind != PYOX_KIND_PACKAGE)
        continue;
      for (StringRef Field : {StringRef(It.Name), StringRef(It.Data)}) {
        char Size[4];
        support::endian::write32le(Size, uint32_t(Field.size()));
        OS.write(Size, 4);
        OS << Field;
      }
      Sent.push_back(I);
    }
    if (OS.close(), OS.has_error())
      return createStringError(OS.error(), "%s: %s", In.c_str(),
                               OS.error().message().c_str());
  }
  Counts.Modules = Sent.size();
  if (Sent.empty())
    return Counts;

  StringRef Argv[] = {Template, "--pyox-lay-out-code", In, Out};
  std::optional<StringRef> Redirects[] = {StringRef(""), StringRef(""),
                                          StringRef(Err)};
  std::string Message;
  int RC = sys::ExecuteAndWait(Template, Argv, std::nullopt, Redirects,
                               /*SecondsToWait=*/600, 0, &Message);
  if (RC != 0) {
    auto Text = MemoryBuffer::getFile(Err);
    std::string Why = Text ? (*Text)->getBuffer().trim().str() : Message;
    return createStringError(
        std::errc::io_error, "%s: cannot lay out mapped code%s%s",
        Template.str().c_str(), Why.empty() ? "" : ": ", Why.c_str());
  }
  auto Result = MemoryBuffer::getFile(Out, /*IsText=*/false,
                                      /*RequiresNullTerminator=*/false);
  if (!Result)
    return createStringError(Result.getError(), "%s: %s", Out.c_str(),
                             Result.getError().message().c_str());
  StringRef Data = (*Result)->getBuffer();
  Items.reserve(Items.size() + Sent.size());
  for (size_t I : Sent) {
    if (Data.size() < 4)
      return createStringError(std::errc::illegal_byte_sequence,
                               "%s: the template's mapped code is truncated",
                               Template.str().c_str());
    uint32_t Size = support::endian::read32le(Data.data());
    Data = Data.drop_front(4);
    if (Data.size() < Size)
      return createStringError(std::errc::illegal_byte_sequence,
                               "%s: the template's mapped code is truncated",
                               Template.str().c_str());
    if (Size != 0) {
      const PayloadItem &Module = Items[I];
      Items.push_back({PYOX_KIND_MAPPED_CODE, Module.Name, Module.Path,
                       Data.take_front(Size).str()});
      ++Counts.Mapped;
      Counts.Bytes += Size;
    }
    Data = Data.drop_front(Size);
  }
  return Counts;
}

} // namespace pyox
