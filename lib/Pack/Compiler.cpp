//===- Compiler.cpp -------------------------------------------------------===//

#include "Pack/Compiler.h"
#include "Pack/Marshal.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Threading.h"

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <marshal.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace llvm;

namespace pyox {
namespace {

// Worker-to-parent records: a fixed header, then Size bytes.
enum RecordStatus : uint32_t { Compiled = 1, Failed = 2 };
struct RecordHeader {
  uint32_t Status;
  uint32_t Job;
  uint32_t Size;
};

// Everything FD gives until its end (or an error).
std::string readAll(int FD) {
  std::string Out;
  char Buf[65536];
  for (ssize_t N; (N = ::read(FD, Buf, sizeof Buf)) != 0;) {
    if (N < 0 && errno == EINTR)
      continue;
    if (N < 0)
      break;
    Out.append(Buf, size_t(N));
  }
  return Out;
}

bool writeAll(int FD, const void *Data, size_t Size) {
  const char *P = static_cast<const char *>(Data);
  while (Size) {
    ssize_t N = ::write(FD, P, Size);
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      return false;
    P += N;
    Size -= size_t(N);
  }
  return true;
}

bool sendRecord(int FD, RecordStatus Status, uint32_t Job, StringRef Bytes) {
  RecordHeader H{Status, Job, uint32_t(Bytes.size())};
  return writeAll(FD, &H, sizeof H) && writeAll(FD, Bytes.data(), Bytes.size());
}

// Formats the pending Python exception for File as one line.
std::string describePythonError(const std::string &File) {
  PyObject *Type, *Value, *Trace;
  PyErr_Fetch(&Type, &Value, &Trace);
  PyErr_NormalizeException(&Type, &Value, &Trace);
  std::string Line = File;
  std::string Kind = Type ? ((PyTypeObject *)Type)->tp_name : "error";
  std::string Message;
  if (Value && PyErr_GivenExceptionMatches(Type, PyExc_SyntaxError)) {
    PyObject *LineNo = PyObject_GetAttrString(Value, "lineno");
    PyObject *Msg = PyObject_GetAttrString(Value, "msg");
    if (LineNo && PyLong_Check(LineNo))
      Line += ":" + std::to_string(PyLong_AsLong(LineNo));
    if (Msg && PyUnicode_Check(Msg))
      Message = PyUnicode_AsUTF8(Msg);
    Py_XDECREF(LineNo);
    Py_XDECREF(Msg);
  } else if (Value) {
    PyObject *S = PyObject_Str(Value);
    if (S && PyUnicode_Check(S))
      Message = PyUnicode_AsUTF8(S);
    Py_XDECREF(S);
  }
  PyErr_Clear();
  Py_XDECREF(Type);
  Py_XDECREF(Value);
  Py_XDECREF(Trace);
  return Line + ": " + Kind + ": " + Message;
}

// PEP 263: the encoding a coding declaration names, and its line (1 or 2),
// by the tokenizer's rule: a comment matching coding[:=]NAME on line 1, or
// on line 2 after a line 1 that is blank or a comment. Empty when there is
// none.
std::string codingDeclaration(StringRef Source, unsigned &Line) {
  if (Source.starts_with("\xEF\xBB\xBF"))
    return ""; // a UTF-8 BOM: the tokenizer settles that case itself
  for (Line = 1; Line <= 2; ++Line) {
    StringRef L = Source.take_until([](char C) { return C == '\n'; });
    Source = Source.drop_front(std::min(Source.size(), L.size() + 1));
    StringRef T = L.ltrim(" \t\f\r");
    if (!T.starts_with("#")) {
      if (!T.empty())
        return "";
      continue; // a blank line 1: line 2 may still declare
    }
    for (size_t At = T.find("coding"); At != StringRef::npos;
         At = T.find("coding", At + 1)) {
      StringRef Rest = T.drop_front(At + 6);
      if (Rest.empty() || (Rest[0] != ':' && Rest[0] != '='))
        continue;
      StringRef Name = Rest.drop_front().ltrim(" \t").take_while([](char C) {
        return isAlnum(C) || C == '-' || C == '_' || C == '.';
      });
      if (!Name.empty())
        return Name.str();
    }
  }
  return "";
}

// True for the encodings CPython's tokenizer decodes without the codec
// registry (its get_normal_name and PyUnicode_Decode's fast paths): all
// others need the `encodings` package, which the core-only interpreter
// cannot import.
bool decodedWithoutCodecs(StringRef Name) {
  std::string N = Name.lower();
  std::replace(N.begin(), N.end(), '_', '-');
  for (StringRef Known : {"utf-8", "latin-1", "iso-8859-1", "iso-latin-1"})
    if (N == Known || StringRef(N).starts_with((Known + "-").str()))
      return true;
  return N == "utf8" || N == "latin1" || N == "iso8859-1";
}

// Decodes File, which declares the encoding Name on line Line, with the
// host python3.11 (the same CPython build: tools check it, see
// docs/runtime.md): its text as UTF-8, or the one-line SyntaxError
// python3.11 would report, "FILE:LINE: SyntaxError: ...".
Expected<std::string> decodeWithHostPython(const std::string &File,
                                           StringRef Name, unsigned Line) {
  static const char Script[] =
      "import sys, codecs\n"
      "path, name, line = sys.argv[1], sys.argv[2], int(sys.argv[3])\n"
      "data = open(path, 'rb').read()\n"
      "try:\n"
      "    codecs.lookup(name)\n"
      "except LookupError:\n"
      "    sys.stdout.write(f'E{line}\\nunknown encoding: {name}')\n"
      "    sys.exit(0)\n"
      "try:\n"
      "    text = data.decode(name)\n"
      "except UnicodeDecodeError as e:\n"
      "    line = data.count(b'\\n', 0, e.start) + 1\n"
      "    sys.stdout.write(f'E{line}\\n(unicode error) {e}')\n"
      "    sys.exit(0)\n"
      "sys.stdout.buffer.write(b'T' + text.encode('utf-8', 'surrogatepass'))\n";
  int Pipe[2];
  if (::pipe2(Pipe, O_CLOEXEC) != 0)
    return createStringError(std::error_code(errno, std::generic_category()),
                             "%s: cannot create a pipe", File.c_str());
  std::string LineText = std::to_string(Line);
  std::string NameText = Name.str();
  const char *Argv[] = {PYOX_PYTHON,
                        "-I",
                        "-S",
                        "-c",
                        Script,
                        File.c_str(),
                        NameText.c_str(),
                        LineText.c_str(),
                        nullptr};
  pid_t Pid = ::fork();
  if (Pid == 0) {
    ::dup2(Pipe[1], 1); // dup2 clears O_CLOEXEC on the copy
    ::execv(PYOX_PYTHON, const_cast<char **>(Argv));
    ::_exit(127);
  }
  ::close(Pipe[1]);
  std::string Out = Pid > 0 ? readAll(Pipe[0]) : std::string();
  ::close(Pipe[0]);
  int Status = 0;
  if (Pid < 0 || ::waitpid(Pid, &Status, 0) != Pid || !WIFEXITED(Status) ||
      WEXITSTATUS(Status) != 0 || Out.empty())
    return createStringError(
        std::errc::io_error, "%s: cannot decode its '%s' source with %s",
        File.c_str(), NameText.c_str(), static_cast<const char *>(PYOX_PYTHON));
  if (Out[0] == 'T')
    return Out.substr(1);
  auto [Where, Message] = StringRef(Out).drop_front().split('\n');
  return createStringError(std::errc::invalid_argument,
                           "%s:%s: SyntaxError: %s", File.c_str(),
                           Where.str().c_str(), Message.str().c_str());
}

// Starts the embedded interpreter in this process, once: the core phase
// only (PEP 587 _init_main = 0), which is all the compiler needs, and reads
// the bytecode magic. Workers are forked from this pristine state.
Expected<uint32_t> startEmbeddedPython() {
  static uint32_t Magic = 0;
  static std::string Failure;
  static bool Started = false;
  if (Started) {
    if (!Failure.empty())
      return createStringError(std::errc::io_error, "%s", Failure.c_str());
    return Magic;
  }
  Started = true;
  PyConfig Config;
  PyConfig_InitIsolatedConfig(&Config);
  Config._init_main = 0;
  Config.install_signal_handlers = 0;
  Config.site_import = 0;
  Config.write_bytecode = 0;
  Config.pathconfig_warnings = 0;
  PyStatus Status = Py_InitializeFromConfig(&Config);
  PyConfig_Clear(&Config);
  if (PyStatus_Exception(Status)) {
    Failure = std::string("cannot start the embedded Python: ") +
              (Status.err_msg ? Status.err_msg : "unknown error");
    return createStringError(std::errc::io_error, "%s", Failure.c_str());
  }
  // The codec registry imports `encodings` the first time anything needs it
  // (a decoding error's message, an error handler): give the core phase the
  // path-based importer and the host standard library to find it in, as
  // the main phase would. Nothing is imported until then.
  PyObject *Bootstrap = PyImport_ImportModule("_frozen_importlib");
  PyObject *Installed =
      Bootstrap ? PyObject_CallMethod(Bootstrap, "_install_external_importers",
                                      nullptr)
                : nullptr;
  PyObject *Path = Py_BuildValue("[s]", PYOX_PYTHON_STDLIB);
  // The source loader reads these, which only the main phase sets.
  if (!Installed || !Path || PySys_SetObject("path", Path) < 0 ||
      PySys_SetObject("pycache_prefix", Py_None) < 0 ||
      PySys_SetObject("dont_write_bytecode", Py_True) < 0) {
    Py_XDECREF(Bootstrap);
    Py_XDECREF(Installed);
    Py_XDECREF(Path);
    Failure = describePythonError("the embedded Python's import system");
    return createStringError(std::errc::io_error, "%s", Failure.c_str());
  }
  Py_DECREF(Bootstrap);
  Py_DECREF(Installed);
  Py_DECREF(Path);
  // importlib.util.MAGIC_NUMBER lives in the frozen external bootstrap,
  // which the core phase has not installed yet; importing it is enough.
  if (PyObject *Ext = PyImport_ImportModule("_frozen_importlib_external")) {
    if (PyObject *Raw = PyObject_GetAttrString(Ext, "_RAW_MAGIC_NUMBER")) {
      Magic = uint32_t(PyLong_AsUnsignedLong(Raw));
      Py_DECREF(Raw);
    }
    Py_DECREF(Ext);
  }
  PyErr_Clear();
  if (Magic == 0) {
    Failure = "the embedded Python reported no bytecode magic";
    return createStringError(std::errc::io_error, "%s", Failure.c_str());
  }
  return Magic;
}

// The body of one worker process, forked from a process that has run
// startEmbeddedPython. Never returns.
[[noreturn]] void runWorker(ArrayRef<CompileJob> Jobs, size_t Begin, size_t End,
                            int Optimize, int FD) {
  PyOS_AfterFork_Child();
  for (uint32_t J = uint32_t(Begin); J < End; ++J) {
    const CompileJob &Job = Jobs[J];
    std::unique_ptr<MemoryBuffer> Buf;
    StringRef Source;
    if (Job.Source) {
      Source = *Job.Source; // read by the parent, inherited through fork
    } else {
      auto Read = MemoryBuffer::getFile(Job.File, /*IsText=*/false,
                                        /*RequiresNullTerminator=*/true);
      if (!Read) {
        sendRecord(FD, Failed, J,
                   Job.File + ": cannot read: " + Read.getError().message());
        continue;
      }
      Buf = std::move(*Read);
      Source = Buf->getBuffer();
    }
    if (Source.contains('\0')) {
      sendRecord(FD, Failed, J,
                 Job.File + ": source code contains a null byte");
      continue;
    }
    PyCompilerFlags Flags = _PyCompilerFlags_INIT;
    // A source in another encoding than UTF-8 or Latin-1 is decoded here,
    // then compiled as the UTF-8 text it is (as compile() does a str).
    std::string Decoded;
    unsigned CookieLine = 0;
    std::string Coding = codingDeclaration(Source, CookieLine);
    if (!Coding.empty() && !decodedWithoutCodecs(Coding)) {
      Expected<std::string> Text =
          decodeWithHostPython(Job.File, Coding, CookieLine);
      if (!Text) {
        sendRecord(FD, Failed, J, toString(Text.takeError()));
        continue;
      }
      Decoded = std::move(*Text);
      Source = Decoded;
      Flags.cf_flags |= PyCF_IGNORE_COOKIE;
    }
    PyObject *Code =
        Py_CompileStringExFlags(Source.data(), Job.CodeFilename.c_str(),
                                Py_file_input, &Flags, Optimize);
    if (!Code) {
      sendRecord(FD, Failed, J, describePythonError(Job.File));
      continue;
    }
    PyObject *Data = PyMarshal_WriteObjectToString(Code, Py_MARSHAL_VERSION);
    Py_DECREF(Code);
    if (!Data) {
      sendRecord(FD, Failed, J, describePythonError(Job.File));
      continue;
    }
    char *Bytes;
    Py_ssize_t Size;
    PyBytes_AsStringAndSize(Data, &Bytes, &Size);
    // The same bytes for this file whatever was compiled before it in this
    // process (Marshal.h): what the compile cache stores for it.
    Expected<std::string> Canonical =
        canonicalizeMarshal(StringRef(Bytes, size_t(Size)));
    Py_DECREF(Data);
    bool Sent;
    if (Canonical)
      Sent = sendRecord(FD, Compiled, J, *Canonical);
    else
      Sent = sendRecord(FD, Failed, J,
                        Job.File + ": " + toString(Canonical.takeError()));
    if (!Sent)
      ::_exit(1);
  }
  ::_exit(0);
}

struct Worker {
  pid_t Pid = -1;
  int FD = -1;
  std::string Pending; // bytes read but not yet parsed
};

} // namespace

std::string compilerIdentity() {
  // Bump MarshalForm when canonicalizeMarshal's output changes.
  constexpr unsigned MarshalForm = 1;
  return "cpython " + std::to_string(PY_VERSION_HEX) + " " +
         std::string(Py_GetVersion()) + "; marshal " +
         std::to_string(Py_MARSHAL_VERSION) + "; canonical " +
         std::to_string(MarshalForm);
}

Expected<uint32_t> bytecodeMagic() { return startEmbeddedPython(); }

std::string readBuiltinModuleAttributes() {
  Expected<uint32_t> Started = startEmbeddedPython();
  if (!Started) {
    consumeError(Started.takeError());
    return "";
  }
  std::vector<const char *> Names;
  for (const struct _inittab *P = PyImport_Inittab; P && P->name; ++P)
    Names.push_back(P->name);
  // A child imports them from Next on, writing "module\tattribute\n" lines
  // and "module\n" once a module is done. Some cannot be imported before
  // the interpreter's main phase (_signal crashes): a child that dies is
  // followed by one that starts after the module it died in.
  std::string Known;
  for (size_t Next = 0; Next < Names.size();) {
    int Pipe[2];
    if (::pipe2(Pipe, O_CLOEXEC) != 0)
      break;
    pid_t Pid = ::fork();
    if (Pid == 0) {
      // Dying quietly: not through LLVM's crash report, not on stderr, and
      // without a core dump.
      for (int Sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT})
        ::signal(Sig, SIG_DFL);
      ::prctl(PR_SET_DUMPABLE, 0);
      int Null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
      if (Null >= 0)
        ::dup2(Null, 2);
      for (size_t I = Next; I < Names.size(); ++I) {
        std::string Out;
        PyObject *M = PyImport_ImportModule(Names[I]);
        PyObject *Attrs = M ? PyObject_Dir(M) : nullptr;
        for (Py_ssize_t K = 0; Attrs && K < PyList_GET_SIZE(Attrs); ++K)
          if (const char *A = PyUnicode_AsUTF8(PyList_GET_ITEM(Attrs, K)))
            Out += std::string(Names[I]) + "\t" + A + "\n";
        Py_XDECREF(Attrs);
        Py_XDECREF(M);
        PyErr_Clear();
        Out += std::string(Names[I]) + "\n";
        if (!writeAll(Pipe[1], Out.data(), Out.size()))
          ::_exit(1);
      }
      ::_exit(0);
    }
    ::close(Pipe[1]);
    std::string Out = Pid > 0 ? readAll(Pipe[0]) : std::string();
    ::close(Pipe[0]);
    if (Pid < 0 || ::waitpid(Pid, nullptr, 0) != Pid)
      break;
    // Only whole modules count: the lines of the one the child died in,
    // which has no "module" line, are left out.
    size_t Done = Next;
    std::string Module;
    SmallVector<StringRef, 0> Lines;
    StringRef(Out).split(Lines, '\n', -1, /*KeepEmpty=*/false);
    for (StringRef L : Lines) {
      if (L.contains('\t')) {
        Module += L.str() + "\n";
        continue;
      }
      if (Done >= Names.size() || L != Names[Done])
        break;
      Known += Module;
      Module.clear();
      ++Done;
    }
    Next = Done + 1;
  }
  return Known;
}

uint32_t embeddedPythonVersion() {
  return (uint32_t(PY_MAJOR_VERSION) << 24) |
         (uint32_t(PY_MINOR_VERSION) << 16);
}

Expected<CompileOutput>
compileSources(ArrayRef<CompileJob> Jobs, int Optimize, unsigned Workers,
               function_ref<void(size_t, StringRef)> OnCompiled,
               bool KeepBytecode) {
  if (Optimize < 0 || Optimize > 2)
    return createStringError(std::errc::invalid_argument,
                             "optimisation level must be 0, 1 or 2");
  if (Workers == 0)
    Workers = std::max(1, llvm::get_physical_cores());
  Expected<uint32_t> Magic = startEmbeddedPython();
  if (!Magic)
    return Magic.takeError();

  // Fixed chunks of consecutive jobs, each compiled by a process forked from
  // the pristine interpreter; each file's marshal data is made independent
  // of what the worker compiled before it (Marshal.h). A fork copies the
  // page tables of a process that maps libLLVM, ~1-2 ms of system time, and
  // more as this process holds more results: so chunks are not tiny, and
  // there are at most ~16 per worker however many files there are (at
  // 100,000 files, 32-file chunks made forking the most of the pack's
  // time, growing faster than the file count). They start largest first
  // (by source bytes), which balances the load as well as small chunks
  // would.
  const size_t ChunkSize =
      std::max<size_t>(32, Jobs.size() / (size_t(Workers) * 16) + 1);
  const size_t Chunks =
      std::max<size_t>(1, (Jobs.size() + ChunkSize - 1) / ChunkSize);
  std::vector<uint64_t> ChunkBytes(Chunks, 0);
  for (size_t J = 0; J < Jobs.size(); ++J) {
    struct stat St;
    if (Jobs[J].Source)
      ChunkBytes[J / ChunkSize] += Jobs[J].Source->size();
    else if (::stat(Jobs[J].File.c_str(), &St) == 0)
      ChunkBytes[J / ChunkSize] += uint64_t(St.st_size);
  }
  std::vector<size_t> ChunkOrder(Chunks);
  for (size_t C = 0; C < Chunks; ++C)
    ChunkOrder[C] = C;
  llvm::sort(ChunkOrder, [&](size_t A, size_t B) {
    return ChunkBytes[A] != ChunkBytes[B] ? ChunkBytes[A] > ChunkBytes[B]
                                          : A < B;
  });

  std::vector<Worker> Running;
  auto KillAll = [&]() {
    for (Worker &W : Running) {
      if (W.FD >= 0)
        ::close(W.FD);
      if (W.Pid > 0) {
        ::kill(W.Pid, SIGKILL);
        ::waitpid(W.Pid, nullptr, 0);
      }
    }
  };
  size_t NextChunk = 0;
  auto StartChunk = [&]() -> Error {
    size_t Begin = ChunkOrder[NextChunk] * ChunkSize;
    size_t End = std::min(Jobs.size(), Begin + ChunkSize);
    ++NextChunk;
    int Pipe[2];
    if (::pipe2(Pipe, O_CLOEXEC) != 0)
      return createStringError(std::error_code(errno, std::generic_category()),
                               "cannot create a pipe for a compiler worker");
    pid_t Pid = ::fork();
    if (Pid < 0) {
      ::close(Pipe[0]);
      ::close(Pipe[1]);
      return createStringError(std::error_code(errno, std::generic_category()),
                               "cannot start a compiler worker");
    }
    if (Pid == 0)
      runWorker(Jobs, Begin, End, Optimize, Pipe[1]);
    ::close(Pipe[1]);
    Worker W;
    W.Pid = Pid;
    W.FD = Pipe[0];
    Running.push_back(std::move(W));
    return Error::success();
  };

  CompileOutput Out;
  Out.BytecodeMagic = *Magic;
  Out.Bytecode.resize(Jobs.size());
  Out.PythonVersion = embeddedPythonVersion();
  std::vector<std::string> Failures(Jobs.size());
  std::vector<bool> Done(Jobs.size(), false);
  std::string WorkerFailure;
  bool Crashed = false;

  // Keep up to Workers chunks running, and drain every pipe as data
  // arrives, or workers block on full pipes.
  std::vector<char> Buffer(1 << 16);
  for (;;) {
    while (Running.size() < Workers && NextChunk < Chunks)
      if (Error E = StartChunk()) {
        KillAll();
        return std::move(E);
      }
    if (Running.empty())
      break;
    std::vector<pollfd> Polls;
    for (Worker &W : Running)
      Polls.push_back({W.FD, POLLIN, 0});
    if (::poll(Polls.data(), Polls.size(), -1) < 0) {
      if (errno == EINTR)
        continue;
      KillAll();
      return createStringError(std::error_code(errno, std::generic_category()),
                               "poll failed while compiling");
    }
    for (size_t K = Polls.size(); K-- > 0;) {
      if (!(Polls[K].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      Worker &W = Running[K];
      ssize_t N = ::read(W.FD, Buffer.data(), Buffer.size());
      if (N < 0 && errno == EINTR)
        continue;
      if (N <= 0) { // the worker is done: reap it
        ::close(W.FD);
        int Status = 0;
        ::waitpid(W.Pid, &Status, 0);
        if (!WIFEXITED(Status) || WEXITSTATUS(Status) != 0)
          Crashed = true;
        Running.erase(Running.begin() + K);
        continue;
      }
      W.Pending.append(Buffer.data(), size_t(N));
      size_t Pos = 0;
      while (W.Pending.size() - Pos >= sizeof(RecordHeader)) {
        RecordHeader H;
        std::memcpy(&H, W.Pending.data() + Pos, sizeof H);
        if (W.Pending.size() - Pos - sizeof H < H.Size)
          break;
        std::string Body = W.Pending.substr(Pos + sizeof H, H.Size);
        Pos += sizeof H + H.Size;
        if (H.Job == UINT32_MAX || H.Job >= Jobs.size()) {
          WorkerFailure = Body;
        } else if (H.Status == Compiled) {
          if (OnCompiled)
            OnCompiled(H.Job, Body);
          if (KeepBytecode)
            Out.Bytecode[H.Job] = std::move(Body);
          Done[H.Job] = true;
        } else {
          Failures[H.Job] = std::move(Body);
          Done[H.Job] = true;
        }
      }
      W.Pending.erase(0, Pos);
    }
  }

  if (!WorkerFailure.empty())
    return createStringError(std::errc::io_error, "%s", WorkerFailure.c_str());
  for (size_t J = 0; J < Jobs.size(); ++J)
    if (!Failures[J].empty())
      return createStringError(std::errc::invalid_argument, "%s",
                               Failures[J].c_str());
  if (Crashed || !all_of(Done, [](bool D) { return D; }))
    return createStringError(std::errc::io_error,
                             "a compiler worker process died unexpectedly");
  return Out;
}

} // namespace pyox
