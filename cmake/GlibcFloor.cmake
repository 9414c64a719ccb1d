# Fails when BINARY needs a glibc symbol version above FLOOR (X.Y): run
# after pyox-run's link (tools/pyox-run/CMakeLists.txt), so that a new
# import above the floor the template promises is a build error naming the
# symbols, not a program that fails to start on an older system.
#   cmake -DBINARY=FILE -DFLOOR=2.34 -DREADELF=readelf -P GlibcFloor.cmake
execute_process(COMMAND ${READELF} --dyn-syms -W ${BINARY}
  OUTPUT_VARIABLE _syms RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "${BINARY}: ${READELF} --dyn-syms failed")
endif()
string(REGEX MATCHALL "[A-Za-z0-9_]+@GLIBC_[0-9]+\\.[0-9]+" _imports "${_syms}")
set(_above)
foreach(_i IN LISTS _imports)
  string(REGEX REPLACE ".*@GLIBC_" "" _v "${_i}")
  if(_v VERSION_GREATER FLOOR)
    list(APPEND _above "${_i}")
  endif()
endforeach()
if(_above)
  list(REMOVE_DUPLICATES _above)
  list(JOIN _above ", " _list)
  message(FATAL_ERROR "${BINARY} needs glibc above PYOX_GLIBC_FLOOR ${FLOOR}: "
    "${_list} (give it a compat definition in tools/pyox-run/GlibcCompat.c, "
    "or raise PYOX_GLIBC_FLOOR)")
endif()
