//===- Startup.cpp - Start an interpreter that imports from a payload -----===//
//
// Start-up is a straight pipeline; every pass is cheap and none looks at
// the host's Python installation:
//
//   1. locate     pyox_find_payload: the payload note of this image;
//   2. validate   pyox_payload_open_lazy (header, chunk table; each index
//                 chunk is checked when first used, so this costs the same
//                 for any number of entries) and the Python version and
//                 bytecode magic it was compiled for;
//   3. mount      the paths under ROOT as a read-only tree (pyox/vfs.h),
//                 when the program links the VFS;
//   4. configure  PEP 587: UTF-8 mode, sys.executable = ROOT/bin/python3
//                 (with the VFS; else the program), sys.path = [ROOT]
//                 (plus PYTHONPATH in command-line mode),
//                 home = the program's directory so that getpath probes
//                 nothing; _init_main = 0 to stop after the core;
//   5. core       Py_InitializeFromConfig: builtins, sys, the frozen
//                 importlib; no module has been imported from files yet;
//   6. importer   the payload finder at sys.meta_path[0];
//   7. main       _Py_InitializeMain: encodings, io, site... all from the
//                 payload; then our path hook goes first in sys.path_hooks;
//   8. run        Py_RunMain: the entry point, or the python3 command line.
//
// What runs in step 8 is decided before step 4. A payload with an entry
// point runs it, and sys.argv[1:] are the user's, all of them. Without
// one, or when the program was started through sys.executable (the VFS's
// interpreter, ROOT/bin/python3: subprocess, os.exec*, multiprocessing),
// the program is python3: CPython parses -c/-m/script/-I/-S/-E/-X/-u/-B
// itself (docs/runtime.md, "sys.executable").
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "MappedCode.h"
#include "pyox/payload.h"
#include "pyox/runtime.h"
#include "pyox/vfs.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

// The virtual filesystem is optional: programs that link pyox_vfs (pyox-run
// does) get it; others keep the C library's own file calls.
extern "C" __attribute__((weak)) int
pyox_vfs_mount(const pyox_payload *, const char *, unsigned, const char **);

// importlib.util.MAGIC_NUMBER of CPython 3.11 (3495, then "\r\n") as the
// little-endian u32 the payload header stores.
#if PY_MAJOR_VERSION != 3 || PY_MINOR_VERSION != 11
#error "pyox's runtime is built for CPython 3.11"
#endif
static constexpr uint32_t BytecodeMagic311 = 3495u | (0x0a0du << 16);

namespace pyox {
namespace {

// The program file: /proc/self/exe; without /proc (a chroot or container
// that did not mount it), the path execve was given (AT_EXECFN) or
// argv[0], found as the shell found it, made absolute.
std::string executablePath(const char *Argv0) {
  char Buf[PATH_MAX];
  ssize_t N = readlink("/proc/self/exe", Buf, sizeof(Buf) - 1);
  if (N > 0)
    return std::string(Buf, size_t(N));
  auto Real = [&](const char *Path) -> std::string {
    struct stat St;
    if (!Path || !*Path || !realpath(Path, Buf) || stat(Buf, &St) != 0 ||
        !S_ISREG(St.st_mode))
      return {};
    return Buf;
  };
  for (const char *Given :
       {reinterpret_cast<const char *>(getauxval(AT_EXECFN)), Argv0}) {
    if (!Given || !*Given)
      continue;
    if (strchr(Given, '/')) {
      if (std::string Found = Real(Given); !Found.empty())
        return Found;
      continue;
    }
    const char *Path = getenv("PATH");
    for (const char *S = Path; S && *S;) {
      const char *E = strchrnul(S, ':');
      std::string Candidate =
          (E == S ? std::string(".") : std::string(S, size_t(E - S))) + "/" +
          Given;
      if (access(Candidate.c_str(), X_OK) == 0)
        if (std::string Found = Real(Candidate.c_str()); !Found.empty())
          return Found;
      S = *E ? E + 1 : E;
    }
  }
  return {};
}

// When the program carries ssl and the user chose no certificates
// (SSL_CERT_FILE and SSL_CERT_DIR unset), points OpenSSL at the first CA
// bundle of the common distributions that exists here: the carried
// libssl looks in the build host's OPENSSLDIR (Debian's /usr/lib/ssl),
// which other systems lack. The list is Go's (crypto/x509/root_linux.go).
void findCaCertificates(const pyox_payload &P) {
  if (getenv("SSL_CERT_FILE") || getenv("SSL_CERT_DIR") ||
      !pyox_payload_find(&P, PYOX_GROUP_MODULE, "_ssl", 4))
    return;
  static const char *const Files[] = {
      "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Arch
      "/etc/pki/tls/certs/ca-bundle.crt",   // Fedora, RHEL 6
      "/etc/ssl/ca-bundle.pem",             // openSUSE
      "/etc/pki/tls/cacert.pem",            // OpenELEC
      "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // RHEL 7+
      "/etc/ssl/cert.pem",                                 // Alpine
  };
  static const char *const Dirs[] = {"/etc/ssl/certs", "/etc/pki/tls/certs"};
  struct stat St;
  for (const char *F : Files)
    if (stat(F, &St) == 0 && S_ISREG(St.st_mode)) {
      setenv("SSL_CERT_FILE", F, 0);
      return;
    }
  for (const char *D : Dirs)
    if (stat(D, &St) == 0 && S_ISDIR(St.st_mode)) {
      setenv("SSL_CERT_DIR", D, 0);
      return;
    }
}

std::string ProgramPath; // for indexDamaged

// A damaged index chunk, found when first used: as fatal as a damaged
// entry (Importer.cpp), for the same reason.
void indexDamaged(const pyox_payload *, const char *What) {
  fflush(stdout);
  fprintf(stderr, "pyox: %s: %s; rebuild the program\n",
          ProgramPath.empty() ? "?" : ProgramPath.c_str(), What);
  fflush(stderr);
  _exit(1);
}

int fail(const std::string &Program, const char *What) {
  fprintf(stderr, "pyox: %s: %s\n", Program.empty() ? "?" : Program.c_str(),
          What);
  return 1;
}

// The index of the script argument of a python3 command line (the first
// argument that is not an option or an option's value), or 0 when there
// is none (-c, -m, -, a REPL).
int scriptIndex(int Argc, char **Argv) {
  for (int I = 1; I < Argc; ++I) {
    const char *A = Argv[I];
    if (strcmp(A, "--") == 0)
      return I + 1 < Argc ? I + 1 : 0;
    if (A[0] != '-')
      return I;
    if (A[1] == '\0')
      return 0; // "-": stdin
    if (A[1] == '-') {
      if (strcmp(A, "--check-hash-based-pycs") == 0)
        ++I;
      continue;
    }
    for (const char *C = A + 1; *C; ++C) {
      if (*C == 'c' || *C == 'm')
        return 0;
      if (*C == 'W' || *C == 'X') {
        if (C[1] == '\0')
          ++I; // the value is the next argument
        break;
      }
    }
  }
  return 0;
}

// True when PATH names the program file itself.
bool isProgram(const char *Path, const char *Root) {
  struct stat A, B;
  return stat(Path, &A) == 0 && stat(Root, &B) == 0 && A.st_dev == B.st_dev &&
         A.st_ino == B.st_ino;
}

// True when this process was started through the interpreter of the
// program at ROOT (the VFS's exec hooks set PYOX_INTERPRETER=ROOT). The
// variable is removed at once: the program's own children are apps again,
// unless they too are started through the interpreter.
bool takeInterpreterMarker(const char *Root) {
  const char *Marker = getenv("PYOX_INTERPRETER");
  if (!Marker)
    return false;
  bool Mine = strcmp(Marker, Root) == 0;
  unsetenv("PYOX_INTERPRETER");
  return Mine;
}

// A PYTHON* variable, when it is set to something.
const char *envValue(const char *Name) {
  const char *V = getenv(Name);
  return V && *V ? V : nullptr;
}

// The environment variables an application honours: those that change how
// the interpreter runs, not what it imports (docs/runtime.md,
// "Environment"). CPython reads none of them when use_environment is 0.
const char *applyRuntimeEnvironment(PyPreConfig &Pre) {
  if (const char *V = envValue("PYTHONUTF8")) {
    if (strcmp(V, "0") != 0 && strcmp(V, "1") != 0)
      return "invalid PYTHONUTF8 environment variable value";
    Pre.utf8_mode = V[0] - '0';
  }
  if (envValue("PYTHONDEVMODE"))
    Pre.dev_mode = 1;
  return nullptr;
}

const char *applyRuntimeEnvironment(PyConfig &C) {
  if (envValue("PYTHONUNBUFFERED"))
    C.buffered_stdio = 0;
  if (envValue("PYTHONFAULTHANDLER"))
    C.faulthandler = 1;
  if (envValue("PYTHONDEVMODE"))
    C.dev_mode = 1;
  if (const char *V = envValue("PYTHONTRACEMALLOC")) {
    char *End;
    long N = strtol(V, &End, 10);
    if (*End || N < 0 || N > 65535)
      return "PYTHONTRACEMALLOC: invalid number of frames";
    C.tracemalloc = int(N);
  }
  if (const char *V = envValue("PYTHONHASHSEED")) {
    if (strcmp(V, "random") == 0) {
      C.use_hash_seed = 0;
    } else {
      char *End;
      unsigned long long N = strtoull(V, &End, 10);
      if (*End || N > 4294967295ull)
        return "PYTHONHASHSEED must be \"random\" or an integer in range "
               "[0; 4294967295]";
      C.use_hash_seed = 1;
      C.hash_seed = (unsigned long)N;
    }
  }
  if (const char *V = envValue("PYTHONIOENCODING")) {
    std::string Spec(V);
    size_t Colon = Spec.find(':');
    std::string Encoding = Spec.substr(0, Colon);
    std::string Errors =
        Colon == std::string::npos ? std::string() : Spec.substr(Colon + 1);
    if ((!Encoding.empty() && PyStatus_Exception(PyConfig_SetBytesString(
                                  &C, &C.stdio_encoding, Encoding.c_str()))) ||
        (!Errors.empty() && PyStatus_Exception(PyConfig_SetBytesString(
                                &C, &C.stdio_errors, Errors.c_str()))))
      return "PYTHONIOENCODING: cannot be decoded";
  }
  if (const char *V = envValue("PYTHONWARNINGS")) {
    std::string List(V);
    for (size_t Start = 0; Start <= List.size();) {
      size_t End = List.find(',', Start);
      if (End == std::string::npos)
        End = List.size();
      std::string Option = List.substr(Start, End - Start);
      Start = End + 1;
      if (Option.empty())
        continue;
      wchar_t *W = Py_DecodeLocale(Option.c_str(), nullptr);
      PyStatus S =
          W ? PyWideStringList_Append(&C.warnoptions, W) : PyStatus_NoMemory();
      PyMem_RawFree(W);
      if (PyStatus_Exception(S))
        return "PYTHONWARNINGS: cannot be decoded";
    }
  }
  return nullptr;
}

// Module and attribute names are identifiers joined by dots.
bool isDottedName(const std::string &S) {
  if (S.empty() || S.front() == '.' || S.back() == '.')
    return false;
  for (char C : S)
    if (!(C == '_' || C == '.' || (C >= '0' && C <= '9') ||
          (C >= 'a' && C <= 'z') || (C >= 'A' && C <= 'Z') ||
          (unsigned char)C >= 0x80))
      return false;
  return S.find("..") == std::string::npos;
}

// The statement that runs the entry point "module[:function]": a module
// runs as __main__ (like python -m, but sys.argv[0] stays the program); a
// function is called and its result is the exit status (like a
// console_scripts wrapper).
bool entryCommand(const std::string &Entry, std::string &Command) {
  size_t Colon = Entry.find(':');
  std::string Module = Entry.substr(0, Colon);
  if (!isDottedName(Module))
    return false;
  if (Colon == std::string::npos) {
    Command =
        "__import__('runpy')._run_module_as_main('" + Module + "', False)\n";
    return true;
  }
  std::string Function = Entry.substr(Colon + 1);
  if (!isDottedName(Function))
    return false;
  Command = "__import__('sys').exit(__import__('_pyox').call_entry_point('" +
            Module + "', '" + Function + "'))\n";
  return true;
}

PyObject *initPyox() { return initPyoxModule(); }

int statusFailure(const std::string &Program, PyStatus S) {
  if (PyStatus_IsExit(S))
    return S.exitcode;
  std::string Msg = "cannot start Python: ";
  if (S.func) {
    Msg += S.func;
    Msg += ": ";
  }
  Msg += S.err_msg ? S.err_msg : "unknown error";
  return fail(Program, Msg.c_str());
}

void freezeStartupObjects() {
  PyObject *Gc = PyImport_ImportModule("gc");
  PyObject *R = Gc ? PyObject_CallMethod(Gc, "freeze", nullptr) : nullptr;
  Py_XDECREF(R);
  Py_XDECREF(Gc);
  PyErr_Clear();
}

bool appendPath(PyConfig &C, const char *Path) {
  wchar_t *W = Py_DecodeLocale(Path, nullptr);
  if (!W)
    return false;
  PyStatus S = PyWideStringList_Append(&C.module_search_paths, W);
  PyMem_RawFree(W);
  return !PyStatus_Exception(S);
}

} // namespace
} // namespace pyox

using namespace pyox;

extern "C" int pyox_run(const pyox_run_config *Config) {
  std::string Exe = executablePath(
      Config->argc > 0 && Config->argv ? Config->argv[0] : nullptr);
  const char *Root = Config->root ? Config->root : Exe.c_str();
  if (!*Root)
    return fail(Exe, "cannot find the program's own path: /proc is not "
                     "mounted (/proc/self/exe), and neither AT_EXECFN nor "
                     "argv[0] names the program file");

  // 1-2. Locate and validate.
  const void *Data = Config->payload;
  size_t Size = Config->payload_size;
  const char *Error = nullptr;
  if (!Data) {
    int R = pyox_find_payload(Config->payload_name,
                              reinterpret_cast<const void *>(&pyox_run), &Data,
                              &Size, &Error);
    // The template's service to `pyox-inject build` (MappedCode.h): only a
    // program without a payload answers it, so no application does.
    if (R == PYOX_FIND_NOT_FOUND && Config->argc == 4 &&
        strcmp(Config->argv[1], "--pyox-lay-out-code") == 0)
      return pyox_lay_out_code_main(Config->argv[2], Config->argv[3]);
    if (R == PYOX_FIND_NOT_FOUND)
      return fail(Exe, "no pyox payload in this program (add one with "
                       "`pyox-inject build` or `pyox-inject inject`)");
    if (R != PYOX_FIND_OK)
      return fail(Exe, Error ? Error : "malformed payload note");
  }
  static pyox_payload Payload; // read by the finder until exit
  ProgramPath = Exe;
  if (pyox_payload_open_lazy(&Payload, Data, Size, indexDamaged, &Error) != 0)
    return fail(Exe, Error);
  if (pyox_payload_check_python(&Payload, uint32_t(PY_VERSION_HEX),
                                BytecodeMagic311, &Error) != 0)
    return fail(Exe, Error);

  // The paths under ROOT become a read-only tree for the whole process,
  // before anything (the interpreter included) looks at them.
  unsigned VfsFlags = Config->payload ? 0u : PYOX_VFS_FILE_MAPPED;
  if (pyox_vfs_mount && pyox_vfs_mount(&Payload, Root, VfsFlags, &Error) != 0)
    return fail(Exe, Error);
  // Shared objects load from memory as /proc/self/fd/N: without /proc, pure
  // Python still runs, and this line explains the ImportErrors to come.
  if (pyox_vfs_mount && access("/proc/self/fd", X_OK) != 0)
    fprintf(stderr,
            "pyox: %s: warning: /proc is not mounted: extension modules and "
            "their libraries cannot be loaded from memory (mount /proc)\n",
            Root);
  // After the mount: --host-data may provide the certificates.
  findCaCertificates(Payload);

  // CPython cannot start without encodings (it is not frozen in 3.11); say
  // so in one line rather than let it dump its path configuration.
  if (!pyox_payload_find(&Payload, PYOX_GROUP_MODULE, "encodings", 9))
    return fail(Exe, "payload has no standard library (no 'encodings' "
                     "module): pack it with --stdlib");

  // What runs (docs/runtime.md, "sys.executable"). With the VFS,
  // sys.executable is ROOT/bin/python3, and a program started through it is
  // a python3; so is a payload without an entry point. Otherwise the
  // program is the application and every argument is the application's,
  // -c and -m included. `python3 PROGRAM ARGS` (the self-restart idiom,
  // os.execv(sys.executable, [sys.executable] + sys.argv)) runs the
  // application again, as python3 runs a script again.
  bool Vfs = pyox_vfs_mount != nullptr;
  std::string Interpreter = Vfs ? std::string(Root) + "/bin/python3" : Exe;
  bool ViaInterpreter = Vfs && takeInterpreterMarker(Root);
  int Argc = Config->argc;
  char **Argv = Config->argv;
  std::string Entry(reinterpret_cast<const char *>(Payload.base) +
                        Payload.header->entry_point_offset,
                    Payload.header->entry_point_size);
  bool CommandLine = Entry.empty() || ViaInterpreter;
  int FirstAppArg = 1; // Argv[FirstAppArg...] are the application's
  if (ViaInterpreter && !Entry.empty()) {
    int Script = scriptIndex(Argc, Argv);
    if (Script > 0 && isProgram(Argv[Script], Root)) {
      CommandLine = false;
      FirstAppArg = Script + 1;
    }
  }
  std::string Command;
  if (!CommandLine && !entryCommand(Entry, Command))
    return fail(Exe, "payload entry point is not MODULE[:FUNCTION]");
  // An application's sys.argv is [PROGRAM, args...] and its sys.orig_argv
  // [sys.executable, PROGRAM, args...]: what python3 sets for a script
  // whose #! line names the interpreter.
  std::vector<char *> AppArgv, AppOrigArgv;
  if (!CommandLine) {
    AppArgv.push_back(const_cast<char *>(Root));
    for (int I = FirstAppArg; I < Argc; ++I)
      AppArgv.push_back(Argv[I]);
    AppOrigArgv.push_back(const_cast<char *>(Interpreter.c_str()));
    AppOrigArgv.insert(AppOrigArgv.end(), AppArgv.begin(), AppArgv.end());
  }
  bool Isolated = Payload.header->flags & PYOX_FLAG_ISOLATED;

  if (PyImport_AppendInittab("_pyox", initPyox) < 0)
    return fail(Exe, "cannot register the _pyox module");

  // 4. Configure.
  PyPreConfig Pre;
  PyPreConfig_InitPythonConfig(&Pre);
  Pre.utf8_mode = 1;
  Pre.parse_argv = CommandLine;
  if (!CommandLine) {
    Pre.use_environment = 0;
    if (!Isolated)
      if (const char *Bad = applyRuntimeEnvironment(Pre))
        return fail(Exe, Bad);
  }
  PyStatus S = Py_PreInitializeFromBytesArgs(&Pre, Argc, Argv);
  if (PyStatus_Exception(S))
    return statusFailure(Exe, S);

  PyConfig C;
  PyConfig_InitPythonConfig(&C);
  C._init_main = 0;
  C.parse_argv = CommandLine;
  C.install_signal_handlers = 1;
  C.pathconfig_warnings = 0;
  if (!CommandLine) {
    // An application, not a python3: PYTHON* variables that change what
    // it imports and the user's site-packages do not change it, and the
    // current directory is not on sys.path.
    C.use_environment = 0;
    C.user_site_directory = 0;
    C.safe_path = 1;
    if (!Isolated)
      if (const char *Bad = applyRuntimeEnvironment(C)) {
        PyConfig_Clear(&C);
        return fail(Exe, Bad);
      }
  }
  std::string Home = Exe.substr(0, Exe.rfind('/'));
  if (Home.empty())
    Home = "/";
  if (CommandLine) {
    S = PyConfig_SetBytesArgv(&C, Argc, Argv);
  } else {
    S = PyConfig_SetBytesArgv(&C, Py_ssize_t(AppArgv.size()), AppArgv.data());
    if (!PyStatus_Exception(S)) {
      std::vector<wchar_t *> Orig;
      for (char *A : AppOrigArgv) {
        Orig.push_back(Py_DecodeLocale(A, nullptr));
        if (!Orig.back())
          S = PyStatus_NoMemory();
      }
      if (!PyStatus_Exception(S))
        S = PyConfig_SetWideStringList(&C, &C.orig_argv,
                                       Py_ssize_t(Orig.size()), Orig.data());
      for (wchar_t *W : Orig)
        PyMem_RawFree(W);
    }
  }
  if (!PyStatus_Exception(S))
    S = PyConfig_SetBytesString(&C, &C.executable, Interpreter.c_str());
  if (!PyStatus_Exception(S))
    S = PyConfig_SetBytesString(&C, &C.base_executable, Interpreter.c_str());
  if (!PyStatus_Exception(S))
    S = PyConfig_SetBytesString(&C, &C.home, Home.c_str());
  if (!PyStatus_Exception(S) && !Command.empty())
    S = PyConfig_SetBytesString(&C, &C.run_command, Command.c_str());
  C.module_search_paths_set = 1;
  if (!PyStatus_Exception(S))
    S = PyConfig_Read(&C);
  if (PyStatus_Exception(S)) {
    PyConfig_Clear(&C);
    return statusFailure(Exe, S);
  }
  // sys.path: [PYTHONPATH..., ROOT]; the script's directory or '' goes in
  // front later, as for python3. Nothing of the host's installation.
  for (Py_ssize_t I = 0; I < C.module_search_paths.length; ++I)
    PyMem_RawFree(C.module_search_paths.items[I]);
  C.module_search_paths.length = 0;
  bool PathOk = true;
  if (C.use_environment && C.pythonpath_env) {
    char *Env = Py_EncodeLocale(C.pythonpath_env, nullptr);
    if (Env) {
      std::string List(Env);
      PyMem_Free(Env);
      size_t Start = 0;
      while (Start <= List.size()) {
        size_t End = List.find(':', Start);
        if (End == std::string::npos)
          End = List.size();
        if (End > Start)
          PathOk &= appendPath(C, List.substr(Start, End - Start).c_str());
        Start = End + 1;
      }
    }
  }
  PathOk &= appendPath(C, Root);
  // sys._stdlib_dir is where FrozenImporter says the frozen stdlib modules
  // come from: ROOT, so that os.__file__ is ROOT/os.py like every payload
  // module.
  if (PyStatus_Exception(PyConfig_SetBytesString(&C, &C.stdlib_dir, Root)))
    PathOk = false;
  if (!PathOk) {
    PyConfig_Clear(&C);
    return fail(Exe, "cannot set sys.path");
  }

  // 5. Core. Py_InitializeFromConfig reads the configuration again, and
  // CPython 3.11's second read drops -X warn_default_encoding (only a read
  // that parses argv sees it: Python/preconfig.c, _PyPreCmdline_SetConfig):
  // the interpreter gets it back before sys.flags are made from it.
  int WarnDefaultEncoding = C.warn_default_encoding;
  S = Py_InitializeFromConfig(&C);
  PyConfig_Clear(&C);
  if (PyStatus_Exception(S))
    return statusFailure(Exe, S);
  if (WarnDefaultEncoding)
    const_cast<PyConfig *>(
        _PyInterpreterState_GetConfig(PyInterpreterState_Get()))
        ->warn_default_encoding = 1;

  // 6. The importer, before anything is imported from "files".
  if (installFinder(Payload, Root, Config->payload == nullptr) < 0 ||
      ((Payload.header->flags & PYOX_FLAG_HAS_SOURCES) &&
       installSourceExcepthook() < 0)) {
    PyErr_Print();
    return fail(Exe, "cannot install the payload importer");
  }

  // 7. Main. Start-up allocates many objects that all stay alive (module
  // code and dicts, where python3.11 has static deep-frozen objects):
  // cyclic GC passes over them would find nothing, so the collector is off
  // meanwhile and they go to the permanent generation afterwards.
  PyGC_Disable();
  S = _Py_InitializeMain();
  if (PyStatus_Exception(S))
    return statusFailure(Exe, S);
  if (finishImporter() < 0) {
    PyErr_Print();
    return fail(Exe, "cannot install the payload path hook");
  }
  freezeStartupObjects();
  PyGC_Enable();

  // 8. Run.
  return Py_RunMain();
}

extern "C" int pyox_main(int Argc, char **Argv) {
  pyox_run_config Config = {};
  Config.argc = Argc;
  Config.argv = Argv;
  return pyox_run(&Config);
}
