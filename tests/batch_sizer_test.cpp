// Auto batching: how the size of the next batch follows the measured task times.
#include "joblet/detail/batch_sizer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>

#include "joblet/detail/settings.hpp"

namespace {

using joblet::detail::BatchSizer;
using namespace std::chrono_literals;

joblet::detail::RunSettings threads(std::size_t workers) {
  joblet::detail::RunSettings settings;
  settings.backend = joblet::Backend::threads;
  settings.workers = workers;
  return settings;
}

TEST(BatchSizer, StartsWithOneTask) {
  const BatchSizer sizer(threads(2), false);
  EXPECT_EQ(sizer.next(1000), 1U);
}

TEST(BatchSizer, GrowsAtMostEightfoldPerMeasuredBatch) {
  BatchSizer sizer(threads(2), false);
  std::size_t size = sizer.next(std::nullopt);
  for (int batch = 0; batch < 4; ++batch) {
    sizer.record(size, std::chrono::nanoseconds(static_cast<std::int64_t>(size)));  // 1 ns each
    const std::size_t next = sizer.next(std::nullopt);
    EXPECT_EQ(next, size * BatchSizer::kGrowth);
    size = next;
  }
}

TEST(BatchSizer, StopsGrowingAtTheTargetDuration) {
  BatchSizer sizer(threads(2), false);
  std::size_t size = 1;
  for (int batch = 0; batch < 20; ++batch) {
    sizer.record(size, 10us * size);
    size = sizer.next(std::nullopt);
  }
  EXPECT_NEAR(static_cast<double>(size), BatchSizer::kThreadsTarget / 10us, 1.0);
}

TEST(BatchSizer, ShrinksWhenTasksTurnSlow) {
  BatchSizer sizer(threads(2), false);
  sizer.record(1, 1us);
  sizer.record(8, 8us);
  const std::size_t fast = sizer.next(std::nullopt);
  sizer.record(fast, 10ms * fast);
  EXPECT_LT(sizer.next(std::nullopt), fast);
}

TEST(BatchSizer, NearTheEndLeavesEveryWorkerAShare) {
  BatchSizer sizer(threads(2), false);
  for (std::size_t size = 1; size < 100'000; size *= BatchSizer::kGrowth)
    sizer.record(size, 1us * size);  // 1 us a task: 2000 a batch
  EXPECT_EQ(sizer.next(1'000'000), 2000U);
  EXPECT_EQ(sizer.next(4000), 1000U);  // a quarter each: two workers, two rounds
}

TEST(BatchSizer, NearTheEndNoShareIsTooShortToBeWorthHandingOver) {
  BatchSizer sizer(threads(2), false);
  for (std::size_t size = 1; size < 100'000; size *= BatchSizer::kGrowth)
    sizer.record(size, 1us * size);
  const auto shortest =
      static_cast<std::size_t>(2000 / BatchSizer::kShortestShare);  // target / share, in tasks
  EXPECT_EQ(sizer.next(100), shortest);
  EXPECT_EQ(sizer.next(1), shortest);  // the run hands out what is left, never more
}

TEST(BatchSizer, AFixedBatchSizeIsKept) {
  auto settings = threads(2);
  settings.batch_size = 7;
  BatchSizer sizer(settings, false);
  sizer.record(7, 1ns);
  EXPECT_EQ(sizer.next(3), 7U);
}

TEST(BatchSizer, CopiedBatchesStayBelowTheirLimit) {
  BatchSizer sizer(threads(2), true);
  for (std::size_t size = 1; size < 10'000'000; size *= BatchSizer::kGrowth)
    sizer.record(size, 1ns * size);
  EXPECT_EQ(sizer.next(std::nullopt), BatchSizer::kMaxCopiedBatch);
}

}  // namespace
