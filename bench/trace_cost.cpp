// What tracing costs: a sweep of small tasks, each calling a kernel, with Options::trace_file
// unset and set, side by side; and a kernel call inside a task whose tracing is off, beside
// the same reduction without the kernel's trace hook. Each round times every contender once,
// in an order rotated from round to round, so that a noisy machine slows them alike; the
// table gives min / median / max over the rounds and the ratios of minimums and of medians.
//
//     trace_cost [rounds]     # default 15
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <joblet/joblet.hpp>
#include <numeric>
#include <ranges>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kTasks = 20000;
constexpr std::size_t kElements = 64;
constexpr std::size_t kLargeElements = 1024;
constexpr int kKernelCalls = 100000;

double small_kernel_task(int seed) {
  std::array<double, kElements> values{};
  std::iota(values.begin(), values.end(), static_cast<double>(seed));
  return joblet::kernels::map_reduce(
      values, 0.0, [](double x) { return x * x; }, std::plus<>());
}

/// Nanoseconds per task of a sweep.
double sweep_ns(const joblet::Options& options) {
  const auto start = Clock::now();
  const auto results =
      joblet::Parallel(options).map(small_kernel_task, std::views::iota(0, kTasks));
  const std::chrono::duration<double, std::nano> took = Clock::now() - start;
  if (results.size() != static_cast<std::size_t>(kTasks)) std::abort();
  return took.count() / kTasks;
}

/// Nanoseconds per kernel call, timed inside a task that is not traced: through the public
/// kernel, with its trace hook, or straight to the reduction that the kernel runs.
template <bool kThroughPublicKernel, std::size_t kSize>
double kernel_call_ns(int /*unused*/) {
  std::vector<double> values(kSize);
  std::iota(values.begin(), values.end(), 1.0);
  double sink = 0;
  const auto start = Clock::now();
  for (int k = 0; k < kKernelCalls; ++k) {
    values[0] = k;
    if constexpr (kThroughPublicKernel) {
      sink += joblet::kernels::reduce(values, 0.0, std::plus<>());
    } else {
      sink += joblet::detail::reproducible_map_reduce(
          values.data(), values.size(), 0.0, [](const auto& x) -> const auto& { return x; },
          std::plus<>());
    }
  }
  const std::chrono::duration<double, std::nano> elapsed = Clock::now() - start;
  if (sink == 0) std::abort();
  return elapsed.count() / kKernelCalls;
}

template <bool kThroughPublicKernel, std::size_t kSize>
double kernel_in_task_ns() {
  return joblet::Parallel(1).map(kernel_call_ns<kThroughPublicKernel, kSize>,
                                 std::views::single(0))[0];
}

struct Row {
  std::string name;
  std::function<double(int round)> measure;
  std::vector<double> samples{};
};

double median(std::vector<double> values) {
  std::ranges::sort(values);
  return values[values.size() / 2];
}

void print_row(const Row& row) {
  std::printf("  %-48s %8.1f %8.1f %8.1f\n", row.name.c_str(),
              *std::ranges::min_element(row.samples), median(row.samples),
              *std::ranges::max_element(row.samples));
}

/// The ratio of medians, and of minimums: on a busy machine the fastest round of each is the
/// one least disturbed.
void print_ratio(const char* what, const Row& numerator, const Row& denominator) {
  std::printf(
      "  %-48s %8.3f %8.3f\n", what,
      *std::ranges::min_element(numerator.samples) / *std::ranges::min_element(denominator.samples),
      median(numerator.samples) / median(denominator.samples));
}

}  // namespace

int main(int argc, char** argv) {
  joblet::init(argc, argv);
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 15;
  const auto directory =
      std::filesystem::temp_directory_path() / ("joblet-trace-cost-" + std::to_string(getpid()));
  std::filesystem::create_directories(directory);
  // Each traced run writes a file of its own: a program's trace file holds all its runs.
  const auto traced = [&directory](joblet::Options options, const std::string& name) {
    return [options, &directory, name](int round) mutable {
      options.trace_file = directory / (name + std::to_string(round) + ".json");
      return sweep_ns(options);
    };
  };
  const joblet::Options sequential{.n_jobs = 1, .backend = joblet::Backend::sequential};
  const joblet::Options threads{.n_jobs = 2, .backend = joblet::Backend::threads};
  std::vector<Row> rows{
      {"sweep, sequential, tracing off  [ns/task]", [&](int) { return sweep_ns(sequential); }},
      {"sweep, sequential, tracing on   [ns/task]", traced(sequential, "sequential")},
      {"sweep, threads n_jobs=2, tracing off [ns/task]", [&](int) { return sweep_ns(threads); }},
      {"sweep, threads n_jobs=2, tracing on  [ns/task]", traced(threads, "threads")},
      {"kernel, 64 elements, with its trace hook [ns]",
       [](int) { return kernel_in_task_ns<true, kElements>(); }},
      {"kernel, 64 elements, without the hook    [ns]",
       [](int) { return kernel_in_task_ns<false, kElements>(); }},
      {"kernel, 1024 elements, with its trace hook [ns]",
       [](int) { return kernel_in_task_ns<true, kLargeElements>(); }},
      {"kernel, 1024 elements, without the hook    [ns]",
       [](int) { return kernel_in_task_ns<false, kLargeElements>(); }},
  };
  for (int round = 0; round < rounds; ++round) {
    for (std::size_t k = 0; k < rows.size(); ++k) {
      Row& row = rows[(k + static_cast<std::size_t>(round)) % rows.size()];
      row.samples.push_back(row.measure(round));
    }
  }
  std::filesystem::remove_all(directory);

  std::printf("trace_cost: %d rounds; %d tasks of a %zu-element map_reduce per sweep\n", rounds,
              kTasks, kElements);
  std::printf("  %-48s %8s %8s %8s\n", "", "min", "median", "max");
  for (const Row& row : rows)
    print_row(row);
  std::printf("  %-48s %8s %8s\n", "ratios", "of min", "median");
  print_ratio("sequential: tracing off / on", rows[0], rows[1]);
  print_ratio("threads n_jobs=2: tracing off / on", rows[2], rows[3]);
  print_ratio("kernel, 64 elements: hook (tracing off) / none", rows[4], rows[5]);
  print_ratio("kernel, 1024 elements: hook (tracing off) / none", rows[6], rows[7]);
  return 0;
}
