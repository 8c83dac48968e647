// Batching and look-ahead: many tiny tasks are cheap, lazy input is read only so far ahead.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <ranges>
#include <string>
#include <thread>
#include <vector>

#include "joblet/joblet.hpp"

namespace {

TEST(Batching, AMillionTinyTasksAllRunOnce) {
  constexpr int kTasks = 1'000'000;
  std::vector<std::uint8_t> ran(kTasks, 0);
  joblet::Parallel({.n_jobs = 2, .backend = joblet::Backend::threads})
      .map([&ran](int i) { ++ran[i]; }, std::views::iota(0, kTasks));
  EXPECT_EQ(std::count(ran.begin(), ran.end(), 1), kTasks);
}

TEST(Batching, AFixedBatchSizeRunsThatManyConsecutiveTasksOnOneThread) {
  constexpr int kBatch = 50;
  constexpr int kTasks = 1000;
  std::vector<std::thread::id> thread_of(kTasks);
  joblet::Parallel({.n_jobs = 3, .backend = joblet::Backend::threads, .batch_size = kBatch})
      .map([&thread_of](int i) { thread_of[i] = std::this_thread::get_id(); },
           std::views::iota(0, kTasks));
  for (int i = 0; i < kTasks; ++i) {
    EXPECT_EQ(thread_of[i], thread_of[i - i % kBatch]) << "task " << i;
  }
}

TEST(Batching, ALazyRangeIsReadNoFurtherThanPreDispatchBatchesAhead) {
  for (const int window : {1, 2, 5}) {
    std::atomic<int> produced{0};
    std::atomic<int> finished{0};
    std::atomic<int> most_ahead{0};
    auto tasks = std::views::iota(0, 300) | std::views::transform([&](int i) {
                   produced.fetch_add(1);
                   return joblet::delayed(
                       [&](int) {
                         // Read in this order, produced - finished can only overstate the gap.
                         const int read = produced.load();
                         const int ahead = read - finished.load();
                         int seen = most_ahead.load();
                         while (seen < ahead && !most_ahead.compare_exchange_weak(seen, ahead)) {
                         }
                         finished.fetch_add(1);
                       },
                       i);
                 });
    joblet::Parallel({.n_jobs = 2,
                      .backend = joblet::Backend::threads,
                      .batch_size = 1,
                      .pre_dispatch = window})(tasks);
    // Tasks read from the range but not finished are the ones in flight: `window` batches.
    EXPECT_LE(most_ahead.load(), window) << "window " << window;
    EXPECT_GE(most_ahead.load(), 1);
  }
}

TEST(Batching, SequentialReadsALazyRangeOneTaskAtATime) {
  std::atomic<int> produced{0};
  std::vector<int> produced_when_run(100, -1);
  auto tasks = std::views::iota(0, 100) | std::views::transform([&](int i) {
                 produced.fetch_add(1);
                 return joblet::delayed([&](int k) { produced_when_run[k] = produced.load(); }, i);
               });
  joblet::Parallel(1)(tasks);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(produced_when_run[i], i + 1) << "task " << i;
}

/// Peak resident memory of this process since the last reset_peak_memory(), in kB.
long peak_memory_kb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

#if defined(__SANITIZE_THREAD__)
constexpr bool kSanitizedByThreads = true;
#else
constexpr bool kSanitizedByThreads = false;
#endif

void reset_peak_memory() {
  std::ofstream("/proc/self/clear_refs") << "5";
}

TEST(Batching, TenMillionLazyTasksRunInMemoryThatDoesNotGrowWithTheirCount) {
  struct Payload {
    std::array<std::int64_t, 4> values;
  };
  constexpr int kTasks = 10'000'000;
  std::atomic<std::int64_t> total{0};
  auto tasks =
      std::views::iota(0, kTasks) | std::views::transform([&total](int i) {
        return joblet::delayed(
            [&total](const Payload& p) { total.fetch_add(p.values[0], std::memory_order_relaxed); },
            Payload{{i, 0, 0, 0}});
      });
  reset_peak_memory();
  const long before = peak_memory_kb();
  joblet::Parallel({.n_jobs = 2, .backend = joblet::Backend::threads})(tasks);
  const long growth_kb = peak_memory_kb() - before;
  EXPECT_EQ(total.load(), std::int64_t{kTasks} * (kTasks - 1) / 2);
  // The tasks alone would take 10^7 x 40 bytes = 400 MB if they were all read first.
  // ThreadSanitizer's shadow of the batches in flight adds a little over the plain bound.
  EXPECT_LT(growth_kb, kSanitizedByThreads ? 100'000 : 40'000)
      << "peak memory grew by " << growth_kb << " kB";
}

}  // namespace
