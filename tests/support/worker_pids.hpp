// The worker processes that a processes call with n_jobs workers runs its tasks in, all n of
// them: a run starts a new worker only for batches that keep waiting on its busy ones, so
// tiny tasks alone may all run in the first. Here the first n tasks meet at a barrier that
// opens only when n of them run at once.
#pragma once

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "helpers/process_watch.hpp"
#include "joblet/joblet.hpp"
#include "processes/fork_server.hpp"

namespace joblet::testing {

/// A pthread barrier in a named shared memory object: created by the test, met by tasks in
/// worker processes, which open it by name.
class ProcessBarrier {
 public:
  explicit ProcessBarrier(unsigned parties) : name_(unique_name()) {
    const int fd = shm_open(name_.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "shm_open " + name_);
    const bool sized = ftruncate(fd, sizeof(pthread_barrier_t)) == 0;
    barrier_ = sized ? map(fd) : nullptr;
    close(fd);
    if (barrier_ == nullptr) {
      shm_unlink(name_.c_str());
      throw std::system_error(errno, std::generic_category(), "mapping " + name_);
    }
    pthread_barrierattr_t shared{};
    pthread_barrierattr_init(&shared);
    pthread_barrierattr_setpshared(&shared, PTHREAD_PROCESS_SHARED);
    pthread_barrier_init(barrier_, &shared, parties);
    pthread_barrierattr_destroy(&shared);
  }
  ~ProcessBarrier() {
    pthread_barrier_destroy(barrier_);
    munmap(barrier_, sizeof(pthread_barrier_t));
    shm_unlink(name_.c_str());
  }
  ProcessBarrier(const ProcessBarrier&) = delete;
  ProcessBarrier& operator=(const ProcessBarrier&) = delete;
  ProcessBarrier(ProcessBarrier&&) = delete;
  ProcessBarrier& operator=(ProcessBarrier&&) = delete;

  [[nodiscard]] const std::string& name() const { return name_; }

  /// Waits, in any process, at the barrier called `name` until all its parties wait.
  static void meet(const std::string& name) {
    const int fd = shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "shm_open " + name);
    pthread_barrier_t* barrier = map(fd);
    close(fd);
    if (barrier == nullptr) throw std::system_error(errno, std::generic_category(), name);
    pthread_barrier_wait(barrier);
    munmap(barrier, sizeof(pthread_barrier_t));
  }

 private:
  static pthread_barrier_t* map(int fd) {
    void* memory =
        mmap(nullptr, sizeof(pthread_barrier_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    return memory == MAP_FAILED ? nullptr : static_cast<pthread_barrier_t*>(memory);
  }

  static std::string unique_name() {
    static std::atomic<int> made{0};
    return "/joblet-barrier-" + std::to_string(getpid()) + "-" + std::to_string(made++);
  }

  std::string name_;
  pthread_barrier_t* barrier_ = nullptr;
};

/// The task of worker_pids: the first `parties` tasks meet at the barrier first.
inline pid_t pid_after_meeting(const std::string& barrier, int parties, int task) {
  if (task < parties) ProcessBarrier::meet(barrier);
  return getpid();
}

/// The pids of the n_jobs workers that a call with n_jobs workers ran its tasks in (8 per
/// worker, one per batch).
inline std::set<pid_t> worker_pids(int n_jobs) {
  const ProcessBarrier barrier(static_cast<unsigned>(n_jobs));
  std::vector<Task<pid_t>> tasks;
  for (int task = 0; task < 8 * n_jobs; ++task)
    tasks.emplace_back(delayed(pid_after_meeting, barrier.name(), n_jobs, task));
  const auto pids =
      Parallel({.n_jobs = n_jobs, .backend = Backend::processes, .batch_size = 1})(tasks);
  return {pids.begin(), pids.end()};
}

/// The fork server's children: every worker process alive, busy, idle or still starting.
inline std::set<pid_t> fork_server_children() {
  return children_of(joblet::detail::ForkServer::instance().pid());
}

}  // namespace joblet::testing
