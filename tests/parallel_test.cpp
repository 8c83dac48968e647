// Parallel::operator() and map: results in submission order, on every backend and n_jobs.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <forward_list>
#include <list>
#include <numeric>
#include <ranges>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "joblet/joblet.hpp"
#include "support/backends.hpp"

namespace {

using joblet::testing::BackendCase;

double square(double x) {
  return x * x;
}

int sum3(int a, int b, int c) {
  return a + b + c;
}

/// A little CPU work, so that tasks take different times and finish out of order.
std::uint64_t churn(std::uint64_t seed, int rounds) {
  std::uint64_t x = seed;
  for (int i = 0; i < rounds; ++i)
    x = joblet::SplitMix64::mix(x + 1);
  return x;
}

/// An input range that can be walked only once, like a stream.
class OnePass {
 public:
  class iterator {
   public:
    using value_type = joblet::Delayed<double (*)(double), double>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(OnePass* source) : source_(source) {}
    value_type operator*() const { return joblet::delayed(square, double(source_->next_)); }
    iterator& operator++() {
      ++source_->next_;
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t /*end*/) const {
      return source_->next_ == source_->end_;
    }

   private:
    OnePass* source_ = nullptr;
  };

  explicit OnePass(int count) : end_(count) {}
  iterator begin() { return iterator(this); }
  static std::default_sentinel_t end() { return {}; }

 private:
  int next_ = 0;
  int end_;
};
static_assert(std::ranges::input_range<OnePass> && !std::ranges::forward_range<OnePass>);

class ParallelTest : public ::testing::TestWithParam<BackendCase> {
 protected:
  [[nodiscard]] static joblet::Parallel parallel() {
    return joblet::Parallel(GetParam().options());
  }
};

/// Tests whose tasks change the caller's memory: only where tasks run in this process.
class ParallelInProcessTest : public ParallelTest {};

TEST_P(ParallelTest, ResultsKeepSubmissionOrder) {
  std::vector<joblet::Delayed<std::uint64_t (*)(std::uint64_t, int), std::uint64_t, int>> tasks;
  std::vector<std::uint64_t> expected;
  for (std::uint64_t i = 0; i < 2000; ++i) {
    const int rounds = static_cast<int>((i * 7919) % 3000);  // uneven task lengths
    tasks.push_back(joblet::delayed(churn, i, rounds));
    expected.push_back(churn(i, rounds));
  }
  EXPECT_EQ(parallel()(tasks), expected);
}

TEST_P(ParallelTest, RunsATaskVectorInPlaceWithoutChangingIt) {
  std::vector<joblet::Delayed<double (*)(double), double>> tasks;
  for (int i = 0; i < 100; ++i)
    tasks.push_back(joblet::delayed(square, double(i)));
  const auto before = tasks;
  const std::vector<double> results = parallel()(tasks);
  ASSERT_EQ(results.size(), 100U);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(results[i], double(i) * i);
  for (std::size_t i = 0; i < tasks.size(); ++i)
    EXPECT_EQ(tasks[i](), before[i]());
}

TEST_P(ParallelTest, RunsAConstTaskRange) {
  const std::vector tasks{joblet::delayed(square, 3.0), joblet::delayed(square, 4.0)};
  EXPECT_EQ(parallel()(tasks), (std::vector<double>{9.0, 16.0}));
}

TEST_P(ParallelTest, RunsALazyView) {
  auto tasks = std::views::iota(0, 5000) |
               std::views::transform([](int i) { return joblet::delayed(square, double(i)); });
  const auto results = parallel()(tasks);
  ASSERT_EQ(results.size(), 5000U);
  for (int i = 0; i < 5000; ++i)
    ASSERT_EQ(results[i], double(i) * i);
}

TEST_P(ParallelTest, RunsASinglePassRange) {
  OnePass tasks(1000);
  const auto results = parallel()(tasks);
  ASSERT_EQ(results.size(), 1000U);
  for (int i = 0; i < 1000; ++i)
    ASSERT_EQ(results[i], double(i) * i);
}

TEST_P(ParallelTest, RunsAListWhoseIteratorsAreNotRandomAccess) {
  std::list<joblet::Task<double>> tasks;
  for (int i = 0; i < 300; ++i)
    tasks.emplace_back(joblet::delayed(square, double(i)));
  const auto results = parallel()(tasks);
  ASSERT_EQ(results.size(), 300U);
  EXPECT_EQ(results[299], 299.0 * 299.0);
}

TEST_P(ParallelTest, EmptyRangeGivesEmptyVector) {
  const std::vector<joblet::Delayed<double (*)(double), double>> none;
  EXPECT_TRUE(parallel()(none).empty());
  EXPECT_TRUE(parallel().map(square, std::vector<double>{}).empty());
}

TEST_P(ParallelTest, VoidTasksReturnNothing) {
  auto tasks = std::views::iota(0, 500) |
               std::views::transform([](int i) { return joblet::delayed([](int) {}, i); });
  static_assert(std::is_void_v<decltype(parallel()(tasks))>);
  EXPECT_NO_THROW(parallel()(tasks));
}

TEST_P(ParallelInProcessTest, VoidTasksAllRun) {
  std::vector<std::atomic<int>> hits(500);
  auto tasks = std::views::iota(0, 500) | std::views::transform([&hits](int i) {
                 return joblet::delayed([&hits](int k) { hits[k].fetch_add(1); }, i);
               });
  parallel()(tasks);
  for (const auto& hit : hits)
    EXPECT_EQ(hit.load(), 1);
}

TEST_P(ParallelInProcessTest, EveryTaskRunsExactlyOnce) {
  constexpr int kTasks = 20000;
  std::vector<std::atomic<int>> runs(kTasks);
  const auto indices = parallel().map(
      [&runs](int i) {
        runs[i].fetch_add(1, std::memory_order_relaxed);
        return i;
      },
      std::views::iota(0, kTasks));
  for (int i = 0; i < kTasks; ++i) {
    ASSERT_EQ(runs[i].load(), 1) << "task " << i;
    ASSERT_EQ(indices[i], i);
  }
}

TEST_P(ParallelTest, MixesFunctionsThroughTask) {
  std::vector<joblet::Task<std::string>> tasks{
      joblet::delayed([] { return std::string("a"); }),
      joblet::delayed([](int n) { return std::string(n, 'b'); }, 2),
      joblet::delayed([](const std::string& s) { return s + "!"; }, std::string("c"))};
  EXPECT_EQ(parallel()(tasks), (std::vector<std::string>{"a", "bb", "c!"}));
}

TEST_P(ParallelTest, ReturnsMoveOnlyResults) {
  const auto results =
      parallel().map([](int i) { return std::make_unique<int>(i); }, std::views::iota(0, 50));
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(*results[i], i);
}

TEST_P(ParallelTest, ReturnsBoolResultsWithoutLosingAny) {
  const auto results = parallel().map([](int i) { return i % 3 == 0; }, std::views::iota(0, 3000));
  for (int i = 0; i < 3000; ++i)
    ASSERT_EQ(results[i], i % 3 == 0);
}

TEST_P(ParallelTest, MapSpreadsTuplesOverArguments) {
  const std::vector<std::tuple<int, int, int>> inputs{{1, 2, 3}, {10, 20, 30}};
  EXPECT_EQ(parallel().map(sum3, inputs), (std::vector<int>{6, 60}));
  const std::vector<std::pair<double, double>> pairs{{1, 2}, {3, 4}};
  EXPECT_EQ(parallel().map([](double a, double b) { return a * b; }, pairs),
            (std::vector<double>{2, 12}));
}

TEST_P(ParallelTest, MapPassesATupleWholeWhenTheFunctionTakesTheTuple) {
  const std::vector<std::tuple<int, int>> inputs{{1, 2}, {3, 4}};
  EXPECT_EQ(parallel().map([](const std::tuple<int, int>& t) { return std::get<0>(t); }, inputs),
            (std::vector<int>{1, 3}));
}

TEST_P(ParallelTest, MapsOverAGrid) {
  const std::vector<double> periods{1, 2, 3};
  const std::vector<double> eccs{0.1, 0.2};
  const auto results =
      parallel().map([](double p, double e) { return p * 10 + e; }, joblet::grid(periods, eccs));
  EXPECT_EQ(results, (std::vector<double>{10.1, 10.2, 20.1, 20.2, 30.1, 30.2}));
}

TEST_P(ParallelInProcessTest, PassesReferencesWithStdRef) {
  std::vector<std::atomic<int>> slots(64);
  const auto tasks =
      std::views::iota(0, 64) | std::views::transform([&slots](int i) {
        return joblet::delayed([](std::vector<std::atomic<int>>& s, int k) { s[k] = k + 1; },
                               std::ref(slots), i);
      });
  parallel()(tasks);
  for (int i = 0; i < 64; ++i)
    EXPECT_EQ(slots[i].load(), i + 1);
}

TEST_P(ParallelInProcessTest, CallsMemberFunctions) {
  struct Model {
    double scale;
    [[nodiscard]] double eval(double x) const { return scale * x; }
  };
  const Model model{2.5};
  std::vector<joblet::Delayed<double (Model::*)(double) const, Model, double>> tasks;
  for (int i = 0; i < 10; ++i)
    tasks.push_back(joblet::delayed(&Model::eval, model, double(i)));
  const auto results = parallel()(tasks);
  for (int i = 0; i < 10; ++i)
    EXPECT_DOUBLE_EQ(results[i], 2.5 * i);
}

TEST_P(ParallelTest, SameTasksGiveTheSameResultsAsSequential) {
  const auto work = [](int i) { return std::sin(i * 0.001) * std::exp(-i * 1e-4); };
  const auto inline_results =
      joblet::Parallel({.n_jobs = 1, .backend = joblet::Backend::sequential})
          .map(work, std::views::iota(0, 10000));
  EXPECT_EQ(parallel().map(work, std::views::iota(0, 10000)), inline_results);
}

TEST_P(ParallelTest, ANestedParallelInsideATaskRunsInlineWithoutDeadlock) {
  const auto outer = parallel().map(
      [](int i) {
        const auto here = std::this_thread::get_id();
        const auto inner = joblet::Parallel(-1).map(
            [here](int j) { return std::this_thread::get_id() == here ? j : -1000; },
            std::views::iota(0, 20));
        return std::accumulate(inner.begin(), inner.end(), i);
      },
      std::views::iota(0, 16));
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(outer[i], i + 190);
}

TEST_P(ParallelTest, AParallelObjectRunsSeveralCalls) {
  auto runner = parallel();
  for (int call = 0; call < 20; ++call) {
    const auto results = runner.map([](int i, int factor) { return i * factor; },
                                    joblet::grid(std::views::iota(0, 100), std::vector{call}));
    ASSERT_EQ(results[99], 99 * call);
  }
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ParallelTest,
                         ::testing::ValuesIn(joblet::testing::all_backends()),
                         joblet::testing::case_name);
INSTANTIATE_TEST_SUITE_P(InProcess, ParallelInProcessTest,
                         ::testing::ValuesIn(joblet::testing::in_process_backends()),
                         joblet::testing::case_name);

TEST(Parallel, SequentialRunsEveryTaskInTheCallingThread) {
  const auto caller = std::this_thread::get_id();
  const auto same = joblet::Parallel(1).map(
      [caller](int) { return std::this_thread::get_id() == caller; }, std::views::iota(0, 100));
  EXPECT_TRUE(std::ranges::all_of(same, [](bool b) { return b; }));
}

/// Threads of this process, from /proc: what the kernel says, not what joblet believes.
std::size_t threads_in_process() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/self/task")) {
    ++count;
  }
  return count;
}

TEST(Parallel, SequentialStartsNoThread) {
  const auto before = threads_in_process();
  std::size_t seen_inside = 0;
  joblet::Parallel({.n_jobs = 4, .backend = joblet::Backend::sequential})
      .map([&seen_inside](int) { seen_inside = std::max(seen_inside, threads_in_process()); },
           std::views::iota(0, 50));
  EXPECT_EQ(seen_inside, before);
  EXPECT_EQ(threads_in_process(), before);
}

TEST(Parallel, ThreadsBackendReusesItsThreadsAcrossCalls) {
  const auto work = [](int i) { return churn(static_cast<std::uint64_t>(i), 100); };
  joblet::Parallel(2).map(work, std::views::iota(0, 1000));
  const auto after_first = threads_in_process();
  std::set<std::thread::id> workers;
  std::mutex mutex;
  for (int call = 0; call < 50; ++call) {
    joblet::Parallel(2).map(
        [&](int i) {
          const std::lock_guard lock(mutex);
          workers.insert(std::this_thread::get_id());
          return work(i);
        },
        std::views::iota(0, 200));
  }
  EXPECT_EQ(threads_in_process(), after_first);
  EXPECT_LE(workers.size(), after_first);
}

TEST(Parallel, ThreadsBackendRunsTasksOnAsManyThreadsAsWorkers) {
  // Each task waits until n_jobs tasks are running at once: only true concurrency passes.
  for (const int n_jobs : {2, 3}) {
    std::atomic<int> running{0};
    std::atomic<int> most{0};
    joblet::Parallel({.n_jobs = n_jobs, .backend = joblet::Backend::threads, .batch_size = 1})
        .map(
            [&](int) {
              const int now = running.fetch_add(1) + 1;
              int seen = most.load();
              while (seen < now && !most.compare_exchange_weak(seen, now)) {
              }
              while (most.load() < n_jobs)
                std::this_thread::yield();
              running.fetch_sub(1);
            },
            std::views::iota(0, n_jobs));
    EXPECT_EQ(most.load(), n_jobs);
  }
}

TEST(Parallel, ThreadsBackendRunsTasksOnTheCallingThreadWhileItWaits) {
  // The task on a pool thread waits for one on the calling thread: a caller that only slept
  // until results came would leave it waiting for ever (the watchdog would fail the test).
  const auto caller = std::this_thread::get_id();
  std::atomic<bool> caller_ran_a_task{false};
  const auto on_caller =
      joblet::Parallel({.n_jobs = 2, .backend = joblet::Backend::threads, .batch_size = 1})
          .map(
              [&](int) {
                if (std::this_thread::get_id() == caller) {
                  caller_ran_a_task = true;
                  return true;
                }
                while (!caller_ran_a_task.load())
                  std::this_thread::yield();
                return false;
              },
              std::views::iota(0, 8));
  EXPECT_TRUE(std::ranges::any_of(on_caller, [](bool here) { return here; }));
}

TEST(Parallel, ThreadsBackendNeverRunsMoreTasksAtOnceThanWorkers) {
  // The calling thread works too, in place of one pool thread, not beside n_jobs of them.
  for (const int n_jobs : {2, 3}) {
    std::atomic<int> running{0};
    std::atomic<int> most{0};
    joblet::Parallel({.n_jobs = n_jobs, .backend = joblet::Backend::threads, .batch_size = 1})
        .map(
            [&](int i) {
              const int now = running.fetch_add(1) + 1;
              int seen = most.load();
              while (seen < now && !most.compare_exchange_weak(seen, now)) {
              }
              // Yielding, each task gives any thread beyond n_jobs its chance to start one.
              auto value = static_cast<std::uint64_t>(i);
              for (int round = 0; round < 100; ++round) {
                value = churn(value, 100);
                std::this_thread::yield();
              }
              running.fetch_sub(1);
              return value;
            },
            std::views::iota(0, 200));
    EXPECT_LE(most.load(), n_jobs);
  }
}

TEST(Parallel, ReportsItsResolvedBackendAndWorkers) {
  EXPECT_EQ(joblet::Parallel(1).backend(), joblet::Backend::sequential);
  EXPECT_EQ(joblet::Parallel(2).backend(), joblet::Backend::threads);
  EXPECT_EQ(joblet::Parallel(2).n_jobs(), 2);
  EXPECT_EQ(joblet::Parallel(-1).n_jobs(), joblet::cpu_count());
  EXPECT_EQ(joblet::Parallel({.n_jobs = 4, .backend = joblet::Backend::sequential}).n_jobs(), 1);
}

}  // namespace
