// Time to the first result in a fresh program: joblet::init, then a first processes run, timed
// until its results are back. bench/compare_processes.py starts it many times, each a fresh
// process, since only the first run of a program pays for starting the workers.
//
//     first_result 1 [LAUNCHED_NS]      one task on n_jobs = 1 (one worker process)
//     first_result 2 [LAUNCHED_NS]      two tasks on n_jobs = 2: tiny tasks, which the first
//                                       worker runs both before a second one would start
//     first_result 2-long [LAUNCHED_NS] two tasks of 20 ms of computing on n_jobs = 2, which
//                                       need both workers: first_ms - 20 is what starting them
//                                       cost the call
//
// LAUNCHED_NS: the launcher's CLOCK_MONOTONIC reading in nanoseconds just before it started
// this program (Python's time.monotonic_ns()), so that exec, dynamic linking and static
// initialisation are counted too.
//
// Prints one JSON object on stdout, times in milliseconds:
//   init_ms     joblet::init (forks the fork server), measured from the first line of main
//   first_ms    the first Parallel call: workers forked, tasks sent, results back
//   second_ms   the same call again at once, on the workers the first one started: the round
//               trip alone, so first_ms - second_ms is about what starting the workers cost
//   total_ms    from the first line of main to the first result (init_ms + first_ms)
//   since_launch_ms  from LAUNCHED_NS to the first result (only when LAUNCHED_NS is given)

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <joblet/delayed.hpp>
#include <joblet/init.hpp>
#include <joblet/options.hpp>
#include <joblet/parallel.hpp>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[gnu::noinline]] int add_one(int i) {
  return i + 1;
}

constexpr auto kLongTask = std::chrono::milliseconds(20);

/// add_one after computing for kLongTask.
[[gnu::noinline]] int add_one_slowly(int i) {
  const auto until = Clock::now() + kLongTask;
  volatile unsigned spins = 0;
  while (Clock::now() < until)
    spins = spins + 1;
  return i + 1;
}

double ms_between(Clock::time_point start, Clock::time_point end) {
  return std::chrono::duration<double, std::milli>(end - start).count();
}

/// CLOCK_MONOTONIC in nanoseconds, the clock a launcher's reading refers to (steady_clock's
/// epoch is not specified to be the same).
long long monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<long long>(now.tv_sec) * 1'000'000'000LL + now.tv_nsec;
}

/// Runs `tasks` tasks on `tasks` workers; false if a result is wrong.
bool run(int tasks, bool long_tasks) {
  std::vector<decltype(joblet::delayed(add_one, 0))> work;
  work.reserve(static_cast<std::size_t>(tasks));
  for (int i = 0; i < tasks; ++i)
    work.push_back(joblet::delayed(long_tasks ? add_one_slowly : add_one, 40 + i));
  const auto results =
      joblet::Parallel({.n_jobs = tasks, .backend = joblet::Backend::processes})(work);
  for (int i = 0; i < tasks; ++i) {
    if (results.at(static_cast<std::size_t>(i)) != 41 + i) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const auto start = Clock::now();
  joblet::init(argc, argv);
  const auto initialised = Clock::now();

  const std::string_view mode = argc > 1 ? argv[1] : "1";
  if (mode != "1" && mode != "2" && mode != "2-long") {
    (void)std::fputs(
        "usage: first_result [1|2|2-long] [LAUNCHED_NS]  (1 task on 1 worker, 2 on 2 workers, "
        "2 tasks of 20 ms on 2 workers)\n",
        stderr);
    return 2;
  }
  const int tasks = mode == "1" ? 1 : 2;
  const bool long_tasks = mode == "2-long";
  try {
    const bool first_ok = run(tasks, long_tasks);
    const auto first_done = Clock::now();
    const long long first_done_ns = monotonic_ns();
    const bool second_ok = run(tasks, long_tasks);
    const auto second_done = Clock::now();
    if (!first_ok || !second_ok) {
      (void)std::fputs("first_result: wrong results\n", stderr);
      return 1;
    }
    std::printf(
        "{\"tasks\": %d, \"workers\": %d, \"init_ms\": %.4f, \"first_ms\": %.4f, "
        "\"second_ms\": %.4f, \"total_ms\": %.4f",
        tasks, tasks, ms_between(start, initialised), ms_between(initialised, first_done),
        ms_between(first_done, second_done), ms_between(start, first_done));
    if (argc > 2) {
      const long long launched = std::strtoll(argv[2], nullptr, 10);
      std::printf(", \"since_launch_ms\": %.4f",
                  static_cast<double>(first_done_ns - launched) / 1e6);
    }
    std::puts("}");
  } catch (const std::exception& error) {
    (void)std::fprintf(stderr, "first_result: %s\n", error.what());
    return 1;
  }
  return 0;
}
