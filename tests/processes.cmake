# Tests of worker processes that crash, time out or are reused. They look at the fork server
# (src/processes) to tell the pool's workers from other processes.
target_sources(joblet_tests PRIVATE crash_test.cpp worker_pool_test.cpp)
target_include_directories(joblet_tests PRIVATE ${PROJECT_SOURCE_DIR}/src)
