// Worker processes that crash or outlast Options::timeout: each failure is a WorkerCrashed or a
// TaskTimeout naming its task, the pool replaces the worker, and under try_run the sweep goes
// on with every other result intact.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <ostream>
#include <ranges>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

#include "helpers/process_watch.hpp"
#include "joblet/joblet.hpp"
#include "processes/fork_server.hpp"
#include "support/thrown.hpp"
#include "support/worker_pids.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using joblet::testing::children_of;
using joblet::testing::fork_server_children;
using joblet::testing::is_alive;
using joblet::testing::proc_stat;
using joblet::testing::worker_pids;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

/// How a worker ended: the signal that killed it, or 0 and its exit status.
struct Ending {
  int signal = 0;
  int exit_code = 0;

  /// What WorkerCrashed::what() says about it.
  [[nodiscard]] std::string text() const {
    if (signal == 0) return "exited with status " + std::to_string(exit_code);
    return std::string("SIG") + sigabbrev_np(signal);
  }
};

/// The sanitizers handle SIGSEGV themselves: they report the fault and exit with their
/// exitcode (AddressSanitizer 1, ThreadSanitizer 66), so there the worker exits.
constexpr Ending kSegfaultEnding =
#if defined(__SANITIZE_ADDRESS__)
    {0, 1};
#elif defined(__SANITIZE_THREAD__)
    {0, 66};
#else
    {SIGSEGV, 0};
#endif

constexpr int kExitCode = 3;

/// How soon a crash must be reported. Under the sanitizers a crashing worker first writes a
/// symbolized report, which took 2.3 s on a loaded machine; they still catch a hang.
constexpr std::chrono::milliseconds kCrashReportLimit = kSanitized ? 20s : 1s;

/// Tasks 3, 13, 23, ... crash; the others return value_at(task).
bool crashes(int task) {
  return task % 10 == 3;
}
constexpr int kFirstCrash = 3;

int value_at(int task) {
  return task * task + 1;
}

int raise_sigsegv(int task) {
  if (crashes(task)) (void)std::raise(SIGSEGV);
  return value_at(task);
}

int write_to_the_first_page(int task) {
  if (crashes(task)) {
    // What a write through a null struct pointer does: the first page is never mapped. Not
    // address 0 itself, which UndefinedBehaviorSanitizer would report before the fault.
    volatile std::uintptr_t address = 8;
    *reinterpret_cast<volatile int*>(address) = task;  // NOLINT(*-reinterpret-cast,*-int-to-ptr)
  }
  return value_at(task);
}

int call_abort(int task) {
  if (crashes(task)) std::abort();
  return value_at(task);
}

int send_itself_sigkill(int task) {
  if (crashes(task)) ::kill(::getpid(), SIGKILL);
  return value_at(task);
}

int exit_with_3(int task) {
  if (crashes(task)) std::exit(kExitCode);  // NOLINT(concurrency-mt-unsafe): a worker's own end
  return value_at(task);
}

int call_terminate(int task) {
  if (crashes(task)) std::terminate();
  return value_at(task);
}

struct CrashKind {
  const char* name;
  int (*task)(int);
  const char* function;
  Ending ending;
};

void PrintTo(const CrashKind& kind, std::ostream* out) {
  *out << kind.function;
}

const std::array kCrashKinds{
    CrashKind{"SegfaultRaised", raise_sigsegv, "raise_sigsegv", kSegfaultEnding},
    CrashKind{"SegfaultWritten", write_to_the_first_page, "write_to_the_first_page",
              kSegfaultEnding},
    CrashKind{"Abort", call_abort, "call_abort", {SIGABRT, 0}},
    CrashKind{"Sigkill", send_itself_sigkill, "send_itself_sigkill", {SIGKILL, 0}},
    CrashKind{"Exit", exit_with_3, "exit_with_3", {0, kExitCode}},
    CrashKind{"Terminate", call_terminate, "call_terminate", {SIGABRT, 0}},
};

joblet::Options two_workers() {
  return {.n_jobs = 2, .backend = joblet::Backend::processes};
}

/// Whether `error` is a WorkerCrashed for `task` that ended as `ending`; says why not.
::testing::AssertionResult is_crash(const joblet::TaskError& error, int task, Ending ending) {
  const auto* crash = dynamic_cast<const joblet::WorkerCrashed*>(&error);
  if (crash == nullptr) return ::testing::AssertionFailure() << "not a crash: " << error.what();
  if (crash->index() != static_cast<std::size_t>(task) || crash->signal() != ending.signal ||
      (ending.signal == 0 && crash->exit_code() != ending.exit_code) ||
      std::string(crash->what()).find(ending.text()) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "expected task " << task << " to end with " << ending.text() << "; got "
           << crash->what() << " (signal " << crash->signal() << ", exit code "
           << crash->exit_code() << ")";
  }
  return ::testing::AssertionSuccess();
}

class Crash : public ::testing::TestWithParam<CrashKind> {};

TEST_P(Crash, IsAWorkerCrashedNamingTaskFunctionAndCauseWithinASecond) {
  const CrashKind& kind = GetParam();
  const auto begin = Clock::now();
  const auto crash = joblet::testing::thrown<joblet::WorkerCrashed>([&kind] {
    joblet::Parallel(two_workers()).map(kind.task, std::views::iota(0, kFirstCrash + 1));
  });
  const auto elapsed = Clock::now() - begin;
  if (!crash) {
    ADD_FAILURE() << "no WorkerCrashed";
    return;
  }
  EXPECT_TRUE(is_crash(*crash, kFirstCrash, kind.ending));
  EXPECT_TRUE(crash->task_name().ends_with(kind.function)) << crash->task_name();
  EXPECT_LT(elapsed, kCrashReportLimit);
}

TEST_P(Crash, TheNextCallWorks) {
  const CrashKind& kind = GetParam();
  EXPECT_THROW(joblet::Parallel(two_workers()).map(kind.task, std::views::iota(0, kFirstCrash + 1)),
               joblet::WorkerCrashed);
  const auto tasks = std::views::iota(kFirstCrash + 1, kFirstCrash + 10);
  EXPECT_EQ(joblet::Parallel(two_workers()).map(kind.task, tasks),
            joblet::Parallel(1).map(kind.task, tasks));
}

TEST_P(Crash, UnderTryRunIsThatTasksOutcomeAndTheSweepGoesOn) {
  const CrashKind& kind = GetParam();
  constexpr int kTasks = 40;
  const auto outcomes =
      joblet::Parallel(two_workers()).try_map(kind.task, std::views::iota(0, kTasks));
  const auto expected = joblet::Parallel(1).map(value_at, std::views::iota(0, kTasks));
  ASSERT_EQ(outcomes.size(), expected.size());
  for (int i = 0; i < kTasks; ++i) {
    if (crashes(i)) {
      ASSERT_FALSE(outcomes[i]) << i;
      EXPECT_TRUE(is_crash(outcomes[i].error(), i, kind.ending));
    } else {
      ASSERT_TRUE(outcomes[i]) << outcomes[i].error().what();
      EXPECT_EQ(*outcomes[i], expected[i]) << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, Crash, ::testing::ValuesIn(kCrashKinds),
                         [](const ::testing::TestParamInfo<CrashKind>& kind) {
                           return std::string(kind.param.name);
                         });

TEST(CrashUnderTryRun, TheTasksQueuedBehindTheCrashStillRun) {
  // One worker, batches of one task: the second batch waits in the parent while the first
  // crashes the only worker, and must then go to its replacement.
  const CrashKind& kind = kCrashKinds[2];
  const std::vector<int> tasks{kFirstCrash, kFirstCrash + 1};
  const auto outcomes =
      joblet::Parallel({.n_jobs = 1, .backend = joblet::Backend::processes, .batch_size = 1})
          .try_map(kind.task, tasks);
  ASSERT_EQ(outcomes.size(), 2U);
  ASSERT_FALSE(outcomes[0]);
  EXPECT_TRUE(is_crash(outcomes[0].error(), 0, kind.ending));
  ASSERT_TRUE(outcomes[1]) << outcomes[1].error().what();
  EXPECT_EQ(*outcomes[1], value_at(kFirstCrash + 1));
}

pid_t own_pid(int /*task*/) {
  return getpid();
}

constexpr auto kTimeout = 200ms;

/// Tasks 2, 12, 22, ... sleep far past kTimeout.
bool sleeps(int task) {
  return task % 10 == 2;
}

int sleep_at_two(int task) {
  if (sleeps(task)) std::this_thread::sleep_for(10s);  // the task outlasts its timeout
  return value_at(task);
}

int sleep_150ms(int task) {
  std::this_thread::sleep_for(150ms);  // the task takes half the timeout of its test
  return value_at(task);
}

TEST(WorkerTimeout, ATaskThatSleepsPastItBecomesTaskTimeoutAndItsWorkerIsReplaced) {
  const auto before = worker_pids(2);
  ASSERT_EQ(before.size(), 2U);
  const auto begin = Clock::now();
  const auto timeout = joblet::testing::thrown<joblet::TaskTimeout>([] {
    joblet::Parallel(
        {.n_jobs = 2, .backend = joblet::Backend::processes, .batch_size = 1, .timeout = kTimeout})
        .map(sleep_at_two, std::views::iota(0, 3));
  });
  const auto elapsed = Clock::now() - begin;
  if (!timeout) {
    ADD_FAILURE() << "no TaskTimeout";
    return;
  }
  EXPECT_EQ(timeout->index(), 2U);
  EXPECT_EQ(timeout->timeout(), kTimeout);
  EXPECT_TRUE(timeout->task_name().ends_with("sleep_at_two")) << timeout->task_name();
  EXPECT_GE(elapsed, kTimeout);
  EXPECT_LT(elapsed, 5s) << "the call waited for the task instead of killing it";

  // The other worker was idle: only the one that ran the task was killed.
  const auto after = worker_pids(2);
  std::vector<pid_t> gone;
  std::ranges::set_difference(before, after, std::back_inserter(gone));
  ASSERT_EQ(gone.size(), 1U);
  EXPECT_FALSE(is_alive(gone[0]));
  EXPECT_FALSE(fork_server_children().contains(gone[0])) << "the killed worker was not reaped";
  EXPECT_EQ(after.size(), 2U);
}

TEST(WorkerTimeout, UnderTryRunTheOtherTasksGoOn) {
  constexpr int kTasks = 30;
  const auto begin = Clock::now();
  const auto outcomes = joblet::Parallel({.n_jobs = 2,
                                          .backend = joblet::Backend::processes,
                                          .batch_size = 1,
                                          .timeout = kTimeout})
                            .try_map(sleep_at_two, std::views::iota(0, kTasks));
  const auto elapsed = Clock::now() - begin;
  const auto expected = joblet::Parallel(1).map(value_at, std::views::iota(0, kTasks));
  for (int i = 0; i < kTasks; ++i) {
    if (sleeps(i)) {
      ASSERT_FALSE(outcomes[i]) << i;
      const auto* timeout = dynamic_cast<const joblet::TaskTimeout*>(&outcomes[i].error());
      ASSERT_NE(timeout, nullptr) << outcomes[i].error().what();
      EXPECT_EQ(timeout->index(), static_cast<std::size_t>(i));
    } else {
      ASSERT_TRUE(outcomes[i]) << outcomes[i].error().what();
      EXPECT_EQ(*outcomes[i], expected[i]) << i;
    }
  }
  EXPECT_LT(elapsed, 5s) << "the call waited for the sleeping tasks";
}

TEST(WorkerTimeout, CountsOnlyTheTasksOwnTimeNotItsWaitInTheBatch) {
  constexpr int kBatch = 4;
  constexpr int kTasks = 2 * kBatch;
  const auto begin = Clock::now();
  const auto outcomes = joblet::Parallel({.n_jobs = 2,
                                          .backend = joblet::Backend::processes,
                                          .batch_size = kBatch,
                                          .timeout = 300ms})
                            .try_map(sleep_150ms, std::views::iota(0, kTasks));
  const auto elapsed = Clock::now() - begin;
  const auto expected = joblet::Parallel(1).map(value_at, std::views::iota(0, kTasks));
  for (int i = 0; i < kTasks; ++i) {
    ASSERT_TRUE(outcomes[i]) << outcomes[i].error().what();
    EXPECT_EQ(*outcomes[i], expected[i]);
  }
  // Each worker ran a whole batch, twice the timeout, in one go.
  EXPECT_GE(elapsed, kBatch * 150ms);
}

// A worker that holds a batch but never starts a task of it (here: stopped before the run sent
// it one) would keep the run waiting forever: it is killed after a timeout without starting a
// task, and its batch goes to a replacement.
TEST(WorkerTimeout, AWorkerThatStartsNoTaskOfItsBatchIsReplacedAndTheRunFinishes) {
  const auto before = worker_pids(1);
  ASSERT_EQ(before.size(), 1U);
  const pid_t stopped = *before.begin();
  ASSERT_EQ(kill(stopped, SIGSTOP), 0);
  const auto outcomes = joblet::Parallel({.n_jobs = 1,
                                          .backend = joblet::Backend::processes,
                                          .batch_size = 1,
                                          .timeout = kTimeout})
                            .try_map(own_pid, std::views::iota(0, 4));
  for (const auto& outcome : outcomes) {
    ASSERT_TRUE(outcome) << outcome.error().what();
    EXPECT_NE(*outcome, stopped) << "a task ran in the stopped worker";
  }
  EXPECT_FALSE(is_alive(stopped));
}

// The stress sweep: a fixed seed decides, per task, whether it crashes, aborts, exits, sleeps
// past the timeout or throws. Each crash costs a fork and each timeout the whole timeout, so
// timeouts are a small share. Sanitizer builds run every fault several times slower (an
// AddressSanitizer report symbolizes a stack), so they inject about a sixth of the faults and
// allow a longer timeout; release injects about 1,000.
enum class Fault : std::uint8_t { none, segfault, abort, exit, timeout, exception, count };

constexpr std::uint64_t kStressSeed = 0x5eed'2024'0003ULL;
constexpr int kTasksPerSweep = kSanitized ? 200 : 1100;
constexpr auto kStressTimeout = kSanitized ? std::chrono::milliseconds(1000) : 200ms;

Fault fault_at(std::uint64_t key) {
  const std::uint64_t draw = joblet::SplitMix64::mix(kStressSeed ^ key) % 1000;
  // Per mille of tasks: 11% segfault, 9% abort, 8% exit, 1% time out, 2% throw.
  // A sanitizer reports and symbolises a SIGSEGV before the worker dies, which can outlast the
  // timeout there: those builds abort instead (Kinds/Crash still covers SIGSEGV in them).
  if (draw < 110) return kSanitized ? Fault::abort : Fault::segfault;
  if (draw < 200) return Fault::abort;
  if (draw < 280) return Fault::exit;
  if (draw < 290) return Fault::timeout;
  if (draw < 310) return Fault::exception;
  return Fault::none;
}

std::uint64_t stress_value(std::uint64_t key) {
  return joblet::SplitMix64::mix(key);
}

std::uint64_t faulty_task(std::uint64_t key) {
  switch (fault_at(key)) {
    case Fault::segfault:
      (void)std::raise(SIGSEGV);
      break;
    case Fault::abort:
      std::abort();
    case Fault::exit:
      // A sanitizer's leak check runs in std::exit, inside the task's time, and on a loaded
      // machine can outlast the timeout: those builds end the worker with the same code through
      // quick_exit, which skips it (Kinds/Crash still covers std::exit in them).
      if constexpr (kSanitized) std::quick_exit(kExitCode);
      std::exit(kExitCode);  // NOLINT(concurrency-mt-unsafe): a worker's own end
    case Fault::timeout:
      std::this_thread::sleep_for(1h);  // the task outlasts its timeout
      break;
    case Fault::exception:
      throw std::runtime_error("fault " + std::to_string(key));
    case Fault::none:
    case Fault::count:
      break;
  }
  return stress_value(key);
}

/// Whether `outcome` of the task `index` with `key` is what its fault makes it; says why not.
::testing::AssertionResult is_reported(const joblet::Outcome<std::uint64_t>& outcome, int index,
                                       std::uint64_t key) {
  const Fault fault = fault_at(key);
  if (fault == Fault::none) {
    if (!outcome) return ::testing::AssertionFailure() << outcome.error().what();
    if (*outcome != stress_value(key)) return ::testing::AssertionFailure() << "wrong value";
    return ::testing::AssertionSuccess();
  }
  if (outcome) return ::testing::AssertionFailure() << "succeeded despite its fault";
  const joblet::TaskError& error = outcome.error();
  if (error.index() != static_cast<std::size_t>(index)) {
    return ::testing::AssertionFailure() << "names task " << error.index();
  }
  switch (fault) {
    case Fault::segfault:
      return is_crash(error, index, kSegfaultEnding);
    case Fault::abort:
      return is_crash(error, index, {SIGABRT, 0});
    case Fault::exit:
      return is_crash(error, index, {0, kExitCode});
    case Fault::timeout:
      if (dynamic_cast<const joblet::TaskTimeout*>(&error) != nullptr) {
        return ::testing::AssertionSuccess();
      }
      break;
    default:
      if (typeid(error) == typeid(joblet::TaskError) &&
          error.message() == "fault " + std::to_string(key)) {
        return ::testing::AssertionSuccess();
      }
      break;
  }
  return ::testing::AssertionFailure() << "wrong error: " << error.what();
}

/// Every process below `pid`, and whether any of them is a zombie.
void collect_descendants(pid_t pid, std::set<pid_t>& found, bool& zombie) {
  for (const pid_t child : children_of(pid)) {
    if (const auto stat = proc_stat(child); stat && stat->state == 'Z') zombie = true;
    found.insert(child);
    collect_descendants(child, found, zombie);
  }
}

struct Sweep {
  int n_jobs;
  int batch_size;
};

TEST(Stress, ThousandRandomFaultsAreEachReportedAndNothingElseIsLost) {
  const pid_t server = joblet::detail::ForkServer::instance().pid();
  const std::size_t idle_before = children_of(server).size();
  constexpr std::array kSweeps{Sweep{2, 1}, Sweep{3, 3}, Sweep{2, 0}};

  std::array<int, static_cast<std::size_t>(Fault::count)> injected{};
  const auto begin = Clock::now();
  for (std::size_t s = 0; s < kSweeps.size(); ++s) {
    std::vector<std::uint64_t> keys(kTasksPerSweep);
    for (std::size_t i = 0; i < keys.size(); ++i) {
      keys[i] = (s << 32U) | i;
      ++injected[static_cast<std::size_t>(fault_at(keys[i]))];
    }
    const auto outcomes = joblet::Parallel({.n_jobs = kSweeps[s].n_jobs,
                                            .backend = joblet::Backend::processes,
                                            .batch_size = kSweeps[s].batch_size,
                                            .timeout = kStressTimeout})
                              .try_map(faulty_task, keys);
    ASSERT_EQ(outcomes.size(), keys.size());
    int wrong = 0;
    for (int i = 0; i < kTasksPerSweep && wrong < 10; ++i) {
      const auto reported = is_reported(outcomes[i], i, keys[i]);
      EXPECT_TRUE(reported) << "sweep " << s << ", task " << i;
      wrong += reported ? 0 : 1;
    }
  }
  const std::chrono::duration<double> wall = Clock::now() - begin;

  // The pool keeps its live workers and nothing else: at most as many as the largest sweep
  // used (or were idle before; a worker that died after the last dispatch is replaced by the
  // next call), none of them a zombie.
  std::set<pid_t> descendants;
  bool zombie = false;
  collect_descendants(server, descendants, zombie);
  EXPECT_FALSE(zombie);
  const int largest = std::ranges::max(kSweeps, {}, &Sweep::n_jobs).n_jobs;
  EXPECT_LE(descendants.size(), std::max(idle_before, static_cast<std::size_t>(largest)));
  // A call as large as the largest sweep leases every idle worker: whatever is left below the
  // fork server is one of them.
  const auto live = worker_pids(largest);
  for (const pid_t pid : descendants)
    EXPECT_TRUE(live.contains(pid)) << pid << " is left over, not a worker of the pool";

  const auto count = [&injected](Fault fault) { return injected[static_cast<std::size_t>(fault)]; };
  const int faults =
      count(Fault::segfault) + count(Fault::abort) + count(Fault::exit) + count(Fault::timeout);
  RecordProperty("worker_faults", faults);
  RecordProperty("exceptions", count(Fault::exception));
  RecordProperty("wall_seconds", std::to_string(wall.count()));
  std::printf(
      "[ stress   ] %d tasks in %zu sweeps; %d worker faults injected (%d SIGSEGV, %d abort, %d "
      "exit, %d timeout) and %d exceptions; %.2f s wall\n",
      kTasksPerSweep * static_cast<int>(kSweeps.size()), kSweeps.size(), faults,
      count(Fault::segfault), count(Fault::abort), count(Fault::exit), count(Fault::timeout),
      count(Fault::exception), wall.count());
}

}  // namespace
