# pyox_add_library(NAME SOURCES... [LINK libs...])
#
# Adds static library NAME and, when sanitizers are enabled, NAME-san: the
# same sources built with ASan and UBSan (and libFuzzer's coverage
# instrumentation), so that unit tests and fuzzers exercise instrumented
# library code in the same build tree.
set(PYOX_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer)

# Sets OUT to LIBS with each library that has a sanitizer variant replaced
# by it.
function(pyox_sanitized_libs out)
  set(_libs)
  foreach(lib ${ARGN})
    if(TARGET ${lib}-san)
      list(APPEND _libs ${lib}-san)
    else()
      list(APPEND _libs ${lib})
    endif()
  endforeach()
  set(${out} ${_libs} PARENT_SCOPE)
endfunction()

function(pyox_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK;INCLUDE" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_link_libraries(${name} PUBLIC ${ARG_LINK})
  target_include_directories(${name} PUBLIC ${ARG_INCLUDE})
  if(PYOX_ENABLE_SANITIZERS)
    add_library(${name}-san STATIC EXCLUDE_FROM_ALL ${ARG_SOURCES})
    pyox_sanitized_libs(_san_link ${ARG_LINK})
    target_link_libraries(${name}-san PUBLIC ${_san_link})
    target_include_directories(${name}-san PUBLIC ${ARG_INCLUDE})
    target_compile_options(${name}-san PRIVATE ${PYOX_SANITIZER_FLAGS})
    if(PYOX_HAVE_LIBFUZZER)
      # Coverage for the fuzzers' guidance; the sanitizer runtimes define
      # the hooks, so unit tests link these libraries as they are.
      target_compile_options(${name}-san PRIVATE -fsanitize=fuzzer-no-link)
    endif()
    target_link_options(${name}-san INTERFACE ${PYOX_SANITIZER_FLAGS})
  endif()
endfunction()

# True when the compiler can build libFuzzer targets.
include(CheckCXXSourceCompiles)
set(CMAKE_REQUIRED_FLAGS "-fsanitize=fuzzer")
check_cxx_source_compiles(
  "#include <cstddef>\n#include <cstdint>\nextern \"C\" int LLVMFuzzerTestOneInput(const uint8_t*, size_t){return 0;}"
  PYOX_HAVE_LIBFUZZER)
unset(CMAKE_REQUIRED_FLAGS)

# pyox_add_unittest(NAME SOURCES... LINK libs...)
#
# A GoogleTest executable run by ctest, plus NAME-san linked against the
# sanitizer variants of the same libraries (also run by ctest).
function(pyox_add_unittest name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LINK} pyox_llvm GTest::gtest GTest::gtest_main)
  add_test(NAME unit.${name} COMMAND ${name})
  if(PYOX_ENABLE_SANITIZERS)
    pyox_sanitized_libs(_san_link ${ARG_LINK})
    add_executable(${name}-san ${ARG_SOURCES})
    target_link_libraries(${name}-san PRIVATE ${_san_link} pyox_llvm GTest::gtest GTest::gtest_main)
    target_compile_options(${name}-san PRIVATE ${PYOX_SANITIZER_FLAGS})
    target_link_options(${name}-san PRIVATE ${PYOX_SANITIZER_FLAGS})
    add_test(NAME unit-san.${name} COMMAND ${name}-san)
    set_tests_properties(unit-san.${name} PROPERTIES
      ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
  endif()
endfunction()

# pyox_add_fuzzer(NAME SOURCES... LINK libs... [SECONDS n] [CORPUS dir])
#
# A libFuzzer target built with ASan and UBSan, and a ctest entry that runs it
# for a bounded time; any finding fails the test. Needs clang.
function(pyox_add_fuzzer name)
  cmake_parse_arguments(ARG "" "SECONDS;CORPUS" "SOURCES;LINK" ${ARGN})
  if(NOT PYOX_HAVE_LIBFUZZER OR NOT PYOX_ENABLE_SANITIZERS)
    message(STATUS "fuzzer ${name} not built: needs clang with libFuzzer")
    return()
  endif()
  if(NOT ARG_SECONDS)
    set(ARG_SECONDS 30)
  endif()
  pyox_sanitized_libs(_san_link ${ARG_LINK})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${_san_link} pyox_llvm)
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer ${PYOX_SANITIZER_FLAGS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer ${PYOX_SANITIZER_FLAGS})
  set(_corpus ${CMAKE_CURRENT_BINARY_DIR}/${name}-corpus)
  set(_seeds)
  if(ARG_CORPUS)
    set(_seeds ${ARG_CORPUS})
  endif()
  add_test(NAME fuzz.${name}
    COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1
      ${CMAKE_COMMAND} -DFUZZER=$<TARGET_FILE:${name}> -DCORPUS=${_corpus}
      "-DSEEDS=${_seeds}" -DSECONDS=${ARG_SECONDS}
      -P ${PROJECT_SOURCE_DIR}/cmake/RunFuzzer.cmake)
  set_tests_properties(fuzz.${name} PROPERTIES TIMEOUT 600)
endfunction()

# pyox_link_python_build(TARGET): TARGET links the static CPython, so it is
# linked again whenever that archive or its package changes, whatever the
# file times say (cmake/PythonBuildId.cmake).
function(pyox_link_python_build target)
  add_dependencies(${target} pyox-python-build-id)
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS
    ${PYOX_PYTHON_BUILD_STAMP})
endfunction()
