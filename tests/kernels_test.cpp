// joblet::kernels over spans: parallel_for covers its range once, map / zip / reduce /
// map_reduce equal plain loops, and floating-point reductions are the same bits whatever the
// number of threads and the backend.
#include "joblet/kernels.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "joblet/joblet.hpp"
#include "support/backends.hpp"
#include "support/thrown.hpp"

namespace {

namespace jk = joblet::kernels;
using joblet::testing::BackendCase;

constexpr std::size_t kGrain = jk::kDefaultGrain;

/// Doubles of both signs over many magnitudes, so that the order of a sum shows in its bits.
std::vector<double> ragged_doubles(std::size_t n, std::uint64_t seed) {
  joblet::SplitMix64 rng(seed);
  std::vector<double> values(n);
  for (double& v : values) {
    const std::uint64_t bits = rng();
    const double unit = static_cast<double>(bits >> 11U) * 0x1p-53 - 0.5;
    v = std::ldexp(unit, static_cast<int>(bits % 41) - 20);
  }
  return values;
}

std::vector<std::int64_t> random_int64(std::size_t n, std::uint64_t seed) {
  joblet::SplitMix64 rng(seed);
  std::vector<std::int64_t> values(n);
  // 40 bits: a sum of a million of them cannot overflow.
  for (std::int64_t& v : values)
    v = static_cast<std::int64_t>(rng() >> 24U) - (std::int64_t{1} << 39);
  return values;
}

/// The message of the Error that `call` throws ("" if none).
template <class Error, class Call>
std::string message_of(Call&& call) {
  const auto error = joblet::testing::thrown<Error>(std::forward<Call>(call));
  return error ? error->what() : "";
}

/// Indices of [0, n) that parallel_for called other than exactly once, body(i) form.
std::size_t miscounted_by_index(std::size_t n, std::size_t grain) {
  std::vector<std::atomic<int>> hits(n);
  jk::parallel_for(
      n, [&hits](std::size_t i) { hits[i].fetch_add(1, std::memory_order_relaxed); }, grain);
  return static_cast<std::size_t>(
      std::ranges::count_if(hits, [](const std::atomic<int>& h) { return h.load() != 1; }));
}

/// The same for the body(begin, end) form; a range outside [0, n) or empty counts as n + 1.
std::size_t miscounted_by_range(std::size_t n, std::size_t grain) {
  std::vector<std::atomic<int>> hits(n);
  std::atomic<bool> bad_range{false};
  jk::parallel_for(
      n,
      [&hits, &bad_range, n](std::size_t begin, std::size_t end) {
        if (begin >= end || end > n) bad_range = true;
        for (std::size_t i = begin; i < end && i < n; ++i)
          hits[i].fetch_add(1, std::memory_order_relaxed);
      },
      grain);
  if (bad_range) return n + 1;
  return static_cast<std::size_t>(
      std::ranges::count_if(hits, [](const std::atomic<int>& h) { return h.load() != 1; }));
}

// Loop sizes around the grain: below it (one thread), and above it (several parts).
constexpr std::array<std::pair<std::size_t, std::size_t>, 7> kLoops{{
    {1, kGrain},
    {kGrain - 1, kGrain},
    {kGrain + 1, kGrain},
    {5 * kGrain + 7, kGrain},
    {1000, 1},
    {1001, 10},
    {37, 1000},
}};

TEST(ParallelFor, BothBodyFormsCoverEveryIndexExactlyOnce) {
  for (const auto& [n, grain] : kLoops) {
    EXPECT_EQ(miscounted_by_index(n, grain), 0U) << "n=" << n << " grain=" << grain;
    EXPECT_EQ(miscounted_by_range(n, grain), 0U) << "n=" << n << " grain=" << grain;
  }
}

TEST(ParallelFor, AnEmptyLoopNeverCallsTheBody) {
  int calls = 0;
  jk::parallel_for(0, [&calls](std::size_t /*i*/) { ++calls; });
  jk::parallel_for(
      0, [&calls](std::size_t /*begin*/, std::size_t /*end*/) { ++calls; }, 1);
  EXPECT_EQ(calls, 0);
}

TEST(ParallelFor, ALoopBelowItsGrainRunsOnTheCallingThread) {
  const auto caller = std::this_thread::get_id();
  std::atomic<int> elsewhere{0};
  jk::parallel_for(kGrain - 1, [&](std::size_t /*i*/) {
    if (std::this_thread::get_id() != caller) elsewhere.fetch_add(1);
  });
  EXPECT_EQ(elsewhere.load(), 0);
}

TEST(ParallelFor, AnExceptionFromTheBodyReachesTheCaller) {
  const std::size_t n = 64 * kGrain;
  for (const std::size_t throwing_at : {std::size_t{0}, n / 2, n - 1}) {
    const std::string message = message_of<std::runtime_error>([&] {
      jk::parallel_for(
          n,
          [throwing_at](std::size_t i) {
            if (i == throwing_at) throw std::runtime_error("bad index " + std::to_string(i));
          },
          1);
    });
    EXPECT_EQ(message, "bad index " + std::to_string(throwing_at));
  }
  // The threads that ran the failed loop are free again.
  EXPECT_EQ(miscounted_by_range(n, 1), 0U);
}

TEST(ParallelFor, WhenEveryPartThrowsOneExceptionArrives) {
  EXPECT_THROW(jk::parallel_for(
                   1000, [](std::size_t, std::size_t) { throw std::logic_error("each part"); }, 1),
               std::logic_error);
}

TEST(ParallelFor, OnOneThreadAnExceptionStopsTheLoop) {
  // Inside a task of budget 1 the loop is one part on the calling thread: nothing runs after
  // the index that threw.
  const auto calls = joblet::Parallel({.n_jobs = 1, .inner_threads = 1})
                         .map(
                             [](int /*unused*/) {
                               std::size_t called = 0;
                               try {
                                 jk::parallel_for(
                                     100,
                                     [&called](std::size_t i) {
                                       ++called;
                                       if (i == 10) throw std::runtime_error("stop");
                                     },
                                     1);
                               } catch (const std::runtime_error&) {
                                 return called;
                               }
                               return std::size_t{0};
                             },
                             std::vector<int>{0});
  EXPECT_EQ(calls.front(), 11U);
}

TEST(Map, EqualsAPlainLoopAtEverySize) {
  for (const auto& [n, grain] : kLoops) {
    const auto in = ragged_doubles(n, n);
    std::vector<double> out(n, -1);
    const auto fn = [](double x) { return x * x + 1; };
    jk::map(in, out, fn);
    for (std::size_t i = 0; i < n; ++i)
      ASSERT_EQ(out[i], fn(in[i])) << "n=" << n << " i=" << i;
  }
}

// x * x - 1 for x = 1 + 2^-30 is 2^-29 when the product is rounded first, 2^-29 + 2^-60 when
// a fused multiply-add (AVX-512 has it) skips that rounding.
TEST(Map, RoundsEachOperationAsAPlainLoopDoesOnEveryCpu) {
  const std::vector<double> in(3 * kGrain + 5, 1 + 0x1p-30);
  std::vector<double> out(in.size());
  jk::map(in, out, [](double x) { return x * x - 1; });
  for (std::size_t i = 0; i < out.size(); ++i)
    ASSERT_EQ(out[i], 0x1p-29) << i;
}

TEST(Map, ChangesTheElementType) {
  const auto in = random_int64(3 * kGrain, 7);
  std::vector<double> out(in.size());
  jk::map(in, out, [](std::int64_t x) { return static_cast<double>(x) / 3; });
  for (std::size_t i = 0; i < in.size(); ++i)
    ASSERT_EQ(out[i], static_cast<double>(in[i]) / 3) << i;
}

TEST(Map, WorksInPlace) {
  auto values = ragged_doubles(4 * kGrain + 3, 11);
  const auto before = values;
  jk::map(values, values, [](double x) { return 2 * x - 1; });
  for (std::size_t i = 0; i < values.size(); ++i)
    ASSERT_EQ(values[i], 2 * before[i] - 1) << i;
}

TEST(Map, OutOfAnotherSizeIsRefusedWithBothSizes) {
  const std::vector<double> in(10);
  std::vector<double> out(9);
  const std::string message =
      message_of<std::invalid_argument>([&] { jk::map(in, out, [](double x) { return x; }); });
  EXPECT_NE(message.find("joblet::kernels::map: the input has 10 elements but out has 9"),
            std::string::npos)
      << message;
}

TEST(Zip, EqualsAPlainLoopAtEverySize) {
  for (const auto& [n, grain] : kLoops) {
    const auto a = ragged_doubles(n, 2 * n);
    const auto b = ragged_doubles(n, 2 * n + 1);
    std::vector<double> out(n);
    const auto fn = [](double x, double y) { return x * y + x; };
    jk::zip(a, b, out, fn);
    for (std::size_t i = 0; i < n; ++i)
      ASSERT_EQ(out[i], fn(a[i], b[i])) << "n=" << n << " i=" << i;
  }
}

TEST(Zip, WorksInPlaceOnItsFirstInput) {
  auto a = ragged_doubles(3 * kGrain, 5);
  const auto before = a;
  const auto b = ragged_doubles(a.size(), 6);
  jk::zip(a, b, a, std::plus<>{});
  for (std::size_t i = 0; i < a.size(); ++i)
    ASSERT_EQ(a[i], before[i] + b[i]) << i;
}

TEST(Zip, InputsOrOutOfDifferentSizesAreRefused) {
  const std::vector<double> a(8);
  const std::vector<double> b(7);
  std::vector<double> out(8);
  std::vector<double> short_out(6);
  const std::string inputs =
      message_of<std::invalid_argument>([&] { jk::zip(a, b, out, std::plus<>{}); });
  EXPECT_NE(inputs.find("8 elements but out has 7"), std::string::npos) << inputs;
  const std::string outs =
      message_of<std::invalid_argument>([&] { jk::zip(a, a, short_out, std::plus<>{}); });
  EXPECT_NE(outs.find("8 elements but out has 6"), std::string::npos) << outs;
}

TEST(Reduce, OfInt64EqualsAPlainSumExactly) {
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{17},
                              jk::kReduceChunk, jk::kReduceChunk + 1, 300 * jk::kReduceChunk + 9}) {
    const auto values = random_int64(n, n + 3);
    const std::int64_t expected = std::accumulate(values.begin(), values.end(), std::int64_t{42});
    EXPECT_EQ(jk::reduce(values, std::int64_t{42}, std::plus<>{}), expected) << "n=" << n;
  }
}

TEST(Reduce, FoldsInitInOnceWithAnyOperator) {
  const auto values = random_int64(50 * jk::kReduceChunk + 1, 9);
  const auto [low, high] = std::ranges::minmax(values);
  const auto take_max = [](std::int64_t x, std::int64_t y) { return std::max(x, y); };
  const auto take_min = [](std::int64_t x, std::int64_t y) { return std::min(x, y); };
  EXPECT_EQ(jk::reduce(values, std::int64_t{-(std::int64_t{1} << 62)}, take_max), high);
  EXPECT_EQ(jk::reduce(values, std::int64_t{1} << 62, take_min), low);
  EXPECT_EQ(jk::reduce(values, std::int64_t{1} << 62, take_max), std::int64_t{1} << 62);
}

TEST(MapReduce, OfInt64EqualsAPlainLoopExactly) {
  const auto values = random_int64(77 * jk::kReduceChunk + 5, 13);
  std::int64_t expected = 0;
  for (const std::int64_t v : values)
    expected += v % 1000 * (v % 1000);
  EXPECT_EQ(jk::map_reduce(
                values, std::int64_t{0}, [](std::int64_t v) { return v % 1000 * (v % 1000); },
                std::plus<>{}),
            expected);
}

/// sum over `values` in long double, and the sum of their magnitudes to scale an error by.
std::pair<long double, long double> careful_sum(const std::vector<double>& values) {
  long double sum = 0;
  long double magnitude = 0;
  for (const double v : values) {
    sum += v;
    magnitude += std::abs(static_cast<long double>(v));
  }
  return {sum, magnitude};
}

TEST(Reduce, OfDoublesIsCloseToACarefulSum) {
  for (const std::size_t n :
       {std::size_t{3}, std::size_t{100}, 3 * jk::kReduceChunk + 1, 100 * jk::kReduceChunk + 17}) {
    const auto values = ragged_doubles(n, 100 + n);
    const auto [sum, magnitude] = careful_sum(values);
    const double got = jk::reduce(values, 0.0, std::plus<>{});
    EXPECT_LE(std::abs(static_cast<long double>(got) - sum), 1e-14L * magnitude) << "n=" << n;
    const double squares = jk::map_reduce(
        values, 0.0, [](double v) { return v * v; }, std::plus<>{});
    long double expected_squares = 0;
    for (const double v : values)
      expected_squares += static_cast<long double>(v) * v;
    EXPECT_LE(std::abs(static_cast<long double>(squares) - expected_squares),
              1e-14L * expected_squares)
        << "n=" << n;
  }
}

// Enough chunks that 16 threads all get parts (kChunksPerThread of them each).
constexpr std::size_t kReproducibleSize = 70 * jk::kReduceChunk + 123;
constexpr std::uint64_t kReproducibleSeed = 2024;

/// What a reduction of the fixed data gives on this thread, as bits, with the thread budget it
/// ran under. Builds its data itself, so that a worker process computes the same one.
struct ReductionBits {
  std::uint64_t sum;
  std::uint64_t sum_of_squares;
  std::uint32_t float_sum;
  int threads;

  bool operator==(const ReductionBits&) const = default;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(sum, sum_of_squares, float_sum, threads);
  }
};

ReductionBits reduce_fixed_data(int /*task*/) {
  const auto values = ragged_doubles(kReproducibleSize, kReproducibleSeed);
  std::vector<float> floats(values.size());
  jk::map(values, floats, [](double v) { return static_cast<float>(v); });
  return {
      .sum = std::bit_cast<std::uint64_t>(jk::reduce(values, 0.0, std::plus<>{})),
      .sum_of_squares = std::bit_cast<std::uint64_t>(jk::map_reduce(
          values, 0.0, [](double v) { return v * v; }, std::plus<>{})),
      .float_sum = std::bit_cast<std::uint32_t>(jk::reduce(floats, 0.0F, std::plus<>{})),
      .threads = jk::threads(),
  };
}

TEST(Reproducible, FloatingPointReductionsAreTheSameBitsForAnyThreadsAndBackend) {
  const ReductionBits outside = reduce_fixed_data(0);
  ASSERT_EQ(outside.threads, joblet::cpu_count());
  // The bits checked are those of a correct sum, not of some constant.
  const auto [sum, magnitude] = careful_sum(ragged_doubles(kReproducibleSize, kReproducibleSeed));
  EXPECT_LE(std::abs(static_cast<long double>(std::bit_cast<double>(outside.sum)) - sum),
            1e-14L * magnitude);
  EXPECT_LE(std::abs(static_cast<long double>(std::bit_cast<float>(outside.float_sum)) - sum),
            1e-5L * magnitude);

  for (const joblet::Backend backend :
       {joblet::Backend::sequential, joblet::Backend::threads, joblet::Backend::processes}) {
    for (const int inner : {1, 2, 16}) {
      const auto results =
          joblet::Parallel({.n_jobs = 2, .backend = backend, .inner_threads = inner})
              .map(reduce_fixed_data, std::vector<int>{0, 1, 2});
      for (const ReductionBits& got : results) {
        EXPECT_EQ(got.threads, inner) << joblet::to_string(backend);
        EXPECT_EQ(got.sum, outside.sum) << joblet::to_string(backend) << " inner=" << inner;
        EXPECT_EQ(got.sum_of_squares, outside.sum_of_squares)
            << joblet::to_string(backend) << " inner=" << inner;
        EXPECT_EQ(got.float_sum, outside.float_sum)
            << joblet::to_string(backend) << " inner=" << inner;
      }
    }
  }
}

/// Every span kernel against its plain loop, inside a task; the count of disagreements.
std::size_t disagreements_in_task(std::size_t n) {
  std::size_t wrong = miscounted_by_index(n, 1000) + miscounted_by_range(n, 1000);
  const auto a = ragged_doubles(n, n);
  const auto b = ragged_doubles(n, n + 1);
  std::vector<double> mapped(n);
  std::vector<double> zipped(n);
  jk::map(a, mapped, [](double x) { return 3 * x; });
  jk::zip(a, b, zipped, std::minus<>{});
  for (std::size_t i = 0; i < n; ++i) {
    wrong += mapped[i] != 3 * a[i] ? 1 : 0;
    wrong += zipped[i] != a[i] - b[i] ? 1 : 0;
  }
  const auto integers = random_int64(n, n + 2);
  const std::int64_t total = std::accumulate(integers.begin(), integers.end(), std::int64_t{0});
  wrong += jk::reduce(integers, std::int64_t{0}, std::plus<>{}) != total ? 1 : 0;
  return wrong;
}

class KernelsInTasks : public ::testing::TestWithParam<BackendCase> {};

TEST_P(KernelsInTasks, EqualPlainLoopsOnEveryBackend) {
  const auto wrong = joblet::Parallel(GetParam().options())
                         .map(disagreements_in_task,
                              std::vector<std::size_t>{0, 1, kGrain + 1, 4 * kGrain + 3, 100003});
  for (const std::size_t w : wrong)
    EXPECT_EQ(w, 0U);
}

INSTANTIATE_TEST_SUITE_P(Backends, KernelsInTasks,
                         ::testing::ValuesIn(joblet::testing::all_backends()),
                         joblet::testing::case_name);

}  // namespace
