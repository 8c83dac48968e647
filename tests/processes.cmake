# Tests of worker processes that crash, time out, are reused or carry large frames. They look at
# the fork server (src/processes) to tell the pool's workers from other processes.
target_sources(joblet_tests PRIVATE crash_test.cpp large_frames_test.cpp worker_pool_test.cpp)
target_include_directories(joblet_tests PRIVATE ${PROJECT_SOURCE_DIR}/src)
