// task_seed() / task_rng(): one stream per task, the same for every backend and n_jobs.
#include <gtest/gtest.h>

#include <random>
#include <ranges>
#include <set>
#include <vector>

#include "joblet/joblet.hpp"
#include "support/backends.hpp"

namespace {

using joblet::testing::BackendCase;

/// A Monte Carlo estimate of pi from one task's stream.
double pi_estimate(int samples) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int inside = 0;
  for (int i = 0; i < samples; ++i) {
    const double x = unit(joblet::task_rng());
    const double y = unit(joblet::task_rng());
    inside += x * x + y * y <= 1.0 ? 1 : 0;
  }
  return 4.0 * inside / samples;
}

std::vector<double> sweep(const joblet::Options& options) {
  std::vector<joblet::Delayed<double (*)(int), int>> tasks(200, joblet::delayed(pi_estimate, 1000));
  return joblet::Parallel(options)(tasks);
}

class RandomTest : public ::testing::TestWithParam<BackendCase> {};

TEST_P(RandomTest, EveryBackendAndNJobsDrawsTheSameNumbers) {
  auto options = GetParam().options();
  options.seed = 2026;
  const auto reference = sweep({.n_jobs = 1, .seed = 2026});
  EXPECT_EQ(sweep(options), reference);
}

TEST_P(RandomTest, TaskSeedDependsOnTheSeedAndTheTaskIndexOnly) {
  auto options = GetParam().options();
  options.seed = 7;
  const auto seeds = joblet::Parallel(options).map([](int) { return joblet::task_seed(); },
                                                   std::views::iota(0, 1000));
  EXPECT_EQ(std::set<std::uint64_t>(seeds.begin(), seeds.end()).size(), 1000U);
  options.seed = 8;
  const auto other = joblet::Parallel(options).map([](int) { return joblet::task_seed(); },
                                                   std::views::iota(0, 1000));
  for (int i = 0; i < 1000; ++i)
    EXPECT_NE(seeds[i], other[i]);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, RandomTest,
                         ::testing::ValuesIn(joblet::testing::all_backends()),
                         joblet::testing::case_name);

TEST(Random, SuccessiveDrawsInOneTaskContinueOneStream) {
  const auto draws = joblet::Parallel(1).map(
      [](int) {
        const auto a = joblet::task_rng()();
        const auto b = joblet::task_rng()();
        return std::pair(a, b);
      },
      std::views::iota(0, 2));
  EXPECT_NE(draws[0].first, draws[0].second);
  EXPECT_NE(draws[0].first, draws[1].first);
}

TEST(Random, ANestedRunDoesNotRestartTheOuterTaskStream) {
  const auto draws = joblet::Parallel(2).map(
      [](int) {
        joblet::SplitMix64 expected(joblet::task_seed());
        expected();
        (void)joblet::task_rng()();
        joblet::Parallel(2).map([](int) { return joblet::task_rng()(); }, std::views::iota(0, 3));
        return joblet::task_rng()() == expected();
      },
      std::views::iota(0, 4));
  for (const bool continued : draws)
    EXPECT_TRUE(continued);
}

TEST(Random, DifferentSeedsGiveDifferentSweeps) {
  EXPECT_NE(sweep({.n_jobs = 2, .seed = 1}), sweep({.n_jobs = 2, .seed = 2}));
}

TEST(Random, SplitMix64IsAUniformRandomBitGenerator) {
  static_assert(std::uniform_random_bit_generator<joblet::SplitMix64>);
  joblet::SplitMix64 a(42);
  joblet::SplitMix64 b(42);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(a(), b());
}

}  // namespace
