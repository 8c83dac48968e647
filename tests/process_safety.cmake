# Tests of the processes backend's safety: a parent full of threads, a parent killed mid-run,
# SIGINT and SIGTERM during a run. Each case runs a program of its own, which the test
# watches from outside.
foreach(program fork_safety parent_killed interrupted)
  add_executable(${program} helpers/${program}.cpp)
  target_link_libraries(${program} PRIVATE joblet::joblet)
  joblet_set_warnings(${program})
  add_dependencies(joblet_tests ${program})
endforeach()
target_compile_definitions(joblet_tests PRIVATE
  JOBLET_FORK_SAFETY="$<TARGET_FILE:fork_safety>"
  JOBLET_PARENT_KILLED="$<TARGET_FILE:parent_killed>"
  JOBLET_INTERRUPTED="$<TARGET_FILE:interrupted>")
target_sources(joblet_tests PRIVATE process_safety_test.cpp)
