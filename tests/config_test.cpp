// joblet::Config: scoped, thread-local defaults that explicit options override.
#include <gtest/gtest.h>

#include <thread>

#include "joblet/joblet.hpp"
#include "support/scoped_env.hpp"

namespace {

using joblet::Backend;

/// What a library deep inside the caller's code would write.
joblet::Parallel library_parallel() {
  return {};
}

TEST(Config, LibraryCodeCallingParallelPicksUpTheScope) {
  const joblet::Config scope({.n_jobs = 3, .backend = Backend::threads});
  EXPECT_EQ(library_parallel().n_jobs(), 3);
  EXPECT_EQ(library_parallel().backend(), Backend::threads);
}

TEST(Config, ExplicitOptionsWinOverTheScope) {
  const joblet::Config scope({.n_jobs = 3, .backend = Backend::threads});
  EXPECT_EQ(joblet::Parallel(2).n_jobs(), 2);
  EXPECT_EQ(joblet::Parallel({.backend = Backend::sequential}).backend(), Backend::sequential);
  EXPECT_EQ(joblet::Parallel({.backend = Backend::threads}).n_jobs(), 3);
}

TEST(Config, TheEnvironmentWinsOverTheScope) {
  const joblet::Config scope({.n_jobs = 3});
  const joblet::testing::ScopedEnv env("JOBLET_N_JOBS", "2");
  EXPECT_EQ(library_parallel().n_jobs(), 2);
}

TEST(Config, InnerScopesKeepOuterValuesTheyDoNotSet) {
  const joblet::Config outer({.n_jobs = 3, .backend = Backend::threads});
  {
    const joblet::Config inner({.n_jobs = 2});
    EXPECT_EQ(library_parallel().n_jobs(), 2);
    EXPECT_EQ(library_parallel().backend(), Backend::threads);
  }
  EXPECT_EQ(library_parallel().n_jobs(), 3);
}

TEST(Config, LeavingTheScopeRestoresTheDefaults) {
  {
    const joblet::Config scope({.n_jobs = 4});
    EXPECT_EQ(library_parallel().n_jobs(), 4);
  }
  EXPECT_EQ(library_parallel().n_jobs(), 1);
  EXPECT_FALSE(joblet::Config::current().n_jobs.has_value());
}

TEST(Config, AScopeBelongsToItsThread) {
  const joblet::Config scope({.n_jobs = 4});
  int seen_elsewhere = 0;
  std::thread([&seen_elsewhere] { seen_elsewhere = library_parallel().n_jobs(); }).join();
  EXPECT_EQ(seen_elsewhere, 1);
}

TEST(Config, ScopedVerboseReachesLibraryRuns) {
  const joblet::Config scope({.n_jobs = 2, .verbose = 1});
  ::testing::internal::CaptureStderr();
  library_parallel().map([](int i) { return i; }, std::views::iota(0, 4));
  EXPECT_NE(
      ::testing::internal::GetCapturedStderr().find("[Parallel(n_jobs=2)]: Using backend threads"),
      std::string::npos);
}

TEST(Config, BadScopedValuesAreRejectedNamingTheScope) {
  const joblet::Config scope({.n_jobs = 0});
  try {
    (void)library_parallel();
    FAIL() << "accepted n_jobs = 0";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("from joblet::Config"), std::string::npos);
  }
}

}  // namespace
