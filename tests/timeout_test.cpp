// Options::timeout: a task that runs too long is a TaskTimeout.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <ranges>
#include <semaphore>
#include <thread>

#include "joblet/joblet.hpp"
#include "support/thrown.hpp"

namespace {

using namespace std::chrono_literals;

/// Holds tasks until the test lets them go; shared with the tasks, which may outlive the test.
struct Gate {
  std::counting_semaphore<> open{0};
  void release() { open.release(1000); }
};

TEST(Timeout, ThreadsReportATaskThatRunsTooLongWithoutWaitingForIt) {
  auto gate = std::make_shared<Gate>();
  const auto begin = std::chrono::steady_clock::now();
  const auto timeout = joblet::testing::thrown<joblet::TaskTimeout>([&gate] {
    joblet::Parallel({.n_jobs = 2, .backend = joblet::Backend::threads, .timeout = 100ms})
        .map(
            [gate](int i) {
              if (i == 3) gate->open.acquire();  // blocks until the test ends
              return i;
            },
            std::views::iota(0, 10));
  });
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 10s);
  gate->release();
  if (!timeout) {
    ADD_FAILURE() << "no TaskTimeout";
    return;
  }
  EXPECT_EQ(timeout->index(), 3U);
  EXPECT_EQ(timeout->timeout(), 100ms);
  EXPECT_NE(std::string(timeout->what()).find("cannot stop a running thread"), std::string::npos)
      << timeout->what();
}

TEST(Timeout, UnderTryRunOtherTasksGoOnAndKeepTheirWorkers) {
  auto gate = std::make_shared<Gate>();
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  const auto outcomes =
      joblet::Parallel({.n_jobs = 2, .backend = joblet::Backend::threads, .timeout = 100ms})
          .try_map(
              [gate, &running, &most](int i) {
                if (i % 10 == 0) {  // 0, 10, 20 hang until the test is over
                  gate->open.acquire();
                  return i;  // the test's locals are gone by now
                }
                const int now = running.fetch_add(1) + 1;
                int seen = most.load();
                while (seen < now && !most.compare_exchange_weak(seen, now)) {
                }
                running.fetch_sub(1);
                return i;
              },
              std::views::iota(0, 30));
  ASSERT_EQ(outcomes.size(), 30U);
  for (int i = 0; i < 30; ++i) {
    if (i % 10 == 0) {
      ASSERT_FALSE(outcomes[i]) << i;
      EXPECT_NO_THROW((void)dynamic_cast<const joblet::TaskTimeout&>(outcomes[i].error()));
      EXPECT_EQ(outcomes[i].error().index(), static_cast<std::size_t>(i));
    } else {
      ASSERT_TRUE(outcomes[i]) << outcomes[i].error().what();
      EXPECT_EQ(*outcomes[i], i);
    }
  }
  EXPECT_LE(most.load(), 2);
  gate->release();
}

TEST(Timeout, SequentialReportsATaskThatReturnedTooLate) {
  try {
    joblet::Parallel({.n_jobs = 1, .timeout = 50ms})
        .map(
            [](int i) {
              if (i == 1) std::this_thread::sleep_for(200ms);  // the task overruns its timeout
              return i;
            },
            std::views::iota(0, 3));
    FAIL() << "no TaskTimeout";
  } catch (const joblet::TaskTimeout& timeout) {
    EXPECT_EQ(timeout.index(), 1U);
  }
}

TEST(Timeout, FastTasksUnderAGenerousTimeoutSucceed) {
  for (const auto backend : {joblet::Backend::sequential, joblet::Backend::threads}) {
    const auto results = joblet::Parallel({.n_jobs = 2, .backend = backend, .timeout = 30s})
                             .map([](int i) { return i * i; }, std::views::iota(0, 500));
    EXPECT_EQ(results[499], 499 * 499);
  }
}

TEST(Timeout, TimedOutTasksInAVectorRunOnCopies) {
  auto gate = std::make_shared<Gate>();
  std::vector<joblet::Delayed<std::function<int(int)>, int>> tasks;
  tasks.reserve(4);
  for (int i = 0; i < 4; ++i) {
    tasks.push_back(joblet::delayed(std::function<int(int)>([gate](int k) {
                                      if (k == 0) gate->open.acquire();  // hangs past the call
                                      return k;
                                    }),
                                    i));
  }
  EXPECT_THROW(
      joblet::Parallel({.n_jobs = 2, .backend = joblet::Backend::threads, .timeout = 50ms})(tasks),
      joblet::TaskTimeout);
  tasks.clear();  // the abandoned task must not be reading these
  gate->release();
}

}  // namespace
