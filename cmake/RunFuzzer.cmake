# Runs a libFuzzer target for SECONDS seconds over a corpus directory seeded
# from SEEDS (a directory of inputs, optional). Fails on any finding.
#
# The random seed is fixed, so the test command explores the same inputs in
# the same order on every machine (a slower machine stops earlier in the
# same sequence) and a finding reproduces with the command it prints. Long
# campaigns with other seeds are run by hand: FUZZER -seed=N CORPUS.
file(MAKE_DIRECTORY ${CORPUS})
set(_dirs ${CORPUS})
if(SEEDS AND EXISTS ${SEEDS})
  list(APPEND _dirs ${SEEDS})
endif()
execute_process(
  COMMAND ${FUZZER} -seed=1 -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=4096
          -print_final_stats=1 -artifact_prefix=${CORPUS}/../ ${_dirs}
  RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} found a problem (exit ${_rc})")
endif()
