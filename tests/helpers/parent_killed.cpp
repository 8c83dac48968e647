// A program that is killed during a processes run. It names its fork server, then runs three
// long tasks on three workers; each task names its worker before it sleeps:
//
//     fork server PID
//     task I started in worker PID      (three lines, in any order)
//
// The test kills the program then. Were the run to finish, the program says so and exits 1.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ranges>
#include <string>
#include <thread>

#include "joblet/joblet.hpp"
#include "process_watch.hpp"

namespace {

pid_t name_worker_then_sleep(int task) {
  const std::string line =
      "task " + std::to_string(task) + " started in worker " + std::to_string(getpid()) + "\n";
  // write(), not stdio: a worker's buffered output would never be flushed.
  (void)write(STDOUT_FILENO, line.data(), line.size());
  std::this_thread::sleep_for(std::chrono::seconds(30));  // a long task: the parent dies first
  return getpid();
}

}  // namespace

int main(int argc, char** argv) {
  joblet::init(argc, argv);
  const auto children = joblet::testing::children_of(getpid());
  if (children.size() != 1) {
    std::printf("expected the fork server as the only child, found %zu children\n",
                children.size());
    return 1;
  }
  std::printf("fork server %d\n", *children.begin());
  (void)std::fflush(stdout);
  joblet::Parallel({.n_jobs = 3, .backend = joblet::Backend::processes, .batch_size = 1})
      .map(name_worker_then_sleep, std::views::iota(0, 3));
  std::printf("the run ended, but the program should have been killed during it\n");
  return 1;
}
