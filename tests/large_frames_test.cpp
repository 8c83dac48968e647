// Large arguments and results on worker processes: frames from 64 KiB up to the largest region
// go through memory shared with the worker instead of its socket, larger ones still through
// the socket, and either way every result arrives intact.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <ranges>
#include <string>
#include <vector>

#include "joblet/joblet.hpp"
#include "processes/process_pool.hpp"
#include "processes/shared_region.hpp"
#include "support/pseudo_random.hpp"

namespace {

using joblet::detail::kMaxRegionBytes;
using joblet::detail::transport_counters;
using joblet::testing::pseudo_random_bytes;

constexpr std::size_t kMiB = std::size_t{1} << 20U;

std::string echo(const std::string& bytes) {
  return bytes;
}

std::string mebibyte_from(int seed) {
  return pseudo_random_bytes(kMiB, static_cast<std::uint64_t>(seed));
}

/// Echoes, except an argument that starts with '!', on which the worker aborts.
std::string echo_or_abort(const std::string& bytes) {
  if (!bytes.empty() && bytes.front() == '!') std::abort();
  return bytes;
}

joblet::Options processes(int n_jobs) {
  return {.n_jobs = n_jobs, .backend = joblet::Backend::processes, .batch_size = 1};
}

std::uint64_t bytes_through_regions() {
  return transport_counters().bytes_through_regions.load();
}

TEST(LargeFrames, ArgumentsAndResultsOfAMebibyteTravelThroughSharedMemory) {
  constexpr int kTasks = 8;
  std::vector<decltype(joblet::delayed(echo, std::string{}))> tasks;
  for (int i = 0; i < kTasks; ++i)
    tasks.push_back(
        joblet::delayed(echo, pseudo_random_bytes(kMiB, static_cast<std::uint64_t>(i))));
  const std::uint64_t before = bytes_through_regions();

  const auto results = joblet::Parallel(processes(2))(tasks);

  ASSERT_EQ(results.size(), tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i)
    EXPECT_EQ(results[i], std::get<0>(tasks[i].arguments())) << "task " << i;
  EXPECT_GE(bytes_through_regions() - before, 2 * kMiB * kTasks)
      << "each argument there and each result back";
}

TEST(LargeFrames, LargeResultsOfSmallTasksTravelThroughSharedMemoryFromTheNextBatchOn) {
  constexpr int kTasks = 4;
  const std::uint64_t before = bytes_through_regions();

  const auto results =
      joblet::Parallel(processes(1)).map(mebibyte_from, std::views::iota(0, kTasks));

  EXPECT_EQ(results, joblet::Parallel(1).map(mebibyte_from, std::views::iota(0, kTasks)));
  EXPECT_GE(bytes_through_regions() - before, (kTasks - 1) * kMiB);
}

TEST(LargeFrames, FramesLargerThanTheLargestRegionStillArriveThroughTheSocket) {
  const std::string large = pseudo_random_bytes(kMaxRegionBytes + kMiB, 7);
  const std::uint64_t before = bytes_through_regions();

  const auto results = joblet::Parallel(processes(1))(std::vector{joblet::delayed(echo, large)});

  ASSERT_EQ(results.size(), 1U);
  EXPECT_TRUE(results[0] == large);
  EXPECT_EQ(bytes_through_regions(), before);
}

TEST(LargeFrames, AWorkerThatDiesWithLargeFramesCostsOnlyItsOwnTask) {
  constexpr int kTasks = 6;
  constexpr int kAborts = 2;
  std::vector<decltype(joblet::delayed(echo_or_abort, std::string{}))> tasks;
  for (int i = 0; i < kTasks; ++i) {
    std::string argument = pseudo_random_bytes(kMiB / 2, static_cast<std::uint64_t>(i));
    argument.front() = i == kAborts ? '!' : '.';
    tasks.push_back(joblet::delayed(echo_or_abort, std::move(argument)));
  }

  const auto outcomes = joblet::Parallel(processes(2)).try_run(tasks);

  ASSERT_EQ(outcomes.size(), tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (i == kAborts) {
      ASSERT_FALSE(outcomes[i]);
      EXPECT_NE(dynamic_cast<const joblet::WorkerCrashed*>(&outcomes[i].error()), nullptr)
          << outcomes[i].error().what();
    } else {
      ASSERT_TRUE(outcomes[i]) << outcomes[i].error().what();
      EXPECT_EQ(*outcomes[i], std::get<0>(tasks[i].arguments())) << "task " << i;
    }
  }
}

}  // namespace
