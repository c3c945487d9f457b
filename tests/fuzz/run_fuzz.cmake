# cmake -DFUZZER=<fuzz target> -DSEEDS=<seed corpus dir> -DWORK_DIR=<dir> [-DDICT=<file>]
#       [-DSECONDS=30] [-DMAX_LEN=20000] -P run_fuzz.cmake
# The fuzz_* CTest tests: first every seed input once (a regression run: each crash input the fuzzer
# ever found is kept there once fixed), then libFuzzer for SECONDS. New interesting inputs go to
# WORK_DIR/corpus (kept between runs, never into the source tree); a crash or a broken invariant
# fails the test and leaves the input in WORK_DIR/artifacts.

foreach(var FUZZER SEEDS WORK_DIR)
    if(NOT ${var})
        message(FATAL_ERROR "usage: cmake -DFUZZER=<exe> -DSEEDS=<dir> -DWORK_DIR=<dir> -P run_fuzz.cmake")
    endif()
endforeach()
if(NOT SECONDS)
    set(SECONDS 30)
endif()
if(NOT MAX_LEN)
    set(MAX_LEN 20000)
endif()
set(options -rss_limit_mb=2048 -timeout=10 -max_len=${MAX_LEN} -artifact_prefix=${WORK_DIR}/artifacts/)
if(DICT)
    list(APPEND options -dict=${DICT})
endif()
file(MAKE_DIRECTORY ${WORK_DIR}/corpus ${WORK_DIR}/artifacts)

get_filename_component(name ${FUZZER} NAME)
function(fail what)
    file(GLOB artifacts ${WORK_DIR}/artifacts/*)
    message(FATAL_ERROR "${name}: ${what}\nartifacts: ${artifacts}\n"
                        "reproduce with: ${FUZZER} <artifact>")
endfunction()

message(STATUS "${name}: every seed in ${SEEDS}")
execute_process(COMMAND ${FUZZER} ${options} -runs=0 ${SEEDS} RESULT_VARIABLE result)
if(NOT result EQUAL 0)
    fail("a seed input fails (exit ${result})")
endif()

message(STATUS "${name}: fuzzing for ${SECONDS} s")
execute_process(COMMAND ${FUZZER} ${options} -max_total_time=${SECONDS} -print_final_stats=1
                        ${WORK_DIR}/corpus ${SEEDS}
                RESULT_VARIABLE result)
if(NOT result EQUAL 0)
    fail("crash, sanitizer report or broken invariant (exit ${result})")
endif()
message(STATUS "${name}: no crash in ${SECONDS} s")
