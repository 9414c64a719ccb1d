//===- pyox-plugin.cpp - GNU linker plugin that links a payload in --------===//
//
// For builds that link with ld.bfd or gold and cannot change the linker:
//
//   gcc ... -Wl,-plugin,/path/to/pyox-plugin.so \
//           -Wl,-plugin-opt=payload=app.pyox
//
// The linker plugin interface (binutils include/plugin-api.h, the one that
// LTO plugins use) lets a plugin add input files once all symbols are read.
// This plugin claims nothing; it
//   1. reads its options in onload (payload=FILE, name=NAME, reserve=BYTES,
//      arch=ARCH) and checks the payload file there, so a bad one stops the
//      link before any work;
//   2. watches the input objects go by (the claim-file hook sees each one)
//      and takes the machine of the first ELF object, so the payload object
//      matches the link (a cross linker included);
//   3. in the all-symbols-read hook, builds the payload object
//      (lib/Link/PayloadObject) into an anonymous memory file and adds it
//      with add_input_file: nothing is written to the file system.
// Errors go through the linker's message callback at LDPL_FATAL, which ends
// the link with the linker's usual "ld: fatal error" line and status.
//
// lld and mold do not load plugins of this kind: use pyox-ld, or add the
// object from `pyox-inject object` to the link (docs/link-time.md).
//
//===----------------------------------------------------------------------===//

#include "Link/LinkerArgs.h"
#include "Link/PayloadObject.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Errno.h"

#include <plugin-api.h>

#include <optional>
#include <string>

#include <sys/mman.h>
#include <unistd.h>

using namespace llvm;
using namespace pyox;

namespace {

struct PluginState {
  ld_plugin_message Message = nullptr;
  ld_plugin_add_input_file AddInputFile = nullptr;
  std::string PayloadFile;
  std::unique_ptr<MemoryBuffer> Payload;
  link::ObjectConfig Config;
  bool ArchGiven = false, ArchSeen = false;
  int ObjectFd = -1;
};

PluginState State;

// Reports through the linker and returns LDPS_ERR. LDPL_FATAL makes the
// linker stop with an error status.
ld_plugin_status report(const std::string &Text) {
  if (State.Message)
    State.Message(LDPL_FATAL, "pyox-plugin: %s", Text.c_str());
  return LDPS_ERR;
}

ld_plugin_status reportError(Error E) { return report(toString(std::move(E))); }

ld_plugin_status parseOption(StringRef Option) {
  auto [Key, Value] = Option.split('=');
  if (Key == "payload") {
    State.PayloadFile = Value.str();
  } else if (Key == "name") {
    State.Config.PayloadName = Value.str();
  } else if (Key == "reserve") {
    if (!to_integer(Value, State.Config.Reserve, 0))
      return report("-plugin-opt=reserve needs a byte count, not '" +
                    Value.str() + "'");
  } else if (Key == "arch") {
    Expected<link::ObjectArch> A = link::parseObjectArch(Value);
    if (!A)
      return reportError(A.takeError());
    State.Config.Arch = *A;
    State.ArchGiven = true;
  } else {
    return report("unknown option '" + Option.str() +
                  "' (expected payload=FILE, name=NAME, reserve=BYTES or "
                  "arch=ARCH)");
  }
  return LDPS_OK;
}

// Sees every input object; claims none. The first ELF object fixes the
// machine of the payload object.
ld_plugin_status claimFile(const ld_plugin_input_file *File, int *Claimed) {
  *Claimed = 0;
  if (State.ArchGiven || State.ArchSeen)
    return LDPS_OK;
  char Header[64];
  ssize_t N = pread(File->fd, Header, sizeof(Header), File->offset);
  if (N < 20)
    return LDPS_OK;
  if (std::optional<link::ObjectArch> A = link::objectArchOf(
          StringRef(Header, static_cast<size_t>(N)), link::ObjectFormat::ELF)) {
    State.Config.Arch = *A;
    State.ArchSeen = true;
  }
  return LDPS_OK;
}

ld_plugin_status allSymbolsRead() {
  Expected<SmallVector<char, 0>> Object = link::createPayloadObject(
      arrayRefFromStringRef(State.Payload->getBuffer()), State.Config);
  if (!Object)
    return reportError(Object.takeError());
  int Fd = memfd_create("pyox-payload.o", MFD_CLOEXEC);
  if (Fd < 0)
    return report("cannot create the in-memory payload object: " +
                  sys::StrError());
  for (size_t Done = 0; Done < Object->size();) {
    ssize_t N = write(Fd, Object->data() + Done, Object->size() - Done);
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0) {
      close(Fd);
      return report("cannot write the in-memory payload object: " +
                    sys::StrError());
    }
    Done += static_cast<size_t>(N);
  }
  State.ObjectFd = Fd;
  std::string Path = "/proc/self/fd/" + utostr(static_cast<unsigned>(Fd));
  if (State.AddInputFile(Path.c_str()) != LDPS_OK)
    return report("the linker did not accept the payload object");
  return LDPS_OK;
}

ld_plugin_status cleanup() {
  if (State.ObjectFd >= 0)
    close(State.ObjectFd);
  State.ObjectFd = -1;
  State.Payload.reset();
  return LDPS_OK;
}

} // namespace

extern "C" __attribute__((visibility("default"))) ld_plugin_status
onload(ld_plugin_tv *TV) {
  State = PluginState();
  State.Config.Format = link::ObjectFormat::ELF;
  State.Config.Arch = link::hostArch();
  ld_plugin_register_claim_file RegisterClaim = nullptr;
  ld_plugin_register_all_symbols_read RegisterAllRead = nullptr;
  ld_plugin_register_cleanup RegisterCleanup = nullptr;
  std::vector<std::string> Options;
  for (; TV->tv_tag != LDPT_NULL; ++TV) {
    switch (TV->tv_tag) {
    case LDPT_MESSAGE:
      State.Message = TV->tv_u.tv_message;
      break;
    case LDPT_ADD_INPUT_FILE:
      State.AddInputFile = TV->tv_u.tv_add_input_file;
      break;
    case LDPT_REGISTER_CLAIM_FILE_HOOK:
      RegisterClaim = TV->tv_u.tv_register_claim_file;
      break;
    case LDPT_REGISTER_ALL_SYMBOLS_READ_HOOK:
      RegisterAllRead = TV->tv_u.tv_register_all_symbols_read;
      break;
    case LDPT_REGISTER_CLEANUP_HOOK:
      RegisterCleanup = TV->tv_u.tv_register_cleanup;
      break;
    case LDPT_OPTION:
      Options.push_back(TV->tv_u.tv_string);
      break;
    default:
      break;
    }
  }
  // Options are read once the message callback is known, wherever the
  // linker put it in the vector.
  for (const std::string &O : Options)
    if (parseOption(O) != LDPS_OK)
      return LDPS_ERR;
  if (!State.AddInputFile || !RegisterAllRead || !RegisterClaim)
    return report("this linker lacks add_input_file or the claim-file and "
                  "all-symbols-read hooks");
  if (State.PayloadFile.empty())
    return report("no payload: pass -plugin-opt=payload=FILE");
  if (Error E = link::checkObjectConfig(State.Config))
    return reportError(std::move(E));
  Expected<std::unique_ptr<MemoryBuffer>> Payload =
      link::readPayloadFile(State.PayloadFile);
  if (!Payload)
    return reportError(Payload.takeError());
  State.Payload = std::move(*Payload);
  if (RegisterClaim(claimFile) != LDPS_OK ||
      RegisterAllRead(allSymbolsRead) != LDPS_OK ||
      (RegisterCleanup && RegisterCleanup(cleanup) != LDPS_OK))
    return report("the linker refused the plugin's hooks");
  return LDPS_OK;
}
