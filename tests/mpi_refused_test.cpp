// Outside mpirun, Backend::mpi is refused with what to do instead, and automatic never picks it.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "joblet/joblet.hpp"

namespace {

TEST(MpiOutsideMpirun, BackendMpiIsRefusedWithWhatToDoInstead) {
  try {
    (void)joblet::Parallel({.n_jobs = 2, .backend = joblet::Backend::mpi});
    FAIL() << "Backend::mpi was accepted outside mpirun";
  } catch (const std::invalid_argument& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("backend mpi"), std::string::npos) << what;
    EXPECT_NE(what.find("threads"), std::string::npos) << what;
#ifdef JOBLET_TEST_MPI_BUILT
    EXPECT_NE(what.find("mpirun -np 4"), std::string::npos) << what;
#else
    EXPECT_NE(what.find("MPI support was not built"), std::string::npos) << what;
#endif
  }
}

TEST(MpiOutsideMpirun, AutomaticBackendIsNeverMpi) {
  EXPECT_EQ(joblet::Parallel(-1).backend(),
            joblet::cpu_count() == 1 ? joblet::Backend::sequential : joblet::Backend::threads);
}

}  // namespace
