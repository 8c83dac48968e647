// The first failing task stops the run and the caller gets a TaskError naming it.
#include <gtest/gtest.h>

#include <atomic>
#include <ranges>
#include <stdexcept>
#include <string>
#include <vector>

#include "joblet/joblet.hpp"
#include "support/backends.hpp"

namespace {

using joblet::testing::BackendCase;

struct Diverged : std::runtime_error {
  using std::runtime_error::runtime_error;
};

double fit(double period, int point) {
  if (point == 13) throw Diverged("Kepler's equation did not converge");
  return period * point;
}

class ErrorsTest : public ::testing::TestWithParam<BackendCase> {
 protected:
  [[nodiscard]] static joblet::Parallel parallel() {
    return joblet::Parallel(GetParam().options());
  }
};

/// Where tasks run in this process: the original exception object and the caller's memory.
class ErrorsInProcessTest : public ErrorsTest {};

TEST_P(ErrorsTest, TaskErrorNamesTheTaskItsArgumentsAndTheOriginalException) {
  std::vector<joblet::Delayed<double (*)(double, int), double, int>> tasks;
  for (int i = 0; i < 40; ++i)
    tasks.push_back(joblet::delayed(fit, 47.5, i));
  try {
    parallel()(tasks);
    FAIL() << "no TaskError";
  } catch (const joblet::TaskError& error) {
    EXPECT_EQ(error.index(), 13U);
    EXPECT_EQ(error.task_name(), "(anonymous namespace)::fit");
    EXPECT_EQ(error.call(), "(anonymous namespace)::fit(47.5, 13)");
    EXPECT_EQ(error.exception_type(), "(anonymous namespace)::Diverged");
    EXPECT_EQ(error.message(), "Kepler's equation did not converge");
    EXPECT_STREQ(error.what(),
                 "task 13 (anonymous namespace)::fit(47.5, 13) threw (anonymous "
                 "namespace)::Diverged: Kepler's equation did not converge");
  }
}

TEST_P(ErrorsInProcessTest, TheOriginalExceptionIsNestedWithItsType) {
  try {
    parallel().map([](int i) { return fit(1.0, i); }, std::views::iota(0, 20));
    FAIL() << "no TaskError";
  } catch (const joblet::TaskError& error) {
    try {
      std::rethrow_if_nested(error);
      FAIL() << "nothing nested";
    } catch (const Diverged& original) {
      EXPECT_STREQ(original.what(), "Kepler's equation did not converge");
    }
  }
}

TEST_P(ErrorsTest, TaskErrorIsAJobletError) {
  EXPECT_THROW(parallel().map([](int i) { return fit(1, i); }, std::views::iota(0, 20)),
               joblet::Error);
}

TEST_P(ErrorsTest, AnExceptionNotDerivedFromStdExceptionIsReportedByItsType) {
  try {
    parallel().map([](int i) { return i == 3 ? throw 42 : i; }, std::views::iota(0, 10));
    FAIL() << "no TaskError";
  } catch (const joblet::TaskError& error) {
    EXPECT_EQ(error.exception_type(), "int");
    EXPECT_EQ(error.message(), "");
    try {
      std::rethrow_if_nested(error);
    } catch (int thrown) {
      EXPECT_EQ(thrown, 42);
    }
  }
}

TEST_P(ErrorsInProcessTest, TasksNotStartedWhenTheFirstFailsAreNeverStarted) {
  constexpr int kTasks = 100000;
  std::atomic<int> started{0};
  std::atomic<bool> failed{false};
  // Tasks after the failing one wait for its exception to leave it: however the threads are
  // scheduled, the failure happens while only the first batches are out, and the rest of the
  // input is never read. Released any earlier (before the throw, which takes a millisecond
  // under ASan), the other threads ran through 10,000 tasks before the run heard of it.
  class ReleaseWhenUnwound {
   public:
    explicit ReleaseWhenUnwound(std::atomic<bool>& flag) : flag_(&flag) {}
    ReleaseWhenUnwound(const ReleaseWhenUnwound&) = delete;
    ReleaseWhenUnwound& operator=(const ReleaseWhenUnwound&) = delete;
    ReleaseWhenUnwound(ReleaseWhenUnwound&&) = delete;
    ReleaseWhenUnwound& operator=(ReleaseWhenUnwound&&) = delete;
    ~ReleaseWhenUnwound() {
      flag_->store(true);
      flag_->notify_all();
    }

   private:
    std::atomic<bool>* flag_;
  };
  const auto task = [&started, &failed](int i) {
    started.fetch_add(1, std::memory_order_relaxed);
    if (i == 10) {
      const ReleaseWhenUnwound release{failed};
      throw std::runtime_error("stop here");
    }
    if (i > 10) failed.wait(false);
    return i;
  };
  // A fixed batch size: the bound below must not depend on how large automatic batches grow.
  joblet::Options options = GetParam().options();
  options.batch_size = 64;
  EXPECT_THROW(joblet::Parallel(options).map(task, std::views::iota(0, kTasks)), joblet::TaskError);
  const int after_throw = started.load();
  if (GetParam().backend == joblet::Backend::sequential) {
    EXPECT_EQ(after_throw, 11);
  } else {
    // Only batches handed out before the failure ran; most of the input was never read.
    EXPECT_LT(after_throw, kTasks / 10);
  }
  // Every worker had stopped when the call threw: nothing runs afterwards.
  parallel().map([](int i) { return i; }, std::views::iota(0, 1000));
  EXPECT_EQ(started.load(), after_throw);
}

TEST_P(ErrorsInProcessTest, RunningTasksFinishBeforeTheCallThrows) {
  std::atomic<int> finished{0};
  std::atomic<int> started{0};
  const auto task = [&](int i) {
    started.fetch_add(1);
    if (i == 0) throw std::runtime_error("first");
    joblet::SplitMix64 rng(static_cast<std::uint64_t>(i));
    for (int k = 0; k < 20000; ++k)
      rng();
    finished.fetch_add(1);
  };
  EXPECT_THROW(joblet::Parallel(
                   {.n_jobs = GetParam().n_jobs, .backend = GetParam().backend, .batch_size = 1})
                   .map(task, std::views::iota(0, 64)),
               joblet::TaskError);
  EXPECT_EQ(finished.load(), started.load() - 1);
}

TEST_P(ErrorsTest, AnExceptionFromTheInputRangeReachesTheCaller) {
  struct RangeBroke : std::runtime_error {
    using std::runtime_error::runtime_error;
  };
  auto tasks = std::views::iota(0, 1000) | std::views::transform([](int i) {
                 if (i == 500) throw RangeBroke("input 500 is corrupt");
                 return joblet::delayed([](int k) { return k; }, i);
               });
  EXPECT_THROW(parallel()(tasks), RangeBroke);
}

TEST_P(ErrorsTest, AFailedCallLeavesTheBackendUsable) {
  EXPECT_THROW(parallel().map([](int i) { return fit(1, i); }, std::views::iota(0, 30)),
               joblet::TaskError);
  const auto results = parallel().map([](int i) { return i * 2; }, std::views::iota(0, 1000));
  EXPECT_EQ(results[999], 1998);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ErrorsTest,
                         ::testing::ValuesIn(joblet::testing::all_backends()),
                         joblet::testing::case_name);
INSTANTIATE_TEST_SUITE_P(InProcess, ErrorsInProcessTest,
                         ::testing::ValuesIn(joblet::testing::in_process_backends()),
                         joblet::testing::case_name);

}  // namespace
