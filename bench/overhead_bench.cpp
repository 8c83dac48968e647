// Per-task overhead of joblet's runner against a plain loop, Boost.Asio's thread_pool and TBB,
// and the speed-up it gets on CPU-bound tasks. bench/compare_core.py runs it and turns the
// repetitions into the ratios the targets are about.
//
// The empty-task cases report `per_task`: wall-clock seconds per task (the console prints e.g.
// 12.3ns); the CPU-bound cases report each contender's milliseconds (see run_in_turn).
// Multi-threaded and single-threaded cases alike use real time, so that ratios compare like
// with like.

#include <benchmark/benchmark.h>
#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <joblet/delayed.hpp>
#include <joblet/options.hpp>
#include <joblet/parallel.hpp>
#include <ranges>
#include <string>
#include <utility>
#include <vector>

#include "side_by_side.hpp"

namespace {

using side_by_side::add;
using side_by_side::calibrate_spin_steps_per_ms;
using side_by_side::count_tasks;
using side_by_side::kMilliseconds;
using side_by_side::run_in_turn;
using side_by_side::spin;
using side_by_side::spin_joblet;
using side_by_side::spin_tbb_parallel_for;

// Kept out of line so that every variant pays one real call per task: inlined, the plain loop
// and TBB would turn into a vectorised fill and measure nothing a task runner could match.
[[gnu::noinline]] int identity(int i) {
  return i;
}

// Set once in main, before any benchmark runs.
std::uint64_t g_spin_steps_per_ms = 0;

joblet::Options threads(int n_jobs, int batch_size = 0) {
  return {.n_jobs = n_jobs, .backend = joblet::Backend::threads, .batch_size = batch_size};
}

auto identity_tasks(int n) {
  std::vector<decltype(joblet::delayed(identity, 0))> tasks;
  tasks.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    tasks.push_back(joblet::delayed(identity, i));
  return tasks;
}

auto spin_tasks(int n, std::uint64_t steps) {
  std::vector<decltype(joblet::delayed(spin, std::uint64_t{}, std::uint64_t{}))> tasks;
  tasks.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    tasks.push_back(joblet::delayed(spin, static_cast<std::uint64_t>(i), steps));
  return tasks;
}

// --- empty tasks -------------------------------------------------------------------------

void empty_plain_loop(benchmark::State& state) {
  const auto n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    std::vector<int> results(static_cast<std::size_t>(n));
    int* const out = results.data();
    for (int i = 0; i < n; ++i)
      out[i] = identity(i);
    benchmark::DoNotOptimize(results.data());
    benchmark::ClobberMemory();
  }
  count_tasks(state, n);
}

// `options` decides the backend; the tasks sit in a std::vector, so batches run in place.
void empty_joblet_vector(benchmark::State& state, const joblet::Options& options) {
  const auto tasks = identity_tasks(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto results = joblet::Parallel(options)(tasks);
    benchmark::DoNotOptimize(results.data());
    benchmark::ClobberMemory();
  }
  count_tasks(state, state.range(0));
}

// The tasks are made on demand by a lazy view, so batches hold copies taken from it.
void empty_joblet_lazy(benchmark::State& state, const joblet::Options& options) {
  const auto n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    auto tasks = std::views::iota(0, n) |
                 std::views::transform([](int i) { return joblet::delayed(identity, i); });
    auto results = joblet::Parallel(options)(tasks);
    benchmark::DoNotOptimize(results.data());
    benchmark::ClobberMemory();
  }
  count_tasks(state, n);
}

// One post per task to a pool kept across iterations, as a thread-pool user would write it. The
// counter outlives the pool, so the last job may still notify it after the wait returns.
void empty_asio_post(benchmark::State& state) {
  const auto n = static_cast<int>(state.range(0));
  std::atomic<int> remaining{0};
  boost::asio::thread_pool pool(2);
  for (auto _ : state) {
    std::vector<int> results(static_cast<std::size_t>(n));
    int* const out = results.data();
    remaining.store(n, std::memory_order_relaxed);
    for (int i = 0; i < n; ++i) {
      boost::asio::post(pool, [out, i, &remaining] {
        out[i] = identity(i);
        if (remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) remaining.notify_one();
      });
    }
    for (int left = remaining.load(std::memory_order_acquire); left != 0;
         left = remaining.load(std::memory_order_acquire)) {
      remaining.wait(left, std::memory_order_acquire);
    }
    benchmark::DoNotOptimize(results.data());
    benchmark::ClobberMemory();
  }
  pool.join();
  count_tasks(state, n);
}

template <class Partitioner>
void empty_tbb_parallel_for(benchmark::State& state, std::size_t grain) {
  const auto n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    std::vector<int> results(static_cast<std::size_t>(n));
    int* const out = results.data();
    tbb::parallel_for(
        tbb::blocked_range<int>(0, n, grain),
        [out](const tbb::blocked_range<int>& range) {
          const int end = range.end();
          for (int i = range.begin(); i < end; ++i)
            out[i] = identity(i);
        },
        Partitioner{});
    benchmark::DoNotOptimize(results.data());
    benchmark::ClobberMemory();
  }
  count_tasks(state, n);
}

// The same joblet::Delayed tasks as joblet runs, each called through its stored function
// pointer, under TBB's default partitioner: the same work per index, TBB's scheduling.
void empty_tbb_same_tasks(benchmark::State& state) {
  const auto tasks = identity_tasks(static_cast<int>(state.range(0)));
  const auto n = static_cast<int>(tasks.size());
  for (auto _ : state) {
    std::vector<int> results(tasks.size());
    int* const out = results.data();
    const auto* const task = tasks.data();
    tbb::parallel_for(tbb::blocked_range<int>(0, n),
                      [out, task](const tbb::blocked_range<int>& range) {
                        const int end = range.end();
                        for (int i = range.begin(); i < end; ++i)
                          out[i] = task[i]();
                      });
    benchmark::DoNotOptimize(results.data());
    benchmark::ClobberMemory();
  }
  count_tasks(state, n);
}

// --- CPU-bound tasks ---------------------------------------------------------------------
//
// Cases whose ratio matters are timed in turn inside one benchmark, in an order rotated from
// run to run: on a shared machine the speed of a core drifts by more than the few per cent at
// stake between runs made seconds apart. Each case's mean wall time per iteration comes out
// as a counter "<case>_ms"; the benchmark's own time is their sum.

// Args: number of tasks, milliseconds of spinning per task.
std::uint64_t spin_steps(const benchmark::State& state) {
  return g_spin_steps_per_ms * static_cast<std::uint64_t>(state.range(1));
}

void spin_plain_loop(int n, std::uint64_t steps) {
  std::vector<std::uint64_t> results(static_cast<std::size_t>(n));
  std::uint64_t* const out = results.data();
  for (int i = 0; i < n; ++i)
    out[i] = spin(static_cast<std::uint64_t>(i), steps);
  benchmark::DoNotOptimize(results.data());
  benchmark::ClobberMemory();
}

// n_jobs = 1 and n_jobs = 2 on the same tasks, and TBB as the machine's yardstick.
void spin_speedup(benchmark::State& state) {
  const auto n = static_cast<int>(state.range(0));
  const std::uint64_t steps = spin_steps(state);
  const auto tasks = spin_tasks(n, steps);
  run_in_turn(state,
              {{"jobs1", [&tasks] { spin_joblet(tasks, {.n_jobs = 1}); }},
               {"jobs2", [&tasks] { spin_joblet(tasks, threads(2)); }},
               {"tbb", [n, steps] { spin_tbb_parallel_for(n, steps); }}},
              kMilliseconds);
}

// joblet n_jobs = 1 against the plain loop it replaces.
void spin_sequential_overhead(benchmark::State& state) {
  const auto n = static_cast<int>(state.range(0));
  const std::uint64_t steps = spin_steps(state);
  const auto tasks = spin_tasks(n, steps);
  run_in_turn(state,
              {{"plain_loop", [n, steps] { spin_plain_loop(n, steps); }},
               {"jobs1", [&tasks] { spin_joblet(tasks, {.n_jobs = 1}); }}},
              kMilliseconds);
}

constexpr std::int64_t kEmptyTasks = 1'000'000;
// A batch of one costs microseconds per task; fewer tasks keep the case to a fraction of a
// second.
constexpr std::int64_t kEmptyTasksBatchOne = 20'000;
constexpr std::int64_t kSpinTasks = 200;

void register_benchmarks() {
  const joblet::Options jobs1{.n_jobs = 1};
  const std::vector<std::string> spin_args{"tasks", "ms"};
  add("spin/speedup", spin_args, {kSpinTasks, 5}, spin_speedup);
  add("spin/sequential_overhead", spin_args, {kSpinTasks, 1}, spin_sequential_overhead);

  const std::vector<std::string> tasks{"tasks"};
  add("empty/plain_loop", tasks, {kEmptyTasks}, empty_plain_loop);
  add("empty/joblet_jobs1", tasks, {kEmptyTasks}, empty_joblet_vector, jobs1);
  add("empty/asio_post", tasks, {kEmptyTasks}, empty_asio_post);
  add("empty/joblet_threads_jobs2_batch1", tasks, {kEmptyTasksBatchOne}, empty_joblet_vector,
      threads(2, 1));
  add("empty/joblet_threads_jobs2_lazy", tasks, {kEmptyTasks}, empty_joblet_lazy, threads(2));
  add("empty/joblet_threads_jobs2", tasks, {kEmptyTasks}, empty_joblet_vector, threads(2));
  add("empty/tbb_parallel_for_auto", tasks, {kEmptyTasks},
      empty_tbb_parallel_for<tbb::auto_partitioner>, std::size_t{1});
  add("empty/tbb_parallel_for_same_tasks", tasks, {kEmptyTasks}, empty_tbb_same_tasks);
  add("empty/tbb_parallel_for_simple_grain1", tasks, {kEmptyTasks},
      empty_tbb_parallel_for<tbb::simple_partitioner>, std::size_t{1});
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  g_spin_steps_per_ms = calibrate_spin_steps_per_ms();
  benchmark::AddCustomContext("spin_steps_per_ms", std::to_string(g_spin_steps_per_ms));
#ifndef __OPTIMIZE__
  benchmark::AddCustomContext("overhead_bench_warning",
                              "built without optimisation: configure with "
                              "-DCMAKE_BUILD_TYPE=Release");
#endif
  // Every contender gets the two workers joblet's n_jobs=2 gets, on a machine of any size.
  const tbb::global_control two_workers(tbb::global_control::max_allowed_parallelism, 2);
  register_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
