// What the benchmark programs share: a calibrated CPU-bound task, the per-task counter, and
// contenders timed in turn within one benchmark.
#pragma once

#include <benchmark/benchmark.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <joblet/options.hpp>
#include <joblet/parallel.hpp>
#include <string>
#include <utility>
#include <vector>

namespace side_by_side {

/// SplitMix64 steps folded into one value: each step depends on the loop counter, and the
/// result is returned and kept, so the loop can be neither removed nor precomputed.
[[gnu::noinline]] inline std::uint64_t spin(std::uint64_t seed, std::uint64_t steps) {
  std::uint64_t state = seed;
  std::uint64_t folded = 0;
  for (std::uint64_t step = 0; step < steps; ++step) {
    state += 0x9e3779b97f4a7c15U;
    std::uint64_t z = state;
    z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9U;
    z = (z ^ (z >> 27U)) * 0x94d049bb133111ebU;
    folded ^= z ^ (z >> 31U);
  }
  return folded;
}

/// spin() steps per millisecond on this machine: the fastest of several timings, so that a
/// neighbour's burst during start-up does not make every task shorter than intended.
inline std::uint64_t calibrate_spin_steps_per_ms() {
  constexpr std::uint64_t kSteps = std::uint64_t{1} << 22U;
  constexpr int kTries = 7;
  double best_seconds = 1e30;
  for (int attempt = 0; attempt < kTries; ++attempt) {
    const auto start = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(spin(static_cast<std::uint64_t>(attempt), kSteps));
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    best_seconds = std::min(best_seconds, took.count());
  }
  return std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(static_cast<double>(kSteps) / (best_seconds * 1e3)));
}

/// Registers a benchmark with named arguments, timed in wall-clock milliseconds, and returns
/// it for further settings. Registration order is run order.
template <class... Setup>
benchmark::internal::Benchmark* add(const std::string& name,
                                    const std::vector<std::string>& arg_names,
                                    const std::vector<std::int64_t>& args, Setup&&... setup) {
  return benchmark::RegisterBenchmark(name.c_str(), std::forward<Setup>(setup)...)
      ->ArgNames(arg_names)
      ->Args(args)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

/// Reports `per_task`: wall-clock seconds per task, `tasks` tasks per iteration.
inline void count_tasks(benchmark::State& state, std::int64_t tasks) {
  state.counters["per_task"] =
      benchmark::Counter(static_cast<double>(tasks), benchmark::Counter::kIsIterationInvariantRate |
                                                         benchmark::Counter::kInvert);
}

/// n tasks of `steps` spin() steps each under TBB, one task per chunk: what the machine gives
/// right now to a scheduler with no per-task bookkeeping. Another tenant's load caps it and
/// joblet alike, so joblet's speed-up is read against it.
inline void spin_tbb_parallel_for(int n, std::uint64_t steps) {
  std::vector<std::uint64_t> results(static_cast<std::size_t>(n));
  std::uint64_t* const out = results.data();
  tbb::parallel_for(
      tbb::blocked_range<int>(0, n, 1),
      [out, steps](const tbb::blocked_range<int>& range) {
        const int end = range.end();
        for (int i = range.begin(); i < end; ++i)
          out[i] = spin(static_cast<std::uint64_t>(i), steps);
      },
      tbb::simple_partitioner{});
  benchmark::DoNotOptimize(results.data());
  benchmark::ClobberMemory();
}

/// Runs `tasks` with joblet and keeps the results.
template <class Tasks>
void spin_joblet(const Tasks& tasks, const joblet::Options& options) {
  auto results = joblet::Parallel(options)(tasks);
  benchmark::DoNotOptimize(results.data());
  benchmark::ClobberMemory();
}

struct Contender {
  std::string name;
  std::function<void()> run;
  int calls = 1;  // calls per timing; the counter is per call
};

/// The unit of the counters run_in_turn reports: their name's suffix and its count per second.
struct TimeUnit {
  const char* suffix;
  double per_second;
};
inline constexpr TimeUnit kMilliseconds{"_ms", 1e3};
inline constexpr TimeUnit kMicroseconds{"_us", 1e6};

/// Times every contender once per iteration, in an order rotated from one iteration to the
/// next: on a shared machine the speed of a core drifts by more than the few per cent at stake
/// between runs made seconds apart. Each contender's mean time per call comes out as a counter
/// "<name><unit suffix>"; the benchmark's own time is their sum.
inline void run_in_turn(benchmark::State& state, const std::vector<Contender>& contenders,
                        TimeUnit unit) {
  static std::size_t rotation = 0;
  std::vector<double> seconds(contenders.size(), 0.0);
  for (auto _ : state) {
    for (std::size_t k = 0; k < contenders.size(); ++k) {
      const std::size_t c = (rotation + k) % contenders.size();
      const auto start = std::chrono::steady_clock::now();
      contenders[c].run();
      seconds[c] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    ++rotation;
  }
  for (std::size_t c = 0; c < contenders.size(); ++c) {
    state.counters[contenders[c].name + unit.suffix] = benchmark::Counter(
        seconds[c] * unit.per_second / contenders[c].calls, benchmark::Counter::kAvgIterations);
  }
}

}  // namespace side_by_side
