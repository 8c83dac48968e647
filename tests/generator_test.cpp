// Parallel::imap and Options::return_as: results as a lazy range.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <ranges>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "joblet/joblet.hpp"
#include "support/backends.hpp"

namespace {

using joblet::testing::BackendCase;
using namespace std::chrono_literals;

class GeneratorTest : public ::testing::TestWithParam<BackendCase> {
 protected:
  [[nodiscard]] static joblet::Parallel parallel(joblet::ReturnAs return_as) {
    auto options = GetParam().options();
    options.return_as = return_as;
    return joblet::Parallel(options);
  }
};

/// Tests whose tasks change the caller's memory: only where tasks run in this process.
class GeneratorInProcessTest : public GeneratorTest {};

TEST_P(GeneratorTest, GeneratorYieldsEveryResultInSubmissionOrder) {
  std::vector<std::size_t> indices;
  std::vector<int> values;
  for (auto [index, value] : parallel(joblet::ReturnAs::generator)
                                 .imap([](int i) { return i * 3; }, std::views::iota(0, 3000))) {
    indices.push_back(index);
    values.push_back(value);
  }
  ASSERT_EQ(values.size(), 3000U);
  for (int i = 0; i < 3000; ++i) {
    ASSERT_EQ(indices[i], static_cast<std::size_t>(i));
    ASSERT_EQ(values[i], i * 3);
  }
}

TEST_P(GeneratorTest, UnorderedGeneratorYieldsEachResultOnceWithItsIndex) {
  std::set<std::size_t> seen;
  for (auto [index, value] : parallel(joblet::ReturnAs::generator_unordered)
                                 .imap([](int i) { return i * 3; }, std::views::iota(0, 3000))) {
    EXPECT_EQ(value, static_cast<int>(index) * 3);
    EXPECT_TRUE(seen.insert(index).second) << "index " << index << " twice";
  }
  EXPECT_EQ(seen.size(), 3000U);
}

TEST_P(GeneratorTest, VoidTasksYieldTheirIndices) {
  std::size_t count = 0;
  for (const auto& done :
       parallel(joblet::ReturnAs::generator).imap([](int) {}, std::views::iota(0, 100))) {
    EXPECT_EQ(done.index, count++);
  }
  EXPECT_EQ(count, 100U);
}

TEST_P(GeneratorTest, ATaskErrorEndsTheLoopWithTheError) {
  std::vector<int> before;
  const auto walk = [&] {
    for (auto [index, value] : parallel(joblet::ReturnAs::generator)
                                   .imap(
                                       [](int i) {
                                         if (i == 50) throw std::runtime_error("bad point");
                                         return i;
                                       },
                                       std::views::iota(0, 100))) {
      before.push_back(value);
    }
  };
  EXPECT_THROW(walk(), joblet::TaskError);
  EXPECT_LE(before.size(), 50U);
}

TEST_P(GeneratorInProcessTest, DroppingTheGeneratorEarlyStopsTheRemainingTasks) {
  constexpr int kTasks = 10000;
  std::atomic<int> started{0};
  const auto slow = [&started](int i) {
    started.fetch_add(1);
    std::this_thread::sleep_for(1ms);  // the task's own work
    return i;
  };
  const auto begin = std::chrono::steady_clock::now();
  {
    auto results = parallel(joblet::ReturnAs::generator).imap(slow, std::views::iota(0, kTasks));
    int taken = 0;
    for (const auto& result : results) {
      EXPECT_EQ(result.value, static_cast<int>(result.index));
      if (++taken == 3) break;
    }
  }
  const auto dropped_after = std::chrono::steady_clock::now() - begin;
  const int started_at_drop = started.load();
  EXPECT_LT(started_at_drop, 200);
  EXPECT_LT(dropped_after, 5s);  // 10 s if every task had run
  // The generator waited for its running tasks: none starts after it is gone.
  joblet::Parallel(1).map([](int i) { return i; }, std::views::iota(0, 10));
  EXPECT_EQ(started.load(), started_at_drop);
}

TEST_P(GeneratorInProcessTest, ResultsArriveWhileLaterTasksStillRun) {
  // The second task waits until the caller has seen the first result: a generator that
  // collected everything first would never finish.
  std::atomic<bool> first_seen{false};
  std::size_t count = 0;
  auto results = parallel(joblet::ReturnAs::generator)
                     .imap(
                         [&first_seen](int i) {
                           if (i == 1) {
                             while (!first_seen.load())
                               std::this_thread::yield();
                           }
                           return i;
                         },
                         std::views::iota(0, 2));
  for (auto [index, value] : results) {
    if (index == 0) first_seen = true;
    ++count;
  }
  EXPECT_EQ(count, 2U);
}

TEST_P(GeneratorTest, AGeneratorOwnsARangePassedAsAnRvalue) {
  auto make = [&] {
    std::vector<joblet::Delayed<int (*)(int), int>> tasks;
    for (int i = 0; i < 100; ++i)
      tasks.push_back(joblet::delayed(
          +[](int x) { return x + 1; }, i));
    return parallel(joblet::ReturnAs::generator).imap(std::move(tasks));
  };
  auto results = make();
  int sum = 0;
  for (auto [index, value] : results)
    sum += value;
  EXPECT_EQ(sum, 5050);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, GeneratorTest,
                         ::testing::ValuesIn(joblet::testing::all_backends()),
                         joblet::testing::case_name);
INSTANTIATE_TEST_SUITE_P(InProcess, GeneratorInProcessTest,
                         ::testing::ValuesIn(joblet::testing::in_process_backends()),
                         joblet::testing::case_name);

TEST(Generator, UnorderedYieldsAFastResultBeforeASlowOne) {
  std::atomic<bool> fast_seen{false};
  auto results = joblet::Parallel({.n_jobs = 2,
                                   .backend = joblet::Backend::threads,
                                   .batch_size = 1,
                                   .return_as = joblet::ReturnAs::generator_unordered})
                     .imap(
                         [&fast_seen](int i) {
                           if (i == 0) {
                             while (!fast_seen.load())
                               std::this_thread::yield();
                           }
                           return i;
                         },
                         std::views::iota(0, 2));
  std::vector<std::size_t> order;
  for (auto [index, value] : results) {
    if (index == 1) fast_seen = true;
    order.push_back(index);
  }
  EXPECT_EQ(order, (std::vector<std::size_t>{1, 0}));
}

TEST(Generator, NJobsTasksRunWhileTheCallerIsInTheLoopBody) {
  // Tasks 1 and 2 wait, running, until the caller has seen the first result and both of them
  // run: the caller of a generator is away in the user's loop, so it cannot be one of the
  // workers (one that ran task 1 itself would wait for ever, and the watchdog would fail it).
  std::atomic<int> running{0};
  std::atomic<bool> released{false};
  auto results = joblet::Parallel({.n_jobs = 2,
                                   .backend = joblet::Backend::threads,
                                   .batch_size = 1,
                                   .return_as = joblet::ReturnAs::generator})
                     .imap(
                         [&](int i) {
                           if (i > 0) {
                             running.fetch_add(1);
                             while (!released.load())
                               std::this_thread::yield();
                           }
                           return i;
                         },
                         std::views::iota(0, 3));
  for (auto [index, value] : results) {
    if (index == 0) {
      while (running.load() < 2)
        std::this_thread::yield();
      released = true;
    }
    EXPECT_EQ(value, static_cast<int>(index));
  }
  EXPECT_EQ(running.load(), 2);
}

TEST(Generator, OperatorCallRefusesAGeneratorReturnAs) {
  const joblet::Parallel parallel({.n_jobs = 2, .return_as = joblet::ReturnAs::generator});
  try {
    auto copy = parallel;
    copy.map([](int i) { return i; }, std::views::iota(0, 3));
    FAIL() << "no error";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("imap"), std::string::npos) << error.what();
  }
}

}  // namespace
