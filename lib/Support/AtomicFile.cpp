//===- AtomicFile.cpp -----------------------------------------------------===//

#include "Support/AtomicFile.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace llvm;

namespace pyox {

static Error errnoError(StringRef Path, const Twine &What) {
  return createStringError(std::error_code(errno, std::generic_category()),
                           "%s: %s: %s", Path.str().c_str(), What.str().c_str(),
                           strerror(errno));
}

Error writeFileAtomically(StringRef Path,
                          function_ref<Error(raw_pwrite_stream &)> Write,
                          AtomicWriteOptions Options) {
  mode_t Mode;
  struct stat St;
  if (Options.Mode >= 0) {
    Mode = static_cast<mode_t>(Options.Mode);
  } else if (::stat(Path.str().c_str(), &St) == 0) {
    if (!S_ISREG(St.st_mode))
      return createStringError(std::errc::invalid_argument,
                               "%s: not a regular file", Path.str().c_str());
    Mode = St.st_mode & 07777;
  } else {
    mode_t Mask = ::umask(0);
    ::umask(Mask);
    Mode = (Options.Executable ? 0777 : 0666) & ~Mask;
  }

  SmallString<256> Dir(Path);
  sys::path::remove_filename(Dir);
  if (Dir.empty())
    Dir = ".";
  SmallString<256> Model(Dir);
  sys::path::append(Model, "." + sys::path::filename(Path) + ".pyox-%%%%%%");
  int FD;
  SmallString<256> TempPath;
  if (std::error_code EC = sys::fs::createUniqueFile(Model, FD, TempPath))
    return createStringError(EC, "%s: cannot create a temporary file in %s: %s",
                             Path.str().c_str(), Dir.c_str(),
                             EC.message().c_str());
  auto Discard = [&](Error E) {
    ::unlink(TempPath.c_str());
    return E;
  };
  {
    raw_fd_ostream OS(FD, /*shouldClose=*/false);
    if (Error E = Write(OS)) {
      ::close(FD);
      return Discard(std::move(E));
    }
    OS.flush();
    if (OS.has_error()) {
      std::error_code EC = OS.error();
      OS.clear_error();
      ::close(FD);
      return Discard(createStringError(EC, "%s: write failed: %s",
                                       Path.str().c_str(),
                                       EC.message().c_str()));
    }
  }
  if (::fchmod(FD, Mode) != 0 || (Options.Sync && ::fsync(FD) != 0)) {
    Error E = errnoError(Path, "cannot finish the temporary file");
    ::close(FD);
    return Discard(std::move(E));
  }
  if (::close(FD) != 0)
    return Discard(errnoError(Path, "cannot close the temporary file"));
  if (::rename(TempPath.c_str(), Path.str().c_str()) != 0)
    return Discard(errnoError(Path, "cannot replace the file"));
  if (!Options.Sync)
    return Error::success();
  // Make the rename itself durable.
  int DirFD = ::open(Dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (DirFD >= 0) {
    ::fsync(DirFD);
    ::close(DirFD);
  }
  return Error::success();
}

Error writeFileAtomically(StringRef Path, ArrayRef<uint8_t> Contents,
                          AtomicWriteOptions Options) {
  return writeFileAtomically(
      Path,
      [&](raw_pwrite_stream &OS) {
        OS.write(reinterpret_cast<const char *>(Contents.data()),
                 Contents.size());
        return Error::success();
      },
      Options);
}

} // namespace pyox
