// The processes backend's pool: workers are kept between calls, a worker that died is
// replaced, and an exception in a task costs no worker.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <ranges>
#include <set>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

#include "helpers/process_watch.hpp"
#include "joblet/joblet.hpp"
#include "processes/fork_server.hpp"
#include "support/thrown.hpp"
#include "support/worker_pids.hpp"

namespace {

using joblet::testing::fork_server_children;
using joblet::testing::is_alive;

// Batches of one task: each task goes to whichever worker is free, one at a time.
joblet::Options two_workers() {
  return {.n_jobs = 2, .backend = joblet::Backend::processes, .batch_size = 1};
}

pid_t killed_at_zero(int task) {
  if (task == 0) (void)std::raise(SIGKILL);
  return getpid();
}

constexpr int kThrowsAt = 5;

std::string no_fit_at(int task) {
  return "no fit at point " + std::to_string(task);
}

/// Appends its index to the file `log`, so the test sees which tasks ran; throws at kThrowsAt.
int logs_then_throws(const std::string& log, int task) {
  const std::string line = std::to_string(task) + "\n";
  const int fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd >= 0) {
    [[maybe_unused]] const ssize_t written = ::write(fd, line.data(), line.size());
    ::close(fd);
  }
  if (task == kThrowsAt) throw std::invalid_argument(no_fit_at(task));
  return task * 2;
}

int throws_when_odd(int task) {
  if (task % 2 == 1) throw std::invalid_argument(no_fit_at(task));
  return task * 2;
}

int doubled(int task) {
  return task * 2;
}

int allowed_cpus(int /*task*/) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return -1;
  return CPU_COUNT(&allowed);
}

/// The pids of the two workers of a call.
std::set<pid_t> worker_pids() {
  return joblet::testing::worker_pids(2);
}

/// An empty file that is removed with the object.
class TemporaryFile {
 public:
  TemporaryFile() : path_(::testing::TempDir() + "joblet_pool_XXXXXX") {
    const int fd = ::mkstemp(path_.data());
    if (fd >= 0) ::close(fd);
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  TemporaryFile(TemporaryFile&&) = delete;
  TemporaryFile& operator=(TemporaryFile&&) = delete;
  ~TemporaryFile() { (void)std::remove(path_.c_str()); }

  [[nodiscard]] const std::string& path() const { return path_; }

  [[nodiscard]] std::set<int> numbers() const {
    std::ifstream file(path_);
    return {std::istream_iterator<int>(file), std::istream_iterator<int>()};
  }

 private:
  std::string path_;
};

TEST(WorkerPool, WorkersAreReusedAcrossCalls) {
  const auto first = worker_pids();
  const auto second = worker_pids();
  EXPECT_EQ(first.size(), 2U);
  EXPECT_EQ(second, first);
  EXPECT_FALSE(first.contains(getpid()));
  const auto children = fork_server_children();
  for (const pid_t pid : first)
    EXPECT_TRUE(children.contains(pid)) << pid << " is not a worker forked by the fork server";
}

TEST(WorkerPool, NewWorkersStartOnlyForBatchesThatWait) {
  const auto idle = worker_pids();
  const auto before = fork_server_children();
  // Eight workers asked for, one task to run: the idle workers take it, nothing waits.
  const auto ran = joblet::Parallel({.n_jobs = 8, .backend = joblet::Backend::processes})
                       .map(doubled, std::views::iota(0, 1));
  EXPECT_EQ(ran, std::vector{0});
  std::vector<pid_t> started;
  std::ranges::set_difference(fork_server_children(), before, std::back_inserter(started));
  EXPECT_TRUE(started.empty()) << started.size() << " workers started for nothing";
  EXPECT_EQ(worker_pids(), idle);
}

// The fork server forks a worker on the CPU it runs on; the worker must not stay there.
TEST(WorkerPool, WorkersMayRunOnEveryCpuTheProgramMay) {
  (void)worker_pids();  // two workers, each forked by the server
  const auto counts = joblet::Parallel(two_workers()).map(allowed_cpus, std::views::iota(0, 8));
  EXPECT_EQ(counts, std::vector<int>(8, allowed_cpus(0)));
}

TEST(WorkerPool, AWorkerThatDiedIsReplacedByANewProcess) {
  const auto before = worker_pids();
  ASSERT_EQ(before.size(), 2U);

  const auto outcomes =
      joblet::Parallel(two_workers()).try_map(killed_at_zero, std::views::iota(0, 16));
  ASSERT_FALSE(outcomes[0]);
  const auto* crash = dynamic_cast<const joblet::WorkerCrashed*>(&outcomes[0].error());
  ASSERT_NE(crash, nullptr) << outcomes[0].error().what();
  EXPECT_EQ(crash->signal(), SIGKILL);
  for (std::size_t i = 1; i < outcomes.size(); ++i)
    ASSERT_TRUE(outcomes[i]) << outcomes[i].error().what();

  const auto after = worker_pids();
  ASSERT_EQ(after.size(), 2U);
  std::vector<pid_t> kept;
  std::ranges::set_intersection(before, after, std::back_inserter(kept));
  ASSERT_EQ(kept.size(), 1U) << "exactly the worker that died is replaced";
  std::vector<pid_t> gone;
  std::ranges::set_difference(before, after, std::back_inserter(gone));
  std::vector<pid_t> added;
  std::ranges::set_difference(after, before, std::back_inserter(added));
  ASSERT_EQ(gone.size(), 1U);
  ASSERT_EQ(added.size(), 1U);

  EXPECT_FALSE(is_alive(gone[0]));
  const auto children = fork_server_children();
  EXPECT_FALSE(children.contains(gone[0])) << "the dead worker was not reaped";
  EXPECT_TRUE(children.contains(added[0]));
  EXPECT_NE(added[0], getpid());
}

TEST(WorkerPool, AnExceptionComesBackAsTaskErrorAndStopsTheRun) {
  const TemporaryFile log;
  constexpr int kTasks = 1000;
  std::vector<joblet::Task<int>> tasks;
  tasks.reserve(kTasks);
  for (int i = 0; i < kTasks; ++i)
    tasks.emplace_back(joblet::delayed(logs_then_throws, log.path(), i));

  const auto caught = joblet::testing::thrown<joblet::TaskError>([&] {
    joblet::Parallel parallel(two_workers());
    parallel(tasks);
  });
  if (!caught) {
    ADD_FAILURE() << "no TaskError";
    return;
  }
  const joblet::TaskError& error = *caught;
  EXPECT_EQ(typeid(error), typeid(joblet::TaskError)) << "an exception, not a crash or timeout";
  EXPECT_EQ(error.index(), static_cast<std::size_t>(kThrowsAt));
  EXPECT_EQ(error.exception_type(), "std::invalid_argument");
  EXPECT_EQ(error.message(), no_fit_at(kThrowsAt));
  EXPECT_TRUE(error.task_name().ends_with("logs_then_throws")) << error.task_name();

  const auto ran = log.numbers();
  // Tasks before the failing one may have been killed unfinished: the run stops at once.
  EXPECT_TRUE(ran.contains(kThrowsAt));
  // Only the tasks already handed out when the failure came back may have run.
  EXPECT_LT(ran.size(), 100U) << "the run went on after the failure";

  const auto again = joblet::Parallel(two_workers()).map(doubled, std::views::iota(0, 50));
  const auto expected = joblet::Parallel(1).map(doubled, std::views::iota(0, 50));
  EXPECT_EQ(again, expected);
}

TEST(WorkerPool, AnExceptionCostsNoWorker) {
  const auto before = worker_pids();
  // One task: no other worker is busy, so nothing has to be stopped when it fails.
  EXPECT_THROW(joblet::Parallel(two_workers()).map(throws_when_odd, std::views::iota(1, 2)),
               joblet::TaskError);
  EXPECT_EQ(worker_pids(), before);
}

TEST(WorkerPool, ExceptionsUnderTryRunCostNoWorker) {
  const auto before = worker_pids();
  const auto outcomes =
      joblet::Parallel(two_workers()).try_map(throws_when_odd, std::views::iota(0, 40));
  for (int i = 0; i < 40; ++i) {
    if (i % 2 == 1) {
      ASSERT_FALSE(outcomes[i]);
      EXPECT_EQ(outcomes[i].error().message(), no_fit_at(i));
    } else {
      ASSERT_TRUE(outcomes[i]) << outcomes[i].error().what();
      EXPECT_EQ(*outcomes[i], doubled(i));
    }
  }
  EXPECT_EQ(worker_pids(), before);
}

}  // namespace
