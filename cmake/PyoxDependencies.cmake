# Dependencies, all from Debian 12 packages (scripts/install-deps.sh):
# LLVM 19 (shared libLLVM), static CPython 3.11, fmt, GoogleTest.

# LLVMConfigVersion matches major.minor exactly, so ask for no version and
# check the major one.
find_package(LLVM REQUIRED CONFIG NO_DEFAULT_PATH
  PATHS /usr/lib/llvm-19/lib/cmake/llvm)
if(NOT LLVM_VERSION_MAJOR EQUAL 19)
  message(FATAL_ERROR "LLVM 19 is needed, found ${LLVM_PACKAGE_VERSION}")
endif()
message(STATUS "LLVM ${LLVM_PACKAGE_VERSION} in ${LLVM_TOOLS_BINARY_DIR}")

# LLVM for pyox's libraries and tools. The libraries take only LLVM's headers
# and flags (pyox_llvm_headers); each executable chooses how to link LLVM:
#  - pyox_llvm: the shared libLLVM-19.so, quick to link (tests, pyox-ld,
#    the plugin);
#  - pyox_llvm_static: the few static components pyox-inject needs. Loading
#    and relocating the 100 MB shared library costs ~14 ms per run, several
#    times a payload refresh; a static link of Support, Object and MC for
#    the two supported targets starts in ~1 ms.
# LLVM is built without RTTI; code deriving from its classes must be too.
add_library(pyox_llvm_headers INTERFACE)
target_include_directories(pyox_llvm_headers SYSTEM INTERFACE ${LLVM_INCLUDE_DIRS})
separate_arguments(_llvm_defs UNIX_COMMAND "${LLVM_DEFINITIONS}")
target_compile_definitions(pyox_llvm_headers INTERFACE ${_llvm_defs})
target_compile_options(pyox_llvm_headers INTERFACE -fno-rtti)

add_library(pyox_llvm INTERFACE)
target_link_libraries(pyox_llvm INTERFACE pyox_llvm_headers LLVM)

llvm_map_components_to_libnames(PYOX_LLVM_STATIC_LIBS
  support object binaryformat mc targetparser option
  x86desc x86info aarch64desc aarch64info)
add_library(pyox_llvm_static INTERFACE)
target_link_libraries(pyox_llvm_static INTERFACE pyox_llvm_headers
  ${PYOX_LLVM_STATIC_LIBS})

# toml++ (libtomlplusplus-dev), for pyproject.toml (lib/Config). Debian builds
# it as a shared library too; pyox takes only its headers and uses it
# header-only, so that pyox-inject loads no extra library at start.
find_package(tomlplusplus 3 CONFIG REQUIRED)
add_library(pyox_tomlplusplus INTERFACE)
target_include_directories(pyox_tomlplusplus SYSTEM INTERFACE
  $<TARGET_PROPERTY:tomlplusplus::tomlplusplus,INTERFACE_INCLUDE_DIRECTORIES>)

# CPython 3.11, the Debian build. The interpreter that compiles bytecode at
# pack time and the one in pyox-run must be the same version, so both come
# from libpython3.11-pic.a (position independent, for PIE executables).
set(PYOX_PYTHON /usr/bin/python3.11 CACHE FILEPATH "Host Python 3.11")
execute_process(
  COMMAND ${PYOX_PYTHON} -c "import sysconfig as s; print(s.get_config_var('INCLUDEPY')); print(s.get_config_var('LIBPL')); print(s.get_path('stdlib')); print(s.get_config_var('DESTSHARED')); print(s.get_config_var('SOABI'))"
  OUTPUT_VARIABLE _py_out RESULT_VARIABLE _py_rc OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _py_rc EQUAL 0)
  message(FATAL_ERROR "cannot run ${PYOX_PYTHON}: install python3.11 (scripts/install-deps.sh)")
endif()
string(REPLACE "\n" ";" _py_out "${_py_out}")
list(GET _py_out 0 PYOX_PYTHON_INCLUDE)
list(GET _py_out 1 _py_libpl)
list(GET _py_out 2 PYOX_PYTHON_STDLIB)
list(GET _py_out 3 PYOX_PYTHON_DYNLOAD)
list(GET _py_out 4 PYOX_PYTHON_SOABI)
set(PYOX_PYTHON_STATIC ${_py_libpl}/libpython3.11-pic.a)
if(NOT EXISTS ${PYOX_PYTHON_STATIC})
  message(FATAL_ERROR "${PYOX_PYTHON_STATIC} not found: install libpython3.11-dev")
endif()
# Debian builds pyexpat and zlib into libpython. They are linked from
# Debian's static archives (libexpat1-dev, zlib1g-dev; position-independent),
# so that pyox-run needs from the target system only the libraries of the
# policy in lib/Pack/SharedLibraries.cpp (docs/runtime.md, "Carried
# libraries").
find_library(PYOX_EXPAT_STATIC NAMES libexpat.a REQUIRED)
find_library(PYOX_ZLIB_STATIC NAMES libz.a REQUIRED)
set(PYOX_PYTHON_LINK_LIBRARIES
  "${PYOX_EXPAT_STATIC};${PYOX_ZLIB_STATIC};m;dl;pthread;util")
add_library(pyox_python_headers INTERFACE)
target_include_directories(pyox_python_headers INTERFACE ${PYOX_PYTHON_INCLUDE})
add_library(pyox_python_static STATIC IMPORTED GLOBAL)
set_target_properties(pyox_python_static PROPERTIES
  IMPORTED_LOCATION ${PYOX_PYTHON_STATIC}
  INTERFACE_INCLUDE_DIRECTORIES ${PYOX_PYTHON_INCLUDE}
  INTERFACE_LINK_LIBRARIES "${PYOX_PYTHON_LINK_LIBRARIES}")
# The non-PIC archive, the one Debian builds /usr/bin/python3.11 from (with
# PGO): its interpreter runs ~25% faster than the -pic one's, so the
# executables that run Python code a lot (pyox-inject compiles with it,
# pyox-run is the interpreter) are linked non-PIE against it.
set(PYOX_PYTHON_STATIC_NOPIC ${_py_libpl}/libpython3.11.a)
if(NOT EXISTS ${PYOX_PYTHON_STATIC_NOPIC})
  set(PYOX_PYTHON_STATIC_NOPIC ${PYOX_PYTHON_STATIC})
endif()
add_library(pyox_python_static_nopic STATIC IMPORTED GLOBAL)
set_target_properties(pyox_python_static_nopic PROPERTIES
  IMPORTED_LOCATION ${PYOX_PYTHON_STATIC_NOPIC}
  INTERFACE_INCLUDE_DIRECTORIES ${PYOX_PYTHON_INCLUDE}
  INTERFACE_LINK_LIBRARIES "${PYOX_PYTHON_LINK_LIBRARIES}")

# zstd (Debian's libzstd-dev), for compressed sources (docs/format.md). The
# runtime ships in users' programs, which need nothing but libc: it takes
# the static archive (position independent in Debian's build), as does the
# pack side, which compresses.
find_library(PYOX_ZSTD_STATIC NAMES libzstd.a)
find_path(PYOX_ZSTD_INCLUDE zstd.h)
if(NOT PYOX_ZSTD_STATIC OR NOT PYOX_ZSTD_INCLUDE)
  message(FATAL_ERROR "libzstd.a or zstd.h not found: install libzstd-dev")
endif()
add_library(pyox_zstd STATIC IMPORTED GLOBAL)
set_target_properties(pyox_zstd PROPERTIES
  IMPORTED_LOCATION ${PYOX_ZSTD_STATIC}
  INTERFACE_INCLUDE_DIRECTORIES ${PYOX_ZSTD_INCLUDE})

# The CPython build those archives hold, checked at every build
# (cmake/PythonBuildId.cmake): PYOX_PYTHON_BUILD_STAMP changes, and the
# executables linking CPython are linked again, whenever the archives or
# the package change; PYOX_PYTHON_BUILD_SOURCE records its sys.version in
# the templates.
set(PYOX_PYTHON_BUILD_STAMP ${CMAKE_BINARY_DIR}/python-build.stamp)
set(PYOX_PYTHON_BUILD_SOURCE ${CMAKE_BINARY_DIR}/python-build-id.c)
add_custom_target(pyox-python-build-id
  COMMAND ${CMAKE_COMMAND} -DPYTHON=${PYOX_PYTHON}
    "-DARCHIVES=${PYOX_PYTHON_STATIC};${PYOX_PYTHON_STATIC_NOPIC}"
    -DSTAMP=${PYOX_PYTHON_BUILD_STAMP} -DSOURCE=${PYOX_PYTHON_BUILD_SOURCE}
    -P ${CMAKE_CURRENT_LIST_DIR}/PythonBuildId.cmake
  BYPRODUCTS ${PYOX_PYTHON_BUILD_STAMP} ${PYOX_PYTHON_BUILD_SOURCE}
  COMMENT "Checking the static CPython's build"
  VERBATIM)

find_package(fmt REQUIRED)
find_package(GTest REQUIRED)
find_package(Threads REQUIRED)

set(PYOX_LIT ${LLVM_TOOLS_BINARY_DIR}/../build/utils/lit/lit.py)
get_filename_component(PYOX_LIT ${PYOX_LIT} ABSOLUTE)
if(NOT EXISTS ${PYOX_LIT})
  message(FATAL_ERROR "lit not found at ${PYOX_LIT}: install llvm-19-tools")
endif()
