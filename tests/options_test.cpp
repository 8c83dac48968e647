// Options: validation with messages that say what to write, and the environment overrides.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>

#include "joblet/joblet.hpp"
#include "support/scoped_env.hpp"

namespace {

using joblet::Backend;
using joblet::testing::ScopedEnv;

/// The message of the std::invalid_argument that constructing a Parallel throws.
std::string rejection(const joblet::Options& options) {
  try {
    const joblet::Parallel parallel(options);
    return "accepted, n_jobs = " + std::to_string(parallel.n_jobs());
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
}

::testing::AssertionResult says(const std::string& message, const std::string& part) {
  if (message.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << message << "\" lacks \"" << part << "\"";
}

TEST(Options, NJobsZeroIsRejectedWithWhatToWrite) {
  const auto message = rejection({.n_jobs = 0});
  EXPECT_TRUE(says(message, "n_jobs = 0"));
  EXPECT_TRUE(says(message, "write 1 to run inline, -1 to use all"));
}

TEST(Options, NJobsBelowMinusCpuCountIsRejected) {
  const int cpus = joblet::cpu_count();
  const auto message = rejection({.n_jobs = -cpus - 1});
  EXPECT_TRUE(says(message, "write a value from -" + std::to_string(cpus) + " to -1"));
  EXPECT_EQ(joblet::Parallel(-cpus).n_jobs(), 1);
}

TEST(Options, NegativeNJobsCountsFromTheCpuCount) {
  const int cpus = joblet::cpu_count();
  EXPECT_EQ(joblet::Parallel(-1).n_jobs(), cpus);
  EXPECT_EQ(joblet::Parallel(-2).n_jobs(), std::max(cpus - 1, 1));
}

TEST(Options, NJobsAboveTheCpuCountIsAllowed) {
  EXPECT_EQ(joblet::Parallel(joblet::cpu_count() + 3).n_jobs(), joblet::cpu_count() + 3);
}

TEST(Options, NegativeBatchSizeIsRejected) {
  EXPECT_TRUE(says(rejection({.n_jobs = 2, .batch_size = -1}), "write 0 for automatic batching"));
}

TEST(Options, NegativePreDispatchIsRejected) {
  EXPECT_TRUE(says(rejection({.n_jobs = 2, .pre_dispatch = -4}), "Options::pre_dispatch"));
}

TEST(Options, TimeoutMustBePositive) {
  EXPECT_TRUE(says(rejection({.timeout = std::chrono::seconds(0)}), "must be positive"));
  EXPECT_TRUE(says(rejection({.timeout = std::chrono::seconds(-1)}), "leave it unset"));
}

TEST(Options, AutomaticIsSequentialForOneJobAndThreadsOtherwise) {
  EXPECT_EQ(joblet::Parallel(1).backend(), Backend::sequential);
  EXPECT_EQ(joblet::Parallel(3).backend(), Backend::threads);
  EXPECT_EQ(joblet::Parallel({.n_jobs = 1, .backend = Backend::threads}).backend(),
            Backend::threads);
}

TEST(Options, DefaultIsOneJobInline) {
  EXPECT_EQ(joblet::Parallel().n_jobs(), 1);
  EXPECT_EQ(joblet::Parallel().backend(), Backend::sequential);
}

TEST(Environment, JobletNJobsOverridesExplicitNJobs) {
  const ScopedEnv env("JOBLET_N_JOBS", "3");
  EXPECT_EQ(joblet::Parallel(2).n_jobs(), 3);
  EXPECT_EQ(joblet::Parallel({.n_jobs = 1}).n_jobs(), 3);
}

TEST(Environment, JobletNJobsOneRunsEverythingInline) {
  const ScopedEnv env("JOBLET_N_JOBS", "1");
  const joblet::Parallel parallel({.n_jobs = 8, .backend = Backend::threads});
  EXPECT_EQ(parallel.backend(), Backend::sequential);
  EXPECT_EQ(parallel.n_jobs(), 1);
}

TEST(Environment, JobletBackendOverridesExplicitBackend) {
  const ScopedEnv env("JOBLET_BACKEND", "sequential");
  EXPECT_EQ(joblet::Parallel({.n_jobs = 4, .backend = Backend::threads}).backend(),
            Backend::sequential);
}

TEST(Environment, BadValuesSayWhatToWrite) {
  {
    const ScopedEnv env("JOBLET_N_JOBS", "four");
    EXPECT_TRUE(says(rejection({}), "JOBLET_N_JOBS=\"four\" is not a whole number"));
  }
  {
    const ScopedEnv env("JOBLET_N_JOBS", "0");
    EXPECT_TRUE(says(rejection({}), "from JOBLET_N_JOBS"));
  }
  {
    const ScopedEnv env("JOBLET_BACKEND", "thread");
    EXPECT_TRUE(says(rejection({}), "write one of automatic, sequential, threads"));
  }
}

TEST(Environment, JobletVerboseOverridesExplicitVerbose) {
  const ScopedEnv env("JOBLET_VERBOSE", "5");
  ::testing::internal::CaptureStderr();
  joblet::Parallel({.n_jobs = 2, .verbose = 0})
      .map([](int i) { return i; }, std::views::iota(0, 10));
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(says(err, "[Parallel(n_jobs=2)]: Done  10 out of  10"));
}

}  // namespace
