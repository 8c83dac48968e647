# Options::checkpoint, and a sweep killed half-way then resumed: the sweep is a program of its
# own, which the test starts, kills and starts again.
add_executable(checkpoint_sweep helpers/checkpoint_sweep.cpp)
target_link_libraries(checkpoint_sweep PRIVATE joblet::joblet)
joblet_set_warnings(checkpoint_sweep)
add_dependencies(joblet_tests checkpoint_sweep)
target_compile_definitions(joblet_tests PRIVATE
  JOBLET_CHECKPOINT_SWEEP="$<TARGET_FILE:checkpoint_sweep>")
target_sources(joblet_tests PRIVATE checkpoint_test.cpp)
