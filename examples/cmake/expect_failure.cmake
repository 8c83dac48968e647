# Runs PROGRAM with ARGS (one string, split as a shell would) and fails unless the program
# exits with EXIT_CODE and its output (stdout and stderr together) matches the regex OUTPUT.
#
#   cmake -DPROGRAM=... "-DARGS=--n-jobs zero" -DEXIT_CODE=2 "-DOUTPUT=..." -P expect_failure.cmake
separate_arguments(arguments UNIX_COMMAND "${ARGS}")
execute_process(COMMAND "${PROGRAM}" ${arguments}
                RESULT_VARIABLE exit_code
                OUTPUT_VARIABLE output
                ERROR_VARIABLE output)
if(NOT exit_code STREQUAL EXIT_CODE)
  message(FATAL_ERROR "expected exit code ${EXIT_CODE}, got ${exit_code}; output:\n${output}")
endif()
if(NOT output MATCHES "${OUTPUT}")
  message(FATAL_ERROR "output does not match \"${OUTPUT}\":\n${output}")
endif()
message(STATUS "exit code ${exit_code} and output as expected:\n${output}")
