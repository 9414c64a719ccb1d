# Lays out the functions of the pyox-run template (BINARY, linked with
# --emit-relocs) by a profile of what pyox programs do, with llvm-bolt:
#   1. an instrumented copy of BINARY (llvm-bolt -instrument);
#   2. the standard library injected into it (pyox-inject build);
#   3. one run of tools/pyox-run/train.py, which writes the profile;
#   4. with VALGRIND, the same script run by BINARY itself (with mapped code,
#      and as a script rather than isolated, though ignoring PYTHON*
#      variables) under callgrind, which names every function executed;
#   5. BINARY rewritten with its functions reordered: the profiled ones in
#      the profile's order, then those only step 4 saw, then the rest.
# Only function order changes; blocks and code stay as the compiler made
# them. What it gains, measured: docs/performance.md.
#
# Why step 4: BOLT's instrumentation does not count every function it
# runs. It leaves out the functions it cannot analyse (most tp_traverse
# functions, which end in an indirect tail call, and the 144 libpython
# functions GCC split into hot and cold parts), and the instrumented run
# takes neither the mapped-code path nor sys.path[0]'s. Left among the
# unprofiled code, the ~90 such functions importing the standard library
# runs kept 1.4 MiB of it resident (the kernel maps the file's cached
# pages around a fault, 64 KiB), where they take a few KiB.
#
# cmake -DBOLT=... -DPYOX_INJECT=... -DBINARY=... -DWORK=... -DTRAIN=...
#       [-DVALGRIND=...] -P BoltTemplate.cmake
foreach(var BOLT PYOX_INJECT BINARY WORK TRAIN)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "BoltTemplate.cmake: ${var} is not set")
  endif()
endforeach()

# Each step is bounded (the slowest, callgrind, takes ~20 s): a program
# that hangs fails the build instead of holding it.
function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc TIMEOUT 900
                  OUTPUT_FILE ${WORK}/${what}.log ERROR_FILE ${WORK}/${what}.log)
  if(NOT rc EQUAL 0)
    # No half-made template: the next build starts over.
    file(REMOVE ${BINARY})
    file(READ ${WORK}/${what}.log log)
    message(FATAL_ERROR "BoltTemplate: ${what} failed (${rc}):\n${log}")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
step(instrument ${BOLT} ${BINARY} -instrument -o ${WORK}/instrumented
     --instrumentation-file=${WORK}/profile.fdata)
step(inject ${PYOX_INJECT} build --stdlib --template ${WORK}/instrumented
     -o ${WORK}/train)
step(train ${WORK}/train -I -S -W ignore ${TRAIN})
# -use-old-text makes BOLT move every function it can, profiled or not,
# into the new text, where the unprofiled ones follow the hot ones; without
# it, lite mode leaves them in the old text, between each other as before,
# and much of that stays touched (2.4 MiB resident instead of 64 KiB). The
# old text cannot actually be reused: the functions GCC split into .cold
# parts stay there. 4 KiB text alignment instead of huge pages: 2 MiB of
# file padding buys nothing here. -remove-symtab: the shipped template has
# no static symbol table (1.2 MB of every program): nothing in pyox reads
# it (the loader and the extension modules use .dynsym, which
# --export-dynamic fills with all of libpython), and strip keeps every
# SHF_ALLOC section the injector relies on (docs/elf-injection.md). The
# original exception tables BOLT keeps (.bolt.org.eh_frame and
# .bolt.org.eh_frame_hdr, ~0.6 MB, dead) stay: they lie inside a PT_LOAD,
# and taking their bytes out of the file would not make programs smaller,
# since the injector places the payload's segment on the first PT_LOAD's
# address diagonal (docs/elf-injection.md): the file offsets below it
# follow the template's addresses, which cannot move.
set(layout -data=${WORK}/profile.fdata -reorder-blocks=none -use-old-text
    -align-functions=16 -no-huge-pages -align-text=4096)
if(VALGRIND)
  step(inject-traced ${PYOX_INJECT} build --stdlib --mapped-code
       --template ${BINARY} -o ${WORK}/traced)
  step(trace ${VALGRIND} --tool=callgrind --demangle=no
       --callgrind-out-file=${WORK}/callgrind.out ${WORK}/traced -E -S -W ignore
       ${TRAIN})
  # The profile's own order, as BOLT would lay it out ("name/N" for the
  # Nth local function of that name).
  step(order ${BOLT} ${BINARY} -o ${WORK}/profiled ${layout}
       -reorder-functions=cdsort -generate-function-order=${WORK}/profiled.order)
  file(STRINGS ${WORK}/profiled.order order)
  set(profiled)
  foreach(name IN LISTS order)
    string(REGEX REPLACE "/[0-9]+$" "" name "${name}")
    list(APPEND profiled "${name}")
  endforeach()
  # The functions callgrind saw in the traced program itself: "fn=" starts
  # a function's record, "ob=" names the object the records after it are
  # in. Names are given once, as "(id) name", and then as the id alone, by
  # whichever line comes first: "cob=" and "cfn=" (a callee) share the ids.
  # A function's record within a recursion is "name'N"; code without a
  # symbol is "0x..." (and "(below main)" what calls main).
  file(STRINGS ${WORK}/callgrind.out records REGEX "^c?(ob|fn)=")
  get_filename_component(program ${WORK}/traced REALPATH)
  set(executed)
  set(inside FALSE)
  foreach(record IN LISTS records)
    if(NOT record MATCHES "^(c?)(ob|fn)=\\(([0-9]+)\\)( (.*))?$")
      continue()
    endif()
    set(callee "${CMAKE_MATCH_1}")
    set(kind ${CMAKE_MATCH_2})
    set(id ${CMAKE_MATCH_3})
    if(CMAKE_MATCH_4)
      set(${kind}_${id} "${CMAKE_MATCH_5}")
    endif()
    if(callee)
      continue()
    elseif(kind STREQUAL "ob")
      set(inside FALSE)
      if("${ob_${id}}" STREQUAL "${program}")
        set(inside TRUE)
      endif()
    elseif(inside AND NOT "${fn_${id}}" MATCHES "^(0x|\\()")
      string(REGEX REPLACE "'[0-9]+$" "" name "${fn_${id}}")
      list(APPEND executed "${name}")
    endif()
  endforeach()
  list(REMOVE_DUPLICATES executed)
  list(REMOVE_ITEM executed ${profiled})
  list(SORT executed)
  list(LENGTH executed count)
  if(count EQUAL 0)
    file(REMOVE ${BINARY})
    message(FATAL_ERROR "BoltTemplate: callgrind saw no function of "
      "${program} (${WORK}/callgrind.out)")
  endif()
  list(APPEND order ${executed})
  list(JOIN order "\n" order)
  file(WRITE ${WORK}/function.order "${order}\n")
  step(optimize ${BOLT} ${BINARY} -o ${WORK}/bolted ${layout}
       -reorder-functions=user -function-order=${WORK}/function.order
       -remove-symtab)
else()
  step(optimize ${BOLT} ${BINARY} -o ${WORK}/bolted ${layout}
       -reorder-functions=cdsort -remove-symtab)
endif()
file(RENAME ${WORK}/bolted ${BINARY})
