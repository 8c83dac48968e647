// The processes backend against the raw limit of its transport: per-task overhead on empty
// tasks, a 1 MiB argument sent to a worker and returned (results kept, and results taken one
// at a time), and the speed-up on CPU-bound tasks.
// bench/compare_processes.py runs it beside joblib (loky, multiprocessing) and first_result,
// and turns the repetitions into the ratios the targets are about.
//
// The raw limit is measured here too, by a child this program forks itself and that echoes
// fixed-size messages over an AF_UNIX socketpair (the transport joblet's workers use): a small
// message's round trip, 1 MiB there and back into one reused buffer, and 1 MiB there and back
// into a new buffer per round trip, kept as a run keeps its results.
//
// Every case reports `per_task`: wall-clock seconds per task, or per round trip for the raw
// cases. The CPU-bound cases report each contender's milliseconds (see run_in_turn).

#include <benchmark/benchmark.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <joblet/delayed.hpp>
#include <joblet/init.hpp>
#include <joblet/options.hpp>
#include <joblet/parallel.hpp>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
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

// Out of line, so that every variant pays one real call per task.
[[gnu::noinline]] int identity(int i) {
  return i;
}

// The argument round trip: the worker receives the bytes and sends the same bytes back.
[[gnu::noinline]] std::string echo(const std::string& bytes) {
  return bytes;
}

// Set once in main, before any benchmark runs.
std::uint64_t g_spin_steps_per_ms = 0;

joblet::Options processes(int n_jobs, int batch_size = 0) {
  return {.n_jobs = n_jobs, .backend = joblet::Backend::processes, .batch_size = batch_size};
}

joblet::Options threads(int n_jobs) {
  return {.n_jobs = n_jobs, .backend = joblet::Backend::threads};
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

// --- the raw transport: a forked child echoing over a socketpair ----------------------------

// Only read(2) and write(2): the child of a program that may already run threads (TBB's) must
// keep to async-signal-safe calls.
bool write_exact(int fd, const std::byte* data, std::size_t size) {
  while (size > 0) {
    const ssize_t sent = write(fd, data, size);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    data += sent;
    size -= static_cast<std::size_t>(sent);
  }
  return true;
}

bool read_exact(int fd, std::byte* data, std::size_t size) {
  while (size > 0) {
    const ssize_t got = read(fd, data, size);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    data += got;
    size -= static_cast<std::size_t>(got);
  }
  return true;
}

/// A child process that reads messages of a fixed size and writes each one back, over an
/// AF_UNIX stream socketpair with default buffers (as joblet's workers have), until the parent
/// closes its end.
class EchoChild {
 public:
  explicit EchoChild(std::size_t message_bytes) : buffer_(message_bytes) {
    std::array<int, 2> ends{};
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends.data()) != 0) {
      throw std::system_error(errno, std::generic_category(), "socketpair");
    }
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ < 0) throw std::system_error(errno, std::generic_category(), "fork");
    if (pid_ == 0) {
      close(ends[0]);
      if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(1);
      while (read_exact(ends[1], buffer_.data(), buffer_.size()) &&
             write_exact(ends[1], buffer_.data(), buffer_.size())) {
      }
      _exit(0);
    }
    close(ends[1]);
    socket_ = ends[0];
  }

  EchoChild(const EchoChild&) = delete;
  EchoChild& operator=(const EchoChild&) = delete;
  EchoChild(EchoChild&&) = delete;
  EchoChild& operator=(EchoChild&&) = delete;

  ~EchoChild() {
    close(socket_);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }

  /// Sends `message` (of the size given at construction) and reads the echo into `reply`.
  void round_trip(std::span<const std::byte> message, std::span<std::byte> reply) const {
    if (!write_exact(socket_, message.data(), message.size()) ||
        !read_exact(socket_, reply.data(), reply.size())) {
      throw std::runtime_error("the echo child is gone");
    }
  }

 private:
  std::vector<std::byte> buffer_;  // the child's; allocated before the fork
  int socket_ = -1;
  pid_t pid_ = -1;
};

// Args: message size in bytes. One iteration is one round trip.
void raw_socketpair_round_trip(benchmark::State& state) {
  const auto bytes = static_cast<std::size_t>(state.range(0));
  const EchoChild child(bytes);
  std::vector<std::byte> message(bytes, std::byte{0x5a});
  std::vector<std::byte> reply(bytes);
  child.round_trip(message, reply);  // the child is running and its pages are touched
  for (auto _ : state) {
    child.round_trip(message, reply);
    benchmark::DoNotOptimize(reply.data());
    benchmark::ClobberMemory();
  }
  if (reply != message) state.SkipWithError("the echo differs from the message");
  count_tasks(state, 1);
}

// Args: round trips per iteration, bytes per message. Each reply is read into a new buffer
// that is kept until the iteration ends, as a run keeps every task's result until the caller
// drops them: the raw limit for results that need memory of their own, page faults included.
void raw_socketpair_round_trip_kept(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto bytes = static_cast<std::size_t>(state.range(1));
  const EchoChild child(bytes);
  const std::vector<std::byte> message(bytes, std::byte{0x5a});
  std::vector<std::unique_ptr<std::byte[]>> replies;
  replies.reserve(n);
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i) {
      replies.push_back(std::make_unique_for_overwrite<std::byte[]>(bytes));
      child.round_trip(message, {replies.back().get(), bytes});
    }
    benchmark::DoNotOptimize(replies.data());
    benchmark::ClobberMemory();
    replies.clear();
  }
  count_tasks(state, state.range(0));
}

// --- joblet processes ---------------------------------------------------------------------

// Each Parallel call leases the workers from the pool that outlives calls; the run before the
// timed ones forks them, so the cases measure warm workers (as joblib's reused executor).
void empty_joblet(benchmark::State& state, const joblet::Options& options) {
  const auto tasks = identity_tasks(static_cast<int>(state.range(0)));
  const auto first = joblet::Parallel(options)(tasks);
  if (first.size() != tasks.size() || first.back() != static_cast<int>(tasks.size()) - 1) {
    state.SkipWithError("wrong results");
    return;
  }
  for (auto _ : state) {
    auto results = joblet::Parallel(options)(tasks);
    benchmark::DoNotOptimize(results.data());
    benchmark::ClobberMemory();
  }
  count_tasks(state, state.range(0));
}

// Args: tasks, bytes per argument. Each task receives a std::string of that size and returns
// it unchanged, so the same bytes go to the worker and come back.
void blob_joblet(benchmark::State& state, const joblet::Options& options) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto bytes = static_cast<std::size_t>(state.range(1));
  std::vector<decltype(joblet::delayed(echo, std::string{}))> tasks;
  tasks.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    tasks.push_back(joblet::delayed(echo, std::string(bytes, static_cast<char>('a' + i % 26))));
  const auto first = joblet::Parallel(options)(tasks);
  for (std::size_t i = 0; i < n; ++i) {
    if (first.at(i) != std::get<0>(tasks[i].arguments())) {
      state.SkipWithError("the echo differs from the argument");
      return;
    }
  }
  for (auto _ : state) {
    auto results = joblet::Parallel(options)(tasks);
    benchmark::DoNotOptimize(results.data());
    benchmark::ClobberMemory();
  }
  count_tasks(state, state.range(0));
}

// Args: tasks, bytes per argument. The 1 MiB round trip's target ratio, its two sides timed
// in turn within each iteration (run_in_turn): `tasks` raw round trips into one reused
// buffer, and a joblet call on one worker (batch_size=1) whose `tasks` results are taken one
// at a time (imap), each dropped before the next, so that both sides hold one message at a
// time. Each counter is microseconds per round trip or task.
void blob_in_turn(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto bytes = static_cast<std::size_t>(state.range(1));
  const EchoChild child(bytes);
  const std::vector<std::byte> message(bytes, std::byte{0x5a});
  std::vector<std::byte> reply(bytes);
  std::vector<decltype(joblet::delayed(echo, std::string{}))> tasks;
  tasks.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    tasks.push_back(joblet::delayed(echo, std::string(bytes, static_cast<char>('a' + i % 26))));
  const joblet::Options one_worker = processes(1, 1);
  for (auto& [index, result] : joblet::Parallel(one_worker).imap(tasks)) {
    if (result != std::get<0>(tasks[index].arguments())) {
      state.SkipWithError("the echo differs from the argument");
      return;
    }
  }
  const int calls = static_cast<int>(n);
  run_in_turn(state,
              {{"raw",
                [&] {
                  for (std::size_t i = 0; i < n; ++i)
                    child.round_trip(message, reply);
                },
                calls},
               {"joblet",
                [&] {
                  for (auto& [index, result] : joblet::Parallel(one_worker).imap(tasks))
                    benchmark::DoNotOptimize(result.data());
                },
                calls}},
              side_by_side::kMicroseconds);
}

// --- CPU-bound tasks ---------------------------------------------------------------------
//
// Cases whose ratio matters are timed in turn inside one benchmark, in an order rotated from
// run to run; each case's mean wall time per iteration comes out as a counter "<case>_ms".

// Args: tasks, milliseconds of spinning per task. n_jobs = 1 (inline) against processes and
// threads on 2 workers, and TBB as the machine's yardstick.
void spin_speedup(benchmark::State& state) {
  const auto n = static_cast<int>(state.range(0));
  const std::uint64_t steps = g_spin_steps_per_ms * static_cast<std::uint64_t>(state.range(1));
  const auto tasks = spin_tasks(n, steps);
  spin_joblet(tasks, processes(2));  // the workers exist before the first timed run
  run_in_turn(state,
              {{"jobs1", [&tasks] { spin_joblet(tasks, {.n_jobs = 1}); }},
               {"processes2", [&tasks] { spin_joblet(tasks, processes(2)); }},
               {"threads2", [&tasks] { spin_joblet(tasks, threads(2)); }},
               {"tbb", [n, steps] { spin_tbb_parallel_for(n, steps); }}},
              kMilliseconds);
}

constexpr std::int64_t kSmallMessage = 64;
constexpr std::int64_t kMiB = std::int64_t{1} << 20U;
constexpr std::int64_t kBlobTasks = 64;
constexpr std::int64_t kBatchOneTasks = 10'000;
constexpr std::int64_t kSpinTasks = 200;

void register_benchmarks() {
  const std::vector<std::string> bytes{"bytes"};
  const std::vector<std::string> tasks{"tasks"};
  const std::vector<std::string> blobs{"tasks", "bytes"};
  add("raw/socketpair_round_trip", bytes, {kSmallMessage}, raw_socketpair_round_trip);
  add("raw/socketpair_round_trip", bytes, {kMiB}, raw_socketpair_round_trip);
  add("raw/socketpair_round_trip_kept", blobs, {kBlobTasks, kMiB}, raw_socketpair_round_trip_kept);

  for (const std::int64_t n : {10'000, 100'000, 1'000'000})
    add("empty/processes2_auto", tasks, {n}, empty_joblet, processes(2));
  add("empty/processes2_batch1", tasks, {kBatchOneTasks}, empty_joblet, processes(2, 1));
  // Fixed batch sizes: where the per-task cost goes when batches are large.
  for (const int batch : {64, 1024, 16384}) {
    add("empty/processes2_batch" + std::to_string(batch), tasks, {1'000'000}, empty_joblet,
        processes(2, batch));
  }

  add("blob/processes2_auto", blobs, {kBlobTasks, kMiB}, blob_joblet, processes(2));
  add("blob/processes2_batch1", blobs, {kBlobTasks, kMiB}, blob_joblet, processes(2, 1));
  add("blob/processes1_batch1", blobs, {kBlobTasks, kMiB}, blob_joblet, processes(1, 1));
  // Enough iterations per repetition for the alternation to even out the machine's drift.
  add("blob/in_turn", blobs, {kBlobTasks, kMiB}, blob_in_turn)->MinTime(1.0);

  add("spin/speedup", {"tasks", "ms"}, {kSpinTasks, 5}, spin_speedup);
}

}  // namespace

int main(int argc, char** argv) {
  joblet::init(argc, argv);  // the fork server, before Google Benchmark or TBB start a thread
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  g_spin_steps_per_ms = calibrate_spin_steps_per_ms();
  benchmark::AddCustomContext("spin_steps_per_ms", std::to_string(g_spin_steps_per_ms));
#ifndef __OPTIMIZE__
  benchmark::AddCustomContext("processes_bench_warning",
                              "built without optimisation: configure with "
                              "-DCMAKE_BUILD_TYPE=Release");
#endif
  // TBB, the machine's yardstick, gets the two workers the processes backend gets.
  const tbb::global_control two_workers(tbb::global_control::max_allowed_parallelism, 2);
  register_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
