// Worker processes under hostile conditions: a parent full of threads, a parent killed in the
// middle of a run, SIGINT and SIGTERM during a run. Each case runs a program of its own
// (tests/helpers), in a process group of its own, and watches it and its processes from here.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ranges>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "helpers/process_watch.hpp"
#include "joblet/joblet.hpp"
#include "processes/fork_server.hpp"

namespace {

using joblet::testing::ended_by;
using joblet::testing::Helper;
using joblet::testing::ProcessGroup;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

// Sanitizers make starting and ending a process several times slower (shadow memory to map
// and unmap), so the promise that workers are gone within 1 s is checked in uninstrumented
// builds only; sanitizer builds still catch hangs and leftover processes, with more time.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

/// How soon every process of a run must have ended after its parent was killed or signalled.
constexpr milliseconds kEndLimit = kSanitized ? seconds(15) : seconds(1);
/// How long a program may take to start its run; generous, it only guards against a hang.
constexpr milliseconds kStartLimit = seconds(20);
/// How long the 200 calls may take before they count as a hang. Below the test runner's
/// watchdog (60 s; 180 s in sanitizer builds), so that a hang fails here, with the program's
/// output, and is killed.
constexpr milliseconds kCallsLimit = kSanitized ? seconds(150) : seconds(45);
/// How long a program that closed its output may take to exit.
constexpr milliseconds kExitLimit = seconds(5);

constexpr int kCalls = 200;
constexpr int kTasksPerCall = 4;  // as in helpers/fork_safety.cpp
constexpr int kLongTasks = 3;     // as in helpers/parent_killed.cpp and helpers/interrupted.cpp

/// The number at the end of `line` after `prefix`, or nullopt if the line is not so.
std::optional<int> number_after(std::string_view line, std::string_view prefix) {
  const auto at = line.find(prefix);
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view digits = line.substr(at + prefix.size());
  int number = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return number;
}

/// The workers that the program's long tasks report, once all of them have started.
std::set<pid_t> started_workers(Helper& program) {
  std::set<pid_t> workers;
  for (int task = 0; task < kLongTasks; ++task) {
    const auto line = program.read_line(kStartLimit);
    if (!line) break;
    if (const auto worker = number_after(*line, " started in worker ")) {
      workers.insert(*worker);
    } else {
      ADD_FAILURE() << "unexpected line: " << *line;
    }
  }
  return workers;
}

/// Expects every process of `processes` to end by `deadline`.
void expect_ended_by(const std::set<pid_t>& processes, steady_clock::time_point deadline,
                     const std::string& what) {
  for (const pid_t pid : processes)
    EXPECT_TRUE(ended_by(pid, deadline)) << what << " " << pid << " was still running";
}

/// Expects every process of process group `group` to end by `deadline`. (A process that has
/// closed its files may still be ending, so a single look at /proc is not enough.)
void expect_group_ended_by(pid_t group, steady_clock::time_point deadline) {
  expect_ended_by(joblet::testing::running_in_group(group), deadline, "process");
  EXPECT_EQ(joblet::testing::running_in_group(group), std::set<pid_t>{});
}

std::string describe_status(const std::optional<int>& status) {
  if (!status) return "still running";
  if (WIFSIGNALED(*status)) return "killed by signal " + std::to_string(WTERMSIG(*status));
  return "exit code " + std::to_string(WEXITSTATUS(*status));
}

bool exited_cleanly(const std::optional<int>& status) {
  return status.has_value() && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
}

bool killed_by(const std::optional<int>& status, int signal) {
  return status.has_value() && WIFSIGNALED(*status) && WTERMSIG(*status) == signal;
}

void runs_two_hundred_calls(const std::string& mode) {
  Helper program(JOBLET_FORK_SAFETY, {mode, std::to_string(kCalls)}, ProcessGroup::own);
  ASSERT_TRUE(program.started());
  // The output ends when the program and every process it started have closed it.
  const std::string output = program.read_all(kCallsLimit);
  const auto status = program.wait_for_exit(kExitLimit);
  ASSERT_TRUE(status) << "no end within " << kCallsLimit.count()
                      << " ms: a hang; its output so far: " << output;
  EXPECT_TRUE(exited_cleanly(status)) << describe_status(status);
  EXPECT_EQ(output, "fork_safety: " + std::to_string(kCalls) + " calls, " +
                        std::to_string(kCalls * kTasksPerCall) + " results correct\n");
  expect_group_ended_by(program.pid(), steady_clock::now() + kEndLimit);
}

TEST(ProcessSafety, ThreadedParentRunsTwoHundredCallsWithoutAHang) {
  runs_two_hundred_calls("init");
}

// Without init, the first call forks the fork server from a program whose threads hold locks.
// glibc's malloc is fork-safe; AddressSanitizer's allocator in GCC 12 is not: a worker was seen
// waiting forever on an allocator lock that a hammering thread held at the fork. So this case
// is built without AddressSanitizer only.
#if !defined(__SANITIZE_ADDRESS__)
TEST(ProcessSafety, ThreadedParentWithoutInitRunsTwoHundredCallsWithoutAHang) {
  runs_two_hundred_calls("first-use");
}
#endif

TEST(ProcessSafety, KilledParentLeavesNoWorkerBehind) {
  Helper parent(JOBLET_PARENT_KILLED, {}, ProcessGroup::own);
  ASSERT_TRUE(parent.started());
  const std::string server_line = parent.read_line(kStartLimit).value_or("");
  const pid_t server = number_after(server_line, "fork server ").value_or(-1);
  ASSERT_GT(server, 0) << "the program named no fork server: " << server_line;
  const std::set<pid_t> workers = started_workers(parent);
  ASSERT_EQ(workers.size(), kLongTasks);

  // Everything the program started, as it is mid-run: the server, its workers, their children.
  const std::set<pid_t> family = joblet::testing::descendants_of(parent.pid());
  EXPECT_TRUE(family.contains(server));
  for (const pid_t worker : workers) {
    EXPECT_TRUE(family.contains(worker)) << "worker " << worker;
    EXPECT_EQ(joblet::testing::proc_stat(worker).value_or(joblet::testing::ProcStat{}).parent,
              server)
        << "worker " << worker << " is not a child of the fork server";
  }

  ASSERT_TRUE(parent.signal(SIGKILL));
  const auto deadline = steady_clock::now() + kEndLimit;
  expect_ended_by(family, deadline, "process");
  // Also what the snapshot missed: orphans keep the program's process group.
  expect_group_ended_by(parent.pid(), deadline);
  EXPECT_EQ(parent.read_all(milliseconds(joblet::testing::ms_until(deadline))), "")
      << "the program or its workers wrote after the tasks started";
}

/// What a program printed after the signal, and how it ended.
struct Ending {
  std::string output;
  std::optional<int> status;
};

/// Starts `mode` of helpers/interrupted.cpp, sends `signal` once its long tasks run (to the
/// program, or to its whole process group as a terminal's Ctrl-C does), and checks that the
/// workers of the run end in time and that nothing the program started outlives it.

Ending interrupt(const std::string& mode, int signal, bool whole_group = false) {
  Helper program(JOBLET_INTERRUPTED, {mode}, ProcessGroup::own);
  if (!program.started()) {
    ADD_FAILURE() << "cannot start " << JOBLET_INTERRUPTED;
    return {};
  }
  const std::set<pid_t> workers = started_workers(program);
  EXPECT_EQ(workers.size(), kLongTasks);
  const int target = whole_group ? -program.pid() : program.pid();
  EXPECT_EQ(kill(target, signal), 0);
  const auto deadline = steady_clock::now() + kEndLimit;
  expect_ended_by(workers, deadline, "worker");
  Ending ending;
  ending.output = program.read_all(kStartLimit);
  ending.status = program.wait_for_exit(kExitLimit);
  expect_group_ended_by(program.pid(), steady_clock::now() + kEndLimit);
  return ending;
}

std::string interrupted_then_went_on(int signal, bool own_handler) {
  return "interrupted: signal " + std::to_string(signal) +
         "\ndispositions: restored\nnext call: correct\n" +
         (own_handler ? "own handler: 0 calls during the run, 1 after it\n" : "");
}

TEST(ProcessSafety, SigintDuringARunThrowsInterrupted) {
  const Ending ending = interrupt("own-handler", SIGINT);
  EXPECT_EQ(ending.output, interrupted_then_went_on(SIGINT, true));
  EXPECT_TRUE(exited_cleanly(ending.status)) << describe_status(ending.status);
}

TEST(ProcessSafety, SigtermDuringARunThrowsInterrupted) {
  const Ending ending = interrupt("own-handler", SIGTERM);
  EXPECT_EQ(ending.output, interrupted_then_went_on(SIGTERM, true));
  EXPECT_TRUE(exited_cleanly(ending.status)) << describe_status(ending.status);
}

TEST(ProcessSafety, SigintWithTheDefaultDispositionThrowsInterrupted) {
  const Ending ending = interrupt("default", SIGINT);
  EXPECT_EQ(ending.output, interrupted_then_went_on(SIGINT, false));
  EXPECT_TRUE(exited_cleanly(ending.status)) << describe_status(ending.status);
}

// A terminal's Ctrl-C sends SIGINT to the whole foreground process group: the program, its
// fork server and its workers alike.
TEST(ProcessSafety, CtrlCToTheWholeProcessGroupThrowsInterrupted) {
  const Ending ending = interrupt("own-handler", SIGINT, true);
  EXPECT_EQ(ending.output, interrupted_then_went_on(SIGINT, true));
  EXPECT_TRUE(exited_cleanly(ending.status)) << describe_status(ending.status);
}

// An exception nobody catches ends the program through std::terminate, which aborts.
TEST(ProcessSafety, UncaughtInterruptedEndsTheProgram) {
  const Ending ending = interrupt("uncaught", SIGINT);
  EXPECT_EQ(ending.output, "");
  EXPECT_TRUE(killed_by(ending.status, SIGABRT)) << describe_status(ending.status);
}

// After the first signal, while the run still exists (imap's results not yet destroyed), and
// after the run, a SIGINT reaches the handler the program had before the run.
TEST(ProcessSafety, SecondSigintReachesTheProgramsOwnHandler) {
  const Ending ending = interrupt("second-own", SIGINT);
  EXPECT_EQ(ending.output, "interrupted: signal " + std::to_string(SIGINT) +
                               "\nduring the run: dispositions restored, own handler ran 1 times\n"
                               "after the run: dispositions restored, own handler ran 2 times\n");
  EXPECT_TRUE(exited_cleanly(ending.status)) << describe_status(ending.status);
}

TEST(ProcessSafety, SecondSigintWithTheDefaultDispositionEndsTheProgram) {
  const Ending ending = interrupt("second-default", SIGINT);
  EXPECT_EQ(ending.output, "interrupted: signal " + std::to_string(SIGINT) + "\n");
  EXPECT_TRUE(killed_by(ending.status, SIGINT)) << describe_status(ending.status);
}

// --- the program's own handlers, around runs that fail to start or overlap ------------------

void marker_handler(int /*signal*/) {}

/// Installs marker_handler for SIGINT while it lives; puts back what was there.
class MarkerHandler {
 public:
  MarkerHandler() {
    struct sigaction marker {};
    marker.sa_handler = marker_handler;
    sigemptyset(&marker.sa_mask);
    sigaction(SIGINT, &marker, &previous_);
  }
  ~MarkerHandler() { sigaction(SIGINT, &previous_, nullptr); }
  MarkerHandler(const MarkerHandler&) = delete;
  MarkerHandler& operator=(const MarkerHandler&) = delete;
  MarkerHandler(MarkerHandler&&) = delete;
  MarkerHandler& operator=(MarkerHandler&&) = delete;

 private:
  struct sigaction previous_ {};
};

bool sigint_reaches_marker_handler() {
  struct sigaction current {};
  sigaction(SIGINT, nullptr, &current);
  return current.sa_handler == marker_handler;
}

int one(int x) {
  return x;
}

const joblet::Options kOneWorkerProcess{.n_jobs = 1, .backend = joblet::Backend::processes};

/// In a copy of the test program of its own (the fork server it kills is that copy's): a run
/// that cannot start a single worker throws, and leaves the program's handler in place.
[[noreturn]] void handler_survives_a_run_that_cannot_start() {
  const MarkerHandler marker;
  const pid_t server = joblet::detail::ForkServer::instance().pid();
  kill(server, SIGKILL);
  waitpid(server, nullptr, 0);
  bool threw = false;
  try {
    (void)joblet::Parallel(kOneWorkerProcess).map(one, std::views::iota(0, 1));
  } catch (const std::exception&) {
    threw = true;
  }
  (void)std::fprintf(stderr, "%s, %s\n", threw ? "the run threw" : "the run did not throw",
                     sigint_reaches_marker_handler() ? "handler kept" : "handler lost");
  std::_Exit(0);
}

TEST(ProcessSafetyDeathTest, HandlersAreRestoredWhenNoWorkerCanStart) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(handler_survives_a_run_that_cannot_start(), ::testing::ExitedWithCode(0),
              "the run threw, handler kept");
}

/// A task that says it runs (a byte into the FIFO `started`), then waits for a byte from the
/// FIFO `go`: it keeps its run going until the test lets it end.
int announce_then_wait(const std::string& started, const std::string& go) {
  std::ofstream(started) << 'x';
  char byte = 0;
  std::ifstream(go).get(byte);
  return byte == 'x' ? 1 : 0;
}

/// A FIFO in a fresh directory, removed with it.
class Fifos {
 public:
  Fifos() : dir_(make_dir()) {}
  ~Fifos() { std::filesystem::remove_all(dir_); }
  Fifos(const Fifos&) = delete;
  Fifos& operator=(const Fifos&) = delete;
  Fifos(Fifos&&) = delete;
  Fifos& operator=(Fifos&&) = delete;

  [[nodiscard]] std::string make(const std::string& name) const {
    std::string path = dir_ + "/" + name;
    EXPECT_EQ(mkfifo(path.c_str(), 0600), 0) << path;
    return path;
  }

 private:
  static std::string make_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "joblet-fifos-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
    }
    return pattern;
  }
  std::string dir_;
};

void read_byte(const std::string& fifo) {
  char byte = 0;
  std::ifstream(fifo).get(byte);
}

void write_byte(const std::string& fifo) {
  std::ofstream(fifo) << 'x';
}

// Two runs on two threads, the first to start ending first: each run saved and put back
// dispositions of its own, and the second saved the first's handler as the program's.
TEST(ProcessSafety, OverlappingRunsOnThreadsLeaveTheProgramsHandlerBehind) {
  const MarkerHandler marker;
  const Fifos fifos;
  struct Run {
    std::string started;
    std::string go;
    int result = 0;
    std::exception_ptr error;
    std::thread thread;
  };
  std::array<Run, 2> runs;
  runs[0].started = fifos.make("first-started");
  runs[0].go = fifos.make("first-go");
  runs[1].started = fifos.make("second-started");
  runs[1].go = fifos.make("second-go");
  for (Run& run : runs) {
    run.thread = std::thread([&run] {
      try {
        const std::vector tasks{joblet::delayed(announce_then_wait, run.started, run.go)};
        run.result = joblet::Parallel(kOneWorkerProcess)(tasks).at(0);
      } catch (...) {
        run.error = std::current_exception();
      }
    });
    read_byte(run.started);  // this run is under way before the next starts
  }
  for (Run& run : runs) {
    write_byte(run.go);
    run.thread.join();
    EXPECT_FALSE(run.error);
    EXPECT_EQ(run.result, 1);
  }
  EXPECT_TRUE(sigint_reaches_marker_handler());
}

}  // namespace
