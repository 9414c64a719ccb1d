# A seed payload (a small app) for the payload reader fuzzer, and seed
# binaries for the Mach-O and PE reader fuzzers: small hosts linked here
# (ld64.lld against the libSystem stub of test/macho, lld's MinGW driver),
# each before and after injection, so the fuzzers start from files the
# readers and writers really handle. Skipped when the tools are missing.
find_program(PYOX_CLANG19 clang-19)
find_program(PYOX_LD64 ld64.lld-19 ld64.lld HINTS ${LLVM_TOOLS_BINARY_DIR})
set(PYOX_SEED_PAYLOAD ${CMAKE_CURRENT_BINARY_DIR}/seed.pyox)
set(_seed_src ${PROJECT_SOURCE_DIR}/test/coff/Inputs/app)

set(PYOX_MACHO_FUZZ_SEEDS ${CMAKE_CURRENT_BINARY_DIR}/macho-seeds)
set(PYOX_COFF_FUZZ_SEEDS ${CMAKE_CURRENT_BINARY_DIR}/coff-seeds)
set(PYOX_PAYLOAD_FUZZ_SEEDS ${CMAKE_CURRENT_BINARY_DIR}/payload-seeds)
set(_seed_outputs ${PYOX_PAYLOAD_FUZZ_SEEDS}/app.pyox
  ${PYOX_PAYLOAD_FUZZ_SEEDS}/sources.pyox)
# A payload with a compressed source (PYOX_ENTRY_ZSTD): app's are too small
# to be compressed.
set(_sources_src ${PROJECT_SOURCE_DIR}/test/runtime/Inputs/sources)
add_custom_command(OUTPUT ${PYOX_PAYLOAD_FUZZ_SEEDS}/sources.pyox
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PYOX_PAYLOAD_FUZZ_SEEDS}
  COMMAND $<TARGET_FILE:pyox-inject> pack --no-cache --path ${_sources_src}
          -o ${PYOX_PAYLOAD_FUZZ_SEEDS}/sources.pyox
  DEPENDS pyox-inject ${_sources_src}/srcapp/main.py
  COMMENT "Packing the fuzzer seed payload with a compressed source")
add_custom_command(OUTPUT ${PYOX_SEED_PAYLOAD} ${PYOX_PAYLOAD_FUZZ_SEEDS}/app.pyox
  COMMAND $<TARGET_FILE:pyox-inject> pack --path ${_seed_src} -o ${PYOX_SEED_PAYLOAD}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PYOX_PAYLOAD_FUZZ_SEEDS}
  COMMAND ${CMAKE_COMMAND} -E copy ${PYOX_SEED_PAYLOAD} ${PYOX_PAYLOAD_FUZZ_SEEDS}/app.pyox
  DEPENDS pyox-inject
  COMMENT "Packing the fuzzer seed payload")
if(PYOX_CLANG19 AND PYOX_LD64)
  set(_m ${PYOX_MACHO_FUZZ_SEEDS})
  add_custom_command(
    OUTPUT ${_m}/arm64 ${_m}/arm64.injected
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_m}
    COMMAND ${PYOX_CLANG19} -target arm64-apple-macos11 -O1 -c
            ${PROJECT_SOURCE_DIR}/test/macho/Inputs/host.c -o ${_m}/host.o
    COMMAND ${PYOX_LD64} -arch arm64 -platform_version macos 11.0 11.0
            -adhoc_codesign -headerpad 0x400 -fixup_chains -lSystem
            -L${PROJECT_SOURCE_DIR}/test/macho/Inputs ${_m}/host.o -o ${_m}/arm64
    COMMAND ${CMAKE_COMMAND} -E remove ${_m}/host.o
    COMMAND $<TARGET_FILE:pyox-inject> inject ${_m}/arm64 ${PYOX_SEED_PAYLOAD}
            -o ${_m}/arm64.injected
    DEPENDS pyox-inject ${PYOX_SEED_PAYLOAD}
            ${PROJECT_SOURCE_DIR}/test/macho/Inputs/host.c
    COMMENT "Building Mach-O fuzzer seeds")
  list(APPEND _seed_outputs ${_m}/arm64 ${_m}/arm64.injected)

  set(_c ${PYOX_COFF_FUZZ_SEEDS})
  add_custom_command(
    OUTPUT ${_c}/host.exe ${_c}/host.injected.exe
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_c}
    COMMAND ${PYOX_CLANG19} --target=x86_64-pc-windows-msvc -c
            ${PROJECT_SOURCE_DIR}/test/link/Inputs/start.c -o ${_c}/start.obj
    COMMAND ${LLVM_TOOLS_BINARY_DIR}/lld-link /dll /noentry /noimplib /out:${_c}/host.exe
            ${_c}/start.obj
    COMMAND ${CMAKE_COMMAND} -E remove ${_c}/start.obj
    COMMAND $<TARGET_FILE:pyox-inject> inject ${_c}/host.exe ${PYOX_SEED_PAYLOAD}
            -o ${_c}/host.injected.exe
    DEPENDS pyox-inject ${PYOX_SEED_PAYLOAD}
            ${PROJECT_SOURCE_DIR}/test/link/Inputs/start.c
    COMMENT "Building PE fuzzer seeds")
  list(APPEND _seed_outputs ${_c}/host.exe ${_c}/host.injected.exe)
endif()
add_custom_target(pyox-fuzz-seeds ALL DEPENDS ${_seed_outputs})
if(NOT PYOX_CLANG19 OR NOT PYOX_LD64)
  set(PYOX_MACHO_FUZZ_SEEDS "")
  set(PYOX_COFF_FUZZ_SEEDS "")
endif()
