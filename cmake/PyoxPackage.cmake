# The pyox CMake package (find_package(Pyox); cmake/PyoxConfig.cmake.in):
# a PyoxConfig.cmake for this build tree, usable as -DPyox_DIR=<build>, and
# install rules that put the tools, the runtime libraries and headers, and
# a relocatable PyoxConfig.cmake under CMAKE_INSTALL_PREFIX.
include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

write_basic_package_version_file(${CMAKE_BINARY_DIR}/PyoxConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)

# Build tree: absolute paths into it and the sources.
set(PACKAGE_INIT_CODE "set(_pyox_bin \"${CMAKE_BINARY_DIR}/bin\")
set(_pyox_lib \"${CMAKE_BINARY_DIR}/lib\")
set(_pyox_include \"${PROJECT_SOURCE_DIR}/runtime/include\")")
configure_file(${CMAKE_CURRENT_LIST_DIR}/PyoxConfig.cmake.in
  ${CMAKE_BINARY_DIR}/PyoxConfig.cmake @ONLY)

# Installation: paths relative to the installed file.
set(_pyox_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/Pyox)
set(PACKAGE_INIT_CODE "get_filename_component(_pyox_prefix \"\${CMAKE_CURRENT_LIST_DIR}/../../..\" ABSOLUTE)
set(_pyox_bin \"\${_pyox_prefix}/${CMAKE_INSTALL_BINDIR}\")
set(_pyox_lib \"\${_pyox_prefix}/${CMAKE_INSTALL_LIBDIR}\")
set(_pyox_include \"\${_pyox_prefix}/${CMAKE_INSTALL_INCLUDEDIR}\")")
configure_file(${CMAKE_CURRENT_LIST_DIR}/PyoxConfig.cmake.in
  ${CMAKE_BINARY_DIR}/install/PyoxConfig.cmake @ONLY)
unset(PACKAGE_INIT_CODE)

# The tools load the shared libLLVM-19 from LLVM's directory, installed or not.
# In the build tree too they take exactly that RUNPATH: the one CMake
# composes from their link lines has empty entries ("::::", a trailing
# ":"), which make ld.so look for every library in the current directory
# first (test/cli/runpath.test).
foreach(t pyox-inject pyox-ld pyox-plugin)
  if(TARGET ${t})
    set_target_properties(${t} PROPERTIES INSTALL_RPATH "${LLVM_LIBRARY_DIR}"
      BUILD_WITH_INSTALL_RPATH TRUE)
  endif()
endforeach()
install(TARGETS pyox-inject pyox-run pyox-ld RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS pyox_runtime pyox_vfs pyox_locate pyox_payload ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/include/pyox
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${CMAKE_BINARY_DIR}/install/PyoxConfig.cmake
  ${CMAKE_BINARY_DIR}/PyoxConfigVersion.cmake DESTINATION ${_pyox_cmake_dir})
foreach(alias pyox-ld64 pyox-link)
  install(CODE "execute_process(COMMAND \${CMAKE_COMMAND} -E create_symlink pyox-ld
    \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/${alias}\")")
endforeach()
if(TARGET pyox-plugin)
  install(TARGETS pyox-plugin LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
endif()
