# Runs COMMAND (a ;-list) and fails unless it exits with a non-zero status and its output
# (stdout and stderr together) matches every regex in OUTPUTS (a ;-list).
#   cmake "-DCOMMAND=mpiexec;-n;3;prog" "-DOUTPUTS=rank 0.*gives up" -P expect_job_failure.cmake
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE status OUTPUT_VARIABLE output
                ERROR_VARIABLE output)
if(status EQUAL 0)
  message(FATAL_ERROR "expected a failed job, got exit status 0; output:\n${output}")
endif()
foreach(expected IN LISTS OUTPUTS)
  if(NOT output MATCHES "${expected}")
    message(FATAL_ERROR "output does not match \"${expected}\":\n${output}")
  endif()
endforeach()
message(STATUS "exit status ${status} and output as expected:\n${output}")
