# Runs PROGRAM once for each of CASES (argument lists separated by "|") and fails unless every
# run succeeds and prints the same digest of its calibrated frames.
#   cmake -DPROGRAM=... "-DCASES=--backend sequential|--backend processes" -P same_digest.cmake
string(REPLACE "|" ";" cases "${CASES}")
set(reference "")
foreach(case IN LISTS cases)
  separate_arguments(args UNIX_COMMAND "${case}")
  execute_process(COMMAND ${PROGRAM} ${args}
                  OUTPUT_VARIABLE output ERROR_VARIABLE errors RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${case}: exit status ${status}\n${output}${errors}")
  endif()
  string(REGEX MATCH "digest: [0-9a-f]+" digest "${output}")
  if(digest STREQUAL "")
    message(FATAL_ERROR "${case}: no digest in\n${output}")
  endif()
  if(reference STREQUAL "")
    set(reference "${digest}")
    set(reference_case "${case}")
  elseif(NOT digest STREQUAL reference)
    message(FATAL_ERROR "${case} gave ${digest} but ${reference_case} gave ${reference}")
  endif()
  message(STATUS "${case}: ${digest}")
endforeach()
