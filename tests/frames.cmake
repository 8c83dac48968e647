# Tests of message frames and of the shared memory that carries large ones, and the frame
# decoder's fuzzer.
target_sources(joblet_tests PRIVATE frames_test.cpp shared_region_test.cpp)
target_include_directories(joblet_tests PRIVATE ${PROJECT_SOURCE_DIR}/src)

# The fuzzer needs clang's libFuzzer; it brings its own sanitizers, so it runs in the plain
# build only.
find_program(JOBLET_FUZZ_CXX NAMES clang++ clang++-16 clang++-15 clang++-14
             DOC "clang++ with libFuzzer, for the frame decoder's fuzzer")
set(fuzz_skipped "")
if(NOT JOBLET_SANITIZE STREQUAL "")
  set(fuzz_skipped "this build uses JOBLET_SANITIZE; the fuzzer brings its own sanitizers")
elseif(NOT JOBLET_FUZZ_CXX)
  set(fuzz_skipped "no clang++ found (set JOBLET_FUZZ_CXX to one with libFuzzer)")
else()
  set(fuzz_probe ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe)
  file(WRITE ${fuzz_probe}/probe.cpp
       "#include <cstddef>\n#include <cstdint>\n"
       "extern \"C\" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }\n")
  execute_process(COMMAND ${JOBLET_FUZZ_CXX} -fsanitize=fuzzer,address,undefined
                          ${fuzz_probe}/probe.cpp -o ${fuzz_probe}/probe
                  RESULT_VARIABLE fuzz_probe_failed OUTPUT_QUIET ERROR_QUIET)
  if(fuzz_probe_failed)
    set(fuzz_skipped "${JOBLET_FUZZ_CXX} cannot link a libFuzzer program with ASan and UBSan")
  endif()
endif()

if(fuzz_skipped)
  message(STATUS "joblet: test fuzz.frames is not registered: ${fuzz_skipped}")
else()
  # New inputs go to a corpus in the build tree; the seeds in the source tree are only read.
  set(fuzz_dir ${CMAKE_CURRENT_BINARY_DIR}/fuzz)
  file(MAKE_DIRECTORY ${fuzz_dir}/corpus ${fuzz_dir}/findings)
  add_test(NAME fuzz.frames
           COMMAND ${CMAKE_CTEST_COMMAND}
                   --build-and-test ${CMAKE_CURRENT_SOURCE_DIR}/fuzz ${fuzz_dir}/build
                   --build-generator ${CMAKE_GENERATOR}
                   --build-options -DCMAKE_CXX_COMPILER=${JOBLET_FUZZ_CXX}
                                   -DJOBLET_SOURCE_DIR=${PROJECT_SOURCE_DIR}
                   --test-command frames_fuzz -max_total_time=30 -timeout=10 -malloc_limit_mb=64
                                  -artifact_prefix=${fuzz_dir}/findings/
                                  ${fuzz_dir}/corpus ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus)
  # Building the fuzzer takes a while on two cores; the run itself is 30 s.
  set_tests_properties(fuzz.frames PROPERTIES TIMEOUT 900 RUN_SERIAL TRUE)  # see package.*
endif()
