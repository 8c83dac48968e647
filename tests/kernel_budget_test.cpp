// The thread budget of kernels: cpu_count() outside any task, cpu_count() / n_jobs inside a
// task of Parallel(n_jobs) on every backend, Options::inner_threads when given, one inside
// another kernel's body; and tasks running kernels never keep more threads computing than
// there are CPUs.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "joblet/joblet.hpp"
#include "joblet/kernels.hpp"
#include "support/backends.hpp"

namespace {

namespace jk = joblet::kernels;
using joblet::testing::BackendCase;

int threads_in_task(int /*task*/) {
  return jk::threads();
}

TEST(KernelBudget, OutsideAnyTaskIsEveryCpu) {
  EXPECT_EQ(jk::threads(), joblet::cpu_count());
}

class KernelBudgetInTasks : public ::testing::TestWithParam<BackendCase> {};

TEST_P(KernelBudgetInTasks, IsTheCpusSharedAmongTheWorkers) {
  joblet::Parallel parallel(GetParam().options());
  const int expected = std::max(1, joblet::cpu_count() / parallel.n_jobs());
  for (const int got : parallel.map(threads_in_task, std::vector<int>(8, 0)))
    EXPECT_EQ(got, expected);
}

TEST_P(KernelBudgetInTasks, IsInnerThreadsWhenGiven) {
  for (const int inner : {1, 3, 16}) {
    joblet::Options options = GetParam().options();
    options.inner_threads = inner;
    for (const int got : joblet::Parallel(options).map(threads_in_task, std::vector<int>(4, 0)))
      EXPECT_EQ(got, inner);
  }
}

TEST_P(KernelBudgetInTasks, IsInnerThreadsOfTheEnclosingConfig) {
  const joblet::Config scope({.inner_threads = 5});
  for (const int got :
       joblet::Parallel(GetParam().options()).map(threads_in_task, std::vector<int>(4, 0)))
    EXPECT_EQ(got, 5);
}

INSTANTIATE_TEST_SUITE_P(Backends, KernelBudgetInTasks,
                         ::testing::ValuesIn(joblet::testing::all_backends()),
                         joblet::testing::case_name);

/// Runs a kernel whose every part runs another kernel; says whether the budget inside every
/// outer part was 1, and whether every inner kernel ran whole on its part's thread.
struct Nested {
  bool budget_one;
  bool inner_on_part_thread;
  bool inner_covered;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(budget_one, inner_on_part_thread, inner_covered);
  }
};

Nested run_nested() {
  std::atomic<bool> budget_one{true};
  std::atomic<bool> on_part_thread{true};
  std::atomic<bool> covered{true};
  jk::parallel_for(
      64,
      [&](std::size_t /*begin*/, std::size_t /*end*/) {
        if (jk::threads() != 1) budget_one = false;
        const auto part_thread = std::this_thread::get_id();
        std::vector<int> hits(5 * jk::kDefaultGrain, 0);
        jk::parallel_for(
            hits.size(),
            [&](std::size_t i) {
              if (std::this_thread::get_id() != part_thread) on_part_thread = false;
              ++hits[i];
            },
            1);
        if (std::ranges::count(hits, 1) != static_cast<std::ptrdiff_t>(hits.size()))
          covered = false;
        std::vector<double> values(3 * jk::kReduceChunk + 5);
        std::iota(values.begin(), values.end(), 1.0);
        const auto n = static_cast<double>(values.size());
        if (jk::reduce(values, 0.0, std::plus<>{}) != n * (n + 1) / 2) covered = false;
      },
      1);
  return {budget_one.load(), on_part_thread.load(), covered.load()};
}

TEST(KernelBudget, InsideAKernelBodyIsOneAndANestedKernelRunsSerially) {
  const Nested nested = run_nested();
  EXPECT_TRUE(nested.budget_one);
  EXPECT_TRUE(nested.inner_on_part_thread);
  EXPECT_TRUE(nested.inner_covered);
  // The calling thread has its own budget back once the kernel returned.
  EXPECT_EQ(jk::threads(), joblet::cpu_count());
}

TEST(KernelBudget, NestedKernelsInsideTasksRunSeriallyToo) {
  const auto results = joblet::Parallel({.n_jobs = 2, .backend = joblet::Backend::threads})
                           .map([](int /*task*/) { return run_nested(); }, std::vector<int>(4, 0));
  for (const Nested& nested : results) {
    EXPECT_TRUE(nested.budget_one);
    EXPECT_TRUE(nested.inner_on_part_thread);
    EXPECT_TRUE(nested.inner_covered);
  }
}

/// Threads inside kernel bodies right now, and the most there ever were at once.
struct Gauge {
  std::atomic<int> active{0};
  std::atomic<int> highest{0};
  /// Set once `active` reached the overlap a test waits for.
  std::atomic<bool> overlapped{false};

  void reset() {
    active = 0;
    highest = 0;
    overlapped = false;
  }

  void enter() {
    const int now = active.fetch_add(1) + 1;
    int seen = highest.load();
    while (now > seen && !highest.compare_exchange_weak(seen, now)) {
    }
  }

  void leave() { active.fetch_sub(1); }
};

Gauge gauge;

/// Threads that, when there are CPUs for them, must be seen computing at once.
int expected_overlap() {
  return std::min(joblet::cpu_count(), 2);
}

/// A kernel part: about `work` of computation. Until some part has seen expected_overlap()
/// parts computing at once, a part also waits for that (for at most a generous deadline, so a
/// run that never overlaps fails rather than hangs): a loop that finished before another
/// thread woke up would otherwise prove nothing.
std::uint64_t computing_part(std::chrono::microseconds work) {
  gauge.enter();
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::seconds(20);
  std::uint64_t x = 1;
  while (!gauge.overlapped.load()) {
    if (gauge.active.load() >= expected_overlap()) gauge.overlapped = true;
    if (std::chrono::steady_clock::now() > deadline) break;
    x = joblet::SplitMix64::mix(x);
  }
  while (std::chrono::steady_clock::now() - start < work) {
    for (int k = 0; k < 64; ++k)
      x = joblet::SplitMix64::mix(x);
  }
  gauge.leave();
  return x;
}

/// A task's numeric core: a kernel of many parts, each computing for a while.
std::uint64_t kernel_task(int /*task*/) {
  std::atomic<std::uint64_t> result{0};
  jk::parallel_for(
      64,
      [&result](std::size_t /*begin*/, std::size_t /*end*/) {
        result.fetch_xor(computing_part(std::chrono::microseconds(1000)));
      },
      1);
  return result.load();
}

class NoOversubscription : public ::testing::TestWithParam<joblet::Backend> {};

std::string backend_name(const ::testing::TestParamInfo<joblet::Backend>& param) {
  return std::string(joblet::to_string(param.param));
}

TEST_P(NoOversubscription, ThreadsComputingInKernelsOfParallelTasksNeverExceedTheCpus) {
  gauge.reset();
  const auto results = joblet::Parallel({.n_jobs = 2, .backend = GetParam(), .batch_size = 1})
                           .map(kernel_task, std::vector<int>(8, 0));
  EXPECT_EQ(results.size(), 8U);
  EXPECT_EQ(gauge.active.load(), 0);
  EXPECT_LE(gauge.highest.load(), joblet::cpu_count());
  EXPECT_GE(gauge.highest.load(), expected_overlap())
      << "no two threads computed at once within the deadline";
}

INSTANTIATE_TEST_SUITE_P(Backends, NoOversubscription,
                         ::testing::Values(joblet::Backend::sequential, joblet::Backend::threads),
                         backend_name);

TEST(NoOversubscription, AKernelOutsideTasksComputesOnSeveralThreadsButNoMoreThanTheCpus) {
  gauge.reset();
  (void)kernel_task(0);
  EXPECT_LE(gauge.highest.load(), joblet::cpu_count());
  EXPECT_GE(gauge.highest.load(), expected_overlap());
}

}  // namespace
