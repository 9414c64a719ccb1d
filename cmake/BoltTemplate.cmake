# Lays out the functions of the pyox-run template (BINARY, linked with
# --emit-relocs) by a profile of what pyox programs do, with llvm-bolt:
#   1. an instrumented copy of BINARY (llvm-bolt -instrument);
#   2. the standard library injected into it (pyox-inject build);
#   3. one run of tools/pyox-run/train.py, which writes the profile;
#   4. BINARY rewritten with its functions reordered (hot ones together).
# Only function order changes; blocks and code stay as the compiler made
# them. What it gains, measured: docs/performance.md.
#
# cmake -DBOLT=... -DPYOX_INJECT=... -DBINARY=... -DWORK=... -DTRAIN=...
#       -P BoltTemplate.cmake
foreach(var BOLT PYOX_INJECT BINARY WORK TRAIN)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "BoltTemplate.cmake: ${var} is not set")
  endif()
endforeach()

function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc
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
step(optimize ${BOLT} ${BINARY} -o ${WORK}/bolted -data=${WORK}/profile.fdata
     -reorder-functions=cdsort -reorder-blocks=none -use-old-text
     -align-functions=16 -no-huge-pages -align-text=4096 -remove-symtab)
file(RENAME ${WORK}/bolted ${BINARY})
