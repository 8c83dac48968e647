// Runner of the MPI tests, started by ctest under mpirun: rank 0 runs the tests; the other
// ranks serve their tasks from inside joblet::init and never reach RUN_ALL_TESTS.
#include <gtest/gtest.h>

#include "joblet/init.hpp"

int main(int argc, char** argv) {
  joblet::init(argc, argv);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
