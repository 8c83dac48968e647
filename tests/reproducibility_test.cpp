// The same seeded sweeps give the same results bit for bit whatever the backend and n_jobs:
// a Monte Carlo sweep drawing from task_rng(), and the orbit_grid example's fit.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <ranges>
#include <vector>

#include "joblet/joblet.hpp"
#include "support/backends.hpp"
#include "support/orbit_fit_bits.hpp"

namespace {

using joblet::testing::BackendCase;

/// A random walk of `steps` steps from task_rng(): its end and its furthest point, as doubles
/// whose every bit depends on every draw.
std::vector<double> random_walk(int steps) {
  std::normal_distribution<double> step(0.0, 1.0);
  double position = 0;
  double furthest = 0;
  for (int k = 0; k < steps; ++k) {
    position += step(joblet::task_rng());
    furthest = std::max(furthest, std::abs(position));
  }
  return {position, furthest};
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

class ReproducibilityTest : public ::testing::TestWithParam<BackendCase> {
 protected:
  [[nodiscard]] static joblet::Options options_with_seed(joblet::Options options) {
    options.seed = 20240611;
    return options;
  }
};

TEST_P(ReproducibilityTest, ASeededMonteCarloSweepGivesTheSameBitsAsSequential) {
  const auto steps =
      std::views::iota(0, 300) | std::views::transform([](int i) { return 50 + (i * 37) % 400; });
  const auto reference =
      joblet::Parallel(options_with_seed({.n_jobs = 1, .backend = joblet::Backend::sequential}))
          .map(random_walk, steps);
  const auto here =
      joblet::Parallel(options_with_seed(GetParam().options())).map(random_walk, steps);
  ASSERT_EQ(here.size(), reference.size());
  for (std::size_t i = 0; i < here.size(); ++i)
    EXPECT_TRUE(same_bits(here[i], reference[i])) << "task " << i;
}

TEST_P(ReproducibilityTest, TheOrbitGridGivesTheSameBitsAsSequential) {
  const auto reference =
      joblet::testing::orbit_fit_bits({.n_jobs = 1, .backend = joblet::Backend::sequential});
  ASSERT_FALSE(reference.empty());
  EXPECT_EQ(joblet::testing::orbit_fit_bits(GetParam().options()), reference);
}

INSTANTIATE_TEST_SUITE_P(Backends, ReproducibilityTest,
                         ::testing::ValuesIn(joblet::testing::all_backends()),
                         joblet::testing::case_name);

}  // namespace
