// joblet::share(): in this process tasks see the caller's very object; worker processes get
// its bytes once each, however many tasks refer to it.
#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "joblet/joblet.hpp"
#include "processes/process_pool.hpp"
#include "support/backends.hpp"
#include "support/pseudo_random.hpp"

namespace {

using joblet::testing::BackendCase;

/// Counts its copies, so a test sees whether a value was copied.
struct Tracked {
  static std::atomic<int> copies;

  std::vector<int> values;

  Tracked() = default;
  explicit Tracked(std::vector<int> v) : values(std::move(v)) {}
  Tracked(const Tracked& other) : values(other.values) { copies.fetch_add(1); }
  Tracked(Tracked&&) noexcept = default;
  Tracked& operator=(const Tracked& other) {
    values = other.values;
    copies.fetch_add(1);
    return *this;
  }
  Tracked& operator=(Tracked&&) noexcept = default;
  ~Tracked() = default;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(values);
  }
};
std::atomic<int> Tracked::copies{0};

/// Where the task found the shared value.
std::uintptr_t address_of(const joblet::Shared<Tracked>& shared, int /*index*/) {
  return std::bit_cast<std::uintptr_t>(&shared.get());
}

class ShareInProcessTest : public ::testing::TestWithParam<BackendCase> {};

TEST_P(ShareInProcessTest, TasksSeeTheCallersObjectWithoutACopy) {
  const auto shared = joblet::share(Tracked({1, 2, 3}));
  const int copies_before = Tracked::copies.load();
  std::vector<decltype(joblet::delayed(address_of, shared, 0))> tasks;
  for (int i = 0; i < 100; ++i)
    tasks.push_back(joblet::delayed(address_of, shared, i));

  const auto addresses = joblet::Parallel(GetParam().options())(tasks);

  ASSERT_EQ(addresses.size(), tasks.size());
  for (const std::uintptr_t address : addresses)
    EXPECT_EQ(address, std::bit_cast<std::uintptr_t>(&shared.get()));
  EXPECT_EQ(Tracked::copies.load(), copies_before);
}

INSTANTIATE_TEST_SUITE_P(InProcess, ShareInProcessTest,
                         ::testing::ValuesIn(joblet::testing::in_process_backends()),
                         joblet::testing::case_name);

TEST(Share, ValueIsCopiedOrMovedInOnce) {
  std::vector<int> original{1, 2, 3};
  const auto shared = joblet::share(original);
  original[0] = 99;
  EXPECT_EQ(shared->front(), 1);

  Tracked tracked({4, 5});
  const int copies_before = Tracked::copies.load();
  const auto moved = joblet::share(std::move(tracked));
  EXPECT_EQ(Tracked::copies.load(), copies_before);
  EXPECT_EQ(moved->values, (std::vector<int>{4, 5}));
}

TEST(Share, CopiesOfASharedAreTheSameValue) {
  const auto shared = joblet::share(std::string("observations"));
  const auto copy = shared;  // NOLINT(performance-unnecessary-copy-initialization): the point
  EXPECT_EQ(copy.id(), shared.id());
  EXPECT_EQ(&copy.get(), &shared.get());
  EXPECT_NE(joblet::share(std::string("observations")).id(), shared.id());
}

std::size_t length_plus(const joblet::Shared<std::string>& text, std::size_t extra) {
  return text->size() + extra;
}

TEST(Share, WorksOutsideARunAndInline) {
  const auto text = joblet::share(std::string("abcdef"));
  EXPECT_EQ(*text, "abcdef");
  EXPECT_EQ(joblet::delayed(length_plus, text, 4)(), 10U);

  std::vector<decltype(joblet::delayed(length_plus, text, std::size_t{0}))> tasks;
  for (std::size_t i = 0; i < 10; ++i)
    tasks.push_back(joblet::delayed(length_plus, text, i));
  const auto lengths = joblet::Parallel(1)(tasks);
  ASSERT_EQ(lengths.size(), tasks.size());
  for (std::size_t i = 0; i < lengths.size(); ++i)
    EXPECT_EQ(lengths[i], text->size() + i);
}

TEST(Share, WritingOneAsBytesOutsideARunIsALogicError) {
  const auto text = joblet::share(std::string("abc"));
  joblet::detail::Bytes bytes;
  joblet::detail::OutputArchive out(bytes);
  EXPECT_THROW(out(text), std::logic_error);
}

// ######################################################################
// Processes: sent once to each worker.

/// A string rather than a std::vector<std::byte>: cereal writes a string in one piece, but
/// a vector of an enum such as std::byte element by element, three times slower.
using Blob = std::string;

constexpr std::size_t kBlobSize = std::size_t{50} * 1024 * 1024;
constexpr std::size_t kWindow = 4096;

/// A checksum of the window of `blob` at `index`, plus its size: wrong if any byte there or
/// the length differs from the caller's.
std::uint64_t window_checksum(const joblet::Shared<Blob>& blob, std::size_t index) {
  const Blob& bytes = *blob;
  const std::size_t start = (index * 524'287) % (bytes.size() - kWindow);
  std::uint64_t sum = bytes.size();
  for (std::size_t i = start; i < start + kWindow; ++i)
    sum = sum * 31 + static_cast<unsigned char>(bytes[i]);
  return sum;
}

Blob make_blob() {
  return joblet::testing::pseudo_random_bytes(kBlobSize, 1);
}

TEST(ShareOnProcesses, LargeValueIsSentOncePerWorkerNotOncePerTask) {
  const auto blob = joblet::share(make_blob());
  std::vector<decltype(joblet::delayed(window_checksum, blob, std::size_t{0}))> tasks;
  for (std::size_t i = 0; i < 100; ++i)
    tasks.push_back(joblet::delayed(window_checksum, blob, i));
  const auto reference = joblet::Parallel(1)(tasks);

  auto& counters = joblet::detail::transport_counters();
  const std::uint64_t bytes_before = counters.bytes_to_workers.load();
  const std::uint64_t values_before = counters.shared_values_sent.load();
  constexpr int kWorkers = 2;
  const auto checksums =
      joblet::Parallel({.n_jobs = kWorkers, .backend = joblet::Backend::processes})(tasks);
  const std::uint64_t sent = counters.bytes_to_workers.load() - bytes_before;
  const std::uint64_t values_sent = counters.shared_values_sent.load() - values_before;

  EXPECT_EQ(checksums, reference);
  EXPECT_GT(sent, kBlobSize);  // it did travel, at least to one worker
  EXPECT_LT(sent, (kWorkers + 1) * kBlobSize) << "about 100 x 50 MB would mean once per task";
  EXPECT_GE(values_sent, 1U);
  EXPECT_LE(values_sent, static_cast<std::uint64_t>(kWorkers));
}

std::string join_shared(const joblet::Shared<std::string>& a, const joblet::Shared<std::string>& b,
                        int index) {
  return *a + std::to_string(index) + *b;
}

TEST(ShareOnProcesses, EachSharedValueIsSentAtMostOncePerWorkerPerCall) {
  const auto left = joblet::share(std::string(1000, 'L'));
  const auto right = joblet::share(std::string("right"));
  std::vector<decltype(joblet::delayed(join_shared, left, right, 0))> tasks;
  for (int i = 0; i < 60; ++i)
    tasks.push_back(joblet::delayed(join_shared, left, right, i));
  const auto reference = joblet::Parallel(1)(tasks);

  auto& counters = joblet::detail::transport_counters();
  constexpr int kWorkers = 3;
  // The second call finds the workers of the first: it must not count on what they kept.
  for (int call = 0; call < 2; ++call) {
    const std::uint64_t values_before = counters.shared_values_sent.load();
    EXPECT_EQ(joblet::Parallel({.n_jobs = kWorkers, .backend = joblet::Backend::processes})(tasks),
              reference);
    const std::uint64_t values_sent = counters.shared_values_sent.load() - values_before;
    if (call == 0) {
      EXPECT_GE(values_sent, 2U);
    }
    EXPECT_LE(values_sent, 2U * kWorkers) << "call " << call;
  }
}

}  // namespace
