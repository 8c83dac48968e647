// monte_carlo_pi: estimates pi from random points in the unit square, and shows that
// joblet::task_rng() makes the estimate the same, bit for bit, whatever the number of workers.
//
//     monte_carlo_pi                                 # 64 tasks x 1,000,000 points
//     monte_carlo_pi --tasks 200 --samples 100000 --seed 7 --n-jobs 2
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iomanip>
#include <iostream>
#include <joblet/joblet.hpp>
#include <numbers>
#include <numeric>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

constexpr int kUsageError = 2;

struct CommandLine {
  std::size_t tasks = 64;
  std::uint64_t samples = 1'000'000;
  std::uint64_t seed = 2024;
  int n_jobs = -1;
  bool help = false;
};

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

constexpr std::string_view kUsage =
    "usage: monte_carlo_pi [--tasks N] [--samples N] [--seed S] [--n-jobs N]\n"
    "\n"
    "Estimates pi twice, with one worker and with --n-jobs workers, and checks that the two\n"
    "estimates are bit-identical.\n"
    "\n"
    "  --tasks N    number of tasks, at least 1; default 64\n"
    "  --samples N  random points per task, at least 1; default 1000000\n"
    "  --seed S     seed of the tasks' random streams, 0 or more; default 2024\n"
    "  --n-jobs N   workers of the second run: 1, 2, ..., or -1 for all CPUs, -2 for all\n"
    "               but one, and so on (not 0); default -1\n"
    "  --help       show this text\n";

constexpr std::string_view kNJobsAccepted =
    "1, 2, ..., or -1 for all CPUs, -2 for all but one, and so on (not 0)";

// The value of `flag` as an Integer that `accepts`; a UsageError that says `accepted` if not.
template <class Integer, class Accepts>
Integer parse_number(std::string_view flag, std::string_view text, Accepts accepts,
                     std::string_view accepted) {
  Integer value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || !accepts(value)) {
    throw UsageError(std::string(flag) + ": \"" + std::string(text) + "\" is not accepted; write " +
                     std::string(accepted));
  }
  return value;
}

CommandLine parse_command_line(const std::vector<std::string_view>& arguments) {
  CommandLine command_line;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string_view flag = arguments[i];
    const auto value = [&]() -> std::string_view {
      if (i + 1 == arguments.size()) throw UsageError(std::string(flag) + " needs a value");
      return arguments[++i];
    };
    if (flag == "--help" || flag == "-h") {
      command_line.help = true;
    } else if (flag == "--tasks") {
      command_line.tasks = parse_number<std::size_t>(
          flag, value(), [](std::size_t n) { return n >= 1; }, "a whole number, at least 1");
    } else if (flag == "--samples") {
      command_line.samples = parse_number<std::uint64_t>(
          flag, value(), [](std::uint64_t n) { return n >= 1; }, "a whole number, at least 1");
    } else if (flag == "--seed") {
      command_line.seed = parse_number<std::uint64_t>(
          flag, value(), [](std::uint64_t) { return true; }, "a whole number, 0 or more");
    } else if (flag == "--n-jobs") {
      command_line.n_jobs = parse_number<int>(
          flag, value(), [](int n) { return n != 0; }, kNJobsAccepted);
    } else {
      throw UsageError("unknown argument \"" + std::string(flag) + "\"");
    }
  }
  return command_line;
}

// The task: how many of `samples` random points of the unit square fall inside the quarter
// circle. task_rng() is this task's own stream, the same on every backend and worker count.
std::uint64_t hits_in_quarter_circle(std::uint64_t samples) {
  std::uniform_real_distribution<double> coordinate(0, 1);
  joblet::SplitMix64& random = joblet::task_rng();
  std::uint64_t hits = 0;
  for (std::uint64_t i = 0; i < samples; ++i) {
    const double x = coordinate(random);
    const double y = coordinate(random);
    if (x * x + y * y < 1) ++hits;
  }
  return hits;
}

struct Estimate {
  std::vector<std::uint64_t> hits;  // per task, in task order
  double pi;
  double seconds;
  int workers;
};

Estimate estimate_pi(const CommandLine& command_line, int n_jobs) {
  joblet::Parallel parallel({.n_jobs = n_jobs, .seed = command_line.seed});
  const std::vector<std::uint64_t> samples(command_line.tasks, command_line.samples);

  const auto start = std::chrono::steady_clock::now();
  std::vector<std::uint64_t> hits = parallel.map(hits_in_quarter_circle, samples);
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;

  const std::uint64_t total_hits = std::reduce(hits.begin(), hits.end(), std::uint64_t{0});
  const double points =
      static_cast<double>(command_line.tasks) * static_cast<double>(command_line.samples);
  return {.hits = std::move(hits),
          .pi = 4 * static_cast<double>(total_hits) / points,
          .seconds = wall.count(),
          .workers = parallel.n_jobs()};
}

void print(std::string_view label, const Estimate& estimate) {
  std::cout << std::left << std::setw(22) << label << std::right << " pi ~ "
            << std::setprecision(17) << estimate.pi << "  (" << estimate.workers
            << (estimate.workers == 1 ? " worker, " : " workers, ") << std::setprecision(3)
            << estimate.seconds << " s)\n";
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line;
  try {
    command_line = parse_command_line(std::vector<std::string_view>(argv + 1, argv + argc));
  } catch (const UsageError& error) {
    std::cerr << "monte_carlo_pi: " << error.what() << "\n\n" << kUsage;
    return kUsageError;
  }
  if (command_line.help) {
    std::cout << kUsage;
    return EXIT_SUCCESS;
  }

  try {
    std::cout << "monte_carlo_pi: " << command_line.tasks << " tasks x " << command_line.samples
              << " points, seed " << command_line.seed << '\n';
    const Estimate inline_run = estimate_pi(command_line, 1);
    print("--n-jobs 1:", inline_run);
    const Estimate parallel_run = estimate_pi(command_line, command_line.n_jobs);
    print("--n-jobs " + std::to_string(command_line.n_jobs) + ":", parallel_run);

    // Expected error of the estimate: 4 sqrt(p (1 - p) / N) with p = pi / 4.
    const double p = std::numbers::pi / 4;
    const double points =
        static_cast<double>(command_line.tasks) * static_cast<double>(command_line.samples);
    std::cout << "error " << std::setprecision(3) << std::abs(inline_run.pi - std::numbers::pi)
              << " (standard error " << 4 * std::sqrt(p * (1 - p) / points) << ")\n";

    const bool identical =
        inline_run.hits == parallel_run.hits && std::bit_cast<std::uint64_t>(inline_run.pi) ==
                                                    std::bit_cast<std::uint64_t>(parallel_run.pi);
    std::cout << "bit-identical: " << (identical ? "yes" : "no") << '\n';
    return identical ? EXIT_SUCCESS : EXIT_FAILURE;
  } catch (const std::invalid_argument& error) {
    std::cerr << "monte_carlo_pi: " << error.what() << '\n';
    return kUsageError;
  } catch (const std::exception& error) {
    std::cerr << "monte_carlo_pi: " << error.what() << '\n';
    return EXIT_FAILURE;
  }
}
