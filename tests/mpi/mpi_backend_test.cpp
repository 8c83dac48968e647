// Backend::mpi under mpirun with 3 ranks: rank 0 runs these tests, ranks 1 and 2 run tasks.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <ranges>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "joblet/detail/batch.hpp"
#include "joblet/detail/settings.hpp"
#include "joblet/joblet.hpp"
#include "processes/process_pool.hpp"
#include "support/orbit_fit_bits.hpp"

namespace {

constexpr int kWorkerRanks = 2;

joblet::Parallel on_mpi(joblet::Options options = {}) {
  options.n_jobs = -1;
  options.backend = joblet::Backend::mpi;
  return joblet::Parallel(options);
}

int this_rank() {
  int rank = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

int rank_of_task(int /*index*/) {
  return this_rank();
}

int rank_after(int milliseconds) {
  std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));  // the task's work
  return this_rank();
}

long square(int i) {
  return static_cast<long>(i) * i;
}

struct Point {
  double x = 0;
  double y = 0;
  std::string label;

  bool operator==(const Point&) const = default;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(x, y, label);
  }
};

// One task function per result type; each gives a different value for each i.
double as_double(int i) {
  return 1.0 / (i + 1);
}
std::string as_string(int i) {
  return std::string(static_cast<std::size_t>(i % 7), 'a') + std::to_string(i);
}
std::vector<double> as_vector(int i) {
  std::vector<double> values(static_cast<std::size_t>(i % 5), i * 0.5);
  return values;
}
std::pair<int, std::string> as_pair(int i) {
  return {-i, std::to_string(i * 3)};
}
std::optional<int> as_optional(int i) {
  return i % 3 == 0 ? std::nullopt : std::optional<int>(i);
}
std::map<std::string, int> as_map(int i) {
  return {{"i", i}, {"twice", 2 * i}};
}
Point as_point(int i) {
  return {i * 0.25, -i * 1.5, "p" + std::to_string(i)};
}
bool as_bool(int i) {
  return i % 2 == 0;
}

template <class Function>
void expect_same_as_sequential(Function function) {
  const auto inputs = std::views::iota(0, 300);
  const auto expected =
      joblet::Parallel({.backend = joblet::Backend::sequential}).map(function, inputs);
  const auto got = on_mpi().map(function, inputs);
  EXPECT_EQ(got, expected);
}

TEST(Mpi, AutomaticBackendPicksMpiUnderMpirun) {
  joblet::Parallel parallel(-1);
  EXPECT_EQ(parallel.backend(), joblet::Backend::mpi);
  EXPECT_EQ(parallel.n_jobs(), kWorkerRanks);
  for (const int rank : parallel.map(rank_of_task, std::views::iota(0, 50))) {
    EXPECT_GE(rank, 1);
    EXPECT_LE(rank, kWorkerRanks);
  }
}

TEST(Mpi, OneJobStillRunsInline) {
  EXPECT_EQ(joblet::Parallel(1).backend(), joblet::Backend::sequential);
}

TEST(Mpi, ResultsEqualSequentialForManyTypes) {
  expect_same_as_sequential(square);
  expect_same_as_sequential(as_double);
  expect_same_as_sequential(as_string);
  expect_same_as_sequential(as_vector);
  expect_same_as_sequential(as_pair);
  expect_same_as_sequential(as_optional);
  expect_same_as_sequential(as_map);
  expect_same_as_sequential(as_point);
  expect_same_as_sequential(as_bool);
}

TEST(Mpi, ResultsKeepSubmissionOrder) {
  for (const int batch_size : {0, 1, 7}) {
    const auto results = on_mpi({.batch_size = batch_size}).map(square, std::views::iota(0, 5000));
    ASSERT_EQ(results.size(), 5000U);
    for (int i = 0; i < 5000; ++i)
      ASSERT_EQ(results[static_cast<std::size_t>(i)], square(i)) << "batch_size " << batch_size;
  }
}

/// A serializable function object: found on the other ranks with no registration.
struct Scale {
  double factor = 1;

  double operator()(double x) const { return factor * x; }

  template <class Archive>
  void serialize(Archive& archive) {
    archive(factor);
  }
};

TEST(Mpi, FunctionObjectsAndLambdasNeedNoRegistration) {
  const auto scaled = on_mpi().map(Scale{2.5}, std::vector<double>{1, 2, 3});
  EXPECT_EQ(scaled, (std::vector<double>{2.5, 5, 7.5}));
  const auto plus_one = on_mpi().map([](int i) { return i + 1; }, std::views::iota(0, 3));
  EXPECT_EQ(plus_one, (std::vector<int>{1, 2, 3}));
}

TEST(Mpi, UnevenTasksAreBalancedAcrossRanks) {
  // Task 0 takes as long as all the others together would take eight times over: a rank that
  // asks for work when it is free runs nearly all of them while another runs task 0.
  constexpr int kShortTasks = 60;
  std::vector<int> durations(kShortTasks + 1, 3);
  durations[0] = 1500;
  const auto ranks = on_mpi({.batch_size = 1}).map(rank_after, durations);
  std::map<int, int> tasks_per_rank;
  for (const int rank : ranks)
    ++tasks_per_rank[rank];
  const int slow_rank = ranks[0];
  EXPECT_LE(tasks_per_rank[slow_rank], 3) << "the rank running the long task got more work";
  EXPECT_GE(kShortTasks + 1 - tasks_per_rank[slow_rank], kShortTasks - 2);
  EXPECT_EQ(tasks_per_rank.size(), static_cast<std::size_t>(kWorkerRanks));
}

int fail_at_seven(int i) {
  if (i == 7) throw std::domain_error("no convergence at " + std::to_string(i));
  return i;
}

TEST(Mpi, TaskErrorNamesTheTaskAndTheRank) {
  try {
    (void)on_mpi({.batch_size = 2}).map(fail_at_seven, std::views::iota(0, 40));
    FAIL() << "no TaskError";
  } catch (const joblet::TaskError& error) {
    EXPECT_EQ(error.index(), 7U);
    EXPECT_EQ(error.exception_type(), "std::domain_error");
    EXPECT_EQ(error.message(), "no convergence at 7");
    const std::string what = error.what();
    EXPECT_NE(what.find("fail_at_seven(7) threw std::domain_error: no convergence at 7 (on rank "),
              std::string::npos)
        << what;
  }
}

TEST(Mpi, RunAfterAFailedRunGetsOnlyItsOwnResults) {
  EXPECT_THROW((void)on_mpi({.batch_size = 1}).map(fail_at_seven, std::views::iota(0, 200)),
               joblet::TaskError);
  const auto results = on_mpi({.batch_size = 1}).map(square, std::views::iota(0, 200));
  for (int i = 0; i < 200; ++i)
    ASSERT_EQ(results[static_cast<std::size_t>(i)], square(i));
}

int fail_on_multiples_of_five(int i) {
  if (i % 5 == 0) throw std::runtime_error("multiple of five");
  return -i;
}

TEST(Mpi, TryRunRecordsEveryFailureAndEveryValue) {
  const auto outcomes =
      on_mpi({.batch_size = 3}).try_map(fail_on_multiples_of_five, std::views::iota(0, 100));
  ASSERT_EQ(outcomes.size(), 100U);
  for (int i = 0; i < 100; ++i) {
    const auto& outcome = outcomes[static_cast<std::size_t>(i)];
    if (i % 5 == 0) {
      ASSERT_FALSE(outcome.has_value()) << i;
      EXPECT_EQ(outcome.error().index(), static_cast<std::size_t>(i));
      EXPECT_NE(std::string(outcome.error().what()).find("(on rank "), std::string::npos);
    } else {
      ASSERT_TRUE(outcome.has_value()) << i;
      EXPECT_EQ(*outcome, -i);
    }
  }
}

TEST(Mpi, GeneratorYieldsEveryResultInSubmissionOrder) {
  std::size_t expected = 0;
  for (auto [index, value] :
       on_mpi({.return_as = joblet::ReturnAs::generator}).imap(square, std::views::iota(0, 2000))) {
    ASSERT_EQ(index, expected);
    ASSERT_EQ(value, square(static_cast<int>(index)));
    ++expected;
  }
  EXPECT_EQ(expected, 2000U);
}

TEST(Mpi, UnorderedGeneratorYieldsEachResultOnceWithItsIndex) {
  std::set<std::size_t> seen;
  for (auto [index, value] : on_mpi({.return_as = joblet::ReturnAs::generator_unordered})
                                 .imap(square, std::views::iota(0, 2000))) {
    EXPECT_EQ(value, square(static_cast<int>(index)));
    EXPECT_TRUE(seen.insert(index).second) << "index " << index << " twice";
  }
  EXPECT_EQ(seen.size(), 2000U);
}

TEST(Mpi, SecondRunAtTheSameTimeIsRefused) {
  auto first = on_mpi({.batch_size = 1, .return_as = joblet::ReturnAs::generator})
                   .imap(square, std::views::iota(0, 100));
  auto it = first.begin();
  ASSERT_EQ((*it).value, 0);
  try {
    auto second =
        on_mpi({.return_as = joblet::ReturnAs::generator}).imap(square, std::views::iota(0, 10));
    (void)second.begin();
    FAIL() << "a second MPI run started beside the first";
  } catch (const joblet::Error& error) {
    EXPECT_NE(std::string(error.what()).find("one Parallel at a time"), std::string::npos)
        << error.what();
  }
  std::size_t count = 0;
  for (; it != first.end(); ++it)
    ++count;
  EXPECT_EQ(count, 100U);
}

long sum_with_shared(const joblet::Shared<std::vector<int>>& data, int i) {
  long sum = i;
  for (const int value : data.get())
    sum += value;
  return sum;
}

TEST(Mpi, SharedValueIsSentOncePerRank) {
  const auto data = joblet::share(std::vector<int>(1000, 3));
  std::vector<decltype(joblet::delayed(sum_with_shared, data, 0))> tasks;
  for (int i = 0; i < 300; ++i)
    tasks.push_back(joblet::delayed(sum_with_shared, data, i));
  auto& sent = joblet::detail::transport_counters().shared_values_sent;
  const auto before = sent.load();
  const auto results = on_mpi({.batch_size = 1})(tasks);
  EXPECT_EQ(sent.load() - before, static_cast<std::uint64_t>(kWorkerRanks));
  for (int i = 0; i < 300; ++i)
    ASSERT_EQ(results[static_cast<std::size_t>(i)], 3000 + i);
}

std::uint64_t random_draws(int draws) {
  std::uint64_t mixed = 0;
  for (int i = 0; i < draws; ++i)
    mixed = mixed * 31 + joblet::task_rng()();
  return mixed;
}

TEST(Mpi, SeededTaskRngSweepIsBitIdenticalToSequential) {
  const std::vector<int> draws(500, 100);
  const auto expected = joblet::Parallel({.backend = joblet::Backend::sequential, .seed = 42})
                            .map(random_draws, draws);
  for (const int batch_size : {0, 1, 13}) {
    EXPECT_EQ(on_mpi({.batch_size = batch_size, .seed = 42}).map(random_draws, draws), expected);
  }
}

TEST(Mpi, TheOrbitGridGivesTheSameBitsAsSequential) {
  const auto reference = joblet::testing::orbit_fit_bits({.backend = joblet::Backend::sequential});
  ASSERT_FALSE(reference.empty());
  EXPECT_EQ(joblet::testing::orbit_fit_bits({.n_jobs = -1, .backend = joblet::Backend::mpi}),
            reference);
}

TEST(Mpi, TimeoutIsRefusedNamingTheAlternative) {
  try {
    (void)on_mpi({.timeout = std::chrono::seconds(1)});
    FAIL() << "a timeout was accepted";
  } catch (const std::invalid_argument& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("Options::timeout"), std::string::npos) << what;
    EXPECT_NE(what.find("Backend::processes"), std::string::npos) << what;
  }
}

TEST(Mpi, OtherThreadsGetThreadsAndAreRefusedMpi) {
  std::string refusal;
  joblet::Backend automatic = joblet::Backend::mpi;
  std::thread other([&] {
    automatic = joblet::Parallel(-1).backend();
    try {
      (void)on_mpi();
    } catch (const std::invalid_argument& error) {
      refusal = error.what();
    }
  });
  other.join();
  EXPECT_EQ(automatic, joblet::Backend::threads);
  EXPECT_NE(refusal.find("only the thread that called joblet::init"), std::string::npos) << refusal;
}

int sleep_then_rank(int milliseconds) {
  return rank_after(milliseconds);
}

TEST(Mpi, WaitReturnsByItsDeadline) {
  using joblet::detail::Clock;
  std::vector<decltype(joblet::delayed(sleep_then_rank, 0))> tasks{
      joblet::delayed(sleep_then_rank, 1500)};
  using Batch = joblet::detail::Batch<decltype(tasks), joblet::detail::OnFailure::stop>;
  const auto settings =
      joblet::detail::resolve_settings({.n_jobs = -1, .backend = joblet::Backend::mpi});
  auto executor = joblet::detail::make_executor(settings);
  auto batch = std::make_shared<Batch>(settings.seed, settings.inner_threads);
  batch->in_place = true;
  batch->origin = tasks.begin();
  batch->count = 1;
  executor->submit(batch);

  const auto start = Clock::now();
  EXPECT_EQ(executor->wait(start + std::chrono::milliseconds(100)), nullptr);
  const auto waited = Clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(100));
  EXPECT_LT(waited, std::chrono::milliseconds(600)) << "wait overshot its deadline";

  const auto done = executor->wait(std::nullopt);
  ASSERT_EQ(done.get(), batch.get());
  EXPECT_EQ(batch->finished, 1U);
  EXPECT_EQ(batch->error, nullptr);
}

}  // namespace
