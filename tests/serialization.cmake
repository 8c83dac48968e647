# Tests of serialization, Transportable and share().
target_sources(joblet_tests PRIVATE share_test.cpp)
if(JOBLET_PROCESS_TESTS)
  target_sources(joblet_tests PRIVATE serialize_test.cpp)
endif()
# share_test reads the processes backend's byte counters (src/processes/process_pool.hpp).
target_include_directories(joblet_tests PRIVATE ${PROJECT_SOURCE_DIR}/src)

# require_transportable<T>() names the type that cannot travel and the serialize() to add.
set(joblet_serialize_fix "template <class Archive> void serialize\\(Archive& ar\\)")
joblet_compile_error_test(not_transportable_struct
  "NotTransportable<Particle>.*cannot cross a process boundary.*${joblet_serialize_fix}")
joblet_compile_error_test(not_transportable_vector
  "NotTransportable<std::vector<Particle> ?>.*cannot cross a process boundary.*${joblet_serialize_fix}")
joblet_compile_error_test(not_transportable_task
  "ArgumentNotTransportable<2, Particle>.*a task argument cannot cross a process boundary.*${joblet_serialize_fix}")
joblet_compile_error_test(not_transportable_lambda
  "FunctionNotTransportable<main\\(\\)::<lambda\\(double\\)> ?>.*lambda that captures variables.*Pass the captured values as arguments")
add_test(NAME compile_error.transportable_compiles
         COMMAND ${CMAKE_CXX_COMPILER} -std=c++20 -fsyntax-only -I${PROJECT_SOURCE_DIR}/include
                 ${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/transportable_compiles.cpp)
