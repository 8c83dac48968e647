// Observer: the same calls, in the same order, on every backend and n_jobs.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <numeric>
#include <ranges>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "joblet/joblet.hpp"
#include "support/backends.hpp"

namespace {

using joblet::testing::BackendCase;

/// Writes down every call as a line, and the done counts, indices and failures it saw.
class Recorder final : public joblet::Observer {
 public:
  void on_start(const joblet::RunStart& start) override {
    calls.push_back("start " + (start.total ? std::to_string(*start.total) : "?"));
  }
  void on_task_done(const joblet::TaskDone& done) override {
    calls.push_back("done " + std::to_string(done.progress.done));
    indices.push_back(done.index);
    if (done.index == failed_index) calls.back() += " after error";
    failed_index = kNone;
  }
  void on_error(const std::exception_ptr& error, const joblet::Progress& progress) override {
    try {
      std::rethrow_exception(error);
    } catch (const joblet::TaskError& task_error) {
      failed_index = task_error.index();
      failures.push_back(task_error.index());
    }
    calls.push_back("error at " + std::to_string(progress.done));
  }
  void on_finish(const joblet::Progress& progress) override {
    calls.push_back("finish " + std::to_string(progress.done));
  }

  static constexpr std::size_t kNone = ~std::size_t{0};
  std::vector<std::string> calls;
  std::vector<std::size_t> indices;
  std::vector<std::size_t> failures;
  std::size_t failed_index = kNone;
};

int fails_at_sevens(int i) {
  if (i % 7 == 3) throw std::domain_error("no fit");
  return i;
}

class ObserverTest : public ::testing::TestWithParam<BackendCase> {
 protected:
  static joblet::Options options_with(const std::shared_ptr<Recorder>& recorder) {
    auto options = GetParam().options();
    options.observers = {recorder};
    return options;
  }
};

TEST_P(ObserverTest, EveryBackendMakesTheSameCallsForASweepThatGoesPastFailures) {
  constexpr int kTasks = 300;
  auto recorder = std::make_shared<Recorder>();
  joblet::Parallel(options_with(recorder)).try_map(fails_at_sevens, std::views::iota(0, kTasks));

  // What any backend must say: the start, one done per task counting up (each failure just
  // before its task's done), and the finish.
  std::vector<std::string> expected{"start " + std::to_string(kTasks)};
  std::vector<std::size_t> expected_failures;
  auto& failures_seen = recorder->failures;
  std::set<std::size_t> failed(failures_seen.begin(), failures_seen.end());
  for (int done = 1; done <= kTasks; ++done) {
    const std::size_t index = recorder->indices.at(static_cast<std::size_t>(done - 1));
    if (failed.contains(index)) expected.push_back("error at " + std::to_string(done - 1));
    expected.push_back("done " + std::to_string(done) +
                       (failed.contains(index) ? " after error" : ""));
  }
  expected.push_back("finish " + std::to_string(kTasks));
  EXPECT_EQ(recorder->calls, expected);

  std::vector<std::size_t> sorted = recorder->indices;
  std::ranges::sort(sorted);
  std::vector<std::size_t> every(kTasks);
  std::iota(every.begin(), every.end(), 0U);
  EXPECT_EQ(sorted, every) << "each task is done once";
  for (std::size_t i : every) {
    if (i % 7 == 3) expected_failures.push_back(i);
  }
  std::ranges::sort(failures_seen);
  EXPECT_EQ(failures_seen, expected_failures);
}

TEST_P(ObserverTest, ARunThatStopsAtAFailureEndsWithOnError) {
  auto recorder = std::make_shared<Recorder>();
  joblet::Parallel parallel(options_with(recorder));
  EXPECT_THROW(parallel.map(fails_at_sevens, std::views::iota(0, 100)), joblet::TaskError);
  ASSERT_FALSE(recorder->calls.empty());
  EXPECT_EQ(recorder->calls.front(), "start 100");
  EXPECT_TRUE(recorder->calls.back().starts_with("error at ")) << recorder->calls.back();
  ASSERT_EQ(recorder->failures.size(), 1U);
  EXPECT_EQ(recorder->failures.front() % 7, 3U);
  for (std::size_t k = 1; k + 1 < recorder->calls.size(); ++k)
    EXPECT_EQ(recorder->calls[k], "done " + std::to_string(k));
}

TEST_P(ObserverTest, AnUnsizedInputStartsWithAnUnknownTotal) {
  auto recorder = std::make_shared<Recorder>();
  auto unsized =
      std::views::iota(0) | std::views::take_while([](int i) { return i < 50; }) |
      std::views::transform([](int i) { return joblet::delayed(fails_at_sevens, i * 7); });
  joblet::Parallel(options_with(recorder))(unsized);
  ASSERT_EQ(recorder->calls.size(), 52U);
  EXPECT_EQ(recorder->calls.front(), "start ?");
  EXPECT_EQ(recorder->calls.back(), "finish 50");
}

/// Counts finished tasks where the tasks themselves can read the count.
class DoneCounter final : public joblet::Observer {
 public:
  void on_task_done(const joblet::TaskDone& /*done*/) override { done.fetch_add(1); }
  std::atomic<int> done{0};
};

TEST(Observer, HearsOfAFinishedTaskWhileAnotherTaskStillRuns) {
  // Both tasks start before either ends. The one on the calling thread, if there is one, then
  // waits until the observer hears that the other is done: a caller that ran tasks itself could
  // not tell the observer while it waited, and the watchdog would fail the test.
  const auto caller = std::this_thread::get_id();
  auto counter = std::make_shared<DoneCounter>();
  std::atomic<int> started{0};
  joblet::Parallel(
      {.n_jobs = 2, .backend = joblet::Backend::threads, .batch_size = 1, .observers = {counter}})
      .map(
          [&](int i) {
            started.fetch_add(1);
            while (started.load() < 2)
              std::this_thread::yield();
            while (std::this_thread::get_id() == caller && counter->done.load() < 1)
              std::this_thread::yield();
            return i;
          },
          std::views::iota(0, 2));
  EXPECT_EQ(counter->done.load(), 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, ObserverTest,
                         ::testing::ValuesIn(joblet::testing::all_backends()),
                         joblet::testing::case_name);

}  // namespace
