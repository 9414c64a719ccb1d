//===- PythonBuild.cpp ----------------------------------------------------===//

#include "Pack/PythonBuild.h"

#include "Pack/CompileCache.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"

#include <optional>

using namespace llvm;

namespace pyox {

// Runs the host python3.11 for its sys.version.
static Expected<std::string> runHostPython() {
  static const char *const Python = PYOX_PYTHON;
  SmallString<128> Out;
  if (std::error_code EC =
          sys::fs::createTemporaryFile("pyox-python-build", "txt", Out))
    return createStringError(EC, "cannot create a temporary file: %s",
                             EC.message().c_str());
  auto Remove = make_scope_exit([&] { sys::fs::remove(Out); });
  StringRef Argv[] = {Python, "-I", "-S", "-c",
                      "import sys; sys.stdout.write(sys.version)"};
  std::optional<StringRef> Redirects[] = {StringRef(""), StringRef(Out),
                                          std::nullopt};
  std::string Message;
  int RC = sys::ExecuteAndWait(Python, Argv, std::nullopt, Redirects, 0, 0,
                               &Message);
  auto Text = MemoryBuffer::getFile(Out);
  if (RC != 0 || !Text || (*Text)->getBuffer().empty())
    return createStringError(
        std::errc::io_error, "%s: cannot run it to read its version%s%s",
        Python, Message.empty() ? "" : ": ", Message.c_str());
  return (*Text)->getBuffer().str();
}

Expected<std::string> hostPythonBuild(CompileCache *Cache) {
  // sys.version is compiled into the interpreter: the file's digest keys it
  // (known by its stat through the cache's source index, as a source is).
  std::optional<CacheKey> Key;
  if (Cache) {
    if (Expected<SourceState> File = Cache->source(PYOX_PYTHON))
      Key = makeCacheKey("host-python-build", {keyBytes(File->Digest)});
    else
      consumeError(File.takeError()); // running it reports the trouble
  }
  if (Key)
    if (std::optional<std::string> Known = Cache->lookup(*Key))
      if (!Known->empty())
        return *Known;
  Expected<std::string> Version = runHostPython();
  if (Version && Key)
    consumeError(Cache->store(*Key, *Version)); // a lost speed-up at worst
  return Version;
}

Error checkTemplateBuild(StringRef Template, StringRef Recorded,
                         StringRef Host) {
  // The section holds a C string, padded as the linker pleases.
  Recorded = Recorded.take_until([](char C) { return C == '\0'; });
  if (Recorded == Host)
    return Error::success();
  return createStringError(
      std::errc::invalid_argument,
      "%s: the template's CPython (%s) is not the build of the standard "
      "library to pack (%s, %s); rebuild the template (scripts/build.sh) "
      "or pass --template one linked against this python3.11",
      Template.str().c_str(), Recorded.str().c_str(), Host.str().c_str(),
      static_cast<const char *>(PYOX_PYTHON));
}

} // namespace pyox
