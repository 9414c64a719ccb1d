# lit configuration for pyox. Tests are *.test files; each states its intent
# in `##` comments. Substitutions:
#   pyox-inject, pyox-run, pyox-ld     the built tools (build/bin)
#   FileCheck, not, yaml2obj, llvm-*   LLVM 19 tools
#   %python        /usr/bin/python3.11 (the interpreter pyox embeds)
#   %stdlib        its standard library directory
#   %stdlib_payload  a payload of the whole stdlib, built once per build
#   %cc            the C compiler the project was built with
#   %S %s %t %p    lit's usual
import os
import lit.formats

config.name = "pyox"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".test"]
config.excludes = ["Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.pyox_obj_root, "test")

# Every test is bounded: one that runs longer than this (a program that
# hangs, or re-runs itself through sys.executable) fails, and lit kills its
# processes (with psutil, scripts/install-deps.sh). Root is exempt from
# ulimit -u, so time is the bound that holds; tests that fork on purpose
# count and time their own children too. The slowest test takes ~3 min.
lit_config.maxIndividualTestTime = 900

path = [config.pyox_bin_dir, config.llvm_tools_dir, os.environ.get("PATH", "")]
# `--param mapped_code=1` (ctest's lit-mapped-code): every `pyox-inject
# build` lays out mapped code unless the test chooses (Inputs/mapped-code),
# in a tree of outputs of its own, so that it can run beside the plain one.
# Tests of what only the default form does are UNSUPPORTED there.
if lit_config.params.get("mapped_code") == "1":
    path.insert(0, os.path.join(config.test_source_root, "Inputs", "mapped-code"))
    config.environment["PYOX_INJECT_REAL"] = os.path.join(config.pyox_bin_dir,
                                                          "pyox-inject")
    config.test_exec_root = os.path.join(config.pyox_obj_root, "test-mapped-code")
    config.available_features.add("mapped-code-default")
config.environment["PATH"] = os.pathsep.join(path)
for var in ("HOME", "TMPDIR", "LANG"):
    if var in os.environ:
        config.environment[var] = os.environ[var]
# pack and build use a compile cache (default ~/.cache/pyox); the tests'
# is in the build tree. Tests of the cache itself pass --cache-dir.
config.environment["PYOX_CACHE_DIR"] = os.path.join(config.pyox_obj_root,
                                                    "test", "pyox-cache")

config.substitutions.append(("%python", config.python311))
config.substitutions.append(("%stdlib_payload", config.stdlib_payload))
config.substitutions.append(("%stdlib", config.python_stdlib))
config.substitutions.append(("%dynload", config.python_dynload))
config.substitutions.append(("%pyinclude", config.python_include))
config.substitutions.append(("%cc", config.c_compiler))
config.substitutions.append(("%cxx", config.cxx_compiler))
config.substitutions.append(("%srcroot", config.pyox_src_root))
config.substitutions.append(("%bindir", config.pyox_bin_dir))
if config.pyox_bolt.upper() in ("ON", "1", "TRUE", "YES"):
    config.available_features.add("bolt")  # pyox-run laid out by llvm-bolt
if os.path.exists(os.path.join(config.pyox_bin_dir, "pyox-run-san")):
    config.available_features.add("pyox-run-san")

# Optional tools: tests that need them say `REQUIRES: name`.
import shutil
for tool in ("strip", "readelf", "eu-elflint", "strace", "unshare", "gcc", "patchelf",
             "ld.bfd", "ld.gold", "mold", "wine64", "x86_64-w64-mingw32-gcc"):
    if shutil.which(tool, path=os.pathsep.join(path)):
        config.available_features.add(tool)
if os.geteuid() == 0:
    config.available_features.add("root")
# Work the runtime does side by side needs a second CPU to be seen.
if len(os.sched_getaffinity(0)) >= 2:
    config.available_features.add("cpus-2")
